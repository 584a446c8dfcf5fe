"""The pull log: every pull recorded with partner, key, feed, status, bytes
and user agent, written in bulk (by size, by age, from many threads, at
exit), never holding a key in clear — nor does any log output."""

import logging
import threading
import time

import pytest
from django.db import connection
from django.test import RequestFactory

from partners.access import KEY_ATTRIBUTE
from partners.logging import MaskPartnerKeys, mask_keys
from partners.models import ApiKey, Partner, PullLog
from partners.pull_log import PULLS, flush_pull_logs, log_pull

UA = "NetNewsWire (RSS Reader; https://netnewswire.com/)"


@pytest.fixture
def keyed(make_feed, make_article, partner):
    feed = make_feed("mine", access="partner")
    make_article(title="合作稿")
    key, clear = ApiKey.issue(partner, [feed])
    return feed, key, clear


def test_pulls_are_logged_with_partner_feed_status_bytes_and_agent(client, keyed):
    feed, key, clear = keyed
    ok = client.get(
        f"/feeds/mine/rss.xml?key={clear}&page=1", headers={"User-Agent": UA}
    )
    client.get("/feeds/all/rss.xml")
    assert flush_pull_logs() == 2
    pull = PullLog.objects.get(status=200)
    assert (pull.partner, pull.key, pull.feed) == (key.partner, key, feed)
    assert pull.bytes == len(ok.content) and pull.user_agent == UA
    assert pull.path == "/feeds/mine/rss.xml?key=***&page=1"
    public = PullLog.objects.get(status=404)  # no feed "all" here
    assert (public.partner, public.key, public.feed) == (None, None, None)


def test_each_answer_logs_the_items_it_carried(client, keyed, make_article):
    """Feeds (cached or not) and the API name the items they answered with;
    a 304 and a refusal carried none."""
    _feed, _key, clear = keyed
    second = make_article(title="第二篇")
    first = client.get(f"/feeds/mine/rss.xml?key={clear}")
    client.get(f"/feeds/mine/atom.xml?key={clear}")
    client.get(f"/feeds/mine/rss.xml?key={clear}")  # from the cache
    client.get(
        f"/feeds/mine/rss.xml?key={clear}", headers={"If-None-Match": first["ETag"]}
    )
    client.get(f"/api/partner/items/?key={clear}")
    client.get(f"/api/partner/items/{second.pk}/?key={clear}")
    client.get(f"/api/partner/items/{second.pk + 999}/?key={clear}")
    flush_pull_logs()
    carried = [
        (pull.status, sorted(pull.items)) for pull in PullLog.objects.order_by("pk")
    ]
    both = carried[0][1]
    assert len(both) == 2 and second.pk in both
    assert carried == [
        (200, both),
        (200, both),
        (200, both),
        (304, []),
        (200, both),
        (200, [second.pk]),
        (404, []),
    ]


def test_refused_pulls_name_the_partner_and_never_the_key(client, keyed, make_feed):
    _feed, key, clear = keyed
    make_feed("theirs", access="partner")
    client.get(f"/feeds/theirs/rss.xml?key={clear}")
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=key.created_at)
    client.get("/feeds/mine/rss.xml", headers={"Authorization": f"Bearer {clear}"})
    client.get("/feeds/mine/rss.xml?key=kp_notarealkeyatall")
    flush_pull_logs()
    assert set(PullLog.objects.values_list("status", "partner", "bytes")) == {
        (403, key.partner_id, 0),
        (401, key.partner_id, 0),  # revoked: still the partner's pull
        (401, None, 0),
    }
    for path in PullLog.objects.values_list("path", flat=True):
        assert clear not in path and "notarealkey" not in path
    key.refresh_from_db()
    assert key.last_used_at is not None  # the 403: the key itself was good


def test_keys_never_reach_log_output(client, keyed, caplog):
    """Masked by the filter the settings put on the request loggers."""
    _feed, key, clear = keyed
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=key.created_at)
    with caplog.at_level(logging.DEBUG):
        for url in (
            f"/feeds/mine/rss.xml?key={clear}",
            f"/feeds/nope/rss.xml?key={clear}",
            f"/api/partner/items/?key={clear}",
            f"/api/partner/items/999/?key={clear}",
        ):
            assert client.get(url).status_code in (401, 404)
        logging.getLogger("django.server").info(
            '"%s" %s %s', f"GET /feeds/mine/rss.xml?key={clear} HTTP/1.1", 401, 40
        )
    assert caplog.records  # the requests were logged, masked
    assert clear not in caplog.text
    assert clear[3:] not in caplog.text
    assert "key=***" in caplog.text


