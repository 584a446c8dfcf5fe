"""Daily roll-ups of what the screens report, and how long the raw rows stay.

`roll_up_and_prune(now)` runs at every scheduler tick (SCHEDULER_JOBS):

1. Each finished local day (Asia/Shanghai, ROLL_UP_AFTER past its midnight so
   that the last batches of plays are in) is rolled up once, oldest first,
   from the first day with raw rows on: one ScreenDayRollup per screen with
   minutes that day and one PlayDayRollup per screen and source played, made
   by the same queries the report runs on raw rows (screens.minutes), so a
   report gives the same figures before and after. A day marked stale
   because plays or heartbeats for it arrived later (screens.telemetry: a
   player that was offline) is rolled up again while its raw rows are still
   kept; those that arrive after that are stored but not counted.
2. When no older day waits, raw heartbeats and plays from before the last
   SCREENS_RAW_RETENTION_DAYS local days are deleted, BATCH rows at a time
   and at most MAX_BATCHES per tick. Roll-ups are kept for ever.

A day's rows and its RolledUpDay are written in one transaction that first
claims the day (the marker's unique day, or its row lock): under several
workers each day is rolled up once, and running again changes nothing.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError
from django.db.models import Count, Max, Min, Sum
from django.utils import timezone
from django_tasks_db.utils import exclusive_transaction

from screens.minutes import (
    DayCounts,
    local_day,
    local_midnight,
    local_zone,
    raw_counts,
    screen_day,
)
from screens.models import (
    Heartbeat,
    PlayDayRollup,
    PlayRecord,
    RolledUpDay,
    Screen,
    ScreenDayRollup,
)

logger = logging.getLogger(__name__)

ROLL_UP_AFTER = timedelta(minutes=15)
DAYS_PER_TICK = 2  # a long history is caught up over several ticks
BATCH = 5_000
MAX_BATCHES = 20
SOURCE = ("item_id", "emergency_id", "page_id", "campaign_id")


@dataclass
class RollUpResult:
    rolled_up: list[date]
    deleted: int


# Which days -------------------------------------------------------------------


def local_date(moment: datetime) -> date:
    return moment.astimezone(local_zone()).date()


def last_finished_day(now: datetime) -> date:
    return local_date(now - ROLL_UP_AFTER) - timedelta(days=1)


def first_raw_day() -> date | None:
    firsts = [
        Heartbeat.objects.aggregate(first=Min("minute"))["first"],
        PlayRecord.objects.aggregate(first=Min("started_at"))["first"],
    ]
    found = [local_date(moment) for moment in firsts if moment is not None]
    return min(found, default=None)


def retention_start(now: datetime) -> date:
    """The first local day whose raw rows are kept."""
    return local_date(now) - timedelta(days=settings.SCREENS_RAW_RETENTION_DAYS)


def due_days(now: datetime) -> list[date]:
    """Stale days still within retention, then the days never rolled up."""
    last = last_finished_day(now)
    newest = RolledUpDay.objects.aggregate(newest=Max("day"))["newest"]
    if newest is not None:
        first = newest + timedelta(days=1)
    else:
        # Nothing rolled up yet: start from the oldest raw row, or mark the
        # last finished day (empty) so that the search runs only once.
        first = min(first_raw_day() or last, last)
    stale = RolledUpDay.objects.filter(
        stale=True, day__gte=retention_start(now), day__lte=last
    ).values_list("day", flat=True)
    fresh = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return sorted(stale) + fresh


# Rolling up a day -------------------------------------------------------------


def screen_rows(day: date, now: datetime) -> list[ScreenDayRollup]:
    screens = list(Screen.objects.all())
    counts = raw_counts(screens, day, Screen.objects.all())
    nothing = DayCounts()
    rows = []
    for screen in screens:
        one = counts.get(screen.pk, nothing)
        minutes = screen_day(screen, day, now, one)
        if minutes.opening or one.beats or one.played_seconds:
            rows.append(
                ScreenDayRollup(
                    screen=screen,
                    day=day,
                    opening=minutes.opening,
                    beats=one.beats,
                    inside=one.inside,
                    played_seconds=one.played_seconds,
                    late=one.late,
                )
            )
    return rows


def plays_of(day: date):
    start, end = local_day(day)
    return PlayRecord.objects.filter(started_at__gte=start, started_at__lt=end)


def play_rows(day: date) -> list[PlayDayRollup]:
    grouped = (
        plays_of(day)
        .values("screen_id", *SOURCE)
        .annotate(count=Count("id"), total=Sum("seconds"))
        .order_by()
    )
    return [
        PlayDayRollup(
            day=day,
            screen_id=row["screen_id"],
            plays=row["count"],
            seconds=row["total"] or 0.0,
            **{name: row[name] for name in SOURCE},
        )
        for row in grouped
    ]


def roll_up_day(day: date, now: datetime) -> bool:
    """Replace the day's roll-ups with the aggregates of its raw rows; False
    when another worker has done it meanwhile. Plays or heartbeats for the
    day stored while it was being rolled up leave it stale, to be rolled up
    again."""
    started = timezone.now()
    screens, plays = screen_rows(day, now), play_rows(day)
    try:
        with exclusive_transaction():
            marker = RolledUpDay.objects.select_for_update().filter(day=day).first()
            if marker is not None and not marker.stale:
                return False
            late = arrived_since(day, started)
            if marker is None:
                # Unique: a worker rolling up the same day waits here and fails.
                RolledUpDay.objects.create(day=day, rolled_up_at=now, stale=late)
            else:
                RolledUpDay.objects.filter(pk=marker.pk).update(
                    stale=late, rolled_up_at=now
                )
            ScreenDayRollup.objects.filter(day=day).delete()
            PlayDayRollup.objects.filter(day=day).delete()
            ScreenDayRollup.objects.bulk_create(screens, batch_size=BATCH)
            PlayDayRollup.objects.bulk_create(plays, batch_size=BATCH)
    except IntegrityError:
        return False
    return True


def arrived_since(day: date, started: datetime) -> bool:
    """Whether plays or minutes of the day were stored since `started`."""
    start, end = local_day(day)
    minutes = Heartbeat.objects.filter(
        minute__gte=start, minute__lt=end, received_at__gte=started
    )
    return plays_of(day).filter(received_at__gte=started).exists() or (minutes.exists())


def plays_arrived(started: list[datetime]) -> None:
    """Plays or heartbeat minutes just stored at these times: the rolled-up
    days they fall on are stale, if their raw rows are still kept (older
    ones are not counted). Today is never rolled up: no query for it."""
    now = timezone.now()
    kept_from, today = retention_start(now), local_date(now)
    days = {day for day in map(local_date, started) if kept_from <= day < today}
    if days:
        RolledUpDay.objects.filter(day__in=days, stale=False).update(stale=True)


# Retention --------------------------------------------------------------------


def delete_before(model, field: str, cutoff: datetime) -> int:
    deleted = 0
    for _batch in range(MAX_BATCHES):
        ids = list(
            model.objects.filter(**{f"{field}__lt": cutoff}).values_list(
                "pk", flat=True
            )[:BATCH]
        )
        if not ids:
            break
        model.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
    return deleted


def prune_raw(now: datetime) -> int:
    kept_from = retention_start(now)
    # A day that went stale just before leaving the window keeps its roll-up.
    RolledUpDay.objects.filter(stale=True, day__lt=kept_from).update(stale=False)
    cutoff = local_midnight(kept_from)
    return delete_before(Heartbeat, "minute", cutoff) + delete_before(
        PlayRecord, "started_at", cutoff
    )


# The scheduled job ------------------------------------------------------------


def roll_up_and_prune(now: datetime) -> RollUpResult:
    due = due_days(now)
    rolled_up = [day for day in due[:DAYS_PER_TICK] if roll_up_day(day, now)]
    deleted = prune_raw(now) if len(due) <= DAYS_PER_TICK else 0
    if rolled_up or deleted:
        logger.info(
            "screens: rolled up %s, deleted %d raw rows",
            ", ".join(day.isoformat() for day in rolled_up) or "nothing",
            deleted,
        )
    return RollUpResult(rolled_up, deleted)
