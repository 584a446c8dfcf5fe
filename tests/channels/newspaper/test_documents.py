import dataclasses
import io
import re
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from lxml import etree

from channels.newspaper.adapter import ArticleParts, NewspaperSpec, article_parts
from channels.newspaper.documents import (
    docx_bytes,
    nitf_bytes,
    pdf_bytes,
    plain_text,
    proof_html,
)
from channels.text import Subheading, count_chars

PARAGRAPHS = [
    "每年秋冬季节，流感都会迎来一个流行高峰。对大多数年轻人来说，流感不过是几天的高烧"
    "和乏力；但对六十岁以上的老年人，尤其是患有慢性心肺疾病、糖尿病的老人，流感可能诱"
    "发肺炎、心肌梗死，甚至危及生命。接种流感疫苗，是目前预防流感最经济、最有效的办法。",
    "流感疫苗为什么能起作用？简单地说，疫苗把经过灭活或拆分的病毒“样品”交给免疫系统，"
    "让身体提前认识敌人的样子。接种后两到四周，体内会产生针对这些病毒的抗体，同时留下"
    "一批“记忆细胞”。一旦真正的流感病毒入侵，免疫系统就能迅速认出它，在病毒大量繁殖"
    "之前把它清除掉。",
    "有人问：去年打过疫苗，今年还要打吗？答案是要打。流感病毒非常“善变”，它表面的两种"
    "蛋白——血凝素和神经氨酸酶——每年都会发生细微变化。世界卫生组织每年根据全球监测"
    "数据预测下一季的流行株，疫苗成分也随之更新。另一方面，接种后产生的保护力会随着时"
    "间逐渐减弱，一般只能维持六到十二个月。",
    "什么时候接种最好？我国大部分地区的流感高峰出现在十二月到次年一月，因此最好在十月"
    "底前完成接种。错过了也不要紧，在整个流行季内接种都能获得保护。需要提醒的是，接种"
    "疫苗后两周左右才能产生足够的抗体，越早接种，越早受保护。",
    "不少老年人担心疫苗的副作用。省疾控中心的监测数据显示，流感疫苗总体安全性良好。少"
    "数人接种后会出现注射部位红肿、疼痛，或者低热、乏力，通常一两天内自行消失，不需要"
    "特殊处理。严重过敏反应极为罕见，接种后在现场留观三十分钟，就是为了及时发现和处置"
    "这类情况。",
    "哪些人不宜接种？对疫苗成分或鸡蛋严重过敏的人、正在发高烧或处于慢性病急性发作期的"
    "人，应当暂缓接种，待病情稳定后再咨询医生。患有高血压、糖尿病的老人，只要病情控制"
    "平稳，完全可以接种，而且他们恰恰是最需要疫苗保护的人群。",
    "还有一种常见的误解：“打了疫苗还是感冒了，说明疫苗没用。”其实，普通感冒和流感是两"
    "回事。普通感冒由鼻病毒等多种病毒引起，症状较轻；流感疫苗只针对流感病毒，并不能预"
    "防普通感冒。即使接种后仍然感染了流感，症状通常也更轻，发生重症和住院的风险明显降低。",
    "目前，本省多个城市已将六十岁以上老年人流感疫苗接种纳入惠民项目，符合条件的老人可"
    "以免费或低价接种。老年朋友可以就近到社区卫生服务中心或乡镇卫生院咨询，携带身份证"
    "和医保卡即可。家中的年轻人也不妨陪父母走一趟，为全家的健康多加一道防线。",
    "除了接种疫苗，勤洗手、常通风、咳嗽和打喷嚏时用纸巾或肘部遮挡口鼻、在人群密集的场"
    "所佩戴口罩，这些简单的习惯同样能有效减少流感传播。出现发热、咳嗽等症状时，应尽量"
    "居家休息，避免带病出门，症状加重要及时就医。",
]
FACTS = [
    "最佳接种时间：每年十月底前",
    "接种地点：社区卫生服务中心、乡镇卫生院",
    "携带证件：身份证、医保卡",
    "接种后留观三十分钟，当天注射部位保持干燥",
]
UYGHUR = "زۇكام ۋاكسىنىسى ياشانغانلارنى قوغدايدۇ."
BEIJING = ZoneInfo("Asia/Shanghai")


