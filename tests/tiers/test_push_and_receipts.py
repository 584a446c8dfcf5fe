from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from channels.models import Placement
from screens.models import PlaylistItem, PlayRecord, Screen, ScreenGroup
from tests.organisation_fixtures import staff_of
from tiers.escalation import remind_overdue
from tiers.models import LandingEvidence, PackageItem, PackageTask
from tiers.push import push, recipients
from tiers.receipts import attach_receipts, receipts

pytestmark = pytest.mark.django_db
Tier = ScreenGroup.Tier


def names(organisations) -> list[str]:
    return [org.name for org in organisations]


def test_recipients_by_tier_under_an_organisation_and_by_name(org_tree):
    province = org_tree["province"]
    cities = recipients(province, [2], None, None)
    assert sorted(names(cities)) == ["松原市科协", "长春市科协"]
    counties = recipients(province, [3], org_tree["changchun"], None)
    assert sorted(names(counties)) == ["农安县科协", "德惠市科协"]
    chosen = recipients(
        province, [], None, type(province).objects.filter(name="合隆镇")
    )
    assert names(chosen) == ["合隆镇"]


def test_a_county_cannot_push_above_or_beside_itself(org_tree):
    from cms.organisations import Organisation

    everyone = Organisation.objects.all()
    got = recipients(org_tree["nongan"], [1, 2, 3, 4], None, everyone)
    assert names(got) == ["合隆镇"]


def test_a_push_makes_one_task_per_recipient_once(make_package, org_tree):
    package = make_package()
    cities = recipients(org_tree["province"], [2], None, None)
    first = push(package, cities, user=None)
    again = push(package, cities, user=None)
    assert len(first.pushed) == 2 and first.already == 0
    assert again.pushed == [] and again.already == 2
    assert PackageTask.objects.filter(package=package).count() == 2


def test_pushing_to_an_organisation_without_staff_warns_and_records_it(
    make_package, org_tree
):
    staff_of(org_tree["changchun"], name="cc")
    package = make_package()
    result = push(package, recipients(org_tree["province"], [2], None, None), None)
    assert names(result.without_staff) == ["松原市科协"]
    warning = [text for level, text in result.messages() if level == "warning"]
    assert warning and "松原市科协" in warning[0]
    recorded = dict(package.tasks.values_list("organisation__name", "had_staff"))
    assert recorded == {"长春市科协": True, "松原市科协": False}


def test_the_deadline_is_the_push_plus_the_packages_window(make_package, org_tree):
    package = make_package(acknowledge_within=30)
    push(package, recipients(org_tree["province"], [2], None, None), None)
    task = package.tasks.first()
    assert task.acknowledge_by - task.pushed_at == timedelta(minutes=30)


def receipt(package, organisation):
    task = package.tasks.select_related("organisation").get(organisation=organisation)
    attach_receipts(package, [task])
    return task


def test_take_up_and_landing_are_read_from_placements(
    make_package, org_tree, make_outlet, make_placement
):
    package = make_package()
    page = package.items.get().page
    nongan = org_tree["nongan"]
    push(package, recipients(org_tree["province"], [3], None, None), None)
    assert receipt(package, nongan).taken_up_at is None

    outlet = make_outlet(owner=org_tree["helong"])  # a site below the county
    placement = make_placement(page, outlet)
    task = receipt(package, nongan)
    assert task.taken_up_at == placement.created_at
    assert task.landed_at is None
    assert receipt(package, org_tree["dehui"]).taken_up_at is None

    delivered_at = timezone.now()
    Placement.objects.filter(pk=placement.pk).update(
        status=Placement.Status.DELIVERED, delivered_at=delivered_at
    )
    assert receipt(package, nongan).landed_at == delivered_at


def test_placements_made_before_the_push_or_cancelled_do_not_count(
    make_package, org_tree, make_outlet, make_placement
):
    package = make_package()
    outlet = make_outlet(owner=org_tree["nongan"])
    make_placement(package.items.get().page, outlet)  # before the push
    push(package, recipients(org_tree["province"], [3], None, None), None)
    assert receipt(package, org_tree["nongan"]).taken_up_at is None
    later = make_placement(package.items.get().page, outlet)
    later.status = Placement.Status.CANCELLED
    later.save()
    assert receipt(package, org_tree["nongan"]).taken_up_at is None


