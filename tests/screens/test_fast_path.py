"""The screens' fast path (screens/fast_path.py): an unchanged poll and a
heartbeat answered without a query, as the full view would answer them, and
every change — the loop, the screen's row, a revocation, a command, an
advisory — seen within the reading's time."""

import json
import logging
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from channels.models import AdvisoryRecipient
from cms.advisories import withdraw
from screens import commands, pairing, rollout
from screens.fast_path import (
    HEARTBEATS,
    KNOWN,
    forget_everything,
    recent_loops,
    recent_screens,
)
from screens.models import (
    AdvisoryConfirmation,
    EmergencyConfirmation,
    EmergencyItem,
    Heartbeat,
    PlaylistItem,
    Screen,
)

PLAYLIST = "/api/screens/playlist/"
HEARTBEAT = "/api/screens/heartbeat/"


@pytest.fixture
def reading_kept(settings):
    """Production's reading time, long enough for a test: only a change the
    test makes moves the reading, when it forgets it as the second passes."""
    settings.BIG_SCREEN_FAST_PATH_SECONDS = 60
    settings.BIG_SCREEN_RELEASE_SECONDS = 60
    forget_everything()

    def second_passes() -> None:
        for reading in (recent_screens, recent_loops, rollout.recent_fleet):
            reading.forget()

    return second_passes


def poll(client, paired, etag=None):
    headers = {"HTTP_IF_NONE_MATCH": etag} if etag else {}
    return client.get(PLAYLIST, **paired.headers, **headers)


def beat(client, paired, body=None):
    body = body if body is not None else {"version": "2026.12", "playing": None}
    return client.post(
        HEARTBEAT, json.dumps(body), content_type="application/json", **paired.headers
    )


def learnt_etag(client, paired) -> str:
    etag = poll(client, paired)["ETag"]
    assert poll(client, paired, etag).status_code == 304  # the fast path learns it
    return etag


@pytest.fixture
def without_fast_path(settings):
    """Answer with the views alone, as the fast path must."""

    def view_answer(call):
        fast_path = "screens.fast_path.ScreenFastPathMiddleware"
        kept = [name for name in settings.MIDDLEWARE if name != fast_path]
        with override_settings(MIDDLEWARE=kept):
            return call()

    return view_answer


def same_answers(fast, full) -> None:
    assert fast.status_code == full.status_code
    assert dict(fast.headers) == dict(full.headers)
    if fast.content:
        bodies = [json.loads(response.content) for response in (fast, full)]
        for body in bodies:
            del body["server_time"]
        assert bodies[0] == bodies[1]


def test_an_unchanged_poll_is_answered_without_a_query_as_the_view_would(
    client,
    paired_screen,
    screen_loop,
    reading_kept,
    django_assert_num_queries,
    without_fast_path,
):
    etag = learnt_etag(client, paired_screen)
    with django_assert_num_queries(0):
        fast = poll(client, paired_screen, etag)
    full = without_fast_path(lambda: poll(client, paired_screen, f'W/{etag}, "x"'))
    assert fast.status_code == 304 and fast["ETag"] == etag
    assert fast["Cache-Control"] == "private, no-cache"
    same_answers(fast, full)


def test_a_playlist_from_memory_is_the_view_s_playlist(
    client,
    paired_screen,
    screen_loop,
    reading_kept,
    django_assert_num_queries,
    without_fast_path,
):
    etag = learnt_etag(client, paired_screen)
    commands.issue_to_screen(paired_screen.screen, "reload")
    reading_kept()
    poll(client, paired_screen, etag)  # learnt again, with the flag
    with django_assert_num_queries(0):  # the loop is cached
        fast = poll(client, paired_screen, '"an older loop"')
    full = without_fast_path(lambda: poll(client, paired_screen, '"an older loop"'))
    assert fast.status_code == 200 and fast["ETag"] == etag
    assert fast["X-Screen-Commands"] == "1"
    same_answers(fast, full)


def test_a_precondition_is_left_to_the_view(client, paired_screen, screen_loop):
    learnt_etag(client, paired_screen)
    response = client.get(PLAYLIST, HTTP_IF_MATCH='"another"', **paired_screen.headers)
    assert response.status_code == 412


