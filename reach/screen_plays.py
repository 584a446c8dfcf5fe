"""The big screens' plays (proof of play, as screens.rollups settles each
day into PlayDayRollup) into the ledger, per day, organisation (the owner
of the screen's group) and item: plays and play time counted, and 覆盖人次
estimated as the people passing while the item played — its play time in
hours × its site's footfall per hour (ScreenGroup.footfall_per_hour). A
card played 100 times for 15 s covers 25 minutes of passers-by, not 100
hours' worth, so play time, not the count of plays, is what is multiplied.
Screens whose group has no footfall figure add nothing to the estimate and
are named in its inputs; with none at all it is missing.

A day rolled up again (plays that arrived late from a player that was
offline) is written again."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext

from reach import rollups
from reach.ledger import record
from reach.marks import mark_of, move_mark
from reach.models import ReachRecord
from screens.models import PlayDayRollup, RolledUpDay

CHANNEL = "screens"
SOURCE = "screens"
COUNTED_SOURCE = "大屏播放记录（proof of play）"


@dataclass
class ItemDay:
    plays: int = 0
    seconds: float = 0.0
    people: float = 0.0
    footfall_groups: dict[int, int] = field(default_factory=dict)
    groups_without_footfall: set[int] = field(default_factory=set)


def item_days(day: date) -> dict[tuple[int, int | None], ItemDay]:
    """(organisation, page) → the day's plays of it on that organisation's screens."""
    rows = (
        PlayDayRollup.objects.filter(day=day)
        .values_list(
            "screen__group__owner_id",
            "page_id",
            "screen__group_id",
            "screen__group__footfall_per_hour",
        )
        .annotate(plays=Sum("plays"), seconds=Sum("seconds"))
        .order_by()
    )
    items: dict[tuple[int, int | None], ItemDay] = defaultdict(ItemDay)
    for owner, page, group, footfall, plays, seconds in rows:
        item = items[(owner, page)]
        item.plays += plays
        item.seconds += seconds
        if footfall is None:
            item.groups_without_footfall.add(group)
        else:
            item.people += seconds / 3600 * footfall
            item.footfall_groups[group] = footfall
    return items


@transaction.atomic
def write_day(day: date) -> int:
    earlier = ReachRecord.objects.filter(channel=CHANNEL, day=day)
    # Their month's roll-ups are rebuilt even where nothing is written again.
    had_plays = sorted(set(earlier.values_list("organisation", flat=True)))
    earlier.delete()
    items = item_days(day)
    for (owner, page), item in items.items():
        common = {
            "page_id": page,
            "channel": CHANNEL,
            "organisation_id": owner,
            "day": day,
        }
        key = f"{CHANNEL}:{day.isoformat()}:{owner}:{page or 0}"
        counted = {
            **common,
            "method": ReachRecord.Method.COUNTED,
            "source": COUNTED_SOURCE,
            "confidence": ReachRecord.Confidence.HIGH,
        }
        record(
            f"{key}:plays",
            metric=ReachRecord.Metric.PLAYS,
            value=item.plays,
            inputs={"plays": item.plays},
            **counted,
        )
        record(
            f"{key}:seconds",
            metric=ReachRecord.Metric.SECONDS,
            value=round(item.seconds),
            inputs={"seconds": round(item.seconds, 1)},
            **counted,
        )
        record(
            f"{key}:people",
            metric=ReachRecord.Metric.PEOPLE,
            method=ReachRecord.Method.ESTIMATED,
            value=round(item.people) if item.footfall_groups else None,
            source=gettext("播放时长（小时）× 站点人流量（人/小时）"),
            confidence=ReachRecord.Confidence.LOW,
            inputs={
                "seconds": round(item.seconds, 1),
                "footfall_per_hour": item.footfall_groups,
                "groups_without_footfall": sorted(item.groups_without_footfall),
            },
            **common,
        )
    if had_plays:
        rollups.rebuild(day.replace(day=1), had_plays)
    return len(items)


def write_rolled_up_days() -> list[date]:
    """The days rolled up (again) since the last round."""
    since = mark_of(SOURCE)
    days = list(
        RolledUpDay.objects.filter(rolled_up_at__gt=since, stale=False)
        .order_by("rolled_up_at")
        .values_list("day", "rolled_up_at")
    )
    for day, _at in days:
        write_day(day)
    if days:
        move_mark(SOURCE, days[-1][1])
    return [day for day, _at in days]
