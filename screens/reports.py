"""The rows of the 开机率/使用率 report of the big screens: per screen, group,
tier and day, over a period (the minutes that count: screens.minutes; plays
per item and per campaign: screens.report_plays).

A group adds up the numerators and the denominators of every screen under it
(descendants included) before dividing; so does a tier (its groups don't
overlap). A report costs the same few queries whatever the number of screens:
the screens, the days read from roll-ups and the raw aggregates of
screens.minutes, the groups and the scope's ancestors."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from cms.trees import tree_order
from screens.minutes import Minutes, Period, day_minutes, total
from screens.models import Screen, ScreenGroup

OFFLINE_AFTER = timedelta(minutes=10)


# Screens, groups, tiers and days ------------------------------------------------------


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
    per_screen: dict[int, Minutes] = defaultdict(Minutes)
    per_day: dict[date, Minutes] = defaultdict(Minutes)
    position = {screen.pk: n for n, screen in enumerate(screens)}
    # By day, then screen: every sum adds the same figures in the same order
    # whether they come from roll-ups or raw rows.
    for (screen_id, day), minutes in sorted(
        day_minutes(screens, period, scope, now).items(),
        key=lambda item: (item[0][1], position.get(item[0][0], -1)),
    ):
        per_screen[screen_id] += minutes
        per_day[day] += minutes
    lines = [
        ScreenLine(screen, per_screen[screen.pk], is_offline(screen, now))
        for screen in screens
    ]
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
