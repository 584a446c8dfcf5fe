"""A flood of pairing requests: each client address and everyone together
have a budget of new codes a minute, counted in the cache every process
shares; past it the answer is 429 with Retry-After. Only the proxy's own
header names the client. Expired requests leave with the scheduler's tick."""

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.core.cache import cache
from django.utils import timezone

from cms.rate_limit import address_bucket
from cms.scheduling import tick
from screens import pairing
from screens.models import PairingRequest
from tests.redis_db import redis_url

PAIR = "/api/screens/pair/"
ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = redis_url()


@pytest.fixture(autouse=True)
def one_window():
    """Budgets are counted in fixed one-minute windows: a test starting in
    a window's last seconds would see a fresh budget halfway through."""
    if (left := 60 - time.time() % 60) < 15:
        time.sleep(left + 0.1)


@pytest.fixture(autouse=True)
def budgets(settings):
    cache.clear()
    settings.BIG_SCREEN_PAIRINGS_PER_ADDRESS = 3
    settings.BIG_SCREEN_PAIRINGS_PER_MINUTE = 5
    return settings


def ask(client, address: str = "192.0.2.10", **headers):
    return client.post(
        PAIR, "{}", content_type="application/json", REMOTE_ADDR=address, **headers
    )


def test_a_flood_from_one_address_gets_its_budget_then_429(client, db):
    answers = [ask(client) for _ in range(400)]
    assert [a.status_code for a in answers[:3]] == [201, 201, 201]
    refused = answers[3:]
    assert {a.status_code for a in refused} == {429}
    assert PairingRequest.objects.count() == 3
    last = refused[-1]
    assert last["Content-Type"] == "application/json"
    assert 1 <= int(last["Retry-After"]) <= 60
    assert last.json()["error"] == (
        f"配对请求过于频繁，请 {last['Retry-After']} 秒后再试"
    )
    assert ask(client, "198.51.100.7").status_code == 201  # another site


def test_everyone_together_has_a_budget_a_flooder_cannot_spend(client, db):
    assert {ask(client, "192.0.2.1").status_code for _ in range(50)} == {201, 429}
    others = [ask(client, f"198.51.100.{n}").status_code for n in range(1, 5)]
    assert others == [201, 201, 429, 429]  # 3 + 2 = the total of 5


def test_the_forwarded_header_is_believed_only_when_configured(client, db, budgets):
    spoofed = [
        ask(client, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(5)
    ]
    assert spoofed == [201, 201, 201, 429, 429]  # all one connection's address

    cache.clear()
    budgets.CLIENT_ADDRESS_HEADER = "X-Forwarded-For"
    behind_proxy = "127.0.0.1"
    # The client may write what it likes before the proxy's entry.
    same_client = [
        ask(client, behind_proxy, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 203.0.113.9")
        for n in range(4)
    ]
    assert [a.status_code for a in same_client] == [201, 201, 201, 429]
    other = ask(client, behind_proxy, HTTP_X_FORWARDED_FOR="203.0.113.10")
    assert other.status_code == 201


def test_an_ipv6_client_is_counted_by_its_64():
    assert address_bucket("2001:db8:1:2:aaaa::1") == address_bucket("2001:db8:1:2::9")
    assert address_bucket("2001:db8:1:3::1") == "2001:db8:1:3::/64"
    assert address_bucket("::ffff:192.0.2.4") == "192.0.2.4"
    assert address_bucket("not an address") == "unknown"


def test_the_scheduler_removes_expired_requests_and_keeps_live_ones(db):
    live, _secret = pairing.start_pairing()
    expired, _secret = pairing.start_pairing()
    PairingRequest.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    tick("w1", timezone.now())
    assert list(PairingRequest.objects.values_list("pk", flat=True)) == [live.pk]
    assert pairing.remove_expired_requests(timezone.now()) == 0


COUNT_IN_SHARED_CACHE = """
from cms.rate_limit import wait_seconds
refused = sum(wait_seconds("test:shared", 10, window=86400) is not None
              for _ in range(15))
print("refused", refused)
"""


@pytest.fixture
def shared_cache():
    connection = redis.Redis.from_url(REDIS_URL)
    connection.flushdb()
    yield
    connection.flushdb()


def test_processes_sharing_the_cache_share_one_budget(shared_cache):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.dev",
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": "pairing-flood-test",
    }
    command = [sys.executable, "manage.py", "shell", "-c", COUNT_IN_SHARED_CACHE]
    processes = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    refused = [int(p.communicate(timeout=120)[0].split()[-1]) for p in processes]
    assert sum(refused) == 2 * 15 - 10