def test_screens_take_up_by_playlist_and_land_by_plays(make_package, org_tree):
    package = make_package()
    page = package.items.get().page
    push(package, recipients(org_tree["province"], [3], None, None), None)
    group = ScreenGroup.objects.create(
        name="合隆镇大屏",
        tier=Tier.PROVINCE,
        operator="合隆镇",
        contact_name="王",
        owner=org_tree["nongan"],
    )
    entry = PlaylistItem.objects.create(group=group, kind="card", page=page)
    task = receipt(package, org_tree["nongan"])
    assert task.taken_up_at == entry.added_at and task.landed_at is None

    screen = Screen.objects.create(name="镇政府门口", group=group)
    played = timezone.now()
    PlayRecord.objects.create(
        play_id="6f1c8a3e-0000-4000-8000-000000000001",
        screen=screen,
        page=page,
        started_at=played,
        seconds=15,
    )
    assert receipt(package, org_tree["nongan"]).landed_at == played


def test_evidence_by_hand_lands_a_task(make_package, org_tree):
    package = make_package()
    push(package, recipients(org_tree["province"], [3], None, None), None)
    task = package.tasks.get(organisation=org_tree["dehui"])
    recorded = timezone.now()
    LandingEvidence.objects.create(
        task=task, note="在乡村大集发放了宣传册", recorded_at=recorded
    )
    assert receipt(package, org_tree["dehui"]).landed_at == recorded


def test_the_report_counts_by_tier_and_by_branch(make_package, org_tree, make_outlet):
    package = make_package(ends_on=date.today() + timedelta(days=5))
    province = org_tree["province"]
    push(package, recipients(province, [2, 3, 4], None, None), None)
    now = timezone.now()
    package.tasks.filter(organisation=org_tree["nongan"]).update(acknowledged_at=now)
    package.tasks.filter(organisation=org_tree["changchun"]).update(
        acknowledged_at=now + timedelta(days=30)  # late
    )
    package.tasks.filter(organisation=org_tree["songyuan"]).update(
        acknowledge_by=now - timedelta(minutes=1)
    )
    LandingEvidence.objects.create(
        task=package.tasks.get(organisation=org_tree["helong"]),
        note="村广播播出",
        recorded_at=now,
    )

    report = receipts(package, province)
    assert report.total.tasks == 5
    assert report.total.acknowledged == 2 and report.total.acknowledged_in_time == 1
    assert report.total.overdue == 1
    assert report.total.landed == 1 and report.total.landed_in_time == 1
    assert {tier: t.tasks for tier, t in report.by_tier.items()} == {2: 2, 3: 2, 4: 1}
    branches = {b.organisation.name: b for b in report.branches}
    assert branches["长春市科协"].tally.tasks == 4
    assert branches["长春市科协"].task.organisation == org_tree["changchun"]
    assert branches["松原市科协"].tally.overdue == 1

    drilled = receipts(package, org_tree["changchun"])
    assert drilled.own_task.organisation == org_tree["changchun"]
    assert [b.organisation.name for b in drilled.branches] == [
        "农安县科协",
        "德惠市科协",
    ]
    assert drilled.total.tasks == 4


def test_the_report_reads_every_task_in_seven_queries(
    make_package, org_tree, django_assert_num_queries
):
    from cms.organisations import Organisation

    county = org_tree["nongan"]
    Organisation.objects.bulk_create(
        Organisation(name=f"站点{n}", tier=4, parent=county, path="") for n in range(30)
    )
    for site in Organisation.objects.filter(path=""):
        site.save()
    package = make_package()
    push(package, recipients(org_tree["province"], [2, 3, 4], None, None), None)
    with django_assert_num_queries(7):
        report = receipts(package, org_tree["province"])
    assert report.total.tasks == 35


