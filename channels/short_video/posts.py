"""The assisted lane: a rendered post waits in 待发布 for the account's
operator, who downloads it, posts it on the platform by hand and records the
post's address here. The address is checked against the platform's link
forms (house patterns, read off the share links the apps and sites gave in
2025), kept on the placement, and listed when the item is corrected or
withdrawn so that the operator knows what to take down."""

import re
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from channels.models import Outlet, Placement
from cms.organisations import EVERYTHING, Scope
from cms.pages import visible_pages

CHANNEL = "short_video"


@dataclass(frozen=True)
class Platform:
    label: str
    upload_url: str  # where the operator posts by hand
    addresses: tuple[re.Pattern, ...]
    example: str


def links(*patterns: str) -> tuple[re.Pattern, ...]:
    return tuple(
        re.compile(rf"https://{pattern}/?(\?.*)?", re.ASCII) for pattern in patterns
    )


POSTING = {
    "douyin": Platform(
        _("抖音"),
        "https://creator.douyin.com/creator-micro/content/upload",
        links(
            r"www\.douyin\.com/video/\d{8,25}", r"v\.douyin\.com/[A-Za-z0-9_-]{4,20}"
        ),
        "https://www.douyin.com/video/7301234567890123456",
    ),
    "kuaishou": Platform(
        _("快手"),
        "https://cp.kuaishou.com/article/publish/video",
        links(
            r"www\.kuaishou\.com/short-video/[A-Za-z0-9_-]{6,40}",
            r"v\.kuaishou\.com/[A-Za-z0-9_-]{4,20}",
        ),
        "https://www.kuaishou.com/short-video/3xabcdefghijkmn",
    ),
    "wechat_channels": Platform(
        _("视频号"),
        "https://channels.weixin.qq.com/platform/post/create",
        links(
            r"weixin\.qq\.com/sph/[A-Za-z0-9_-]{4,40}",
            r"channels\.weixin\.qq\.com/(?!platform/)[A-Za-z0-9_/.=&-]{4,200}",
        ),
        "https://weixin.qq.com/sph/AbCdEf123",
    ),
    "bilibili": Platform(
        _("哔哩哔哩"),
        "https://member.bilibili.com/platform/upload/video/frame",
        links(
            r"www\.bilibili\.com/video/BV[0-9A-Za-z]{10}", r"b23\.tv/[A-Za-z0-9]{4,12}"
        ),
        "https://www.bilibili.com/video/BV1xx411c7mD",
    ),
    "toutiao": Platform(
        _("今日头条"),
        "https://mp.toutiao.com/profile_v4/xigua/upload-video",
        links(
            r"www\.toutiao\.com/video/\d{8,25}",
            r"m\.toutiao\.com/is/[A-Za-z0-9_-]{4,20}",
            r"www\.ixigua\.com/\d{8,25}",
        ),
        "https://www.toutiao.com/video/7301234567890123456/",
    ),
}


class MarkRefused(ValueError):
    """Why a post cannot be marked 已发布, in Chinese."""


class BadAddress(MarkRefused):
    """A post address the platform would not have given; the message names
    the platform's link form."""


def checked_address(platform: str, text: str) -> str:
    address = text.strip()
    known = POSTING[platform]
    if not address:
        raise BadAddress(
            gettext("请填写作品在%(platform)s上的地址") % {"platform": known.label}
        )
    limit = Placement._meta.get_field("post_address").max_length
    if len(address) > limit:
        message = gettext(
            "地址过长（%(count)s 个字符，最多 %(limit)s 个），请去掉分享参数"
        )
        raise BadAddress(message % {"count": len(address), "limit": limit})
    if not any(pattern.fullmatch(address) for pattern in known.addresses):
        message = gettext(
            "「%(address)s」不是%(platform)s作品的地址，应形如 %(example)s"
        )
        values = {
            "address": address[:80],
            "platform": known.label,
            "example": known.example,
        }
        raise BadAddress(message % values)
    return address


def assisted_posts(scope: Scope = EVERYTHING) -> QuerySet:
    """Placements on short-video accounts that are posted by hand (of the
    scope's outlets: a user's organisations')."""
    return Placement.objects.filter(
        scope.q("outlet__owner"),
        outlet__channel=CHANNEL,
        outlet__delivery=Outlet.Delivery.NONE,
        advisory__isnull=True,
    ).select_related("page", "outlet")


