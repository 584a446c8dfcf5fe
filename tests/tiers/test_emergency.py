"""应急科普 to every channel and every tier (tiers.emergency): one reviewed
item reaches the site's every page, the feeds, the screens, the urgent
outlets, the partners and the WebSub hub of the sender's area at once,
every organisation below gets a task to acknowledge within minutes, a
missed deadline goes to the parent, and the report reads each arrival and
acknowledgement from the records. Cancelling ends it everywhere."""

import hashlib
import hmac
import json
from datetime import timedelta
from urllib.parse import parse_qs

import feedparser
import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from channels.models import Placement
from cms.alerts import AlertNotice, SiteAlert, cancel_alert
from partners.models import Partner
from screens.models import EmergencyConfirmation, EmergencyItem
from screens.playlist import resolve
from tests.conftest import SHORT_EPISODE
from tests.organisation_fixtures import staff_of
from tiers.emergency import EmergencyOrder, arrivals, launch
from tiers.escalation import remind_overdue
from tiers.models import ResourcePackage

pytestmark = pytest.mark.django_db

TITLE = "暴雨红色预警：远离河道"
SECRET = "s3cret-for-the-hook-0123"


@pytest.fixture
def emergency_item(make_article):
    return make_article(slug="baoyu", title="暴雨来了怎么办")


@pytest.fixture
def launched(org_tree, emergency_item, django_capture_on_commit_callbacks):
    """Launch an emergency the way the admin does, running what it
    announces at commit as the worker would."""

    def go(sender="province", page=None, **fields) -> ResourcePackage:
        order = EmergencyOrder(
            sender=org_tree[sender],
            page=page or emergency_item,
            title=fields.get("title", TITLE),
            message="请远离河道，不要涉水。",
            hours=2,
            acknowledge_within=fields.get("acknowledge_within", 30),
            user=None,
        )
        with django_capture_on_commit_callbacks(execute=True):
            package, _result = launch(order)
        return package

    return go


def cancel(package, capture) -> None:
    with capture(execute=True):
        assert cancel_alert(package.alert)


# The package and its tasks -----------------------------------------------------


def test_every_organisation_below_gets_a_task_to_acknowledge_in_30_minutes(
    launched, org_tree
):
    package = launched("changchun")
    assert package.is_emergency and package.owner == org_tree["changchun"]
    tasks = package.tasks.select_related("organisation")
    assert sorted(task.organisation.name for task in tasks) == [
        "农安县科协",
        "合隆镇",
        "德惠市科协",
    ]
    for task in tasks:
        assert task.acknowledge_by - task.pushed_at == timedelta(minutes=30)


def test_an_unreviewed_item_is_refused_and_nothing_goes_out(launched, make_article):
    draft = make_article(slug="draft", publish=False)
    with pytest.raises(ValidationError) as refused:
        launched(page=draft)
    assert "尚未发布、未通过科学性审核或已下线" in str(refused.value)
    assert not SiteAlert.objects.exists()
    assert not ResourcePackage.objects.exists()


def test_a_missed_deadline_goes_to_the_parent_at_once(launched, org_tree):
    org_tree["changchun"].contact_email = "changchun@example.cn"
    org_tree["changchun"].save()
    org_tree["nongan"].contact_email = "nongan@example.cn"
    org_tree["nongan"].save()
    package = launched("changchun")
    task = package.tasks.get(organisation=org_tree["nongan"])
    mail.outbox.clear()  # the review's
    remind_overdue(task.acknowledge_by - timedelta(seconds=1))
    assert not mail.outbox
    remind_overdue(task.acknowledge_by + timedelta(seconds=1))
    task.refresh_from_db()
    assert task.reminded_at and task.escalated_at
    to_parent = [m.subject for m in mail.outbox if m.to == ["changchun@example.cn"]]
    assert any("逾期未签收" in s and "农安县科协" in s for s in to_parent)


# The site ----------------------------------------------------------------------


def test_every_page_shows_the_banner_at_once_and_loses_it_when_cancelled(
    client, launched, make_article, home, django_capture_on_commit_callbacks
):
    other = make_article(slug="other", title="秋季养生")
    pages = ["/", other.url]
    for address in pages:  # cached without a banner
        assert "site-alert" not in client.get(address).text
    package = launched()
    for address in pages:
        page = client.get(address).text
        assert 'class="site-alert"' in page and TITLE in page
        assert package.alert.page.url in page
    cancel(package, django_capture_on_commit_callbacks)
    for address in pages:
        assert "site-alert" not in client.get(address).text