@dataclasses.dataclass
class FakePage:
    """The three columns nitf_bytes reads from a page."""

    pk: int = 42
    first_published_at: datetime | None = None
    last_published_at: datetime | None = None


# One worker runs the whole module (make test: --dist loadgroup), so its
# module-scoped fixtures are made once.
pytestmark = pytest.mark.xdist_group("newspaper-documents")


@pytest.fixture(scope="module")
def make_parts():
    def make(**fields) -> ArticleParts:
        fields.setdefault("title", "老人为什么每年都要打流感疫苗")
        fields.setdefault(
            "standfirst",
            "流感病毒年年在变，疫苗的保护力也会随时间减弱。专家提醒：六十岁以上老人"
            "最好每年十月底前完成接种。",
        )
        fields.setdefault("byline", "本报记者　李青")
        fields.setdefault("paragraphs", PARAGRAPHS)
        fields.setdefault("fact_boxes", [("知识链接：流感疫苗接种小贴士", FACTS)])
        fields.setdefault("source_line", "来源：省科协　审核专家：周明（省疾控中心）")
        fields.setdefault("outlet_name", "《求证·科学》")
        fields.setdefault("slug", "liugan-yimiao")
        return ArticleParts(**fields)

    return make


@pytest.fixture
def parts(make_parts) -> ArticleParts:
    return make_parts()


@pytest.fixture(scope="module")
def proof_pdf(make_parts, tmp_path_factory) -> Path:
    """The realistic article's PDF proof, rendered once for the module."""
    path = tmp_path_factory.mktemp("proof") / "proof.pdf"
    path.write_bytes(pdf_bytes(make_parts()))
    return path


def run(*command: str | Path) -> str:
    return subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, check=True
    ).stdout


def pdf_text(path: Path) -> str:
    """The PDF's text in content order (-raw), so columns read one after another."""
    return run("pdftotext", "-raw", path, "-")


def open_docx(content: bytes):
    return docx.Document(io.BytesIO(content))


def parse_nitf(content: bytes):
    assert content.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    return etree.fromstring(content)


def test_realistic_article_fills_the_column(parts):
    assert 1100 <= count_chars(parts.body_text).layout <= 1300


def test_plain_text_lays_out_the_article_for_the_desk(parts):
    text = plain_text(parts)
    blocks = text.split("\n\n")
    assert blocks[0] == parts.title
    assert blocks[1] == f"{parts.standfirst}\n{parts.byline}"
    assert blocks[2] == f"\u3000\u3000{PARAGRAPHS[0]}"
    assert "【知识链接：流感疫苗接种小贴士】\n·最佳接种时间：每年十月底前" in text
    assert text.endswith("来源：省科协　审核专家：周明（省疾控中心）\n")
    assert "\r" not in text


def test_plain_text_round_trips_through_gb18030(parts):
    text = plain_text(parts)
    assert text.encode("gb18030").decode("gb18030") == text


def test_plain_text_leaves_out_missing_parts(make_parts):
    text = plain_text(make_parts(standfirst="", byline="", fact_boxes=[]))
    assert text.startswith(
        f"老人为什么每年都要打流感疫苗\n\n\u3000\u3000{PARAGRAPHS[0]}"
    )
    assert "【" not in text