def test_the_request_log_names_the_view_of_a_fast_answer(
    client, paired_screen, screen_loop, caplog
):
    etag = learnt_etag(client, paired_screen)
    with caplog.at_level(logging.INFO, logger="cms.requests"):
        caplog.clear()
        poll(client, paired_screen, etag)
        beat(client, paired_screen)
    views = [record.view for record in caplog.records]
    assert views == ["big_screen:playlist", "big_screen:heartbeat"]


def test_a_changed_loop_is_sent_at_the_next_reading(
    client, paired_screen, screen_loop, screen_tree, reading_kept
):
    etag = learnt_etag(client, paired_screen)
    PlaylistItem.objects.filter(group=screen_tree.province).first().delete()
    assert poll(client, paired_screen, etag).status_code == 304  # within the second
    reading_kept()  # the second has passed
    changed = poll(client, paired_screen, etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_a_page_published_elsewhere_remakes_etags_without_looking_screens_up(
    client, paired_screen, screen_loop, reading_kept, make_article, monkeypatch
):
    etag = learnt_etag(client, paired_screen)
    make_article()  # an editor's publication: the loops' fingerprint moves
    reading_kept()
    looked_up = []
    monkeypatch.setattr(
        pairing, "screen_for_token", lambda *args, **kwargs: looked_up.append(args)
    )
    assert poll(client, paired_screen, etag).status_code == 304
    assert looked_up == []


def test_a_screen_renamed_or_moved_gets_its_new_answer(
    client, paired_screen, screen_loop, screen_tree, reading_kept
):
    etag = learnt_etag(client, paired_screen)
    screen = paired_screen.screen
    screen.group = screen_tree.other_site
    screen.save()
    reading_kept()
    moved = poll(client, paired_screen, etag)
    assert moved.status_code == 200
    assert moved.json()["screen"]["id"] == screen.pk


def test_a_revoked_token_stops_working_at_the_next_reading(
    client, paired_screen, screen_loop, reading_kept
):
    etag = learnt_etag(client, paired_screen)
    pairing.revoke(paired_screen.screen)
    reading_kept()
    assert poll(client, paired_screen, etag).status_code == 401
    assert beat(client, paired_screen).status_code == 401
    assert not Heartbeat.objects.exists()


def test_an_unknown_token_is_refused_by_the_view(client, db):
    response = client.get(
        PLAYLIST, HTTP_AUTHORIZATION="Bearer nobody", HTTP_IF_NONE_MATCH='"x"'
    )
    assert response.status_code == 401
    assert response.json() == {"error": "屏幕未配对或令牌已吊销"}
    assert not KNOWN._table[1]


def test_a_waiting_command_is_announced_on_the_fast_304_until_fetched(
    client, paired_screen, screen_loop, reading_kept
):
    etag = learnt_etag(client, paired_screen)
    commands.issue_to_screen(paired_screen.screen, "reload")
    reading_kept()
    assert poll(client, paired_screen, etag)["X-Screen-Commands"] == "1"
    fetched = client.get("/api/screens/commands/", **paired_screen.headers)
    assert [c["kind"] for c in fetched.json()["commands"]] == ["reload"]
    reading_kept()
    assert "X-Screen-Commands" not in poll(client, paired_screen, etag)


# Heartbeats --------------------------------------------------------------------


def test_heartbeats_are_written_in_bulk_without_a_query_each(
    client,
    paired_screen,
    pair_screen,
    screen_tree,
    screen_loop,
    settings,
    reading_kept,
    django_assert_num_queries,
):
    settings.BIG_SCREEN_HEARTBEAT_BATCH = 3
    other = pair_screen(screen_tree.other_site, name="候车厅大屏")
    learnt_etag(client, paired_screen)
    learnt_etag(client, other)
    with django_assert_num_queries(0):
        assert beat(client, paired_screen).status_code == 204
        assert beat(client, other, {"version": "2026.11"}).status_code == 204
    assert not Heartbeat.objects.exists()
    assert beat(client, paired_screen, {"version": "2026.12", "playing": None})
    assert Heartbeat.objects.filter(screen=other.screen).count() == 1
    assert Heartbeat.objects.filter(screen=paired_screen.screen).count() == 1
    versions = dict(Screen.objects.values_list("name", "player_version"))
    assert versions == {"文化广场大屏": "2026.12", "候车厅大屏": "2026.11"}


def test_a_lone_heartbeat_is_written_at_the_next_flush(
    client, paired_screen, screen_loop, settings
):
    settings.BIG_SCREEN_HEARTBEAT_BATCH = 500
    before = timezone.now()
    assert beat(client, paired_screen).status_code == 204
    assert not Heartbeat.objects.exists()
    assert HEARTBEATS.flush() == 1
    screen = Screen.objects.get(pk=paired_screen.screen.pk)
    assert screen.last_seen_at >= before and screen.player_version == "2026.12"


def test_two_heartbeats_of_one_minute_in_one_write_make_one_row(
    client, paired_screen, screen_loop, settings
):
    settings.BIG_SCREEN_HEARTBEAT_BATCH = 500
    minute = (timezone.now() - timedelta(minutes=5)).replace(second=0, microsecond=0)
    first, second = PlaylistItem.objects.order_by("pk")[:2]
    for second_in, item, errors in (
        (10, first, [{"message": "卡顿"}]),
        (40, second, []),
    ):
        at = (minute + timedelta(seconds=second_in)).isoformat()
        body = {"version": "1", "at": at, "playing": item.pk, "errors": errors}
        assert beat(client, paired_screen, {"beats": [body]}).status_code == 204
    assert HEARTBEATS.flush() == 2
    (row,) = Heartbeat.objects.all()
    assert row.playing_item == second.pk
    assert [error["message"] for error in row.errors] == ["卡顿"]


def test_heartbeats_of_a_screen_deleted_meanwhile_leave_the_others_written(
    client, paired_screen, pair_screen, screen_tree, screen_loop, settings
):
    settings.BIG_SCREEN_HEARTBEAT_BATCH = 500
    other = pair_screen(screen_tree.other_site, name="候车厅大屏")
    beat(client, paired_screen)
    beat(client, other)
    Screen.objects.filter(pk=other.screen.pk).delete()
    assert HEARTBEATS.flush() == 2
    assert list(Heartbeat.objects.values_list("screen", flat=True)) == [
        paired_screen.screen.pk
    ]


def test_a_bad_heartbeat_gets_the_view_s_clear_error(client, paired_screen):
    response = beat(client, paired_screen, {"version": "1", "colour": "red"})
    assert response.status_code == 400
    assert "colour" in response.json()["error"]
    assert not Heartbeat.objects.exists()


def test_a_heartbeat_naming_an_emergency_is_confirmed_by_the_view(
    client, paired_screen, screen_tree, screen_loop
):
    now = timezone.now()
    emergency = EmergencyItem.objects.create(
        group=screen_tree.province,
        title="暴雨预警",
        message="请远离河道",
        starts_at=now,
        ends_at=now + timedelta(hours=2),
    )
    body = {"version": "2026.12", "emergency": emergency.pk}
    assert beat(client, paired_screen, body).status_code == 204
    assert EmergencyConfirmation.objects.filter(emergency=emergency).exists()


def test_a_screen_awaited_by_an_advisory_confirms_through_the_view(
    client,
    paired_screen,
    screen_loop,
    reading_kept,
    announcing,
    django_capture_on_commit_callbacks,
):
    learnt_etag(client, paired_screen)
    with announcing():
        withdraw(screen_loop.video_page)
    reading_kept()
    new_loop = poll(client, paired_screen)["ETag"]
    with django_capture_on_commit_callbacks(execute=True):
        beat(client, paired_screen, {"version": "1", "loop": new_loop})
    [confirmation] = AdvisoryConfirmation.objects.all()
    assert confirmation.screen == paired_screen.screen
    row = AdvisoryRecipient.objects.get(channel="big_screen")
    assert (row.state, row.detail) == ("acknowledged", "1/1 台已确认")
