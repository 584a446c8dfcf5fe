"""The demo's organisations and a resource package: 吉林省科协 with two
cities and four counties, the sites of the screen tree under 农安县科协, a
county editor (kepu_county, 农安县科协), and 防灾减灾日资源包 pushed last week
to every county and site with a mix of receipts — acknowledged and proven
by plays, acknowledged late and proven by hand, acknowledged only, and
overdue; and 应急科普 issued by the province three days ago for six hours
(a typhoon warning), with the screens' confirmations, one urgent radio
break-in and the organisations' acknowledgements, some late and one missed.
Idempotent: an installation whose root was renamed keeps its name."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from wagtail.models import Collection

from channels.models import Outlet, Placement
from cms.alerts import SiteAlert
from cms.organisation_rights import sync_rights
from cms.organisations import ROOT_NAME, Organisation, root_organisation
from cms.pages import ContentIndexPage, HomePage, visible_pages
from cms.snippets import Campaign
from screens.models import (
    EmergencyConfirmation,
    EmergencyItem,
    PlaylistItem,
    PlayRecord,
    Screen,
    ScreenGroup,
)
from tiers.emergency import EmergencyOrder, launch
from tiers.models import LandingEvidence, PackageItem, ResourcePackage
from tiers.push import push, recipients

Tier = Organisation.Tier
PROVINCE = "吉林省科协"
# name, tier, parent, contact, phone, the screen group it owns
ORGANISATIONS = (
    ("长春市科协", Tier.CITY, PROVINCE, "孙浩", "0431-88776655", "长春市"),
    ("农安县科协", Tier.COUNTY, "长春市科协", "刘洋", "0431-83221100", "农安县"),
    (
        "农安火车站",
        Tier.SITE,
        "农安县科协",
        "高峰",
        "0431-83225566",
        "农安火车站候车厅",
    ),
    ("合隆镇", Tier.SITE, "农安县科协", "李春生", "0431-83110022", "合隆镇村文化广场"),
    ("兴华社区", Tier.SITE, "农安县科协", "王红", "0431-83336677", "兴华社区服务中心"),
    ("德惠市科协", Tier.COUNTY, "长春市科协", "陈立", "0431-87223344", None),
    ("松原市科协", Tier.CITY, PROVINCE, "马琳", "0438-6112233", None),
    ("前郭县科协", Tier.COUNTY, "松原市科协", "包文", "0438-2213344", None),
    ("乾安县科协", Tier.COUNTY, "松原市科协", "于海", "0438-5821122", None),
)
COUNTY_GROUP = "农安县科协·编辑"
COUNTY_EDITOR = "kepu_county"
COUNTY_PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    ("channels", "view_outlet"),
    *(
        (app, f"{action}_{model}")
        for app, model in [
            ("channels", "placement"),
            ("big_screen", "screengroup"),
            ("big_screen", "screen"),
            ("tiers", "resourcepackage"),
            ("tiers", "packagetask"),
        ]
        for action in ("add", "change", "view")
    ),
]
PACKAGE = "防灾减灾日资源包"
EMERGENCY = "台风橙色预警：今夜起减少外出"
EMERGENCY_ITEM = "台风来临前，家里要做好哪几件事"
# minutes after the push each organisation acknowledged (德惠 never did)
EMERGENCY_ACKNOWLEDGED = {
    "长春市科协": 4,
    "农安县科协": 9,
    "农安火车站": 12,
    "合隆镇": 17,
    "兴华社区": 26,
    "松原市科协": 6,
    "前郭县科协": 41,
    "乾安县科协": 23,
}


def load_organisations() -> tuple[dict[str, Organisation], int]:
    province = root_organisation()
    if province.name == ROOT_NAME:
        province.name = PROVINCE
        province.contact_name = "赵敏"
        province.contact_phone = "0431-88905566"
        province.save()
    found = {PROVINCE: province}
    created = 0
    for name, tier, parent, contact, phone, group in ORGANISATIONS:
        organisation, new = Organisation.objects.get_or_create(
            name=name,
            parent=found[parent],
            defaults={"tier": tier, "contact_name": contact, "contact_phone": phone},
        )
        found[name], created = organisation, created + new
        if group and new:
            ScreenGroup.objects.filter(name=group).update(owner=organisation)
    return found, created


def county_staff(county: Organisation) -> bool:
    group, created = Group.objects.get_or_create(name=COUNTY_GROUP)
    if created:
        group.permissions.set(
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codename in COUNTY_PERMISSIONS
        )
        county.staff_groups.add(group)
    user, new = get_user_model().objects.get_or_create(
        username=COUNTY_EDITOR, defaults={"last_name": "刘", "first_name": "洋"}
    )
    if new:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.groups.add(group)
    return new


COUNTY_SECTION = ("农安县科普", "nongan")
COUNTY_SHELF = "农安县科协素材"


def county_space(county: Organisation) -> bool:
    """The county's own section of the site and collection; the rights
    follow (cms.organisation_rights)."""
    if county.sections.exists():
        return False
    home = HomePage.objects.order_by("path").first()
    if home is None:
        return False
    title, slug = COUNTY_SECTION
    section = home.get_children().filter(slug=slug).first() or home.add_child(
        instance=ContentIndexPage(title=title, slug=slug)
    )
    county.sections.add(section)
    root = Collection.get_first_root_node()
    shelf = root.get_children().filter(name=COUNTY_SHELF).first()
    county.collection = shelf or root.add_child(name=COUNTY_SHELF)
    county.save()
    sync_rights()
    return True


def package_pages():
    disasters = Campaign.objects.filter(name="防灾减灾日").first()
    pages = visible_pages().type(*content_types()).order_by("path")
    chosen = [p for p in pages.specific() if getattr(p, "campaign", None) == disasters]
    return (chosen or list(pages.specific()[:3]))[:3], disasters


def content_types():
    from cms.models import ArticlePage, ColumnEpisodePage, VideoPage

    return ArticlePage, VideoPage, ColumnEpisodePage


def load_package(found: dict[str, Organisation]) -> bool:
    province = found[PROVINCE]
    if ResourcePackage.objects.filter(title=PACKAGE, owner=province).exists():
        return False
    pages, campaign = package_pages()
    if not pages:
        return False
    today = timezone.localdate()
    package = ResourcePackage.objects.create(
        title=PACKAGE,
        campaign=campaign,
        owner=province,
        starts_on=today - timedelta(days=7),
        ends_on=today + timedelta(days=21),
        acknowledge_within=ResourcePackage.Window.TWO_DAYS,
        instructions="请在防灾减灾日前后，于本地报纸专栏、广播和科普大屏刊播包内内容，"
        "并在落实期结束前记录落地情况。",
    )
    for page in pages:
        PackageItem.objects.create(package=package, page=page)
    push(package, recipients(province, [Tier.COUNTY, Tier.SITE], None, None), None)
    record_receipts(package, found, pages)
    return True


def record_receipts(package, found, pages) -> None:
    """Last week's push and what followed it."""
    pushed = timezone.now() - timedelta(days=7)
    package.tasks.update(pushed_at=pushed, acknowledge_by=pushed + timedelta(days=2))
    tasks = {task.organisation.name: task for task in package.tasks.all()}
    for name, hours in [("农安县科协", 3), ("合隆镇", 20), ("前郭县科协", 30)]:
        tasks[name].acknowledged_at = pushed + timedelta(hours=hours)
        tasks[name].save()
    tasks["德惠市科协"].acknowledged_at = pushed + timedelta(days=3)  # late
    tasks["德惠市科协"].save()
    # The demo's loops were made with it, today: they stand for loops that
    # were there before the push.
    PlaylistItem.objects.filter(added_at__gte=pushed).update(
        added_at=pushed - timedelta(days=30)
    )
    played = pushed + timedelta(days=1)
    square = ScreenGroup.objects.filter(name="合隆镇村文化广场").first()
    screen = Screen.objects.filter(group=square).first()
    if square and screen:
        entry = PlaylistItem.objects.create(
            group=square,
            kind=PlaylistItem.Kind.CARD,
            page=pages[0],
            starts_on=package.starts_on,
            ends_on=package.ends_on,
            campaign=package.campaign,
            sort_order=square.playlist_items.count(),
        )
        PlaylistItem.objects.filter(pk=entry.pk).update(
            added_at=pushed + timedelta(hours=21)
        )
        for n in range(12):
            PlayRecord.objects.create(
                play_id=f"00000000-0000-4000-8000-{n:012d}",
                screen=screen,
                page=pages[0],
                started_at=played + timedelta(hours=n),
                seconds=15,
            )
    LandingEvidence.objects.create(
        task=tasks["德惠市科协"],
        note="德惠市融媒体中心《德惠播报》转播防灾减灾科普节目一期",
        link="https://example.cn/dehui/fangzai",
        recorded_at=pushed + timedelta(days=4),
    )


