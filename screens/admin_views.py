"""Admin views of the 科普大屏 menu beyond plain create/edit: pairing a screen
by its code, revoking a screen, cancelling an emergency and seeing which
screens confirmed it, and the preview of a screen's loop at a given time."""

from datetime import datetime, timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets import AdminDateInput, AdminTimeInput
from wagtail.permission_policies import ModelPermissionPolicy

from cms.organisations import Scope
from cms.scoped_admin import limit_choices, scope_of, visible_rows
from screens import pairing
from screens.models import EmergencyItem, Screen, ScreenGroup
from screens.playlist import resolve
from screens.schedule import local_moment, plays_at

screen_policy = ModelPermissionPolicy(Screen)
emergency_policy = ModelPermissionPolicy(EmergencyItem)
ONLINE_WITHIN = timedelta(minutes=3)  # three missed heartbeats: offline
EMERGENCY_HOURS = timedelta(hours=2)  # a new emergency's default length


def is_online(screen: Screen, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return bool(screen.last_seen_at) and now - screen.last_seen_at <= ONLINE_WITHIN


def emergency_state(emergency: EmergencyItem, now: datetime | None = None) -> str:
    now = now or timezone.now()
    if emergency.cancelled_at:
        return str(_("已撤销"))
    if now < emergency.starts_at:
        return str(_("未开始"))
    if now >= emergency.ends_at:
        return str(_("已结束"))
    return str(_("进行中"))


class AdminPage(WagtailAdminTemplateMixin, PermissionCheckedMixin):
    header_icon = "desktop"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]


# Pairing and revoking ---------------------------------------------------------------


class PairForm(forms.Form):
    code = forms.CharField(
        label=_("配对码"),
        max_length=12,
        help_text=_("大屏上显示的六位配对码"),
    )
    screen = forms.ModelChoiceField(
        label=_("已有大屏（更换播放设备时选择）"),
        queryset=Screen.objects.select_related("group"),
        required=False,
    )
    group = forms.ModelChoiceField(
        label=_("分组"), queryset=ScreenGroup.objects.order_by("path"), required=False
    )
    name = forms.CharField(label=_("名称"), max_length=80, required=False)
    location = forms.CharField(label=_("位置"), max_length=200, required=False)
    orientation = forms.ChoiceField(label=_("方向"), choices=Screen.Orientation.choices)

    def __init__(self, *args, scope: Scope, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self.fields, scope)

    def clean(self):
        data = super().clean()
        if not data.get("screen") and not (data.get("group") and data.get("name")):
            raise ValidationError(_("新大屏需要选择分组并填写名称"))
        return data


class PairView(AdminPage, FormView):
    permission_policy = screen_policy
    permission_required = "add"
    page_title = _("配对大屏")
    template_name = "big_screen/admin_pair.html"
    form_class = PairForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "scope": scope_of(self.request)}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            screen = self.claim(data)
        except ValidationError as error:
            form.add_error("code", error)
            return self.form_invalid(form)
        messages.success(self.request, _("「%(name)s」已配对") % {"name": screen.name})
        return redirect(reverse("big_screen_screens:index"))

    def claim(self, data) -> Screen:
        if data["screen"]:
            return pairing.claim(data["code"], screen=data["screen"])
        width, height = (1920, 1080)
        if data["orientation"] == Screen.Orientation.PORTRAIT:
            width, height = height, width
        return pairing.claim(
            data["code"],
            group=data["group"],
            name=data["name"],
            location=data["location"],
            orientation=data["orientation"],
            width=width,
            height=height,
        )


class ConfirmView(AdminPage, TemplateView):
    """A confirmation page whose POST does the action."""

    template_name = "big_screen/admin_confirm.html"
    model = None
    question = ""
    index_url_name = ""

    def dispatch(self, request, *args, pk: int, **kwargs):
        rows = visible_rows(request, self.model.objects.all())
        self.object = get_object_or_404(rows, pk=pk)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        question = self.question % {"name": str(self.object)}
        return super().get_context_data(question=question, **kwargs)

    def post(self, request, *args, **kwargs):
        self.act()
        messages.success(request, self.done % {"name": str(self.object)})
        return redirect(reverse(self.index_url_name))


class RevokeView(ConfirmView):
    permission_policy = screen_policy
    permission_required = "change"
    model = Screen
    page_title = _("吊销大屏")
    question = _("吊销「%(name)s」后它将无法获取播放列表，需要重新配对。确定吗？")
    done = _("「%(name)s」已吊销")
    index_url_name = "big_screen_screens:index"

    def act(self) -> None:
        pairing.revoke(self.object)


