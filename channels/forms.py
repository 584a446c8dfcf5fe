"""Admin forms: outlets (a channel's spec as checked JSON, weekdays as boxes),
placements (content pages only) and the calendar's filters."""

import json
from dataclasses import MISSING, Field, fields
from typing import get_type_hints

from django import forms
from django.apps import apps
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from channels.base import Spec
from channels.models import Outlet, Placement
from channels.registry import channel_choices, get_adapter
from cms.pages import ContentPage
from cms.snippets import Audience, Campaign, Topic

WEEKDAYS = [
    (1, _("周一")),
    (2, _("周二")),
    (3, _("周三")),
    (4, _("周四")),
    (5, _("周五")),
    (6, _("周六")),
    (7, _("周日")),
]
TYPE_NAMES = {int: _("整数"), float: _("数字"), str: _("文字"), bool: _("是/否")}


def content_page_models() -> list[type[ContentPage]]:
    """The page types that can be placed on an outlet."""
    return [m for m in apps.get_models() if issubclass(m, ContentPage)]


def spec_key_help(spec_field: Field) -> str:
    if spec_field.default is MISSING:
        return _("%(name)s（必填）") % {"name": spec_field.name}
    return _("%(name)s（默认 %(value)s）") % {
        "name": spec_field.name,
        "value": json.dumps(spec_field.default, ensure_ascii=False),
    }


def spec_help_text(channel: str = "") -> str:
    """The spec keys (with defaults) of one channel, or of every channel."""
    keys = [channel] if channel else [key for key, _label in channel_choices()]
    lines = []
    for key in keys:
        adapter = get_adapter(key)
        defaults = "，".join(spec_key_help(f) for f in fields(adapter.spec_class))
        lines.append(f"{adapter.label}：{defaults}")
    intro = _("JSON 对象，未填写的参数用默认值。")
    return f"{intro} {'；'.join(lines)}"


def spec_type_problem(name: str, value: object, expected: type) -> str:
    wrong_bool = isinstance(value, bool) and expected is not bool
    if isinstance(value, expected) and not wrong_bool:
        return ""
    if expected is float and isinstance(value, int) and not wrong_bool:
        return ""
    return _("参数 %(name)s 应为%(type)s") % {
        "name": name,
        "type": TYPE_NAMES.get(expected, expected.__name__),
    }


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
        self.fields["spec"].help_text = spec_help_text(self.instance.channel)
        self.fields["spec"].widget.attrs["rows"] = 4

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
        cleaned_data = super().clean()
        channel, spec = cleaned_data.get("channel"), cleaned_data.get("spec")
        if channel and spec:
            for message in self.spec_problems(get_adapter(channel).spec_class, spec):
                self.add_error("spec", message)
        return cleaned_data

    def spec_problems(self, spec_class: type[Spec], spec: dict) -> list[str]:
        """Unknown keys and values of the wrong type, which the model would
        ignore or fail on."""
        types = get_type_hints(spec_class)
        problems = []
        if unknown := sorted(set(spec) - set(types)):
            problems.append(
                _("未知参数：%(unknown)s（可用：%(known)s）")
                % {"unknown": "、".join(unknown), "known": "、".join(types)}
            )
        for name, value in spec.items():
            if name in types and value not in (None, ""):
                if problem := spec_type_problem(name, value, types[name]):
                    problems.append(problem)
        return problems


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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [("", "---------"), *channel_choices()]

    def filters(self) -> dict:
        """The valid, non-empty filters."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {name: value for name, value in cleaned.items() if value}
