"""The pipeline's Django layer with real ffmpeg: uploads are probed by a task,
exports run as tasks that save progress, can be cancelled, time out, keep
the source untouched and store their output as renditions."""

import hashlib
import random
import threading
import time
from pathlib import Path

import ffmpeg
import pytest
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import connection
from PIL import Image
from wagtail.documents import get_document_model
from wagtailmedia.models import get_media_model

from media_pipeline.models import ExportJob, Rendition
from media_pipeline.probe import iso_boxes, probe
from media_pipeline.tasks import (
    ProgressSaver,
    cancel_export,
    export_media,
)

CUES = "1\n00:00:00,200 --> 00:00:00,900\n台风来临前，请储备饮用水。\n"


def write_clip(
    path: Path, *, size: str = "1920x1080", seconds: float = 1, video: bool = True
) -> Path:
    """A testsrc2 picture (when video) and a sine tone, encoded fast."""
    streams = []
    if video:
        source = f"testsrc2=size={size}:rate=25"
        streams.append(ffmpeg.input(source, f="lavfi", t=seconds))
    tone = "sine=frequency=440:sample_rate=48000"
    streams.append(ffmpeg.input(tone, f="lavfi", t=seconds))
    codecs = {"preset": "ultrafast", "pix_fmt": "yuv420p"} if video else {}
    ffmpeg.output(*streams, str(path), **codecs).overwrite_output().run(quiet=True)
    return path


def scrambled_copy(clip: Path, path: Path) -> Path:
    """The clip with its media data overwritten by noise: the boxes (and so
    the probe) are intact, decoding fails."""
    data = bytearray(clip.read_bytes())
    mdat = next(box for box in iso_boxes(clip) if box.kind == b"mdat")
    noise = random.Random(4).randbytes(mdat.size - 16)
    data[mdat.offset + 16 : mdat.offset + mdat.size] = noise
    path.write_bytes(bytes(data))
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    video = write_clip(folder / "typhoon.mp4")
    return {
        "video": video,
        "long": write_clip(folder / "long.mp4", seconds=8),
        "audio": write_clip(folder / "tone.m4a", video=False),
        "scrambled": scrambled_copy(video, folder / "scrambled.mp4"),
    }


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Each test's uploads and renditions in a folder of its own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def make_media(db, django_capture_on_commit_callbacks):
    """Store a file as a wagtailmedia item; the probe task runs on commit."""

    def make(path: Path, *, kind: str = "video", title: str = "台风来了怎么办"):
        with django_capture_on_commit_callbacks(execute=True), path.open("rb") as f:
            media = get_media_model().objects.create(
                title=title, type=kind, file=File(f, name=path.name)
            )
        media.refresh_from_db()
        return media

    return make


@pytest.fixture
def make_subtitles(db):
    def make(text: str = CUES, name: str = "typhoon.srt"):
        document = get_document_model()(title="台风字幕")
        document.file.save(name, ContentFile(text.encode()), save=False)
        document.save()
        return document

    return make


def rendition_files() -> list[Path]:
    folder = Path(Rendition._meta.get_field("file").storage.path("media_renditions"))
    return sorted(folder.iterdir()) if folder.exists() else []


def test_saving_a_video_probes_it_and_takes_a_poster(make_media, clips):
    media = make_media(clips["video"])
    facts = media.probe
    assert facts.error == ""
    assert facts.duration == pytest.approx(1, abs=0.1)
    assert facts.size_bytes == clips["video"].stat().st_size
    assert (facts.video_codec, facts.audio_codec) == ("h264", "aac")
    assert (facts.display_width, facts.display_height) == (1920, 1080)
    assert facts.frame_rate == 25
    assert (facts.audio_channels, facts.sample_rate) == (1, 48000)
    assert (media.duration, media.width, media.height) == (facts.duration, 1920, 1080)
    with media.thumbnail.open("rb") as stream, Image.open(stream) as poster:
        assert poster.format == "JPEG"
        assert poster.size == (1280, 720)


def test_an_audio_file_is_probed_without_a_poster(make_media, clips):
    media = make_media(clips["audio"], kind="audio")
    assert media.probe.has_audio and not media.probe.has_video
    assert media.duration == pytest.approx(1, abs=0.1)
    assert not media.thumbnail


def test_a_corrupt_upload_is_kept_with_a_chinese_probe_error(make_media, tmp_path):
    bogus = tmp_path / "broken.mp4"
    bogus.write_bytes(random.Random(1).randbytes(4096))
    media = make_media(bogus)
    assert "无法识别的数据" in media.probe.error
    assert media.probe.duration is None
    assert media.file.storage.exists(media.file.name)
    assert not media.thumbnail


