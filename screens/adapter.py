"""The 科普大屏 channel: an Outlet whose channel is big_screen stands for a
screen group (ScreenGroup.outlet). A placement on it puts the page into the
group's loop from the placement's date: render() draws the article's card
(or finds the video's screen rendition) and adds the playlist item. The
package gives the rendition's public door (files:rendition), which answers
while the page is visible, as the screens' playlist does. On a correction or
withdrawal the recipients are the groups whose loops had the item, each
screen confirming it took the changed loop (screens/advisories.py)."""

import json
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from channels.base import (
    ChannelAdapter,
    Package,
    Problem,
    Recipient,
    Spec,
    file_stem,
    setting,
)
from channels.registry import register
from cms.files import FileKind, approved_file
from cms.pages import visible_pages
from media_pipeline.models import Rendition, version_of
from screens import advisories
from screens.cards import (
    article_card_name,
    article_card_url,
    first_image_id,
    key_points,
)
from screens.models import PlaylistItem, ScreenGroup
from screens.playlist import rendition_url, screen_preset

ORIENTATIONS = ("landscape", "portrait")


@dataclass(frozen=True)
class BigScreenSpec(Spec):
    duration_seconds: int = setting(
        20,
        _("每项播放时长"),
        unit=_("秒"),
        help_text=_("文章卡片显示这么久；视频完整播放一遍，不受此限"),
    )

    def validate(self) -> dict[str, str]:
        if not 3 <= self.duration_seconds <= 3600:
            message = gettext("每项播放时长应在 3 到 3600 秒之间")
            return {"duration_seconds": message}
        return {}


def group_of(outlet) -> ScreenGroup | None:
    return ScreenGroup.objects.filter(outlet=outlet).first()


def kind_of(item: Page) -> str | None:
    if hasattr(item, "video") and hasattr(item, "summary"):
        return PlaylistItem.Kind.VIDEO
    if hasattr(item, "standfirst"):
        return PlaylistItem.Kind.CARD
    return None


def landscape_rendition(page) -> Rendition | None:
    """The landscape screen rendition the screens would play, which check()
    asks for and render() packages: of the media version a visible page was
    approved with; of a page not visible yet, of its file as stored now
    (which approving it records)."""
    preset = screen_preset("landscape")
    if page.video is None:
        return None
    approved = approved_file(page.pk, FileKind.MEDIA, page.video.pk)
    if approved is not None:
        version = (page.video.pk, version_of(approved.name, approved.size))
        return Rendition.objects.made_from([version], preset).get(version)
    if visible_pages().filter(pk=page.pk).exists():
        return None
    renditions = Rendition.objects.current([page.video], preset)
    return next(iter(renditions.values()), None)


def placement_date(item: Page, outlet):
    from channels.models import Placement

    placement = (
        Placement.objects.filter(page=item, outlet=outlet)
        .order_by("-scheduled_at")
        .first()
    )
    moment = placement.scheduled_at if placement else timezone.now()
    return timezone.localdate(moment)


@register
class BigScreenAdapter(ChannelAdapter):
    key = "big_screen"
    label = _("科普大屏")
    calendar_colour = "#0f7b5f"
    spec_class = BigScreenSpec

    def check(self, item: Page, outlet) -> list[Problem]:
        item = item.specific
        problems = []
        if group_of(outlet) is None:
            message = gettext("这个渠道账号还没有关联大屏分组")
            problems.append(Problem("no_group", message))
        kind = kind_of(item)
        if kind is None:
            message = gettext("大屏只播放科普视频和科普文章")
            problems.append(Problem("unsupported", message))
        elif kind == PlaylistItem.Kind.VIDEO:
            if not landscape_rendition(item):
                problems.append(
                    Problem(
                        "no_screen_rendition",
                        gettext("视频还没有可用的大屏版本，请先导出「大屏（横）」"),
                    )
                )
        else:
            if not item.standfirst.strip():
                message = gettext("文章缺少导语，卡片无要点")
                problems.append(Problem("no_standfirst", message))
            if first_image_id(item) is None:
                message = gettext("文章正文没有图片，卡片缺少配图")
                problems.append(Problem("no_image", message))
        return problems

    def render(self, item: Page, outlet) -> Package:
        item, group = item.specific, group_of(outlet)
        kind = kind_of(item)
        playlist_item, created = PlaylistItem.objects.get_or_create(
            group=group,
            page=item,
            kind=kind,
            defaults={
                "duration_seconds": outlet.parsed_spec.duration_seconds,
                "starts_on": placement_date(item, outlet),
                "campaign": item.campaign,
            },
        )
        summary = {
            "group": str(group),
            "playlist_item": playlist_item.pk,
            "new_item": created,
            "starts_on": str(playlist_item.starts_on or ""),
        }
        package = Package(summary=summary)
        if kind == PlaylistItem.Kind.VIDEO:
            rendition = landscape_rendition(item)
            url = rendition_url(item.pk, rendition)
            info = {"url": url, "size": rendition.size, **summary}
            package.add(
                f"{file_stem(item)}.screen.json",
                json.dumps(info, ensure_ascii=False, indent=2),
                "application/json",
            )
            return package
        for orientation in ORIENTATIONS:
            article_card_url(item, orientation)
            name = article_card_name(item.pk, item.live_revision_id, orientation)
            with default_storage.open(name) as png:
                package.add(
                    f"{file_stem(item)}.card-{orientation}.png", png.read(), "image/png"
                )
        summary["key_points"] = list(key_points(item))
        return package

    def correct(self, advisory, outlets) -> list[Recipient]:
        """The groups whose loops had the item, however it got there (not
        only the outlets a placement reached): their loops show the
        corrected version at the next poll."""
        return advisories.recipients(advisory)

    def withdraw(self, advisory, outlets) -> list[Recipient]:
        """The groups whose loops had the item: it leaves them at the next
        poll and each screen deletes its cached files."""
        return advisories.recipients(advisory)
