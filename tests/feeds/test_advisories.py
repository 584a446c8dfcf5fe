"""更正 and 撤回 in the feeds: a corrected item carries its 更正说明 (newest
first, dated by its advisories) in every format with its time of change
moved and its GUID kept; a withdrawn item leaves every format, and atom.xml
carries an RFC 6721 tombstone for it for 30 days in each feed that held it;
validators change with every advisory."""

import json
import uuid
from datetime import datetime, timedelta

import feedparser
import pytest
from django.utils import timezone
from freezegun import freeze_time
from lxml import etree

from cms.advisories import Advisory, withdraw
from cms.snippets import Topic
from feeds.formats import TOMBSTONES_NS
from feeds.models import FeedGeneration
from tests.conftest import make_due
from tests.feeds.fixtures import FEED_FORMATS

ATOM_NS = "http://www.w3.org/2005/Atom"
HOUR = timedelta(hours=1)
STRICT = etree.XMLParser(recover=False, resolve_entities=False, no_network=True)


def correct(page, review_and_publish, wrong: str, right: str):
    """A reviewed revision adding a correction note above the earlier ones."""
    note = {
        "type": "correction",
        "value": {"wrong": wrong, "right": right},
        "id": str(uuid.uuid4()),
    }
    page.corrections = [note, *page.corrections.raw_data]
    return review_and_publish(page)


@pytest.fixture
def held_items(make_feed, make_article, make_video, make_audio_episode):
    """One item of each kind, so that every format lists one of them."""
    pages = {
        "article": make_article(),
        "video": make_video(),
        "episode": make_audio_episode(1),
    }
    return make_feed("all"), pages


FORMAT_PAGE = {"podcast.xml": "episode", "mrss.xml": "video"}


def item_in(client, name: str, guid: str) -> dict | None:
    """(content, updated) of one item of a format, or None when absent."""
    response = client.get(f"/feeds/all/{name}")
    assert response.status_code == 200
    if name == "feed.json":
        for item in json.loads(response.content)["items"]:
            if item["id"] == guid:
                return {
                    "content": item.get("content_html", ""),
                    "text": item["content_text"],
                    "updated": datetime.fromisoformat(item["date_modified"]),
                }
        return None
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    for entry in parsed.entries:
        if entry.id == guid:
            content = entry.get("content", [{"value": ""}])[0]["value"]
            return {
                "content": content,
                "text": content,
                "updated": updated_of(etree.fromstring(response.content, STRICT), guid),
            }
    return None


def updated_of(root, guid: str) -> datetime | None:
    """Atom's <updated> of the entry, or RSS's <atom:updated> of the item
    (None when an uncorrected RSS item has none)."""
    for entry in root.iter(f"{{{ATOM_NS}}}entry", "item"):
        if guid in (entry.findtext(f"{{{ATOM_NS}}}id"), entry.findtext("guid")):
            text = entry.findtext(f"{{{ATOM_NS}}}updated")
            return datetime.fromisoformat(text) if text else None
    raise AssertionError(guid)


@pytest.mark.parametrize("name", FEED_FORMATS)
def test_a_corrected_item_carries_its_notes_newest_first_in_every_format(
    client, held_items, review_and_publish, django_capture_on_commit_callbacks, name
):
    _feed, pages = held_items
    page = pages[FORMAT_PAGE.get(name, "article")]
    guid = f"urn:kepu:page:{page.pk}"
    before = item_in(client, name, guid)
    assert "更正说明" not in before["content"]

    with django_capture_on_commit_callbacks(execute=True):
        correct(page, review_and_publish, "三天的水", "七天的水")
    week_ago = timezone.now() - timedelta(days=7)
    Advisory.objects.update(at=week_ago)  # the first correction, a week back
    with django_capture_on_commit_callbacks(execute=True):
        correct(page, review_and_publish, "每人一升", "每人三升")
    latest = Advisory.objects.order_by("-at").first()

    after = item_in(client, name, guid)
    assert after is not None, "a corrected item keeps its GUID"
    content = after["content"]
    assert "更正说明" in content and "更正说明" in after["text"]
    assert content.index("每人三升") < content.index("七天的水"), "newest first"
    assert f"{timezone.localtime(week_ago):%Y-%m-%d}" in content
    assert after["updated"] == latest.at  # RSS items say it in atom:updated
    page.refresh_from_db()
    assert latest.at > page.last_published_at


def test_rss_items_give_the_correction_time_as_atom_updated(
    client, held_items, review_and_publish, django_capture_on_commit_callbacks
):
    _feed, pages = held_items
    with django_capture_on_commit_callbacks(execute=True):
        correct(pages["article"], review_and_publish, "错", "对")
    advisory = Advisory.objects.get()
    root = etree.fromstring(client.get("/feeds/all/rss.xml").content, STRICT)
    guid = f"urn:kepu:page:{pages['article'].pk}"
    [item] = [i for i in root.iter("item") if i.findtext("guid") == guid]
    updated = datetime.fromisoformat(item.findtext(f"{{{ATOM_NS}}}updated"))
    assert updated == advisory.at
    assert root.find(".//item/guid").text.startswith("urn:kepu:page:")


