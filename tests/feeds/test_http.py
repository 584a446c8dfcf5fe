"""HTTP behaviour of the feeds: conditional GET, cache headers, and a cache
that never serves a stale feed: publish, unpublish, expiry, placements coming
due, moves and scheduled publishing by the worker all show at once; queries
stay constant."""

from datetime import timedelta
from types import SimpleNamespace

import feedparser
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import Revision

from channels.models import Placement
from cms import generations
from cms.pages import ArticlePage, ContentIndexPage
from cms.scheduling import publish_due_revisions
from feeds.models import FeedDefinition

RSS = "/feeds/all/rss.xml"


def titles(client, url: str = RSS) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    return [entry.title for entry in feedparser.parse(response.content).entries]


def test_etag_and_last_modified_answer_conditional_requests(
    client, make_feed, make_article
):
    make_feed()
    make_article(title="第一篇")
    first = client.get(RSS)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('"') and modified.endswith("GMT")
    assert first["Cache-Control"] == "public, max-age=30"
    again = client.get(RSS, headers={"If-None-Match": etag})
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", etag)
    since = client.get(RSS, headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    make_article(title="第二篇")
    changed = client.get(RSS, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag
    head = client.head(RSS)
    assert head.status_code == 200 and head["ETag"] == changed["ETag"]


def test_an_unchanged_feed_keeps_its_etag_across_unrelated_changes(
    client, make_feed, make_article, topic
):
    make_feed("health", topics=[topic])
    make_article(title="健康")
    etag = client.get("/feeds/health/rss.xml")["ETag"]
    make_feed("other", content_types=["video"])  # bumps the generation
    response = client.get("/feeds/health/rss.xml", headers={"If-None-Match": etag})
    assert response.status_code == 304


def test_published_and_unpublished_items_show_at_once(client, make_feed, make_article):
    make_feed()
    kept = make_article(title="保留")
    assert titles(client) == ["保留"]
    later = make_article(title="新发布")
    assert titles(client) == ["新发布", "保留"]
    later.unpublish()
    assert titles(client) == ["保留"]
    ArticlePage.objects.filter(pk=kept.pk).update(
        expire_at=timezone.now() - timedelta(seconds=1)
    )  # expired, the scheduler has not unpublished it yet; no signal, no log
    assert titles(client) == []


def test_scheduled_publishing_by_the_worker_shows_at_once(
    client, make_feed, make_article
):
    make_feed()
    make_article(title="定时发布", go_live_at=timezone.now() + timedelta(hours=1))
    assert titles(client) == []
    past = timezone.now() - timedelta(seconds=1)
    revision = Revision.objects.get(approved_go_live_at__isnull=False)
    revision.content["go_live_at"] = past.isoformat()
    revision.approved_go_live_at = past
    revision.save()  # as if an hour had passed
    assert titles(client) == []  # due, but not yet published by the worker
    assert publish_due_revisions(timezone.now()) == 1
    assert titles(client) == ["定时发布"]


def test_placements_coming_due_or_deleted_change_the_feed(
    client, make_feed, make_article, make_outlet, make_placement
):
    outlet = make_outlet("feeds", name="合作网站")
    make_feed("relay", outlets=[outlet])
    page = make_article(title="排期稿")
    ArticlePage.objects.update(first_published_at=timezone.now() - timedelta(days=1))
    placement = make_placement(page, outlet)
    url = "/feeds/relay/rss.xml"
    assert titles(client, url) == []
    Placement.objects.filter(pk=placement.pk).update(
        scheduled_at=timezone.now() - timedelta(seconds=1)
    )  # came due: no save, no signal
    assert titles(client, url) == ["排期稿"]
    placement.delete()
    assert titles(client, url) == []


def test_moves_and_feed_edits_show_at_once(client, home, make_feed, make_article):
    feed = make_feed()
    page = make_article(title="会搬家")
    [before] = feedparser.parse(client.get(RSS).content).entries
    section = home.add_child(instance=ContentIndexPage(title="新栏目", slug="moved"))
    page.move(section, pos="last-child")
    [after] = feedparser.parse(client.get(RSS).content).entries
    assert after.id == before.id and "/moved/" in after.link
    feed.title = "改名的订阅源"
    feed.save()
    assert feedparser.parse(client.get(RSS).content).feed.title == "改名的订阅源"
    feed.active = False
    feed.save()
    assert client.get(RSS).status_code == 404
    FeedDefinition.objects.filter(pk=feed.pk).delete()
    make_feed(title="同名新订阅源")
    assert feedparser.parse(client.get(RSS).content).feed.title == "同名新订阅源"


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_queries_are_constant_uncached_and_few_cached(
    client, make_feed, make_article, make_video, make_audio_episode
):
    make_feed(item_count=100)
    make_video()
    make_audio_episode(1)
    for n in range(3):
        make_article(title=f"文章{n}")
    cache.clear()
    five = count_queries(client, RSS)
    for n in range(25):
        make_article(title=f"更多{n}")
    cache.clear()
    thirty = count_queries(client, RSS)
    assert len(titles(client)) == 30
    assert thirty == five
    assert count_queries(client, RSS) == 1  # cached: the fingerprint


@pytest.mark.parametrize("name", ["rss.xml", "feed.json", "podcast.xml"])
def test_cached_feed_costs_one_query(
    client, make_feed, make_article, django_assert_num_queries, name
):
    make_feed()
    make_article()
    client.get(f"/feeds/all/{name}")
    with django_assert_num_queries(1):
        assert client.get(f"/feeds/all/{name}").status_code == 200


def test_under_load_a_process_reads_the_fingerprint_once_a_second(
    client, make_feed, make_article, settings, monkeypatch, django_assert_num_queries
):
    settings.FEEDS_FINGERPRINT_SECONDS = 1
    clock = SimpleNamespace(now=1_000_000.0)
    monkeypatch.setattr(generations.time, "monotonic", lambda: clock.now)
    make_feed()
    make_article(title="旧稿")
    client.get(RSS)
    clock.now += 1  # the fingerprint that request read is a second old
    client.get(RSS)
    with django_assert_num_queries(0):
        assert client.get(RSS).status_code == 200
    make_article(title="新稿")
    clock.now += 0.9
    assert "新稿" not in titles(client)  # within the second
    clock.now += 0.1
    assert "新稿" in titles(client)


def test_unknown_inactive_and_unsupported_feeds_are_404(client, make_feed):
    make_feed("off", active=False)
    for url in ("/feeds/nope/rss.xml", "/feeds/off/rss.xml", "/feeds/off/x.xml"):
        response = client.get(url)
        assert response.status_code == 404
        assert response["Cache-Control"] == "no-store"
    assert client.post("/feeds/all/rss.xml").status_code == 405


def test_the_feed_cover_answers_a_revalidation_with_304(client, make_feed):
    make_feed("all")
    first = client.get("/feeds/all/cover.png")
    assert first.status_code == 200 and first["Last-Modified"] and first["ETag"]
    again = client.get("/feeds/all/cover.png", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert again["Cache-Control"] == "public, max-age=86400"
