"""The editorial calendar: the days shown, the placements on them, theme-day
bands, the days where an outlet's cadence expects an issue that is not
planned, and moving a placement to another day.

A day of the month or week view shows only its first placements and how many
more there are ("+N 更多", a link to the day view, which shows them all); the
placements cost two queries (the first few per day by a window function, and
the count per day) however many there are."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Count, F, IntegerField, Q, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channels.forms import content_page_models
from channels.models import Outlet, Placement
from channels.queue import OPEN
from channels.registry import channel_colour
from cms.snippets import Campaign, Topic
from cms.weekdays import WEEKDAYS

MONTH, WEEK, DAY = "month", "week", "day"
VIEWS = (MONTH, WEEK, DAY)
# Chips shown per day before "+N 更多"; the day view shows every placement.
CHIPS_PER_DAY = {MONTH: 4, WEEK: 30, DAY: None}
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9000, 12, 31)
GAP_CADENCES = (Outlet.Cadence.DAILY, Outlet.Cadence.WEEKLY)


@dataclass(frozen=True)
class Period:
    view: str  # MONTH, WEEK or DAY
    anchor: date
    start: date  # the first day shown: a Monday, or the day itself
    end: date  # the day after the last day shown

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(n) for n in range((self.end - self.start).days)]

    @property
    def previous(self) -> date:
        if self.view == DAY:
            return self.start - timedelta(1)
        if self.view == WEEK:
            return self.start - timedelta(7)
        return (self.anchor.replace(day=1) - timedelta(1)).replace(day=1)

    @property
    def next(self) -> date:
        if self.view == DAY:
            return self.end
        if self.view == WEEK:
            return self.start + timedelta(7)
        return (self.anchor.replace(day=28) + timedelta(4)).replace(day=1)

    @property
    def title(self) -> str:
        if self.view == MONTH:
            return _("%(year)d年%(month)d月") % {
                "year": self.anchor.year,
                "month": self.anchor.month,
            }
        if self.view == DAY:
            return f"{self.start:%Y-%m-%d}"
        last = self.end - timedelta(1)
        return _("%(start)s 至 %(end)s") % {
            "start": f"{self.start:%Y-%m-%d}",
            "end": f"{last:%Y-%m-%d}",
        }


def period_of(view: str, anchor: date) -> Period:
    if view == DAY:
        return Period(DAY, anchor, anchor, anchor + timedelta(1))
    if view == WEEK:
        start = anchor - timedelta(anchor.weekday())
        return Period(WEEK, anchor, start, start + timedelta(7))
    first = anchor.replace(day=1)
    last = (first + timedelta(32)).replace(day=1) - timedelta(1)
    start = first - timedelta(first.weekday())
    end = last + timedelta(7 - last.weekday())
    return Period(MONTH, anchor, start, end)


def parse_day(value: str) -> date | None:
    """The date asked for, or None when it is not one the calendar can page
    around (year 1 or 9999 would overflow)."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True)
class Chip:
    placement: Placement
    colour: str
    movable: bool


@dataclass(frozen=True)
class Band:
    campaign: Campaign
    starts: bool  # show the name: first day of the campaign or of the row


@dataclass
class Day:
    date: date
    in_period: bool
    past: bool
    today: bool
    chips: list[Chip] = field(default_factory=list)
    more: int = 0  # placements of the day beyond the chips shown
    bands: list[Band] = field(default_factory=list)
    gaps: list[Outlet] = field(default_factory=list)


@dataclass
class Calendar:
    period: Period
    weeks: list[list[Day]]
    count: int


def day_number(period: Period, first: int = 0, end: int | None = None):
    """The index in period.days of a placement's local day (for placements
    inside the period): a binary search of range conditions that the database
    evaluates itself, where TruncDate would call Python once a row on
    SQLite."""
    end = len(period.days) if end is None else end
    if end - first == 1:
        return Value(first)
    middle = (first + end) // 2
    return Case(
        When(
            scheduled_at__lt=day_start(period.days[middle]),
            then=day_number(period, first, middle),
        ),
        default=day_number(period, middle, end),
        output_field=IntegerField(),
    )