def test_the_banner_leaves_at_its_end_without_anyone_acting(client, launched, home):
    package = launched()
    SiteAlert.objects.filter(pk=package.alert_id).update(
        ends_at=timezone.now() - timedelta(seconds=1)
    )  # an update leaves no signal: only the end time moves the page cache
    assert "site-alert" not in client.get("/").text


# The feeds and the partners ----------------------------------------------------


def feed_titles(client, feed) -> list[str]:
    address = reverse("feeds:feed", args=[feed.slug, "rss.xml"])
    parsed = feedparser.parse(client.get(address).content)
    return [entry.title for entry in parsed.entries]


def test_the_item_is_first_in_every_feed_of_the_area_while_on(
    client,
    launched,
    make_feed,
    make_article,
    org_tree,
    campaign,
    django_capture_on_commit_callbacks,
):
    make_article(slug="newer", title="最新的科普")
    # selects by campaign: the emergency item is not in its selection
    changchun = make_feed(
        "changchun", owner=org_tree["changchun"], campaigns=[campaign]
    )
    songyuan = make_feed("songyuan", owner=org_tree["songyuan"])
    before = feed_titles(client, songyuan)
    package = launched("changchun")
    assert feed_titles(client, changchun)[0] == "暴雨来了怎么办"
    assert feed_titles(client, songyuan) == before  # outside the area
    cancel(package, django_capture_on_commit_callbacks)
    assert "暴雨来了怎么办" not in feed_titles(client, changchun)


def test_partners_of_the_area_are_told_their_own_way(launched, org_tree, webhook):
    address, receiver = webhook
    hooked = Partner.objects.create(
        name="长春晚报",
        contact_name="李编辑",
        owner=org_tree["nongan"],
        notice_method=Partner.Notice.WEBHOOK,
        notice_url=address,
        notice_secret=SECRET,
    )
    Partner.objects.create(
        name="农安电视台",
        contact_name="赵主任",
        contact_phone="0431-83220000",
        owner=org_tree["nongan"],
    )
    Partner.objects.create(
        name="松原日报", contact_name="孙", owner=org_tree["songyuan"]
    )
    package = launched("changchun")
    ((headers, body),) = receiver.received
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Kepu-Signature"] == expected
    sent = json.loads(body)["emergency"]
    assert sent["title"] == TITLE and sent["item"]["guid"]
    notices = {n.name: n for n in package.alert.notices.filter(channel="partners")}
    assert set(notices) == {"长春晚报", "农安电视台"}
    assert notices["长春晚报"].state == AlertNotice.State.DELIVERED
    assert notices["长春晚报"].organisation == org_tree["nongan"]
    assert notices["农安电视台"].state == AlertNotice.State.PENDING
    assert "0431-83220000" in notices["农安电视台"].detail
    assert hooked.pk  # told once: launching records each partner once


def test_the_websub_hub_is_pinged_for_each_public_feed_of_the_area(
    launched, make_feed, org_tree, webhook, settings
):
    address, receiver = webhook
    settings.FEEDS_WEBSUB_HUB = address
    public = make_feed("nongan", owner=org_tree["nongan"])
    make_feed("private", owner=org_tree["nongan"], access="partner")
    make_feed("songyuan", owner=org_tree["songyuan"])
    package = launched("changchun")
    pings = [parse_qs(body.decode()) for _headers, body in receiver.received]
    assert {ping["hub.mode"][0] for ping in pings} == {"publish"}
    topics = sorted(ping["hub.url"][0] for ping in pings)
    assert len(topics) == 5 and all("/nongan/" in topic for topic in topics)
    (notice,) = package.alert.notices.filter(channel="websub")
    assert notice.name == public.title
    assert notice.state == AlertNotice.State.DELIVERED


# The screens and the urgent outlets ---------------------------------------------


@pytest.fixture
def owned_screens(screen_tree, org_tree):
    """The city's screen groups belong to 长春市科协, the county's and its
    sites' to 农安县科协; the province's stays with the province."""
    screen_tree.city.owner = org_tree["changchun"]
    screen_tree.city.save()
    for group in (screen_tree.county, screen_tree.site, screen_tree.other_site):
        group.owner = org_tree["nongan"]
        group.save()
    return screen_tree


