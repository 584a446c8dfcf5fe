"""A short-video placement rendered end to end, for benchmarks/media_pipeline.py:
a reviewed video item over the benchmark's source, a 抖音 account posted by
hand, and the placement's whole task (check, export, cover, 发布文案, the
package stored) timed as the worker runs it. Needs Django set up in a
throw-away environment (environment.run_benchmark)."""

import time
from pathlib import Path

from django.contrib.auth.models import Group, User
from django.core.files import File
from django.core.management import call_command
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.models import Page, Site
from wagtailmedia.models import get_media_model

from channels.models import Outlet, Placement
from channels.queue import process_placement
from cms.pages import ContentIndexPage, HomePage, VideoPage
from cms.review import REVIEW_GROUP_NAME, approve_review, submit_for_review
from cms.snippets import Expert
from media_pipeline.models import ExportJob, Rendition
from media_pipeline.tasks import probe_media


def stored(model, path: Path, **fields):
    with path.open("rb") as stream:
        return model.objects.create(file=File(stream, name=path.name), **fields)


def reviewed_video(source: Path, subtitles: Path, title: str) -> VideoPage:
    """The item as an editor leaves it: uploaded (and probed), written,
    submitted and approved by a 科学审核 member."""
    call_command("migrate", verbosity=0)
    root = Page.objects.get(depth=1)
    home = root.add_child(instance=HomePage(title="科普全媒体", slug="bench-home"))
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "127.0.0.1", "port": 80, "root_page": home},
    )
    section = home.add_child(instance=ContentIndexPage(title="视频", slug="videos"))
    media = stored(get_media_model(), source, title=title, type="video")
    probe_media.call(media.pk)
    page = VideoPage(
        title=title,
        slug="typhoon",
        summary="台风来临前，气象专家教你三招。",
        transcript="台风来临前，请储备饮用水。",
        source_credit="省气象局",
        reviewing_expert=Expert.objects.create(name="周明", field="气象"),
        video=media,
        subtitles=stored(get_document_model(), subtitles, title="字幕"),
        live=False,
    )
    section.add_child(instance=page)
    editor = User.objects.create_user("bench-editor")
    reviewer = User.objects.create_user("bench-reviewer")
    reviewer.groups.add(Group.objects.get(name=REVIEW_GROUP_NAME))
    page.save_revision(user=editor)
    submit_for_review(page, editor)
    approve_review(page, reviewer, comment="内容准确")
    page.refresh_from_db()
    return page


def douyin_account() -> Outlet:
    outlet = Outlet(
        name="科普吉林·抖音",
        channel="short_video",
        organisation="吉林省科协",
        spec={"platform": "douyin", "account": "科普吉林"},
    )
    outlet.full_clean()
    outlet.save()
    return outlet


def render_placement(page: VideoPage, outlet: Outlet) -> tuple[float, Placement]:
    """One placement due now, processed as the worker does; the export made
    by an earlier round is removed first, so that this one exports again."""
    for rendition in Rendition.objects.all():
        rendition.file.delete(save=False)
    Rendition.objects.all().delete()
    ExportJob.objects.all().delete()
    placement = Placement(page=page, outlet=outlet, scheduled_at=timezone.now())
    placement.save()
    started = time.perf_counter()
    process_placement.call(placement.pk)
    elapsed = time.perf_counter() - started
    placement.refresh_from_db()
    if placement.status != Placement.Status.DELIVERED:
        raise SystemExit(f"placement not delivered: {placement.error}")
    return elapsed, placement


def video_output(placement: Placement) -> Path:
    return Path(placement.outputs.get(mime_type="video/mp4").file.path)
