"""The pipeline's records in the CMS: what a probe of an upload found, the
exports made from it (renditions) and the background jobs that make them.
The look-up of a file's current renditions lives here too, for every output
that plays them (feeds, screens, channels)."""

import hashlib
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, fields
from operator import attrgetter
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext_lazy as _

from media_pipeline.export import duration_text
from media_pipeline.presets import PRESETS
from media_pipeline.probe import MediaInfo

VERSION_LENGTH = 16  # hex digits of a source or options hash
COPY_CHUNK_BYTES = 1024 * 1024
INFO_FIELDS = tuple(field.name for field in fields(MediaInfo))
OPTIONAL_TEXT = ("video_codec", "audio_codec")  # None in MediaInfo, "" here


def short_hash(*parts: object) -> str:
    text = "\0".join(str(part) for part in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:VERSION_LENGTH]


def source_version(stored: FieldFile) -> str:
    """A hash of a stored file's name and size: a replaced file gets a new
    name from the storage (names are never reused), so a new version."""
    storage, name = stored.storage, stored.name
    if not storage.exists(name):
        return short_hash(name, "missing")
    return version_of(name, storage.size(name))


def version_of(name: str, size: int) -> str:
    """source_version() of a stored file whose size is already known."""
    return short_hash(name, size)


def export_options_key(title: str, subtitles) -> str:
    """What else, besides source, preset and reframe, shapes an export's
    output: the title card and the subtitle file's version."""
    subtitle_version = source_version(subtitles.file) if subtitles else ""
    return short_hash(title.strip(), subtitle_version)


@contextmanager
def local_file(stored: FieldFile) -> Iterator[Path]:
    """A local path to a stored file for ffmpeg to read."""
    with local_path(stored.storage, stored.name) as path:
        yield path


@contextmanager
def local_path(storage, name: str) -> Iterator[Path]:
    """The file itself on local storage, else (S3) a temporary copy deleted
    afterwards."""
    if isinstance(storage, FileSystemStorage):
        yield Path(storage.path(name))
        return
    with tempfile.TemporaryDirectory(prefix="media-pipeline-") as work:
        copy = Path(work) / Path(name).name
        with storage.open(name, "rb") as source, copy.open("wb") as out:
            shutil.copyfileobj(source, out, COPY_CHUNK_BYTES)
        yield copy


class MediaProbe(models.Model):
    """What ffprobe found in a wagtailmedia file (or why it could not read it)."""

    media = models.OneToOneField(
        "wagtailmedia.Media",
        verbose_name=_("媒体"),
        on_delete=models.CASCADE,
        related_name="probe",
    )
    source_version = models.CharField(_("源文件版本"), max_length=64)
    probed_at = models.DateTimeField(_("读取时间"), auto_now=True)
    error = models.CharField(_("读取错误"), max_length=500, blank=True)
    error_details = models.TextField(_("错误详情"), blank=True)
    duration = models.FloatField(_("时长（秒）"), null=True)
    size_bytes = models.BigIntegerField(_("文件大小（字节）"), null=True)
    format_name = models.CharField(_("封装格式"), max_length=100, blank=True)
    bit_rate = models.BigIntegerField(_("码率（bit/s）"), null=True)
    has_video = models.BooleanField(_("有视频"), default=False)
    has_audio = models.BooleanField(_("有音频"), default=False)
    width = models.PositiveIntegerField(_("存储宽度"), null=True)
    height = models.PositiveIntegerField(_("存储高度"), null=True)
    frame_rate = models.FloatField(_("帧率"), null=True)
    video_codec = models.CharField(_("视频编码"), max_length=50, blank=True)
    audio_codec = models.CharField(_("音频编码"), max_length=50, blank=True)
    audio_channels = models.PositiveSmallIntegerField(_("声道数"), null=True)
    sample_rate = models.PositiveIntegerField(_("采样率（Hz）"), null=True)
    rotation = models.PositiveSmallIntegerField(_("旋转角度"), default=0)
    display_width = models.PositiveIntegerField(_("显示宽度"), null=True)
    display_height = models.PositiveIntegerField(_("显示高度"), null=True)

    class Meta:
        verbose_name = _("媒体信息")
        verbose_name_plural = _("媒体信息")

    def __str__(self) -> str:
        return str(self.media)

    @classmethod
    def fields_for(cls, info: MediaInfo | None) -> dict[str, object]:
        """Field values for a probe result; all empty for None (a failed probe)."""
        if info is None:
            return {
                name: cls._meta.get_field(name).get_default() for name in INFO_FIELDS
            }
        values = asdict(info)
        for name in OPTIONAL_TEXT:
            values[name] = values[name] or ""
        return values

    def info(self) -> MediaInfo | None:
        if self.error:
            return None
        values = {name: getattr(self, name) for name in INFO_FIELDS}
        for name in OPTIONAL_TEXT:
            values[name] = values[name] or None
        return MediaInfo(**values)

    def duration_text(self) -> str:
        return duration_text(self.duration or 0)

    def bit_rate_text(self) -> str:
        if not self.bit_rate:
            return ""
        if self.bit_rate >= 1_000_000:
            return f"{self.bit_rate / 1_000_000:.1f} Mbps"
        return f"{self.bit_rate / 1000:.0f} kbps"


class Reframe(models.TextChoices):
    BLUR = "blur", _("模糊背景")
    CROP = "crop", _("居中裁切")


