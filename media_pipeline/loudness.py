"""Loudness: measure integrated loudness, true peak and loudness range
(ffmpeg's loudnorm analysis, ITU-R BS.1770), and normalise to a target with
two-pass loudnorm: measure, then a linear gain from the measured values
(loudnorm limits dynamically instead when a linear gain would break the
true-peak ceiling). Output is audio only, its codec chosen by its suffix."""

import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from media_pipeline.errors import MediaError
from media_pipeline.identify import media_input
from media_pipeline.presets import LoudnessTarget
from media_pipeline.probe import MediaInfo, probe
from media_pipeline.progress import (
    Cancel,
    OnProgress,
    atomic_output,
    run_ffmpeg,
    scaled,
)

SAMPLE_RATE = 48_000  # loudnorm works at 192 kHz; outputs come back to this
SILENCE_LUFS = -70.0  # BS.1770's absolute gate: quieter than this is silence
LU_TOLERANCE = 1.0  # how far from the target integrated loudness a result may be
# Lossy encoders overshoot the peaks they are given; aim this much lower, and
# when a result still overshoots, lower the ceiling by the overshoot plus this.
LOSSY_HEADROOM_DB = 0.5
CORRECTION_MARGIN_DB = 0.3
LOUDNORM_MIN_TP = -9.0  # the lowest true-peak ceiling loudnorm takes
RETRIES = 2
# Progress at the start of analysis, encoding and checking, and at their end;
# 1.0 is reported once the result is known to meet the target.
STEPS = (0.0, 0.45, 0.9, 0.99)


# ffmpeg's AAC encoder substitutes noise for noisy bands (PNS) by default,
# which moves true peaks by several dB; at these bitrates it is not needed.
AAC_OPTIONS = (("aac_pns", 0),)


@dataclass(frozen=True)
class AudioFormat:
    muxer: str
    codec: str
    bitrate: str | None = None
    options: tuple[tuple[str, object], ...] = ()

    @property
    def headroom(self) -> float:
        return LOSSY_HEADROOM_DB if self.bitrate is not None else 0.0


AUDIO_FORMATS = {
    ".wav": AudioFormat("wav", "pcm_s16le"),
    ".flac": AudioFormat("flac", "flac"),
    ".m4a": AudioFormat("ipod", "aac", "192k", AAC_OPTIONS),
    ".mp3": AudioFormat("mp3", "libmp3lame", "192k"),
}


@dataclass(frozen=True)
class Loudness:
    integrated: float  # LUFS
    true_peak: float  # dBTP
    lra: float  # LU


def loudnorm_report(lines: Sequence[str], name: str) -> dict[str, str]:
    """The JSON block loudnorm prints at the end of a run."""
    starts = [i for i, line in enumerate(lines) if line.strip() == "{"]
    if starts:
        end = next((i for i in range(starts[-1], len(lines)) if lines[i] == "}"), None)
        if end is not None:
            return json.loads("\n".join(lines[starts[-1] : end + 1]))
    raise MediaError(f"响度测量没有结果：{name}", "\n".join(lines[-20:]))


def audio_info(path: Path) -> MediaInfo:
    info = probe(path)
    if not info.has_audio:
        raise MediaError(f"没有音轨，无法测量响度：{path.name}")
    return info


def analyse(
    path: Path,
    info: MediaInfo,
    *,
    on_progress: OnProgress | None = None,
    timeout: float | None = None,
    cancel: Cancel | None = None,
) -> dict[str, str]:
    analysis = (
        media_input(path)
        .audio.filter("loudnorm", print_format="json")
        .output("-", format="null")
    )
    lines = run_ffmpeg(
        analysis.compile(),
        name=path.name,
        duration=info.duration,
        on_progress=on_progress,
        timeout=timeout,
        cancel=cancel,
    )
    return loudnorm_report(lines, path.name)


def as_loudness(report: dict[str, str], prefix: str) -> Loudness:
    return Loudness(
        integrated=float(report[f"{prefix}_i"]),
        true_peak=float(report[f"{prefix}_tp"]),
        lra=float(report[f"{prefix}_lra"]),
    )


def measure(
    path: Path | str,
    *,
    on_progress: OnProgress | None = None,
    timeout: float | None = None,
    cancel: Cancel | None = None,
) -> Loudness:
    """Integrated loudness, true peak and loudness range of the first audio track."""
    path = Path(path)
    report = analyse(
        path,
        audio_info(path),
        on_progress=on_progress,
        timeout=timeout,
        cancel=cancel,
    )
    return as_loudness(report, "input")


def output_format(target: Path) -> AudioFormat:
    try:
        return AUDIO_FORMATS[target.suffix.lower()]
    except KeyError:
        known = "、".join(AUDIO_FORMATS)
        raise MediaError(
            f"不支持的音频输出格式（可用 {known}）：{target.name}"
        ) from None


