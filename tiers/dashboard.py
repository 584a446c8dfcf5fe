"""The dashboard's 资源包任务 panel: the tasks waiting for the user's own
organisations to acknowledge them, and those overdue below them (the
escalation's other half, tiers.escalation); above it, while one is on, the
应急科普 the user's branch issued, with how many have acknowledged."""

from django.db.models import Count, Q
from django.utils import timezone
from wagtail.admin.ui.components import Component

from cms.alerts import SiteAlert
from cms.organisations import own_organisations
from cms.scoped_admin import scope_of
from tiers.admin_views import package_policy, task_policy
from tiers.models import PackageTask, ResourcePackage

SHOWN = 10


class PackageTasksPanel(Component):
    name = "package_tasks"
    template_name = "tiers/dashboard_panel.html"
    order = 25

    def __init__(self, waiting, overdue_below, more_below: int) -> None:
        self.waiting, self.overdue_below = waiting, overdue_below
        self.more_below = more_below

    def get_context_data(self, parent_context):
        return {
            "waiting": self.waiting,
            "overdue_below": self.overdue_below,
            "more_below": self.more_below,
            "now": timezone.now(),
        }


def add_package_tasks_panel(request, panels) -> None:
    if not task_policy.user_has_any_permission(request.user, ["view", "change"]):
        return
    own = list(own_organisations(request.user).values_list("pk", "path"))
    if not own:
        return
    open_tasks = PackageTask.objects.filter(acknowledged_at=None).select_related(
        "package", "organisation"
    )
    waiting = list(
        open_tasks.filter(organisation__in=[pk for pk, _ in own]).order_by(
            "acknowledge_by"
        )[:SHOWN]
    )
    below = Q(pk__in=[])
    for pk, path in own:
        below |= Q(organisation__path__startswith=path) & ~Q(organisation=pk)
    overdue = open_tasks.filter(below, acknowledge_by__lt=timezone.now())
    overdue_below = list(
        overdue.order_by("acknowledge_by", "organisation__path")[:SHOWN]
    )
    more_below = overdue.count() - SHOWN if len(overdue_below) == SHOWN else 0
    if waiting or overdue_below:
        panels.append(PackageTasksPanel(waiting, overdue_below, more_below))


class ActiveEmergenciesPanel(Component):
    name = "active_emergencies"
    template_name = "tiers/dashboard_emergencies.html"
    order = 5

    def __init__(self, packages) -> None:
        self.packages = packages

    def get_context_data(self, parent_context):
        return {"packages": self.packages}


def add_active_emergencies_panel(request, panels) -> None:
    if not package_policy.user_has_any_permission(request.user, ["view", "change"]):
        return
    active = ResourcePackage.objects.filter(alert__in=SiteAlert.objects.active())
    packages = list(
        scope_of(request)
        .filter(active)
        .select_related("alert", "owner")
        .annotate(
            recipients=Count("tasks"),
            acknowledged=Count("tasks", filter=Q(tasks__acknowledged_at__isnull=False)),
        )
        .order_by("-alert__starts_at")
    )
    if packages:
        panels.append(ActiveEmergenciesPanel(packages))
