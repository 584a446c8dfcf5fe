"""Platform exports: check a source against a preset, then one ffmpeg run
that reframes it to the preset's frame (blurred background or centre crop),
lays the title card over the first seconds, burns in the subtitles inside
the safe area, normalises loudness (single-pass loudnorm, in the same run)
and encodes H.264/AAC with the moov atom first (+faststart)."""

import math
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Literal

import ffmpeg

from media_pipeline.cover import title_card
from media_pipeline.errors import ExportRefused, MediaError, Problem, gettext_noop
from media_pipeline.fonts import CJK_FAMILY, font_for, wrap
from media_pipeline.identify import media_input
from media_pipeline.loudness import AAC_OPTIONS, LOSSY_HEADROOM_DB
from media_pipeline.presets import VideoPreset
from media_pipeline.probe import MediaInfo, probe
from media_pipeline.progress import Cancel, OnProgress, atomic_output, run_ffmpeg
from media_pipeline.subtitles import Cue, load_subtitles, write_srt

Reframe = Literal["blur", "crop"]
REFRAMES: tuple[Reframe, ...] = ("blur", "crop")
TITLE_SECONDS = 3.0  # how long the title card shows
ASPECT_TOLERANCE = 0.01  # closer than this to the target aspect: just scale
MAX_UPSCALE = 1.5  # house: beyond this an enlarged picture looks soft on a phone
BLUR_DOWNSCALE = 4  # the blurred background is built at a quarter size
BLUR_RADIUS = 10  # boxblur radius at that size
GOP_SECONDS = 2  # house: a keyframe every 2 s
EXPORT_LRA = 11  # loudnorm's loudness range in the single-pass export
AUDIO_CHANNELS = 2
MUXING_OVERHEAD = 1.02  # MP4 boxes over the raw streams, for the size estimate
# Subtitles (house style): white bold Noto Sans CJK SC with a black outline,
# the em 1/19 of the frame's shorter side, inside the safe area.
SUBTITLE_EM = 1 / 19
SUBTITLE_PADDING = 0.02  # of the frame's width, between safe area and text


def duration_text(seconds: float) -> str:
    whole = math.ceil(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} 小时 {minutes} 分" if minutes else f"{hours} 小时"
    if minutes:
        return f"{minutes} 分 {secs} 秒" if secs else f"{minutes} 分钟"
    return f"{secs} 秒"


def size_text(size: float) -> str:
    gigabytes = size / 1024**3
    return f"{gigabytes:.1f} GB" if gigabytes >= 1 else f"{size / 1024**2:.0f} MB"


def estimated_bytes(info: MediaInfo, preset: VideoPreset) -> int:
    bits = (preset.video_bitrate + preset.audio_bitrate) * info.duration
    return round(bits / 8 * MUXING_OVERHEAD)


# check()'s problems by code: Chinese templates, translated by the Django layer.
CHECK_MESSAGES = {
    "audio_only": gettext_noop("只有音频、没有视频画面，不能导出为%(platform)s视频"),
    "no_video": gettext_noop("没有视频画面，不能导出为%(platform)s视频"),
    "too_long": gettext_noop("时长 %(duration)s，超过%(platform)s上限 %(limit)s"),
    "too_large": gettext_noop(
        "按%(platform)s码率估计文件约 %(size)s，超过上限 %(limit)s"
    ),
    "missing_subtitles": gettext_noop(
        "%(platform)s要求字幕，请先提供 SRT 或 WebVTT 字幕"
    ),
    "unknown_size": gettext_noop(
        "读不出视频画面的尺寸，无法判断导出为%(platform)s后是否清晰"
    ),
    "low_resolution": gettext_noop(
        "分辨率 %(source)s 按%(framing)s导出为%(platform)s的 %(target)s，"
        "画面需放大 %(factor)s 倍，超过 %(limit)s 倍的上限"
    ),
    "upscaled": gettext_noop(
        "分辨率 %(source)s 按%(framing)s导出为%(platform)s的 %(target)s，"
        "画面需放大 %(factor)s 倍，可能发虚"
    ),
}
FRAMINGS = {"blur": gettext_noop("模糊背景"), "crop": gettext_noop("居中裁切")}


