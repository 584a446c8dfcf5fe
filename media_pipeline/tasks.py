"""Background tasks that drive the pipeline from the CMS: probe each upload,
export renditions. Tasks take ids; what they find, their progress and their
errors are saved on the records the admin shows."""

import logging
import tempfile
import time
from contextlib import ExitStack, nullcontext
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Literal

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_tasks import task
from wagtailmedia.models import get_media_model

from media_pipeline.errors import ExportRefused, MediaError, Problem
from media_pipeline.export import cautions, check, export
from media_pipeline.models import (
    ExportJob,
    MediaProbe,
    Rendition,
    export_options_key,
    local_file,
    source_version,
)
from media_pipeline.presets import PRESETS
from media_pipeline.probe import MediaInfo, probe, take_poster

logger = logging.getLogger(__name__)

PROGRESS_STEP = 1  # percent: smaller gains are not saved
PROGRESS_INTERVAL_SECONDS = 0.5  # at most one progress save per interval
CANCEL_CHECK_SECONDS = 0.5  # at most one cancel look-up per interval
Status = ExportJob.Status


# Probe on upload ---------------------------------------------------------------


def probe_when_file_changes(sender, instance, raw: bool = False, **kwargs) -> None:
    """post_save of a media item: probe its file when it is new or replaced
    (once the save is committed, so that a worker can read the row)."""
    if raw or not instance.file:
        return
    version = source_version(instance.file)
    probed = MediaProbe.objects.filter(media_id=instance.pk, source_version=version)
    if not probed.exists():
        transaction.on_commit(partial(probe_media.enqueue, instance.pk))


@task()
def probe_media(media_id: int) -> str:
    """Probe the media file; store the facts on its MediaProbe and on the
    media item (duration, size, a poster for a video without a thumbnail).
    An unreadable file keeps its upload and gets the reason in Chinese."""
    media = get_media_model().objects.filter(pk=media_id).first()
    if media is None or not media.file:
        return "missing"
    version = source_version(media.file)
    try:
        with local_file(media.file) as path:
            info = probe(path)
            facts = media_facts(media, path, info)
    except MediaError as error:
        save_probe(media_id, version, None, error)
        return "error"
    get_media_model().objects.filter(pk=media_id).update(**facts)
    save_probe(media_id, version, info)
    return "probed"


def save_probe(
    media_id: int, version: str, info: MediaInfo | None, error: MediaError | None = None
) -> None:
    MediaProbe.objects.update_or_create(
        media_id=media_id,
        defaults={
            "source_version": version,
            "error": error.message[:500] if error else "",
            "error_details": error.details if error else "",
            **MediaProbe.fields_for(info),
        },
    )


def media_facts(media, path: Path, info: MediaInfo) -> dict[str, object]:
    """Media fields to update: wagtailmedia's duration and size as shown,
    and a poster frame as thumbnail for a video that has none."""
    facts = {
        "duration": info.duration,
        "width": info.display_width,
        "height": info.display_height,
    }
    if info.has_video and not media.thumbnail:
        with tempfile.TemporaryDirectory(prefix="poster-") as work:
            poster = Path(work) / f"{Path(media.file.name).stem}.jpg"
            try:
                take_poster(path, poster, info=info)
            except MediaError as error:
                logger.warning("no poster for media %s: %s", media.pk, error)
                return facts
            with poster.open("rb") as stream:
                media.thumbnail.save(poster.name, File(stream), save=False)
        facts["thumbnail"] = media.thumbnail.name
    return facts


# Export requests (from the admin) ------------------------------------------------


@dataclass(frozen=True)
class ExportRequest:
    """What asking for an export led to: refused (problems), an existing
    rendition re-used, the same job already under way, or a new job queued."""

    outcome: Literal["refused", "reused", "running", "queued"]
    problems: list[Problem] = field(default_factory=list)
    cautions: list[Problem] = field(default_factory=list)
    rendition: Rendition | None = None
    job: ExportJob | None = None


def probe_problems(media, version: str) -> tuple[MediaInfo | None, list[Problem]]:
    """The probe of this version of the file, or why there is none to check."""
    current = MediaProbe.objects.filter(media=media, source_version=version).first()
    if current is None:
        reason = gettext_noop(
            "还没有读取到这个文件的媒体信息（上传后自动读取），请稍后再试"
        )
        return None, [Problem("not_probed", reason)]
    if current.error:
        return None, [Problem("unreadable", "%(error)s", {"error": current.error})]
    return current.info(), []


def request_export(
    media, preset: str, reframe: str, title: str, subtitles, user, *, run_here=False
) -> ExportRequest:
    """Check the media against the preset, then re-use, join or queue; a new
    job runs in the worker, or (run_here) in this process before this returns:
    a task that needs the rendition runs it itself."""
    version = source_version(media.file)
    info, problems = probe_problems(media, version)
    if info is not None:
        problems = check(
            info, PRESETS[preset], has_subtitles=subtitles is not None, reframe=reframe
        )
    if problems:
        return ExportRequest("refused", problems=problems)
    noticed = cautions(info, PRESETS[preset], reframe)
    key = {
        "media": media,
        "preset": preset,
        "reframe": reframe,
        "source_version": version,
        "options_key": export_options_key(title, subtitles),
    }
    if rendition := Rendition.objects.filter(**key, withdrawn_at=None).first():
        return ExportRequest("reused", cautions=noticed, rendition=rendition)
    if job := ExportJob.objects.filter(**key, status__in=ExportJob.ACTIVE).first():
        return ExportRequest("running", cautions=noticed, job=job)
    job = ExportJob.objects.create(
        **key, title=title, subtitles=subtitles, created_by=user
    )
    if run_here:
        export_media.call(job.pk)
    else:
        transaction.on_commit(partial(export_media.enqueue, job.pk))
    return ExportRequest("queued", cautions=noticed, job=job)


