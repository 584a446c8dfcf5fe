from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup

from tiers.admin_views import PackageViewSet, TaskViewSet
from tiers.dashboard import add_active_emergencies_panel, add_package_tasks_panel
from tiers.emergency_views import EmergencyViewSet


class TiersGroup(ViewSetGroup):
    items = (EmergencyViewSet, PackageViewSet, TaskViewSet)
    menu_label = gettext_lazy("资源包")
    menu_icon = "resubmit"
    menu_order = 250


@hooks.register("register_admin_viewset")
def register_tiers():
    return TiersGroup()


hooks.register("construct_homepage_panels", add_package_tasks_panel)
hooks.register("construct_homepage_panels", add_active_emergencies_panel)
