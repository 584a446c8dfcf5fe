"""The 开机率/使用率 dashboard of the 科普大屏 admin menu: totals, a daily
chart (inline SVG), the group tree by tier with drill-down (?group=<id>),
screens offline for more than ten minutes, plays per item and per campaign,
and the same tables as CSV or XLSX.

ScreenReportViewSet is registered by screens/wagtail_hooks.py.
Whoever has any permission on screens may read it."""

import csv
import io
from dataclasses import dataclass
from datetime import date

from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView
from openpyxl import Workbook
from openpyxl.styles import Font
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.permission_policies import ModelPermissionPolicy

from screens.models import Screen, ScreenGroup
from screens.report_plays import PlayLine, campaign_lines, item_lines
from screens.reports import (
    PERIOD_KINDS,
    Minutes,
    Period,
    ScreenReport,
    percent,
    period_of,
    scoped_screens,
    screen_report,
)

ANY_PERMISSION = ["add", "change", "delete", "view"]
report_policy = ModelPermissionPolicy(Screen)
FILE_NAME = "大屏开机率使用率"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RATE_FORMAT = "0.0%"

# Chart geometry, in SVG user units (the SVG scales to the page width).
CHART_WIDTH = 760
CHART_HEIGHT = 240
CHART_LEFT = 48
CHART_TOP = 16
CHART_BOTTOM = 32
GRID_PERCENTS = (0, 25, 50, 75, 100)
MAX_DAY_LABELS = 16


# Request parameters -------------------------------------------------------------------


def requested_period(request) -> Period:
    """?period=day|week|month and ?date=YYYY-MM-DD (this week by default)."""
    kind = request.GET.get("period", "week")
    try:
        day = date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = timezone.localdate()
    return period_of(kind if kind in PERIOD_KINDS else "week", day)


def requested_scope(request) -> ScreenGroup | None:
    pk = request.GET.get("group", "")
    if not pk:
        return None
    if not pk.isdigit():
        raise Http404
    group = ScreenGroup.objects.filter(pk=pk).first()
    if group is None:
        raise Http404
    return group


def period_query(period: Period, scope: ScreenGroup | None = None) -> str:
    query = {"period": period.kind, "date": period.first.isoformat()}
    if scope is not None:
        query["group"] = scope.pk
    return "?" + urlencode(query)


# The daily chart ----------------------------------------------------------------------


@dataclass(frozen=True)
class DayBars:
    label: str
    label_x: float
    uptime_x: float
    usage_x: float
    uptime_y: float
    usage_y: float
    baseline: float
    title: str

    @property
    def uptime_height(self) -> float:
        return self.baseline - self.uptime_y

    @property
    def usage_height(self) -> float:
        return self.baseline - self.usage_y


def bar_top(rate: float | None, baseline: float) -> float:
    return baseline - (baseline - CHART_TOP) * (rate or 0)