def test_only_a_new_file_is_probed_again(
    make_media, clips, django_capture_on_commit_callbacks
):
    media = make_media(clips["video"])
    first = media.probe.probed_at
    with django_capture_on_commit_callbacks(execute=True):
        media.title = "台风来了怎么办（修订）"
        media.save()
    media.probe.refresh_from_db()
    assert media.probe.probed_at == first
    with (
        django_capture_on_commit_callbacks(execute=True),
        clips["audio"].open("rb") as f,
    ):
        media.file = File(f, name="replaced.m4a")
        media.save()
    media.probe.refresh_from_db()
    assert media.probe.probed_at > first
    assert not media.probe.has_video


def test_an_export_job_stores_a_rendition_at_the_preset_size(
    make_media, make_subtitles, run_export, clips
):
    media = make_media(clips["video"])
    before = digest(Path(media.file.path))
    request = run_export(media, make_subtitles())
    job = request.job
    assert request.outcome == "queued"
    assert (job.status, job.progress, job.error) == ("succeeded", 100, "")
    assert job.started_at <= job.finished_at
    rendition = job.rendition
    output = probe(rendition.file.path)
    assert (output.width, output.height) == (1080, 1920)
    assert rendition.info["width"] == 1080
    assert rendition.size == Path(rendition.file.path).stat().st_size
    assert rendition.source_version == media.probe.source_version
    assert digest(Path(media.file.path)) == before


def test_a_new_title_replaces_the_rendition_of_that_source_version(
    make_media, make_subtitles, run_export, clips
):
    media = make_media(clips["video"])
    subtitles = make_subtitles()
    first = run_export(media, subtitles).job.rendition
    second = run_export(media, subtitles, title="防台风三件事").job
    assert second.status == "succeeded"
    assert list(Rendition.objects.filter(media=media)) == [second.rendition]
    assert second.rendition.pk != first.pk
    assert second.rendition.title == "防台风三件事"


def test_a_failing_export_keeps_the_source_and_stores_ffmpegs_last_lines(
    make_media, make_subtitles, run_export, clips
):
    media = make_media(clips["scrambled"])
    before = digest(Path(media.file.path))
    job = run_export(media, make_subtitles()).job
    assert job.status == "failed"
    assert "ffmpeg 处理失败" in job.error
    lines = job.error_details.splitlines()
    assert 1 < len(lines) <= 20
    assert any("Invalid" in line for line in lines)
    assert job.rendition is None
    assert rendition_files() == []
    assert digest(Path(media.file.path)) == before


def test_an_export_past_its_timeout_is_stopped(make_media, make_subtitles, clips):
    media = make_media(clips["long"])
    job = ExportJob.objects.create(
        media=media,
        preset="douyin",
        subtitles=make_subtitles(),
        timeout_seconds=1,
        source_version=media.probe.source_version,
    )
    started = time.monotonic()
    assert export_media.enqueue(job.pk).return_value == "failed"
    assert time.monotonic() - started < 8
    job.refresh_from_db()
    assert "处理超时（超过 1 秒）" in job.error
    assert job.error_details
    assert rendition_files() == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_cancelling_a_running_export_stops_it_and_leaves_no_file(
    make_media, make_subtitles, clips
):
    media = make_media(clips["long"])
    job = ExportJob.objects.create(
        media=media, preset="douyin", subtitles=make_subtitles()
    )

    def work() -> None:
        try:
            export_media.enqueue(job.pk)
        finally:
            connection.close()

    worker = threading.Thread(target=work)
    worker.start()
    deadline = time.monotonic() + 20
    while ExportJob.objects.get(pk=job.pk).progress == 0:
        assert time.monotonic() < deadline, "the export never reported progress"
        time.sleep(0.1)
    cancel_export(job)
    worker.join(timeout=20)
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert 0 < job.progress < 100
    assert job.finished_at is not None
    assert job.rendition is None
    assert rendition_files() == []


def test_a_queued_job_cancelled_before_it_starts_never_runs(make_media, clips):
    media = make_media(clips["audio"], kind="audio")
    job = ExportJob.objects.create(media=media, preset="douyin")
    cancel_export(job)
    assert export_media.enqueue(job.pk).return_value == "cancelled"
    job.refresh_from_db()
    assert (job.cancel_requested, job.started_at) == (True, None)


def test_the_task_refuses_what_the_preset_forbids(make_media, clips):
    media = make_media(clips["audio"], kind="audio")
    job = ExportJob.objects.create(media=media, preset="bilibili")
    assert export_media.enqueue(job.pk).return_value == "refused"
    job.refresh_from_db()
    assert "没有视频画面" in job.error


def test_progress_is_saved_in_whole_percents_at_most_twice_a_second(make_media, clips):
    media = make_media(clips["audio"], kind="audio")
    job = ExportJob.objects.create(media=media, preset="douyin", status="running")
    save = ProgressSaver(job.pk)
    for fraction in (0.004, 0.3, 0.31, 0.5):
        save(fraction)
    job.refresh_from_db()
    assert job.progress == 30
    time.sleep(0.5)
    save(0.6)
    save(1.0)
    job.refresh_from_db()
    assert job.progress == 60
