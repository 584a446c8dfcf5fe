"""The 传播量 admin: the ledger's records (传播量记录, where every figure of
a report can be traced to), and the reach report with its chart and its
CSV/XLSX export. Whoever may work with placements may read them, each
within their organisations."""

import django_filters
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.models import IndexView
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from channels.admin_views import ANY_PERMISSION, PlacementMenuItem, placement_policy
from channels.advisory_views import ReadOnlyForPlacementStaff
from channels.report_views import requested_year
from cms.organisations import Organisation, Scope, root_organisation
from cms.reporting.export import ExportView
from cms.reporting.sheets import Sheet
from cms.scoped_admin import ScopedViewSetMixin
from reach import reports
from reach.charts import reach_chart
from reach.models import ReachRecord
from reach.reports import CHANNEL_LABELS, Ledger, Line, Period, channel_label

reach_policy = ReadOnlyForPlacementStaff(ReachRecord)
register_permission_policy(ReachRecord, reach_policy)


# The ledger's records ------------------------------------------------------------


def in_tree(queryset, name, organisation):
    return queryset.filter(organisation__path__startswith=organisation.path)


class ReachFilterSet(WagtailFilterSet):
    """Also the report's trace links: each line links here with its filters."""

    channel = django_filters.ChoiceFilter(
        label=gettext_lazy("渠道"), choices=list(CHANNEL_LABELS.items())
    )
    method = django_filters.ChoiceFilter(
        label=gettext_lazy("方法"), choices=ReachRecord.Method.choices
    )
    metric = django_filters.ChoiceFilter(
        label=gettext_lazy("指标"), choices=ReachRecord.Metric.choices
    )
    organisation = django_filters.ModelChoiceFilter(
        label=gettext_lazy("单位（含下级）"),
        queryset=Organisation.objects.order_by("path"),
        method=in_tree,
    )
    own_organisation = django_filters.NumberFilter(
        field_name="organisation", widget=django_filters.widgets.forms.HiddenInput
    )
    tier = django_filters.NumberFilter(
        field_name="organisation__tier", widget=django_filters.widgets.forms.HiddenInput
    )
    year = django_filters.NumberFilter(
        label=gettext_lazy("年份"), field_name="day__year"
    )
    month = django_filters.NumberFilter(
        label=gettext_lazy("月份"), field_name="day__month"
    )
    page = django_filters.NumberFilter(widget=django_filters.widgets.forms.HiddenInput)
    outlet = django_filters.NumberFilter(
        widget=django_filters.widgets.forms.HiddenInput
    )
    partner = django_filters.NumberFilter(
        widget=django_filters.widgets.forms.HiddenInput
    )
    campaign = django_filters.NumberFilter(
        method="carrying", widget=django_filters.widgets.forms.HiddenInput
    )
    audiences = django_filters.NumberFilter(
        method="carrying", widget=django_filters.widgets.forms.HiddenInput
    )

    def carrying(self, queryset, name, value):
        return queryset.filter(reports.carrying(name, value))

    class Meta:
        model = ReachRecord
        fields = ["channel", "method", "metric", "organisation", "year", "month"]


def where_text(record: ReachRecord) -> str:
    return str(record.outlet or record.partner or "")


def value_text(record: ReachRecord) -> str:
    if record.value is None:
        return _("缺失（缺少估算依据）")
    return f"{record.value:,}"


class ReachRecordIndexView(IndexView):
    def get_base_queryset(self):
        related = ("page", "outlet", "partner", "organisation")
        return super().get_base_queryset().select_related(*related)


class ReachRecordViewSet(ScopedViewSetMixin, ModelViewSet):
    model = ReachRecord
    icon = "list-ul"
    name = "reach_records"
    url_prefix = "reach/records"
    menu_label = gettext_lazy("传播量记录")
    menu_order = 20
    menu_item_class = PlacementMenuItem
    index_view_class = ReachRecordIndexView
    copy_view_enabled = False
    inspect_view_enabled = True
    form_fields = ["source"]  # never offered: the policy refuses add and edit
    inspect_view_fields = [
        "day",
        "channel",
        "page",
        "outlet",
        "partner",
        "organisation",
        "metric",
        "method",
        "value",
        "source",
        "confidence",
        "inputs",
        "recorded_at",
    ]
    list_display = [
        TitleColumn(
            "day", label=gettext_lazy("日期"), url_name="reach_records:inspect"
        ),
        Column(
            "channel",
            label=gettext_lazy("渠道"),
            accessor=lambda r: channel_label(r.channel),
        ),
        Column("page", label=gettext_lazy("内容")),
        Column("where", label=gettext_lazy("渠道账号/合作方"), accessor=where_text),
        Column("metric", label=gettext_lazy("指标"), accessor="get_metric_display"),
        Column("method", label=gettext_lazy("方法"), accessor="get_method_display"),
        Column("value", label=gettext_lazy("数值"), accessor=value_text),
        Column("source", label=gettext_lazy("来源")),
        Column("organisation", label=gettext_lazy("单位")),
    ]
    filterset_class = ReachFilterSet
    search_fields = ["page__title", "source"]
    search_backend_name = None
    list_per_page = 50


# The report ------------------------------------------------------------------------

