"""Short video: platform accounts (抖音号, 快手号, 视频号, B站, 头条号) as
outlets. check() judges the item's video against the platform's preset on
the account's framing, and the post's title, description and #话题 against
the platform's limits; render() exports the video through the media
pipeline (re-using a rendition made with the same settings), draws the cover
in the platform's ratio and writes the 发布文案.

The export runs inside the placement's own task, as an export job the media
pages show with its progress; a job already running for the same settings
(an editor's manual export) is waited for by retrying later."""

import tempfile
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, get_type_hints

from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from channels.base import (
    ChannelAdapter,
    Package,
    Problem,
    Recipient,
    RenderProgress,
    Spec,
    file_stem,
    setting,
)
from channels.models import Outlet
from channels.queue import NotReady, Refused
from channels.registry import register
from channels.short_video.admin import PostsViewSet
from channels.short_video.caption import Caption, caption_for, topic_names
from channels.short_video.posts import POSTING, account_task, render_again, unposted
from media_pipeline.cover import render_cover
from media_pipeline.export import REFRAMES, cautions, check
from media_pipeline.models import ExportJob, MediaProbe, local_file, source_version
from media_pipeline.presets import PRESETS, VideoPreset
from media_pipeline.tasks import request_export

# Nothing is sent: the operator acts on the platform, then confirms.
AWAIT_OPERATOR = "channels.platform_exports.await_editor"
PLATFORMS = {name: preset for name, preset in PRESETS.items() if preset.platform}


if set(PLATFORMS) != set(POSTING):
    raise ImproperlyConfigured(
        "short_video: each platform preset needs its posting details "
        "(channels.short_video.posts.POSTING), and only those"
    )
REFRAME_CHOICES = [("blur", _("模糊背景")), ("crop", _("居中裁切"))]
STRICTER = _("比平台的上限更严时填写；0 为按平台上限")


@dataclass(frozen=True)
class ShortVideoSpec(Spec):
    platform: str = setting(
        "douyin",
        _("平台"),
        choices=lambda: [(name, preset.label) for name, preset in PLATFORMS.items()],
    )
    account: str = setting("", _("账号名称"), help_text=_("账号在平台上的名字"))
    reframe: str = setting(
        "blur",
        _("构图"),
        choices=REFRAME_CHOICES,
        help_text=_("横版素材放进竖版画面（或反过来）时怎样补足"),
    )
    topics: tuple[str, ...] = setting(
        (), _("账号话题"), help_text=_("每条都带的 #话题，用空格或逗号分隔")
    )
    title_chars: int = setting(0, _("标题字数上限"), unit=_("字"), help_text=STRICTER)
    caption_chars: int = setting(0, _("简介字数上限"), unit=_("字"), help_text=STRICTER)
    max_topics: int = setting(0, _("话题个数上限"), unit=_("个"), help_text=STRICTER)
    require_subtitles: bool = setting(
        False, _("必须有字幕"), help_text=_("平台本身不要求字幕时，本账号也要求")
    )
    # Posted by hand (delivery 无): flagged on the dashboard when not marked
    # 已发布 this many hours after its time.
    post_within_hours: int = setting(
        24,
        _("发布期限"),
        unit=_("小时"),
        help_text=_("人工发布的账号，过了刊播时间这么久仍未标记已发布就提醒"),
    )

    def validate(self) -> dict[str, str]:
        if self.platform not in PLATFORMS:
            names = "、".join(PLATFORMS)
            message = gettext("未知的平台「%(platform)s」（可选：%(names)s）")
            return {"platform": message % {"platform": self.platform, "names": names}}
        if self.reframe not in REFRAMES:
            message = gettext("构图方式应为 blur（模糊背景）或 crop（居中裁切）")
            return {"reframe": message}
        if not isinstance(self.topics, list | tuple) or not all(
            isinstance(topic, str) for topic in self.topics
        ):
            return {"topics": gettext('账号话题应为文字列表，如 ["科普"]')}
        types = get_type_hints(type(self))
        for spec_field in fields(self):
            name = spec_field.name
            value = getattr(self, name)
            if types[name] is not int:
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                message = gettext("%(label)s（%(name)s）应为不小于 0 的整数")
                label = spec_field.metadata["label"]
                return {name: message % {"label": label, "name": name}}
        if not isinstance(self.require_subtitles, bool):
            message = gettext("require_subtitles 应为 true 或 false")
            return {"require_subtitles": message}
        return self.title_limit_problem()

    def title_limit_problem(self) -> dict[str, str]:
        platform = PLATFORMS[self.platform]
        if not self.title_chars or self.title_chars >= platform.title_min_chars:
            return {}
        message = gettext(
            "标题字数上限 %(limit)s 低于%(platform)s要求的最少 %(lowest)s 字"
        )
        values = {"limit": self.title_chars, "lowest": platform.title_min_chars}
        return {"title_chars": message % {**values, "platform": platform.label}}

    @property
    def preset(self) -> VideoPreset:
        platform = PLATFORMS[self.platform]
        return replace(
            platform,
            requires_subtitles=platform.requires_subtitles or self.require_subtitles,
            title_chars=stricter(platform.title_chars, self.title_chars),
            caption_chars=stricter(platform.caption_chars, self.caption_chars),
            max_topics=stricter(platform.max_topics, self.max_topics),
        )


