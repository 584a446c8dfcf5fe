"""The big screens' doors as a county's staff see them: pairing, revoking,
remote care and its screenshots, the playback preview, the 开机率/使用率
report and its export, and the emergencies' cancel and confirmations reach
only the screens of the county's groups and those below."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from screens.models import EmergencyItem, Screen, ScreenCommand, ScreenGroup
from tests.organisation_fixtures import staff_of

pytestmark = pytest.mark.django_db
Tier = ScreenGroup.Tier


@pytest.fixture
def fleet(org_tree):
    """吉林省 (the province's) → 农安县 (农安县科协's), a screen in each, an
    emergency on the province's group and a screenshot of its screen."""
    province = ScreenGroup.objects.create(
        name="吉林省",
        tier=Tier.PROVINCE,
        operator="省科协",
        contact_name="赵",
        owner=org_tree["province"],
    )
    county = ScreenGroup.objects.create(
        name="农安县",
        tier=Tier.COUNTY,
        operator="县科协",
        contact_name="刘",
        parent=province,
        owner=org_tree["nongan"],
    )
    now = timezone.now()
    emergency = EmergencyItem.objects.create(
        group=province,
        title="寒潮预警",
        starts_at=now,
        ends_at=now + timedelta(hours=2),
    )
    province_screen = Screen.objects.create(name="省会广场屏", group=province)
    shot = ScreenCommand.objects.create(
        screen=province_screen,
        kind=ScreenCommand.Kind.SCREENSHOT,
        issued_at=now,
        expires_at=now + timedelta(minutes=5),
        screenshot="screenshots/shot.jpg",
    )
    return {
        "province": province,
        "county": county,
        "province_screen": province_screen,
        "county_screen": Screen.objects.create(name="县城广场屏", group=county),
        "emergency": emergency,
        "shot": shot,
    }


@pytest.fixture
def county(client, org_tree):
    user = staff_of(org_tree["nongan"])
    user.groups.get().permissions.add(
        *Permission.objects.filter(codename__endswith="_emergencyitem")
    )
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "name", ["big_screen_screens:revoke", "big_screen_screens:care"]
)
def test_another_organisations_screen_is_not_found(county, fleet, name):
    assert (
        county.get(reverse(name, args=[fleet["province_screen"].pk])).status_code == 404
    )
    assert (
        county.get(reverse(name, args=[fleet["county_screen"].pk])).status_code == 200
    )


def test_another_organisations_group_care_and_screenshots_are_not_found(county, fleet):
    care = reverse("big_screen_groups:care", args=[fleet["province"].pk])
    assert county.get(care).status_code == 404
    shot = reverse("big_screen_screens:screenshot", args=[fleet["shot"].pk])
    assert county.get(shot).status_code == 404


def test_another_organisations_emergency_cannot_be_cancelled_or_read(county, fleet):
    emergency = fleet["emergency"]
    cancel = reverse("big_screen_emergencies:cancel", args=[emergency.pk])
    assert county.post(cancel).status_code == 404
    emergency.refresh_from_db()
    assert emergency.cancelled_at is None
    confirmations = reverse("big_screen_emergencies:confirmations", args=[emergency.pk])
    assert county.get(confirmations).status_code == 404


def test_pairing_and_the_preview_offer_only_the_countys_groups_and_screens(
    county, fleet
):
    pair = county.get(reverse("big_screen_screens:pair")).content.decode()
    assert "县·农安县" in pair and "省会广场屏" not in pair and "省·吉林省" not in pair
    preview = reverse("big_screen_preview:index")
    refused = county.get(preview, {"screen": fleet["province_screen"].pk})
    assert "寒潮预警" not in refused.content.decode()
    shown = county.get(preview, {"screen": fleet["county_screen"].pk})
    assert "县城广场屏" in shown.content.decode()


def test_the_report_covers_the_countys_groups_only(county, fleet):
    url = reverse("screen_reports:index")
    body = county.get(url).content.decode()
    assert "县城广场屏" in body and "省会广场屏" not in body
    assert county.get(url, {"group": fleet["province"].pk}).status_code == 404
    export = reverse("screen_reports:export", args=["csv"])
    text = county.get(export).content.decode("utf-8-sig")
    assert "县城广场屏" in text and "省会广场屏" not in text
    assert county.get(export, {"group": fleet["province"].pk}).status_code == 404
