"""An upstream feed cannot reach inside the network: a loopback or internal
source, or a redirect to one, is refused before any request is made, no draft
is made, and the error reads the same whatever is (or is not) listening there.
These tests run with the production default: an empty allow-list, except where
the first server is allow-listed on purpose."""

import socket

import pytest

from cms.pages import ArticlePage
from ingest.fetch import IngestError, fetch
from ingest.tasks import poll_feed
from tests.ingest.fixtures import json_feed, running_upstream

INTERNAL_DOCUMENT = json_feed(
    [{"id": "secret-1", "title": "内部文档", "content_text": "仅限内网"}]
)
REFUSED = "无法连接：地址无法解析、连接失败，或不允许访问"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_loopback_feed_is_refused_before_any_request_and_makes_no_draft(
    unlisted_upstream, make_upstream_feed
):
    url = unlisted_upstream.answer(
        "/internal.json", INTERNAL_DOCUMENT, content_type="application/feed+json"
    )
    feed = make_upstream_feed(url)

    assert poll_feed.call(feed.pk) == "error"

    feed.refresh_from_db()
    assert feed.last_error == REFUSED and feed.failures == 1
    assert unlisted_upstream.requests == []
    assert not feed.entries.exists()
    assert not ArticlePage.objects.filter(title="内部文档").exists()


def test_a_closed_port_and_an_open_one_read_the_same(
    unlisted_upstream, make_upstream_feed
):
    port = closed_port()
    open_feed = make_upstream_feed(unlisted_upstream.answer("/feed", "ok"))
    closed_feed = make_upstream_feed(
        f"http://127.0.0.1:{port}/feed", title="关闭的端口"
    )

    poll_feed.call(open_feed.pk)
    poll_feed.call(closed_feed.pk)

    open_feed.refresh_from_db()
    closed_feed.refresh_from_db()
    assert open_feed.last_error == closed_feed.last_error == REFUSED
    for detail in ("127.0.0.1", str(port), str(unlisted_upstream.port), "refused"):
        assert detail not in open_feed.last_error
    assert unlisted_upstream.requests == []


def test_localhost_by_name_is_refused(unlisted_upstream):
    with pytest.raises(IngestError, match=REFUSED):
        fetch(f"http://localhost:{unlisted_upstream.port}/feed")
    assert unlisted_upstream.requests == []


def test_a_redirect_to_another_loopback_address_is_refused_at_the_redirect(
    upstream,
):
    # upstream allow-lists 127.0.0.1/32 only; the redirect goes to 127.0.0.2.
    with running_upstream("127.0.0.2") as internal:
        secret = internal.answer("/secret", INTERNAL_DOCUMENT)
        url = upstream.answer("/feed", status=302, headers={"Location": secret})

        with pytest.raises(IngestError, match=REFUSED):
            fetch(url)

        assert len(upstream.headers_sent_to("/feed")) == 1
        assert internal.requests == []


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/admin/",
        "http://192.168.1.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
    ],
)
def test_a_redirect_to_an_internal_literal_is_refused_before_connecting(
    upstream, location
):
    url = upstream.answer("/feed", status=302, headers={"Location": location})
    with pytest.raises(IngestError) as refused:
        fetch(url)
    assert refused.value.message == REFUSED