def stricter(platform_limit: int, account_limit: int) -> int:
    limits = [limit for limit in (platform_limit, account_limit) if limit]
    return min(limits, default=0)


@register
class ShortVideoAdapter(ChannelAdapter):
    key = "short_video"
    label = _("短视频")
    spec_class = ShortVideoSpec
    calendar_colour = "#c2185b"
    refused_deliveries = {
        "email": _(
            "短视频发布包含整段视频，邮件一般发不出去：请选文件夹、SFTP、"
            "HTTP 回调，或不推送（在短视频待发布里人工发布）"
        )
    }
    preview_label = _("短视频文案")

    def admin_viewsets(self) -> list:
        return [PostsViewSet]

    def correct(self, advisory, outlets) -> list[Recipient]:
        """An account posted by hand gets its operator's task, with the
        posts' addresses, and its packages still waiting in 待发布 are made
        again from the corrected item; one that takes packages by folder,
        SFTP or webhook is told its own way."""
        recipients = []
        for outlet in outlets:
            recipient = self.tell_account(advisory, outlet)
            if outlet.delivery == Outlet.Delivery.NONE:
                render_again(unposted(advisory, outlet))
            recipients.append(recipient)
        return recipients

    def withdraw(self, advisory, outlets) -> list[Recipient]:
        """As correct(), but a withdrawn item's packages leave 待发布."""
        return [self.tell_account(advisory, outlet) for outlet in outlets]

    def tell_account(self, advisory, outlet) -> Recipient:
        if outlet.delivery != Outlet.Delivery.NONE:
            return self.tell(advisory, outlet)
        return Recipient(
            name=str(outlet),
            reference=f"outlet:{outlet.pk}",
            sent=account_task(advisory, outlet),
            sender=AWAIT_OPERATOR,
            outlet=outlet,
        )

    def render_progress(self, placement) -> RenderProgress | None:
        """The export this placement is making or waiting for."""
        video = getattr(placement.page.specific, "video", None)
        if video is None:
            return None
        spec = placement.outlet.parsed_spec
        job = (
            ExportJob.objects.filter(
                media=video,
                preset=spec.preset.name,
                reframe=spec.reframe,
                status__in=ExportJob.ACTIVE,
            )
            .order_by("-pk")
            .first()
        )
        if job is None:
            return None
        label = gettext("正在导出%(platform)s版（%(status)s）") % {
            "platform": spec.preset.label,
            "status": job.get_status_display(),
        }
        return RenderProgress(label, job.progress, reverse("media_pipeline:jobs"))

    def check(self, item: Page, outlet) -> list[Problem]:
        item, spec = item.specific, outlet.parsed_spec
        video = getattr(item, "video", None)
        if video is None:
            message = gettext("没有视频，不能发布到%(platform)s账号") % {
                "platform": spec.preset.label
            }
            return [Problem("no_video", message)]
        return text_problems(item, spec) + media_problems(item, video, spec)

    def render(self, item: Page, outlet) -> Package:
        item, spec = item.specific, outlet.parsed_spec
        preset, stem = spec.preset, file_stem(item)
        rendition = exported_video(item, spec)
        caption = caption_of(item, spec)
        package = Package(
            summary={
                "platform": preset.name,
                "account": spec.account,
                "width": rendition.info["width"],
                "height": rendition.info["height"],
                "seconds": rendition.info["duration"],
                "rendition": rendition.pk,
            }
        )
        package.add(f"{stem}.{preset.name}.mp4", rendition.file, "video/mp4")
        package.add(f"{stem}.cover.jpg", cover(item, preset), "image/jpeg")
        package.add(f"{stem}.caption.txt", caption.text(), "text/plain; charset=utf-8")
        return package

    def preview_figures(self, item: Page, outlet) -> list[tuple[str, Any, bool]]:
        spec = outlet.parsed_spec
        topics = topic_names(item.specific, spec.topics)
        preset, caption = spec.preset, caption_for(item.specific, topics)
        title = limited(len(caption.title), preset.title_chars)
        description = limited(len(caption.description), preset.caption_chars)
        topic_count = limited(len(topics), preset.max_topics, _("个"))
        return [
            (_("平台"), preset.label, False),
            (_("标题"), title, over_title(caption, preset)),
            (_("简介"), description, over_caption(caption, preset)),
            (_("话题"), topic_count, over_topics(topics, preset)),
        ]

    def preview_context(self, item: Page, outlet) -> dict[str, Any]:
        spec = outlet.parsed_spec
        return {
            "caption": caption_of(item.specific, spec),
            "preset": spec.preset,
            "account": spec.account,
        }


