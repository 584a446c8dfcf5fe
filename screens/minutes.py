"""Which minutes of a big screen count, per screen and local day
(Asia/Shanghai), from its heartbeats and its proof of play; the rows of the
开机率/使用率 report add them up (screens.reports).

For a screen and a day:
- opening minutes: the minutes its `opening_hours` cover (an empty list means
  all day, as for day parts), counted only on days the screen is in service:
  from the day it was paired (from the pairing minute on that day) to the day
  it was revoked, and on any day it sent a heartbeat. Today counts up to now.
- on-minutes: its Heartbeat rows (one per minute) inside the opening hours,
  never more than the opening minutes;
- played minutes: the seconds of the plays it reported that started inside
  its opening hours, ÷ 60, never more than that day's on-minutes, so that
  使用率 stays ≤ 100% even when a player reports overlapping plays.

开机率 = on ÷ opening, 使用率 = played ÷ on. The current opening hours apply
to the whole period.

The work is two aggregate queries (heartbeats and plays grouped by screen and
local day, with the opening hours turned into a SQL condition), whatever the
number of screens; the rest is arithmetic in Python."""

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import (
    ExtractHour,
    ExtractIsoWeekDay,
    ExtractMinute,
    TruncDate,
)
from django.utils import timezone

from screens.models import Heartbeat, PlayRecord, Screen
from screens.schedule import MINUTES_PER_DAY, DayPart, parse_day_parts

# Periods ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    kind: str  # "day", "week" (Monday to Sunday) or "month"
    first: date
    last: date  # inclusive

    @property
    def days(self) -> list[date]:
        count = (self.last - self.first).days + 1
        return [self.first + timedelta(days=n) for n in range(count)]

    @property
    def start(self) -> datetime:
        return local_midnight(self.first)

    @property
    def end(self) -> datetime:
        return local_midnight(self.last + timedelta(days=1))


def local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=local_zone())


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def period_of(kind: str, day: date) -> Period:
    if kind == "week":
        monday = day - timedelta(days=day.isoweekday() - 1)
        return Period(kind, monday, monday + timedelta(days=6))
    if kind == "month":
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return Period(kind, first, following - timedelta(days=1))
    return Period("day", day, day)


# Minutes and rates --------------------------------------------------------------------


@dataclass(frozen=True)
class Minutes:
    opening: int = 0
    on: int = 0
    played: float = 0.0

    def __add__(self, other: "Minutes") -> "Minutes":
        return Minutes(
            self.opening + other.opening, self.on + other.on, self.played + other.played
        )

    @property
    def uptime(self) -> float | None:
        """开机率, 0…1, or None without opening minutes."""
        return self.on / self.opening if self.opening else None

    @property
    def usage(self) -> float | None:
        """使用率, 0…1, or None when the screens were never on."""
        return self.played / self.on if self.on else None


def total(minutes: Iterable[Minutes]) -> Minutes:
    return sum(minutes, Minutes())


# Opening hours ------------------------------------------------------------------------


def hours_key(opening_hours) -> str:
    """One key per distinct opening-hours list (screens mostly share one)."""
    return json.dumps(opening_hours or [], sort_keys=True)


@lru_cache(maxsize=512)
def parts_of(key: str) -> tuple[DayPart, ...]:
    return tuple(parse_day_parts(json.loads(key)))


@lru_cache(maxsize=4096)
def opening_minutes(key: str, weekday: int, since: int = 0, until: int = 1440) -> int:
    """Minutes of one local day (Monday = 1) in [since, until) that the
    opening hours cover, parts running past midnight included."""
    parts = parts_of(key)
    if not parts:
        return max(0, until - since)
    return sum(
        1
        for minute in range(since, until)
        if any(part.covers(weekday, minute) for part in parts)
    )


def previous_days(days: frozenset[int]) -> list[int]:
    """The weekdays after those in `days`: where a part past midnight ends."""
    return sorted(day % 7 + 1 for day in days)


def part_condition(part: DayPart) -> Q:
    """The part as a condition on the `weekday`/`minute_of_day` annotations."""
    days = sorted(part.days)
    if part.start < part.end:
        return Q(weekday__in=days, minute_of_day__gte=part.start) & Q(
            minute_of_day__lt=part.end
        )
    return Q(weekday__in=days, minute_of_day__gte=part.start) | Q(
        weekday__in=previous_days(part.days), minute_of_day__lt=part.end
    )


