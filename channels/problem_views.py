"""渠道异常: the dashboard panel of failed deliveries (each with 重试) and
of placements whose check (channels.checks) says they would not go out,
soonest first; and the retry itself."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from wagtail.admin.ui.components import Component

from channels.admin_views import placement_policy, safe_next
from channels.models import Placement
from cms.organisations import Scope

SHOWN = 10
FAILED_WITHIN = timedelta(days=30)
CHECKED_AHEAD = timedelta(days=60)


def failed_placements(scope: Scope):
    since = timezone.now() - FAILED_WITHIN
    return (
        Placement.objects.filter(
            scope.q("outlet__owner"),
            status=Placement.Status.FAILED,
            scheduled_at__gte=since,
        )
        .select_related("page", "outlet")
        .order_by("-scheduled_at")
    )


def failing_checks(scope: Scope) -> list[Placement]:
    """Planned placements from today on whose check found a problem that
    would stop them (warnings aside), soonest first."""
    now = timezone.now()
    placements = (
        Placement.objects.filter(
            scope.q("outlet__owner"),
            status=Placement.Status.PLANNED,
            scheduled_at__gte=now - timedelta(days=1),
            scheduled_at__lte=now + CHECKED_AHEAD,
        )
        .exclude(check_result=[])
        .select_related("page", "outlet")
        .order_by("scheduled_at")
    )
    return [placement for placement in placements if placement.check_failures]


class ChannelProblemsPanel(Component):
    name = "channel_problems"
    template_name = "channels/admin/problems_panel.html"
    order = 30

    def __init__(self, failed: list[Placement], failing: list[Placement], can_retry):
        self.failed, self.failing, self.can_retry = failed, failing, can_retry

    def get_context_data(self, parent_context):
        return {
            "failed": self.failed[:SHOWN],
            "failing": self.failing[:SHOWN],
            "more": max(0, len(self.failed) - SHOWN)
            + max(0, len(self.failing) - SHOWN),
            "can_retry": self.can_retry,
            "request": parent_context.get("request"),
            # A component renders with a plain dict: the retry form's token
            # comes from the dashboard's own context.
            "csrf_token": parent_context.get("csrf_token"),
        }


def add_problems_panel(request, panels) -> None:
    if not placement_policy.user_has_any_permission(
        request.user, ["add", "change", "delete", "view"]
    ):
        return
    scope = Scope.of(request.user)
    failed, failing = list(failed_placements(scope)), failing_checks(scope)
    if failed or failing:
        can_retry = placement_policy.user_has_permission(request.user, "change")
        panels.append(ChannelProblemsPanel(failed, failing, can_retry))


def retry(placement: Placement, user) -> None:
    """A failed placement planned again from its first attempt: the queue
    delivers it at once if its time has passed, else at its time."""
    with transaction.atomic():
        placement.attempts = 0
        placement.error = ""
        placement.next_attempt_at = None
        placement.claimed_until = None
        placement.record(Placement.Status.PLANNED, user, note=_("重试"))
        placement.save()


@require_POST
def retry_placement(request, pk: int):
    if not placement_policy.user_has_permission(request.user, "change"):
        raise PermissionDenied
    placements = Scope.of(request.user).filter(Placement.objects, "outlet__owner")
    placement = get_object_or_404(placements, pk=pk)
    if placement.status != Placement.Status.FAILED:
        messages.warning(request, _("只有失败的排期可以重试"))
    else:
        retry(placement, request.user)
        messages.success(
            request,
            _("「%(title)s」已重新排入交付队列") % {"title": placement.page.title},
        )
    return redirect(safe_next(request) or "wagtailadmin_home")