def caption_of(item, spec: ShortVideoSpec) -> Caption:
    return caption_for(item, topic_names(item, spec.topics))


def limited(count: int, limit: int, unit: str = _("字")) -> str:
    if not limit:
        return f"{count} {unit}"
    return f"{count} / {limit} {unit}"


def over_title(caption: Caption, preset: VideoPreset) -> bool:
    length = len(caption.title)
    too_long = preset.title_chars and length > preset.title_chars
    return bool(too_long or length < preset.title_min_chars)


def over_caption(caption: Caption, preset: VideoPreset) -> bool:
    limit = preset.caption_chars
    return bool(limit and len(caption.description) > limit)


def over_topics(topics: list[str], preset: VideoPreset) -> bool:
    return bool(preset.max_topics and len(topics) > preset.max_topics)


def text_problems(item, spec: ShortVideoSpec) -> list[Problem]:
    preset, topics = spec.preset, topic_names(item, spec.topics)
    caption = caption_for(item, topics)
    names = {"platform": preset.label}
    problems = []
    if over_title(caption, preset):
        message = gettext(
            "标题 %(count)s 字，%(platform)s要求 %(low)s 到 %(high)s 字"
        ) % {**names, "count": len(caption.title), "low": preset.title_min_chars or 1,
             "high": preset.title_chars}  # fmt: skip
        problems.append(Problem("title_length", message))
    if over_caption(caption, preset):
        message = gettext(
            "简介（含话题、来源和原文链接）%(count)s 字，"
            "超过%(platform)s上限 %(limit)s 字"
        ) % {**names, "count": len(caption.description), "limit": preset.caption_chars}
        problems.append(Problem("caption_too_long", message))
    if over_topics(topics, preset):
        message = gettext("话题 %(count)s 个，超过%(platform)s上限 %(limit)s 个") % {
            **names,
            "count": len(topics),
            "limit": preset.max_topics,
        }
        problems.append(Problem("too_many_topics", message))
    return problems


