"""Loop resolution across tiers, hiding rules, date windows and day parts,
the embargo, failed media and emergency takeover."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screens.models import EmergencyItem, PlaylistItem, ScreenGroup
from screens.playlist import resolve
from screens.schedule import in_day_parts, local_moment, plays_at
from tests.screens.fixtures import screen_rendition_url

WEEKDAY_MORNINGS = [{"days": [1, 2, 3, 4, 5], "start": "07:00", "end": "09:00"}]
MONDAY = date(2026, 11, 23)  # a Monday


def ids(loop) -> list[int]:
    return [entry["id"] for entry in loop.entries]


def image_item(group, image, **fields) -> PlaylistItem:
    return PlaylistItem.objects.create(group=group, kind="image", image=image, **fields)


# Tiers ---------------------------------------------------------------------------


def test_loop_runs_province_then_city_then_county_then_site(screen_tree, screen_image):
    site_item = image_item(screen_tree.site, screen_image, sort_order=0)
    county_item = image_item(screen_tree.county, screen_image)
    province_b = image_item(screen_tree.province, screen_image, sort_order=2)
    province_a = image_item(screen_tree.province, screen_image, sort_order=1)
    city_item = image_item(screen_tree.city, screen_image)
    loop = resolve(screen_tree.site, "landscape")
    expected = [province_a, province_b, city_item, county_item, site_item]
    assert ids(loop) == [item.pk for item in expected]


def test_a_sibling_site_does_not_get_another_sites_items(screen_tree, screen_image):
    mine = image_item(screen_tree.site, screen_image)
    inherited = image_item(screen_tree.county, screen_image)
    assert ids(resolve(screen_tree.other_site, "landscape")) == [inherited.pk]
    assert mine.pk not in ids(resolve(screen_tree.county, "landscape"))


def test_a_lower_group_hides_only_unlocked_inherited_items(screen_tree, screen_image):
    locked = image_item(screen_tree.province, screen_image, locked=True)
    unlocked = image_item(screen_tree.province, screen_image, locked=False)
    screen_tree.county.hidden_items.add(locked, unlocked)
    assert ids(resolve(screen_tree.site, "landscape")) == [locked.pk]
    assert ids(resolve(screen_tree.city, "landscape")) == [locked.pk, unlocked.pk]


def test_a_group_cannot_hide_its_own_or_a_lower_groups_item(screen_tree, screen_image):
    own = image_item(screen_tree.site, screen_image, locked=False)
    screen_tree.site.hidden_items.add(own)
    assert ids(resolve(screen_tree.site, "landscape")) == [own.pk]


def test_moving_a_group_moves_its_descendants_lineage(
    screen_tree, make_screen_group, screen_image
):
    other_city = make_screen_group("吉林市", 2, screen_tree.province)
    city_item = image_item(screen_tree.city, screen_image)
    screen_tree.county.parent = other_city
    screen_tree.county.save()
    site = ScreenGroup.objects.get(pk=screen_tree.site.pk)
    assert site.lineage_ids == [
        screen_tree.province.pk,
        other_city.pk,
        screen_tree.county.pk,
        site.pk,
    ]
    assert city_item.pk not in ids(resolve(site, "landscape"))


# Date windows and day parts ----------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "at", "plays"),
    [
        (MONDAY, time(7, 0), True),
        (MONDAY, time(8, 59), True),
        (MONDAY, time(9, 0), False),
        (MONDAY, time(6, 59), False),
        (MONDAY + timedelta(days=5), time(8, 0), False),  # Saturday
    ],
)
def test_day_parts_are_weekday_and_time_of_day(day, at, plays):
    assert in_day_parts(WEEKDAY_MORNINGS, local_moment(day, at)) is plays


def test_a_day_part_past_midnight_belongs_to_the_day_it_starts():
    friday_night = [{"days": [5], "start": "22:00", "end": "02:00"}]
    friday = MONDAY + timedelta(days=4)
    assert in_day_parts(friday_night, local_moment(friday, time(23, 0)))
    assert in_day_parts(friday_night, local_moment(friday + timedelta(1), time(1)))
    assert not in_day_parts(friday_night, local_moment(MONDAY, time(1)))


def test_day_parts_use_local_time_not_utc():
    utc_midnight = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # 08:00 +08
    assert in_day_parts(WEEKDAY_MORNINGS, utc_midnight)


def test_date_windows_are_inclusive():
    start, end = date(2026, 9, 15), date(2026, 9, 21)
    assert plays_at(start, end, [], local_moment(start, time(0)))
    assert plays_at(start, end, [], local_moment(end, time(23, 59)))
    assert not plays_at(start, end, [], local_moment(end + timedelta(1), time(0)))


@pytest.mark.parametrize(
    "parts",
    [
        "all day",
        [{"days": [0], "start": "07:00", "end": "09:00"}],
        [{"days": [1], "start": "7:00", "end": "09:00"}],
        [{"days": [1], "start": "09:00", "end": "09:00"}],
        [{"days": [1], "start": "24:00", "end": "09:00"}],
        [{"days": [1], "start": "07:00"}],
    ],
)
def test_malformed_day_parts_are_refused_by_the_model(screen_tree, screen_image, parts):
    from django.core.exceptions import ValidationError

    item = PlaylistItem(
        group=screen_tree.site, kind="image", image=screen_image, day_parts=parts
    )
    with pytest.raises(ValidationError):
        item.full_clean()


def test_ended_items_are_left_out_and_future_ones_sent_with_their_window(
    screen_tree, screen_image
):
    today = timezone.localdate()
    ended = image_item(screen_tree.site, screen_image, ends_on=today - timedelta(1))
    future = image_item(screen_tree.site, screen_image, starts_on=today + timedelta(3))
    last_day = image_item(screen_tree.site, screen_image, ends_on=today)
    loop = resolve(screen_tree.site, "landscape")
    assert ids(loop) == [future.pk, last_day.pk]
    assert loop.entries[0]["starts_on"] == (today + timedelta(3)).isoformat()
    assert ended.pk not in ids(loop)


# Embargo and media ----------------------------------------------------------------


def test_failed_or_missing_screen_media_is_left_out_with_a_warning(
    screen_tree, make_video_page, make_screen_rendition
):
    ready_page = make_video_page(title="有大屏版本")
    make_screen_rendition(ready_page.video)
    missing_page = make_video_page(title="没有大屏版本")
    douyin_only = make_video_page(title="只有抖音版本")
    make_screen_rendition(douyin_only.video, preset="douyin")
    items = [
        PlaylistItem.objects.create(group=screen_tree.site, kind="video", page=page)
        for page in (ready_page, missing_page, douyin_only)
    ]
    loop = resolve(screen_tree.site, "landscape")
    assert ids(loop) == [items[0].pk]
    assert [warning.item for warning in loop.warnings] == items[1:]
    assert "大屏版本" in loop.warnings[0].message


def test_a_rendition_of_a_replaced_file_does_not_count(
    screen_tree, make_video_page, make_screen_rendition
):
    from media_pipeline.models import Rendition

    page = make_video_page()
    make_screen_rendition(page.video)
    Rendition.objects.update(source_version="an-older-file")
    PlaylistItem.objects.create(group=screen_tree.site, kind="video", page=page)
    loop = resolve(screen_tree.site, "landscape")
    assert loop.entries == [] and len(loop.warnings) == 1


def test_portrait_screens_fall_back_to_the_landscape_rendition(
    screen_loop, screen_tree
):
    loop = resolve(screen_tree.site, "portrait")
    assert screen_loop.video.pk in ids(loop)
    card = next(e for e in loop.entries if e["kind"] == "card")
    assert card["url"].endswith("/portrait.png")


PAGE_STATES = ("live", "draft", "expired", "scheduled", "unpublished", "private")


def put_in_state(page, state: str, review_and_publish) -> None:
    from wagtail.models import PageViewRestriction

    now = timezone.now()
    if state == "expired":
        type(page).objects.filter(pk=page.pk).update(expire_at=now - timedelta(1))
    elif state == "unpublished":
        page.unpublish()
    elif state == "private":
        PageViewRestriction.objects.create(page=page, restriction_type="login")
    elif state == "scheduled":
        page.go_live_at = now + timedelta(days=1)
        review_and_publish(page)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(states=st.lists(st.sampled_from(PAGE_STATES), min_size=1, max_size=4))
def test_only_live_public_unexpired_pages_reach_a_playlist(
    screen_tree, make_article, review_and_publish, states
):
    PlaylistItem.objects.all().delete()
    expected = []
    for index, state in enumerate(states):
        publish = state not in ("draft", "scheduled")
        page = make_article(title=f"文章{index}{state}", publish=publish)
        put_in_state(page, state, review_and_publish)
        item = PlaylistItem.objects.create(
            group=screen_tree.county, kind="card", page=page
        )
        if state == "live":
            expected.append(item.pk)
    assert ids(resolve(screen_tree.site, "landscape")) == expected


# Emergency ---------------------------------------------------------------------------


def emergency(group, **fields) -> EmergencyItem:
    now = timezone.now()
    fields.setdefault("title", "台风红色预警：请勿外出")
    fields.setdefault("message", "请远离海边，关好门窗。")
    fields.setdefault("starts_at", now - timedelta(minutes=5))
    fields.setdefault("ends_at", now + timedelta(hours=2))
    return EmergencyItem.objects.create(group=group, **fields)


def test_an_emergency_takes_over_its_group_and_descendants_only(
    screen_tree, make_screen_group
):
    other_county = make_screen_group("德惠市", 3, screen_tree.city)
    alert = emergency(screen_tree.county)
    for group in (screen_tree.county, screen_tree.site, screen_tree.other_site):
        assert resolve(group, "landscape").emergency["id"] == alert.pk
    for group in (screen_tree.city, screen_tree.province, other_county):
        assert resolve(group, "landscape").emergency is None


def test_emergency_card_is_drawn_and_carries_its_end(screen_tree):
    alert = emergency(screen_tree.province, duration_seconds=25)
    payload = resolve(screen_tree.site, "landscape").emergency
    assert payload["kind"] == "card" and payload["url"].endswith(".png")
    assert payload["duration_seconds"] == 25
    ends = datetime.fromisoformat(payload["ends_at"])
    assert ends == alert.ends_at and ends.utcoffset() == timedelta(hours=8)


def test_the_nearest_groups_emergency_wins(screen_tree):
    emergency(screen_tree.province, title="全省")
    county = emergency(screen_tree.county, title="本县", starts_at=timezone.now())
    assert resolve(screen_tree.site, "landscape").emergency["id"] == county.pk


def test_a_cancelled_ended_or_future_emergency_does_not_play(screen_tree):
    now = timezone.now()
    emergency(screen_tree.province, cancelled_at=now)
    emergency(screen_tree.province, ends_at=now)
    emergency(screen_tree.province, starts_at=now + timedelta(minutes=1))
    assert resolve(screen_tree.site, "landscape").emergency is None


def test_an_emergency_ends_at_its_end_time(screen_tree):
    alert = emergency(screen_tree.county)
    during = alert.ends_at - timedelta(seconds=1)
    assert resolve(screen_tree.site, "landscape", during).emergency is not None
    assert resolve(screen_tree.site, "landscape", alert.ends_at).emergency is None


def test_an_emergency_video_plays_its_screen_rendition(
    screen_tree, make_video_page, make_screen_rendition
):
    page = make_video_page()
    rendition = make_screen_rendition(page.video)
    emergency(screen_tree.city, page=page)
    payload = resolve(screen_tree.site, "landscape").emergency
    assert payload["kind"] == "video"
    assert payload["url"] == screen_rendition_url(page, rendition)
