"""更正与撤回 in the admin: every correction and withdrawal, and for each one
every recipient with what it was sent and where that stands; a failed
recipient is sent again, one that waits for a person is marked confirmed.
A user sees and acts on the recipients their organisations own
(AdvisoryRecipient.organisation), and the advisories that reached one;
the root organisation's staff see every advisory."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from channels.admin_views import (
    ANY_PERMISSION,
    LocalTimeInspectView,
    PlacementMenuItem,
    placement_policy,
)
from channels.advisories import acknowledge, resend
from channels.models import AdvisoryRecipient
from channels.registry import channel_choices
from cms.advisories import Advisory
from cms.organisations import root_organisation
from cms.scoped_admin import scope_of, visible_rows

State = AdvisoryRecipient.State
STATE_COLOURS = {
    State.PENDING: "#b25e09",
    State.SENT: "#1f7a8c",
    State.DELIVERED: "#18794e",
    State.ACKNOWLEDGED: "#0e5a3a",
    State.FAILED: "#b42318",
    State.CANCELLED: "#5b6472",
}
WAITING = (State.PENDING, State.SENT, State.DELIVERED)
RECIPIENTS_OUTSIDE_CHANNELS = {"partners": _("合作方"), "short_video": _("短视频平台")}


class ReadOnlyForPlacementStaff(ModelPermissionPolicy):
    """Advisories are made by publishing and unpublishing, never here: whoever
    may work with placements may look at them and act on their recipients."""

    def user_has_permission(self, user, action):
        if action in ("view", "inspect"):
            return placement_policy.user_has_any_permission(user, ANY_PERMISSION)
        return False

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


advisory_policy = ReadOnlyForPlacementStaff(Advisory)
register_permission_policy(Advisory, advisory_policy)


def may_act(user) -> bool:
    """Retrying and confirming change what was recorded: placement editors."""
    return placement_policy.user_has_permission(user, "change")


def recipient_counts(advisory: Advisory) -> str:
    counts = advisory.recipient_counts
    if not counts["total"]:
        return gettext("无接收方")
    parts = [gettext("%(total)d 个接收方") % counts]
    if counts["failed"]:
        parts.append(gettext("%(failed)d 个失败") % counts)
    if counts["waiting"]:
        parts.append(gettext("%(waiting)d 个待确认") % counts)
    return "，".join(parts)


def visible_advisories(request, queryset):
    """Those that reached a recipient of the user's scope; every one for
    the root organisation's staff."""
    scope = scope_of(request)
    if scope.covers(root_organisation()):
        return queryset
    reached = visible_rows(request, AdvisoryRecipient.objects.all()).filter(
        advisory=OuterRef("pk")
    )
    return queryset.filter(Exists(reached))


class AdvisoryIndexView(generic.IndexView):
    def get_base_queryset(self):
        queryset = super().get_base_queryset().select_related("user")
        queryset = visible_advisories(self.request, queryset)
        if item := self.request.GET.get("item", "").strip():
            queryset = (
                queryset.filter(page_id=item) if item.isdigit() else queryset.none()
            )
        mine = scope_of(self.request).q("recipients__organisation")
        return queryset.annotate(
            total=Count("recipients", filter=mine),
            failed=Count("recipients", filter=mine & Q(recipients__state=State.FAILED)),
            waiting=Count("recipients", filter=mine & Q(recipients__state__in=WAITING)),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for advisory in context["object_list"]:
            advisory.recipient_counts = {
                "total": advisory.total,
                "failed": advisory.failed,
                "waiting": advisory.waiting,
            }
        return context


class AdvisoryInspectView(LocalTimeInspectView):
    def get_object(self, queryset=None):
        advisories = visible_advisories(self.request, Advisory.objects.all())
        return get_object_or_404(advisories, pk=self.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = visible_rows(self.request, self.object.recipients.all())
        rows = rows.select_related("outlet", "placement")
        labels = {**RECIPIENTS_OUTSIDE_CHANNELS, **dict(channel_choices())}
        for row in rows:
            row.colour = STATE_COLOURS[row.state]
            row.channel_label = labels.get(row.channel, row.channel)
        context["recipients"] = rows
        context["may_act"] = may_act(self.request.user)
        context["page_edit_url"] = (
            reverse("wagtailadmin_pages:edit", args=(self.object.page_id,))
            if self.object.page_id
            else ""
        )
        return context


@require_POST
def retry_recipient(request, pk: int):
    row = recipient_for(request, pk)
    if row.state != State.FAILED:
        messages.warning(request, gettext("只有发送失败的接收方可以重试"))
    else:
        resend.enqueue(row.pk)
        messages.success(
            request, gettext("已重新发送给「%(name)s」") % {"name": row.name}
        )
    return redirect_to_advisory(row)


@require_POST
def acknowledge_recipient(request, pk: int):
    row = recipient_for(request, pk)
    if row.state not in WAITING:
        messages.warning(request, gettext("该接收方当前状态不能标记为已确认"))
    else:
        acknowledge(row, request.user, request.POST.get("note", "").strip()[:500])
        message = gettext("已标记「%(name)s」为已确认") % {"name": row.name}
        messages.success(request, message)
    return redirect_to_advisory(row)


def recipient_for(request, pk: int) -> AdvisoryRecipient:
    if not may_act(request.user):
        raise PermissionDenied
    recipients = visible_rows(request, AdvisoryRecipient.objects.all())
    return get_object_or_404(recipients, pk=pk)


def redirect_to_advisory(row: AdvisoryRecipient):
    return redirect(reverse("channel_advisories:inspect", args=(row.advisory_id,)))


class AdvisoryViewSet(ModelViewSet):
    model = Advisory
    icon = "warning"
    name = "channel_advisories"
    url_prefix = "channels/advisories"
    menu_label = _("更正与撤回")
    menu_order = 15
    menu_item_class = PlacementMenuItem
    index_view_class = AdvisoryIndexView
    inspect_view_class = AdvisoryInspectView
    inspect_view_enabled = True
    copy_view_enabled = False
    inspect_template_name = "channels/admin/advisory_inspect.html"
    form_fields = ["reason"]  # never offered: the policy refuses add and edit
    inspect_view_fields = ["kind", "title", "public_path", "at", "user"]
    list_display = [
        Column("kind", label=_("类型"), accessor="get_kind_display"),
        TitleColumn("title", label=_("标题"), url_name="channel_advisories:inspect"),
        DateColumn("at", label=_("时间")),
        Column("user", label=_("操作人")),
        Column("recipients", label=_("接收方"), accessor=recipient_counts),
    ]
    list_filter = ["kind"]
    search_fields = ["title"]
    search_backend_name = None

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("recipient/<int:pk>/retry/", retry_recipient, name="retry"),
            path(
                "recipient/<int:pk>/acknowledge/",
                acknowledge_recipient,
                name="acknowledge",
            ),
        ]
