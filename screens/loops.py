"""Resolved loops, cached per group and orientation with their digest (part
of every playlist's ETag), so that a poll reads one fingerprint row instead
of resolving the loop again (the fast path, fast_path.py, reads that row
once a second).

A loop (playlist.resolve) changes with: the pages it shows (any page log
entry — publish, unpublish, privacy, move — or a live page passing its
expiry), the local date (items whose date window has ended drop out), an
emergency starting, ending or being cancelled, and the rows LoopGeneration
is bumped for (playlist items, groups and what they hide, emergencies,
media files, images, screen renditions, campaigns). The fingerprint
(cms.generations) reads them all in one query, off indexes and small
tables, on every poll, so a change made in any process is in the next poll
of every screen; the cache key adds the local date. Day parts are not in it: the
player applies them to the loop it has. A queryset .update() of those rows
sends no signal: code that writes them in bulk bumps LoopGeneration itself."""

import hashlib
import json
from dataclasses import dataclass

from django.core.cache import cache
from django.utils import timezone

from cms.generations import (
    Fingerprint,
    RecentFingerprint,
    latest,
    page_fingerprint,
)
from screens.models import (
    EmergencyItem,
    LoopGeneration,
    PlaylistItem,
    ScreenGroup,
)
from screens.playlist import resolve

CACHE_SECONDS = 24 * 60 * 60  # entries are keyed by fingerprint; this only frees space
DIGEST = ":digest"  # the key of a loop's digest: its own key + this

LOOP_FINGERPRINT = page_fingerprint(
    LoopGeneration,
    latest(EmergencyItem, "starts_at", "starts_at <= %(now)s"),
    latest(EmergencyItem, "ends_at", "ends_at <= %(now)s"),
    latest(EmergencyItem, "cancelled_at"),
)
current_fingerprint = RecentFingerprint(LOOP_FINGERPRINT).get  # read every poll


@dataclass(frozen=True)
class Loop:
    body: dict  # {"emergency": …, "items": […]}, as the playlist API sends it
    digest: str  # of the body: part of every ETag of a playlist with it


def digest_of(body: dict) -> str:
    text = json.dumps(body, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def cached_loop(
    group: ScreenGroup, orientation: str, fingerprint: Fingerprint | None = None
) -> Loop:
    """The loop of a screen of this orientation in this group, under a
    fingerprint read lately (fast_path) or read now."""
    now = timezone.now()
    key = loop_key(group, orientation, now, fingerprint)
    found = cache.get_many([key, key + DIGEST])
    if len(found) == 2:
        return Loop(found[key], found[key + DIGEST])
    return resolved(key, group, orientation, now)


def cached_loop_digest(
    group: ScreenGroup, orientation: str, fingerprint: Fingerprint | None = None
) -> str:
    """Only the loop's digest: a small read, for what needs only the ETag."""
    now = timezone.now()
    key = loop_key(group, orientation, now, fingerprint)
    digest = cache.get(key + DIGEST)
    if digest is None:
        digest = resolved(key, group, orientation, now).digest
    return digest


def loop_key(group: ScreenGroup, orientation: str, now, fingerprint=None) -> str:
    """The path is in it: a group read before a move never keys its old
    lineage's loop under a fingerprint read after it."""
    return (fingerprint or current_fingerprint(now)).cache_key(
        "big_screen:loop", group.pk, group.path, orientation, timezone.localdate(now)
    )


def resolved(key: str, group: ScreenGroup, orientation: str, now) -> Loop:
    # Resolved after the fingerprint was read: never older than its key.
    found = resolve(group, orientation, now)
    body = {"emergency": found.emergency, "items": found.entries}
    loop = Loop(body, digest_of(body))
    cache.set_many({key: loop.body, key + DIGEST: loop.digest}, CACHE_SECONDS)
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
