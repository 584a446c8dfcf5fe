"""The year-end targets report: per outlet, placements planned, delivered and
failed in a year against the outlet's annual target, by month, and delivered
placements by target audience and by topic.

Every figure is aggregated in the database, in a fixed number of queries
whatever the number of placements. A placement belongs to the year and month of
its scheduled time in the office's time zone (settings.TIME_ZONE).
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channels.models import Outlet, Placement
from cms.organisations import EVERYTHING, Scope
from cms.pages import ArticlePage, ColumnEpisodePage, VideoPage
from cms.reporting.sheets import Sheet
from cms.snippets import Audience, Topic

MONTHS = range(1, 13)
# The content types that carry topics and audiences (cms.pages.ContentPage).
CONTENT_MODELS = (ArticlePage, VideoPage, ColumnEpisodePage)
DELIVERED = Placement.Status.DELIVERED
FAILED = Placement.Status.FAILED

DEFINITIONS = (
    (_("计划"), _("当年刊播时间内的全部排期，不论状态（含失败和尚未到期的）")),
    (_("已交付"), _("状态为“已交付”的排期")),
    (_("失败"), _("状态为“失败”的排期")),
    (_("待交付"), _("计划 − 已交付 − 失败：已计划、已检查或已生成，尚未交付")),
    (_("完成率"), _("已交付 ÷ 年度目标；合计只算有年度目标的渠道")),
    (
        _("按人群 / 按主题"),
        _("已交付排期按其内容的目标人群或主题计数；一项内容可属于多个人群或主题"),
    ),
)


def month_label(month: int) -> str:
    return str(_("%(m)d月") % {"m": month})


def report_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def current_year() -> int:
    return timezone.now().astimezone(report_zone()).year


@dataclass(frozen=True)
class Counts:
    planned: int = 0
    delivered: int = 0
    failed: int = 0

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(
            self.planned + other.planned,
            self.delivered + other.delivered,
            self.failed + other.failed,
        )

    @property
    def pending(self) -> int:
        return self.planned - self.delivered - self.failed


@dataclass(frozen=True)
class OutletLine:
    """One outlet's year: totals, its target and the twelve months."""

    name: str
    organisation: str
    channel: str
    target: int | None
    counts: Counts
    months: tuple[Counts, ...]
    # Delivered toward the target, where not all delivered placements count:
    # the total line counts only the outlets that have a target.
    toward_target: int | None = None

    @property
    def percent(self) -> int | None:
        """Delivered as a whole percentage of the target (None without one)."""
        if not self.target:
            return None
        achieved = self.toward_target
        if achieved is None:
            achieved = self.counts.delivered
        return round(100 * achieved / self.target)


@dataclass(frozen=True)
class Share:
    """Delivered placements whose item carries one audience or topic."""

    name: str
    delivered: int


@dataclass(frozen=True)
class TargetsReport:
    year: int
    outlets: list[OutletLine]
    audiences: list[Share]
    topics: list[Share]

    @property
    def total(self) -> OutletLine:
        """All outlets together. The target sums the outlets that have one, and
        the percentage compares it with what those outlets delivered."""
        months = tuple(
            sum((line.months[m] for line in self.outlets), Counts()) for m in range(12)
        )
        targeted = [line for line in self.outlets if line.target]
        return OutletLine(
            name=str(_("合计")),
            organisation="",
            channel="",
            target=sum(line.target for line in targeted) if targeted else None,
            counts=sum((line.counts for line in self.outlets), Counts()),
            months=months,
            toward_target=sum(line.counts.delivered for line in targeted),
        )


def month_starts(year: int) -> list[datetime]:
    """The first instant of each month of the year, and of the next year."""
    zone = report_zone()
    starts = [datetime(year, month, 1, tzinfo=zone) for month in MONTHS]
    return [*starts, datetime(year + 1, 1, 1, tzinfo=zone)]


def monthly_counts(year: int, scope: Scope) -> dict[int, list[Counts]]:
    """Outlet id -> the twelve months' counts, in one query. Months are
    compared as time ranges (Count with a filter per month and status), which
    every database evaluates without a per-row time-zone conversion."""
    starts = month_starts(year)
    aggregates = {}
    for index in range(12):
        month = Q(scheduled_at__gte=starts[index], scheduled_at__lt=starts[index + 1])
        aggregates[f"planned_{index}"] = Count("pk", filter=month)
        for status in (DELIVERED, FAILED):
            aggregates[f"{status}_{index}"] = Count(
                "pk", filter=month & Q(status=status)
            )
    rows = (
        Placement.objects.filter(  # the items themselves, not their notices
            scope.q("outlet__owner"),
            scheduled_at__gte=starts[0],
            scheduled_at__lt=starts[-1],
            advisory__isnull=True,
        )
        .exclude(status=Placement.Status.CANCELLED)
        .values("outlet_id")
        .annotate(**aggregates)
        .order_by()
    )
    return {
        row["outlet_id"]: [
            Counts(row[f"planned_{i}"], row[f"{DELIVERED}_{i}"], row[f"{FAILED}_{i}"])
            for i in range(12)
        ]
        for row in rows
    }


