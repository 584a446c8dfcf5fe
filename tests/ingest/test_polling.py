"""Polling upstream feeds into drafts: RSS 2.0, Atom and JSON Feed upstreams,
the conditional GET round trip, de-duplication by GUID and by link, drafts
that credit their source and never go live by themselves, and the scheduler
job that claims due feeds."""

from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cms.pages import ArticlePage, ColumnEpisodePage, visible_pages
from cms.review import ReviewNotApproved
from cms.scheduling import tick
from ingest.models import IngestedEntry, UpstreamFeed
from ingest.tasks import poll_due_feeds, poll_feed
from tests.ingest.fixtures import atom, json_feed, rss

PUBLISHED = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)
LAST_MODIFIED = "Fri, 01 May 2026 08:30:00 GMT"
FLU = {
    "title": "流感疫苗每年都要打吗",
    "link": "https://upstream.example/a/flu",
    "guid": "kepu-flu-1",
    "description": "<p>流感病毒每年都在变。</p>",
    "content": "<p>流感病毒容易变异，<strong>每年</strong>都要接种。</p>",
    "published": PUBLISHED,
    "author": "张医生",
}
HEAT = {
    "title": "高温天气如何防中暑",
    "link": "https://upstream.example/a/heat",
    "guid": "kepu-heat-1",
    "description": "<p>多喝水，避开正午。</p>",
    "published": PUBLISHED - timedelta(days=1),
}


def drafts_of(feed: UpstreamFeed) -> list:
    entries = feed.entries.filter(duplicate=False).order_by("pk")
    return [entry.page.specific for entry in entries.select_related("page")]


def test_rss_item_becomes_a_credited_draft_article(
    upstream, make_upstream_feed, articles_index, topic
):
    feed = make_upstream_feed(upstream.answer("/rss.xml", rss([FLU])))

    assert poll_feed.call(feed.pk) == "ok"

    [page] = drafts_of(feed)
    assert isinstance(page, ArticlePage)
    assert page.get_parent().pk == articles_index.pk
    assert (page.title, page.author, page.source_credit) == (
        "流感疫苗每年都要打吗",
        "张医生",
        "科普中国",
    )
    assert page.standfirst == "流感病毒每年都在变。"
    assert list(page.topics.all()) == [topic]
    paragraph, references = page.body
    assert paragraph.value.source == "<p>流感病毒容易变异，<b>每年</b>都要接种。</p>"
    [original] = references.value
    assert original["title"] == "原文：流感疫苗每年都要打吗（2026-05-01 16:30 发布）"
    assert original["publisher"] == "科普中国"
    assert original["url"] == FLU["link"]
    entry = IngestedEntry.objects.get(feed=feed)
    assert (entry.guid, entry.link, entry.published_at) == (
        "kepu-flu-1",
        FLU["link"],
        PUBLISHED,
    )


def test_draft_is_saved_as_a_revision_and_never_live(upstream, make_upstream_feed):
    feed = make_upstream_feed(upstream.answer("/rss.xml", rss([FLU])))
    poll_feed.call(feed.pk)

    [page] = drafts_of(feed)
    assert not page.live and page.has_unpublished_changes
    assert page.first_published_at is None
    assert page.latest_revision.as_object().title == page.title
    assert not visible_pages().filter(pk=page.pk).exists()


def test_draft_goes_live_only_through_the_review_workflow(
    upstream, make_upstream_feed, expert, review_and_publish
):
    feed = make_upstream_feed(upstream.answer("/rss.xml", rss([FLU])))
    poll_feed.call(feed.pk)
    [page] = drafts_of(feed)

    with pytest.raises(ValidationError, match="请选择审核专家"):
        page.save_revision()  # the editor must name the reviewer of record
    page.reviewing_expert = expert
    with pytest.raises(ReviewNotApproved):
        page.save_revision().publish()
    assert not type(page).objects.get(pk=page.pk).live

    assert review_and_publish(page).live


def test_drafts_stay_out_of_our_own_feeds_and_site(
    client, upstream, make_upstream_feed, make_article, make_feed
):
    make_article(title="疫苗是怎样起作用的")
    make_feed("all")
    feed = make_upstream_feed(upstream.answer("/rss.xml", rss([FLU, HEAT])))
    poll_feed.call(feed.pk)

    ours = feedparser.parse(client.get("/feeds/all/rss.xml").content)
    titles = [entry.title for entry in ours.entries]
    assert titles == ["疫苗是怎样起作用的"]
    for page in drafts_of(feed):
        assert client.get(page.url).status_code == 404


