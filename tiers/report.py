"""The receipts report's chart and export sheets (tiers.receipts)."""

from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cms.organisations import Organisation
from cms.reporting.charts import Category, Chart, Layout, Scale, Series, bar_chart
from cms.reporting.sheets import Sheet, percent_text
from tiers.receipts import Receipts, Tally, land_by

ACKNOWLEDGED = Series("acknowledged", gettext_lazy("签收率"))
TAKEN_UP = Series("taken-up", gettext_lazy("采用率"))
LANDED = Series("landed", gettext_lazy("落地率"))
LAYOUT = Layout(left=120, right=150, top=36, bottom=24, font_size=13)


def rate_text(rate: float | None) -> str:
    return "—" if rate is None else percent_text(rate)


def tier_label(tier: int) -> str:
    return str(Organisation.Tier(tier).label)


def receipts_chart(report: Receipts) -> Chart:
    """One row of three bars per tier: 签收率, 采用率, 落地率."""
    bars = []
    for tier, tally in report.by_tier.items():
        figures = {
            "tier": tier_label(tier),
            "tasks": tally.tasks,
            "acknowledged": rate_text(tally.acknowledged_rate),
            "taken_up": rate_text(tally.taken_up_rate),
            "landed": rate_text(tally.landed_rate),
        }
        bars.append(
            Category(
                label=figures["tier"],
                values=(
                    tally.acknowledged_rate or 0,
                    tally.taken_up_rate or 0,
                    tally.landed_rate or 0,
                ),
                title=_(
                    "%(tier)s %(tasks)s 个单位：签收 %(acknowledged)s，"
                    "采用 %(taken_up)s，落地 %(landed)s"
                )
                % figures,
                note=_("%(tasks)s 个单位") % figures,
            )
        )
    return bar_chart(
        "receipts-chart",
        _("各层级签收率、采用率、落地率"),
        _("横向条形图：每个层级三条，依次为签收率、采用率、落地率。")
        + "".join(" " + bar.title + "；" for bar in bars),
        series=(ACKNOWLEDGED, TAKEN_UP, LANDED),
        bars=bars,
        scale=Scale(1, 0.25, percent=True),
        layout=LAYOUT,
    )


SUMMARY_HEADER = [
    gettext_lazy("层级"),
    gettext_lazy("任务数"),
    gettext_lazy("已签收"),
    gettext_lazy("签收率"),
    gettext_lazy("按时签收率"),
    gettext_lazy("逾期未签收"),
    gettext_lazy("已采用"),
    gettext_lazy("采用率"),
    gettext_lazy("已落地"),
    gettext_lazy("落地率"),
    gettext_lazy("按期落地"),
]


def summary_row(label: str, tally: Tally) -> list:
    return [
        label,
        tally.tasks,
        tally.acknowledged,
        tally.acknowledged_rate,
        tally.in_time_rate,
        tally.overdue,
        tally.taken_up,
        tally.taken_up_rate,
        tally.landed,
        tally.landed_rate,
        tally.landed_in_time,
    ]


def moment(value) -> str | None:
    return date_format(localtime(value), "Y-m-d H:i") if value else None


def task_rows(report: Receipts) -> list[list]:
    rows = []
    for task in report.tasks:
        ends = land_by(task.package.ends_on)
        rows.append(
            [
                task.organisation.name,
                tier_label(task.organisation.tier),
                moment(task.pushed_at),
                moment(task.acknowledge_by),
                moment(task.acknowledged_at),
                _("是")
                if task.acknowledged_at and task.acknowledged_at <= task.acknowledge_by
                else _("否"),
                moment(task.taken_up_at),
                moment(task.landed_at),
                _("是") if task.landed_at and task.landed_at < ends else _("否"),
                _("否") if not task.had_staff else _("是"),
            ]
        )
    return rows


def receipts_sheets(report: Receipts) -> list[Sheet]:
    summary = [
        summary_row(tier_label(tier), tally) for tier, tally in report.by_tier.items()
    ]
    summary.append(summary_row(_("合计"), report.total))
    return [
        Sheet(_("按层级"), SUMMARY_HEADER, summary, percent_columns=(3, 4, 7, 9)),
        Sheet(
            _("各单位"),
            [
                _("单位"),
                _("层级"),
                _("推送时间"),
                _("签收期限"),
                _("签收时间"),
                _("按时签收"),
                _("采用时间"),
                _("落地时间"),
                _("按期落地"),
                _("推送时有人员"),
            ],
            task_rows(report),
        ),
    ]
