"""The channels' doors as a county's staff see them: the calendar and its
moves, the targets report and its export, the dashboard's 渠道异常 and its
retry show and touch only the outlets of the county and those below it."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from channels.models import Placement
from tests.organisation_fixtures import staff_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def desks(org_tree, make_outlet, make_article, make_placement):
    """An outlet of the province's and one of 农安县's, each with an item
    planned tomorrow and one that failed yesterday."""
    when = timezone.now() + timedelta(days=1)
    made = {}
    for key, name in [("province", "省报专栏"), ("nongan", "农安县报专栏")]:
        outlet = make_outlet(name=name, owner=org_tree[key])
        article = make_article(slug=f"doors-{key}", title=f"{name}的文章")
        planned = make_placement(article, outlet, scheduled_at=when)
        failed = Placement.objects.create(
            page=article,
            outlet=outlet,
            scheduled_at=timezone.now() - timedelta(days=1),
            status=Placement.Status.FAILED,
            error="投递失败",
        )
        made[key] = (outlet, planned, failed)
    return made


@pytest.fixture
def county(client, org_tree):
    client.force_login(staff_of(org_tree["nongan"]))
    return client


def test_the_calendar_shows_only_the_countys_placements(county, desks):
    when = desks["nongan"][1].scheduled_at
    url = reverse("channel_calendar:index")
    body = county.get(url, {"view": "week", "date": f"{when:%Y-%m-%d}"}).content
    body = body.decode()
    assert "农安县报专栏的文章" in body and "省报专栏的文章" not in body
    # The outlet filter offers the county's outlets only.
    assert "农安县报专栏" in body and "省报专栏<" not in body


def test_the_county_cannot_move_the_provinces_placement(county, desks):
    province_planned = desks["province"][1]
    day = (province_planned.scheduled_at + timedelta(days=2)).date().isoformat()
    moved = county.post(
        reverse("channel_calendar:move", args=[province_planned.pk]),
        json.dumps({"date": day, "reason": "调整"}),
        content_type="application/json",
    )
    assert moved.status_code == 404
    province_planned.refresh_from_db()
    assert province_planned.scheduled_at == desks["province"][1].scheduled_at


def test_the_targets_report_and_its_export_count_the_countys_outlets(county, desks):
    body = county.get(reverse("channel_report:index")).content.decode()
    assert "农安县报专栏" in body and "省报专栏" not in body
    csv = county.get(reverse("channel_report:export", args=["csv"]))
    text = csv.content.decode("utf-8-sig")
    assert "农安县报专栏" in text and "省报专栏" not in text


def test_the_dashboard_lists_and_retries_only_the_countys_failures(county, desks):
    body = county.get(reverse("wagtailadmin_home")).content.decode()
    assert "农安县报专栏" in body and "省报专栏" not in body
    province_failed = desks["province"][2]
    retried = county.post(
        reverse("channel_placements:retry", args=[province_failed.pk])
    )
    assert retried.status_code == 404
    province_failed.refresh_from_db()
    assert province_failed.status == Placement.Status.FAILED


# 更正与撤回 --------------------------------------------------------------------


@pytest.fixture
def advisories(desks, org_tree):
    """One withdrawal of each desk's article, each told to its own outlet,
    and a partner of the province's told of the province's."""
    from channels.models import AdvisoryRecipient
    from cms.advisories import Advisory

    made = {}
    for key, (outlet, planned, _failed) in desks.items():
        advisory = Advisory.objects.create(
            kind=Advisory.Kind.WITHDRAWAL,
            page=planned.page,
            title=planned.page.title,
            reason="数据有误",
        )
        row = AdvisoryRecipient.objects.create(
            advisory=advisory,
            channel="newspaper",
            name=outlet.name,
            reference=f"outlet:{outlet.pk}",
            outlet=outlet,
            organisation=outlet.owner,
            sender="channels.advisories.tell_outlet",
            sent="撤稿",
            state=AdvisoryRecipient.State.FAILED,
        )
        made[key] = (advisory, row)
    return made


def test_the_county_sees_and_acts_on_its_own_advisory_recipients_only(
    county, advisories
):
    listing = county.get(reverse("channel_advisories:index")).text
    assert "农安县报专栏的文章" in listing and "省报专栏的文章" not in listing
    province_advisory, province_row = advisories["province"]
    inspect = reverse("channel_advisories:inspect", args=[province_advisory.pk])
    assert county.get(inspect).status_code == 404
    retry = reverse("channel_advisories:retry", args=[province_row.pk])
    assert county.post(retry).status_code == 404
    own_advisory, own_row = advisories["nongan"]
    page = county.get(
        reverse("channel_advisories:inspect", args=[own_advisory.pk])
    ).text
    assert "农安县报专栏" in page
    own_retry = reverse("channel_advisories:retry", args=[own_row.pk])
    assert county.post(own_retry).status_code == 302


def test_the_root_organisations_staff_see_every_advisory(client, advisories, org_tree):
    client.force_login(staff_of(org_tree["province"], name="province-staff"))
    listing = client.get(reverse("channel_advisories:index")).text
    assert "农安县报专栏的文章" in listing and "省报专栏的文章" in listing
