"""The 传播量 admin menu: the report, the year-end report, imports and the
ledger's records."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup

from reach.admin_views import ReachRecordViewSet, ReachReportViewSet
from reach.import_views import ImportViewSet
from reach.year_end_views import YearEndViewSet


class ReachGroup(ViewSetGroup):
    menu_label = _("传播量")
    menu_icon = "view"
    menu_order = 260
    items = (ReachReportViewSet, YearEndViewSet, ImportViewSet, ReachRecordViewSet)


@hooks.register("register_admin_viewset")
def register_reach_group():
    return ReachGroup()