def waiting_posts(scope: Scope = EVERYTHING) -> QuerySet:
    """待发布: rendered, downloaded or not, and not yet marked as posted; an
    item withdrawn, unpublished or expired since is not to be posted."""
    return (
        assisted_posts(scope)
        .filter(status=Placement.Status.DELIVERED, post_address="")
        .filter(page__in=visible_pages())
        .order_by("scheduled_at", "pk")
    )


def post_due_by(placement: Placement):
    hours = placement.outlet.parsed_spec.post_within_hours
    return placement.scheduled_at + timedelta(hours=hours)


def overdue_posts(scope: Scope = EVERYTHING) -> list[Placement]:
    """Waiting longer after their time than their account allows."""
    now = timezone.now()
    return [p for p in waiting_posts(scope) if post_due_by(p) < now]


def mark_posted(placement: Placement, text: str, user) -> str:
    """Record where the post went, once (MarkRefused when it cannot be)."""
    if placement.status != Placement.Status.DELIVERED:
        raise MarkRefused(gettext("还没有生成发布包，不能标记为已发布"))
    if not visible_pages().filter(pk=placement.page_id).exists():
        raise MarkRefused(
            gettext("「%(title)s」已撤回或下线，请不要发布；如已发布，请在平台下架")
            % {"title": placement.page.title}
        )
    address = checked_address(placement.outlet.parsed_spec.platform, text)
    now = timezone.now()
    marked = Placement.objects.filter(pk=placement.pk, post_address="").update(
        post_address=address, posted_at=now, posted_by=user
    )
    if not marked:
        placement.refresh_from_db()
        raise MarkRefused(already_marked(placement))
    placement.post_address, placement.posted_at, placement.posted_by = (
        address,
        now,
        user,
    )
    placement.record(placement.status, user, note=gettext("已发布：%s") % address)
    return address


def already_marked(placement: Placement) -> str:
    message = gettext("「%(title)s」已由%(user)s于 %(at)s 标记为已发布：%(address)s")
    return message % {
        "title": placement.page.title,
        "user": placement.posted_by or gettext("系统"),
        "at": f"{timezone.localtime(placement.posted_at):%Y-%m-%d %H:%M}",
        "address": placement.post_address,
    }


def account_task(advisory, outlet: Outlet) -> str:
    """What the account's operator must do for a correction or withdrawal,
    with the address of each post of the item on the account."""
    posts = delivered_posts(advisory, outlet).order_by("scheduled_at")
    action = advisory_action(advisory, outlet.name)
    return "\n".join([action, gettext("作品："), *map(post_line, posts)])


def advisory_action(advisory, where: str) -> str:
    """下架, or correct the caption, of the item's video on a platform or
    an account."""
    names = {"where": where, "title": advisory.title}
    if advisory.is_withdrawal:
        action = gettext("请在%(where)s下架《%(title)s》的视频") % names
        if advisory.reason:
            action += gettext("（撤回原因：%(reason)s）") % {"reason": advisory.reason}
    else:
        action = gettext(
            "请在%(where)s更正《%(title)s》视频的标题、简介（文案）："
            "原文“%(wrong)s”，应为“%(right)s”"
        ) % {**names, "wrong": advisory.wrong, "right": advisory.right}
    return action + "。"


def post_line(placement: Placement) -> str:
    when = f"{timezone.localtime(placement.scheduled_at):%Y-%m-%d %H:%M}"
    if placement.post_address:
        return f"· {when} {placement.post_address}"
    return gettext(
        "· %(when)s 的发布包未标记为已发布：如已发到平台，请在账号内找到它"
    ) % {"when": when}


def delivered_posts(advisory, outlet: Outlet) -> QuerySet:
    """The item's packages made for the account, posted or not."""
    return Placement.objects.filter(
        outlet=outlet,
        page_id=advisory.page_id,
        advisory__isnull=True,
        status=Placement.Status.DELIVERED,
    )


def unposted(advisory, outlet: Outlet) -> QuerySet:
    return delivered_posts(advisory, outlet).filter(post_address="")


def render_again(placements: QuerySet) -> None:
    """Packages waiting in 待发布 made before a correction: back to planned,
    so that the worker makes them again from the corrected item."""
    for placement in placements:
        placement.delivered_at = placement.next_attempt_at = None
        placement.attempts, placement.error = 0, ""
        note = gettext("内容已更正，发布包将按更正后的内容重新生成")
        placement.record(Placement.Status.PLANNED, note=note)
        placement.save()
