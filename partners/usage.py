"""A partner's usage over the last 30 days: pulls per day (as an inline SVG
bar chart), totals by feed and by status, bytes, and the latest pulls. Every
figure is aggregated in SQL: a fixed number of queries however many pulls."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.reporting.charts import (
    Category,
    Chart,
    Layout,
    Scale,
    Series,
    column_chart,
    round_up,
)
from partners.models import Partner, PullLog

DAYS = 30
RECENT = 50
PULLS = Series("pulls")
GRID_STEPS = 5
CHART_LAYOUT = Layout(
    left=48,
    top=12,
    bottom=28,
    height=220,
    column_share=0.7,
    max_labels=DAYS // 5,  # a date under every fifth bar
)


@dataclass(frozen=True)
class Line:
    """One row of a totals table."""

    label: str
    pulls: int
    bytes: int


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


def pulls_scale(largest: int) -> Scale:
    """GRID_STEPS steps up to GRID_STEPS, or to 1, 2 or 5 × 10ⁿ (n ≥ 1), so
    that every grid label is a whole number."""
    top = max(GRID_STEPS, round_up(largest))
    return Scale(top, top // GRID_STEPS)


def daily_chart(usage: Usage) -> Chart:
    """Pulls per day, one bar a day, oldest on the left."""
    pulls = {day: line.pulls for day, line in usage.per_day.items()}
    columns = [
        Category(
            label=f"{day:%m-%d}",
            values=(pulls.get(day, 0),),
            title=_("%(day)s：%(pulls)d 次")
            % {"day": day.isoformat(), "pulls": pulls.get(day, 0)},
        )
        for day in usage.days
    ]
    first, last = usage.first_day.isoformat(), usage.last_day.isoformat()
    return column_chart(
        "usage-chart",
        _("%(first)s～%(last)s 每日拉取次数") % {"first": first, "last": last},
        _("柱状图：每天一根柱，高度为当天的拉取次数。")
        + "".join(f" {column.title}；" for column in columns),
        series=(PULLS,),
        columns=columns,
        scale=pulls_scale(max(pulls.values(), default=0)),
        layout=CHART_LAYOUT,
    )
