"""Admin forms: outlets (a channel's settings as a form of their own,
weekdays as boxes), placements (content pages only) and the calendar's
filters."""

from dataclasses import fields

from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from channels.base import build_spec
from channels.models import Outlet, Placement
from channels.registry import channel_choices, get_adapter
from channels.spec_form import SPEC_INTRO, SpecWidget
from cms.organisations import Scope
from cms.pages import ContentPage
from cms.scoped_admin import limit_choices
from cms.snippets import Audience, Campaign, Topic
from cms.weekdays import WEEKDAYS


def content_page_models() -> list[type[ContentPage]]:
    """The page types that can be placed on an outlet."""
    return [m for m in apps.get_models() if issubclass(m, ContentPage)]


class OutletForm(WagtailAdminModelForm):
    cadence_weekdays = forms.TypedMultipleChoiceField(
        label=_("刊播日"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("每周刊播的日子；按周期检查日历上的缺期"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        spec = self.fields["spec"]
        spec.widget = SpecWidget()
        spec.widget.channel = self["channel"].value() or ""
        spec.help_text = SPEC_INTRO

    def clean_spec(self):
        spec = self.cleaned_data["spec"]
        if spec in (None, ""):
            return {}
        if not isinstance(spec, dict):
            raise forms.ValidationError(
                _('渠道参数必须是 JSON 对象，例如 {"target_chars": 1200}')
            )
        return spec

    def clean(self):
        """Unknown settings are refused here (the model would ignore them);
        each impossible value is shown at its input (the model names them
        all above the settings)."""
        cleaned_data = super().clean()
        channel, spec = cleaned_data.get("channel"), cleaned_data.get("spec")
        if not (channel and spec):
            return cleaned_data
        spec_class = get_adapter(channel).spec_class
        known = [f.name for f in fields(spec_class)]
        if unknown := sorted(set(spec) - set(known)):
            message = _("未知参数：%(unknown)s（可用：%(known)s）")
            values = {"unknown": "、".join(unknown), "known": "、".join(known)}
            self.add_error("spec", message % values)
        try:
            build_spec(spec_class, spec)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                self.fields["spec"].widget.errors = error.message_dict
        return cleaned_data


class PlacementForm(WagtailAdminModelForm):
    def clean_page(self):
        page = self.cleaned_data["page"]
        if page is not None and not issubclass(page.specific_class, ContentPage):
            raise forms.ValidationError(_("只能排期科普文章、科普视频或专栏节目"))
        return page

    def clean_scheduled_at(self):
        """A new placement in the past is refused by the model; a placement
        moved into the past is refused here."""
        scheduled_at = self.cleaned_data["scheduled_at"]
        moved = self.instance.pk and "scheduled_at" in self.changed_data
        if moved and scheduled_at is not None and scheduled_at < timezone.now():
            raise forms.ValidationError(_("刊播时间已经过去"))
        return scheduled_at

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.status == Placement.Status.DELIVERED and self.has_changed():
            raise forms.ValidationError(_("已交付的排期不能修改"))
        return cleaned_data


class CalendarFilterForm(forms.Form):
    """The calendar's GET filters; an invalid value is ignored."""

    outlet = forms.ModelChoiceField(
        Outlet.objects.all(), label=_("渠道账号/栏目"), required=False
    )
    channel = forms.ChoiceField(label=_("渠道"), required=False)
    topic = forms.ModelChoiceField(
        Topic.objects.select_related("parent"), label=_("主题"), required=False
    )
    audience = forms.ModelChoiceField(
        Audience.objects.all(), label=_("目标人群"), required=False
    )
    campaign = forms.ModelChoiceField(
        Campaign.objects.all(), label=_("活动/主题日"), required=False
    )

    def __init__(self, *args, scope: Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [("", "---------"), *channel_choices()]
        limit_choices(self.fields, scope)

    def filters(self) -> dict:
        """The valid, non-empty filters."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {name: value for name, value in cleaned.items() if value}
