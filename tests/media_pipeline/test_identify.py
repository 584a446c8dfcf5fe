"""Uploads are identified from their bytes before any tool opens them: the
allowed containers, made by ffmpeg here, get their demuxer; a playlist,
list, session description, URL or unknown data named like a video is
refused in Chinese, by the functions, the tasks and the admin upload form,
without ffprobe or ffmpeg ever starting on it."""

import io
import random
import subprocess
from pathlib import Path

import ffmpeg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.models import Collection
from wagtailmedia.models import get_media_model

from media_pipeline.errors import MediaError
from media_pipeline.export import export
from media_pipeline.identify import (
    ContentRefused,
    identify,
    identify_stream,
    input_args,
)
from media_pipeline.loudness import measure, normalise
from media_pipeline.models import ExportJob
from media_pipeline.presets import LOUDNESS_TARGETS, PRESETS
from media_pipeline.probe import probe, take_poster
from media_pipeline.tasks import export_media
from tests.media_pipeline.test_tasks import make_media, media_root

# The task tests' fixtures, used here by name (pytest injects them).
__all__ = ["make_media", "media_root"]

PICTURE = "testsrc2=size=160x90:rate=25"
TONE = "sine=frequency=440:sample_rate=48000"
# name → (video, output options, the demuxer it must be identified as)
ALLOWED = {
    "clip.mp4": (True, {"vcodec": "libx264", "preset": "ultrafast"}, "mov"),
    "clip.mov": (True, {"vcodec": "libx264", "preset": "ultrafast"}, "mov"),
    "clip.webm": (True, {"vcodec": "libvpx", "acodec": "libvorbis"}, "matroska"),
    "clip.mkv": (True, {"vcodec": "libx264", "preset": "ultrafast"}, "matroska"),
    "clip.avi": (True, {"vcodec": "mpeg4"}, "avi"),
    "clip.mpg": (True, {"vcodec": "mpeg2video"}, "mpeg"),
    "clip.ts": (True, {"vcodec": "mpeg2video"}, "mpegts"),
    "clip.ogv": (True, {"vcodec": "libtheora", "acodec": "libvorbis"}, "ogg"),
    "tone.mp3": (False, {}, "mp3"),
    "tone.wav": (False, {}, "wav"),
    "tone.m4a": (False, {}, "mov"),
    "tone.aac": (False, {}, "aac"),
    "tone.flac": (False, {}, "flac"),
    "tone.ogg": (False, {}, "ogg"),
    "tone.aiff": (False, {}, "aiff"),
}


# One worker runs the whole module (make test: --dist loadgroup), so its
# module-scoped fixtures are made once.
pytestmark = pytest.mark.xdist_group("identify")


@pytest.fixture(scope="module")
def allowed(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("allowed")
    files = {}
    for name, (video, options, _demuxer) in ALLOWED.items():
        streams = [ffmpeg.input(TONE, f="lavfi", t=1)]
        if video:
            streams.insert(0, ffmpeg.input(PICTURE, f="lavfi", t=1))
            options = {"pix_fmt": "yuv420p", **options}
        path = folder / name
        ffmpeg.output(*streams, str(path), **options).run(quiet=True)
        files[name] = path
    return files


@pytest.fixture(scope="module")
def secret(tmp_path_factory) -> Path:
    """A media file on the server that no upload may make ffmpeg read."""
    path = tmp_path_factory.mktemp("private") / "secret.mp4"
    picture = ffmpeg.input("testsrc2=size=208x112:rate=7", f="lavfi", t=1)
    picture.output(str(path), pix_fmt="yuv420p", preset="ultrafast").run(quiet=True)
    return path


def playlist_text(secret: Path) -> str:
    return (
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n"
        f"#EXTINF:1.0,\n{secret}\n#EXT-X-ENDLIST\n"
    )


@pytest.fixture
def playlist(tmp_path, secret) -> Path:
    """An HLS playlist uploaded under a video's name, its segment the secret."""
    path = tmp_path / "typhoon.mp4"
    path.write_text(playlist_text(secret))
    return path


def refusals(secret: Path) -> dict[str, tuple[bytes, str]]:
    """name → (content, what the refusal says it found)."""
    return {
        "hls.mp4": (playlist_text(secret).encode(), "HLS 播放列表（#EXTM3U）"),
        "concat.mp4": (
            f"ffconcat version 1.0\nfile '{secret}'\n".encode(),
            "ffconcat 拼接列表",
        ),
        "session.mp4": (
            b"v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nc=IN IP4 127.0.0.1\n"
            b"t=0 0\nm=video 5004 RTP/AVP 96\n",
            "SDP 会话描述",
        ),
        "link.mp4": (b"https://example.com/video.mp4\n", "网址（URL）"),
        "notes.mp4": ("台风来了怎么办\n".encode(), "检测到文本"),
        "noise.mp4": (random.Random(7).randbytes(4096), "无法识别的数据"),
    }


@pytest.fixture
def started(monkeypatch) -> list[list[str]]:
    """The commands of every child process started during the test."""
    commands: list[list[str]] = []
    popen = subprocess.Popen

    class Recorded(popen):
        def __init__(self, args, *rest, **options):
            commands.append(list(args))
            super().__init__(args, *rest, **options)

    monkeypatch.setattr(subprocess, "Popen", Recorded)
    return commands


@pytest.mark.parametrize("name", ALLOWED)
def test_allowed_containers_get_their_demuxer_and_still_probe(allowed, name):
    assert identify(allowed[name]) == ALLOWED[name][2]
    info = probe(allowed[name])
    assert info.duration == pytest.approx(1, abs=0.15)
    assert info.has_video == ALLOWED[name][0]


def test_the_input_is_a_forced_demuxer_and_an_absolute_file_url(allowed):
    clip = allowed["clip.mp4"]
    assert input_args(clip) == [
        "-f",
        "mov",
        "-protocol_whitelist",
        "file",
        "-i",
        f"file:{clip.resolve()}",
    ]


def test_an_mp3_behind_its_id3_tags_is_mp3_and_text_behind_one_is_unknown():
    tag = b"ID3\x04\x00\x00\x00\x00\x00\x0a" + b"\x00" * 10
    frame = bytes([0xFF, 0xFB, 0x90, 0x64]) + b"\x00" * 400
    assert identify_stream(io.BytesIO(tag + tag + frame), "a.mp3") == "mp3"
    with pytest.raises(ContentRefused, match="无法识别的数据"):
        identify_stream(io.BytesIO(tag + b"#EXTM3U\nsecret.mp4\n"), "a.mp3")


def test_identification_leaves_the_stream_where_it_was(allowed):
    stream = io.BytesIO(b"xx" + allowed["tone.wav"].read_bytes())
    stream.seek(2)
    assert identify_stream(stream, "tone.wav") == "wav"
    assert stream.tell() == 2


@pytest.mark.parametrize(
    "name", ["hls.mp4", "concat.mp4", "session.mp4", "link.mp4", "notes.mp4"]
)
def test_text_under_a_video_name_is_refused_naming_what_it_is(tmp_path, secret, name):
    content, found = refusals(secret)[name]
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ContentRefused) as caught:
        identify(path)
    message = caught.value.message
    assert message.startswith("文件内容不是允许的音视频格式：")
    assert found in message and message.endswith(f"已拒绝：{name}")


