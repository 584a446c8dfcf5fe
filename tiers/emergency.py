"""应急科普 as a package: one reviewed item sent at once to every channel
and every organisation below the sender.

`launch` raises the alert (cms.alerts: the site's banner, the feeds, the
screens' takeover, urgent placements, partner and WebSub notices, each
done by its own app) and, in the same transaction, a package holding the
item whose tasks ask every organisation below for 签收 within minutes
(tiers.escalation goes to the parent as soon as one is missed).

`arrivals` reads, from the records each channel keeps, when the item
reached each channel and each organisation and when each acknowledged."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.models import Placement
from cms.alerts import AlertNotice, SiteAlert, raise_alert
from cms.organisations import Organisation
from feeds.models import FeedDefinition
from screens.models import EmergencyConfirmation, Screen
from tiers.models import PackageItem, PackageTask, ResourcePackage
from tiers.push import PushResult, below, push

DEFAULT_ACKNOWLEDGE_MINUTES = ResourcePackage.Window.HALF_HOUR


@dataclass(frozen=True)
class EmergencyOrder:
    sender: Organisation
    page: object  # a live, reviewed science item (wagtail Page)
    title: str
    message: str
    hours: int
    acknowledge_within: int
    user: object


def launch(order: EmergencyOrder) -> tuple[ResourcePackage, PushResult]:
    """The alert, its package and every task below the sender, at once;
    ValidationError (nothing saved) when the item may not go out."""
    now = timezone.now()
    ends_at = now + timedelta(hours=order.hours)
    PackageItem(page=order.page).clean()
    with transaction.atomic():
        alert = raise_alert(
            SiteAlert(
                title=order.title,
                message=order.message,
                page=order.page,
                owner=order.sender,
                starts_at=now,
                ends_at=ends_at,
                created_by=order.user,
            )
        )
        package = ResourcePackage.objects.create(
            title=_("应急科普：%(title)s") % {"title": order.title},
            instructions=order.message
            or _("立即签收，并在本单位各渠道转发、播放此应急科普内容"),
            starts_on=timezone.localdate(now),
            ends_on=timezone.localdate(ends_at),
            acknowledge_within=order.acknowledge_within,
            owner=order.sender,
            created_by=order.user,
            alert=alert,
        )
        PackageItem.objects.create(package=package, page=order.page)
        result = push(package, below(order.sender), order.user)
    return package, result


# Arrivals ----------------------------------------------------------------------


@dataclass
class Reach:
    """How many of a channel's (or an organisation's) recipients the item
    reached, and when the first and the last did."""

    total: int = 0
    arrived: int = 0
    first: datetime | None = None
    last: datetime | None = None

    def add(self, total: int, arrived: int, first, last) -> None:
        self.total += total
        self.arrived += arrived
        if first is not None:
            self.first = min(filter(None, (self.first, first)))
        if last is not None:
            self.last = max(filter(None, (self.last, last)))


@dataclass
class ChannelRow:
    name: str
    reach: Reach
    note: str = ""
    details: list = field(default_factory=list)  # placements or notices


@dataclass
class OrganisationRow:
    task: PackageTask
    depth: int
    screens: Reach = field(default_factory=Reach)
    placements: list = field(default_factory=list)
    notices: list = field(default_factory=list)

    def state(self, now: datetime) -> str:
        """acknowledged, overdue or waiting."""
        if self.task.acknowledged_at:
            return "acknowledged"
        return "overdue" if self.task.acknowledge_by < now else "waiting"

    @property
    def acknowledged_in(self) -> str:
        """How long after the push the organisation acknowledged."""
        task = self.task
        if not task.acknowledged_at:
            return ""
        minutes = int((task.acknowledged_at - task.pushed_at).total_seconds() // 60)
        if minutes < 1:
            return _("不到 1 分钟")
        return _("%(minutes)s 分钟") % {"minutes": minutes}


@dataclass
class Arrivals:
    package: ResourcePackage
    alert: SiteAlert
    channels: list[ChannelRow]
    organisations: list[OrganisationRow]
    acknowledged: int
    overdue: int


def screen_reach_by_owner(alert: SiteAlert) -> dict[int, Reach]:
    """Per owning organisation of the area: its screens (not revoked; one
    not paired yet counts, as not reached), every one under the takeover
    (screens.alerts takes over the area's topmost groups), and how many
    confirmed showing it (two grouped queries)."""
    screens = Screen.objects.filter(
        group__owner__path__startswith=alert.owner.path, revoked_at=None
    )
    totals = screens.values("group__owner_id").annotate(n=Count("pk"))
    confirmed = (
        EmergencyConfirmation.objects.filter(emergency__alert=alert, screen__in=screens)
        .values("screen__group__owner_id")
        .annotate(
            n=Count("screen_id", distinct=True),
            first=Min("confirmed_at"),
            last=Max("confirmed_at"),
        )
    )
    reach = defaultdict(Reach)
    for row in totals:
        reach[row["group__owner_id"]].total = row["n"]
    for row in confirmed:
        owner = row["screen__group__owner_id"]
        reach[owner].add(0, row["n"], row["first"], row["last"])
    return reach


def placement_reach(placements: list[Placement]) -> Reach:
    reach = Reach()
    for placement in placements:
        delivered = placement.delivered_at
        reach.add(1, 1 if delivered else 0, delivered, delivered)
    return reach


def notice_reach(notices: list[AlertNotice]) -> Reach:
    reach = Reach()
    told = (AlertNotice.State.SENT, AlertNotice.State.DELIVERED)
    for notice in notices:
        at = notice.attempted_at if notice.state in told else None
        reach.add(1, 1 if at else 0, at, at)
    return reach


def arrivals(package: ResourcePackage, now: datetime | None = None) -> Arrivals:
    now = now or timezone.now()
    alert = package.alert
    tasks = list(
        package.tasks.select_related("organisation", "acknowledged_by").order_by(
            "organisation__path"
        )
    )
    placements = list(
        Placement.objects.filter(alert=alert)
        .select_related("outlet__owner")
        .order_by("outlet__name")
    )
    notices = list(alert.notices.order_by("channel", "name"))
    screens = screen_reach_by_owner(alert)
    rows = organisation_rows(package, tasks, screens, placements, notices)
    return Arrivals(
        package=package,
        alert=alert,
        channels=channel_rows(alert, screens, placements, notices),
        organisations=rows,
        acknowledged=sum(1 for task in tasks if task.acknowledged_at),
        overdue=sum(
            1
            for task in tasks
            if not task.acknowledged_at and task.acknowledge_by < now
        ),
    )


def organisation_rows(package, tasks, screens, placements, notices):
    top = package.owner.path.count("/")
    placements_of, notices_of = defaultdict(list), defaultdict(list)
    for placement in placements:
        placements_of[placement.outlet.owner_id].append(placement)
    for notice in notices:
        notices_of[notice.organisation_id].append(notice)
    return [
        OrganisationRow(
            task=task,
            depth=task.organisation.path.count("/") - top - 1,
            screens=screens.get(task.organisation_id, Reach()),
            placements=placements_of[task.organisation_id],
            notices=notices_of[task.organisation_id],
        )
        for task in tasks
    ]


def channel_rows(alert, screens, placements, notices) -> list[ChannelRow]:
    feeds = FeedDefinition.objects.filter(
        active=True, owner__path__startswith=alert.owner.path
    ).count()
    screen_total = Reach()
    for reach in screens.values():
        screen_total.add(reach.total, reach.arrived, reach.first, reach.last)
    partners = [n for n in notices if n.channel == "partners"]
    hubs = [n for n in notices if n.channel == "websub"]
    start = alert.starts_at
    rows = [
        ChannelRow(_("网站横幅"), Reach(1, 1, start, start), _("全站每个页面顶部")),
        ChannelRow(
            _("订阅源置顶"),
            Reach(feeds, feeds, start, start) if feeds else Reach(),
            _("本单位及下级的订阅源、合作方接口"),
        ),
        ChannelRow(
            _("大屏接管"),
            screen_total,
            _("已确认 = 大屏心跳报告正在播放该应急内容"),
        ),
        ChannelRow(
            _("电台、报纸插播"),
            placement_reach(placements),
            _("接受应急插播的渠道；到达 = 已交付"),
            placements,
        ),
        ChannelRow(_("合作方通知"), notice_reach(partners), "", partners),
    ]
    if hubs:
        rows.append(ChannelRow(_("WebSub 推送"), notice_reach(hubs), "", hubs))
    return rows