def cancel_export(job: ExportJob) -> None:
    """A queued job is cancelled at once; a running one when its task sees it."""
    jobs = ExportJob.objects.filter(pk=job.pk)
    jobs.filter(status__in=ExportJob.ACTIVE).update(cancel_requested=True)
    jobs.filter(status=Status.QUEUED).update(
        status=Status.CANCELLED, finished_at=timezone.now()
    )


def withdraw_exports(media_ids) -> tuple[int, int]:
    """An item was withdrawn: its media's active export jobs are cancelled and
    its renditions withdrawn. Returns (jobs cancelled, renditions withdrawn)."""
    jobs = ExportJob.objects.filter(media_id__in=media_ids, status__in=ExportJob.ACTIVE)
    cancelled = 0
    for job in jobs:
        cancel_export(job)
        cancelled += 1
    withdrawn = Rendition.objects.filter(
        media_id__in=media_ids, withdrawn_at__isnull=True
    ).update(withdrawn_at=timezone.now())
    return cancelled, withdrawn


# The export task -----------------------------------------------------------------


class ProgressSaver:
    """export()'s on_progress: saves whole percents below 100 on the job,
    at most one save per PROGRESS_STEP and per PROGRESS_INTERVAL_SECONDS."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.saved = 0
        self.saved_at = 0.0

    def __call__(self, fraction: float) -> None:
        percent = min(99, int(fraction * 100))
        now = time.monotonic()
        if percent < self.saved + PROGRESS_STEP:
            return
        if now - self.saved_at < PROGRESS_INTERVAL_SECONDS:
            return
        ExportJob.objects.filter(pk=self.job_id).update(progress=percent)
        self.saved, self.saved_at = percent, now


class CancelRequested:
    """export()'s cancel: whether an editor asked to cancel, looked up in the
    database at most once per CANCEL_CHECK_SECONDS."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.checked_at = float("-inf")
        self.requested = False

    def __call__(self) -> bool:
        now = time.monotonic()
        if not self.requested and now - self.checked_at >= CANCEL_CHECK_SECONDS:
            self.checked_at = now
            jobs = ExportJob.objects.filter(pk=self.job_id, cancel_requested=True)
            self.requested = jobs.exists()
        return self.requested


def finish(job_id: int, status: str, **fields) -> None:
    ExportJob.objects.filter(pk=job_id).update(
        status=status, finished_at=timezone.now(), **fields
    )


@task()
def export_media(job_id: int) -> str:
    """Run one export job: the source is only read, the output is written
    under a temporary name and stored as the job's rendition."""
    claimed = ExportJob.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=timezone.now(), progress=0
    )
    if claimed:
        job = ExportJob.objects.select_related("media", "subtitles").get(pk=job_id)
        # The rendition belongs to the file as it is now, should it have
        # been replaced since the job was queued.
        job.source_version = source_version(job.media.file)
        job.save(update_fields=["source_version"])
        try:
            run_export(job)
        finally:
            # Whatever escaped run_export (a bug, the storage failing) must
            # not leave the job shown as running for ever.
            reason = _("导出意外中断，请查看后台任务日志")
            ExportJob.objects.filter(pk=job_id, status=Status.RUNNING).update(
                status=Status.FAILED, error=reason, finished_at=timezone.now()
            )
    return ExportJob.objects.get(pk=job_id).status


def run_export(job: ExportJob) -> None:
    with ExitStack() as stack:
        source = stack.enter_context(local_file(job.media.file))
        subtitles = stack.enter_context(
            local_file(job.subtitles.file) if job.subtitles else nullcontext()
        )
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="export-")))
        target = work / f"{job.media.pk}-{job.preset}-{job.reframe}.mp4"
        try:
            info = export(
                source,
                target,
                PRESETS[job.preset],
                title=job.title,
                subtitles=subtitles,
                reframe=job.reframe,
                on_progress=ProgressSaver(job.pk),
                timeout=job.timeout_seconds,
                cancel=CancelRequested(job.pk),
            )
        except ExportRefused as error:
            finish(job.pk, Status.REFUSED, error=error.render(_))
        except MediaError as error:
            if ExportJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
                finish(job.pk, Status.CANCELLED)
            else:
                finish(
                    job.pk,
                    Status.FAILED,
                    error=error.message,
                    error_details=error.details,
                )
        else:
            rendition = store_rendition(job, target, info)
            finish(job.pk, Status.SUCCEEDED, progress=100, rendition=rendition)


def store_rendition(job: ExportJob, output: Path, info: MediaInfo) -> Rendition:
    """Save the output as the rendition for its source version, preset and
    reframe, replacing one made earlier with another title or subtitles."""
    rendition = Rendition(
        media=job.media,
        preset=job.preset,
        reframe=job.reframe,
        source_version=job.source_version,
        options_key=job.options_key,
        title=job.title,
        info=asdict(info),
        size=output.stat().st_size,
    )
    name = f"{job.media.pk}-{job.preset}-{job.reframe}-{job.source_version[:8]}.mp4"
    with output.open("rb") as stream:
        rendition.file.save(name, File(stream), save=False)
    with transaction.atomic():
        Rendition.objects.filter(
            media=job.media,
            preset=job.preset,
            reframe=job.reframe,
            source_version=job.source_version,
        ).delete()
        rendition.save()
    return rendition
