"""The demo's 科普大屏: a province → city → county → site tree run by the
科协 offices, one not-yet-paired screen per site, playlists of demo videos
(with screen renditions made by the media pipeline at load time) and
article cards, a 全国科普日 campaign item and commuter/evening day parts."""

from contextlib import ExitStack
from dataclasses import asdict
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory

from django.core.files import File
from wagtail.models import Page

from cms.pages import ArticlePage, VideoPage, visible_pages
from cms.snippets import Campaign
from media_pipeline.export import export_command
from media_pipeline.models import (
    Rendition,
    export_options_key,
    local_file,
    source_version,
)
from media_pipeline.presets import SCREEN_LANDSCAPE
from media_pipeline.probe import probe
from media_pipeline.progress import run_ffmpeg
from screens.cards import first_image_id
from screens.models import PlaylistItem, Screen, ScreenGroup

SCREEN_VIDEOS = 3
WEEKDAYS = [1, 2, 3, 4, 5]
EVERY_DAY = [1, 2, 3, 4, 5, 6, 7]
COMMUTE = [{"days": WEEKDAYS, "start": "07:00", "end": "09:00"}]
EVENING = [{"days": EVERY_DAY, "start": "18:00", "end": "21:30"}]
SQUARE_HOURS = [{"days": EVERY_DAY, "start": "06:00", "end": "21:30"}]

# name, tier, parent name, operator, contact, phone
GROUPS = (
    ("吉林省", 1, None, "吉林省科学技术协会", "赵敏", "0431-88905566"),
    ("长春市", 2, "吉林省", "长春市科学技术协会", "孙浩", "0431-88776655"),
    ("农安县", 3, "长春市", "农安县科学技术协会", "刘洋", "0431-83221100"),
    ("农安火车站候车厅", 4, "农安县", "农安火车站", "高峰", "0431-83225566"),
    ("合隆镇村文化广场", 4, "农安县", "合隆镇人民政府", "李春生", "0431-83110022"),
    ("兴华社区服务中心", 4, "农安县", "兴华社区居委会", "王红", "0431-83336677"),
)
# name, site, location, orientation, opening hours
SCREENS = (
    ("候车厅大屏", "农安火车站候车厅", "二楼候车厅检票口上方", "landscape", None),
    ("文化广场大屏", "合隆镇村文化广场", "广场东侧舞台", "landscape", SQUARE_HOURS),
    ("社区竖屏", "兴华社区服务中心", "一楼办事大厅入口", "portrait", None),
)


def load_groups() -> tuple[dict[str, ScreenGroup], int]:
    groups: dict[str, ScreenGroup] = {}
    created = 0
    for name, tier, parent, operator, contact, phone in GROUPS:
        group, new = ScreenGroup.objects.get_or_create(
            name=name,
            tier=tier,
            defaults={
                "parent": groups.get(parent),
                "operator": operator,
                "contact_name": contact,
                "contact_phone": phone,
            },
        )
        groups[name], created = group, created + new
    return groups, created


def load_screen_rows(groups: dict[str, ScreenGroup]) -> int:
    created = 0
    for name, site, location, orientation, hours in SCREENS:
        portrait = orientation == "portrait"
        fields = {
            "location": location,
            "orientation": orientation,
            "width": 1080 if portrait else 1920,
            "height": 1920 if portrait else 1080,
        }
        if hours:
            fields["opening_hours"] = hours
        _screen, new = Screen.objects.get_or_create(
            name=name, group=groups[site], defaults=fields
        )
        created += new
    return created


def screen_rendition(page: VideoPage) -> bool:
    """Make the video's screen_landscape rendition if it has none, with the
    pipeline's own ffmpeg command for the preset, run here so that the demo's
    screens play as soon as it is loaded, before any worker has started."""
    media = page.video
    if Rendition.objects.current([media], SCREEN_LANDSCAPE.name):
        return False
    with ExitStack() as stack:
        source = stack.enter_context(local_file(media.file))
        work = Path(stack.enter_context(TemporaryDirectory(prefix="demo-screen-")))
        target = work / f"{media.pk}-screen_landscape-blur.mp4"
        info = probe(source)
        command = export_command(
            source, target, info, SCREEN_LANDSCAPE, (None, None), "blur"
        )
        run_ffmpeg(command, name=source.name, duration=info.duration)
        store_rendition(media, target)
    return True


def store_rendition(media, output: Path) -> Rendition:
    version = source_version(media.file)
    rendition = Rendition(
        media=media,
        preset=SCREEN_LANDSCAPE.name,
        reframe="blur",
        source_version=version,
        options_key=export_options_key("", None),
        info=asdict(probe(output)),
        size=output.stat().st_size,
    )
    name = f"{media.pk}-{SCREEN_LANDSCAPE.name}-blur-{version[:8]}.mp4"
    with output.open("rb") as stream:
        rendition.file.save(name, File(stream), save=False)
    rendition.save()
    return rendition


def demo_videos() -> list[VideoPage]:
    videos = visible_pages(VideoPage.objects.order_by("path"))
    return [video for video in videos if video.video_id][:SCREEN_VIDEOS]


def demo_articles() -> list[ArticlePage]:
    articles = visible_pages(ArticlePage.objects.order_by("path"))
    return [article for article in articles if first_image_id(article)]


def item(group: ScreenGroup, page: Page, kind: str, **fields) -> int:
    _item, created = PlaylistItem.objects.get_or_create(
        group=group, page=page, kind=kind, defaults=fields
    )
    return created


def campaign_card(groups: dict[str, ScreenGroup], articles: list[ArticlePage]) -> int:
    campaign = Campaign.objects.filter(name="全国科普日").first()
    article = next((a for a in articles if campaign and a.campaign == campaign), None)
    if article is None:
        return 0
    return item(
        groups["吉林省"],
        article,
        "card",
        duration_seconds=20,
        campaign=campaign,
        starts_on=campaign.start_date or date(2026, 9, 15),
        ends_on=campaign.end_date or date(2026, 9, 21),
        sort_order=0,
    )


def load_playlists(groups: dict[str, ScreenGroup]) -> tuple[int, int]:
    videos, articles = demo_videos(), demo_articles()
    rendered = sum(screen_rendition(video) for video in videos)
    created = campaign_card(groups, articles)
    for order, video in enumerate(videos[:2], start=1):
        created += item(
            groups["吉林省"], video, "video", duration_seconds=30, sort_order=order
        )
    cards = iter(article for article in articles if article.campaign is None)
    plan = (
        ("长春市", COMMUTE, False),
        ("农安县", EVENING, True),
        ("合隆镇村文化广场", [], True),
    )
    for order, (group, parts, locked) in enumerate(plan, start=1):
        if article := next(cards, None):
            created += item(
                groups[group],
                article,
                "card",
                duration_seconds=20,
                day_parts=parts,
                locked=locked,
                sort_order=order,
            )
    if len(videos) > 2:
        created += item(groups["农安火车站候车厅"], videos[2], "video", sort_order=1)
    return created, rendered


def load_screens() -> str:
    groups, groups_created = load_groups()
    screens_created = load_screen_rows(groups)
    items_created, rendered = load_playlists(groups)
    return (
        f"screens: groups created {groups_created}, screens created "
        f"{screens_created}, playlist items created {items_created}, "
        f"screen renditions made {rendered}"
    )
