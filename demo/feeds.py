"""The demo's partner feeds: a public feed of everything published (`all`)
and one partner feed per demo outlet, with a few past, delivered placements
so that each outlet's feed already holds the episodes it carried."""

from datetime import datetime, timedelta

from django.utils import timezone

from channels.models import Outlet, Placement
from cms.pages import ColumnEpisodePage, ColumnPage, visible_pages
from demo import content
from feeds.models import FeedDefinition

PAST_ISSUES = 2  # delivered placements per outlet
HISTORY_NOTE = "演示数据：往期已刊播"


def public_feed() -> bool:
    _feed, created = FeedDefinition.objects.get_or_create(
        slug="all",
        defaults={
            "title": "科普全媒体·全部内容",
            "description": "已发布的全部科普文章、视频与专栏节目（公开）",
            "item_count": 50,
            "full_text": True,
            "access": FeedDefinition.Access.PUBLIC,
        },
    )
    return created


def partner_feed(outlet: Outlet, column: content.ColumnData) -> bool:
    feed, created = FeedDefinition.objects.get_or_create(
        slug=f"partner-{column.slug}",
        defaults={
            "title": f"{column.title}（合作方订阅源）",
            "description": f"{column.outlet_name}已刊播的《{column.title}》各期",
            "item_count": 20,
            "full_text": True,
            "access": FeedDefinition.Access.PARTNER,
        },
    )
    if created:
        feed.outlets.set([outlet])
    return created


def past_slot(outlet: Outlet, weeks_ago: int) -> datetime:
    moment = timezone.localtime() - timedelta(weeks=weeks_ago)
    if outlet.cadence_time:
        moment = moment.replace(
            hour=outlet.cadence_time.hour,
            minute=outlet.cadence_time.minute,
            second=0,
            microsecond=0,
        )
    return moment


def place_past_issues(outlet: Outlet, column: ColumnPage) -> int:
    """Earlier episodes of the column as carried by the outlet, each in an
    earlier week (history, so they are created delivered, without checks)."""
    if outlet.placements.filter(scheduled_at__lte=timezone.now()).exists():
        return 0
    episodes = visible_pages(column.get_children()).type(ColumnEpisodePage)
    oldest = episodes.exclude(placements__outlet=outlet).order_by("path")
    created = 0
    for weeks_ago, page in enumerate(oldest[:PAST_ISSUES], start=1):
        placement = Placement.objects.create(
            page=page,
            outlet=outlet,
            scheduled_at=past_slot(outlet, PAST_ISSUES + 1 - weeks_ago),
            status=Placement.Status.DELIVERED,
            delivered_at=timezone.now(),
        )
        placement.record(Placement.Status.DELIVERED, note=HISTORY_NOTE)
        created += 1
    return created


def load_feeds() -> str:
    feeds = int(public_feed())
    placements = 0
    for column_data in content.COLUMNS:
        outlet = Outlet.objects.filter(name=column_data.title).first()
        column = ColumnPage.objects.filter(slug=column_data.slug).first()
        if outlet is None or column is None:
            continue
        feeds += partner_feed(outlet, column_data)
        placements += place_past_issues(outlet, column)
    return f"feeds: created {feeds}, past placements created {placements}"
