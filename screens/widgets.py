"""The day-parts editor: a playlist item's 时段 and a screen's 开放时间
(screens.schedule) as rows of weekday boxes and two times, instead of JSON.
It posts the same JSON list the field stores, so the model's validation
names any problem and the rows come back as typed."""

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from cms.weekdays import WEEKDAYS

DAY_NUMBERS = {str(number) for number, _label in WEEKDAYS}
ALL_DAY = _("没有时段时全天播放。")
MAX_ROWS = 100  # the model refuses more than schedule.MAX_PARTS


class DayPartsWidget(forms.Widget):
    template_name = "big_screen/widgets/day_parts.html"
    use_fieldset = True

    class Media:
        js = ["big_screen/admin/day_parts.js"]
        css = {"all": ["big_screen/admin/day_parts.css"]}

    def __init__(self, attrs=None, empty_text=ALL_DAY):
        super().__init__(attrs)
        self.empty_text = empty_text

    def format_value(self, value) -> list:
        """The parts as stored, or as posted when the form comes back."""
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return []
        return [part for part in value or [] if isinstance(part, dict)]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        rows = [
            row_of(index, part) for index, part in enumerate(context["widget"]["value"])
        ]
        context["widget"].update(
            rows=rows,
            blank=row_of("__part__", {}),
            weekdays=WEEKDAYS,
            empty_text=self.empty_text,
        )
        return context

    def value_from_datadict(self, data, files, name):
        count = data.get(f"{name}-count")
        if count is None:  # posted as JSON text, without the editor
            return data.get(name)
        rows = range(min(int(count), MAX_ROWS)) if count.isdigit() else []
        parts = [part_posted(data, f"{name}-{index}") for index in rows]
        return json.dumps([part for part in parts if any(part.values())])

    def value_omitted_from_data(self, data, files, name):
        return f"{name}-count" not in data and name not in data


def row_of(index, part: dict) -> dict:
    days = part.get("days")
    return {
        "index": index,
        "days": set(days) if isinstance(days, list) else set(),
        "start": part.get("start", ""),
        # A time field cannot show 24:00; 00:00 as an end is the same midnight.
        "end": "00:00" if part.get("end") == "24:00" else part.get("end", ""),
    }


def part_posted(data, prefix: str) -> dict:
    days = {int(text) for text in data.getlist(f"{prefix}-days") if text in DAY_NUMBERS}
    end = data.get(f"{prefix}-end", "")
    return {
        "days": sorted(days),
        "start": data.get(f"{prefix}-start", ""),
        "end": "24:00" if end == "00:00" else end,
    }
