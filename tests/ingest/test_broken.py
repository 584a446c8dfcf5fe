"""Broken upstream feeds: each failure is recorded in Chinese, the feed backs
off (the wait doubles per failure in a row, capped), 410 switches it off, a
success resets it, and a good feed polled in the same run still ingests.
Also the feeds that are odd but readable: GBK, bozo with entries, redirects."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ingest.fetch import IngestError, fetch
from ingest.models import UpstreamFeed
from ingest.tasks import poll_due_feeds, poll_feed
from tests.ingest.fixtures import rss

GOOD = {
    "title": "防范电信诈骗：接到“公检法”电话怎么办",
    "link": "https://upstream.example/a/fraud",
    "guid": "fraud-1",
    "description": "<p>公检法不会电话办案，不转账。</p>",
}
HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>科普中国</title></head>"
    "<body><p>欢迎访问</p></body></html>"
)
INTERVAL = timedelta(minutes=30)


@pytest.fixture
def small_limits(settings):
    settings.INGEST_DEADLINE_SECONDS = 0.5
    settings.INGEST_MAX_BYTES = 64 * 1024


BROKEN = {
    "garbage": ({"body": b"\x00\x01 not a feed {{{"}, "无法解析订阅源"),
    "not-found": ({"status": 404, "body": "no such feed"}, "HTTP 404"),
    "server-error": ({"status": 503, "body": "busy"}, "HTTP 503"),
    "html": (
        {"body": HTML_PAGE, "content_type": "text/html; charset=utf-8"},
        "返回的是网页而不是订阅源",
    ),
    "html-as-xml": (
        {"body": HTML_PAGE, "content_type": "application/xml"},
        "返回的是网页而不是订阅源",
    ),
    "timeout": ({"body": rss([GOOD]), "delay": 5}, "超时"),
    "stalled-body": ({"body": rss([GOOD]), "stall": 5}, "超时"),
    # A declared length and a byte every 0.2 s: no read ever times out.
    "dripped-body": ({"body": rss([GOOD]), "drip": 0.2}, "超时"),
    "streamed-over-cap": ({"stream_bytes": 1024 * 1024}, "响应超过 64 KB 上限"),
    "declared-over-cap": ({"body": b" " * (100 * 1024)}, "响应超过 64 KB 上限"),
    "bad-json": (
        {"body": "{not json", "content_type": "application/feed+json"},
        "JSON Feed 无法解析",
    ),
    "deep-json": (
        {"body": "[" * 8000 + "]" * 8000, "content_type": "application/feed+json"},
        "JSON Feed 无法解析：JSON 嵌套超过 32 层",
    ),
    "not-json-feed": (
        {"body": '{"items": []}', "content_type": "application/json"},
        "不是 JSON Feed 1.x",
    ),
}


@pytest.mark.parametrize("answer, message", BROKEN.values(), ids=BROKEN.keys())
def test_broken_feed_records_its_error_and_backs_off(
    upstream, make_upstream_feed, small_limits, answer, message
):
    feed = make_upstream_feed(upstream.answer("/feed", **answer))

    assert poll_feed.call(feed.pk) == "error"
    feed.refresh_from_db()
    assert message in feed.last_error
    assert feed.last_status == UpstreamFeed.Status.ERROR
    assert feed.failures == 1 and feed.active
    assert feed.next_poll_at - feed.last_polled_at == 2 * INTERVAL
    assert feed.items_created == 0 and not feed.entries.exists()

    poll_feed.call(feed.pk)
    feed.refresh_from_db()
    assert feed.failures == 2
    assert feed.next_poll_at - feed.last_polled_at == 4 * INTERVAL


def test_gone_feed_is_switched_off_with_the_reason(upstream, make_upstream_feed):
    feed = make_upstream_feed(upstream.answer("/feed", status=410, body="gone"))

    poll_feed.call(feed.pk)

    feed.refresh_from_db()
    assert not feed.active
    assert "410" in feed.last_error and "已停用" in feed.last_error
    assert poll_due_feeds(timezone.now() + timedelta(days=2)) == 0


def test_back_off_is_capped_at_a_day(upstream, make_upstream_feed):
    feed = make_upstream_feed(upstream.answer("/feed", status=500))
    UpstreamFeed.objects.filter(pk=feed.pk).update(failures=9)

    poll_feed.call(feed.pk)

    feed.refresh_from_db()
    assert feed.failures == 10
    assert feed.next_poll_at - feed.last_polled_at == timedelta(hours=24)


def test_success_after_failures_resets_the_back_off(upstream, make_upstream_feed):
    feed = make_upstream_feed(upstream.answer("/feed", status=500))
    poll_feed.call(feed.pk)
    upstream.answer("/feed", rss([GOOD]))

    assert poll_feed.call(feed.pk) == "ok"

    feed.refresh_from_db()
    assert (feed.failures, feed.last_error, feed.items_created) == (0, "", 1)
    assert feed.next_poll_at - feed.last_polled_at == INTERVAL


def test_broken_feeds_do_not_stop_a_good_one_in_the_same_run(
    upstream, make_upstream_feed, small_limits
):
    broken = [
        make_upstream_feed(upstream.answer(f"/{name}", **answer), title=name)
        for name, (answer, _message) in BROKEN.items()
    ]
    good = make_upstream_feed(upstream.answer("/good", rss([GOOD])), title="正常源")

    assert poll_due_feeds(timezone.now()) == len(broken) + 1

    good.refresh_from_db()
    assert (good.items_created, good.failures, good.last_error) == (1, 0, "")
    for feed, (_answer, message) in zip(broken, BROKEN.values(), strict=True):
        feed.refresh_from_db()
        assert message in feed.last_error and feed.failures == 1


@pytest.mark.parametrize(
    "content_type",
    ["application/rss+xml", "application/rss+xml; charset=GBK"],
    ids=["xml-declaration", "http-header"],
)
def test_gbk_feed_comes_out_as_correct_chinese(
    upstream, make_upstream_feed, content_type
):
    body = rss([GOOD], encoding="gbk")
    assert GOOD["title"].encode("gbk") in body
    feed = make_upstream_feed(upstream.answer("/gbk", body, content_type=content_type))

    assert poll_feed.call(feed.pk) == "ok"

    page = feed.entries.get().page.specific
    assert page.title == GOOD["title"]
    assert page.standfirst == "公检法不会电话办案，不转账。"


def test_bozo_feed_with_entries_is_read_and_the_problem_kept_as_warning(
    upstream, make_upstream_feed
):
    # text/xml without a charset means us-ascii (RFC 3023); the GBK
    # declaration overrides it: feedparser reads the entries, and says so.
    body = rss([GOOD], encoding="gbk")
    feed = make_upstream_feed(upstream.answer("/gbk", body, content_type="text/xml"))

    assert poll_feed.call(feed.pk) == "ok"

    feed.refresh_from_db()
    assert feed.entries.get().page.title == GOOD["title"]
    assert "订阅源有格式问题" in feed.last_warning and "us-ascii" in feed.last_warning
    assert feed.failures == 0


def test_redirects_are_followed(upstream, make_upstream_feed):
    upstream.answer("/new", rss([GOOD]))
    moved = upstream.answer("/old", status=301, headers={"Location": "/new"})
    feed = make_upstream_feed(moved)

    assert poll_feed.call(feed.pk) == "ok"
    assert feed.entries.count() == 1


def test_redirect_loop_stops_after_five(upstream):
    url = upstream.answer("/loop", status=302, headers={"Location": "/loop"})
    with pytest.raises(IngestError, match="重定向超过 5 次"):
        fetch(url)
    assert len(upstream.headers_sent_to("/loop")) == 6


def test_redirect_to_another_scheme_is_refused(upstream):
    url = upstream.answer("/ftp", status=302, headers={"Location": "ftp://x.example/"})
    with pytest.raises(IngestError, match="只支持 http 和 https"):
        fetch(url)


def test_only_http_addresses_are_accepted(make_upstream_feed):
    with pytest.raises(ValidationError):
        make_upstream_feed("file:///etc/passwd")
    with pytest.raises(IngestError, match="只支持 http 和 https"):
        fetch("file:///etc/passwd")


def test_feed_without_a_target_page_fails_before_fetching(
    upstream, make_upstream_feed, articles_index
):
    feed = make_upstream_feed(upstream.answer("/feed", rss([GOOD])))
    articles_index.delete()

    poll_feed.call(feed.pk)

    feed.refresh_from_db()
    assert "没有设置草稿存放位置" in feed.last_error
    assert feed.failures == 1
    assert upstream.requests == []