def test_the_screens_of_the_area_are_taken_over_until_cancelled(
    launched, owned_screens, django_capture_on_commit_callbacks
):
    package = launched("changchun")
    (takeover,) = EmergencyItem.objects.filter(alert=package.alert)
    assert takeover.group == owned_screens.city  # the area's topmost group
    assert takeover.page_id == package.alert.page_id
    for group in (owned_screens.city, owned_screens.county, owned_screens.site):
        assert resolve(group, "landscape").emergency["id"] == takeover.pk
    assert resolve(owned_screens.province, "landscape").emergency is None
    cancel(package, django_capture_on_commit_callbacks)
    assert resolve(owned_screens.site, "landscape").emergency is None


def test_outlets_that_take_urgent_items_get_it_delivered_at_once(
    launched, make_episode, make_outlet, org_tree, tmp_path
):
    episode = make_episode(1, body=SHORT_EPISODE)
    urgent = make_outlet(
        "radio",
        name="农安人民广播电台",
        spec={"slot_seconds": 300},
        owner=org_tree["nongan"],
        accepts_urgent=True,
        delivery="folder",
        delivery_target=str(tmp_path / "drop"),
    )
    make_outlet(
        "radio",
        name="农安交通广播",
        spec={"slot_seconds": 300},
        owner=org_tree["nongan"],
    )
    make_outlet(
        "radio",
        name="松原广播",
        spec={"slot_seconds": 300},
        owner=org_tree["songyuan"],
        accepts_urgent=True,
    )
    package = launched("changchun", page=episode)
    (placement,) = Placement.objects.filter(alert=package.alert)
    assert placement.outlet == urgent
    assert placement.status == Placement.Status.DELIVERED
    assert any((tmp_path / "drop").rglob("*"))


def test_cancelling_cancels_the_urgent_placements_not_yet_delivered(
    launched, make_outlet, org_tree, django_capture_on_commit_callbacks
):
    make_outlet(
        "newspaper",
        name="农安报·科普快讯",
        spec={"column_chars": 800},
        owner=org_tree["nongan"],
        accepts_urgent=True,
    )
    package = launched("changchun")
    placement = Placement.objects.get(alert=package.alert)
    Placement.objects.filter(pk=placement.pk).update(status=Placement.Status.PLANNED)
    cancel(package, django_capture_on_commit_callbacks)
    placement.refresh_from_db()
    assert placement.status == Placement.Status.CANCELLED


# The report --------------------------------------------------------------------


def test_the_report_reads_every_arrival_and_acknowledgement_from_records(
    launched, owned_screens, pair_screen, org_tree
):
    site_screen = pair_screen(owned_screens.site, name="合隆大屏").screen
    pair_screen(owned_screens.other_site, name="车站大屏")
    package = launched("changchun")
    takeover = EmergencyItem.objects.get(alert=package.alert)
    seen_at = timezone.now()
    EmergencyConfirmation.objects.create(
        emergency=takeover, screen=site_screen, confirmed_at=seen_at
    )
    task = package.tasks.get(organisation=org_tree["nongan"])
    package.tasks.filter(pk=task.pk).update(
        acknowledged_at=task.pushed_at + timedelta(minutes=12)
    )
    report = arrivals(package)
    channels = {row.name: row.reach for row in report.channels}
    assert (channels["大屏接管"].total, channels["大屏接管"].arrived) == (2, 1)
    assert channels["大屏接管"].first == seen_at
    assert channels["网站横幅"].first == package.alert.starts_at
    rows = {row.task.organisation.name: row for row in report.organisations}
    assert (rows["农安县科协"].screens.total, rows["农安县科协"].screens.arrived) == (
        2,
        1,
    )
    assert rows["农安县科协"].acknowledged_in == "12 分钟"
    assert rows["德惠市科协"].acknowledged_in == ""
    assert report.acknowledged == 1 and report.overdue == 0


def test_the_report_is_the_senders_branch_own(client, launched, org_tree):
    package = launched("changchun")
    address = reverse("emergencies:arrivals", args=[package.pk])
    client.force_login(staff_of(org_tree["changchun"], name="cc"))
    page = client.get(address)
    assert page.status_code == 200
    assert "农安县科协" in page.text and "网站横幅" in page.text
    client.force_login(staff_of(org_tree["songyuan"], name="sy"))
    assert client.get(address).status_code == 404
    client.force_login(staff_of(org_tree["nongan"], name="na"))
    assert client.get(address).status_code == 404  # a recipient sees its task


# The admin ---------------------------------------------------------------------