def test_docx_sets_title_byline_and_body_in_the_house_styles(parts):
    document = open_docx(docx_bytes(parts))
    title, standfirst, byline, first = document.paragraphs[:4]
    assert (title.text, title.style.name) == (parts.title, "标题")
    assert title.style.font.bold and title.style.font.size == Pt(22)
    assert title.style.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert (standfirst.text, standfirst.style.name) == (parts.standfirst, "导语")
    assert (byline.text, byline.style.name) == (parts.byline, "署名")
    assert byline.style.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert (first.text, first.style.name) == (PARAGRAPHS[0], "Normal")
    body = first.style.paragraph_format
    assert (body.first_line_indent, body.line_spacing) == (Pt(21), 1.5)
    assert document.paragraphs[-1].text == parts.source_line


def test_docx_names_east_asian_fonts_in_the_styles_and_defaults(parts):
    document = open_docx(docx_bytes(parts))

    def east_asian(rpr) -> str:
        return rpr.rFonts.get(qn("w:eastAsia"))

    defaults = document.styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr")[0]
    assert east_asian(defaults) == "Noto Serif CJK SC"
    assert east_asian(document.styles["Normal"].element.rPr) == "Noto Serif CJK SC"
    assert east_asian(document.styles["标题"].element.rPr) == "Noto Sans CJK SC"
    assert defaults.rFonts.get(qn("w:eastAsiaTheme")) is None


def test_docx_puts_the_fact_box_in_a_shaded_single_cell_table(parts):
    document = open_docx(docx_bytes(parts))
    (table,) = document.tables
    (cell,) = table._cells
    heading, *facts = cell.paragraphs
    assert (heading.text, heading.style.name) == (
        "知识链接：流感疫苗接种小贴士",
        "知识卡片标题",
    )
    assert [p.text for p in facts] == [f"· {fact}" for fact in FACTS]
    shading = cell._tc.tcPr.find(qn("w:shd"))
    assert shading.get(qn("w:fill")) == "F2EFE6"


def test_docx_is_a4_with_core_properties(parts):
    document = open_docx(docx_bytes(parts))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    properties = document.core_properties
    assert properties.title == parts.title
    assert properties.author == parts.byline
    assert properties.subject == "《求证·科学》"


def test_nitf_carries_head_body_and_fact_box(parts):
    page = FakePage(first_published_at=datetime(2026, 9, 17, 7, 30, tzinfo=BEIJING))
    root = parse_nitf(nitf_bytes(parts, page))
    assert root.tag == "nitf"
    assert root.get("version") == "-//IPTC//DTD NITF 3.6//EN"
    assert root.findtext("head/title") == parts.title
    assert root.find("head/docdata/doc-id").get("id-string") == "42"
    assert root.find("head/docdata/date.issue").get("norm") == "20260917T073000+0800"
    assert root.find("head/pubdata").attrib == {
        "type": "print",
        "name": "《求证·科学》",
    }
    assert root.findtext("body/body.head/hedline/hl1") == parts.title
    assert root.findtext("body/body.head/byline") == parts.byline
    assert root.findtext("body/body.head/abstract/p") == parts.standfirst
    assert [p.text for p in root.findall("body/body.content/p")] == PARAGRAPHS
    block = root.find("body/body.content/block")
    assert block.findtext("hl2") == "知识链接：流感疫苗接种小贴士"
    assert [li.text for li in block.findall("ul/li")] == FACTS
    assert root.findtext("body/body.end/tagline") == parts.source_line


def test_nitf_issue_date_defaults_to_now_in_beijing_time(parts):
    root = parse_nitf(nitf_bytes(parts, FakePage()))
    norm = root.find("head/docdata/date.issue").get("norm")
    assert re.fullmatch(r"\d{8}T\d{6}\+0800", norm)