def daily_chart(report: ScreenReport) -> dict:
    """开机率 and 使用率 bars for each day of the period, 0–100%."""
    baseline = CHART_HEIGHT - CHART_BOTTOM
    slot = (CHART_WIDTH - CHART_LEFT) / len(report.days)
    width = slot * 0.36
    every = max(1, -(-len(report.days) // MAX_DAY_LABELS))
    bars = []
    for index, line in enumerate(report.days):
        middle = CHART_LEFT + index * slot + slot / 2
        bars.append(
            DayBars(
                label=f"{line.day:%m-%d}" if index % every == 0 else "",
                label_x=middle,
                uptime_x=middle - width,
                usage_x=middle,
                uptime_y=bar_top(line.minutes.uptime, baseline),
                usage_y=bar_top(line.minutes.usage, baseline),
                baseline=baseline,
                title=_("%(day)s 开机率 %(uptime)s，使用率 %(usage)s")
                % {
                    "day": line.day.isoformat(),
                    "uptime": percent(line.minutes.uptime),
                    "usage": percent(line.minutes.usage),
                },
            )
        )
    grid = [(p, bar_top(p / 100, baseline)) for p in GRID_PERCENTS]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "baseline": baseline,
        "bar_width": width,
        "label_y": baseline + 18,
        "grid": grid,
        "bars": bars,
    }


# The tables, shared by the page and the exports ---------------------------------------


@dataclass(frozen=True)
class Sheet:
    title: str
    header: list[str]
    rows: list[list]
    rate_columns: tuple[int, ...] = ()


MINUTE_HEADER = [_("开放分钟"), _("开机分钟"), _("播放分钟"), _("开机率"), _("使用率")]


def rate(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def minute_cells(minutes: Minutes) -> list:
    return [
        minutes.opening,
        minutes.on,
        round(minutes.played, 1),
        rate(minutes.uptime),
        rate(minutes.usage),
    ]


def local_text(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if moment else ""


def yes_no(flag: bool) -> str:
    return str(_("是")) if flag else str(_("否"))


def rate_columns(before: int) -> tuple[int, int]:
    return before + 3, before + 4


def tier_sheet(report: ScreenReport) -> Sheet:
    rows = [
        [
            line.label,
            line.groups,
            line.screens,
            *minute_cells(line.minutes),
            str(line.lowest.group) if line.lowest else "",
        ]
        for line in report.tiers
    ]
    header = [
        _("层级"),
        _("分组数"),
        _("大屏数"),
        *MINUTE_HEADER,
        _("开机率最低的分组"),
    ]
    return Sheet(str(_("按层级")), header, rows, rate_columns(3))


def group_sheet(report: ScreenReport) -> Sheet:
    rows = [
        [
            line.group.get_tier_display(),
            "\u3000" * (line.group.tier - 1) + line.group.name,
            line.screens,
            line.offline,
            *minute_cells(line.minutes),
        ]
        for line in report.groups
    ]
    header = [_("层级"), _("分组"), _("大屏数"), _("离线超过10分钟"), *MINUTE_HEADER]
    return Sheet(str(_("分组")), header, rows, rate_columns(4))


def screen_sheet(report: ScreenReport) -> Sheet:
    rows = [
        [
            line.screen.name,
            str(line.screen.group),
            line.screen.location,
            local_text(line.screen.last_seen_at),
            yes_no(line.offline),
            *minute_cells(line.minutes),
        ]
        for line in report.screens
    ]
    header = [
        _("大屏"),
        _("分组"),
        _("位置"),
        _("最近心跳"),
        _("离线超过10分钟"),
        *MINUTE_HEADER,
    ]
    return Sheet(str(_("大屏")), header, rows, rate_columns(5))


def day_sheet(report: ScreenReport) -> Sheet:
    rows = [[line.day.isoformat(), *minute_cells(line.minutes)] for line in report.days]
    return Sheet(str(_("按日")), [_("日期"), *MINUTE_HEADER], rows, rate_columns(1))


def play_rows(lines: list[PlayLine], with_kind: bool) -> list[list]:
    return [
        [
            line.label,
            *([line.kind] if with_kind else []),
            line.owner,
            line.plays,
            round(line.minutes, 1),
            line.screens,
        ]
        for line in lines
    ]


PLAY_HEADER = [_("播放次数"), _("播放分钟"), _("大屏数")]


@dataclass(frozen=True)
class Dashboard:
    report: ScreenReport
    items: list[PlayLine]
    campaigns: list[PlayLine]

    def sheets(self) -> list[Sheet]:
        return [
            tier_sheet(self.report),
            group_sheet(self.report),
            screen_sheet(self.report),
            day_sheet(self.report),
            Sheet(
                str(_("播放项")),
                [_("播放项"), _("类型"), _("所属分组"), *PLAY_HEADER],
                play_rows(self.items, with_kind=True),
            ),
            Sheet(
                str(_("主题活动")),
                [_("主题活动"), _("起止日期"), *PLAY_HEADER],
                play_rows(self.campaigns, with_kind=False),
            ),
        ]


def dashboard(period: Period, scope: ScreenGroup | None) -> Dashboard:
    screens = scoped_screens(scope)
    return Dashboard(
        report=screen_report(period, scope),
        items=item_lines(period, screens),
        campaigns=campaign_lines(period, screens),
    )


# Exports ------------------------------------------------------------------------------


def period_title(period: Period) -> str:
    if period.first == period.last:
        return period.first.isoformat()
    return f"{period.first.isoformat()}～{period.last.isoformat()}"


def csv_cell(value, is_rate: bool):
    if value is None:
        return ""
    return percent(value) if is_rate else value


def csv_bytes(board: Dashboard) -> bytes:
    """Every table in one file, a title line before each; UTF-8 with a BOM so
    that Excel reads the Chinese right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for index, sheet in enumerate(board.sheets()):
        if index:
            writer.writerow([])
        writer.writerow([f"{sheet.title}（{period_title(board.report.period)}）"])
        writer.writerow([str(title) for title in sheet.header])
        for row in sheet.rows:
            writer.writerow(
                [csv_cell(v, n in sheet.rate_columns) for n, v in enumerate(row)]
            )
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(board: Dashboard) -> bytes:
    """One worksheet per table; rates are numbers shown as percentages."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet in board.sheets():
        worksheet = workbook.create_sheet(sheet.title)
        worksheet.append([str(title) for title in sheet.header])
        for cell in worksheet[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            worksheet.append(row)
            for column in sheet.rate_columns:
                worksheet.cell(
                    worksheet.max_row, column + 1
                ).number_format = RATE_FORMAT
        worksheet.column_dimensions["A"].width = 24
        worksheet.freeze_panes = "B2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


EXPORTS = {
    "csv": (csv_bytes, "text/csv; charset=utf-8"),
    "xlsx": (xlsx_bytes, XLSX_TYPE),
}


# Views --------------------------------------------------------------------------------


class ReportPermission(PermissionCheckedMixin):
    permission_policy = report_policy
    any_permission_required = ANY_PERMISSION


class ScreenReportView(ReportPermission, WagtailAdminTemplateMixin, TemplateView):
    page_title = _("开机率/使用率")
    header_icon = "table"
    template_name = "big_screen/reports/dashboard.html"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        period = requested_period(self.request)
        board = dashboard(period, requested_scope(self.request))
        report = board.report
        query = period_query(period, report.scope)
        context.update(
            report=report,
            board=board,
            total=report.total,
            period=period,
            period_kinds=PERIOD_KINDS.items(),
            period_label=period_title(period),
            chart=daily_chart(report),
            index_url=reverse("screen_reports:index"),
            period_query=period_query(period),
            csv_url=reverse("screen_reports:export", args=("csv",)) + query,
            xlsx_url=reverse("screen_reports:export", args=("xlsx",)) + query,
        )
        return context


class ExportView(ReportPermission, View):
    def get(self, request, file_format: str) -> HttpResponse:
        if file_format not in EXPORTS:
            raise Http404
        build, content_type = EXPORTS[file_format]
        period = requested_period(request)
        board = dashboard(period, requested_scope(request))
        response = HttpResponse(build(board), content_type=content_type)
        name = f"{FILE_NAME}-{period_title(period)}.{file_format}"
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=name
        )
        return response


class ScreenReportMenuItem(MenuItem):
    def is_shown(self, request):
        return report_policy.user_has_any_permission(request.user, ANY_PERMISSION)


class ScreenReportViewSet(ViewSet):
    """The dashboard and its exports, under /admin/big-screen/reports/."""

    name = "screen_reports"
    url_prefix = "big-screen/reports"
    icon = "table"
    menu_label = _("开机率/使用率")
    menu_order = 50
    menu_item_class = ScreenReportMenuItem

    def get_urlpatterns(self):
        return [
            path("", ScreenReportView.as_view(), name="index"),
            path("export.<str:file_format>", ExportView.as_view(), name="export"),
        ]