def preset_label(name: str) -> str:
    preset = PRESETS.get(name)
    return preset.label if preset else name


def current_renditions(
    renditions: Iterable["Rendition"], versions: Mapping[int, str]
) -> list["Rendition"]:
    """Those made from their media's file as it is stored now (versions:
    media id → source version of its file), oldest first; a version has at
    most one per preset and framing."""
    current = [
        r
        for r in renditions
        if r.source_version == versions.get(r.media_id) and r.withdrawn_at is None
    ]
    return sorted(current, key=attrgetter("created_at"))


class RenditionQuerySet(models.QuerySet):
    def current(self, media_list: Iterable, preset: str) -> dict[int, "Rendition"]:
        """Media id → the newest rendition for this preset made from the file
        as it is stored now, for each media that has one (None and file-less
        entries are skipped). One query, none without files, and a look-up
        in the storage per file."""
        versions = {
            media.pk: source_version(media.file)
            for media in media_list
            if media is not None and media.file
        }
        made = self.made_from(versions.items(), preset)
        return {pk: made[pk, v] for pk, v in versions.items() if (pk, v) in made}

    def made_from(
        self, versions: Iterable[tuple[int, str]], preset: str
    ) -> dict[tuple[int, str], "Rendition"]:
        """(media id, source version) → the newest rendition for this preset
        made from that version of the file, for each that has one: the
        versions an output was approved with, say, rather than the files as
        stored now. One query, none without versions."""
        wanted = set(versions)
        if not wanted:
            return {}
        renditions = self.filter(
            withdrawn_at__isnull=True,
            media_id__in={pk for pk, _version in wanted},
            source_version__in={version for _pk, version in wanted},
            preset=preset,
        )
        made = sorted(
            (r for r in renditions if (r.media_id, r.source_version) in wanted),
            key=attrgetter("created_at"),
        )
        return {(r.media_id, r.source_version): r for r in made}


class Rendition(models.Model):
    """An export of one version of a media file for one preset and reframe.
    One withdrawn with its item (withdrawn_at) is served by no door and
    re-used by no export request; a new export replaces it."""

    media = models.ForeignKey(
        "wagtailmedia.Media",
        verbose_name=_("媒体"),
        on_delete=models.CASCADE,
        related_name="renditions",
    )
    preset = models.CharField(_("平台"), max_length=50)
    reframe = models.CharField(_("构图"), max_length=10, choices=Reframe.choices)
    source_version = models.CharField(_("源文件版本"), max_length=64)
    options_key = models.CharField(_("标题与字幕版本"), max_length=64)
    title = models.CharField(_("标题"), max_length=255, blank=True)
    file = models.FileField(_("文件"), upload_to="media_renditions")
    info = models.JSONField(_("输出媒体信息"))
    size = models.BigIntegerField(_("文件大小（字节）"))
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(
        _("撤回时间"),
        null=True,
        blank=True,
        help_text=_("内容撤回后，这个导出版本不再对外提供"),
    )

    objects = RenditionQuerySet.as_manager()

    class Meta:
        verbose_name = _("导出结果")
        verbose_name_plural = _("导出结果")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["media", "preset", "source_version", "reframe"],
                name="media_pipeline_one_rendition_per_version",
            )
        ]

    def __str__(self) -> str:
        return f"{self.media} · {self.preset_label}"

    @property
    def preset_label(self) -> str:
        return preset_label(self.preset)

    @property
    def download_name(self) -> str:
        return f"{self.media.title}-{self.preset_label}{Path(self.file.name).suffix}"


def delete_rendition_file(sender, instance: Rendition, **kwargs) -> None:
    """post_delete of a Rendition: its file goes once the deletion is committed."""
    if instance.file:
        storage, name = instance.file.storage, instance.file.name
        transaction.on_commit(lambda: storage.delete(name))


class ExportJob(models.Model):
    """One request to export a media file; the task records its progress here."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("导出中")
        SUCCEEDED = "succeeded", _("已完成")
        FAILED = "failed", _("失败")
        CANCELLED = "cancelled", _("已取消")
        REFUSED = "refused", _("已拒绝")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    media = models.ForeignKey(
        "wagtailmedia.Media",
        verbose_name=_("媒体"),
        on_delete=models.CASCADE,
        related_name="export_jobs",
    )
    preset = models.CharField(_("平台"), max_length=50)
    reframe = models.CharField(
        _("构图"), max_length=10, choices=Reframe.choices, default=Reframe.BLUR
    )
    title = models.CharField(_("标题"), max_length=255, blank=True)
    subtitles = models.ForeignKey(
        "wagtaildocs.Document",
        verbose_name=_("字幕"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source_version = models.CharField(_("源文件版本"), max_length=64)
    options_key = models.CharField(_("标题与字幕版本"), max_length=64)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    error = models.TextField(_("错误"), blank=True)
    error_details = models.TextField(_("ffmpeg 输出"), blank=True)
    cancel_requested = models.BooleanField(_("已请求取消"), default=False)
    timeout_seconds = models.PositiveIntegerField(_("超时（秒）"), default=1800)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rendition = models.ForeignKey(
        Rendition,
        verbose_name=_("导出结果"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
    )

    class Meta:
        verbose_name = _("导出任务")
        verbose_name_plural = _("导出任务")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.media} · {self.preset_label}"

    @property
    def preset_label(self) -> str:
        return preset_label(self.preset)

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE
