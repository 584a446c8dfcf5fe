"""A partner's usage over the last 30 days: pulls per day (as an inline SVG
bar chart), totals by feed and by status, bytes, and the latest pulls. Every
figure is aggregated in SQL: a fixed number of queries however many pulls."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import Partner, PullLog

DAYS = 30
RECENT = 50

# Chart geometry, in SVG user units (the SVG scales to the page width).
CHART_WIDTH = 760
CHART_HEIGHT = 220
CHART_LEFT = 48
CHART_TOP = 12
CHART_BOTTOM = 28
GRID_STEPS = 5
LABEL_EVERY = 5  # a date under every fifth bar


@dataclass(frozen=True)
class Line:
    """One row of a totals table."""

    label: str
    pulls: int
    bytes: int


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    height: float
    label_x: float
    label: str
    title: str


@dataclass(frozen=True)
class Usage:
    partner: Partner
    first_day: date
    last_day: date
    per_day: dict[date, Line]
    by_feed: list[Line]
    by_status: list[Line]
    total: Line
    recent: list[PullLog]

    @property
    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=n) for n in range(DAYS)]


def sums(rows) -> tuple[int, int]:
    return rows["pulls"] or 0, rows["size"] or 0


def feed_label(row: dict) -> str:
    if row["feed__title"]:
        return f"{row['feed__title']}（{row['feed__slug']}）"
    return _("未指定订阅源（合作方 API 或未知地址）")


def partner_usage(partner: Partner, today: date | None = None) -> Usage:
    today = today or timezone.localdate()
    first_day = today - timedelta(days=DAYS - 1)
    since = timezone.make_aware(datetime.combine(first_day, time.min))
    pulls = PullLog.objects.filter(partner=partner, at__gte=since)
    counted = {"pulls": Count("pk"), "size": Sum("bytes")}
    per_day = {
        row["day"]: Line(row["day"].isoformat(), *sums(row))
        for row in pulls.annotate(day=TruncDate("at"))
        .values("day")
        .annotate(**counted)
        .order_by("day")
    }
    by_feed = [
        Line(feed_label(row), *sums(row))
        for row in pulls.values("feed__title", "feed__slug")
        .annotate(**counted)
        .order_by("-pulls", "feed__slug")
    ]
    by_status = [
        Line(str(row["status"]), *sums(row))
        for row in pulls.values("status").annotate(**counted).order_by("status")
    ]
    total = Line(_("合计"), *sums(pulls.aggregate(**counted)))
    recent = list(
        PullLog.objects.filter(partner=partner).select_related("feed", "key")[:RECENT]
    )
    return Usage(partner, first_day, today, per_day, by_feed, by_status, total, recent)


def scale_top(largest: int) -> int:
    """A round axis maximum at or above the largest bar: GRID_STEPS, or 1, 2
    or 5 × 10ⁿ (n ≥ 1), so that every grid label is a whole number."""
    top = GRID_STEPS
    magnitude = 1
    while top < largest:
        for step in (1, 2, 5):
            top = step * magnitude * 10
            if top >= largest:
                break
        magnitude *= 10
    return top


def daily_chart(usage: Usage) -> dict:
    """Pulls per day, one bar a day, oldest on the left."""
    baseline = CHART_HEIGHT - CHART_BOTTOM
    top = scale_top(max((line.pulls for line in usage.per_day.values()), default=0))
    slot = (CHART_WIDTH - CHART_LEFT) / DAYS
    bars = []
    for index, day in enumerate(usage.days):
        line = usage.per_day.get(day)
        pulls = line.pulls if line else 0
        height = (baseline - CHART_TOP) * pulls / top
        bars.append(
            Bar(
                x=CHART_LEFT + index * slot + slot * 0.15,
                y=baseline - height,
                height=height,
                label_x=CHART_LEFT + index * slot + slot / 2,
                label=f"{day:%m-%d}" if index % LABEL_EVERY == 0 else "",
                title=_("%(day)s：%(pulls)d 次")
                % {"day": day.isoformat(), "pulls": pulls},
            )
        )
    grid = [
        (
            top * step // GRID_STEPS,
            baseline - (baseline - CHART_TOP) * step / GRID_STEPS,
        )
        for step in range(GRID_STEPS + 1)
    ]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "baseline": baseline,
        "bar_width": slot * 0.7,
        "label_y": baseline + 18,
        "grid": grid,
        "bars": bars,
    }
