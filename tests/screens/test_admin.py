"""The 科普大屏 admin: group listing and edit (playlist inline, hiding),
pairing by code, revoking, emergency cancel and confirmations, preview."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from screens import pairing
from screens.models import (
    EmergencyConfirmation,
    EmergencyItem,
    PlaylistItem,
    Screen,
)

ADMIN = "/admin/big-screen"


@pytest.fixture
def admin_client(client, db):
    user = User.objects.create_superuser("admin", "admin@example.org", "pw")
    client.force_login(user)
    return client


def test_menu_and_group_listing_show_the_tree_and_media_warnings(
    admin_client, screen_loop, screen_tree
):
    from media_pipeline.models import Rendition

    Rendition.objects.all().delete()
    response = admin_client.get(f"{ADMIN}/groups/")
    text = response.content.decode()
    assert response.status_code == 200
    assert "大屏分组" in text
    assert "村文化广场" in text and "大屏版本" in text


def test_group_edit_page_saves_the_playlist_order_and_hidden_items(
    admin_client, screen_tree, screen_image
):
    province_item = PlaylistItem.objects.create(
        group=screen_tree.province, kind="image", image=screen_image, locked=False
    )
    url = f"{ADMIN}/groups/edit/{screen_tree.site.pk}/"
    page = admin_client.get(url)
    assert page.status_code == 200 and "playlist_items" in page.content.decode()
    items = [
        {
            "kind": "image",
            "image": screen_image.pk,
            "duration_seconds": 12,
            "title": title,
            "day_parts": "[]",
            "locked": "on",
        }
        for title in ("甲", "乙")
    ]
    items[0]["ORDER"], items[1]["ORDER"] = 2, 1
    data = nested_form_data(
        {
            "name": screen_tree.site.name,
            "tier": 4,
            "parent": screen_tree.county.pk,
            "operator": "村委会",
            "contact_name": "王强",
            "contact_phone": "",
            "playlist_items": inline_formset(items),
        }
    )
    data["hidden_items"] = [province_item.pk]
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    titles = list(
        PlaylistItem.objects.filter(group=screen_tree.site)
        .order_by("sort_order")
        .values_list("title", flat=True)
    )
    assert titles == ["乙", "甲"]
    assert list(screen_tree.site.hidden_items.all()) == [province_item]


def test_operator_pairs_a_screen_by_code(admin_client, screen_tree, client):
    request, secret = pairing.start_pairing()
    response = admin_client.post(
        f"{ADMIN}/screens/pair/",
        {
            "code": request.code.lower(),
            "group": screen_tree.site.pk,
            "name": "社区服务中心大屏",
            "location": "一楼大厅",
            "orientation": "portrait",
        },
    )
    assert response.status_code == 302
    screen = Screen.objects.get(name="社区服务中心大屏")
    assert (screen.width, screen.height) == (1080, 1920) and screen.is_paired
    assert pairing.pick_up(request.code, secret)[0] == "paired"


def test_a_wrong_code_is_refused_in_the_form(admin_client, screen_tree):
    response = admin_client.post(
        f"{ADMIN}/screens/pair/",
        {
            "code": "ABCDEF",
            "group": screen_tree.site.pk,
            "name": "x",
            "orientation": "landscape",
        },
    )
    assert response.status_code == 200 and "配对码无效" in response.content.decode()
    assert not Screen.objects.exists()


def test_revoking_a_screen_makes_its_token_fail(admin_client, client, paired_screen):
    listing = admin_client.get(f"{ADMIN}/screens/").content.decode()
    assert "吊销" in listing and "离线" in listing
    url = f"{ADMIN}/screens/revoke/{paired_screen.screen.pk}/"
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url).status_code == 302
    response = client.get("/api/screens/playlist/", **paired_screen.headers)
    assert response.status_code == 401


def test_a_new_emergency_starts_now_and_runs_two_hours_unless_told(
    admin_client, screen_tree
):
    form = admin_client.get(f"{ADMIN}/emergencies/new/").context["form"]
    starts, ends = form.initial["starts_at"], form.initial["ends_at"]
    assert abs(starts - timezone.now()) < timedelta(minutes=1)
    assert ends - starts == timedelta(hours=2)
    fields = {
        "group": screen_tree.county.pk,
        "title": "暴雨红色预警",
        "message": "请远离河道与低洼地带。",
        "duration_seconds": 20,
        "starts_at": form["starts_at"].value().strftime("%Y-%m-%d %H:%M"),
        "ends_at": form["ends_at"].value().strftime("%Y-%m-%d %H:%M"),
    }
    response = admin_client.post(f"{ADMIN}/emergencies/new/", fields)
    assert response.status_code == 302, response.context["form"].errors
    assert EmergencyItem.objects.get(title="暴雨红色预警").is_active(timezone.now())


def test_emergency_confirmations_and_cancel(admin_client, screen_tree, pair_screen):
    confirmed = pair_screen(screen_tree.site, name="已确认屏")
    pair_screen(screen_tree.other_site, name="未确认屏")
    pair_screen(screen_tree.city, name="市级屏")  # not under the county
    now = timezone.now()
    alert = EmergencyItem.objects.create(
        group=screen_tree.county,
        title="暴雨红色预警",
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(hours=1),
    )
    EmergencyConfirmation.objects.create(
        emergency=alert, screen=confirmed.screen, confirmed_at=now
    )
    page = admin_client.get(f"{ADMIN}/emergencies/confirmations/{alert.pk}/")
    text = page.content.decode()
    assert "已确认屏" in text and "未确认屏" in text and "市级屏" not in text
    assert "未确认" in text and "1 / 2" in text
    listing = admin_client.get(f"{ADMIN}/emergencies/").content.decode()
    assert "进行中" in listing and "撤销" in listing
    admin_client.post(f"{ADMIN}/emergencies/cancel/{alert.pk}/")
    alert.refresh_from_db()
    assert alert.cancelled_at is not None


def test_preview_shows_what_plays_at_the_chosen_time(
    admin_client, paired_screen, screen_loop
):
    monday_morning = {"day": "2026-11-23", "at": "08:00"}
    query = {"screen": paired_screen.screen.pk, **monday_morning}
    text = admin_client.get(f"{ADMIN}/preview/", query).content.decode()
    assert "此时轮播 3 项" in text and "防灾减灾海报" in text
    query["at"] = "12:00"
    text = admin_client.get(f"{ADMIN}/preview/", query).content.decode()
    assert "此时轮播 2 项" in text and "不在此时段或日期内的播放项" in text
