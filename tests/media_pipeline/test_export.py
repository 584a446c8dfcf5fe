"""Platform exports with real ffmpeg on tiny generated clips: the frame,
codecs and atom order of the result, what is refused and why, and that a
failed, cancelled or timed-out export leaves nothing behind."""

import hashlib
import os
import subprocess
import threading
from dataclasses import replace
from functools import partial
from pathlib import Path

import ffmpeg
import pytest
from PIL import Image, ImageChops, ImageFilter, ImageStat

from media_pipeline.errors import ExportRefused, MediaError
from media_pipeline.export import cautions, check, export
from media_pipeline.loudness import measure
from media_pipeline.presets import PRESETS, SafeArea
from media_pipeline.probe import MediaInfo, iso_boxes, probe

# Presets are data: the tests' preset is Douyin's at a third of the size,
# encoded at x264's superfast (the fastest speed that still signals the High
# profile), so an export takes a fraction of a second.
SMALL = replace(
    PRESETS["douyin"],
    name="small",
    label="测试",
    width=360,
    height=640,
    x264_preset="superfast",
    safe_area=SafeArea(top=72, bottom=140, left=20, right=60),
    requires_subtitles=False,
)
SMALL_WIDE = replace(SMALL, name="small_wide", width=640, height=360)
CUES = "1\n00:00:00,500 --> 00:00:02,500\n台风来临前，请储备饮用水和食物，关好门窗。\n"


@pytest.fixture
def make_clip(make_clip):
    """Clips wide enough for the small test presets, at a realistic bitrate."""
    return partial(make_clip, size="640x360", **{"b:v": "2M"})


@pytest.fixture
def subtitles_gbk(tmp_path) -> Path:
    path = tmp_path / "cues.srt"
    path.write_bytes(CUES.encode("gbk"))
    return path


def streams(path: Path) -> dict[str, dict]:
    info = ffmpeg.probe(str(path))
    return {s["codec_type"]: s for s in info["streams"]}


def frame(path: Path, seconds: float) -> Image.Image:
    data, _ = (
        ffmpeg.input(str(path), ss=seconds)
        .output("pipe:", vframes=1, format="image2", vcodec="png")
        .run(capture_stdout=True, quiet=True)
    )
    out = path.with_suffix(f".{seconds}.png")
    out.write_bytes(data)
    return Image.open(out).convert("L")


def difference(a: Image.Image, b: Image.Image, box: tuple[int, int, int, int]) -> float:
    """Mean absolute pixel difference inside the box."""
    return ImageStat.Stat(ImageChops.difference(a.crop(box), b.crop(box))).mean[0]


