"""Resolved loops, cached per group and orientation, so that a poll whose
answer has not changed (nearly all of them: a 304) reads the screen's token
and one fingerprint row instead of resolving the loop again.

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

from django.core.cache import cache
from django.utils import timezone

from cms.generations import RecentFingerprint, latest, page_fingerprint
from screens.models import (
    EmergencyItem,
    LoopGeneration,
    PlaylistItem,
    ScreenGroup,
)
from screens.playlist import resolve

CACHE_SECONDS = 24 * 60 * 60  # entries are keyed by fingerprint; this only frees space

LOOP_FINGERPRINT = page_fingerprint(
    LoopGeneration,
    latest(EmergencyItem, "starts_at", "starts_at <= %(now)s"),
    latest(EmergencyItem, "ends_at", "ends_at <= %(now)s"),
    latest(EmergencyItem, "cancelled_at"),
)
current_fingerprint = RecentFingerprint(LOOP_FINGERPRINT).get  # read every poll


def cached_loop(group: ScreenGroup, orientation: str) -> dict:
    """{"emergency": …, "items": […]} for a screen of this orientation in
    this group, as the playlist API sends them."""
    now = timezone.now()
    key = current_fingerprint(now).cache_key(
        "big_screen:loop", group.pk, orientation, timezone.localdate(now)
    )
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
