"""Radio segments: a broadcast script timed at the presenter's speaking rate,
checked against the slot; the episode's audio normalised to the outlet's
loudness target, with a cue sheet.

On a correction each station that broadcast the item gets a correction
script, timed like a segment's, planned on the programme's next slot; on a
withdrawal the station is told at once (the default signal)."""

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from channels.advisories import item_placement, next_issue, notice_recipient
from channels.base import (
    AudienceEstimate,
    ChannelAdapter,
    Package,
    Problem,
    Recipient,
    Spec,
    file_stem,
    setting,
)
from channels.radio.script import (
    ScriptLine,
    correction_lines,
    cue_sheet,
    mark,
    script_lines,
    script_text,
)
from channels.registry import register
from channels.text import count_chars
from media_pipeline.loudness import normalise
from media_pipeline.models import local_file
from media_pipeline.presets import LOUDNESS_TARGETS


@dataclass(frozen=True)
class RadioSpec(Spec):
    slot_seconds: int = setting(300, _("时段长度"), unit=_("秒"))
    chars_per_minute: int = setting(
        240, _("语速"), unit=_("字/分钟"), help_text=_("用来估算播出时长")
    )
    loudness_target: str = setting(
        "gy_t_282",
        _("响度标准"),
        choices=lambda: [(t.name, t.label) for t in LOUDNESS_TARGETS.values()],
    )
    host: str = setting("主持人", _("主持人"))
    # For the reach ledger's estimate of each airing.
    audience: int = setting(
        0,
        _("每次播出收听人次"),
        unit=_("人次"),
        help_text=_("该时段收听人次估计；0 表示未知，收听人次记为缺失"),
    )
    audience_source: str = setting(
        "", _("收听人次来源"), help_text=_("如「2026 年收听率调查」")
    )

    def validate(self) -> dict[str, str]:
        if self.audience < 0:
            return {"audience": gettext("收听人次不能为负")}
        if self.slot_seconds <= 0:
            return {"slot_seconds": gettext("时段长度必须大于 0 秒")}
        if not 60 <= self.chars_per_minute <= 600:
            return {"chars_per_minute": gettext("语速应在每分钟 60 到 600 字之间")}
        if self.loudness_target not in LOUDNESS_TARGETS:
            message = gettext("未知的响度标准「%(target)s」（可选：%(names)s）")
            names = "、".join(LOUDNESS_TARGETS)
            return {
                "loudness_target": message
                % {"target": self.loudness_target, "names": names}
            }
        return {}


@register
class RadioAdapter(ChannelAdapter):
    key = "radio"
    label = _("广播")
    spec_class = RadioSpec
    calendar_colour = "#1f5fbf"
    preview_label = _("广播稿")

    def audience_estimate(self, spec: RadioSpec) -> AudienceEstimate:
        return AudienceEstimate(
            people=spec.audience or None,
            inputs={"audience": spec.audience or None},
            source=spec.audience_source or gettext("收听人次来源未填"),
            sourced=bool(spec.audience_source),
        )

    def script(self, item: Page, outlet) -> list[ScriptLine]:
        spec = outlet.parsed_spec
        return script_lines(item.specific, spec.chars_per_minute, spec.host)

    def check(self, item: Page, outlet) -> list[Problem]:
        item, spec = item.specific, outlet.parsed_spec
        lines = self.script(item, outlet)
        seconds = sum(line.seconds for line in lines)
        problems = []
        if seconds > spec.slot_seconds:
            chars = count_chars("\n".join(line.text for line in lines)).characters
            message = gettext(
                "稿件 %(chars)s 字，按每分钟 %(rate)s 字约需 %(seconds)s 秒，"
                "超出 %(slot)s 秒的时段"
            ) % {
                "chars": chars,
                "rate": spec.chars_per_minute,
                "seconds": seconds,
                "slot": spec.slot_seconds,
            }
            problems.append(Problem("too_long", message))
        audio = getattr(item, "audio", None)
        if audio is not None and audio.duration and audio.duration > spec.slot_seconds:
            message = gettext("音频长 %(seconds)s 秒，超出 %(slot)s 秒的时段") % {
                "seconds": round(audio.duration),
                "slot": spec.slot_seconds,
            }
            problems.append(Problem("audio_too_long", message))
        return problems

    def render(self, item: Page, outlet) -> Package:
        item, spec = item.specific, outlet.parsed_spec
        lines = self.script(item, outlet)
        total = sum(line.seconds for line in lines)
        package = Package(summary={"seconds": total, "slot_seconds": spec.slot_seconds})
        package.add(
            f"{file_stem(item)}.script.txt",
            script_text(item.title, outlet, lines),
            "text/plain; charset=utf-8",
        )
        audio = getattr(item, "audio", None)
        audio_seconds = None
        if audio is not None:
            normalised, loudness = normalised_audio(audio, spec)
            package.add(f"{file_stem(item)}.wav", normalised, "audio/wav")
            package.summary["loudness_lufs"] = loudness.integrated
            package.summary["true_peak_dbtp"] = loudness.true_peak
            audio_seconds = audio.duration
        package.add(
            f"{file_stem(item)}.cues.csv",
            cue_sheet(lines, audio_seconds),
            "text/csv; charset=utf-8",
        )
        return package

    def correct(self, advisory, outlets) -> list[Recipient]:
        return [
            notice_recipient(
                advisory,
                outlet,
                next_issue(outlet, advisory.at),
                gettext("下一时段播出更正稿"),
            )
            for outlet in outlets
        ]

    def render_notice(self, advisory, outlet) -> Package:
        if advisory.is_withdrawal:
            return super().render_notice(advisory, outlet)
        spec = outlet.parsed_spec
        original = item_placement(advisory, outlet)
        lines = correction_lines(
            advisory.title,
            advisory.wrong,
            advisory.right,
            timezone.localdate(original.scheduled_at) if original else None,
            spec.chars_per_minute,
            spec.host,
        )
        total = sum(line.seconds for line in lines)
        package = Package(summary={"advisory": advisory.pk, "seconds": total})
        heading = gettext("更正：《%(title)s》") % {"title": advisory.title}
        package.add(
            f"correction-{advisory.pk}.script.txt",
            script_text(heading, outlet, lines),
            "text/plain; charset=utf-8",
        )
        package.add(
            f"correction-{advisory.pk}.cues.csv",
            cue_sheet(lines, None),
            "text/csv; charset=utf-8",
        )
        return package

    def preview_figures(self, item: Page, outlet) -> list[tuple[str, Any, bool]]:
        spec = outlet.parsed_spec
        seconds = sum(line.seconds for line in self.script(item, outlet))
        return [
            (_("预计时长"), mark(seconds).strip("[]"), seconds > spec.slot_seconds),
            (_("时段"), mark(spec.slot_seconds).strip("[]"), False),
            (_("语速"), _("每分钟 %d 字") % spec.chars_per_minute, False),
        ]

    def preview_context(self, item: Page, outlet) -> dict[str, Any]:
        item = item.specific
        lines = self.script(item, outlet)
        return {"script": script_text(item.title, outlet, lines)}


def normalised_audio(audio, spec: RadioSpec):
    """The episode's audio at the outlet's loudness, as WAV bytes."""
    with (
        tempfile.TemporaryDirectory(prefix="kepu-radio-") as folder,
        local_file(audio.file) as source,
    ):
        target = Path(folder) / "normalised.wav"
        loudness = normalise(source, target, LOUDNESS_TARGETS[spec.loudness_target])
        return target.read_bytes(), loudness
