"""Which minutes of a big screen count, per screen and local day
(Asia/Shanghai), from its heartbeats and its proof of play; the rows of the
开机率/使用率 report add them up (screens.reports).

For a screen and a day:
- opening minutes: the minutes its `opening_hours` cover (an empty list means
  all day, as for day parts), counted only on days the screen is in service:
  from the day it was paired (from the pairing minute on that day) to the day
  it was revoked, and on any day it sent a heartbeat. Today counts up to now.
- on-minutes: its Heartbeat rows (one per minute it was on: a heartbeat,
  live or queued offline and sent later, or a play covered it;
  screens.telemetry) inside the opening hours, never more than the opening
  minutes;
- late minutes: those of the on-minutes that reached the server more than
  LATE_AFTER after the minute ended (sent after a network cut);
- played minutes: the seconds of the plays it reported that started inside
  its opening hours, ÷ 60, never more than that day's on-minutes, so that
  使用率 stays ≤ 100% even when a player reports overlapping plays.

开机率 = on ÷ opening, 使用率 = played ÷ on. The current opening hours apply
to every day not rolled up yet.

A finished day is read from its roll-up (screens.rollups: one row per screen
and day, computed by the same queries when the day is rolled up); today, and
any day not rolled up yet or with plays that arrived after its roll-up, from
two aggregate queries a day over the raw rows (heartbeats and plays grouped
by screen, the opening hours turned into ranges of the timestamps, which the
database compares without converting each row to local time). Either way the
number of queries does not depend on the number of screens; the rest is
arithmetic in Python. A rolled-up day is settled: its opening minutes
keep the opening hours, pairing and revocation of when it was rolled up."""

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
from django.db.models.functions import Least
from django.utils import timezone

from screens.models import (
    Heartbeat,
    PlayRecord,
    RolledUpDay,
    Screen,
    ScreenDayRollup,
)
from screens.schedule import MINUTES_PER_DAY, DayPart, parse_day_parts