@pytest.mark.parametrize("name", FEED_FORMATS)
def test_a_withdrawn_item_leaves_every_format(
    client, held_items, django_capture_on_commit_callbacks, name
):
    _feed, pages = held_items
    page = pages[FORMAT_PAGE.get(name, "article")]
    guid = f"urn:kepu:page:{page.pk}"
    assert item_in(client, name, guid) is not None
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(page, reason="数据有误")
    assert item_in(client, name, guid) is None


def tombstones_of(body: bytes) -> list[etree._Element]:
    root = etree.fromstring(body, STRICT)  # raises on any ill-formed byte
    assert root.tag == f"{{{ATOM_NS}}}feed"
    return root.findall(f"{{{TOMBSTONES_NS}}}deleted-entry")


def test_atom_carries_a_tombstone_for_the_withdrawn_item_for_30_days(
    client, make_feed, make_article, django_capture_on_commit_callbacks
):
    make_feed("all")
    other_topic = Topic.objects.create(name="天文", slug="astronomy")
    make_feed("stars", topics=[other_topic])
    article = make_article()
    before = etree.fromstring(client.get("/feeds/all/atom.xml").content, STRICT)
    [entry] = before.findall(f"{{{ATOM_NS}}}entry")
    atom_id = entry.findtext(f"{{{ATOM_NS}}}id")
    assert tombstones_of(client.get("/feeds/all/atom.xml").content) == []

    with django_capture_on_commit_callbacks(execute=True):
        withdraw(article, reason="专家指出结论过时")
    withdrawal = Advisory.objects.get(kind="withdrawal")

    body = client.get("/feeds/all/atom.xml").content
    [tombstone] = tombstones_of(body)
    assert tombstone.get("ref") == atom_id
    when = datetime.fromisoformat(tombstone.get("when"))
    assert when.tzinfo is not None and abs(when - withdrawal.at) < timedelta(seconds=1)
    assert tombstone.findtext(f"{{{TOMBSTONES_NS}}}comment") == "专家指出结论过时"
    assert etree.fromstring(body, STRICT).findall(f"{{{ATOM_NS}}}entry") == []
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.entries == []
    assert tombstones_of(client.get("/feeds/stars/atom.xml").content) == []

    with freeze_time(withdrawal.at + timedelta(days=29)):
        assert len(tombstones_of(client.get("/feeds/all/atom.xml").content)) == 1
    with freeze_time(withdrawal.at + timedelta(days=30, seconds=1)):
        assert tombstones_of(client.get("/feeds/all/atom.xml").content) == []


def test_an_item_published_again_has_no_tombstone(
    client, make_feed, make_article, review_and_publish
):
    make_feed("all")
    article = make_article()
    withdraw(article, reason="核实中")
    assert len(tombstones_of(client.get("/feeds/all/atom.xml").content)) == 1
    review_and_publish(article)
    assert tombstones_of(client.get("/feeds/all/atom.xml").content) == []


def test_an_outlet_feed_has_a_tombstone_only_for_an_item_it_held(
    client, make_feed, make_article, make_outlet, make_placement
):
    outlet = make_outlet()
    make_feed("paper", outlets=[outlet])
    held, never_held = make_article(), make_article(title="火山")
    make_due(make_placement(held, outlet))
    make_placement(never_held, outlet, scheduled_at=timezone.now() + HOUR)
    withdraw(held, reason="撤")
    withdraw(never_held, reason="撤")  # before its placement came due
    with freeze_time(timezone.now() + 2 * HOUR):
        body = client.get("/feeds/paper/atom.xml").content
    refs = [tombstone.get("ref") for tombstone in tombstones_of(body)]
    assert refs == [f"urn:kepu:page:{held.pk}"]


@pytest.mark.parametrize("action", ["correct", "withdraw"])
def test_an_advisory_changes_the_feed_validators(
    client,
    held_items,
    review_and_publish,
    django_capture_on_commit_callbacks,
    action,
):
    _feed, pages = held_items
    first = client.get("/feeds/all/atom.xml")
    etag = first["ETag"]
    assert client.get("/feeds/all/atom.xml", HTTP_IF_NONE_MATCH=etag).status_code == 304
    generation = FeedGeneration.objects.first()
    value = generation.value if generation else 0
    with django_capture_on_commit_callbacks(execute=True):
        if action == "correct":
            correct(pages["article"], review_and_publish, "错", "对")
        else:
            withdraw(pages["article"], reason="撤")
    assert FeedGeneration.objects.get().value > value, "the advisory bumps it"
    again = client.get("/feeds/all/atom.xml", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200 and again["ETag"] != etag
