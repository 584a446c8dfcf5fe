"""Probing media files and taking poster frames: the fields of good files,
a clear error for each kind of bad one."""

from pathlib import Path

import ffmpeg
import pytest
from PIL import Image

from media_pipeline.errors import MediaError
from media_pipeline.probe import iso_boxes, probe, take_poster


def raises_media_error(path: Path) -> MediaError:
    with pytest.raises(MediaError) as caught:
        probe(path)
    assert path.name in caught.value.message
    assert "\n" not in caught.value.message
    return caught.value


def test_probe_reports_duration_size_codecs_and_streams(make_clip):
    clip = make_clip(movflags="+faststart")
    info = probe(clip)
    assert info.duration == pytest.approx(2, abs=0.1)
    assert info.size_bytes == clip.stat().st_size
    assert "mp4" in info.format_name
    assert info.bit_rate and info.bit_rate > 0
    assert info.has_video and info.has_audio
    assert (info.width, info.height) == (320, 180)
    assert (info.display_width, info.display_height) == (320, 180)
    assert info.rotation == 0
    assert info.frame_rate == 25
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    assert (info.audio_channels, info.sample_rate) == (1, 48000)


def test_probe_of_audio_file_has_no_picture_fields(make_clip):
    info = probe(make_clip("tone.m4a", video=False))
    assert info.has_audio and not info.has_video
    assert info.width is info.frame_rate is info.video_codec is None
    assert info.duration == pytest.approx(2, abs=0.1)


def test_rotated_phone_video_reports_its_displayed_size(make_clip, tmp_path):
    stored = make_clip(seconds=1, audio=False)
    rotated = tmp_path / "rotated.mp4"
    ffmpeg.input(str(stored)).output(
        str(rotated), c="copy", **{"metadata:s:v:0": "rotate=90"}
    ).run(quiet=True)
    info = probe(rotated)
    assert (info.width, info.height) == (320, 180)
    assert info.rotation in (90, 270)
    assert (info.display_width, info.display_height) == (180, 320)


def test_faststart_puts_moov_before_mdat(make_clip):
    fast = [box.kind for box in iso_boxes(make_clip("a.mp4", movflags="+faststart"))]
    plain = [box.kind for box in iso_boxes(make_clip("b.mp4"))]
    assert fast.index(b"moov") < fast.index(b"mdat")
    assert plain.index(b"mdat") < plain.index(b"moov")


def test_zero_length_file_is_refused(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.touch()
    assert "为空" in raises_media_error(empty).message


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(MediaError, match="不存在"):
        probe(tmp_path / "nowhere.mp4")


def test_text_under_a_video_name_is_refused_before_ffprobe(tmp_path):
    fake = tmp_path / "notes.mp4"
    fake.write_text("这不是视频，是一段文字。\n" * 20, encoding="utf-8")
    error = raises_media_error(fake)
    assert "检测到文本，不是音视频数据" in error.message
    assert error.details == ""  # ffprobe never ran


def test_random_bytes_are_refused(tmp_path):
    noise = tmp_path / "noise.mov"
    noise.write_bytes(bytes(range(256)) * 40)
    raises_media_error(noise)


def test_truncated_upload_is_incomplete_with_or_without_faststart(make_clip):
    for name, flags in (("fast.mp4", "+faststart"), ("plain.mp4", None)):
        clip = make_clip(name, **({"movflags": flags} if flags else {}))
        data = clip.read_bytes()
        clip.write_bytes(data[: len(data) // 2])
        assert "不完整" in raises_media_error(clip).message


def test_still_image_under_a_video_name_has_no_duration(tmp_path):
    picture = tmp_path / "picture.mp4"
    Image.new("RGB", (64, 64), "red").save(picture, format="PNG")
    raises_media_error(picture)


def test_poster_is_a_jpeg_frame_written_whole(make_clip, tmp_path):
    clip = make_clip()
    poster = take_poster(clip, tmp_path / "poster.jpg", at=1.0)
    with Image.open(poster) as picture:
        assert picture.format == "JPEG"
        assert picture.size == (320, 180)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "poster.jpg"]


def test_poster_past_the_end_takes_the_last_frame(make_clip, tmp_path):
    poster = take_poster(make_clip(), tmp_path / "poster.jpg", at=60)
    assert poster.stat().st_size > 0


def test_audio_has_no_poster(make_clip, tmp_path):
    with pytest.raises(MediaError, match="没有视频画面"):
        take_poster(make_clip("tone.m4a", video=False), tmp_path / "poster.jpg")
    assert not (tmp_path / "poster.jpg").exists()
