"""The broadcast script of a radio segment: what the presenter reads, each
line with its start and its read time at the speaking rate, as the timed
script and the cue sheet a station receives (in Chinese: they are the
package, not editor messages)."""

import csv
import io
from dataclasses import dataclass
from datetime import date

from wagtail.models import Page

from channels.text import paragraphs_of, read_seconds

TIMING_MARK = "[{:02d}:{:02d}]"


@dataclass(frozen=True)
class ScriptLine:
    start: int  # seconds from the top of the segment
    seconds: int
    speaker: str
    text: str


def mark(seconds: int) -> str:
    return TIMING_MARK.format(*divmod(seconds, 60))


def script_lines(item: Page, chars_per_minute: int, host: str) -> list[ScriptLine]:
    """The read-out: title, standfirst and paragraphs, each with its start."""
    texts = [f"欢迎收听。今天的话题：{item.title}。"]
    if standfirst := getattr(item, "standfirst", ""):
        texts.append(standfirst)
    texts += paragraphs_of(getattr(item, "body", None) or [])
    texts.append(f"本期内容由{item.source_credit}提供。")
    return timed(texts, chars_per_minute, host)


def correction_lines(
    title: str,
    wrong: str,
    right: str,
    aired_on: date | None,
    chars_per_minute: int,
    host: str,
) -> list[ScriptLine]:
    """The read-out of a correction: what was said, when, and what is right."""
    when = f"{aired_on.month}月{aired_on.day}日" if aired_on else ""
    texts = [
        f"更正：本节目{when}播出的《{title}》中，“{wrong}”有误，应为“{right}”。",
        "特此更正，并向听众朋友致歉。",
    ]
    return timed(texts, chars_per_minute, host)


def timed(texts: list[str], chars_per_minute: int, host: str) -> list[ScriptLine]:
    lines, start = [], 0
    for text in texts:
        seconds = read_seconds(text, chars_per_minute)
        lines.append(ScriptLine(start, seconds, host, text))
        start += seconds
    return lines


def script_text(heading: str, outlet, lines: list[ScriptLine]) -> str:
    spec = outlet.parsed_spec
    total = sum(line.seconds for line in lines)
    header = [
        f"节目：{outlet.name}（{outlet.organisation}）",
        f"本期：{heading}",
        f"预计时长：{mark(total)}（语速 {spec.chars_per_minute} 字/分钟，"
        f"时段 {mark(spec.slot_seconds)}）",
        "",
    ]
    body = [f"{mark(line.start)} {line.speaker}：{line.text}" for line in lines]
    return "\n".join([*header, *body, "", f"{mark(total)} 结束"]) + "\n"


def cue_sheet(lines: list[ScriptLine], audio_seconds: float | None) -> str:
    rows = [["开始", "时长（秒）", "内容"]]
    rows += [[mark(line.start), line.seconds, line.text[:20]] for line in lines]
    if audio_seconds is not None:
        rows.append([mark(0), round(audio_seconds), "节目音频（已做响度标准化）"])
    sheet = io.StringIO()
    csv.writer(sheet, lineterminator="\n").writerows(rows)  # quotes a text's comma
    return sheet.getvalue()
