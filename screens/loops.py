"""Resolved loops, cached per group and orientation, so that a poll whose
answer has not changed (nearly all of them: a 304) reads the screen's token
and one fingerprint row instead of resolving the loop again.

A loop (playlist.resolve) changes with: the pages it shows (any page log
entry — publish, unpublish, privacy, move — or a live page passing its
expiry), the local date (items whose date window has ended drop out), an
emergency starting, ending or being cancelled, and the rows LoopGeneration
is bumped for (playlist items, groups and what they hide, emergencies,
media files, images, screen renditions, campaigns). The fingerprint reads
them all in one query, off indexes and small tables, so a change made in any
process is in the next poll of every screen. Day parts are not in it: the
player applies them to the loop it has. A queryset .update() of those rows
sends no signal: code that writes them in bulk bumps LoopGeneration itself."""

import hashlib
from datetime import datetime

from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from wagtail.models import Page, PageLogEntry

from screens.models import (
    EmergencyItem,
    LoopGeneration,
    PlaylistItem,
    ScreenGroup,
)
from screens.playlist import resolve

CACHE_SECONDS = 24 * 60 * 60  # entries are keyed by fingerprint; this only frees space


def fingerprint_sql() -> str:
    log = PageLogEntry._meta.db_table
    page = Page._meta.db_table
    emergency = EmergencyItem._meta.db_table
    generation = LoopGeneration._meta.db_table
    return (
        f"SELECT (SELECT MAX(id) FROM {log}), (SELECT MAX(timestamp) FROM {log}), "
        f"(SELECT MAX(expire_at) FROM {page} WHERE live AND expire_at <= %s), "
        f"(SELECT MAX(starts_at) FROM {emergency} WHERE starts_at <= %s), "
        f"(SELECT MAX(ends_at) FROM {emergency} WHERE ends_at <= %s), "
        f"(SELECT MAX(cancelled_at) FROM {emergency}), "
        f"(SELECT MAX(value) FROM {generation}), "
        f"(SELECT MAX(changed_at) FROM {generation})"
    )


def fingerprint(now: datetime) -> str:
    stamp = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(fingerprint_sql(), [stamp] * 3)
        row = cursor.fetchone()
    text = repr((row, timezone.localdate(now).isoformat()))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def cached_loop(group: ScreenGroup, orientation: str) -> dict:
    """{"emergency": …, "items": […]} for a screen of this orientation in
    this group, as the playlist API sends them."""
    now = timezone.now()
    key = f"big_screen:loop:{group.pk}:{orientation}:{fingerprint(now)}"
    loop = cache.get(key)
    if loop is None:
        # Resolved after the fingerprint was read: never older than its key.
        resolved = resolve(group, orientation, now)
        loop = {"emergency": resolved.emergency, "items": resolved.entries}
        cache.set(key, loop, CACHE_SECONDS)
    return loop


def connect_signals() -> None:
    """What a loop shows but Wagtail does not log bumps the generation."""
    from wagtail.images import get_image_model
    from wagtailmedia.models import get_media_model

    from cms.snippets import Campaign
    from media_pipeline.models import Rendition

    LoopGeneration.follow(
        [
            PlaylistItem,
            ScreenGroup,
            EmergencyItem,
            Rendition,
            get_media_model(),
            get_image_model(),
            Campaign,
        ],
        [ScreenGroup.hidden_items.through],
    )
