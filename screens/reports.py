"""开机率 and 使用率 of the big screens, per screen, group, tier and day
(plays per item and per campaign: screens.report_plays).

For a screen and a local day (Asia/Shanghai):
- opening minutes: the minutes its `opening_hours` cover (an empty list means
  all day, as for day parts), counted only on days the screen is in service:
  from the day it was paired (from the pairing minute on that day) to the day
  it was revoked, and on any day it sent a heartbeat. Today counts up to now.
- on-minutes: its Heartbeat rows (one per minute) inside the opening hours,
  never more than the opening minutes;
- played minutes: the seconds of the plays it reported that started inside
  its opening hours, ÷ 60, never more than that day's on-minutes, so that
  使用率 stays ≤ 100% even when a player reports overlapping plays.

开机率 = on ÷ opening, 使用率 = played ÷ on. A group adds up the numerators and
the denominators of every screen under it (descendants included) before
dividing; so does a tier (its groups don't overlap). The current opening
hours apply to the whole period.

The work is a fixed number of aggregate queries (heartbeats and plays grouped
by screen and local day, with the opening hours turned into a SQL condition),
whatever the number of screens; the rest is arithmetic in Python."""

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
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
from django.utils.translation import gettext_lazy as _

from cms.reporting.sheets import percent_text
from screens.models import (
    Heartbeat,
    PlayRecord,
    Screen,
    ScreenGroup,
)
from screens.schedule import MINUTES_PER_DAY, DayPart, parse_day_parts

OFFLINE_AFTER = timedelta(minutes=10)
PERIOD_KINDS = {"day": _("日"), "week": _("周"), "month": _("月")}
ALL_DAY = -1  # the opening-hours key of a screen open round the clock


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

    @property
    def uptime_text(self) -> str:
        return percent(self.uptime)

    @property
    def usage_text(self) -> str:
        return percent(self.usage)


def total(minutes: Iterable[Minutes]) -> Minutes:
    return sum(minutes, Minutes())


def percent(rate: float | None) -> str:
    return "—" if rate is None else percent_text(rate)


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


# Screens, days and the tree -----------------------------------------------------------


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


def is_offline(screen: Screen, now: datetime) -> bool:
    """Highlighted: not revoked, and no heartbeat for OFFLINE_AFTER (or ever)."""
    if screen.revoked_at is not None:
        return False
    return screen.last_seen_at is None or now - screen.last_seen_at > OFFLINE_AFTER


@dataclass(frozen=True)
class ScreenLine:
    screen: Screen
    minutes: Minutes
    offline: bool


@dataclass
class GroupLine:
    group: ScreenGroup
    minutes: Minutes = field(default_factory=Minutes)
    screens: int = 0
    offline: int = 0

    def add(self, line: ScreenLine) -> None:
        self.minutes += line.minutes
        self.screens += 1
        self.offline += line.offline


@dataclass(frozen=True)
class TierLine:
    label: str
    groups: int
    screens: int
    minutes: Minutes
    lowest: GroupLine | None  # the group with the lowest 开机率


@dataclass(frozen=True)
class DayLine:
    day: date
    minutes: Minutes


def tier_lines(groups: list[GroupLine]) -> list[TierLine]:
    lines = []
    for tier, label in ScreenGroup.Tier.choices:
        of_tier = [line for line in groups if line.group.tier == tier]
        if not of_tier:
            continue
        rated = [line for line in of_tier if line.minutes.uptime is not None]
        lines.append(
            TierLine(
                label=str(label),
                groups=len(of_tier),
                screens=sum(line.screens for line in of_tier),
                minutes=total(line.minutes for line in of_tier),
                lowest=min(rated, key=lambda line: line.minutes.uptime, default=None),
            )
        )
    return lines


def tree_order(groups: list[ScreenGroup]) -> list[ScreenGroup]:
    """Parents before children, siblings by tier and name."""
    by_id = {group.pk: group for group in groups}

    def key(group: ScreenGroup) -> list[str]:
        return [by_id[pk].name if pk in by_id else "" for pk in group.lineage_ids]

    return sorted(groups, key=key)


# The report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ScreenReport:
    period: Period
    scope: ScreenGroup | None  # None: every screen
    lineage: list[ScreenGroup]  # the scope's ancestors and the scope itself
    now: datetime
    screens: list[ScreenLine]  # every screen under the scope
    groups: list[GroupLine]  # every group under the scope, in tree order
    days: list[DayLine]
    tiers: list[TierLine]

    @property
    def total(self) -> Minutes:
        return total(line.minutes for line in self.screens)

    @property
    def online(self) -> int:
        return sum(
            1
            for line in self.screens
            if not line.offline and line.screen.revoked_at is None
        )

    @property
    def offline(self) -> list[ScreenLine]:
        return [line for line in self.screens if line.offline]

    @property
    def children(self) -> list[GroupLine]:
        """The groups one level under the scope (the roots without one)."""
        parent = self.scope.pk if self.scope else None
        return [line for line in self.groups if line.group.parent_id == parent]

    @property
    def direct_screens(self) -> list[ScreenLine]:
        if self.scope is None:
            return []
        return [line for line in self.screens if line.screen.group_id == self.scope.pk]


def scoped_screens(scope: ScreenGroup | None) -> QuerySet:
    screens = Screen.objects.all()
    if scope is not None:
        screens = screens.filter(group__path__startswith=scope.path)
    return screens


def scoped_groups(scope: ScreenGroup | None) -> list[ScreenGroup]:
    groups = ScreenGroup.objects.all()
    if scope is not None:
        groups = groups.filter(path__startswith=scope.path)
    return tree_order(list(groups))


def screen_lines(
    screens: list[Screen], period: Period, scope: QuerySet, now: datetime
) -> tuple[list[ScreenLine], list[DayLine]]:
    beats = on_minutes(screens, period, scope)
    seconds = played_seconds(screens, period, scope)
    per_day: dict[date, Minutes] = defaultdict(Minutes)
    lines = []
    for screen in screens:
        minutes = Minutes()
        for day in period.days:
            key = (screen.pk, day)
            one = screen_day(
                screen, day, now, beats.get(key, (0, 0)), seconds.get(key, 0.0)
            )
            minutes += one
            per_day[day] += one
        lines.append(ScreenLine(screen, minutes, is_offline(screen, now)))
    return lines, [DayLine(day, per_day[day]) for day in period.days]


def screen_report(
    period: Period, scope: ScreenGroup | None = None, now: datetime | None = None
) -> ScreenReport:
    now = now or timezone.now()
    scope_screens = scoped_screens(scope)
    screens = list(scope_screens.select_related("group").order_by("name", "pk"))
    lines, days = screen_lines(screens, period, scope_screens, now)
    groups = scoped_groups(scope)
    group_lines = {group.pk: GroupLine(group) for group in groups}
    for line in lines:
        for pk in line.screen.group.lineage_ids:
            if pk in group_lines:
                group_lines[pk].add(line)
    lineage = []
    if scope is not None:
        ancestors = ScreenGroup.objects.in_bulk(scope.lineage_ids)
        lineage = [ancestors[pk] for pk in scope.lineage_ids if pk in ancestors]
    return ScreenReport(
        period=period,
        scope=scope,
        lineage=lineage,
        now=now,
        screens=lines,
        groups=list(group_lines.values()),
        days=days,
        tiers=tier_lines(list(group_lines.values())),
    )