def pages_where(**lookup) -> Q:
    """Placements whose page, as any content type, matches the lookup: one
    subquery per content model, whatever the number of placements."""
    condition = Q()
    for model in content_page_models():
        condition |= Q(page_id__in=model.objects.filter(**lookup).values("pk"))
    return condition


def with_descendants(topic: Topic) -> set[int]:
    children = defaultdict(list)
    for pk, parent_id in Topic.objects.values_list("pk", "parent_id"):
        children[parent_id].append(pk)
    found, todo = set(), [topic.pk]
    while todo:
        pk = todo.pop()
        if pk not in found:
            found.add(pk)
            todo += children[pk]
    return found


def outlet_filter(filters: dict) -> Q:
    """The filters' outlet and channel, within the user's organisations'
    outlets (filters["scope"], a cms.organisations.Scope, when given)."""
    condition = filters["scope"].q("outlet__owner") if "scope" in filters else Q()
    if outlet := filters.get("outlet"):
        condition &= Q(outlet=outlet)
    if channel := filters.get("channel"):
        condition &= Q(outlet__channel=channel)
    return condition


def filtered_placements(filters: dict):
    placements = Placement.objects.filter(outlet_filter(filters))
    if topic := filters.get("topic"):
        placements = placements.filter(pages_where(topics__in=with_descendants(topic)))
    if audience := filters.get("audience"):
        placements = placements.filter(pages_where(audiences=audience))
    if campaign := filters.get("campaign"):
        placements = placements.filter(pages_where(campaign=campaign))
    return placements


def placements_in(period: Period, filters: dict):
    return filtered_placements(filters).filter(
        scheduled_at__gte=day_start(period.start),
        scheduled_at__lt=day_start(period.end),
    )


def first_placements(period: Period, filters: dict):
    """The placements shown, in time order: every one, or the first few of
    each local day (ranked on ids alone in a subquery, then read with their
    page and outlet)."""
    placements = placements_in(period, filters)
    order = ["scheduled_at", "pk"]
    if (limit := CHIPS_PER_DAY[period.view]) is not None:
        ranked = (
            placements.annotate(
                rank=Window(
                    RowNumber(),
                    partition_by=day_number(period),
                    order_by=[F(name).asc() for name in order],
                )
            )
            .filter(rank__lte=limit)
            .values_list("pk", flat=True)
        )
        placements = Placement.objects.filter(pk__in=ranked)
    return placements.select_related("page", "outlet", "advisory").order_by(*order)


