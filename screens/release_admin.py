"""播放器版本 in the 科普大屏 admin menu: the recorded player releases, which
is the default, which groups are pinned to each, how many screens run it
(by their last heartbeat) and how many are to run it; and the rollout's
actions: pin a group to a release, take a pin away, make a release the
default (screens.rollout).

Whoever has any permission on player releases reads the listing; pinning
and promoting take the permission to change them. ReleaseViewSet is
registered by screens/wagtail_hooks.py."""

from collections import Counter
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSet
from wagtail.permission_policies import ModelPermissionPolicy

from screens import rollout
from screens.admin_views import AdminPage, ConfirmView
from screens.models import PlayerRelease, PlayerReleasePin, Screen, ScreenGroup

ANY_PERMISSION = ["add", "change", "delete", "view"]
release_policy = ModelPermissionPolicy(PlayerRelease)
INDEX = "big_screen_releases:index"


@dataclass(frozen=True)
class ReleaseRow:
    release: PlayerRelease
    pins: list[PlayerReleasePin]
    running: int  # paired screens whose last heartbeat came from it
    assigned: int  # paired screens that are to run it


def release_rows() -> tuple[list[ReleaseRow], int]:
    """The rows, newest release first, and how many paired screens run a
    version no release records (a player from before releases)."""
    paired = Screen.objects.filter(token_hash__isnull=False, revoked_at=None)
    heard = paired.exclude(player_version="")  # a heartbeat names the version
    running = Counter(heard.values_list("player_version", flat=True))
    fleet = rollout.read_fleet()
    per_group = Counter(paired.values_list("group_id", flat=True))
    assigned: Counter[str | None] = Counter()
    for group in ScreenGroup.objects.only("path"):
        if count := per_group.get(group.pk):
            assigned[fleet.version_for(group)] += count
    pins: dict[int, list[PlayerReleasePin]] = {}
    for pin in PlayerReleasePin.objects.select_related("group").order_by("group__path"):
        pins.setdefault(pin.release_id, []).append(pin)
    releases = PlayerRelease.objects.defer("files", "messages")
    rows = [
        ReleaseRow(
            release,
            pins.get(release.pk, []),
            running.pop(release.version, 0),
            assigned[release.version],
        )
        for release in releases
    ]
    return rows, sum(running.values())


class ReleaseIndexView(AdminPage, TemplateView):
    permission_policy = release_policy
    any_permission_required = ANY_PERMISSION
    page_title = _("播放器版本")
    template_name = "big_screen/admin_releases.html"

    def get_context_data(self, **kwargs):
        rows, unrecorded = release_rows()
        may_change = release_policy.user_has_permission(self.request.user, "change")
        return super().get_context_data(
            rows=rows, unrecorded=unrecorded, may_change=may_change, **kwargs
        )


class PinForm(forms.Form):
    group = forms.ModelChoiceField(
        label=_("分组"),
        queryset=ScreenGroup.objects.order_by("path"),
        help_text=_("该分组及其下级分组的大屏将在下次轮询时切换到这个版本"),
    )


class PinView(AdminPage, FormView):
    permission_policy = release_policy
    permission_required = "change"
    page_title = _("固定到分组")
    template_name = "big_screen/admin_release_pin.html"
    form_class = PinForm

    def dispatch(self, request, *args, pk: int, **kwargs):
        self.release = get_object_or_404(PlayerRelease, pk=pk)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(release=self.release, **kwargs)

    def form_valid(self, form):
        group = form.cleaned_data["group"]
        rollout.pin(group, self.release)
        done = _("「%(group)s」已固定到播放器版本 %(version)s")
        messages.success(
            self.request, done % {"group": group, "version": self.release.version}
        )
        return redirect(reverse(INDEX))


class UnpinView(ConfirmView):
    permission_policy = release_policy
    permission_required = "change"
    model = PlayerReleasePin
    page_title = _("取消固定")
    question = _(
        "取消「%(name)s」的版本固定后，它的大屏将跟随上级分组或默认版本。确定吗？"
    )
    done = _("「%(name)s」已取消版本固定")
    index_url_name = INDEX

    def act(self) -> None:
        rollout.unpin(self.object.group)


class PromoteView(ConfirmView):
    permission_policy = release_policy
    permission_required = "change"
    model = PlayerRelease
    page_title = _("设为默认版本")
    question = _(
        "将播放器版本 %(name)s 设为默认后，所有未固定版本的大屏将在下次轮询时切换到它；"
        "固定到此版本的分组改为跟随默认版本。确定吗？"
    )
    done = _("播放器版本 %(name)s 已设为默认")
    index_url_name = INDEX

    def act(self) -> None:
        rollout.promote(self.object)


class ReleaseMenuItem(MenuItem):
    def is_shown(self, request):
        return release_policy.user_has_any_permission(request.user, ANY_PERMISSION)


class ReleaseViewSet(ViewSet):
    """The listing and the rollout's actions, under /admin/big-screen/releases/."""

    name = "big_screen_releases"
    url_prefix = "big-screen/releases"
    icon = "upload"
    menu_label = _("播放器版本")
    menu_order = 60
    menu_item_class = ReleaseMenuItem

    def get_urlpatterns(self):
        return [
            path("", ReleaseIndexView.as_view(), name="index"),
            path("pin/<int:pk>/", PinView.as_view(), name="pin"),
            path("unpin/<int:pk>/", UnpinView.as_view(), name="unpin"),
            path("promote/<int:pk>/", PromoteView.as_view(), name="promote"),
        ]
