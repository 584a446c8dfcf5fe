from wagtail import hooks

from tiers.admin_views import TiersGroup
from tiers.dashboard import add_package_tasks_panel


@hooks.register("register_admin_viewset")
def register_tiers():
    return TiersGroup()


hooks.register("construct_homepage_panels", add_package_tasks_panel)