def test_nitf_of_a_published_article_page(make_article):
    page = make_article(
        body=[
            (
                "paragraph",
                "<p>免疫系统像一支训练有素的队伍。</p><p>疫苗是它的演习。</p>",
            ),
            ("fact_box", {"title": "小知识", "facts": ["接种后留观三十分钟"]}),
        ]
    )
    parts = article_parts(
        page, NewspaperSpec(byline_format="文／{author}"), "《求证·科学》"
    )
    root = parse_nitf(nitf_bytes(parts, page))
    assert root.find("head/docdata/doc-id").get("id-string") == str(page.pk)
    issued = page.first_published_at.astimezone(BEIJING).strftime("%Y%m%dT%H%M%S")
    assert root.find("head/docdata/date.issue").get("norm") == f"{issued}+0800"
    assert root.findtext("body/body.head/byline") == "文／李青"
    assert [p.text for p in root.findall("body/body.content/p")] == [
        "免疫系统像一支训练有素的队伍。",
        "疫苗是它的演习。",
    ]
    assert root.findtext("body/body.end/tagline").startswith(
        "来源：省科协　审核专家：周明"
    )


def test_proof_html_is_a_self_contained_chinese_page(parts):
    html = proof_html(parts)
    assert '<html lang="zh-Hans">' in html
    assert f"<h1>{parts.title}</h1>" in html
    assert '<aside class="facts">' in html
    assert not re.search(r"https?:|src=|url\(|<link", html)


def test_proof_html_escapes_the_copy(make_parts):
    html = proof_html(make_parts(title="<script>alert(1)</script>", byline='"李青"'))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_pdf_proof_shows_the_chinese_title_and_body(proof_pdf):
    text = re.sub(r"\s", "", pdf_text(proof_pdf))
    assert "老人为什么每年都要打流感疫苗" in text
    assert "接种流感疫苗，是目前预防流感最经济、最有效的办法。" in text
    assert "知识链接：流感疫苗接种小贴士" in text


def test_pdf_proof_embeds_its_cjk_fonts(proof_pdf):
    rows = [line.split() for line in run("pdffonts", proof_pdf).splitlines()[2:]]
    assert rows
    assert all(row[-5] == "yes" for row in rows)  # emb, before sub uni object ID
    names = [row[0] for row in rows]
    assert any("Noto-Serif-CJK-SC" in name for name in names)
    assert any("Noto-Sans-CJK-SC-Bold" in name for name in names)


def test_a_uyghur_paragraph_goes_into_every_output(make_parts, tmp_path):
    parts = make_parts(paragraphs=[PARAGRAPHS[0], UYGHUR])
    text = plain_text(parts)
    assert text.encode("gb18030").decode("gb18030") == text
    assert open_docx(docx_bytes(parts)).paragraphs[4].text == UYGHUR
    root = parse_nitf(nitf_bytes(parts, FakePage()))
    assert root.findall("body/body.content/p")[1].text == UYGHUR
    assert f'<p dir="rtl">{UYGHUR}</p>' in proof_html(parts)
    (tmp_path / "proof.pdf").write_bytes(pdf_bytes(parts))
    assert "زۇكام" in pdf_text(tmp_path / "proof.pdf")


def test_control_characters_pasted_from_word_are_dropped(make_parts):
    parts = make_parts(title="流感\x0b疫苗", paragraphs=["第一段\x0c。", "\x0b"])
    assert plain_text(parts).startswith("流感疫苗\n")
    assert open_docx(docx_bytes(parts)).paragraphs[0].text == "流感疫苗"
    root = parse_nitf(nitf_bytes(parts, FakePage()))
    assert [p.text for p in root.findall("body/body.content/p")] == ["第一段。"]
    assert "\x0b" not in proof_html(parts)


# Subheadings ----------------------------------------------------------------------

SUBHEAD = Subheading("万一起火怎么办")


def lines_of(path: Path) -> list[dict]:
    """Each text line of the PDF with its page and box (pdftotext -bbox-layout)."""
    tree = etree.fromstring(run("pdftotext", "-bbox-layout", path, "-").encode())
    found = []
    for number, page in enumerate(tree.iter("{*}page"), start=1):
        for line in page.iter("{*}line"):
            words = "".join(word.text or "" for word in line.iter("{*}word"))
            box = {key: float(line.get(key)) for key in ("xMin", "yMin", "yMax")}
            found.append({"page": number, "text": words, **box})
    return found