def test_random_bytes_are_refused_as_unknown(tmp_path):
    noise = tmp_path / "noise.mov"
    noise.write_bytes(random.Random(3).randbytes(8192))
    with pytest.raises(ContentRefused, match="无法识别的数据.*noise.mov"):
        identify(noise)


def test_plain_ffprobe_would_read_the_secret_through_the_playlist(playlist):
    """What the guard is for: ffprobe left to guess opens the playlist as
    HLS and reads the secret file as its segment."""
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=format_name"]
        + ["-show_entries", "stream=width", "-of", "csv=p=0", str(playlist)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "hls" in result.stdout and "208" in result.stdout


def test_the_playlist_is_refused_by_every_pipeline_function_before_any_tool(
    playlist, tmp_path, started
):
    poster = tmp_path / "poster.jpg"
    calls = [
        lambda: probe(playlist),
        lambda: take_poster(playlist, poster),
        lambda: export(playlist, tmp_path / "out.mp4", PRESETS["douyin"], title="x"),
        lambda: measure(playlist),
        lambda: normalise(playlist, tmp_path / "out.wav", LOUDNESS_TARGETS["podcast"]),
    ]
    for call in calls:
        with pytest.raises(ContentRefused, match="HLS 播放列表（#EXTM3U）"):
            call()
    assert started == []
    assert sorted(path.name for path in tmp_path.iterdir()) == ["typhoon.mp4"]


def test_a_stored_playlist_gets_a_probe_error_no_poster_and_a_failed_export(
    make_media, playlist, started
):
    media = make_media(playlist)
    assert "HLS 播放列表（#EXTM3U），已拒绝" in media.probe.error
    assert media.probe.duration is None
    assert not media.thumbnail
    job = ExportJob.objects.create(
        media=media, preset="bilibili", source_version=media.probe.source_version
    )
    assert export_media.enqueue(job.pk).return_value == "failed"
    job.refresh_from_db()
    assert "HLS 播放列表（#EXTM3U），已拒绝" in job.error
    assert job.rendition is None
    assert started == []


def upload(admin_client, name: str, content: bytes, capture):
    data = {
        "title": "台风来了怎么办",
        "file": SimpleUploadedFile(name, content),
        "collection": Collection.get_first_root_node().pk,
        "tags": "",
    }
    with capture(execute=True):
        return admin_client.post(reverse("wagtailmedia:add", args=["video"]), data)


@pytest.mark.parametrize(
    "name",
    ["hls.mp4", "concat.mp4", "session.mp4", "link.mp4", "notes.mp4", "noise.mp4"],
)
def test_the_admin_upload_form_refuses_them_on_the_file_field(
    admin_client, django_capture_on_commit_callbacks, secret, started, name
):
    content, found = refusals(secret)[name]
    response = upload(admin_client, name, content, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["file"]
    assert found in errors["file"][0] and "已拒绝" in errors["file"][0]
    assert not get_media_model().objects.exists()
    assert started == []


def test_the_admin_upload_form_takes_a_real_video(
    admin_client, django_capture_on_commit_callbacks, allowed
):
    content = allowed["clip.mp4"].read_bytes()
    response = upload(
        admin_client, "clip.mp4", content, django_capture_on_commit_callbacks
    )
    assert response.status_code == 302
    media = get_media_model().objects.get()
    assert media.probe.error == ""
    assert media.thumbnail


def test_refusals_are_media_errors_with_no_ffmpeg_details(tmp_path, secret):
    path = tmp_path / "concat.mp4"
    path.write_bytes(refusals(secret)["concat.mp4"][0])
    with pytest.raises(MediaError) as caught:
        probe(path)
    assert caught.value.details == ""