GROUPINGS = {
    "channel": (gettext_lazy("按渠道"), Ledger.by_channel),
    "month": (gettext_lazy("按月"), Ledger.by_month),
    "organisation": (gettext_lazy("按单位"), Ledger.by_organisation),
    "tier": (gettext_lazy("按层级"), Ledger.by_tier),
    "outlet": (gettext_lazy("按渠道账号与合作方"), Ledger.by_outlet),
    "item": (gettext_lazy("按内容（前 100）"), Ledger.by_item),
    "campaign": (gettext_lazy("按活动/主题日"), Ledger.by_campaign),
    "audience": (gettext_lazy("按目标人群"), Ledger.by_audience),
}


def organisations_for(user):
    return Scope.of(user).organisations().order_by("path")


class ReportRequest:
    """What the report's toolbar asks for: a year (and month), an
    organisation the user may read (with those below it), a grouping."""

    def __init__(self, request) -> None:
        year = requested_year(request)
        month = request.GET.get("month", "")
        self.period = Period(
            year, int(month) if month.isdigit() and 1 <= int(month) <= 12 else None
        )
        self.organisations = organisations_for(request.user)
        chosen = request.GET.get("organisation", "")
        organisation = (
            self.organisations.filter(pk=chosen).first() if chosen.isdigit() else None
        )
        self.organisation = organisation or self.default_organisation(request.user)
        grouping = request.GET.get("by", "channel")
        self.grouping = grouping if grouping in GROUPINGS else "channel"

    def default_organisation(self, user) -> Organisation:
        if user.is_superuser:
            return root_organisation()
        return min(self.organisations, key=lambda org: len(org.path))

    @property
    def filters(self) -> dict:
        filters = {"year": self.period.year, "organisation": self.organisation.pk}
        if self.period.month:
            filters["month"] = self.period.month
        return filters

    def query(self, **extra) -> str:
        return urlencode({**self.filters, "by": self.grouping, **extra})

    def trace_url(self, line: Line) -> str:
        return (
            reverse("reach_records:index")
            + "?"
            + urlencode({**self.filters, **line.trace})
        )


def report_of(asked: ReportRequest) -> tuple[reports.Figures, list[Line]]:
    ledger = Ledger(asked.organisation, asked.period)
    lines = GROUPINGS[asked.grouping][1](ledger)
    return ledger.total(), lines


HEADER = [
    gettext_lazy("统计触达"),
    gettext_lazy("导入触达"),
    gettext_lazy("估算触达"),
    gettext_lazy("估算缺少依据（项）"),
    gettext_lazy("互动（点赞、转发、评论）"),
]


def report_sheet(asked: ReportRequest, total, lines: list[Line]) -> Sheet:
    label, _builder = GROUPINGS[asked.grouping]
    header = [_("项目"), *HEADER]
    rows = [[line.label, *line.figures.values()] for line in lines]
    rows.append([_("合计"), *total.values()])
    if asked.grouping == "outlet":
        header.append(_("期数与年度目标"))
        for row, line in zip(rows, [*lines, None], strict=True):
            row.append(line.issues if line else "")
    title = _("传播量%(grouping)s（%(organisation)s）") % {
        "grouping": label,
        "organisation": asked.organisation.name,
    }
    return Sheet(title, header, rows)


def export_url(file_format: str, asked: ReportRequest) -> str:
    return reverse("reach_report:export", args=(file_format,)) + "?" + asked.query()


class ReachReportView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    permission_policy = placement_policy
    any_permission_required = ANY_PERMISSION
    page_title = gettext_lazy("传播量报告")
    header_icon = "table"
    template_name = "reach/admin/report.html"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        asked = ReportRequest(self.request)
        total, lines = report_of(asked)
        label = GROUPINGS[asked.grouping][0]
        title = _("%(organisation)s %(period)s传播量%(grouping)s") % {
            "organisation": asked.organisation.name,
            "period": asked.period,
            "grouping": label,
        }
        context.update(
            asked=asked,
            title=title,
            total=total,
            lines=[(line, asked.trace_url(line)) for line in lines],
            chart=reach_chart("reach-chart", title, lines),
            groupings=[(key, label) for key, (label, _b) in GROUPINGS.items()],
            months=range(1, 13),
            years=range(asked.period.year - 5, asked.period.year + 2),
            total_trace=reverse("reach_records:index") + "?" + urlencode(asked.filters),
            csv_url=export_url("csv", asked),
            xlsx_url=export_url("xlsx", asked),
        )
        return context


class ReachExportView(PermissionCheckedMixin, ExportView):
    permission_policy = placement_policy
    any_permission_required = ANY_PERMISSION
    file_name = "传播量报告"

    def get_export(self):
        asked = ReportRequest(self.request)
        total, lines = report_of(asked)
        return str(asked.period), [report_sheet(asked, total, lines)]


class ReachReportViewSet(ViewSet):
    name = "reach_report"
    url_prefix = "reach/report"
    icon = "table"
    menu_label = gettext_lazy("传播量报告")
    menu_order = 0
    menu_item_class = PlacementMenuItem

    def get_urlpatterns(self):
        return [
            path("", ReachReportView.as_view(), name="index"),
            path("export.<str:file_format>", ReachExportView.as_view(), name="export"),
        ]
