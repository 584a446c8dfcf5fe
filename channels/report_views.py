"""The admin's 年度目标与统计 page, its charts and its CSV/XLSX export.

TargetsReportViewSet is registered by channels/wagtail_hooks.py, in the 渠道
menu. Readers need a permission on placements, as for the calendar."""

import csv
import io
import math
from dataclasses import dataclass

from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView
from openpyxl import Workbook
from openpyxl.styles import Font
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

FIRST_YEAR, LAST_YEAR = 2000, 2100
FILE_NAME = "年度目标与统计"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Chart geometry, in SVG user units (the SVG scales to the page width).
CHART_WIDTH = 760
LABEL_WIDTH = 190
VALUE_WIDTH = 150
ROW_HEIGHT = 34
BAR_HEIGHT = 18
TOP = 36
MONTH_HEIGHT = 240
MONTH_LEFT = 44
MONTH_BOTTOM = 28
GRID_LINES = 4


def nice_step(largest: int) -> int:
    """A round grid step (1, 2, 5 × 10ⁿ) giving about GRID_LINES lines."""
    rough = max(largest, 1) / GRID_LINES
    power = 10 ** math.floor(math.log10(rough)) if rough >= 1 else 1
    return next(s * power for s in (1, 2, 5, 10) if s * power >= rough)


@dataclass(frozen=True)
class Tick:
    value: int
    position: float


def ticks(largest: int, length: float) -> tuple[list[Tick], int]:
    """Grid ticks over 0 … the top of the scale, and that top."""
    step = nice_step(largest)
    top = step * max(1, math.ceil(largest / step))
    return [Tick(v, length * v / top) for v in range(0, top + 1, step)], top


@dataclass(frozen=True)
class TargetBar:
    """One outlet's row of the targets chart, in absolute SVG coordinates."""

    y: int
    label: str
    planned: float
    delivered: float
    target_x: float | None
    value: str
    line: OutletLine

    @property
    def text_y(self) -> int:
        return self.y + BAR_HEIGHT - 4

    @property
    def mark_top(self) -> int:
        return self.y - 4

    @property
    def mark_bottom(self) -> int:
        return self.y + BAR_HEIGHT + 4


def bar_value(line: OutletLine) -> str:
    if line.target:
        return _("%(delivered)d / %(target)d（%(percent)d%%）") % {
            "delivered": line.counts.delivered,
            "target": line.target,
            "percent": line.percent,
        }
    return _("%(delivered)d（无年度目标）") % {"delivered": line.counts.delivered}


def target_chart(report: TargetsReport) -> dict:
    """Horizontal bars per outlet: delivered over planned, the target as a mark."""
    span = CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH
    largest = max(
        (max(line.counts.planned, line.target or 0) for line in report.outlets),
        default=0,
    )
    grid, top = ticks(largest, span)
    bars = [
        TargetBar(
            y=TOP + row * ROW_HEIGHT,
            label=line.name,
            planned=span * line.counts.planned / top,
            delivered=span * line.counts.delivered / top,
            target_x=LABEL_WIDTH + span * line.target / top if line.target else None,
            value=bar_value(line),
            line=line,
        )
        for row, line in enumerate(report.outlets)
    ]
    bottom = TOP + len(bars) * ROW_HEIGHT
    return {
        "width": CHART_WIDTH,
        "height": bottom + 24,
        "left": LABEL_WIDTH,
        "label_x": LABEL_WIDTH - 8,
        "value_x": LABEL_WIDTH + span + 12,
        "bar_height": BAR_HEIGHT,
        "grid": [Tick(t.value, LABEL_WIDTH + t.position) for t in grid],
        "grid_top": TOP - 8,
        "grid_bottom": bottom,
        "tick_y": bottom + 16,
        "bars": bars,
    }


@dataclass(frozen=True)
class MonthBars:
    """One month of the monthly chart, in absolute SVG coordinates."""

    label: str
    label_x: float
    planned: int
    delivered: int
    planned_x: float
    delivered_x: float
    planned_y: float
    delivered_y: float
    baseline: float

    @property
    def planned_height(self) -> float:
        return self.baseline - self.planned_y

    @property
    def delivered_height(self) -> float:
        return self.baseline - self.delivered_y


def month_chart(report: TargetsReport) -> dict:
    """Planned and delivered placements of all outlets, month by month."""
    months = report.total.months
    baseline = MONTH_HEIGHT - MONTH_BOTTOM
    grid, top = ticks(max(month.planned for month in months), baseline - TOP)
    slot = (CHART_WIDTH - MONTH_LEFT) / len(months)
    bar_width = slot * 0.36
    bars = []
    for index, (number, month) in enumerate(zip(MONTHS, months, strict=True)):
        left = MONTH_LEFT + index * slot + slot / 2 - bar_width
        bars.append(
            MonthBars(
                label=month_label(number),
                label_x=MONTH_LEFT + index * slot + slot / 2,
                planned=month.planned,
                delivered=month.delivered,
                planned_x=left,
                delivered_x=left + bar_width,
                planned_y=baseline - (baseline - TOP) * month.planned / top,
                delivered_y=baseline - (baseline - TOP) * month.delivered / top,
                baseline=baseline,
            )
        )
    return {
        "width": CHART_WIDTH,
        "height": MONTH_HEIGHT,
        "left": MONTH_LEFT,
        "right": CHART_WIDTH,
        "label_y": baseline + 18,
        "grid": [Tick(t.value, baseline - t.position) for t in grid],
        "bar_width": bar_width,
        "bars": bars,
    }


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
        report = targets_report(requested_year(self.request))
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


def csv_bytes(report: TargetsReport) -> bytes:
    """All four tables in one file, a title line before each; UTF-8 with a BOM
    so that Excel reads the Chinese right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for index, sheet in enumerate(report_sheets(report)):
        if index:
            writer.writerow([])
        writer.writerow([f"{sheet.title}（{report.year}）"])
        writer.writerow(sheet.header)
        writer.writerows(["" if v is None else v for v in row] for row in sheet.rows)
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(report: TargetsReport) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet in report_sheets(report):
        worksheet = workbook.create_sheet(sheet.title)
        worksheet.append(sheet.header)
        for cell in worksheet[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            worksheet.append(row)
        worksheet.column_dimensions["A"].width = 24
        worksheet.freeze_panes = "B2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


EXPORTS = {
    "csv": (csv_bytes, "text/csv; charset=utf-8"),
    "xlsx": (xlsx_bytes, XLSX_TYPE),
}


class ExportView(PermissionCheckedMixin, View):
    permission_policy = placement_policy
    any_permission_required = ANY_PERMISSION

    def get(self, request, file_format: str) -> HttpResponse:
        if file_format not in EXPORTS:
            raise Http404
        build, content_type = EXPORTS[file_format]
        report = targets_report(requested_year(request))
        response = HttpResponse(build(report), content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=f"{FILE_NAME}-{report.year}.{file_format}"
        )
        return response


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
            path("export.<str:file_format>", ExportView.as_view(), name="export"),
        ]
