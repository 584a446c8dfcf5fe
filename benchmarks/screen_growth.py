"""Database growth per screen per day: bytes per heartbeat and per play row
measured by inserting a day of them (raw rows, kept SCREENS_RAW_RETENTION_DAYS),
then bytes per roll-up row (kept for ever) measured by rolling up yesterday
with the scheduler's job and copying its roll-ups to the days before it, so
that the month's reports read roll-ups. Import only after django.setup()."""

import time
import uuid
from copy import copy
from dataclasses import dataclass
from datetime import timedelta

from sampling import report as say
from screen_fleet import Fleet

# Enough rows for bytes per row to settle (pages, index nodes), few enough to
# insert in seconds.
GROWTH_SCREENS = 100  # screens given a day of heartbeats (08:00–20:00)
GROWTH_PLAYS = 20_000
BATCH = 5_000


def table_bytes(table: str) -> int:
    """The table with its indexes on PostgreSQL; the whole file on SQLite
    (nothing else is written meanwhile)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_total_relation_size(%s)", [table])
            return cursor.fetchone()[0]
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute("PRAGMA page_size")
        return pages * cursor.fetchone()[0]


def yesterday_at(hour: int):
    from django.utils import timezone

    day = timezone.localdate() - timedelta(days=1)
    return timezone.make_aware(timezone.datetime(day.year, day.month, day.day, hour))


def bytes_per_row(model, rows) -> tuple[float, int]:
    """Insert the rows; (bytes per row, rows) from the table's growth."""
    from django.db import transaction

    before = table_bytes(model._meta.db_table)
    count = 0
    batch = []
    with transaction.atomic():
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                model.objects.bulk_create(batch)
                count += len(batch)
                batch = []
        model.objects.bulk_create(batch)
        count += len(batch)
    return (table_bytes(model._meta.db_table) - before) / count, count


def a_day_of_heartbeats(fleet: Fleet):
    """One per minute from 08:00 to 20:00 yesterday for GROWTH_SCREENS screens."""
    from screens.models import Heartbeat

    opening = yesterday_at(8)
    for pk, _token in fleet.screens[:GROWTH_SCREENS]:
        for minute in range(12 * 60):
            yield Heartbeat(
                screen_id=pk,
                minute=opening + timedelta(minutes=minute),
                playing_item=fleet.items[minute % len(fleet.items)],
                storage_free_bytes=10**10,
            )


def plays_of_yesterday(fleet: Fleet):
    from screens.models import PlaylistItem, PlayRecord

    items = list(PlaylistItem.objects.filter(pk__in=fleet.items))
    opening = yesterday_at(8)
    for n in range(GROWTH_PLAYS):
        item = items[n % len(items)]
        yield PlayRecord(
            play_id=uuid.uuid4(),
            screen_id=fleet.screens[n % len(fleet.screens)][0],
            item=item,
            page_id=item.page_id,
            started_at=opening + timedelta(seconds=(n // len(fleet.screens)) * 22),
            seconds=21.5,
        )


def loop_seconds_per_item(fleet: Fleet) -> float:
    """The average item of a screen's loop (the province's items and its
    site's poster), for plays per day."""
    from screens.models import PlaylistItem

    durations = list(
        PlaylistItem.objects.filter(pk__in=fleet.items).values_list(
            "duration_seconds", flat=True
        )
    ) + [15]
    return sum(durations) / len(durations)


@dataclass(frozen=True)
class Growth:
    heartbeat_bytes: float
    heartbeats: int
    play_bytes: float
    plays: int
    seconds_per_item: float

    def per_screen_day(self, open_hours: float, on_hours: float) -> float:
        plays = open_hours * 3600 / self.seconds_per_item
        return on_hours * 60 * self.heartbeat_bytes + plays * self.play_bytes


@dataclass(frozen=True)
class RollupGrowth:
    roll_up_seconds: float  # the job rolling up yesterday
    screen_day_bytes: float
    play_day_bytes: float
    sources_per_day: int  # play roll-up rows per screen and day: its loop
    copied_days: int

    @property
    def per_screen_day(self) -> float:
        return self.screen_day_bytes + self.sources_per_day * self.play_day_bytes


def copies_of(model, day, days: int):
    """The day's roll-up rows again on each of the `days` days before it."""
    rows = list(model.objects.filter(day=day))
    for back in range(1, days + 1):
        for row in rows:
            row = copy(row)
            row.pk, row.day = None, day - timedelta(days=back)
            yield row


def measure_rollup_growth(fleet: Fleet, days: int = 29) -> RollupGrowth:
    """Roll up yesterday, then copy its roll-ups to the `days` days before."""
    from django.utils import timezone

    from screens.models import PlayDayRollup, RolledUpDay, ScreenDayRollup
    from screens.rollups import roll_up_day

    say(f"rolling up yesterday, then copying its roll-ups to the {days} days before …")
    yesterday = yesterday_at(8).date()
    started = time.monotonic()
    roll_up_day(yesterday, timezone.now())
    roll_up_seconds = time.monotonic() - started
    screen_bytes, _rows = bytes_per_row(
        ScreenDayRollup, copies_of(ScreenDayRollup, yesterday, days)
    )
    play_bytes, _rows = bytes_per_row(
        PlayDayRollup, copies_of(PlayDayRollup, yesterday, days)
    )
    RolledUpDay.objects.bulk_create(
        RolledUpDay(day=yesterday - timedelta(days=back), rolled_up_at=timezone.now())
        for back in range(1, days + 1)
    )
    return RollupGrowth(
        roll_up_seconds, screen_bytes, play_bytes, len(fleet.items) + 1, days
    )


def measure_growth(fleet: Fleet) -> Growth:
    from screens.models import Heartbeat, PlayRecord

    say()
    say(f"database growth: a day of heartbeats for {GROWTH_SCREENS:,} screens …")
    started = time.monotonic()
    heartbeat_bytes, heartbeats = bytes_per_row(Heartbeat, a_day_of_heartbeats(fleet))
    play_bytes, plays = bytes_per_row(PlayRecord, plays_of_yesterday(fleet))
    say(f"  inserted in {time.monotonic() - started:.0f} s")
    return Growth(
        heartbeat_bytes, heartbeats, play_bytes, plays, loop_seconds_per_item(fleet)
    )
