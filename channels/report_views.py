"""The admin's 年度目标与统计 page, its charts and its CSV/XLSX export.

TargetsReportViewSet is registered by channels/wagtail_hooks.py, in the 渠道
menu. Readers need a permission on placements, as for the calendar."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.base import ViewSet

from channels.admin_views import ANY_PERMISSION, PlacementMenuItem, placement_policy
from channels.reports import (
    DEFINITIONS,
    MONTHS,
    OutletLine,
    TargetsReport,
    current_year,
    month_label,
    report_sheets,
    report_years,
    targets_report,
)
from cms.organisations import Scope
from cms.reporting.charts import (
    Category,
    Chart,
    Layout,
    Scale,
    Series,
    bar_chart,
    column_chart,
)
from cms.reporting.export import ExportView

FIRST_YEAR, LAST_YEAR = 2000, 2100
PLANNED = Series("planned", _("计划"))
DELIVERED = Series("delivered", _("已交付"))
TARGET = Series("target", _("年度目标"))
TARGET_LAYOUT = Layout(left=190, right=150, top=36, bottom=24, font_size=13)
MONTH_LAYOUT = Layout(left=44, top=36, bottom=28, font_size=13)


def bar_value(line: OutletLine) -> str:
    if line.target:
        return _("%(delivered)d / %(target)d（%(percent)d%%）") % {
            "delivered": line.counts.delivered,
            "target": line.target,
            "percent": line.percent,
        }
    return _("%(delivered)d（无年度目标）") % {"delivered": line.counts.delivered}


def outlet_title(line: OutletLine) -> str:
    counts = line.counts
    title = _("%(name)s：已交付 %(delivered)s，计划 %(planned)s") % {
        "name": line.name,
        "delivered": counts.delivered,
        "planned": counts.planned,
    }
    if line.target:
        title += _("，年度目标 %(target)s") % {"target": line.target}
    return title


def target_description(total: OutletLine) -> str:
    description = _(
        "横向条形图：深色为已交付，浅色为计划，红色竖线为年度目标。"
        "合计已交付 %(delivered)s 期，计划 %(planned)s 期。"
    ) % {"delivered": total.counts.delivered, "planned": total.counts.planned}
    if total.target:
        description += _(
            "有目标的渠道合计年度目标 %(target)s 期，完成 %(percent)s%%。"
        ) % {"target": total.target, "percent": total.percent}
    return description


def target_chart(report: TargetsReport) -> Chart:
    """Horizontal bars per outlet: delivered over planned, the target as a mark."""
    largest = max(
        (max(line.counts.planned, line.target or 0) for line in report.outlets),
        default=0,
    )
    bars = [
        Category(
            label=line.name,
            values=(line.counts.delivered, line.counts.planned),
            title=outlet_title(line),
            mark=line.target or None,
            note=bar_value(line),
        )
        for line in report.outlets
    ]
    return bar_chart(
        "target-chart",
        _("%(year)s 年各渠道已交付与年度目标") % {"year": report.year},
        target_description(report.total),
        series=(DELIVERED, PLANNED),
        bars=bars,
        scale=Scale.counting(largest),
        layout=TARGET_LAYOUT,
        mark=TARGET,
    )


def month_chart(report: TargetsReport) -> Chart:
    """Planned and delivered placements of all outlets, month by month."""
    figures = [
        {"month": month_label(number), "planned": m.planned, "delivered": m.delivered}
        for number, m in zip(MONTHS, report.total.months, strict=True)
    ]
    columns = [
        Category(
            label=figure["month"],
            values=(figure["planned"], figure["delivered"]),
            title=_("%(month)s：计划 %(planned)s，已交付 %(delivered)s") % figure,
        )
        for figure in figures
    ]
    description = _("柱状图：每月左侧浅色柱为计划，右侧深色柱为已交付。") + "".join(
        " " + _("%(month)s计划 %(planned)s、已交付 %(delivered)s；") % figure
        for figure in figures
    )
    return column_chart(
        "month-chart",
        _("%(year)s 年各月排期（全部渠道）") % {"year": report.year},
        description,
        series=(PLANNED, DELIVERED),
        columns=columns,
        scale=Scale.counting(max(figure["planned"] for figure in figures)),
        layout=MONTH_LAYOUT,
    )


def requested_year(request) -> int:
    """?year=, or the current year (Asia/Shanghai) when absent or absurd."""
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return current_year()
    return year if FIRST_YEAR <= year <= LAST_YEAR else current_year()


# Whoever may work with placements may read the report (as the calendar).


class TargetsReportView(
    PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView
):
    permission_policy = placement_policy
    any_permission_required = ANY_PERMISSION
    page_title = _("年度目标与统计")
    header_icon = "table"
    template_name = "channels/admin/report.html"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        report = targets_report(
            requested_year(self.request), Scope.of(self.request.user)
        )
        query = f"?year={report.year}"
        context.update(
            report=report,
            total=report.total,
            years=report_years(),
            months=[month_label(m) for m in MONTHS],
            definitions=DEFINITIONS,
            target_chart=target_chart(report),
            month_chart=month_chart(report),
            csv_url=reverse("channel_report:export", args=("csv",)) + query,
            xlsx_url=reverse("channel_report:export", args=("xlsx",)) + query,
        )
        return context


class TargetsExportView(PermissionCheckedMixin, ExportView):
    permission_policy = placement_policy
    any_permission_required = ANY_PERMISSION
    file_name = "年度目标与统计"

    def get_export(self):
        report = targets_report(
            requested_year(self.request), Scope.of(self.request.user)
        )
        return str(report.year), report_sheets(report)


class TargetsReportViewSet(ViewSet):
    """The report page and its exports, under /admin/channels/report/."""

    name = "channel_report"
    url_prefix = "channels/report"
    icon = "table"
    menu_label = _("年度目标与统计")
    menu_order = 300
    menu_item_class = PlacementMenuItem

    def get_urlpatterns(self):
        return [
            path("", TargetsReportView.as_view(), name="index"),
            path(
                "export.<str:file_format>", TargetsExportView.as_view(), name="export"
            ),
        ]
