"""A paper's notices about an item it printed: the 更正启事 it prints in its
next issue, and the 撤稿通知 its desk gets when the item is withdrawn. Both
as plain text, DOCX in the house layout and NITF; the NITF names the
original item's doc-id (as documents.nitf_bytes made it: the page id) and
says what became of it in docdata's management attributes (NITF 3.1 and
later: usable | embargoed | withheld | canceled) and in ed-msg. Pure
functions: no database access."""

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime

from lxml import etree
from lxml.builder import E

from channels.newspaper.documents import (
    BEIJING,
    STYLES,
    UNWRITABLE,
    house_document,
    nitf_date,
)

CORRECTION_HEADING = "更正启事"
WITHDRAWAL_HEADING = "撤稿通知"


@dataclass(frozen=True)
class Notice:
    """A correction or withdrawal as the paper's desk sees it."""

    withdrawal: bool
    title: str  # the original item's
    item_id: int  # the original item's NITF doc-id
    advisory_id: int
    outlet_name: str
    organisation: str
    at: datetime  # when the advisory was issued
    printed_on: date | None = None  # the issue that carried the item
    page_label: str = ""  # 版次, "第7版"
    wrong: str = ""
    right: str = ""
    reason: str = ""

    @property
    def heading(self) -> str:
        return WITHDRAWAL_HEADING if self.withdrawal else CORRECTION_HEADING

    @property
    def doc_id(self) -> str:
        return f"{self.item_id}-advisory-{self.advisory_id}"


def strip(text: str) -> str:
    return UNWRITABLE.sub("", text).strip()


def printed(notice: Notice) -> str:
    """ "12月7日第7版": the issue and page that carried the item."""
    if notice.printed_on is None:
        return ""
    day = notice.printed_on
    text = f"{day.month}月{day.day}日"
    if day.year != notice.at.astimezone(BEIJING).year:
        text = f"{day.year}年{text}"
    return text + notice.page_label.strip()


def paragraphs(notice: Notice) -> list[str]:
    """The notice's body, in the words a paper uses."""
    title = strip(notice.title)
    when = printed(notice)
    if not notice.withdrawal:
        where = f"本报{when}刊发的" if when else "本报刊发的"
        return [
            f"{where}《{title}》一文中，“{strip(notice.wrong)}”应为"
            f"“{strip(notice.right)}”。特此更正。"
        ]
    where = f"贵报{when}刊发的" if when else "贵报刊发的"
    reason = f"，原因：{strip(notice.reason)}" if notice.reason.strip() else ""
    return [
        f"{strip(notice.organisation)}《{strip(notice.outlet_name)}》编辑：",
        f"{where}《{title}》一文已由供稿方撤回{reason}。",
        "请勿再刊用、转载该文；贵报网站、数字报和客户端上的该文请一并撤下。",
        f"撤回时间：{notice.at.astimezone(BEIJING):%Y-%m-%d %H:%M}",
    ]


def plain_text(notice: Notice) -> str:
    """`\\n` line ends, encodable in GB 18030."""
    return "\n\n".join([notice.heading, *paragraphs(notice)]) + "\n"


def docx_bytes(notice: Notice) -> bytes:
    document = house_document()
    document.add_paragraph(notice.heading, style=STYLES["Headline"].name)
    for text in paragraphs(notice):
        document.add_paragraph(text)
    properties = document.core_properties
    properties.title = f"{notice.heading}：{strip(notice.title)}"
    properties.subject, properties.language = notice.outlet_name, "zh-CN"
    properties.created = properties.modified = datetime.now(UTC)
    stream = io.BytesIO()
    document.save(stream)
    return stream.getvalue()


def nitf_bytes(notice: Notice) -> bytes:
    """NITF 3.6: a correction notice is itself usable and says the original
    was corrected; a withdrawal kills the original (canceled)."""
    status = "canceled" if notice.withdrawal else "usable"
    message = "\n".join(paragraphs(notice))
    docdata = E.docdata(
        {
            "management-status": status,
            "management-doc-idref": str(notice.item_id),
            "management-idref-status": status,
        },
    )
    if not notice.withdrawal:
        docdata.append(E.correction(info=message, **{"id-string": str(notice.item_id)}))
    docdata.extend(
        [
            E("doc-id", {"id-string": notice.doc_id}),
            E("date.issue", norm=nitf_date(notice.at)),
            E(
                "ed-msg",
                {"msg-type": "kill" if notice.withdrawal else "correction"},
                info=message,
            ),
        ]
    )
    heading = f"{notice.heading}：{strip(notice.title)}"
    head = E.head(
        E.title(heading), docdata, E.pubdata(type="print", name=notice.outlet_name)
    )
    body = E.body(
        E("body.head", E.hedline(E.hl1(notice.heading))),
        E("body.content", *(E.p(text) for text in paragraphs(notice))),
    )
    root = E.nitf(head, body, version="-//IPTC//DTD NITF 3.6//EN", baselang="zh-CN")
    return etree.tostring(
        root, xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