def test_masking_covers_query_values_and_bare_keys():
    key = "kp_" + "x" * 43
    assert mask_keys(f"/f/a.xml?page=2&key={key}") == "/f/a.xml?page=2&key=***"
    assert mask_keys(f"token {key} used") == "token kp_*** used"
    assert mask_keys("/feeds/all/rss.xml?page=2") == "/feeds/all/rss.xml?page=2"
    record = logging.LogRecord("django.server", 20, "", 0, '"%s" %s', (key, 401), None)
    assert MaskPartnerKeys().filter(record) and key not in record.getMessage()


def test_the_buffer_writes_itself_when_full(
    db, keyed, settings, django_capture_on_commit_callbacks
):
    """Inside a transaction (a request under ATOMIC_REQUESTS, or this test)
    the write waits for the commit, so it never joins someone else's."""
    settings.PARTNERS_PULL_LOG_BATCH = 3
    feed, _key, _clear = keyed
    request = RequestFactory().get("/feeds/mine/rss.xml")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for _n in range(3):
            log_pull(request, feed, None, 200, 1)
        assert PullLog.objects.count() == 0
    assert len(callbacks) == 1
    assert PullLog.objects.filter(feed=feed).count() == 3


def test_rows_of_another_database_are_never_written(db, keyed, monkeypatch):
    """E.g. rows of a test database, flushed at exit when the settings point
    at the real one again."""
    feed, _key, _clear = keyed
    monkeypatch.setitem(connection.settings_dict, "NAME", "some-other-database")
    PULLS.add(PullLog(path="/x", at=feed.updated_at, status=200))
    monkeypatch.undo()
    assert flush_pull_logs() == 0
    assert PullLog.objects.count() == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_due_buffer_is_written_by_the_next_pull_outside_a_transaction(settings):
    settings.PARTNERS_PULL_LOG_SECONDS = 0
    request = RequestFactory().get("/feeds/all/rss.xml", headers={"User-Agent": UA})
    log_pull(request, None, None, 200, 5)
    assert PullLog.objects.filter(bytes=5, user_agent=UA).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_lone_pull_is_written_by_the_timer_with_no_other_request(settings):
    settings.PARTNERS_PULL_LOG_BACKGROUND_FLUSH = True
    settings.PARTNERS_PULL_LOG_SECONDS = 0.2
    request = RequestFactory().get("/feeds/all/rss.xml", headers={"User-Agent": UA})
    log_pull(request, None, None, 200, 7)
    assert PullLog.objects.count() == 0  # not by the request itself
    deadline = time.monotonic() + 10
    while not PullLog.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert PullLog.objects.filter(bytes=7, user_agent=UA).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rows_for_a_feed_and_key_deleted_meanwhile_are_still_written():
    from feeds.models import FeedDefinition

    partner = Partner.objects.create(name="临时", contact_name="测")
    feed = FeedDefinition.objects.create(slug="gone", title="将被删除")
    key, _clear = ApiKey.issue(partner, [feed])
    request = RequestFactory().get("/feeds/gone/rss.xml")
    log_pull(request, feed, None, 200, 10)
    setattr(request, KEY_ATTRIBUTE, key)  # as find_key does
    log_pull(request, feed, None, 200, 20)
    FeedDefinition.objects.filter(pk=feed.pk).delete()
    ApiKey.objects.filter(pk=key.pk).delete()
    assert flush_pull_logs() == 2
    rows = set(PullLog.objects.values_list("partner", "key", "feed", "bytes"))
    assert rows == {(None, None, None, 10), (partner.pk, None, None, 20)}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_many_threads_log_without_losing_or_doubling_rows(settings):
    settings.PARTNERS_PULL_LOG_BATCH = 7
    settings.PARTNERS_PULL_LOG_SECONDS = 3600
    threads, per_thread = 8, 25
    request = RequestFactory().get("/feeds/all/rss.xml")

    def pull() -> None:
        try:
            for _n in range(per_thread):
                log_pull(request, None, None, 200, 1)
        finally:
            connection.close()

    workers = [threading.Thread(target=pull) for _n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    written_by_threads = PullLog.objects.count()
    assert written_by_threads >= threads * per_thread - 7  # batches, not one by one
    flush_pull_logs()
    assert PullLog.objects.count() == threads * per_thread


def test_the_settings_mask_keys_in_request_logs(settings):
    """django.server writes the request line with its query string."""
    config = settings.LOGGING
    [name] = [
        name
        for name, spec in config.get("filters", {}).items()
        if spec.get("()") == "partners.logging.MaskPartnerKeys"
    ]
    for logger in ("django.server", "django.request"):
        assert name in config["loggers"][logger]["filters"], logger
