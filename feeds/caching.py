"""Rendered feeds are cached under a fingerprint of everything that can
change what a feed shows, read from the database with one small query
(cms.generations: page log, page expiry, the generation), so
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
placement created, moved or deleted, even in the past, bumps it). An
advisory (更正/撤回, cms.advisories) bumps it too, so its notes and tombstones
show at once; a rendering that holds tombstones is kept only until the first
of them expires, so that its ETag changes then."""

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from channels.models import Placement
from cms.advisories import Advisory
from cms.alerts import SiteAlert
from cms.generations import (
    Fingerprint,
    RecentFingerprint,
    latest,
    page_fingerprint,
)
from feeds.models import FeedDefinition, FeedGeneration

CACHE_SECONDS = 60 * 60  # entries are keyed by fingerprint; this only frees space

FEEDS_FINGERPRINT = page_fingerprint(
    FeedGeneration,
    latest(Placement, "scheduled_at", "scheduled_at <= %(now)s"),
    latest(FeedDefinition, "updated_at"),
    # an alert's item enters every feed, and leaves, on time (cms.alerts)
    latest(SiteAlert, "starts_at", "starts_at <= %(now)s"),
    latest(SiteAlert, "ends_at", "ends_at <= %(now)s"),
)
current_fingerprint = RecentFingerprint(
    FEEDS_FINGERPRINT, max_age=lambda: settings.FEEDS_FINGERPRINT_SECONDS
).get


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
    items: tuple[int, ...]  # the page ids of the items it carries


def cache_key(feed: FeedDefinition, variant: str, fingerprint: Fingerprint) -> str:
    # "feed-items": renderings cached before they named their items are not read.
    return fingerprint.cache_key(
        "feed-items", feed.pk, feed.updated_at.timestamp(), variant
    )


def cached_render(
    feed: FeedDefinition,
    variant: str,
    fingerprint: Fingerprint,
    render: Callable[[], tuple[bytes, datetime | None, tuple[int, ...]]],
) -> Rendered:
    """The cached rendering of this variant (format, page, host) under this
    fingerprint, or render() -> (body, the moment it goes stale by time
    alone or None, its items' page ids), stored with its ETag until then."""
    key = cache_key(feed, variant, fingerprint)
    rendered = cache.get(key)
    if rendered is None:
        body, stale_at, items = render()
        moments = [feed.updated_at, fingerprint.changed_at]
        rendered = Rendered(
            body=body,
            etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
            last_modified=max(m for m in moments if m is not None),
            items=items,
        )
        cache.set(key, rendered, seconds_until(stale_at))
    return rendered


def seconds_until(stale_at: datetime | None) -> int:
    if stale_at is None:
        return CACHE_SECONDS
    left = (stale_at - timezone.now()).total_seconds()
    return max(1, min(CACHE_SECONDS, math.ceil(left)))


def connect_signals() -> None:
    """What a feed shows but Wagtail does not log bumps the generation."""
    from wagtail.images import get_image_model
    from wagtailmedia.models import get_media_model

    from cms.snippets import Audience, Campaign, Topic

    FeedGeneration.follow(
        [
            Placement,
            Advisory,
            SiteAlert,
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