def outlet_lines(year: int, scope: Scope) -> list[OutletLine]:
    """Every outlet that is active or had placements in the year: two queries."""
    months = monthly_counts(year, scope)
    lines = []
    for outlet in scope.filter(Outlet.objects.all()):
        if not (outlet.active or outlet.pk in months):
            continue
        outlet_months = months.get(outlet.pk, [Counts()] * 12)
        lines.append(
            OutletLine(
                name=outlet.name,
                organisation=outlet.organisation,
                channel=outlet.get_channel_display(),
                target=outlet.annual_target,
                counts=sum(outlet_months, Counts()),
                months=tuple(outlet_months),
            )
        )
    return lines


def delivered_by(field_name: str, year: int, scope: Scope) -> dict[int, int]:
    """Snippet id -> delivered placements whose item carries it: one query per
    content model, over the link table of its ParentalManyToManyField
    `field_name`."""
    starts = month_starts(year)
    totals: dict[int, int] = {}
    for model in CONTENT_MODELS:
        field = model._meta.get_field(field_name)
        placements = f"{field.m2m_field_name()}__placements"
        snippet = f"{field.m2m_reverse_field_name()}_id"
        rows = (
            field.remote_field.through.objects.filter(
                scope.q(f"{placements}__outlet__owner"),
                **{
                    f"{placements}__status": DELIVERED,
                    f"{placements}__advisory__isnull": True,
                    f"{placements}__scheduled_at__gte": starts[0],
                    f"{placements}__scheduled_at__lt": starts[-1],
                },
            )
            .values(snippet)
            .annotate(n=Count(f"{placements}__pk"))
            .order_by()
        )
        for row in rows:
            totals[row[snippet]] = totals.get(row[snippet], 0) + row["n"]
    return totals


def shares(
    snippets, field: str, year: int, scope: Scope, keep_empty: bool
) -> list[Share]:
    totals = delivered_by(field, year, scope)
    return [
        Share(str(snippet), totals.get(snippet.pk, 0))
        for snippet in snippets
        if keep_empty or snippet.pk in totals
    ]


def targets_report(year: int, scope: Scope = EVERYTHING) -> TargetsReport:
    """The report for a year, of the outlets in the scope (a user's
    organisations'). All five target audiences are listed, with zero where
    nothing reached them; topics only where something did."""
    audiences = Audience.objects.all()
    topics = Topic.objects.select_related("parent")
    return TargetsReport(
        year=year,
        outlets=outlet_lines(year, scope),
        audiences=shares(audiences, "audiences", year, scope, keep_empty=True),
        topics=sorted(
            shares(topics, "topics", year, scope, keep_empty=False),
            key=lambda share: -share.delivered,
        ),
    )


def report_years() -> list[int]:
    """Years that have placements, and the current year, newest first."""
    bounds = Placement.objects.aggregate(
        first=Min("scheduled_at"), last=Max("scheduled_at")
    )
    years = {current_year()}
    if bounds["first"] is not None:
        zone = report_zone()
        years.update(
            range(
                bounds["first"].astimezone(zone).year,
                bounds["last"].astimezone(zone).year + 1,
            )
        )
    return sorted(years, reverse=True)


def outlet_row(line: OutletLine) -> list:
    counts = line.counts
    return [
        line.name,
        line.organisation,
        line.channel,
        line.target,
        counts.planned,
        counts.delivered,
        counts.failed,
        counts.pending,
        line.percent,
    ]


def month_rows(line: OutletLine) -> list[list]:
    return [
        [
            line.name,
            str(label),
            *(getattr(month, attribute) for month in line.months),
            getattr(line.counts, attribute),
        ]
        for label, attribute in ((_("计划"), "planned"), (_("已交付"), "delivered"))
    ]


def report_sheets(report: TargetsReport) -> list[Sheet]:
    """The four tables of the export, in order: 渠道目标, 按月, 按人群, 按主题."""
    lines = [*report.outlets, report.total]
    months = [month_label(m) for m in MONTHS]
    return [
        Sheet(
            str(_("渠道目标")),
            [
                str(label)
                for label in (
                    _("渠道账号/栏目"),
                    _("所属媒体/机构"),
                    _("渠道"),
                    _("年度目标"),
                    _("计划"),
                    _("已交付"),
                    _("失败"),
                    _("待交付"),
                    _("完成率（%）"),
                )
            ],
            [outlet_row(line) for line in lines],
        ),
        Sheet(
            str(_("按月")),
            [str(_("渠道账号/栏目")), str(_("指标")), *months, str(_("全年"))],
            [row for line in lines for row in month_rows(line)],
        ),
        Sheet(
            str(_("按人群")),
            [str(_("目标人群")), str(_("已交付"))],
            [[share.name, share.delivered] for share in report.audiences],
        ),
        Sheet(
            str(_("按主题")),
            [str(_("主题")), str(_("已交付"))],
            [[share.name, share.delivered] for share in report.topics],
        ),
    ]