LATE_AFTER = timedelta(minutes=5)  # reported later than this after the minute

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
    late: int = 0  # of the minutes on, those reported late

    def __add__(self, other: "Minutes") -> "Minutes":
        return Minutes(
            self.opening + other.opening,
            self.on + other.on,
            self.played + other.played,
            self.late + other.late,
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


@lru_cache(maxsize=4096)
def covered_runs(key: str, weekday: int) -> tuple[tuple[int, int], ...]:
    """The minutes of a local day (Monday = 1) the opening hours cover, as
    [start, end) runs, parts running past midnight included."""
    parts = parts_of(key)
    if not parts:
        return ((0, MINUTES_PER_DAY),)
    runs, start = [], None
    for minute in range(MINUTES_PER_DAY + 1):
        inside = minute < MINUTES_PER_DAY and any(
            part.covers(weekday, minute) for part in parts
        )
        if inside and start is None:
            start = minute
        elif not inside and start is not None:
            runs.append((start, minute))
            start = None
    return tuple(runs)


def one_inside(key: str, day: date, field_name: str) -> Case | Value:
    """1 when the row's time is inside the opening hours on that local day:
    ranges of the time field itself, which the database compares without
    converting each row to local time."""
    midnight = local_midnight(day)
    condition = Q()
    for start, end in covered_runs(key, day.isoweekday()):
        condition |= Q(
            **{
                f"{field_name}__gte": midnight + timedelta(minutes=start),
                f"{field_name}__lt": midnight + timedelta(minutes=end),
            }
        )
    if not condition:
        return Value(0)
    return Case(When(condition, then=Value(1)), default=Value(0))


def inside_opening_hours(screens: list[Screen], day: date, field_name: str) -> Case:
    """1 when the row (of that local day) is inside its screen's opening
    hours: a CASE over the distinct opening-hours lists, the commonest as
    default."""
    by_key: dict[str, list[int]] = defaultdict(list)
    for screen in screens:
        by_key[hours_key(screen.opening_hours)].append(screen.pk)
    if not by_key:
        return Case(default=Value(0), output_field=IntegerField())
    common = max(by_key, key=lambda key: len(by_key[key]))
    whens = [
        When(screen_id__in=ids, then=one_inside(key, day, field_name))
        for key, ids in by_key.items()
        if key != common
    ]
    return Case(
        *whens,
        default=one_inside(common, day, field_name),
        output_field=IntegerField(),
    )


# Where each day is read from ---------------------------------------------------------

Span = tuple[datetime, datetime]  # [start, end)


@dataclass(frozen=True)
class DaySources:
    """The days of a period that read their roll-ups (rolled up and not
    stale), and the runs of the others, which read the raw rows."""

    rolled: list[date]
    raw_spans: list[Span]


def day_sources(period: Period) -> DaySources:
    rolled = set(
        RolledUpDay.objects.filter(
            day__gte=period.first, day__lte=period.last, stale=False
        ).values_list("day", flat=True)
    )
    spans: list[Span] = []
    for day in period.days:
        if day in rolled:
            continue
        start, end = local_midnight(day), local_midnight(day + timedelta(days=1))
        if spans and spans[-1][1] == start:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return DaySources(sorted(rolled), spans)


# The raw aggregates (also what a roll-up stores) --------------------------------------

ScreenDay = tuple[int, date]


@dataclass(frozen=True)
class DayCounts:
    """One screen's local day: its heartbeats, those inside its opening
    hours, the seconds of its plays started inside them, and how many of
    the heartbeats inside were reported late."""

    beats: int = 0
    inside: int = 0
    played_seconds: float = 0.0
    late: int = 0


def local_day(day: date) -> Span:
    return local_midnight(day), local_midnight(day + timedelta(days=1))


def one_late() -> Case:
    """1 when the heartbeat row reached the server more than LATE_AFTER after
    its minute ended."""
    deadline = F("minute") + (timedelta(minutes=1) + LATE_AFTER)
    return Case(
        When(received_at__gt=deadline, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )


def raw_beats(screens: list[Screen], day: date, scope: QuerySet) -> dict:
    """(heartbeats inside opening hours, all heartbeats, those inside
    reported late) per screen."""
    start, end = local_day(day)
    inside = inside_opening_hours(screens, day, "minute")
    rows = (
        Heartbeat.objects.filter(screen__in=scope, minute__gte=start, minute__lt=end)
        .values("screen_id")
        .annotate(
            inside=Sum(inside),
            beats=Count("id"),
            late=Sum(inside * one_late(), output_field=IntegerField()),
        )
        .order_by()
    )
    return {
        row["screen_id"]: (row["inside"], row["beats"], row["late"]) for row in rows
    }


def raw_seconds(screens: list[Screen], day: date, scope: QuerySet) -> dict:
    """Seconds of plays started inside opening hours, per screen."""
    start, end = local_day(day)
    inside = inside_opening_hours(screens, day, "started_at")
    rows = (
        PlayRecord.objects.filter(
            screen__in=scope, started_at__gte=start, started_at__lt=end
        )
        .values("screen_id")
        .annotate(
            seconds=Sum(F("seconds") * inside, output_field=FloatField()),
        )
        .order_by()
    )
    return {row["screen_id"]: row["seconds"] or 0.0 for row in rows}


def raw_counts(
    screens: list[Screen], day: date, scope: QuerySet
) -> dict[int, DayCounts]:
    """Each screen's local day from its raw rows, by screen id."""
    beats = raw_beats(screens, day, scope)
    seconds = raw_seconds(screens, day, scope)
    counts = {}
    for screen_id in beats.keys() | seconds.keys():
        inside, count, late = beats.get(screen_id, (0, 0, 0))
        counts[screen_id] = DayCounts(count, inside, seconds.get(screen_id, 0.0), late)
    return counts


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


def settled(opening: int, inside: int, played_seconds: float, late: int) -> Minutes:
    on = min(inside, opening)
    return Minutes(opening, on, min(played_seconds / 60, on), min(late, on))


def settled_total(rollups: QuerySet) -> Minutes:
    """Settled days (ScreenDayRollup rows) added up in the database, each
    day settled as settled() settles it: a year of a fleet in one query."""
    on = Least("inside", "opening")
    played = Least(F("played_seconds") / 60.0, on, output_field=FloatField())
    sums = rollups.aggregate(
        all_opening=Sum("opening"),
        all_on=Sum(on),
        all_played=Sum(played),
        all_late=Sum(Least("late", on)),
    )
    return Minutes(
        sums["all_opening"] or 0,
        sums["all_on"] or 0,
        sums["all_played"] or 0.0,
        sums["all_late"] or 0,
    )


def screen_day(screen: Screen, day: date, now: datetime, counts: DayCounts) -> Minutes:
    opening = in_service_minutes(screen, day, now, counts.beats)
    return settled(opening, counts.inside, counts.played_seconds, counts.late)


def span_days(span: Span) -> list[date]:
    first = span[0].astimezone(local_zone()).date()
    last = span[1].astimezone(local_zone()).date()
    return [first + timedelta(days=n) for n in range((last - first).days)]


def day_minutes(
    screens: list[Screen], period: Period, scope: QuerySet, now: datetime
) -> dict[ScreenDay, Minutes]:
    """Every screen's minutes on each day of the period: the roll-ups where a
    day has them, the raw rows for the rest. Absent: no minutes."""
    sources = day_sources(period)
    rollups = ScreenDayRollup.objects.filter(screen__in=scope, day__in=sources.rolled)
    minutes = {
        (screen_id, day): settled(opening, inside, seconds, late)
        for screen_id, day, opening, inside, seconds, late in rollups.values_list(
            "screen_id", "day", "opening", "inside", "played_seconds", "late"
        )
    }
    nothing = DayCounts()
    today = timezone.localtime(now).date()
    for span in sources.raw_spans:
        # A day to come has no minutes yet.
        for day in (day for day in span_days(span) if day <= today):
            counts = raw_counts(screens, day, scope)
            for screen in screens:
                one = counts.get(screen.pk, nothing)
                minutes[(screen.pk, day)] = screen_day(screen, day, now, one)
    return minutes