def test_atom_entry_becomes_a_draft(upstream, make_upstream_feed):
    document = atom(
        [
            {
                "id": "tag:upstream.example,2026:quake",
                "title": "地震来了先躲哪里",
                "link": "https://upstream.example/a/quake",
                "published": PUBLISHED,
                "author": "地震局",
                "summary": "伏地、遮挡、手抓牢。",
                "content": "<h1>室内避险</h1><p>躲在坚固的桌子下。</p>",
            }
        ]
    )
    url = upstream.answer("/atom.xml", document, content_type="application/atom+xml")
    feed = make_upstream_feed(url)

    assert poll_feed.call(feed.pk) == "ok"

    [page] = drafts_of(feed)
    assert (page.title, page.author) == ("地震来了先躲哪里", "地震局")
    assert page.standfirst == "伏地、遮挡、手抓牢。"
    assert page.body[0].value.source == "<h2>室内避险</h2><p>躲在坚固的桌子下。</p>"
    assert feed.entries.get().guid == "tag:upstream.example,2026:quake"


def test_json_feed_items_become_drafts_and_bad_items_are_skipped(
    upstream, make_upstream_feed
):
    document = json_feed(
        [
            {
                "id": "https://upstream.example/j/1",
                "url": "https://upstream.example/j/1",
                "title": "北斗导航怎样定位",
                "content_html": "<p>至少需要四颗卫星。</p>",
                "summary": "卫星定位原理。",
                "date_published": "2026-05-01T16:30:00+08:00",
                "authors": [{"name": "孙卓"}],
            },
            {"id": 2, "title": "只有文字", "content_text": "第一段\n\n第二段"},
            {"title": "没有 id", "content_html": "<p>不合规范</p>"},
            {"id": "4", "title": "没有内容"},
        ]
    )
    url = upstream.answer("/feed.json", document, content_type="application/feed+json")
    feed = make_upstream_feed(url)

    assert poll_feed.call(feed.pk) == "ok"

    first, second = sorted(drafts_of(feed), key=lambda page: page.title)
    assert (first.title, first.author, first.standfirst) == (
        "北斗导航怎样定位",
        "孙卓",
        "卫星定位原理。",
    )
    assert first.body[0].value.source == "<p>至少需要四颗卫星。</p>"
    assert feed.entries.get(guid="https://upstream.example/j/1").published_at == (
        PUBLISHED
    )
    assert second.body[0].value.source == "<p>第一段</p><p>第二段</p>"
    assert feed.entries.get(page=second).guid == "2"
    feed.refresh_from_db()
    assert "2 个条目不符合 JSON Feed 规范" in feed.last_warning


def test_json_feed_1_0_author_is_read(upstream, make_upstream_feed):
    item = {
        "id": "a",
        "title": "月相为什么会变",
        "content_html": "<p>日地月的位置。</p>",
        "author": {"name": "省科技馆"},
    }
    url = upstream.answer(
        "/feed.json", json_feed([item], version="1"), content_type="application/json"
    )
    feed = make_upstream_feed(url)
    poll_feed.call(feed.pk)
    assert drafts_of(feed)[0].author == "省科技馆"


@pytest.mark.parametrize(
    "validators",
    [{"etag": '"v1"'}, {"last_modified": LAST_MODIFIED}],
    ids=["etag", "last-modified"],
)
def test_second_poll_is_conditional_and_304_creates_nothing(
    upstream, make_upstream_feed, validators
):
    feed = make_upstream_feed(upstream.answer("/rss.xml", rss([FLU]), **validators))
    poll_feed.call(feed.pk)
    feed.refresh_from_db()
    assert (feed.etag, feed.last_modified) == (
        validators.get("etag", ""),
        validators.get("last_modified", ""),
    )

    assert poll_feed.call(feed.pk) == "not_modified"

    first, second = upstream.headers_sent_to("/rss.xml")
    assert "If-None-Match" not in first and "If-Modified-Since" not in first
    if "etag" in validators:
        assert second["If-None-Match"] == '"v1"'
    else:
        assert second["If-Modified-Since"] == LAST_MODIFIED
    feed.refresh_from_db()
    assert feed.last_status == UpstreamFeed.Status.NOT_MODIFIED
    assert (feed.failures, feed.items_created) == (0, 1)
    assert IngestedEntry.objects.count() == 1
    assert feed.next_poll_at == feed.last_polled_at + timedelta(minutes=30)


def test_entry_seen_before_is_skipped_and_its_edited_draft_kept(
    upstream, make_upstream_feed
):
    feed = make_upstream_feed(upstream.answer("/rss.xml", rss([FLU])))
    poll_feed.call(feed.pk)
    [page] = drafts_of(feed)
    page.title = "编辑改过的标题"
    page.save_revision(clean=False)

    changed = {**FLU, "title": "上游改了标题", "content": "<p>上游改了正文</p>"}
    upstream.answer("/rss.xml", rss([changed, HEAT]))
    poll_feed.call(feed.pk)

    latest = [p.get_latest_revision_as_object() for p in drafts_of(feed)]
    assert [p.title for p in latest] == ["编辑改过的标题", "高温天气如何防中暑"]
    assert "上游改了正文" not in str(latest[0].body)