def load_emergency(found: dict[str, Organisation]) -> bool:
    """Issued through tiers.emergency as an editor would, then moved three
    days back with what followed it."""
    if SiteAlert.objects.filter(title=EMERGENCY).exists():
        return False
    page = visible_pages().filter(title=EMERGENCY_ITEM).first()
    radio = Outlet.objects.filter(channel="radio", active=True).order_by("pk").first()
    if page is None:
        return False
    if radio is not None:
        Outlet.objects.filter(pk=radio.pk).update(accepts_urgent=True)
    package, _result = launch(
        EmergencyOrder(
            sender=found[PROVINCE],
            page=page,
            title=EMERGENCY,
            message="受台风影响，今夜至明天有大风和暴雨。请减少外出，远离河道和广告牌。",
            hours=6,
            acknowledge_within=ResourcePackage.Window.HALF_HOUR,
            user=None,
        )
    )
    move_emergency_back(package, timedelta(days=3))
    return True


def move_emergency_back(package: ResourcePackage, by: timedelta) -> None:
    alert = package.alert
    start = alert.starts_at - by
    SiteAlert.objects.filter(pk=alert.pk).update(
        starts_at=start, ends_at=alert.ends_at - by
    )
    ResourcePackage.objects.filter(pk=package.pk).update(
        starts_on=timezone.localdate(start), ends_on=timezone.localdate(start)
    )
    for task in package.tasks.select_related("organisation"):
        task.pushed_at = start
        task.acknowledge_by = start + package.acknowledge_window
        minutes = EMERGENCY_ACKNOWLEDGED.get(task.organisation.name)
        if minutes is None:
            task.reminded_at = task.escalated_at = task.acknowledge_by
        else:
            task.acknowledged_at = start + timedelta(minutes=minutes)
        task.save()
    takeovers = EmergencyItem.objects.filter(alert=alert).select_related("group")
    takeovers.update(starts_at=start, ends_at=alert.ends_at - by)
    screens = Screen.objects.filter(revoked_at=None).select_related("group")
    for n, screen in enumerate(screens.order_by("pk")[1:]):  # one never showed it
        for takeover in takeovers:
            if screen.group.path.startswith(takeover.group.path):
                EmergencyConfirmation.objects.get_or_create(
                    emergency=takeover,
                    screen=screen,
                    defaults={"confirmed_at": start + timedelta(seconds=40 + 25 * n)},
                )
    Placement.objects.filter(alert=alert).update(
        scheduled_at=start,
        status=Placement.Status.DELIVERED,
        delivered_at=start + timedelta(minutes=3),
    )


def load_tiers() -> str:
    found, created = load_organisations()
    staff = county_staff(found["农安县科协"])
    space = county_space(found["农安县科协"])
    package = load_package(found)
    emergency = load_emergency(found)
    return (
        f"tiers: organisations created {created}, county editor created {int(staff)}, "
        f"county section made {int(space)}, package pushed {int(package)}, "
        f"emergency issued {int(emergency)}"
    )
