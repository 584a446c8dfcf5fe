"""Day parts and date windows: when an item (or a screen's opening hours)
applies. The player applies the same rules in JavaScript; the admin preview
and the reports use these.

A day-parts list is `[{"days": [1..7], "start": "HH:MM", "end": "HH:MM"}]`
with Monday = 1, in local time (settings.TIME_ZONE). A part whose end is
before its start runs past midnight (22:00–02:00 belongs to the day it
starts on). "24:00" as an end means midnight. An empty list means all day.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from django.utils import timezone
from django.utils.translation import gettext

from cms.weekdays import WEEKDAYS

HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")
MAX_PARTS = 20
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class DayPart:
    days: frozenset[int]
    start: int  # minutes after midnight
    end: int

    def covers(self, weekday: int, minute: int) -> bool:
        if self.start < self.end:
            return weekday in self.days and self.start <= minute < self.end
        previous = 7 if weekday == 1 else weekday - 1
        return (weekday in self.days and minute >= self.start) or (
            previous in self.days and minute < self.end
        )


def days_label(days) -> str:
    """[1, 2, 3, 4, 5] → 周一至周五; [6, 7] → 周六、周日; all seven → 每天."""
    days = sorted(set(days))
    if days == list(range(1, 8)):
        return gettext("每天")
    runs: list[list[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return "、".join(run_label(run) for run in runs)


def run_label(run: list[int]) -> str:
    names = dict(WEEKDAYS)
    first, last = str(names[run[0]]), str(names[run[-1]])
    if len(run) == 1:
        return first
    if len(run) == 2:
        return f"{first}、{last}"
    return gettext("%(first)s至%(last)s") % {"first": first, "last": last}


def minutes(text: str) -> int:
    hours, mins = text.split(":")
    return int(hours) * 60 + int(mins)


def parse_part(part) -> DayPart:
    if not isinstance(part, dict) or set(part) != {"days", "start", "end"}:
        raise ValueError("每个时段需要 days、start、end 三项")
    days, start, end = part["days"], part["start"], part["end"]
    valid_days = (
        isinstance(days, list)
        and days
        and all(type(day) is int and 1 <= day <= 7 for day in days)
    )
    if not valid_days:
        raise ValueError("请至少选择一天（days 为 1 到 7，周一为 1）")
    for text in (start, end):
        if text == "":
            raise ValueError("请填写开始和结束时间")
        if not isinstance(text, str) or not HHMM.match(text):
            raise ValueError(f"时间应写成 HH:MM（如 07:30），不能是 {text!r}")
    if start == "24:00":
        raise ValueError("时段不能从 24:00 开始")
    if start == end:
        raise ValueError("时段的开始和结束不能相同")
    return DayPart(frozenset(days), minutes(start), minutes(end))


def parse_day_parts(parts) -> list[DayPart]:
    if not isinstance(parts, list) or len(parts) > MAX_PARTS:
        raise ValueError(f"时段应为不超过 {MAX_PARTS} 项的列表")
    parsed = []
    for number, part in enumerate(parts, start=1):
        try:
            parsed.append(parse_part(part))
        except ValueError as error:
            raise ValueError(f"第 {number} 个时段：{error}") from error
    return parsed


def local(moment: datetime) -> datetime:
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


def in_day_parts(parts: list[dict], moment: datetime) -> bool:
    """Whether the local moment falls in one of the parts (all day if none)."""
    if not parts:
        return True
    moment = local(moment)
    minute = moment.hour * 60 + moment.minute
    weekday = moment.isoweekday()
    return any(part.covers(weekday, minute) for part in parse_day_parts(parts))


def in_window(starts_on: date | None, ends_on: date | None, day: date) -> bool:
    return (starts_on is None or starts_on <= day) and (
        ends_on is None or day <= ends_on
    )


def plays_at(
    starts_on: date | None, ends_on: date | None, parts: list[dict], moment: datetime
) -> bool:
    """The one rule for an item: inside its date window and a day part."""
    moment = local(moment)
    return in_window(starts_on, ends_on, moment.date()) and in_day_parts(parts, moment)


def local_moment(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))
