"""An outlet's 渠道参数 as a form, not JSON: each channel's spec dataclass
(its setting() fields: label, unit, help, choices) gives a fieldset of
inputs, and the page shows the fieldset of the chosen channel. The widget
posts the same JSON object the field stores — a key that was stored, or a
value that differs from its default — so saving an untouched form changes
nothing, and the form's checks name each problem at its input."""

import json
import re
from dataclasses import Field, fields
from typing import Any, get_type_hints

from django import forms
from django.utils.translation import gettext_lazy as _

from channels.registry import channel_choices, get_adapter

INTEGER = re.compile(r"^-?\d+$")
DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
TOPIC_SEPARATORS = re.compile(r"[\s,，、]+")


def stored_spec(value) -> dict:
    """The spec as stored, or as posted when the form comes back."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def kind_of(spec_field: Field, hint) -> str:
    if spec_field.metadata.get("choices"):
        return "choice"
    if hint is bool:
        return "boolean"
    if hint is int:
        return "integer"
    if hint is float:
        return "decimal"
    if hint is not str:
        return "words"  # tuple[str, ...]: #话题 and the like
    return "text"


def choices_of(spec_field: Field) -> list[tuple[str, str]]:
    choices = spec_field.metadata.get("choices") or []
    return list(choices() if callable(choices) else choices)


def shown(value: Any, kind: str) -> Any:
    """A stored value as its input shows it."""
    if kind == "words" and isinstance(value, list | tuple):
        return " ".join(str(word) for word in value)
    return value


def posted(text: str | None, kind: str) -> Any:
    """An input's text as the spec stores it; text that is not what the
    setting takes is kept as typed, for the checks to name."""
    if kind == "boolean":
        return text is not None
    text = (text or "").strip()
    if kind == "integer" and INTEGER.match(text):
        return int(text)
    if kind == "decimal" and DECIMAL.match(text):
        return int(text) if INTEGER.match(text) else float(text)
    if kind == "words":
        return [word.lstrip("#") for word in TOPIC_SEPARATORS.split(text) if word]
    return text


class SpecWidget(forms.Widget):
    template_name = "channels/widgets/spec.html"
    use_fieldset = True

    class Media:
        js = ["channels/spec_form.js"]

    def __init__(self, attrs=None, channel_field: str = "channel"):
        super().__init__(attrs)
        self.channel_field = channel_field
        self.channel = ""
        self.errors: dict[str, list[str]] = {}  # setting name → messages

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        spec = stored_spec(value)
        context["widget"].update(
            channel_field=self.channel_field,
            channels=[
                self.channel_context(name, key, spec if key == self.channel else {})
                for key, _label in channel_choices()
            ],
        )
        return context

    def channel_context(self, name: str, key: str, spec: dict) -> dict:
        adapter = get_adapter(key)
        hints = get_type_hints(adapter.spec_class)
        settings = []
        for spec_field in fields(adapter.spec_class):
            kind = kind_of(spec_field, hints[spec_field.name])
            value = spec.get(spec_field.name, spec_field.default)
            errors = self.errors.get(spec_field.name, []) if spec else []
            settings.append(
                {
                    "name": f"{name}-{key}-{spec_field.name}",
                    "kind": kind,
                    "value": shown(value, kind),
                    "choices": choices_of(spec_field),
                    "errors": errors,
                    **spec_field.metadata,
                }
            )
        return {
            "key": key,
            "label": adapter.label,
            "current": key == self.channel,
            "stored": ",".join(spec),
            "settings": settings,
        }

    def value_from_datadict(self, data, files, name):
        channel = data.get(self.channel_field, "")
        if f"{name}-{channel}-stored" not in data:  # posted as JSON, or no channel
            return data.get(name)
        spec_class = get_adapter(channel).spec_class
        hints = get_type_hints(spec_class)
        stored = set(filter(None, data[f"{name}-{channel}-stored"].split(",")))
        spec = {}
        for spec_field in fields(spec_class):
            kind = kind_of(spec_field, hints[spec_field.name])
            value = posted(data.get(f"{name}-{channel}-{spec_field.name}"), kind)
            default = shown(spec_field.default, kind)
            if spec_field.name in stored or shown(value, kind) != default:
                spec[spec_field.name] = value
        return json.dumps(spec, ensure_ascii=False)

    def value_omitted_from_data(self, data, files, name):
        return False


SPEC_INTRO = _("按所选渠道填写；留空或不改的参数用默认值。")