def check_problem(code: str, preset: VideoPreset, **params: object) -> Problem:
    return Problem(code, CHECK_MESSAGES[code], {"platform": preset.label, **params})


def check(
    info: MediaInfo,
    preset: VideoPreset,
    *,
    has_subtitles: bool,
    reframe: Reframe = "blur",
) -> list[Problem]:
    """What the platform would reject, before anything is encoded."""
    problems: list[Problem] = []
    if not info.has_video:
        code = "audio_only" if info.has_audio else "no_video"
        problems.append(check_problem(code, preset))
    if preset.max_seconds and info.duration > preset.max_seconds:
        duration = duration_text(info.duration)
        limit = duration_text(preset.max_seconds)
        problems.append(
            check_problem("too_long", preset, duration=duration, limit=limit)
        )
    size = estimated_bytes(info, preset)
    if preset.max_bytes and size > preset.max_bytes:
        estimate, limit = size_text(size), size_text(preset.max_bytes)
        problems.append(check_problem("too_large", preset, size=estimate, limit=limit))
    if preset.requires_subtitles and not has_subtitles:
        problems.append(check_problem("missing_subtitles", preset))
    if info.has_video and not (info.display_width and info.display_height):
        problems.append(check_problem("unknown_size", preset))
    elif info.has_video and picture_scale(info, preset, reframe) > MAX_UPSCALE:
        problems.append(scale_problem("low_resolution", info, preset, reframe))
    return problems


def cautions(info: MediaInfo, preset: VideoPreset, reframe: Reframe) -> list[Problem]:
    """What the platform takes but viewers may notice: a picture enlarged
    (by no more than MAX_UPSCALE, beyond which check() refuses)."""
    if info.has_video and 1 < picture_scale(info, preset, reframe) <= MAX_UPSCALE:
        return [scale_problem("upscaled", info, preset, reframe)]
    return []


def picture_scale(info: MediaInfo, preset: VideoPreset, reframe: Reframe) -> float:
    """How much the export enlarges the source's picture: to fill the frame
    (crop, or a source of the frame's shape), or to fit inside it (blur: the
    background is blurred anyway, so only the picture in front counts)."""
    width, height = info.display_width or 0, info.display_height or 0
    if not width or not height:
        return math.inf
    scales = (preset.width / width, preset.height / height)
    if reframe == "blur" and not same_aspect((width, height), preset.size):
        return min(scales)
    return max(scales)


def same_aspect(source: tuple[int, int], size: tuple[int, int]) -> bool:
    aspect = size[0] / size[1]
    return abs(source[0] / source[1] - aspect) / aspect < ASPECT_TOLERANCE


def scale_problem(
    code: str, info: MediaInfo, preset: VideoPreset, reframe: Reframe
) -> Problem:
    return check_problem(
        code,
        preset,
        source=f"{info.display_width}×{info.display_height}",
        target=f"{preset.width}×{preset.height}",
        framing=FRAMINGS[reframe],
        factor=f"{picture_scale(info, preset, reframe):.2f}",
        limit=MAX_UPSCALE,
    )


def output_rate(source_rate: float | None, max_rate: float) -> Fraction | None:
    """The rate to convert to, or None to keep the source's: a faster source
    is divided by the smallest whole factor that brings it under the maximum
    (60 → 30, 50 → 25, 59.94 → 29.97), so no frame is shown unevenly."""
    if not source_rate or source_rate <= max_rate * 1.001:
        return None
    divisor = math.ceil(source_rate / max_rate - 0.001)
    return Fraction(source_rate).limit_denominator(1001) / divisor


