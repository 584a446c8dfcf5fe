"""A keyed pull reuses what its process read of the key for at most
PARTNERS_KEY_SECONDS, so that keyed feeds cost what public ones do while a
key revoked, or a partner stopped, is refused everywhere within one second.
The window is shown with a settable clock instead of waiting for it."""

import pytest
from django.test import override_settings
from django.utils import timezone

from cms.settings import base as base_settings
from partners.access import RECENT_KEYS
from partners.models import ApiKey, Partner

WINDOW = 0.5


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(RECENT_KEYS, "clock", lambda: now[0])
    return now


@pytest.fixture
def keyed(make_feed, make_article, partner):
    feed = make_feed("mine", access="partner")
    make_article(title="只给合作方的稿子")
    key, clear = ApiKey.issue(partner, [feed], label="官网")
    return key, {"Authorization": f"Bearer {clear}"}


def test_the_shipped_window_is_under_one_second():
    """The tests run with 0 (a new reading on every pull)."""
    assert 0 < base_settings.PARTNERS_KEY_SECONDS < 1


@override_settings(PARTNERS_KEY_SECONDS=WINDOW)
def test_a_revoked_key_is_refused_once_the_reading_is_older_than_the_window(
    client, clock, keyed
):
    key, bearer = keyed
    assert client.get("/feeds/mine/rss.xml", headers=bearer).status_code == 200
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    clock[0] += WINDOW - 0.01
    assert client.get("/feeds/mine/rss.xml", headers=bearer).status_code == 200
    clock[0] += 0.01
    refused = client.get("/feeds/mine/rss.xml", headers=bearer)
    assert refused.status_code == 401
    assert "吊销" in refused.content.decode()


@override_settings(PARTNERS_KEY_SECONDS=WINDOW)
def test_a_stopped_partner_is_refused_once_the_window_passes(client, clock, keyed):
    key, bearer = keyed
    assert client.get("/feeds/mine/rss.xml", headers=bearer).status_code == 200
    Partner.objects.filter(pk=key.partner_id).update(active=False)
    clock[0] += WINDOW
    assert client.get("/feeds/mine/rss.xml", headers=bearer).status_code == 401


@override_settings(PARTNERS_KEY_SECONDS=WINDOW)
def test_a_key_reading_from_the_future_is_not_trusted(client, clock, keyed):
    key, bearer = keyed
    assert client.get("/feeds/mine/rss.xml", headers=bearer).status_code == 200
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    clock[0] -= 5  # the clock went back
    assert client.get("/feeds/mine/rss.xml", headers=bearer).status_code == 401
