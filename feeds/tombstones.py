"""RFC 6721 tombstones for withdrawn items (撤回): a feed's atom.xml carries an
at:deleted-entry for each item withdrawn in the last TOMBSTONE_DAYS that the
feed held — the feed's criteria select it and it had entered the feed (its
publication, or its placement on a selected outlet coming due) before the
withdrawal — as long as the withdrawal is in force (the page is not live
again). `ref` is the entry's Atom id, the item's GUID (feeds.items.item_guid),
so a reader drops exactly the entry it has.

Cost: two queries per feed document (the recent withdrawals, the feed's
selection over their pages), whatever the number of items."""

from datetime import datetime, timedelta

from django.utils import timezone
from wagtail.models import Page

from cms.advisories import Advisory
from feeds.formats import DeletedEntry
from feeds.items import item_guid
from feeds.models import FeedDefinition
from feeds.selection import selection

TOMBSTONE_DAYS = 30


def recent_withdrawals(now: datetime) -> dict[int, Advisory]:
    """page id → its latest withdrawal in the window, if the page is still
    withdrawn (not live, no later advisory)."""
    since = now - timedelta(days=TOMBSTONE_DAYS)
    advisories = Advisory.objects.filter(
        at__gt=since, at__lte=now, page__isnull=False, page__live=False
    ).order_by("-at", "-pk")
    latest: dict[int, Advisory] = {}
    for advisory in advisories:
        latest.setdefault(advisory.page_id, advisory)
    return {pk: a for pk, a in latest.items() if a.is_withdrawal}


def tombstones(
    feed: FeedDefinition, now: datetime | None = None
) -> tuple[DeletedEntry, ...]:
    """The feed's tombstones, newest first."""
    now = now or timezone.now()
    withdrawals = recent_withdrawals(now)
    if not withdrawals:
        return ()
    pages = Page.objects.public().filter(pk__in=withdrawals)
    held = selection(feed, pages, now).values_list("pk", "entered_at")
    entries = [
        DeletedEntry(
            ref=item_guid(pk),
            when=withdrawals[pk].at,
            comment=withdrawals[pk].reason,
        )
        for pk, entered_at in held
        if entered_at is not None and entered_at <= withdrawals[pk].at
    ]
    return tuple(sorted(entries, key=lambda entry: entry.when, reverse=True))


def expiry(entries: tuple[DeletedEntry, ...]) -> datetime | None:
    """When the first of these tombstones leaves the feed."""
    if not entries:
        return None
    return min(entry.when for entry in entries) + timedelta(days=TOMBSTONE_DAYS)