def text_follows_in_its_column(path: Path, heading: str) -> bool:
    """A line of text right below the heading, in its column (within two
    lines' height: not the page's footer)."""
    lines = lines_of(path)
    [head] = [line for line in lines if line["text"] == heading]
    return any(
        line["page"] == head["page"]
        and 0 <= line["yMin"] - head["yMax"] < 2 * (head["yMax"] - head["yMin"])
        and abs(line["xMin"] - head["xMin"]) < 25
        for line in lines
    )


def test_a_subheading_is_set_as_one_in_every_document(make_parts):
    parts = make_parts(paragraphs=[PARAGRAPHS[0], SUBHEAD, *PARAGRAPHS[1:]])
    assert "<h2>万一起火怎么办</h2>" in proof_html(parts)
    [paragraph] = [
        p for p in open_docx(docx_bytes(parts)).paragraphs if p.text == SUBHEAD
    ]
    assert paragraph.style.name == "小标题"
    assert paragraph.paragraph_format.keep_with_next
    nitf = parse_nitf(nitf_bytes(parts, FakePage()))
    assert nitf.find(".//body.content/hl2").text == SUBHEAD
    assert "\n\n万一起火怎么办\n\n" in plain_text(parts)  # not indented


@pytest.mark.parametrize("lead", [440, 460])
def test_a_subheading_is_never_left_at_the_foot_of_a_column(make_parts, tmp_path, lead):
    """A lead paragraph of 460 字 brings the heading to the foot of the first
    column (set as a paragraph, it stayed there); of 440, one line above."""
    paragraphs = ["科" * lead, SUBHEAD, *PARAGRAPHS]
    path = tmp_path / "proof.pdf"
    path.write_bytes(pdf_bytes(make_parts(paragraphs=paragraphs)))
    assert text_follows_in_its_column(path, SUBHEAD)


def right_to_left(paragraph) -> tuple[bool, bool]:
    """(the paragraph is w:bidi, every run is w:rtl)"""
    runs = paragraph._p.xpath("w:r")
    return (
        bool(paragraph._p.xpath("w:pPr/w:bidi")),
        bool(runs) and all(run.xpath("w:rPr/w:rtl") for run in runs),
    )


def test_uyghur_paragraphs_run_right_to_left_in_the_docx(make_parts):
    """Marked w:bidi with w:rtl runs, in the body and in a fact box; Chinese
    ones, and Chinese quoting Uyghur, are not; Uyghur quoting a number or a
    Chinese name still is; Arabic-script runs have an Arabic face."""
    quoting = f"维吾尔语写作“{UYGHUR}”。"
    with_number = f"{UYGHUR} 2026 يىل «新冠»"
    parts = make_parts(
        paragraphs=[PARAGRAPHS[0], UYGHUR, quoting, with_number],
        fact_boxes=[("ساقلىنىش", [UYGHUR, "接种后留观30分钟"])],
    )
    document = open_docx(docx_bytes(parts))
    marked = {p.text: right_to_left(p) for p in document.paragraphs if p.text}
    assert marked[UYGHUR] == marked[with_number] == (True, True)
    assert marked[PARAGRAPHS[0]] == marked[quoting] == (False, False)
    box = {p.text: right_to_left(p) for p in document.tables[0].cell(0, 0).paragraphs}
    assert box["ساقلىنىش"] == box[f"· {UYGHUR}"] == (True, True)
    assert box["· 接种后留观30分钟"] == (False, False)
    fonts = document.styles.element.xpath("w:style/w:rPr/w:rFonts/@w:cs")
    assert set(fonts) == {"Noto Naskh Arabic", "Noto Sans Arabic"}
