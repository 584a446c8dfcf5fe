"""Fingerprints: one query of maxima that moves with every change and with
time passing; a process reuses its last reading for max_age seconds, never
one from the future."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from cms import generations
from cms.generations import FingerprintQuery, RecentFingerprint, latest

USERS = FingerprintQuery(
    counters=(latest(User, "id"),),
    moments=(latest(User, "date_joined", "date_joined <= %(now)s"),),
)


@pytest.fixture
def clock(monkeypatch) -> SimpleNamespace:
    clock = SimpleNamespace(now=1_000_000.0)
    monkeypatch.setattr(generations.time, "monotonic", lambda: clock.now)
    return clock


@pytest.mark.django_db
def test_a_moment_counts_once_it_has_passed():
    now = timezone.now()
    joins = now + timedelta(minutes=5)
    User.objects.create(username="later", date_joined=joins)
    before, after = USERS.read(now), USERS.read(joins)
    assert before.key != after.key
    assert (before.changed_at, after.changed_at) == (None, joins)


@pytest.mark.django_db
def test_a_reading_is_reused_until_max_age_and_never_from_the_future(
    clock, django_assert_num_queries
):
    recent = RecentFingerprint(USERS, max_age=lambda: 1)
    first = recent.get()
    User.objects.create(username="new")
    with django_assert_num_queries(0):
        assert recent.get() == first
    clock.now -= 5  # the clock went back: the reading is from the future
    with django_assert_num_queries(1):
        assert recent.get() != first


@pytest.mark.django_db
def test_without_max_age_every_call_reads(django_assert_num_queries):
    recent = RecentFingerprint(USERS)
    recent.get()
    with django_assert_num_queries(1):
        recent.get()


def test_cache_keys_change_with_the_fingerprint_and_the_parts():
    one = generations.Fingerprint("a", None)
    other = generations.Fingerprint("b", None)
    assert one.cache_key("x", 1) == one.cache_key("x", 1)
    assert one.cache_key("x", 1).startswith("x:")
    keys = {one.cache_key("x", 1), one.cache_key("x", 2), other.cache_key("x", 1)}
    assert len(keys) == 3