def hours_condition(key: str) -> Q:
    parts = parts_of(key)
    if not parts:
        return Q(minute_of_day__gte=0)
    condition = Q()
    for part in parts:
        condition |= part_condition(part)
    return condition


def one_if(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0))


def inside_opening_hours(screens: list[Screen]) -> Case:
    """1 when the row's local minute is inside its screen's opening hours: a
    CASE over the distinct opening-hours lists, the commonest as default."""
    by_key: dict[str, list[int]] = defaultdict(list)
    for screen in screens:
        by_key[hours_key(screen.opening_hours)].append(screen.pk)
    if not by_key:
        return Case(default=Value(0), output_field=IntegerField())
    common = max(by_key, key=lambda key: len(by_key[key]))
    whens = [
        When(screen_id__in=ids, then=one_if(hours_condition(key)))
        for key, ids in by_key.items()
        if key != common
    ]
    return Case(
        *whens, default=one_if(hours_condition(common)), output_field=IntegerField()
    )


def local_clock(queryset: QuerySet, field_name: str) -> QuerySet:
    """Annotate the local day, ISO weekday and minute of day of a time field."""
    zone = local_zone()
    return queryset.annotate(
        day=TruncDate(field_name, tzinfo=zone),
        weekday=ExtractIsoWeekDay(field_name, tzinfo=zone),
        minute_of_day=ExtractHour(field_name, tzinfo=zone) * 60
        + ExtractMinute(field_name, tzinfo=zone),
    )


# The two aggregate queries ------------------------------------------------------------

ScreenDay = tuple[int, date]


def as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def on_minutes(
    screens: list[Screen], period: Period, scope: QuerySet
) -> dict[ScreenDay, tuple[int, int]]:
    """(heartbeats inside opening hours, all heartbeats) per screen and day."""
    rows = (
        local_clock(
            Heartbeat.objects.filter(
                screen__in=scope, minute__gte=period.start, minute__lt=period.end
            ),
            "minute",
        )
        .values("screen_id", "day")
        .annotate(inside=Sum(inside_opening_hours(screens)), beats=Count("id"))
        .order_by()
    )
    return {
        (row["screen_id"], as_date(row["day"])): (row["inside"], row["beats"])
        for row in rows
    }


def played_seconds(
    screens: list[Screen], period: Period, scope: QuerySet
) -> dict[ScreenDay, float]:
    """Seconds of plays started inside opening hours, per screen and day."""
    rows = (
        local_clock(
            PlayRecord.objects.filter(
                screen__in=scope,
                started_at__gte=period.start,
                started_at__lt=period.end,
            ),
            "started_at",
        )
        .values("screen_id", "day")
        .annotate(
            seconds=Sum(
                F("seconds") * inside_opening_hours(screens), output_field=FloatField()
            )
        )
        .order_by()
    )
    return {
        (row["screen_id"], as_date(row["day"])): row["seconds"] or 0.0 for row in rows
    }


# A screen's day -----------------------------------------------------------------------


def minute_of(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def in_service_minutes(screen: Screen, day: date, now: datetime, beats: int) -> int:
    """The opening minutes of the day that count for the screen."""
    now = timezone.localtime(now)
    if day > now.date():
        return 0
    since, until = 0, MINUTES_PER_DAY
    if day == now.date():
        until = minute_of(now) + 1
    paired = screen.paired_at and timezone.localtime(screen.paired_at)
    revoked = screen.revoked_at and timezone.localtime(screen.revoked_at)
    if not beats and (
        not paired or day < paired.date() or (revoked and day > revoked.date())
    ):
        return 0
    if paired and day == paired.date():
        since = minute_of(paired)
    if revoked and day == revoked.date():
        until = min(until, minute_of(revoked) + 1)
    if since >= until:
        return 0
    return opening_minutes(
        hours_key(screen.opening_hours), day.isoweekday(), since, until
    )


def screen_day(
    screen: Screen, day: date, now: datetime, beats: tuple[int, int], seconds: float
) -> Minutes:
    inside, count = beats
    opening = in_service_minutes(screen, day, now, count)
    on = min(inside, opening)
    return Minutes(opening, on, min(seconds / 60, on))
