"""A paper that printed an item gets a 更正启事 on its next issue when the item
is corrected, and its desk a 撤稿通知 at once when it is withdrawn: text in
UTF-8 and GB 18030, DOCX and NITF, delivered by the queue like any package."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from docx import Document
from lxml import etree

from channels.advisories import next_issue
from channels.models import AdvisoryRecipient, Placement
from channels.queue import enqueue_due_placements
from cms.advisories import Advisory, withdraw
from tests.conftest import make_due


@pytest.fixture
def paper(make_outlet, tmp_path):
    return make_outlet(
        "newspaper",
        name="求证·科学",
        organisation="吉林日报",
        spec={"target_chars": 30, "tolerance": 10, "page_label": "第7版"},
        cadence="weekly",
        cadence_weekdays=[1, 2, 3, 4, 5, 6, 7],
        cadence_time="05:00",
        delivery="folder",
        delivery_target=str(tmp_path / "desk"),
    )


@pytest.fixture
def printed_article(make_article, paper, make_placement):
    body = [("paragraph", "<p>台风来临前，家中要储备三天的饮用水，并检查门窗。</p>")]
    article = make_article(title="台风来了怎么办", standfirst="防台常识", body=body)
    placement = make_placement(article, paper)
    make_due(placement)
    enqueue_due_placements(timezone.now())
    placement.refresh_from_db()
    assert placement.status == "delivered", placement.error
    return article, placement


def notice_files(tmp_path, advisory: Advisory) -> dict:
    files = {}
    for path in (tmp_path / "desk").rglob(f"*-{advisory.pk}.*"):
        files[path.name.split(".", 1)[1]] = path.read_bytes()
    return files


def deliver_notice(advisory: Advisory) -> Placement:
    placement = Placement.objects.get(advisory=advisory)
    make_due(placement)
    enqueue_due_placements(timezone.now())
    placement.refresh_from_db()
    return placement


def test_a_correction_plans_a_correction_notice_on_the_next_issue(
    printed_article,
    paper,
    review_and_publish,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    article, original = printed_article
    article.corrections = [
        ("correction", {"wrong": "储备三天的饮用水", "right": "储备七天的饮用水"})
    ]
    with django_capture_on_commit_callbacks(execute=True):
        review_and_publish(article)

    advisory = Advisory.objects.get()
    notice = Placement.objects.get(advisory=advisory)
    assert notice.outlet == paper and notice.status == "planned"
    assert notice.scheduled_at == next_issue(paper, advisory.at)
    assert timezone.localtime(notice.scheduled_at).hour == 5
    [row] = AdvisoryRecipient.objects.filter(advisory=advisory, channel="newspaper")
    assert row.placement == notice and row.state == "pending"

    assert deliver_notice(advisory).status == "delivered"
    row.refresh_from_db()
    assert row.state == "delivered"

    files = notice_files(tmp_path, advisory)
    assert sorted(files) == ["docx", "gb18030.txt", "nitf.xml", "utf8.txt"]
    text = files["utf8.txt"].decode("utf-8")
    assert files["gb18030.txt"].decode("gb18030") == text
    day = timezone.localtime(original.scheduled_at)
    assert text.startswith("更正启事\n")
    assert (
        f"本报{day.month}月{day.day}日第7版刊发的《台风来了怎么办》一文中，"
        "“储备三天的饮用水”应为“储备七天的饮用水”。特此更正。"
    ) in text

    document = Document(io.BytesIO(files["docx"]))
    lines = [paragraph.text for paragraph in document.paragraphs]
    assert lines[0] == "更正启事"
    assert "特此更正。" in lines[1]
    assert document.core_properties.title == "更正启事：台风来了怎么办"

    root = etree.fromstring(files["nitf.xml"])
    assert root.get("version") == "-//IPTC//DTD NITF 3.6//EN"
    [docdata] = root.findall("head/docdata")
    assert docdata.get("management-status") == "usable"
    assert docdata.get("management-doc-idref") == str(article.pk)
    assert docdata.find("correction").get("id-string") == str(article.pk)
    assert docdata.find("ed-msg").get("msg-type") == "correction"
    assert "储备七天的饮用水" in docdata.find("ed-msg").get("info")
    assert docdata.find("doc-id").get("id-string") != str(article.pk)
    assert root.findtext("body/body.head/hedline/hl1") == "更正启事"


def test_a_withdrawal_sends_the_desk_a_kill_notice_within_a_minute(
    printed_article, paper, reviewer, tmp_path, django_capture_on_commit_callbacks
):
    article, _original = printed_article
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(article, reason="数据来源有误", user=reviewer)

    advisory = Advisory.objects.get()
    notice = Placement.objects.get(advisory=advisory)
    assert notice.scheduled_at <= timezone.now()
    assert notice.display_title == "撤稿通知：台风来了怎么办"
    assert enqueue_due_placements(timezone.now() + timedelta(minutes=1)) == 1
    notice.refresh_from_db()
    assert notice.status == "delivered", notice.error
    row = AdvisoryRecipient.objects.get(advisory=advisory, channel="newspaper")
    assert row.state == "delivered"

    files = notice_files(tmp_path, advisory)
    text = files["gb18030.txt"].decode("gb18030")
    assert text.startswith("撤稿通知\n")
    assert "吉林日报《求证·科学》编辑：" in text
    assert "《台风来了怎么办》一文已由供稿方撤回，原因：数据来源有误。" in text
    assert "请勿再刊用" in text
    root = etree.fromstring(files["nitf.xml"])
    docdata = root.find("head/docdata")
    assert docdata.get("management-status") == "canceled"
    assert docdata.get("management-idref-status") == "canceled"
    assert docdata.get("management-doc-idref") == str(article.pk)
    assert docdata.find("ed-msg").get("msg-type") == "kill"
    assert docdata.find("correction") is None
    assert Document(io.BytesIO(files["docx"])).paragraphs[0].text == "撤稿通知"