def even(value: float) -> int:
    return max(2, int(value) // 2 * 2)


def blurred_fill(stream, size: tuple[int, int]):
    """The source scaled to fill the frame, at a quarter size, blurred and
    scaled back up: a background costing little to compute."""
    width, height = size
    small = (even(width / BLUR_DOWNSCALE), even(height / BLUR_DOWNSCALE))
    radius = max(1, min(BLUR_RADIUS, min(small) // 4))
    return (
        stream.filter("scale", *small, force_original_aspect_ratio="increase")
        .filter("crop", *small)
        .filter("boxblur", radius)
        .filter("scale", width, height)
    )


def reframed(stream, source: tuple[int, int], size: tuple[int, int], mode: Reframe):
    width, height = size
    if same_aspect(source, size):
        return stream.filter("scale", width, height)
    if mode == "crop":
        return stream.filter(
            "scale", width, height, force_original_aspect_ratio="increase"
        ).filter("crop", width, height)
    split = stream.split()
    centre = split[0].filter(
        "scale", width, height, force_original_aspect_ratio="decrease"
    )
    return ffmpeg.overlay(
        blurred_fill(split[1], size), centre, x="(W-w)/2", y="(H-h)/2"
    )


def subtitle_em(preset: VideoPreset) -> int:
    return round(min(preset.width, preset.height) * SUBTITLE_EM)


def subtitle_margins(preset: VideoPreset) -> tuple[int, int, int]:
    """Left, right and bottom margins of the subtitle area, in pixels."""
    padding = round(preset.width * SUBTITLE_PADDING)
    safe = preset.safe_area
    return safe.left + padding, safe.right + padding, safe.bottom + padding


def subtitle_style(preset: VideoPreset) -> str:
    """libass style overrides: positions in output pixels (PlayRes = frame),
    lines broken by us only (WrapStyle 2). libass sizes a font by its line
    height (ascent + descent), so the em is converted."""
    em = subtitle_em(preset)
    left, right, bottom = subtitle_margins(preset)
    fields = {
        "PlayResX": preset.width,
        "PlayResY": preset.height,
        "WrapStyle": 2,
        "FontName": CJK_FAMILY,
        "Bold": 1,
        "Fontsize": sum(font_for("字", em).getmetrics()),
        "PrimaryColour": "&H00FFFFFF",
        "OutlineColour": "&H00000000",
        "BorderStyle": 1,
        "Outline": max(1, round(em / 14)),
        "Shadow": 0,
        "Alignment": 2,
        "MarginL": left,
        "MarginR": right,
        "MarginV": bottom,
    }
    return ",".join(f"{key}={value}" for key, value in fields.items())


def wrapped(cues: list[Cue], preset: VideoPreset) -> list[Cue]:
    """Cues with each line broken to the subtitle area's width by our rules."""
    em = subtitle_em(preset)
    left, right, _bottom = subtitle_margins(preset)
    width = preset.width - left - right
    result = []
    for cue in cues:
        lines = [
            part
            for line in cue.text.splitlines()
            for part in wrap(line, font_for(line, em), width)
        ]
        result.append(Cue(cue.start, cue.end, "\n".join(lines)))
    return result


def video_stream(source, info: MediaInfo, preset: VideoPreset, mode: Reframe):
    video = source.video
    rate = output_rate(info.frame_rate, preset.frame_rate)
    if rate is not None:
        video = video.filter("fps", str(rate))
    frame = (info.display_width or preset.width, info.display_height or preset.height)
    size = (preset.width, preset.height)
    return reframed(video, frame, size, mode).filter("setsar", 1)


def audio_stream(source, info: MediaInfo, preset: VideoPreset):
    """The source's audio at the preset's loudness, or silence as long as
    the video when it has none (platforms expect an audio track)."""
    if info.has_audio:
        audio = source.audio.filter(
            "loudnorm",
            I=preset.loudness_lufs,
            TP=preset.true_peak_dbtp - LOSSY_HEADROOM_DB,
            LRA=EXPORT_LRA,
        )
    else:
        silence = f"anullsrc=channel_layout=stereo:sample_rate={preset.sample_rate}"
        # A lavfi source the pipeline writes itself, not a file.
        audio = ffmpeg.input(silence, f="lavfi", t=info.duration).audio
    return audio.filter("aresample", preset.sample_rate)


def encoder_options(preset: VideoPreset, frame_rate: float) -> dict[str, object]:
    return {
        "format": "mp4",
        "vcodec": "libx264",
        "preset": preset.x264_preset,
        "profile:v": preset.profile,
        "level": preset.level,
        "b:v": preset.video_bitrate,
        "maxrate": preset.max_bitrate,
        "bufsize": 2 * preset.max_bitrate,
        "g": max(1, round(frame_rate * GOP_SECONDS)),
        "pix_fmt": "yuv420p",
        "acodec": "aac",
        **dict(AAC_OPTIONS),
        "b:a": preset.audio_bitrate,
        "ar": preset.sample_rate,
        "ac": AUDIO_CHANNELS,
        "movflags": "+faststart",
        "map_metadata": -1,
    }


def export_command(
    source: Path,
    temp: Path,
    info: MediaInfo,
    preset: VideoPreset,
    overlays: tuple[Path | None, Path | None],
    mode: Reframe,
) -> list[str]:
    """The one ffmpeg command of an export; overlays are the title card PNG
    and the (already wrapped) SRT, either of which may be absent."""
    title_png, srt = overlays
    media = media_input(source)
    video = video_stream(media, info, preset, mode)
    if title_png is not None:
        # The card is a PNG the pipeline has just drawn (title_card()).
        card = ffmpeg.input(str(title_png), f="png_pipe")
        video = video.overlay(card, enable=f"lt(t,{TITLE_SECONDS})")
    if srt is not None:
        # The filter opens the file with format auto-detection, so it only
        # ever gets the SRT the pipeline wrote from parsed cues (write_srt),
        # never the editor's document. libass finds the font through
        # fontconfig by family name, which picks the SC face of the .ttc; a
        # fontsdir would load every font in it.
        video = video.filter("subtitles", str(srt), force_style=subtitle_style(preset))
    rate = output_rate(info.frame_rate, preset.frame_rate) or info.frame_rate or 25
    options = encoder_options(preset, float(rate))
    output = ffmpeg.output(
        video, audio_stream(media, info, preset), str(temp), **options
    )
    return output.overwrite_output().compile()


def prepared(
    source: Path,
    target: Path,
    preset: VideoPreset,
    subtitles: Path | str | None,
    reframe: str,
) -> tuple[MediaInfo, list[Cue] | None]:
    """The source's probe and cues, once it is known the export may go ahead."""
    if reframe not in REFRAMES:
        raise MediaError(f"未知的构图方式 {reframe}（可用 {'、'.join(REFRAMES)}）")
    if target.resolve() == source.resolve():
        raise MediaError(f"输出文件不能覆盖源文件：{source.name}")
    info = probe(source)
    cues = load_subtitles(subtitles) if subtitles is not None else None
    problems = check(info, preset, has_subtitles=bool(cues), reframe=reframe)
    if problems:
        raise ExportRefused(source.name, problems)
    return info, cues


def export(
    source: Path | str,
    target: Path | str,
    preset: VideoPreset,
    *,
    title: str,
    subtitles: Path | str | None = None,
    reframe: Reframe = "blur",
    on_progress: OnProgress | None = None,
    timeout: float | None = None,
    cancel: Cancel | None = None,
) -> MediaInfo:
    """Export the source for the preset's platform and return the probe of
    the result. Raises ExportRefused (nothing encoded) when check() finds
    problems, MediaError when ffmpeg fails, times out or is cancelled; the
    target appears only when complete and the source is never written."""
    source, target = Path(source), Path(target)
    info, cues = prepared(source, target, preset, subtitles, reframe)
    with tempfile.TemporaryDirectory(prefix="export-") as work:
        title_png = srt = None
        if title.strip():
            title_png = Path(work) / "title.png"
            title_card(title, (preset.width, preset.height), preset.safe_area).save(
                title_png
            )
        if cues:
            srt = write_srt(wrapped(cues, preset), Path(work) / "subtitles.srt")
        with atomic_output(target) as temp:
            command = export_command(
                source, temp, info, preset, (title_png, srt), reframe
            )
            run_ffmpeg(
                command,
                name=source.name,
                duration=info.duration,
                on_progress=on_progress,
                timeout=timeout,
                cancel=cancel,
            )
    return probe(target)
