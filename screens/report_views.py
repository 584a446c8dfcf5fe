"""The 开机率/使用率 dashboard of the 科普大屏 admin menu: totals, a daily
chart (inline SVG), the group tree by tier with drill-down (?group=<id>),
screens offline for more than ten minutes, minutes reported late (sent after
a network cut), plays per item and per campaign,
and the same tables as CSV or XLSX.

ScreenReportViewSet is registered by screens/wagtail_hooks.py.
Whoever has any permission on screens may read it."""

from dataclasses import dataclass
from datetime import date

from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.permission_policies import ModelPermissionPolicy

from cms.reporting.charts import Category, Chart, Layout, Scale, Series, column_chart
from cms.reporting.export import ExportView
from cms.reporting.sheets import Sheet, percent_text
from cms.scoped_admin import visible_rows
from screens.minutes import Minutes, Period, period_of
from screens.models import Screen, ScreenGroup
from screens.report_plays import PlayLine, campaign_lines, item_lines
from screens.reports import DayLine, ScreenReport, scoped_screens, screen_report

ANY_PERMISSION = ["add", "change", "delete", "view"]
report_policy = ModelPermissionPolicy(Screen)
UPTIME = Series("uptime", _("开机率"))
USAGE = Series("usage", _("使用率"))
DAILY_LAYOUT = Layout(left=48, top=16, bottom=32)
PERIOD_KINDS = {"day": _("日"), "week": _("周"), "month": _("月")}
FIRST_REPORT_DAY, LAST_REPORT_DAY = date(2000, 1, 1), date(2099, 12, 31)


# Request parameters -------------------------------------------------------------------


class BadReportQuery(ValueError):
    """The period or date asked for is not one a report can cover."""


def requested_period(request) -> Period:
    """?period=day|week|month and ?date=YYYY-MM-DD (this week by default);
    BadReportQuery says in Chinese what is wrong with any other."""
    kind = request.GET.get("period") or "week"
    if kind not in PERIOD_KINDS:
        raise BadReportQuery(_("周期只能是日、周或月（day、week、month）"))
    text = request.GET.get("date") or timezone.localdate().isoformat()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise BadReportQuery(_("日期格式应为 YYYY-MM-DD，例如 2026-03-01")) from None
    if not FIRST_REPORT_DAY <= day <= LAST_REPORT_DAY:
        raise BadReportQuery(
            _("日期应在 %(first)s 至 %(last)s 之间")
            % {"first": FIRST_REPORT_DAY, "last": LAST_REPORT_DAY}
        )
    return period_of(kind, day)


def requested_scope(request) -> ScreenGroup | None:
    """The group the report covers (?group=): one of the user's
    organisations' groups; without one, every screen when every group is
    theirs, else their first group in tree order."""
    groups = visible_rows(request, ScreenGroup.objects.order_by("path"))
    pk = request.GET.get("group", "")
    if pk and not pk.isdigit():
        raise Http404
    if pk:
        group = groups.filter(pk=pk).first()
    elif not ScreenGroup.objects.exclude(pk__in=groups.values("pk")).exists():
        return None  # every group is the user's: every screen
    else:
        group = groups.first()
    if group is None:
        raise Http404
    return group


def period_query(period: Period, scope: ScreenGroup | None = None) -> str:
    query = {"period": period.kind, "date": period.first.isoformat()}
    if scope is not None:
        query["group"] = scope.pk
    return "?" + urlencode(query)


def percent(rate: float | None) -> str:
    """A 开机率 or 使用率 as the page shows it (also the `percent` filter)."""
    return "—" if rate is None else percent_text(rate)


def period_title(period: Period) -> str:
    if period.first == period.last:
        return period.first.isoformat()
    return f"{period.first.isoformat()}～{period.last.isoformat()}"


# The daily chart ----------------------------------------------------------------------


def day_title(line: DayLine) -> str:
    return _("%(day)s 开机率 %(uptime)s，使用率 %(usage)s") % {
        "day": line.day.isoformat(),
        "uptime": percent(line.minutes.uptime),
        "usage": percent(line.minutes.usage),
    }


def daily_chart(report: ScreenReport) -> Chart:
    """开机率 and 使用率 bars for each day of the period, 0–100%."""
    columns = [
        Category(
            label=f"{line.day:%m-%d}",
            values=(line.minutes.uptime or 0, line.minutes.usage or 0),
            title=day_title(line),
        )
        for line in report.days
    ]
    description = _("柱状图：每天左侧深色柱为开机率，右侧浅色柱为使用率。") + "".join(
        f" {column.title}；" for column in columns
    )
    return column_chart(
        "daily-chart",
        _("%(period)s 每日开机率与使用率") % {"period": period_title(report.period)},
        description,
        series=(UPTIME, USAGE),
        columns=columns,
        scale=Scale(1, 0.25, percent=True),
        layout=DAILY_LAYOUT,
    )


# The tables, shared by the page and the exports ---------------------------------------


MINUTE_HEADER = [
    _("开放分钟"),
    _("开机分钟"),
    _("迟报分钟"),
    _("播放分钟"),
    _("开机率"),
    _("使用率"),
]


def rate(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def minute_cells(minutes: Minutes) -> list:
    return [
        minutes.opening,
        minutes.on,
        minutes.late,
        round(minutes.played, 1),
        rate(minutes.uptime),
        rate(minutes.usage),
    ]


def local_text(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if moment else ""


def yes_no(flag: bool) -> str:
    return str(_("是")) if flag else str(_("否"))


def rate_columns(before: int) -> tuple[int, int]:
    """The 开机率 and 使用率 columns of a table with `before` columns before
    MINUTE_HEADER."""
    return before + 4, before + 5


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

    def get(self, request, *args, **kwargs):
        try:
            self.period = requested_period(request)
        except BadReportQuery as problem:
            context = self.get_context_data(
                problem=str(problem), index_url=reverse("screen_reports:index")
            )
            self.template_name = "big_screen/reports/bad_query.html"
            return self.render_to_response(context, status=400)
        return self.render_to_response(self.get_context_data(**kwargs))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if "problem" in kwargs:
            return context
        period = self.period
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


class ScreenExportView(ReportPermission, ExportView):
    file_name = "大屏开机率使用率"

    def get(self, request, file_format: str) -> HttpResponse:
        try:
            self.period = requested_period(request)
        except BadReportQuery as problem:
            return HttpResponseBadRequest(
                str(problem), content_type="text/plain; charset=utf-8"
            )
        return super().get(request, file_format)

    def get_export(self):
        period = self.period
        board = dashboard(period, requested_scope(self.request))
        return period_title(period), board.sheets()


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
            path("export.<str:file_format>", ScreenExportView.as_view(), name="export"),
        ]
