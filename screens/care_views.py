"""Remote care in the admin (screens.commands, screens.health): a screen's
page and a group's page, each with the buttons 截图, 立即刷新 and 清除缓存
(staff who may change screens), what the players last reported (version,
storage, uptime, last error), the latest screenshot and every command kept
with its state. Screenshots are served here, to staff who may see screens,
and nowhere public."""

from abc import ABC, abstractmethod

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import filesizeformat
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from cms.file_views import file_response
from cms.scoped_admin import scope_of, visible_rows
from screens import commands
from screens.admin_views import AdminPage, screen_policy
from screens.models import Screen, ScreenCommand, ScreenGroup

SHOWN_COMMANDS = 100
SHOWN_SCREENS = 200  # a province's page lists the first ones; each has its own
SEE = ["add", "change", "delete", "view"]


def uptime(screen: Screen) -> str:
    """How long the player's page had run at its latest heartbeat."""
    if not (screen.player_started_at and screen.last_seen_at):
        return "—"
    return timesince(screen.player_started_at, screen.last_seen_at)


def storage_free(screen: Screen) -> str:
    if screen.storage_free_bytes is None:
        return "—"
    return filesizeformat(screen.storage_free_bytes)


def storage_used(screen: Screen) -> str:
    if screen.storage_used_bytes is None:
        return "—"
    return filesizeformat(screen.storage_used_bytes)


def last_error(screen: Screen) -> str:
    return screen.last_error or "—"


def latest_screenshot(screens) -> ScreenCommand | None:
    return (
        ScreenCommand.objects.filter(screen__in=screens)
        .exclude(screenshot="")
        .select_related("screen")
        .order_by("-finished_at", "-pk")
        .first()
    )


class CommandForm(forms.Form):
    kind = forms.ChoiceField(choices=ScreenCommand.Kind.choices)


class CarePage(ABC, AdminPage, TemplateView):
    """A page of screens with their reports and commands; a POST of the
    command form issues one to them."""

    permission_policy = screen_policy
    any_permission_required = SEE
    template_name = "big_screen/admin_care.html"

    @abstractmethod
    def screens(self):
        """The screens the page shows and commands."""

    @abstractmethod
    def issue(self, kind: str) -> str:
        """Issue a command of this kind to them; the message to show."""

    def get_context_data(self, **kwargs):
        screens = self.screens().select_related("group")
        shown = ScreenCommand.objects.filter(screen__in=screens).select_related(
            "screen", "issued_by"
        )
        return super().get_context_data(
            screens=screens[:SHOWN_SCREENS],
            screen_count=screens.count(),
            commands=shown[:SHOWN_COMMANDS],
            screenshot=latest_screenshot(screens),
            kinds=ScreenCommand.Kind.choices,
            can_issue=self.user_has_permission("change"),
            keep_days=commands.KEEP_DAYS,
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if not self.user_has_permission("change"):
            raise PermissionDenied
        form = CommandForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("未知的命令"))
        else:
            try:
                messages.success(request, self.issue(form.cleaned_data["kind"]))
            except commands.CommandRefused as refusal:
                messages.error(request, str(refusal))
        return redirect(request.path)


def kind_label(kind: str) -> str:
    return str(ScreenCommand.Kind(kind).label)


class ScreenCareView(CarePage):
    page_title = gettext_lazy("远程运维")

    def dispatch(self, request, *args, pk: int, **kwargs):
        screens = visible_rows(request, Screen.objects.select_related("group"))
        self.screen = get_object_or_404(screens, pk=pk)
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.screen.name

    def screens(self):
        return Screen.objects.filter(pk=self.screen.pk)

    def issue(self, kind: str) -> str:
        commands.issue_to_screen(self.screen, kind, self.request.user)
        message = _("已向「%(name)s」下发「%(command)s」命令，等待大屏确认")
        return message % {"name": self.screen.name, "command": kind_label(kind)}


class GroupCareView(CarePage):
    page_title = gettext_lazy("分组远程运维")

    def dispatch(self, request, *args, pk: int, **kwargs):
        self.group = get_object_or_404(
            visible_rows(request, ScreenGroup.objects.all()), pk=pk
        )
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return str(self.group)

    def screens(self):
        return Screen.objects.filter(group__in=self.group.descendants()).order_by(
            "group__path", "name"
        )

    def issue(self, kind: str) -> str:
        issued, skipped = commands.issue_to_group(self.group, kind, self.request.user)
        message = _("已向 %(count)d 块大屏下发「%(command)s」命令，等待大屏确认")
        text = message % {"count": len(issued), "command": kind_label(kind)}
        if skipped:
            text += _("；跳过 %(count)d 块未配对或已吊销的大屏") % {"count": skipped}
        return text


@require_safe
def screenshot(request, pk: int):
    """A screenshot, to staff who may see screens only."""
    if not screen_policy.user_has_any_permission(request.user, SEE):
        raise PermissionDenied
    shots = ScreenCommand.objects.exclude(screenshot="")
    mine = scope_of(request).filter(shots, "screen__group__owner")
    command = get_object_or_404(mine, pk=pk)
    return file_response(request, command.screenshot.name, "image/jpeg")
