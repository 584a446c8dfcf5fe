"""How a cached output (a feed, a screen's loop) goes stale in every web
process at once, within a second of a change made in any process, with no
TTL: its cache entries are keyed by a fingerprint read from the database.

- Generation: the output's one-row counter, bumped by signals for the rows
  it shows that leave no page log entry.
- FingerprintQuery: the maxima an output's fingerprint is made of, read in
  one query. Each is read off an index or a table of a few rows, so the
  cost does not grow with pages, log, placements or items. A sub-query may
  compare with %(now)s, the moment of reading, so that time passing (an
  expiry, a placement coming due) moves the fingerprint too. Its `upcoming`
  sub-queries name future moments (the next expiry); the earliest is the
  fingerprint's next_change, which bounds how long anything may keep an
  output made under it.
- RecentFingerprint: the reading this process made last, reused while it
  is younger than max_age() seconds (0: a new reading on every call). A
  reading from the future (the clock went back) counts as stale. Threads
  that find it old at the same moment each read it: a few queries more, no
  lock on every call.
- Fingerprint.cache_key: keys that change with the fingerprint, so an
  entry's TTL only frees space."""

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection, models
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from wagtail.models import Page, PageLogEntry


class Generation(models.Model):
    """A one-row counter, bumped when something an output shows changes
    without leaving a page log entry. It lives in the database because the
    web and worker processes share nothing else: a cached output goes stale
    in every process at once."""

    value = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    @classmethod
    def bump(cls) -> None:
        now = timezone.now()
        updated = cls.objects.filter(pk=1).update(
            value=models.F("value") + 1, changed_at=now
        )
        if not updated:
            cls.objects.get_or_create(pk=1, defaults={"value": 1, "changed_at": now})

    @classmethod
    def follow(cls, models: list, relations: list = ()) -> None:
        """Bump on every save and delete of these models and every change to
        these many-to-many relations (their through models); not while
        fixtures load."""

        def on_change(sender, **kwargs) -> None:
            if not kwargs.get("raw"):
                cls.bump()

        for model in models:
            uid = f"{cls._meta.label}-follows-{model._meta.label}"
            post_save.connect(on_change, model, weak=False, dispatch_uid=uid + "-save")
            post_delete.connect(
                on_change, model, weak=False, dispatch_uid=uid + "-delete"
            )
        for through in relations:
            uid = f"{cls._meta.label}-follows-{through._meta.label}"
            m2m_changed.connect(on_change, through, weak=False, dispatch_uid=uid)


@dataclass(frozen=True)
class Fingerprint:
    key: str  # hash of every part
    changed_at: datetime | None  # the latest moment any part changed
    next_change: datetime | None = None  # the earliest upcoming moment

    def cache_key(self, namespace: str, *parts: object) -> str:
        """The key of what `parts` name under this fingerprint."""
        text = ":".join(str(part) for part in (*parts, self.key))
        return f"{namespace}:{hashlib.sha256(text.encode()).hexdigest()}"


def latest(model: type[models.Model], column: str, where: str = "") -> str:
    """A sub-query for the maximum of one column of a model's table."""
    condition = f" WHERE {where}" if where else ""
    return f"SELECT MAX({column}) FROM {model._meta.db_table}{condition}"


def as_datetime(value) -> datetime | None:
    """A datetime from the raw row (SQLite returns text)."""
    if value is None or isinstance(value, datetime):
        moment = value
    else:
        moment = parse_datetime(str(value))
    if moment is not None and timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment


@dataclass(frozen=True)
class FingerprintQuery:
    counters: tuple[str, ...]  # sub-queries of ever-growing numbers
    moments: tuple[str, ...]  # sub-queries of datetimes
    upcoming: tuple[str, ...] = ()  # sub-queries of future datetimes

    @property
    def sql(self) -> str:
        queries = (*self.counters, *self.moments, *self.upcoming)
        parts = ", ".join(f"({query})" for query in queries)
        return f"SELECT {parts}"

    def read(self, now: datetime) -> Fingerprint:
        stamp = connection.ops.adapt_datetimefield_value(now)
        with connection.cursor() as cursor:
            cursor.execute(self.sql, {"now": stamp})
            row = cursor.fetchone()
        counters = list(row[: len(self.counters)])
        moments = [as_datetime(value) for value in row[len(self.counters) :]]
        key = hashlib.sha256(repr((counters, moments)).encode()).hexdigest()[:24]
        past, upcoming = moments[: len(self.moments)], moments[len(self.moments) :]
        return Fingerprint(
            key,
            max((m for m in past if m), default=None),
            min((m for m in upcoming if m), default=None),
        )


def page_fingerprint(
    generation: type[Generation], *moments: str, upcoming: tuple[str, ...] = ()
) -> FingerprintQuery:
    """What every output of pages moves with — any page log entry (publish,
    unpublish, move, privacy, delete: Wagtail logs each), a live page
    passing its expiry time, the output's generation — and its own moments."""
    return FingerprintQuery(
        counters=(latest(PageLogEntry, "id"), latest(generation, "value")),
        moments=(
            latest(PageLogEntry, "timestamp"),
            latest(Page, "expire_at", "live AND expire_at <= %(now)s"),
            latest(generation, "changed_at"),
            *moments,
        ),
        upcoming=upcoming,
    )


def earliest(model: type[models.Model], column: str, where: str) -> str:
    """A sub-query for the minimum of one column of a model's table."""
    return f"SELECT MIN({column}) FROM {model._meta.db_table} WHERE {where}"


class RecentFingerprint:
    """The fingerprint this process read last, while it is younger than
    max_age() seconds (read at every call, so that a changed setting takes
    effect at once)."""

    def __init__(
        self, query: FingerprintQuery, max_age: Callable[[], float] = lambda: 0
    ) -> None:
        self.query = query
        self.max_age = max_age
        self._latest: tuple[float, Fingerprint | None] = (0.0, None)

    def get(self, now: datetime | None = None) -> Fingerprint:
        read_at, fingerprint = self._latest
        age = time.monotonic() - read_at
        if fingerprint is None or not 0 <= age < self.max_age():
            fingerprint = self.query.read(now or timezone.now())
            self._latest = (time.monotonic(), fingerprint)
        return fingerprint

    def forget(self) -> None:
        """The next get() reads again."""
        self._latest = (0.0, None)