class EmergencyCreateView(generic.CreateView):
    """An emergency starts now and runs EMERGENCY_HOURS unless the operator
    says otherwise: in a hurry, only the group, title and text need filling."""

    def get_initial(self):
        now = timezone.localtime().replace(second=0, microsecond=0)
        initial = super().get_initial()
        return {**initial, "starts_at": now, "ends_at": now + EMERGENCY_HOURS}


class CancelEmergencyView(ConfirmView):
    permission_policy = emergency_policy
    permission_required = "change"
    model = EmergencyItem
    page_title = _("撤销应急科普")
    question = _("撤销「%(name)s」后，各大屏将在一个轮询周期内恢复正常轮播。确定吗？")
    done = _("「%(name)s」已撤销")
    index_url_name = "big_screen_emergencies:index"

    def act(self) -> None:
        EmergencyItem.objects.filter(pk=self.object.pk, cancelled_at=None).update(
            cancelled_at=timezone.now()
        )


def confirmation_rows(emergency: EmergencyItem) -> list[dict]:
    confirmed = dict(emergency.confirmations.values_list("screen_id", "confirmed_at"))
    screens = Screen.objects.filter(
        group__in=emergency.group.descendants()
    ).select_related("group")
    return [
        {"screen": screen, "confirmed_at": confirmed.get(screen.pk)}
        for screen in screens.order_by("group__path", "name")
    ]


class ConfirmationsView(AdminPage, TemplateView):
    permission_policy = emergency_policy
    any_permission_required = ["add", "change", "delete", "view"]
    page_title = _("确认情况")
    template_name = "big_screen/admin_confirmations.html"

    def get_context_data(self, pk: int, **kwargs):
        emergencies = visible_rows(self.request, EmergencyItem.objects.all())
        emergency = get_object_or_404(emergencies, pk=pk)
        rows = confirmation_rows(emergency)
        return super().get_context_data(
            emergency=emergency,
            state=emergency_state(emergency),
            rows=rows,
            confirmed=sum(1 for row in rows if row["confirmed_at"]),
            **kwargs,
        )


# Preview ------------------------------------------------------------------------------


class PreviewForm(forms.Form):
    screen = forms.ModelChoiceField(
        label=_("大屏"), queryset=Screen.objects.select_related("group")
    )
    day = forms.DateField(label=_("日期"), widget=AdminDateInput)
    at = forms.TimeField(label=_("时间"), widget=AdminTimeInput)

    def __init__(self, *args, scope: Scope, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self.fields, scope)


def preview_of(screen: Screen, moment: datetime) -> dict:
    """The loop as the screen would play it at `moment`: what plays, what
    waits for another day part or date, and the operator's warnings."""
    loop = resolve(screen.group, screen.orientation, moment)
    playing, waiting = [], []
    for entry in loop.entries:
        starts_on = entry["starts_on"] and datetime.fromisoformat(entry["starts_on"])
        ends_on = entry["ends_on"] and datetime.fromisoformat(entry["ends_on"])
        due = plays_at(
            starts_on.date() if starts_on else None,
            ends_on.date() if ends_on else None,
            entry["day_parts"],
            moment,
        )
        (playing if due else waiting).append(entry)
    return {
        "playing": playing,
        "waiting": waiting,
        "warnings": loop.warnings,
        "emergency": loop.emergency,
        "total_seconds": sum(entry["duration_seconds"] for entry in playing),
    }


class PreviewView(AdminPage, TemplateView):
    permission_policy = screen_policy
    any_permission_required = ["add", "change", "delete", "view"]
    page_title = _("播放预览")
    template_name = "big_screen/admin_preview.html"

    def get_context_data(self, **kwargs):
        now = timezone.localtime()
        initial = {"day": now.date().isoformat(), "at": now.strftime("%H:%M")}
        form = PreviewForm(
            self.form_data(initial), initial=initial, scope=scope_of(self.request)
        )
        context = super().get_context_data(form=form, **kwargs)
        if form.is_valid():
            moment = local_moment(form.cleaned_data["day"], form.cleaned_data["at"])
            context["moment"] = moment
            context["screen"] = form.cleaned_data["screen"]
            context.update(preview_of(form.cleaned_data["screen"], moment))
        return context

    def form_data(self, now: dict) -> dict | None:
        """The query, now where it names a screen but no date or time (a
        group's 播放预览 link); none until a screen is chosen."""
        if "screen" not in self.request.GET:
            return None
        return {**now, **self.request.GET.dict()}