def test_an_overdue_task_is_reminded_once_then_reported_above(
    make_package, org_tree, settings
):
    nongan = org_tree["nongan"]
    nongan.contact_email = "nongan@example.cn"
    nongan.save()
    changchun = org_tree["changchun"]
    changchun.contact_email = "changchun@example.cn"
    changchun.save()
    package = make_package(acknowledge_within=30)
    push(package, type(nongan).objects.filter(pk=nongan.pk), None)
    task = package.tasks.get()
    mail.outbox.clear()  # the review's notices

    remind_overdue(task.pushed_at + timedelta(minutes=10))
    assert mail.outbox == []
    late = task.pushed_at + timedelta(minutes=31)
    remind_overdue(late)
    remind_overdue(late)
    assert [m.to for m in mail.outbox] == [["nongan@example.cn"]]
    assert "防灾减灾日资源包" in mail.outbox[0].subject
    assert f"/tiers/tasks/{task.pk}/" in mail.outbox[0].body

    remind_overdue(task.pushed_at + timedelta(minutes=59))
    assert len(mail.outbox) == 1
    remind_overdue(task.pushed_at + timedelta(minutes=61))
    remind_overdue(task.pushed_at + timedelta(minutes=62))
    assert [m.to for m in mail.outbox][1:] == [["changchun@example.cn"]]
    assert "农安县科协" in mail.outbox[1].subject


def test_an_acknowledged_task_is_never_reminded(make_package, org_tree):
    nongan = org_tree["nongan"]
    nongan.contact_email = "nongan@example.cn"
    nongan.save()
    package = make_package(acknowledge_within=30)
    push(package, type(nongan).objects.filter(pk=nongan.pk), None)
    package.tasks.update(acknowledged_at=timezone.now())
    mail.outbox.clear()  # the review's notices
    remind_overdue(timezone.now() + timedelta(days=3))
    assert mail.outbox == []


def test_only_live_reviewed_content_goes_into_a_package(make_package, make_article):
    from django.core.exceptions import ValidationError

    package = make_package()
    draft = make_article(publish=False, slug="draft", title="草稿")
    with pytest.raises(ValidationError) as refused:
        PackageItem(package=package, page=draft).full_clean()
    assert "「草稿」尚未发布、未通过科学性审核或已下线" in str(refused.value)


def test_a_push_takes_as_many_queries_for_two_recipients_as_for_two_hundred(
    make_package, org_tree
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cms.organisations import Organisation

    county = org_tree["dehui"]
    for n in range(200):
        Organisation.objects.create(name=f"站点{n}", tier=4, parent=county)
    counts = []
    for tiers in ([2], [4]):
        package = make_package(title=f"资源包{tiers}")
        chosen = recipients(org_tree["province"], tiers, None, None)
        with CaptureQueriesContext(connection) as queries:
            result = push(package, chosen, None)
        counts.append(len(queries))
        assert package.tasks.count() == len(result.pushed)
    assert counts[0] == counts[1]
    assert len(result.pushed) == 201  # 合隆镇 and the 200


def test_each_push_counts_only_what_came_after_it(
    make_package, org_tree, make_outlet, make_placement
):
    """A site pushed first takes the item up; its county, pushed afterwards,
    has taken it up only when something in its branch follows its own push."""
    package = make_package()
    page = package.items.get().page
    helong, nongan = org_tree["helong"], org_tree["nongan"]
    push(package, type(helong).objects.filter(pk=helong.pk), None)
    outlet = make_outlet(owner=helong)
    first = make_placement(page, outlet)
    push(package, type(nongan).objects.filter(pk=nongan.pk), None)
    assert receipt(package, helong).taken_up_at == first.created_at
    assert receipt(package, nongan).taken_up_at is None
    second = make_placement(page, outlet)
    assert receipt(package, nongan).taken_up_at == second.created_at
    assert receipt(package, helong).taken_up_at == first.created_at
    report = receipts(package, org_tree["province"])
    assert report.total.taken_up == 2
