"""The demo's short-video accounts (抖音, 视频号, B站), posted by hand: each
with its next few videos planned; on 抖音 one video already rendered and
waiting in 待发布 (overdue), on 视频号 one marked 已发布 with its address.
The two are rendered here, through the channel's own queue, so that the
待发布 page has something to show before any worker has run."""

from dataclasses import dataclass
from datetime import time, timedelta

from django.utils import timezone

from channels.models import Outlet, Placement
from channels.queue import process_placement
from channels.short_video.posts import mark_posted
from cms.pages import VideoPage, visible_pages
from demo.outlets import next_slots, plan
from media_pipeline.models import MediaProbe, source_version
from media_pipeline.tasks import probe_media

UPCOMING = 3  # planned placements per account


@dataclass(frozen=True)
class Account:
    name: str
    platform: str
    weekdays: tuple[int, ...]
    at: time
    annual_target: int
    topics: tuple[str, ...] = ()
    earlier: str = ""  # "waiting" or "posted": a post due a day ago and more
    post_address: str = ""


ACCOUNTS = (
    Account(
        "科普全媒体·抖音号", "douyin", (1, 3, 5), time(19, 0), 150,
        topics=("科普",), earlier="waiting",
    ),
    Account(
        "科普全媒体·视频号", "wechat_channels", (2, 4), time(12, 0), 100,
        earlier="posted", post_address="https://weixin.qq.com/sph/A1b2C3d4E5",
    ),
    Account(
        "科普全媒体·B站", "bilibili", (6,), time(10, 0), 50,
        topics=("科普", "知识"),
    ),
)  # fmt: skip


def outlet_fields(account: Account) -> dict:
    return {
        "channel": "short_video",
        "organisation": "科普全媒体新媒体部",
        "spec": {
            "platform": account.platform,
            "account": "科普全媒体",
            "topics": list(account.topics),
        },
        "cadence": Outlet.Cadence.WEEKLY,
        "cadence_weekdays": list(account.weekdays),
        "cadence_time": account.at,
        "annual_target": account.annual_target,
        "delivery": Outlet.Delivery.NONE,
    }


def demo_videos() -> list[VideoPage]:
    return list(visible_pages(VideoPage.objects.all()).order_by("path"))


def ensure_probed() -> None:
    """The checks read each file's probe; the demo's are taken here rather
    than left for the worker."""
    for page in VideoPage.objects.select_related("video"):
        media = page.video
        version = source_version(media.file)
        if not MediaProbe.objects.filter(media=media, source_version=version).exists():
            probe_media.call(media.pk)


def post_earlier(outlet: Outlet, page: VideoPage, account: Account) -> None:
    """Render a post that was due 26 hours ago: past the 24 hours its
    account allows, so that a waiting one is flagged on the dashboard."""
    placement = plan(outlet, page, timezone.now() + timedelta(minutes=5))
    due = timezone.now() - timedelta(hours=26)
    Placement.objects.filter(pk=placement.pk).update(scheduled_at=due)
    process_placement.call(placement.pk)
    placement.refresh_from_db()
    if account.earlier == "posted":
        mark_posted(placement, account.post_address, None)


def load_short_video() -> str:
    ensure_probed()
    videos = demo_videos()
    outlets = placements = 0
    for number, account in enumerate(ACCOUNTS):
        outlet, created = Outlet.objects.get_or_create(
            name=account.name, defaults=outlet_fields(account)
        )
        if not created:
            continue
        outlets += 1
        # Each account starts at a different video, so the calendar varies.
        turn = videos[number:] + videos[:number]
        for page, when in zip(turn, next_slots(outlet, UPCOMING), strict=False):
            plan(outlet, page, when)
            placements += 1
        if account.earlier:
            post_earlier(outlet, turn[-1], account)
            placements += 1
    return f"short-video accounts: created {outlets}, placements created {placements}"