def test_the_form_refuses_an_unreviewed_item_in_chinese_and_keeps_the_text(
    client, org_tree, make_article
):
    client.force_login(staff_of(org_tree["changchun"], name="cc"))
    draft = make_article(slug="draft", publish=False)
    form = {
        "sender": org_tree["changchun"].pk,
        "page": draft.pk,
        "title": TITLE,
        "message": "请远离河道。",
        "hours": 2,
        "acknowledge_within": 30,
    }
    answer = client.post(reverse("emergencies:add"), form)
    assert answer.status_code == 200
    assert "尚未发布、未通过科学性审核或已下线" in answer.text
    assert TITLE in answer.text
    assert not SiteAlert.objects.exists()


def test_the_form_launches_and_the_report_cancels(
    client, org_tree, emergency_item, django_capture_on_commit_callbacks
):
    client.force_login(staff_of(org_tree["changchun"], name="cc"))
    add = reverse("emergencies:add")
    offered = client.get(add).text
    assert "长春市科协" in offered and "松原市科协" not in offered
    form = {
        "sender": org_tree["changchun"].pk,
        "page": emergency_item.pk,
        "title": TITLE,
        "message": "",
        "hours": 6,
        "acknowledge_within": 30,
    }
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(add, form)
    package = ResourcePackage.objects.get()
    assert answer.url == reverse("emergencies:arrivals", args=[package.pk])
    assert package.alert.ends_at - package.alert.starts_at == timedelta(hours=6)
    form["sender"] = org_tree["songyuan"].pk  # not theirs to send from
    assert "sender" in client.post(add, form).context["form"].errors
    with django_capture_on_commit_callbacks(execute=True):
        client.post(answer.url, {"action": "cancel"})
    package.alert.refresh_from_db()
    assert package.alert.cancelled_at is not None
    again = client.post(answer.url, {"action": "cancel"}, follow=True)
    assert "此前已结束" in again.text


def test_the_dashboard_shows_the_branchs_emergency_while_it_is_on(
    client, launched, org_tree, django_capture_on_commit_callbacks
):
    package = launched("changchun")
    client.force_login(staff_of(org_tree["changchun"], name="cc"))
    page = client.get("/admin/").text
    assert 'id="active-emergencies-section"' in page and TITLE in page
    assert "0 / 3" in page
    client.force_login(staff_of(org_tree["songyuan"], name="sy"))
    assert "active-emergencies" not in client.get("/admin/").text
    client.force_login(staff_of(org_tree["nongan"], name="na"))
    waiting = client.get("/admin/").text  # its own task, first to acknowledge
    assert "active-emergencies" not in waiting and package.title in waiting
    cancel(package, django_capture_on_commit_callbacks)
    client.force_login(staff_of(org_tree["changchun"], name="cc2"))
    assert "active-emergencies" not in client.get("/admin/").text


def test_each_topmost_group_of_the_area_is_taken_over_and_reported(
    launched, screen_tree, make_screen_group, pair_screen, org_tree
):
    """The province's groups stay the province's; two county trees below
    them belong to 长春's counties: two takeovers, both counted."""
    dehui = make_screen_group("德惠市", 3, screen_tree.city, owner=org_tree["dehui"])
    for group in (screen_tree.county, screen_tree.site):
        group.owner = org_tree["nongan"]
        group.save()
    pair_screen(screen_tree.site, name="合隆大屏")
    pair_screen(dehui, name="德惠大屏")
    pair_screen(screen_tree.city, name="长春市大屏")  # the province's: outside
    package = launched("changchun")
    taken = EmergencyItem.objects.filter(alert=package.alert)
    assert sorted(item.group.name for item in taken) == ["农安县", "德惠市"]
    channels = {row.name: row.reach for row in arrivals(package).channels}
    assert channels["大屏接管"].total == 2


def test_the_report_filters_organisations_by_their_acknowledgement(
    client, launched, org_tree
):
    package = launched("changchun")
    package.tasks.filter(organisation=org_tree["nongan"]).update(
        acknowledged_at=timezone.now()
    )
    package.tasks.filter(organisation=org_tree["dehui"]).update(
        acknowledge_by=timezone.now() - timedelta(minutes=1)
    )
    client.force_login(staff_of(org_tree["changchun"], name="cc"))
    address = reverse("emergencies:arrivals", args=[package.pk])

    def listed(state: str) -> list[str]:
        rows = client.get(address, {"state": state}).context["rows"]
        return [row.task.organisation.name for row in rows]

    assert listed("acknowledged") == ["农安县科协"]
    assert listed("overdue") == ["德惠市科协"]
    assert listed("waiting") == ["合隆镇"]
    assert len(listed("")) == 3
