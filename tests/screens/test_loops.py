"""Cached loops: a poll whose loop has not changed costs the token and one
fingerprint row; every change a loop depends on is in the next poll — an
edited or hidden item, a page unpublished or expiring, a new rendition, an
emergency set, starting, cancelled or ending, the next day."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from screens.loops import cached_loop
from screens.models import EmergencyItem, PlaylistItem

PLAYLIST = "/api/screens/playlist/"


@pytest.fixture
def poll(client, paired_screen, screen_loop):
    """The screen's playlist body, as its player polls it."""

    def get() -> dict:
        response = client.get(PLAYLIST, **paired_screen.headers)
        assert response.status_code == 200
        return response.json()

    return get


def ids(body: dict) -> list[int]:
    return [item["id"] for item in body["items"]]


def test_an_unchanged_loop_costs_two_queries_however_many_items(
    client, paired_screen, screen_loop, screen_tree, settings
):
    settings.BIG_SCREEN_RELEASE_SECONDS = 60  # the releases, read once a second

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(PLAYLIST, **paired_screen.headers)
        return len(captured)

    queries()  # resolves and caches
    assert queries() == 2  # the fast path's readings: screens, loops
    for n in range(5):
        PlaylistItem.objects.create(
            group=screen_tree.county,
            kind="card",
            page=screen_loop.article,
            duration_seconds=10 + n,
        )
    queries()
    assert queries() == 2


def test_edited_and_hidden_items_are_in_the_next_poll(poll, screen_loop, screen_tree):
    loop = screen_loop
    assert ids(poll()) == [loop.video.pk, loop.card.pk, loop.image.pk]
    item = PlaylistItem.objects.get(pk=loop.image.pk)
    item.duration_seconds = 42
    item.save()
    assert poll()["items"][-1]["duration_seconds"] == 42
    PlaylistItem.objects.filter(pk=loop.card.pk).update(locked=False)
    screen_tree.site.hidden_items.add(loop.card)  # its own signal: not the update
    assert ids(poll()) == [loop.video.pk, loop.image.pk]
    PlaylistItem.objects.filter(pk=loop.video.pk).delete()
    assert ids(poll()) == [loop.image.pk]


def test_a_page_unpublished_or_expiring_leaves_at_once(poll, screen_loop):
    loop = screen_loop
    poll()
    loop.article.unpublish()
    assert ids(poll()) == [loop.video.pk, loop.image.pk]
    video = type(loop.video_page).objects.filter(pk=loop.video_page.pk)
    video.update(expire_at=timezone.now() - timedelta(seconds=1))
    assert ids(poll()) == [loop.image.pk]  # before the scheduler unpublishes it


def test_a_video_waits_for_its_screen_rendition(
    poll, screen_loop, screen_tree, make_video_page, make_screen_rendition
):
    page = make_video_page(title="新视频")
    item = PlaylistItem.objects.create(
        group=screen_tree.site, kind="video", page=page, duration_seconds=30
    )
    assert item.pk not in ids(poll())
    make_screen_rendition(page.video)
    assert item.pk in ids(poll())


def test_emergencies_set_start_cancel_and_end_on_time(
    poll, screen_tree, settings, monkeypatch
):
    assert poll()["emergency"] is None
    now = timezone.now()
    alert = EmergencyItem.objects.create(
        group=screen_tree.county,
        title="暴雨红色预警",
        starts_at=now,
        ends_at=now + timedelta(hours=1),
    )
    assert poll()["emergency"]["id"] == alert.pk
    EmergencyItem.objects.filter(pk=alert.pk).update(cancelled_at=timezone.now())
    assert poll()["emergency"] is None

    later = EmergencyItem.objects.create(
        group=screen_tree.province,
        title="台风蓝色预警",
        starts_at=now + timedelta(minutes=10),
        ends_at=now + timedelta(minutes=40),
    )
    assert poll()["emergency"] is None
    clock = {"now": now + timedelta(minutes=10)}
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])
    assert poll()["emergency"]["id"] == later.pk  # nothing saved: time passed
    clock["now"] = now + timedelta(minutes=40)
    assert poll()["emergency"] is None


def test_an_item_whose_window_ended_yesterday_leaves_at_midnight(
    screen_loop, paired_screen, monkeypatch
):
    today = timezone.localdate()
    item = PlaylistItem.objects.get(pk=screen_loop.image.pk)
    item.ends_on = today
    item.save()
    group, orientation = paired_screen.screen.group, paired_screen.screen.orientation
    assert item.pk in ids(cached_loop(group, orientation).body)
    tomorrow = timezone.now() + timedelta(days=1)
    monkeypatch.setattr(timezone, "now", lambda: tomorrow)
    assert item.pk not in ids(cached_loop(group, orientation).body)