def counts_per_day(period: Period, filters: dict) -> dict[date, int]:
    rows = (
        placements_in(period, filters)
        .annotate(day=day_number(period))
        .values("day")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {period.days[row["day"]]: row["count"] for row in rows}


def expects_issue(outlet: Outlet, day: date) -> bool:
    if outlet.cadence == Outlet.Cadence.DAILY:
        return True
    return day.isoweekday() in outlet.cadence_weekdays


def cadence_gaps(period: Period, filters: dict, today: date) -> dict[date, list]:
    """Days from today on where an active daily or weekly outlet expects an
    issue and nothing (that has not failed) is planned."""
    days = [day for day in period.days if day >= today]
    if not days:
        return {}
    outlets = list(
        Outlet.objects.filter(active=True, cadence__in=GAP_CADENCES).filter(
            filters["scope"].q("owner") if "scope" in filters else Q(),
            Q(pk=filters["outlet"].pk) if "outlet" in filters else Q(),
            Q(channel=filters["channel"]) if "channel" in filters else Q(),
        )
    )
    # Every outlet's days, narrowed here: a condition on the outlet would
    # lead SQLite to read each outlet's placements of every year.
    rows = (
        Placement.objects.filter(
            scheduled_at__gte=day_start(days[0]),
            scheduled_at__lt=day_start(period.end),
        )
        .exclude(status=Placement.Status.FAILED)
        .annotate(day=day_number(period))
        .values_list("outlet_id", "day")
        .order_by()
        .distinct()
    )
    planned = {(outlet_id, period.days[day]) for outlet_id, day in rows}
    gaps: dict[date, list] = {}
    for day in days:
        missing = [
            outlet
            for outlet in outlets
            if expects_issue(outlet, day) and (outlet.pk, day) not in planned
        ]
        if missing:
            gaps[day] = missing
    return gaps


def campaign_bands(period: Period) -> dict[date, list[Band]]:
    campaigns = Campaign.objects.filter(
        start_date__lt=period.end, end_date__gte=period.start
    ).order_by("start_date", "pk")
    bands: dict[date, list[Band]] = defaultdict(list)
    for campaign in campaigns:
        day = max(campaign.start_date, period.start)
        while day <= campaign.end_date and day < period.end:
            starts = day == campaign.start_date or day.weekday() == 0
            bands[day].append(Band(campaign, starts))
            day += timedelta(1)
    return bands


def build_calendar(period: Period, filters: dict, can_move: bool) -> Calendar:
    today = timezone.localdate()
    chips: dict[date, list[Chip]] = defaultdict(list)
    for placement in first_placements(period, filters):
        movable = can_move and placement.status in OPEN
        chip = Chip(placement, channel_colour(placement.outlet.channel), movable)
        chips[timezone.localdate(placement.scheduled_at)].append(chip)
    counts = counts_per_day(period, filters)
    bands = campaign_bands(period)
    gaps = cadence_gaps(period, filters, today)
    days = [
        Day(
            date=day,
            in_period=period.view != MONTH or day.month == period.anchor.month,
            past=day < today,
            today=day == today,
            chips=chips[day],
            more=counts.get(day, 0) - len(chips[day]),
            bands=bands[day],
            gaps=gaps.get(day, []),
        )
        for day in period.days
    ]
    weeks = [days[n : n + 7] for n in range(0, len(days), 7)]
    return Calendar(period, weeks, sum(counts.values()))


class OffCadence(Exception):
    """A move to a day the outlet does not appear on, without a reason."""


def off_cadence_question(outlet: Outlet, day: date) -> str:
    """What to ask before moving to a day outside the outlet's 刊播日, or ""."""
    if not outlet.cadence_weekdays or day.isoweekday() in outlet.cadence_weekdays:
        return ""
    message = _(
        "「%(outlet)s」的刊播日是%(days)s，%(day)s不是刊播日。仍要改到这一天，请写明原因。"
    )
    names = dict(WEEKDAYS)
    return message % {
        "outlet": outlet.name,
        "days": "、".join(str(names[d]) for d in sorted(outlet.cadence_weekdays)),
        "day": f"{day:%m-%d}（{names[day.isoweekday()]}）",
    }


def reschedule(placement: Placement, day: date, user, reason: str = "") -> None:
    """Move a placement to another day at the same time of day; a
    ValidationError names why it cannot go there, and OffCadence asks for
    the reason a move to a day outside the outlet's 刊播日 is wanted."""
    if placement.status not in OPEN:
        raise ValidationError(_("已交付或已失败的排期不能改期"))
    question = off_cadence_question(placement.outlet, day)
    if question and not reason.strip():
        raise OffCadence(question)
    before = timezone.localtime(placement.scheduled_at)
    moved = timezone.make_aware(datetime.combine(day, before.time()))
    if moved < timezone.now():
        raise ValidationError({"scheduled_at": _("刊播时间已经过去")})
    placement.scheduled_at = moved
    placement.full_clean()
    note = _("改期：%(before)s → %(after)s") % {
        "before": f"{before:%Y-%m-%d %H:%M}",
        "after": f"{timezone.localtime(moved):%Y-%m-%d %H:%M}",
    }
    if question:
        note += _("（不在刊播日，原因：%(reason)s）") % {"reason": reason.strip()}
    with transaction.atomic():
        placement.save(update_fields=["scheduled_at"])
        placement.record(placement.status, user, note=note)