def test_same_link_under_a_new_guid_is_a_duplicate(upstream, make_upstream_feed):
    feed = make_upstream_feed(upstream.answer("/rss.xml", rss([FLU])))
    poll_feed.call(feed.pk)
    upstream.answer("/rss.xml", rss([{**FLU, "guid": "kepu-flu-moved"}]))

    poll_feed.call(feed.pk)

    [page] = drafts_of(feed)
    copy = feed.entries.get(guid="kepu-flu-moved")
    assert copy.duplicate and copy.page_id == page.pk
    feed.refresh_from_db()
    assert feed.items_created == 1


def test_same_link_twice_in_one_document_makes_one_draft(upstream, make_upstream_feed):
    twice = [FLU, {**FLU, "guid": "kepu-flu-copy"}]
    feed = make_upstream_feed(upstream.answer("/rss.xml", rss(twice)))
    poll_feed.call(feed.pk)
    assert len(drafts_of(feed)) == 1
    assert feed.entries.filter(duplicate=True).count() == 1


def test_same_link_from_another_feed_is_a_duplicate(upstream, make_upstream_feed):
    first = make_upstream_feed(upstream.answer("/a.xml", rss([FLU])))
    second = make_upstream_feed(
        upstream.answer("/b.xml", rss([{**FLU, "guid": "other-id"}])), title="转载源"
    )
    poll_feed.call(first.pk)
    poll_feed.call(second.pk)

    assert ArticlePage.objects.count() == 1
    assert second.entries.get().page_id == drafts_of(first)[0].pk


def test_entries_without_guid_are_keyed_by_link(upstream, make_upstream_feed):
    item = {key: FLU[key] for key in ("title", "link", "description")}
    feed = make_upstream_feed(upstream.answer("/rss.xml", rss([item])))
    poll_feed.call(feed.pk)
    poll_feed.call(feed.pk)
    assert feed.entries.get().guid == FLU["link"]


def test_column_target_gets_numbered_episode_drafts(
    upstream, make_upstream_feed, radio_column, make_episode
):
    make_episode(1)
    feed = make_upstream_feed(
        upstream.answer("/rss.xml", rss([FLU, HEAT])), target=radio_column
    )

    poll_feed.call(feed.pk)

    episodes = ColumnEpisodePage.objects.child_of(radio_column).filter(live=False)
    numbers = dict(episodes.values_list("title", "number"))
    # The feed lists the newest first; the older entry gets the lower number.
    assert numbers == {"高温天气如何防中暑": 2, "流感疫苗每年都要打吗": 3}


def test_long_titles_lose_their_tags_and_are_cut_with_an_ellipsis(
    upstream, make_upstream_feed
):
    long_title = "<b>科普</b> &amp; " + "长" * 300
    item = {**FLU, "title": long_title}
    feed = make_upstream_feed(upstream.answer("/rss.xml", rss([item])))
    poll_feed.call(feed.pk)

    [page] = drafts_of(feed)
    assert len(page.title) == 255
    assert page.title.startswith("科普 & 长") and page.title.endswith("长…")


def test_new_drafts_per_poll_are_capped_and_the_rest_come_next_time(
    upstream, make_upstream_feed, settings
):
    settings.INGEST_MAX_NEW_PER_POLL = 1
    url = upstream.answer("/rss.xml", rss([FLU, HEAT]), etag='"v1"')
    feed = make_upstream_feed(url)

    poll_feed.call(feed.pk)
    assert [p.title for p in drafts_of(feed)] == ["流感疫苗每年都要打吗"]
    feed.refresh_from_db()
    assert feed.etag == "" and "其余 1 条留待下次抓取" in feed.last_warning

    poll_feed.call(feed.pk)
    assert len(drafts_of(feed)) == 2
    assert "If-None-Match" not in upstream.headers_sent_to("/rss.xml")[1]


def test_poll_due_feeds_queues_only_active_feeds_whose_time_has_come(
    upstream, make_upstream_feed
):
    now = timezone.now()
    due = make_upstream_feed(upstream.answer("/due.xml", rss([FLU])))
    later = make_upstream_feed(upstream.answer("/later.xml", rss([HEAT])))
    UpstreamFeed.objects.filter(pk=later.pk).update(next_poll_at=now + timedelta(1))
    make_upstream_feed(upstream.answer("/off.xml", rss([HEAT])), active=False)

    assert poll_due_feeds(now) == 1
    assert poll_due_feeds(now) == 0

    assert [path for path, _headers in upstream.requests] == ["/due.xml"]
    due.refresh_from_db()
    assert due.items_created == 1
    assert due.next_poll_at == due.last_polled_at + timedelta(minutes=30)


def test_the_scheduler_tick_polls_due_feeds(upstream, make_upstream_feed):
    feed = make_upstream_feed(upstream.answer("/rss.xml", rss([FLU])))

    tick("w1", timezone.now())

    feed.refresh_from_db()
    assert feed.items_created == 1