@dataclass(frozen=True)
class Aim:
    """What loudnorm is asked for: the target, corrected after a miss."""

    integrated: float
    ceiling: float  # true peak, dBTP

    def corrected(self, result: Loudness, goal: LoudnessTarget) -> "Aim":
        """Aim off by what the last attempt missed by: the encoder's peak
        overshoot, the limiter's loudness error."""
        overshoot = result.true_peak - goal.true_peak_dbtp
        ceiling = self.ceiling - overshoot - CORRECTION_MARGIN_DB
        return Aim(
            self.integrated + goal.integrated_lufs - result.integrated,
            max(LOUDNORM_MIN_TP, ceiling if overshoot > 0 else self.ceiling),
        )


def meets(result: Loudness, goal: LoudnessTarget) -> bool:
    return (
        abs(result.integrated - goal.integrated_lufs) <= LU_TOLERANCE
        and result.true_peak <= goal.true_peak_dbtp
    )


class Deadline:
    """What is left of one timeout shared by several ffmpeg passes."""

    def __init__(self, timeout: float | None, name: str) -> None:
        self.timeout, self.name = timeout, name
        self.end = None if timeout is None else time.monotonic() + timeout

    def remaining(self) -> float | None:
        if self.end is None:
            return None
        left = self.end - time.monotonic()
        if left <= 0:
            raise MediaError(
                f"处理超时（超过 {self.timeout:g} 秒），已停止：{self.name}"
            )
        return left


@dataclass(frozen=True)
class Job:
    """One normalisation: the source as analysed, where it goes, its limits."""

    source: Path
    temp: Path
    info: MediaInfo
    report: dict[str, str]
    goal: LoudnessTarget
    fmt: AudioFormat
    deadline: Deadline
    cancel: Cancel | None

    def command(self, aim: Aim) -> list[str]:
        audio = (
            media_input(self.source)
            .audio.filter(
                "loudnorm",
                I=aim.integrated,
                TP=aim.ceiling,
                LRA=self.goal.lra,
                measured_I=self.report["input_i"],
                measured_TP=self.report["input_tp"],
                measured_LRA=self.report["input_lra"],
                measured_thresh=self.report["input_thresh"],
                offset=self.report["target_offset"],
                linear="true",
            )
            .filter("aresample", SAMPLE_RATE)
        )
        # An explicit channel count also settles sources whose layout is unset.
        options = {
            "acodec": self.fmt.codec,
            "format": self.fmt.muxer,
            "ac": self.info.audio_channels or 2,
            **dict(self.fmt.options),
        }
        if self.fmt.bitrate:
            options["audio_bitrate"] = self.fmt.bitrate
        return audio.output(str(self.temp), **options).overwrite_output().compile()

    def attempt(
        self, aim: Aim, progress: tuple[OnProgress | None, OnProgress | None]
    ) -> Loudness:
        """Encode at the aim, then measure what was written."""
        run_ffmpeg(
            self.command(aim),
            name=self.source.name,
            duration=self.info.duration,
            on_progress=progress[0],
            timeout=self.deadline.remaining(),
            cancel=self.cancel,
        )
        result = analyse(
            self.temp,
            probe(self.temp),
            on_progress=progress[1],
            timeout=self.deadline.remaining(),
            cancel=self.cancel,
        )
        return as_loudness(result, "input")


def check_audible(report: dict[str, str], name: str) -> None:
    integrated = float(report["input_i"])
    if not math.isfinite(integrated) or integrated < SILENCE_LUFS:
        raise MediaError(f"音频几乎无声，无法标准化响度：{name}")


def normalise(
    source: Path | str,
    target: Path | str,
    loudness_target: LoudnessTarget,
    *,
    on_progress: OnProgress | None = None,
    timeout: float | None = None,
    cancel: Cancel | None = None,
) -> Loudness:
    """Write the source's first audio track to `target` (.wav, .flac, .m4a or
    .mp3) at the target loudness and return the loudness measured on the
    result. A result off target (a lossy encoder overshooting the peak) is
    redone aiming off by the miss; `target` appears only once it meets the
    target, and the source is only read."""
    source, target = Path(source), Path(target)
    fmt = output_format(target)
    deadline = Deadline(timeout, source.name)
    info = audio_info(source)
    steps = [scaled(on_progress, a, b) for a, b in zip(STEPS, STEPS[1:], strict=False)]
    report = analyse(
        source, info, on_progress=steps[0], timeout=deadline.remaining(), cancel=cancel
    )
    check_audible(report, source.name)
    goal = loudness_target
    aim = Aim(goal.integrated_lufs, goal.true_peak_dbtp - fmt.headroom)
    with atomic_output(target) as temp:
        job = Job(source, temp, info, report, goal, fmt, deadline, cancel)
        result = job.attempt(aim, (steps[1], steps[2]))
        for _retry in range(RETRIES):
            if meets(result, goal):
                break
            aim = aim.corrected(result, goal)
            result = job.attempt(aim, (None, None))
        if not meets(result, goal):
            raise MediaError(
                f"标准化后仍不达标（{result.integrated:.1f} LUFS，真峰值 "
                f"{result.true_peak:.1f} dBTP）：{source.name}"
            )
    if on_progress is not None:
        on_progress(1.0)
    return result
