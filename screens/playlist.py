"""A screen's loop, resolved from its group and every ancestor group.

Rules:
1. Order: the province's items first, then the city's, the county's and
   the site's (ancestors before descendants, along the screen's lineage);
   within one group, by the group's own order (sort_order, dragged in the
   admin).
2. A lower group adds items; it can hide an inherited item only when the
   item is not locked ("下级不可隐藏" unticked) — a locked item plays on every
   screen under its group whatever a lower group says. A group hides an
   item for itself and everything below it.
3. Only items whose page is visible (cms.pages.visible_pages: live — hence
   approved — public, not expired) reach a playlist; image items need no
   page. Items whose date window has ended are left out; the date window
   and day parts of the rest are sent to the player, which applies them
   against its corrected clock (plays_at() in schedule.py is the same rule
   for the admin preview).
4. A video plays its screen rendition (media pipeline preset
   screen_portrait for portrait screens if that preset exists, else
   screen_landscape, letterboxed by the player) of the media version its
   page was approved with (cms/files.py), never of a file replaced since;
   a video without one is left out and reported to the operator as a
   warning. A card is a PNG drawn for the article's live revision.
5. Emergency: an item set on a group is active from starts_at until
   ends_at unless cancelled, and replaces the loop of every screen in that
   group and below. When several are active, the one set on the nearest
   group wins, then the one that started last.
6. Addresses: the screens are anonymous browsers, so every address is a
   guarded door that answers only while the loop shows the file: a video's
   rendition through cms/file_views.py (files:rendition, by its page), an
   image through files:image (declared public by images_shown(), the
   `public_file_names` hook in wagtail_hooks.py), a card through
   card_views.py. Storage addresses (MEDIA_URL) are for staff only.

Resolving costs a constant number of queries whatever the number of groups,
screens and items (eight: two for the visible-pages rule, then items, hidden
items and the emergency, one each, then two for the approved media versions
of the video pages and one for their renditions): the lineage is read from
the group's stored path, not walked. The playlist API resolves a group's
loop only when something it depends on has changed (loops.py).
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePosixPath

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.images import get_image_model

from cms.file_views import image_url
from cms.files import FileKind, approved_files_of
from cms.pages import visible_pages
from media_pipeline.models import Rendition, version_of
from media_pipeline.presets import PRESETS
from screens.cards import article_card_url, emergency_card_url
from screens.models import (
    EmergencyItem,
    PlaylistItem,
    Screen,
    ScreenGroup,
)

SCREEN_PRESETS = {"landscape": "screen_landscape", "portrait": "screen_portrait"}
RELATED = (
    "page",
    "page__videopage__video",
    "page__articlepage",
    "image",
)


@dataclass(frozen=True)
class Warning:
    item: PlaylistItem
    message: str


@dataclass
class Loop:
    entries: list[dict] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)
    emergency: dict | None = None


def screen_preset(orientation: str) -> str:
    name = SCREEN_PRESETS.get(orientation, SCREEN_PRESETS["landscape"])
    return name if name in PRESETS else SCREEN_PRESETS["landscape"]


def visible(queryset, pages):
    """Annotate page_visible: whether the row's page is among `pages`
    (visible_pages(), built once per resolution: building it queries)."""
    return queryset.annotate(page_visible=Exists(pages.filter(pk=OuterRef("page_id"))))


def hidden_pairs(lineage: list[int]) -> set[tuple[int, int]]:
    through = ScreenGroup.hidden_items.through
    rows = through.objects.filter(screengroup_id__in=lineage)
    return set(rows.values_list("screengroup_id", "playlistitem_id"))


def is_hidden(item: PlaylistItem, lineage: list[int], hidden: set) -> bool:
    if item.locked:
        return False
    below = lineage[lineage.index(item.group_id) + 1 :]
    return any((group_id, item.pk) in hidden for group_id in below)


def not_ended(today: date) -> Q:
    """Items the playlist sends: those whose date window has not ended (the
    player applies the window's start and the day parts itself)."""
    return Q(ends_on__isnull=True) | Q(ends_on__gte=today)


def active_emergencies(now: datetime):
    return EmergencyItem.objects.filter(
        cancelled_at__isnull=True, starts_at__lte=now, ends_at__gt=now
    )


def lineage_items(lineage: list[int], today: date, pages) -> list[PlaylistItem]:
    """The lineage's items in play order, hidden ones and ended ones out;
    items of one group without an order of their own play in the order
    they were added (the database returns ties in any order)."""
    items = visible(
        PlaylistItem.objects.filter(not_ended(today), group_id__in=lineage),
        pages,
    ).select_related(*RELATED, "campaign")
    hidden = hidden_pairs(lineage)
    ordered = sorted(
        items,
        key=lambda item: (
            lineage.index(item.group_id),
            item.sort_order or 0,
            item.pk,
        ),
    )
    return [item for item in ordered if not is_hidden(item, lineage, hidden)]


def specific_video(page):
    return getattr(page, "videopage", None) if page else None


def specific_article(page):
    return getattr(page, "articlepage", None) if page else None


def media_of(item) -> object | None:
    video = specific_video(item.page)
    return video.video if video else None


def rendition_url(page_id: int, rendition: Rendition) -> str:
    filename = PurePosixPath(rendition.file.name).name
    return reverse(
        "files:rendition",
        args=[page_id, rendition.media_id, rendition.pk, filename],
    )


@dataclass(frozen=True)
class ScreenVideo:
    url: str
    # Its length to the nearest second (a video plays to its end); None
    # where the rendition's probe gave none.
    seconds: int | None


def screen_videos(videos: list[tuple], preset: str) -> dict[int, ScreenVideo]:
    """Page id → the screen rendition made from the media version each
    (page, media) pair's page was approved with, for the visible pages that
    have one. Three queries, none without videos."""
    approved = approved_files_of([page for page, _media in videos]) if videos else {}
    versions = {}
    for page, media in videos:
        stored = approved.get((page.pk, FileKind.MEDIA, media.pk))
        if stored is not None:
            versions[page.pk] = (media.pk, version_of(stored.name, stored.size))
    made = Rendition.objects.made_from(versions.values(), preset)
    return {
        page_id: ScreenVideo(
            rendition_url(page_id, made[version]),
            whole_seconds(made[version].info.get("duration")),
        )
        for page_id, version in versions.items()
        if version in made
    }


def whole_seconds(duration: float | None) -> int | None:
    return max(1, round(duration)) if duration else None


def image_address(image) -> str:
    """The public door of an operator-chosen image (images_shown())."""
    return image_url(image.pk, image.file.name)


def images_shown(now: datetime | None = None):
    """Images a screen shows now: those of image items that have not ended
    (each plays in its own group's loop) and of active emergencies."""
    now = now or timezone.now()
    items = PlaylistItem.objects.filter(
        not_ended(timezone.localdate(now)),
        kind=PlaylistItem.Kind.IMAGE,
        image_id=OuterRef("pk"),
    )
    emergencies = active_emergencies(now).filter(image_id=OuterRef("pk"))
    return get_image_model().objects.filter(Exists(items) | Exists(emergencies))


def item_url(item, orientation: str, videos: dict[int, str]) -> tuple[str, str]:
    """(url, "") for a playable item, ("", why) for one left out."""
    if item.kind == PlaylistItem.Kind.IMAGE:
        return (image_address(item.image), "") if item.image else ("", _("缺少图片"))
    if not getattr(item, "page_visible", False):
        return "", _("内容未发布或已过期")
    if item.kind == PlaylistItem.Kind.VIDEO:
        if media_of(item) is None:
            return "", _("不是科普视频或未上传视频")
        if item.page_id not in videos:
            return "", _("视频还没有可用的大屏版本（未导出或导出失败）")
        return videos[item.page_id].url, ""
    article = specific_article(item.page)
    if article is None:
        return "", _("文章卡片只能选择科普文章")
    return article_card_url(article, orientation), ""


def item_title(item) -> str:
    if item.title:
        return item.title
    return item.page.title if item.page else (item.image.title if item.image else "")


def entry(item: PlaylistItem, url: str, videos: dict[int, ScreenVideo]) -> dict:
    """A video's time is its own length (it plays to its end); an image's or
    a card's, the item's 时长."""
    video = videos.get(item.page_id) if item.kind == PlaylistItem.Kind.VIDEO else None
    return {
        "id": item.pk,
        "kind": item.kind,
        "title": item_title(item),
        "url": url,
        "duration_seconds": (video and video.seconds) or item.duration_seconds,
        "starts_on": item.starts_on.isoformat() if item.starts_on else None,
        "ends_on": item.ends_on.isoformat() if item.ends_on else None,
        "day_parts": item.day_parts or [],
        "campaign": item.campaign.name if item.campaign else None,
    }


def active_emergency(lineage: list[int], now: datetime, pages) -> EmergencyItem | None:
    candidates = visible(
        active_emergencies(now).filter(group_id__in=lineage), pages
    ).select_related(*RELATED)
    return max(
        candidates,
        key=lambda e: (lineage.index(e.group_id), e.starts_at, e.pk),
        default=None,
    )


def emergency_content(emergency, orientation: str, videos) -> tuple[str, str]:
    """(kind, url): its video, else its image, else its article's card,
    else a card of its own title and message."""
    page_visible = getattr(emergency, "page_visible", False)
    if page_visible and emergency.page_id in videos:
        return "video", videos[emergency.page_id].url
    if emergency.image:
        return "image", image_address(emergency.image)
    article = specific_article(emergency.page) if page_visible else None
    if article is not None:
        return "card", article_card_url(article, orientation)
    return "card", emergency_card_url(emergency, orientation)


def emergency_entry(emergency, orientation: str, videos) -> dict:
    kind, url = emergency_content(emergency, orientation, videos)
    return {
        "id": emergency.pk,
        "kind": kind,
        "title": emergency.title,
        "url": url,
        "duration_seconds": emergency.duration_seconds,
        "ends_at": timezone.localtime(emergency.ends_at).isoformat(),
    }


def resolve(group: ScreenGroup, orientation: str, now: datetime | None = None) -> Loop:
    """The loop and emergency for a screen of this orientation in `group`."""
    now = now or timezone.now()
    lineage = group.lineage_ids
    pages = visible_pages()
    items = lineage_items(lineage, timezone.localdate(now), pages)
    emergency = active_emergency(lineage, now, pages)
    shown = [item for item in items if item.kind == PlaylistItem.Kind.VIDEO]
    if emergency is not None:
        shown.append(emergency)
    videos = screen_videos(
        [
            (row.page, media)
            for row in shown
            if getattr(row, "page_visible", False)
            and (media := media_of(row)) is not None
        ],
        screen_preset(orientation),
    )
    loop = Loop()
    for item in items:
        url, problem = item_url(item, orientation, videos)
        if problem:
            loop.warnings.append(Warning(item, problem))
        else:
            loop.entries.append(entry(item, url, videos))
    if emergency is not None:
        loop.emergency = emergency_entry(emergency, orientation, videos)
    return loop


def resolve_for_screen(screen: Screen, now: datetime | None = None) -> Loop:
    return resolve(screen.group, screen.orientation, now)
