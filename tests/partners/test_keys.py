"""Partner keys on the feeds: stored hashed, sent as a Bearer header or
?key=, refused when revoked, expired, of an inactive partner or out of
scope (and the refusal holds no item), rate limited with Retry-After, and
read by an ordinary feed reader and podcast app."""

from datetime import timedelta

import feedparser
import pytest
from django.utils import timezone

from partners.models import KEY_PATTERN, ApiKey, Partner, hash_key
from partners.pull_log import flush_pull_logs


@pytest.fixture
def scoped(make_feed, make_article, partner):
    """A partner feed with an item, another partner feed, and a key that
    may read only the first."""
    mine = make_feed("mine", access="partner", title="我的订阅源")
    theirs = make_feed("theirs", access="partner", title="别家的订阅源")
    make_article(title="只给合作方的稿子")
    key, clear = ApiKey.issue(partner, [mine], label="官网")
    return mine, theirs, key, clear


def bearer(clear: str) -> dict:
    return {"Authorization": f"Bearer {clear}"}


def test_a_key_is_stored_only_as_its_hash(partner, make_feed):
    key, clear = ApiKey.issue(partner, [make_feed("mine", access="partner")])
    assert KEY_PATTERN.match(clear)
    stored = ApiKey.objects.get(pk=key.pk)
    assert stored.key_hash == hash_key(clear) and clear not in stored.key_hash
    assert stored.prefix == clear[3:11]
    assert clear not in str(stored.__dict__)
    _other, second = ApiKey.issue(partner, [])
    assert second != clear


def test_header_and_query_key_both_read_a_partner_feed(client, scoped):
    _mine, _theirs, _key, clear = scoped
    by_header = client.get("/feeds/mine/rss.xml", headers=bearer(clear))
    by_query = client.get(f"/feeds/mine/rss.xml?key={clear}")
    for response in (by_header, by_query):
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-cache"
        assert "只给合作方的稿子" in response.content.decode()


def test_missing_and_unknown_keys_get_401(client, scoped):
    _mine, _theirs, _key, clear = scoped
    unknown = "kp_" + "A" * 43
    for headers, query in (({}, ""), (bearer(unknown), ""), ({}, "?key=nonsense")):
        response = client.get(f"/feeds/mine/rss.xml{query}", headers=headers)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert "只给合作方的稿子" not in response.content.decode()
    assert client.get(f"/feeds/mine/rss.xml?key={clear}").status_code == 200


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"revoked_at": timezone.now()}, "吊销"),
        ({"expires_at": timezone.now() - timedelta(seconds=1)}, "过期"),
    ],
)
def test_revoked_and_expired_keys_get_401_saying_which(client, scoped, change, words):
    _mine, _theirs, key, clear = scoped
    ApiKey.objects.filter(pk=key.pk).update(**change)
    response = client.get("/feeds/mine/atom.xml", headers=bearer(clear))
    text = response.content.decode()
    assert response.status_code == 401 and words in text
    assert clear not in text and "只给合作方的稿子" not in text


def test_an_inactive_partner_gets_401(client, scoped, partner):
    _mine, _theirs, _key, clear = scoped
    Partner.objects.filter(pk=partner.pk).update(active=False)
    assert client.get("/feeds/mine/feed.json", headers=bearer(clear)).status_code == 401


def test_a_feed_outside_the_scope_is_403_and_shows_no_item(client, scoped):
    _mine, _theirs, _key, clear = scoped
    for name in ("rss.xml", "feed.json", "podcast.xml"):
        response = client.get(f"/feeds/theirs/{name}", headers=bearer(clear))
        assert response.status_code == 403
        text = response.content.decode()
        assert "只给合作方的稿子" not in text and "urn:kepu:page" not in text
        assert response["Cache-Control"] == "no-store"


def test_unknown_feed_is_404_with_or_without_key(client, scoped):
    _mine, _theirs, _key, clear = scoped
    assert client.get("/feeds/nope/rss.xml", headers=bearer(clear)).status_code == 404
    assert client.get(f"/feeds/nope/rss.xml?key={clear}").status_code == 404


def test_public_feed_needs_no_key_but_checks_a_sent_one(client, make_feed, scoped):
    _mine, _theirs, key, clear = scoped
    make_feed("all")
    assert client.get("/feeds/all/rss.xml").status_code == 200
    assert client.get("/feeds/all/rss.xml", headers=bearer(clear)).status_code == 200
    wrong = "kp_" + "B" * 43
    assert client.get("/feeds/all/rss.xml", headers=bearer(wrong)).status_code == 401
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    assert client.get("/feeds/all/rss.xml", headers=bearer(clear)).status_code == 401


def test_rate_limit_answers_429_with_retry_after(client, scoped):
    _mine, _theirs, key, clear = scoped
    ApiKey.objects.filter(pk=key.pk).update(rate_limit_per_minute=3)
    statuses = [
        client.get("/feeds/mine/rss.xml", headers=bearer(clear)).status_code
        for _n in range(3)
    ]
    assert statuses == [200, 200, 200]
    limited = client.get("/feeds/mine/rss.xml", headers=bearer(clear))
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert "只给合作方的稿子" not in limited.content.decode()
    other, other_clear = ApiKey.issue(key.partner, [scoped[0]])
    ok = client.get("/feeds/mine/rss.xml", headers=bearer(other_clear))
    assert ok.status_code == 200  # the limit is per key


def test_a_keyed_request_costs_a_constant_few_queries(
    client, scoped, make_article, django_assert_max_num_queries
):
    _mine, _theirs, _key, clear = scoped
    client.get("/feeds/mine/rss.xml", headers=bearer(clear))
    with django_assert_max_num_queries(3):  # key, fingerprint, feed
        client.get("/feeds/mine/rss.xml", headers=bearer(clear))
    for n in range(5):
        make_article(title=f"又一篇{n}")
    client.get("/feeds/mine/rss.xml", headers=bearer(clear))
    with django_assert_max_num_queries(3):
        assert (
            client.get("/feeds/mine/rss.xml", headers=bearer(clear)).status_code == 200
        )


def test_last_used_is_recorded_when_the_log_is_written(client, scoped):
    _mine, theirs, key, clear = scoped
    client.get("/feeds/mine/rss.xml", headers=bearer(clear))
    key.refresh_from_db()
    assert key.last_used_at is None  # no write on the request itself
    flush_pull_logs()
    key.refresh_from_db()
    assert timezone.now() - key.last_used_at < timedelta(minutes=1)


def test_a_feed_reader_and_a_podcast_app_read_the_keyed_feeds(
    client, make_feed, make_audio_episode, partner
):
    feed = make_feed("relay", access="partner", title="合作方播客")
    episode = make_audio_episode(1)
    _key, clear = ApiKey.issue(partner, [feed])
    reader = feedparser.parse(client.get(f"/feeds/relay/rss.xml?key={clear}").content)
    assert reader.bozo == 0
    assert [e.id for e in reader.entries] == [f"urn:kepu:page:{episode.pk}"]
    podcast = client.get("/feeds/relay/podcast.xml", headers=bearer(clear))
    app = feedparser.parse(podcast.content)
    assert app.bozo == 0 and app.entries[0].title == episode.title
    [enclosure] = app.entries[0].enclosures
    media = client.get(enclosure.href)
    assert media.status_code == 200
    assert int(enclosure.length) == len(b"".join(media.streaming_content))