def sharp_edges(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    """How many pixels in the box sit on a hard edge."""
    found = image.filter(ImageFilter.FIND_EDGES).crop(box)
    return sum(found.point(lambda v: 255 if v > 40 else 0).histogram()[255:])


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_landscape_source_becomes_vertical_h264_aac_with_moov_first(
    make_clip, tmp_path
):
    out = tmp_path / "out.mp4"
    info = export(make_clip(), out, SMALL, title="黑洞是什么")
    video, audio = streams(out)["video"], streams(out)["audio"]
    assert (video["width"], video["height"]) == (360, 640)
    assert (info.width, info.height) == (360, 640)
    assert (video["codec_name"], video["profile"], video["level"]) == (
        "h264",
        "High",
        41,
    )
    assert video["pix_fmt"] == "yuv420p"
    assert video["avg_frame_rate"] == "25/1"  # under the preset's 30: kept
    assert (audio["codec_name"], audio["sample_rate"], audio["channels"]) == (
        "aac",
        "48000",
        2,
    )
    assert info.duration == pytest.approx(2, abs=0.1)
    kinds = [box.kind for box in iso_boxes(out)]
    assert kinds.index(b"moov") < kinds.index(b"mdat")


def test_blur_fills_above_and_below_while_crop_fills_with_the_source(
    make_clip, tmp_path
):
    clip = make_clip(size="1280x720")  # a crop to 360x640 enlarges 640x360
    blurred, cropped = tmp_path / "blur.mp4", tmp_path / "crop.mp4"
    export(clip, blurred, SMALL, title="", reframe="blur")
    export(clip, cropped, SMALL, title="", reframe="crop")
    blur_frame, crop_frame = frame(blurred, 1), frame(cropped, 1)
    top_band = (2, 2, 358, 200)  # above the centred 360x202 picture
    middle = (2, 230, 358, 410)
    assert (
        sharp_edges(blur_frame, top_band) < 20 < 1000 < sharp_edges(blur_frame, middle)
    )
    assert sharp_edges(crop_frame, top_band) > 200


def test_portrait_source_is_scaled_to_vertical_and_framed_in_horizontal(
    make_clip, tmp_path
):
    portrait = make_clip(size="360x640")
    vertical = export(portrait, tmp_path / "v.mp4", SMALL, title="竖屏")
    horizontal = export(portrait, tmp_path / "h.mp4", SMALL_WIDE, title="竖屏")
    assert (vertical.width, vertical.height) == (360, 640)
    assert (horizontal.width, horizontal.height) == (640, 360)


def test_rotated_phone_clip_is_exported_upright(make_clip, tmp_path):
    stored = make_clip(size="640x360")
    rotated = tmp_path / "rotated.mp4"
    ffmpeg.input(str(stored)).output(
        str(rotated), c="copy", **{"metadata:s:v:0": "rotate=90"}
    ).run(quiet=True)
    info = export(rotated, tmp_path / "out.mp4", SMALL, title="")
    assert (info.display_width, info.display_height) == (360, 640)
    assert info.rotation == 0


def test_4k_60fps_source_becomes_douyin_1080x1920_at_30fps(
    make_clip, tmp_path, subtitles_gbk
):
    source = make_clip(size="3840x2160", rate=60, seconds=1)
    out = tmp_path / "douyin.mp4"
    info = export(
        source, out, PRESETS["douyin"], title="四千像素的源", subtitles=subtitles_gbk
    )
    video = streams(out)["video"]
    assert (video["width"], video["height"]) == (1080, 1920)
    assert video["avg_frame_rate"] == "30/1"
    assert (video["profile"], video["level"]) == ("High", 41)
    assert info.duration == pytest.approx(1, abs=0.1)


def test_video_without_audio_gets_a_silent_track(make_clip, tmp_path):
    info = export(make_clip(audio=False), tmp_path / "out.mp4", SMALL, title="无声")
    assert info.has_audio and info.audio_codec == "aac"
    assert info.duration == pytest.approx(2, abs=0.1)


def test_export_audio_is_at_the_preset_loudness(make_clip, tmp_path):
    out = tmp_path / "out.mp4"
    export(make_clip(seconds=4), out, SMALL, title="")
    assert measure(out).integrated == pytest.approx(SMALL.loudness_lufs, abs=1)


def test_subtitles_in_gbk_are_burnt_in_and_title_shows_for_three_seconds(
    make_clip, tmp_path, subtitles_gbk
):
    clip = make_clip(seconds=4)
    plain, dressed = tmp_path / "plain.mp4", tmp_path / "dressed.mp4"
    export(clip, plain, SMALL, title="")
    export(clip, dressed, SMALL, title="台风来了怎么办", subtitles=subtitles_gbk)
    safe = SMALL.safe_area
    title_area = (safe.left, safe.top, 360 - safe.right, 240)
    subtitle_area = (safe.left, 400, 360 - safe.right, 640 - safe.bottom)
    early = frame(plain, 1.0), frame(dressed, 1.0)
    late = frame(plain, 3.5), frame(dressed, 3.5)
    assert difference(*early, title_area) > 10
    assert difference(*early, subtitle_area) > 5
    assert difference(*late, title_area) < 2
    assert difference(*late, subtitle_area) < 2
    below_safe_area = (0, 640 - safe.bottom + 8, 360, 640)
    assert difference(*early, below_safe_area) < 2


def test_audio_only_source_is_refused_and_nothing_written(make_clip, tmp_path):
    out = tmp_path / "out.mp4"
    with pytest.raises(ExportRefused) as refused:
        export(make_clip("tone.m4a", video=False), out, SMALL, title="只有声音")
    assert [p.code for p in refused.value.problems] == ["audio_only"]
    assert "tone.m4a" in refused.value.message
    assert not out.exists()


def test_source_longer_than_the_platform_maximum_is_refused(make_clip, tmp_path):
    short_platform = replace(SMALL, max_seconds=1)
    with pytest.raises(ExportRefused) as refused:
        export(make_clip(), tmp_path / "out.mp4", short_platform, title="太长")
    (problem,) = refused.value.problems
    assert problem.code == "too_long" and "超过测试上限 1 秒" in problem.message


def test_check_names_every_problem_in_chinese(make_clip):
    info = probe(make_clip())
    strict = replace(
        PRESETS["douyin"], max_seconds=1, max_bytes=1000, requires_subtitles=True
    )
    problems = check(info, strict, has_subtitles=False)
    assert [p.code for p in problems] == [
        "too_long",
        "too_large",
        "missing_subtitles",
        "low_resolution",
    ]
    assert problems[-1].message == (
        "分辨率 640×360 按模糊背景导出为抖音的 1080×1920，画面需放大 1.69 倍，"
        "超过 1.5 倍的上限"
    )
    assert check(info, SMALL, has_subtitles=False) == []
    assert check(info, SMALL_WIDE, has_subtitles=False) == []


def video_info(width: int, height: int) -> MediaInfo:
    return MediaInfo(
        duration=30, size_bytes=10**7, format_name="mov,mp4", bit_rate=None,
        has_video=True, has_audio=True, width=width, height=height,
        frame_rate=25, video_codec="h264", audio_codec="aac", audio_channels=2,
        sample_rate=48000, rotation=0, display_width=width, display_height=height,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("source", "preset", "reframe", "refused", "cautioned"),
    [
        # The picture in front of a blurred 9:16 background is 1080 wide: 720p
        # shrinks, 640×360 would be enlarged 1.69 times.
        ((1280, 720), "douyin", "blur", False, False),
        ((640, 360), "douyin", "blur", True, False),
        # Cropping 720p to 9:16 fills 1920 rows from 720.
        ((1280, 720), "douyin", "crop", True, False),
        # 720p to a 1080p player: 1.5 times, the most allowed, with a caution.
        ((1280, 720), "bilibili", "blur", False, True),
        ((1920, 1080), "bilibili", "crop", False, False),
        ((1080, 1920), "wechat_channels", "crop", False, False),
        ((720, 1280), "kuaishou", "blur", False, True),
    ],
)
def test_resolution_is_judged_on_the_reframed_picture(
    source, preset, reframe, refused, cautioned
):
    info = video_info(*source)
    problems = check(info, PRESETS[preset], has_subtitles=True, reframe=reframe)
    assert [p.code for p in problems] == (["low_resolution"] if refused else [])
    noticed = cautions(info, PRESETS[preset], reframe)
    assert [p.code for p in noticed] == (["upscaled"] if cautioned else [])
    if cautioned:
        assert "画面需放大 1.50 倍，可能发虚" in noticed[0].message


def test_required_subtitles_missing_refuses_export(make_clip, tmp_path):
    needs = replace(SMALL, requires_subtitles=True)
    with pytest.raises(ExportRefused, match="要求字幕"):
        export(make_clip(), tmp_path / "out.mp4", needs, title="")


def test_bad_subtitle_timing_stops_the_export_before_encoding(make_clip, tmp_path):
    bad = tmp_path / "bad.srt"
    bad.write_text("1\n00:00:02,000 --> 00:00:01,000\n倒着走的字幕\n", encoding="utf-8")
    with pytest.raises(MediaError, match="第 1 条"):
        export(make_clip(), tmp_path / "out.mp4", SMALL, title="", subtitles=bad)
    assert not (tmp_path / "out.mp4").exists()


def test_progress_rises_to_one(make_clip, tmp_path):
    seen: list[float] = []
    export(
        make_clip(seconds=4),
        tmp_path / "o.mp4",
        SMALL,
        title="",
        on_progress=seen.append,
    )
    assert seen[-1] == 1.0
    assert all(0 < a < b for a, b in zip(seen, seen[1:], strict=False))


def test_cancelled_export_leaves_no_file_and_the_source_untouched(make_clip, tmp_path):
    clip = make_clip(seconds=4)
    before = digest(clip)
    stop = threading.Event()
    stop.set()
    with pytest.raises(MediaError, match="已取消"):
        export(clip, tmp_path / "out.mp4", SMALL, title="", cancel=stop)
    assert not (tmp_path / "out.mp4").exists()
    assert leftovers(tmp_path) == []
    assert digest(clip) == before


def test_export_past_its_timeout_is_stopped_and_leaves_no_file(make_clip, tmp_path):
    slow = replace(SMALL, x264_preset="veryslow")
    with pytest.raises(MediaError, match="超时"):
        export(make_clip(seconds=4), tmp_path / "out.mp4", slow, title="", timeout=0.2)
    assert not (tmp_path / "out.mp4").exists()
    assert leftovers(tmp_path) == []


def test_ffmpeg_failure_carries_its_last_lines(make_clip, tmp_path):
    broken = replace(SMALL, profile="no-such-profile")
    with pytest.raises(MediaError) as failed:
        export(make_clip(), tmp_path / "out.mp4", broken, title="")
    assert "clip.mp4" in failed.value.message and "\n" not in failed.value.message
    assert 0 < len(failed.value.details.splitlines()) <= 20
    assert leftovers(tmp_path) == [] and not (tmp_path / "out.mp4").exists()


def test_export_never_overwrites_its_source(make_clip):
    clip = make_clip()
    with pytest.raises(MediaError, match="不能覆盖源文件"):
        export(clip, clip, SMALL, title="")


def test_no_ffmpeg_child_outlives_a_cancelled_export(make_clip, tmp_path):
    with pytest.raises(MediaError):
        export(make_clip(), tmp_path / "o.mp4", SMALL, title="", cancel=lambda: True)
    children = subprocess.run(
        ["ps", "-o", "comm=", "--ppid", str(os.getpid())],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "ffmpeg" not in children.stdout


def test_subtitles_that_are_not_srt_or_vtt_stop_the_export_before_burning(
    make_clip, tmp_path
):
    playlist = tmp_path / "cues.srt"
    playlist.write_text("#EXTM3U\n#EXTINF:2,\nclip.mp4\n", encoding="utf-8")
    with pytest.raises(MediaError, match="不是 SRT 或 WebVTT 字幕"):
        export(make_clip(), tmp_path / "out.mp4", SMALL, title="", subtitles=playlist)
    assert not (tmp_path / "out.mp4").exists()
