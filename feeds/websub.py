"""Pinging the WebSub hub the feeds announce (FEEDS_WEBSUB_HUB) when an
应急科普 alert (cms.alerts) puts its item first in the public feeds of its
area, so that subscribers fetch them at once rather than at their next
poll: one publish ping (hub.mode=publish, hub.url=…) per format address of
each feed, recorded as one AlertNotice row per feed. Private feeds are not
announced to a hub (it could not fetch them)."""

from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext

from cms import outbound
from cms.alerts import AlertNotice, NoticeRecipient, SiteAlert, record_notices
from cms.public_address import public_url
from feeds.models import FeedDefinition
from feeds.views import FORMATS

CHANNEL = "websub"
SENDER = "feeds.websub.ping_hub"
PING_DEADLINE_SECONDS = 10
PING_MAX_ANSWER_BYTES = 64 * 1024
State = AlertNotice.State


def public_feeds_in_area(alert: SiteAlert):
    return FeedDefinition.objects.filter(
        active=True,
        access=FeedDefinition.Access.PUBLIC,
        owner__path__startswith=alert.owner.path,
    ).select_related("owner")


def on_alert_raised(sender, alert: SiteAlert, **kwargs) -> None:
    if not settings.FEEDS_WEBSUB_HUB:
        return
    record_notices(
        alert,
        CHANNEL,
        [
            NoticeRecipient(feed.title, f"feed:{feed.pk}", feed.owner, SENDER)
            for feed in public_feeds_in_area(alert).order_by("slug")
        ],
    )


def topic_urls(feed: FeedDefinition) -> list[str]:
    return [
        public_url(reverse("feeds:feed", args=[feed.slug, name])) for name in FORMATS
    ]


def ping_hub(row: AlertNotice) -> tuple[str, str]:
    """One publish ping per format address; delivered when the hub took
    them all (2xx)."""
    feed = FeedDefinition.objects.filter(pk=int(row.reference.removeprefix("feed:")))
    feed = feed.first()
    if feed is None:
        return State.FAILED, gettext("订阅源已删除")
    hub = settings.FEEDS_WEBSUB_HUB
    for topic in topic_urls(feed):
        body = urlencode({"hub.mode": "publish", "hub.url": topic}).encode()
        try:
            answer = outbound.request(
                "POST",
                hub,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                body=body,
                deadline_seconds=PING_DEADLINE_SECONDS,
                max_bytes=PING_MAX_ANSWER_BYTES,
                redirects=0,
            )
        except outbound.OutboundError as error:
            return State.FAILED, gettext("通知 WebSub 中心失败：%(reason)s") % {
                "reason": error.message
            }
        if not 200 <= answer.status < 300:
            return State.FAILED, gettext("WebSub 中心返回 HTTP %(status)s") % {
                "status": answer.status
            }
    return State.DELIVERED, gettext("WebSub 中心已接收 %(count)s 个订阅地址") % {
        "count": len(FORMATS)
    }
