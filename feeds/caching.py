"""Rendered feeds are cached under a fingerprint of everything that can
change what a feed shows, read from the database with one small query, so
that every web process sees changes made anywhere (the worker's scheduled
publishing, expiry, delivery) and a published item is in the feed within a
second rather than after a TTL: a process reads the fingerprint again once
the one it has is FEEDS_FINGERPRINT_SECONDS old (1 s; 0 reads it for every
request), so that under load it asks the database about once a second.

The fingerprint moves with: any page log entry (publish, unpublish, move,
privacy, delete — Wagtail logs each), a live page passing its expiry time, a
placement coming due, the latest edit of a feed definition, and the feeds'
own generation counter (bumped by
signals for placements, media files, taxonomy and feed definitions; a
placement created, moved or deleted, even in the past, bumps it)."""

import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from wagtail.models import Page, PageLogEntry

from channels.models import Placement
from feeds.models import FeedDefinition, FeedGeneration

CACHE_SECONDS = 60 * 60  # entries are keyed by fingerprint; this only frees space


@dataclass(frozen=True)
class Fingerprint:
    key: str  # hash of every part
    changed_at: datetime | None  # the latest moment any part changed


def fingerprint_sql() -> str:
    """Maxima read off an index (a partial one for expiry, see migration
    0002) or a table of a few rows: the cost does not grow with pages, log or
    placements."""
    log = PageLogEntry._meta.db_table
    page = Page._meta.db_table
    placement = Placement._meta.db_table
    generation = FeedGeneration._meta.db_table
    feeds = FeedDefinition._meta.db_table
    return (
        f"SELECT (SELECT MAX(id) FROM {log}), (SELECT MAX(timestamp) FROM {log}), "
        f"(SELECT MAX(expire_at) FROM {page} WHERE live AND expire_at <= %s), "
        f"(SELECT MAX(scheduled_at) FROM {placement} WHERE scheduled_at <= %s), "
        f"(SELECT MAX(value) FROM {generation}), "
        f"(SELECT MAX(changed_at) FROM {generation}), "
        f"(SELECT MAX(updated_at) FROM {feeds})"
    )


def as_datetime(value) -> datetime | None:
    """A datetime from the raw row (SQLite returns text)."""
    if value is None or isinstance(value, datetime):
        moment = value
    else:
        moment = parse_datetime(str(value))
    if moment is not None and timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment


def read_fingerprint(now: datetime) -> Fingerprint:
    stamp = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(fingerprint_sql(), [stamp, stamp])
        row = cursor.fetchone()
    moments = [as_datetime(row[i]) for i in (1, 2, 3, 5, 6)]
    counters = [row[i] for i in (0, 4)]
    key = hashlib.sha256(repr((counters, moments)).encode()).hexdigest()[:24]
    return Fingerprint(key, max((m for m in moments if m), default=None))


class RecentFingerprint:
    """The fingerprint this process read last, while it is younger than
    FEEDS_FINGERPRINT_SECONDS. Threads that find it old at the same moment
    each read it: a few queries more, no lock on every request."""

    def __init__(self) -> None:
        self._latest: tuple[float, Fingerprint | None] = (0.0, None)

    def get(self) -> Fingerprint:
        read_at, fingerprint = self._latest
        age = time.monotonic() - read_at
        if fingerprint is None or not 0 <= age < settings.FEEDS_FINGERPRINT_SECONDS:
            fingerprint = read_fingerprint(timezone.now())
            self._latest = (time.monotonic(), fingerprint)
        return fingerprint


current_fingerprint = RecentFingerprint().get


class ActiveFeeds:
    """The active feed definitions by slug, read once per fingerprint in
    each process. Saving or deleting a definition (or its selection) bumps
    the generation, so within one fingerprint they cannot change; they are
    read after the fingerprint, so they are never older than it."""

    def __init__(self) -> None:
        self._latest: tuple[str, dict[str, FeedDefinition]] = ("", {})

    def get(self, fingerprint: Fingerprint) -> dict[str, FeedDefinition]:
        key, feeds = self._latest
        if key != fingerprint.key:
            feeds = {
                feed.slug: feed for feed in FeedDefinition.objects.filter(active=True)
            }
            self._latest = (fingerprint.key, feeds)
        return feeds


ACTIVE_FEEDS = ActiveFeeds()


@dataclass(frozen=True)
class Rendered:
    body: bytes
    etag: str
    last_modified: datetime


def cache_key(feed: FeedDefinition, variant: str, fingerprint: Fingerprint) -> str:
    updated = feed.updated_at.timestamp()
    text = f"{feed.pk}:{updated}:{variant}:{fingerprint.key}"
    return "feeds:" + hashlib.sha256(text.encode()).hexdigest()


def cached_render(
    feed: FeedDefinition, variant: str, fingerprint: Fingerprint, render
) -> Rendered:
    """The cached rendering of this variant (format, page, host) under this
    fingerprint, or render() -> body, stored with its ETag."""
    key = cache_key(feed, variant, fingerprint)
    rendered = cache.get(key)
    if rendered is None:
        body = render()
        moments = [feed.updated_at, fingerprint.changed_at]
        rendered = Rendered(
            body=body,
            etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
            last_modified=max(m for m in moments if m is not None),
        )
        cache.set(key, rendered, CACHE_SECONDS)
    return rendered


def connect_signals() -> None:
    """What a feed shows but Wagtail does not log bumps the generation."""
    from wagtail.images import get_image_model
    from wagtailmedia.models import get_media_model

    from cms.snippets import Audience, Campaign, Topic

    FeedGeneration.follow(
        [
            Placement,
            FeedDefinition,
            get_media_model(),
            get_image_model(),
            Topic,
            Audience,
            Campaign,
        ],
        [
            getattr(FeedDefinition, field).through
            for field in ("outlets", "topics", "audiences", "campaigns")
        ],
    )
