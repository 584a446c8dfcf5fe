"""更正 and 撤回 for the item's platform exports made by hand (导出短视频 on
the media page: 抖音, 快手, 视频号, 哔哩哔哩, 今日头条). An editor uploads those
exports wherever they please, so what this module can do is stop what is
ours and tell the editor what to do on each platform. Exports made for a
placement on a short-video account are followed by that channel's adapter
(channels.short_video), which names the account and the posts' addresses.

On a withdrawal, export jobs of the item's media still queued or running are
cancelled and its renditions withdrawn (no door serves them, no export
request re-uses them). On a withdrawal or a correction, each platform the
item was exported for gets one recipient (channel "short_video", pending)
whose task lists the hand exports — platform, framing, when, by whom, and the
admin page where they were made — and says what to do there: take the video
down, or correct its caption and description. The editor marks it done
(channels.advisories.acknowledge). Costs one query for the media, one for
the renditions and one per recipient recorded."""

from collections import defaultdict

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django_tasks import task
from wagtailmedia.models import get_media_model

from channels.advisories import record_and_send
from channels.base import Recipient
from channels.models import AdvisoryRecipient
from channels.short_video.posts import advisory_action
from cms.advisories import Advisory
from cms.files import ApprovedFile, FileKind, referenced_files, visible_revision_ids
from media_pipeline.models import Rendition
from media_pipeline.presets import PRESETS
from media_pipeline.tasks import withdraw_exports

CHANNEL = "short_video"


def on_advisory_issued(sender, advisory: Advisory, **kwargs) -> None:
    follow_exports.enqueue(advisory.pk)


def media_shown_elsewhere(media_ids) -> set[int]:
    """Media a visible page still uses: their exports stay."""
    shown = ApprovedFile.objects.filter(
        kind=FileKind.MEDIA,
        object_id__in=media_ids,
        snapshot__revision__in=visible_revision_ids(),
    )
    return set(shown.values_list("object_id", flat=True))


@task()
def follow_exports(advisory_id: int) -> int:
    """Returns how many platform recipients were recorded; safe to run again."""
    advisory = Advisory.objects.select_related("page").get(pk=advisory_id)
    media_ids = item_media(advisory)
    if not media_ids:
        return 0
    if advisory.is_withdrawal:
        withdraw_exports(set(media_ids) - media_shown_elsewhere(media_ids))
    exports = defaultdict(list)
    renditions = Rendition.objects.filter(media_id__in=media_ids).select_related(
        "media"
    )
    for rendition in renditions.prefetch_related("jobs__created_by"):
        preset = PRESETS.get(rendition.preset)
        if preset is not None and preset.platform and made_by_hand(rendition):
            exports[preset].append(rendition)
    recipients = [
        Recipient(
            name=preset.label,
            reference=f"platform:{preset.name}",
            sent=platform_task(advisory, preset.label, made),
            sender="channels.platform_exports.await_editor",
        )
        for preset, made in exports.items()
    ]
    return len(record_and_send(advisory, CHANNEL, recipients))


def made_by_hand(rendition: Rendition) -> bool:
    """Asked for by an editor (a placement's export has no one's name)."""
    return any(job.created_by_id for job in rendition.jobs.all())


def item_media(advisory: Advisory) -> list[int]:
    if advisory.page is None:
        return []
    media_model = get_media_model()
    page = advisory.page.specific
    return sorted({pk for model, pk in referenced_files(page) if model is media_model})


def export_line(rendition: Rendition) -> str:
    job = next(iter(rendition.jobs.all()), None)
    by = f"，{job.created_by} 导出" if job and job.created_by else ""
    made = f"{timezone.localtime(rendition.created_at):%Y-%m-%d %H:%M}"
    where = reverse("media_pipeline:export", args=(rendition.media_id,))
    return gettext(
        "· 「%(media)s」%(framing)s，%(made)s%(by)s（导出页面：%(where)s）"
    ) % {
        "media": rendition.media.title,
        "framing": rendition.get_reframe_display(),
        "made": made,
        "by": by,
        "where": where,
    }


def platform_task(advisory: Advisory, platform: str, made: list[Rendition]) -> str:
    lines = [advisory_action(advisory, platform), gettext("导出的版本：")]
    return "\n".join([*lines, *map(export_line, made)])


def await_editor(row: AdvisoryRecipient) -> tuple[str, str]:
    """Nothing is sent: the editor acts on the platform, then confirms."""
    return AdvisoryRecipient.State.PENDING, gettext(
        "待编辑在平台上处理，完成后标记为已确认"
    )
