"""年度考核报告 in the admin: a year and an organisation the user may read
(with those below it); the report shown as it prints, and its PDF, XLSX
and CSV to download."""

from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.base import ViewSet

from channels.admin_views import ANY_PERMISSION, PlacementMenuItem, placement_policy
from reach.admin_views import ReportRequest
from reach.year_end import FORMATS, report_file, report_html, year_end_report

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


class YearEndAccess(PermissionCheckedMixin):
    permission_policy = placement_policy
    any_permission_required = ANY_PERMISSION

    def report(self):
        asked = ReportRequest(self.request)
        return asked, year_end_report(asked.organisation, asked.period.year)


class YearEndView(YearEndAccess, WagtailAdminTemplateMixin, TemplateView):
    page_title = gettext_lazy("年度考核报告")
    header_icon = "doc-full"
    template_name = "reach/admin/year_end.html"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        asked = ReportRequest(self.request)
        query = urlencode(
            {"year": asked.period.year, "organisation": asked.organisation.pk}
        )
        context.update(
            asked=asked,
            years=range(asked.period.year - 5, asked.period.year + 2),
            preview_url=reverse("reach_year_end:preview") + "?" + query,
            downloads=[
                (
                    file_format.upper(),
                    reverse("reach_year_end:download", args=(file_format,))
                    + "?"
                    + query,
                )
                for file_format in FORMATS
            ],
        )
        return context


@method_decorator(xframe_options_sameorigin, name="dispatch")
class YearEndPreview(YearEndAccess, View):
    """The report as it prints, in the page's frame."""

    def get(self, request):
        _asked, report = self.report()
        return HttpResponse(report_html(report))


class YearEndDownload(YearEndAccess, View):
    def get(self, request, file_format: str):
        if file_format not in FORMATS:
            raise Http404
        _asked, report = self.report()
        response = HttpResponse(
            report_file(report, file_format), content_type=CONTENT_TYPES[file_format]
        )
        name = f"{report.title}.{file_format}"
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response


class YearEndViewSet(ViewSet):
    name = "reach_year_end"
    url_prefix = "reach/year-end"
    icon = "doc-full"
    menu_label = gettext_lazy("年度考核报告")
    menu_order = 5
    menu_item_class = PlacementMenuItem

    def get_urlpatterns(self):
        return [
            path("", YearEndView.as_view(), name="index"),
            path("preview/", YearEndPreview.as_view(), name="preview"),
            path(
                "download.<str:file_format>", YearEndDownload.as_view(), name="download"
            ),
        ]