def media_problems(item, video, spec: ShortVideoSpec) -> list[Problem]:
    """The export check on the video's stored probe (read after upload)."""
    if not video.file:
        return [Problem("no_video", gettext("视频文件缺失"))]
    probed = MediaProbe.objects.filter(
        media=video, source_version=source_version(video.file)
    ).first()
    if probed is None:
        message = gettext(
            "还没有读取到视频的媒体信息（上传后自动读取），生成前会再检查"
        )
        return [Problem("not_probed", message, warning=True)]
    if probed.error:
        return [Problem("unreadable", probed.error)]
    info, preset = probed.info(), spec.preset
    has_subtitles = item.subtitles_id is not None
    refused = check(info, preset, has_subtitles=has_subtitles, reframe=spec.reframe)
    noticed = cautions(info, preset, spec.reframe)
    return [Problem(p.code, p.render(gettext)) for p in refused] + [
        Problem(p.code, p.render(gettext), warning=True) for p in noticed
    ]


def exported_video(item, spec: ShortVideoSpec):
    """The item's video exported for the platform: a rendition made earlier
    with the same settings, or one exported now in this process."""
    preset = spec.preset
    if replaced := replaced_since_review([item.video, item.subtitles]):
        message = gettext(
            "「%(files)s」在审核通过后换了文件，新文件要随内容重新审核通过后才能发布"
        )
        raise Refused(message % {"files": "」「".join(replaced)})
    result = request_export(
        item.video, preset.name, spec.reframe, item.title, item.subtitles, None,
        run_here=True,
    )  # fmt: skip
    reasons = "；".join(problem.render(gettext) for problem in result.problems)
    if any(problem.code == "not_probed" for problem in result.problems):
        raise NotReady(reasons)
    if result.outcome == "refused":
        raise Refused(reasons)
    if result.outcome == "reused":
        return result.rendition
    job = result.job
    job.refresh_from_db()
    names = {"platform": preset.label, "media": item.video.title}
    if job.status == ExportJob.Status.SUCCEEDED:
        return job.rendition
    if job.is_active:
        message = gettext(
            "「%(media)s」的%(platform)s版正在导出（%(progress)s%%），完成后交付"
        )
        raise NotReady(message % {**names, "progress": job.progress})
    if job.status == ExportJob.Status.CANCELLED:
        raise Refused(gettext("「%(media)s」的%(platform)s版导出已被取消") % names)
    if job.status == ExportJob.Status.REFUSED:
        message = gettext("「%(media)s」的%(platform)s版导出被拒绝：%(error)s")
        raise Refused(message % {**names, "error": job.error})
    message = gettext("「%(media)s」的%(platform)s版导出失败：%(error)s")
    raise NotReady(message % {**names, "error": job.error})


def replaced_since_review(files) -> list[str]:
    """Titles of the files (set to their approved versions by
    with_approved_files) whose stored file has been replaced since: an
    export job reads the stored one."""
    return [
        obj.title
        for obj in files
        if obj is not None
        and type(obj).objects.filter(pk=obj.pk).values_list("file", flat=True).first()
        != obj.file.name
    ]


def cover(item, preset: VideoPreset) -> bytes:
    """The cover at the platform's ratio over the video's poster frame."""
    thumbnail = item.video.thumbnail
    with tempfile.TemporaryDirectory(prefix="kepu-cover-") as folder:
        out = Path(folder) / "cover.jpg"
        if thumbnail:
            with local_file(thumbnail) as background:
                render_cover(item.title, preset, out, background=background)
        else:
            render_cover(item.title, preset, out)
        return out.read_bytes()
