"""The screens' HTTP API: pairing, the playlist (ETag, 304, server time,
auth), heartbeats and proof of play, with the bad inputs the contract names."""

import json
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from screens import api, pairing
from screens.models import (
    EmergencyConfirmation,
    EmergencyItem,
    Heartbeat,
    PlaylistItem,
    PlayRecord,
    Screen,
)

PLAYLIST = "/api/screens/playlist/"
HEARTBEAT = "/api/screens/heartbeat/"
PLAYS = "/api/screens/plays/"


def post_json(client, url, body, **headers):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(url, data, content_type="application/json", **headers)


# Pairing ----------------------------------------------------------------------


def test_pairing_end_to_end_gives_the_token_once_and_it_reads_the_playlist(
    client, screen_tree, screen_loop
):
    started = post_json(client, "/api/screens/pair/", {})
    assert started.status_code == 201
    code, secret = started.json()["code"], started.json()["secret"]
    assert len(code) == 6 and not set(code) & set("0O1I")
    assert len(secret) >= 32 and started.json()["expires_in"] == 600

    status_body = {"code": code, "secret": secret}
    waiting = post_json(client, "/api/screens/pair/status/", status_body)
    assert (waiting.status_code, waiting.json()) == (202, {"status": "waiting"})

    screen = pairing.claim(code.lower(), group=screen_tree.site, name="广场屏")
    paired = post_json(client, "/api/screens/pair/status/", status_body)
    assert paired.status_code == 200
    token = paired.json()["token"]
    assert paired.json()["screen"] == {"id": screen.pk, "name": "广场屏"}
    assert (
        post_json(client, "/api/screens/pair/status/", status_body).status_code == 404
    )

    screen.refresh_from_db()
    assert screen.token_hash == pairing.digest(token) and token not in screen.token_hash
    response = client.get(PLAYLIST, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json()["screen"]["id"] == screen.pk


def test_pair_status_refuses_a_wrong_secret_and_an_unknown_code(client, db):
    code = post_json(client, "/api/screens/pair/", {}).json()["code"]
    wrong = {"code": code, "secret": "x" * 43}
    assert post_json(client, "/api/screens/pair/status/", wrong).status_code == 404
    unknown = {"code": "ZZZZZZ", "secret": "x" * 43}
    assert post_json(client, "/api/screens/pair/status/", unknown).status_code == 404


def test_an_expired_code_cannot_be_claimed(screen_tree):
    request, _secret = pairing.start_pairing()
    type(request).objects.filter(pk=request.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(Exception, match="配对码"):
        pairing.claim(request.code, group=screen_tree.site, name="过期")
    assert not Screen.objects.exists()


# Playlist -----------------------------------------------------------------------


def test_playlist_sends_the_resolved_loop_with_server_time(
    client, paired_screen, screen_loop
):
    before = timezone.now()
    response = client.get(PLAYLIST, **paired_screen.headers)
    body = response.json()
    assert response["Cache-Control"] == "private, no-cache"
    server_time = parse_datetime(body["server_time"])
    assert server_time.utcoffset() == timedelta(hours=8)
    assert before - timedelta(seconds=1) <= server_time <= timezone.now()
    assert body["poll_seconds"] == 30 and body["emergency"] is None
    ids = [item["id"] for item in body["items"]]
    assert ids == [screen_loop.video.pk, screen_loop.card.pk, screen_loop.image.pk]
    video, card, image = body["items"]
    assert video["kind"] == "video" and video["url"].endswith(".mp4")
    assert card["kind"] == "card" and card["url"].endswith(".png")
    assert image["day_parts"][0]["start"] == "07:00"
    assert not any(
        item["url"].startswith((settings.MEDIA_URL, "/media/"))
        for item in body["items"]
    )


def test_playlist_names_its_format_for_the_player_to_refuse_a_newer_one(
    client, paired_screen, screen_loop
):
    body = client.get(PLAYLIST, **paired_screen.headers).json()
    assert body["format"] == api.PLAYLIST_FORMAT == 1


def test_playlist_answers_304_to_its_etag_and_changes_when_the_loop_does(
    client, paired_screen, screen_loop
):
    first = client.get(PLAYLIST, **paired_screen.headers)
    etag = first["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = client.get(PLAYLIST, HTTP_IF_NONE_MATCH=etag, **paired_screen.headers)
    assert again.status_code == 304 and again["ETag"] == etag
    item = PlaylistItem.objects.get(pk=screen_loop.image.pk)
    item.duration_seconds = 12
    item.save()  # as the admin's playlist editor does
    changed = client.get(PLAYLIST, HTTP_IF_NONE_MATCH=etag, **paired_screen.headers)
    assert changed.status_code == 200 and changed["ETag"] != etag


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic abc", "Bearer "])
def test_playlist_refuses_a_missing_or_unknown_token(client, screen_loop, header):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = client.get(PLAYLIST, **extra)
    assert response.status_code == 401 and "error" in response.json()


def test_a_revoked_token_gets_401(client, paired_screen, screen_loop):
    assert client.get(PLAYLIST, **paired_screen.headers).status_code == 200
    pairing.revoke(paired_screen.screen)
    assert client.get(PLAYLIST, **paired_screen.headers).status_code == 401
    body = {"version": "v1"}
    assert (
        post_json(client, HEARTBEAT, body, **paired_screen.headers).status_code == 401
    )


def test_a_token_reads_only_its_own_screens_loop(
    client, screen_tree, pair_screen, screen_loop
):
    mine = pair_screen(screen_tree.site, name="甲")
    other = pair_screen(screen_tree.other_site, name="乙")
    mine_ids = [i["id"] for i in client.get(PLAYLIST, **mine.headers).json()["items"]]
    other_body = client.get(PLAYLIST, **other.headers).json()
    assert other_body["screen"]["id"] == other.screen.pk
    assert screen_loop.image.pk in mine_ids
    assert screen_loop.image.pk not in [i["id"] for i in other_body["items"]]


def test_playlist_queries_do_not_grow_with_groups_and_screens(
    client, screen_tree, make_screen_group, pair_screen, screen_loop
):
    def count_queries(screen) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.get(PLAYLIST, **screen.headers)  # cards drawn once
        with CaptureQueriesContext(connection) as queries:
            assert client.get(PLAYLIST, **screen.headers).status_code == 200
        return len(queries)

    small = count_queries(pair_screen(screen_tree.site))
    parent = screen_tree.county
    for n in range(10):
        group = make_screen_group(f"站点{n}", 4, parent)
        PlaylistItem.objects.create(
            group=group, kind="image", image=screen_loop.image.image
        )
        pair_screen(group, name=f"屏{n}")
    PlaylistItem.objects.bulk_create(
        PlaylistItem(
            group=screen_tree.site, kind="image", image=screen_loop.image.image
        )
        for _ in range(10)
    )
    assert count_queries(pair_screen(screen_tree.site, name="新屏")) == small


# Heartbeats ---------------------------------------------------------------------


def test_heartbeat_is_stored_once_a_minute_and_marks_the_screen_seen(
    client, paired_screen, screen_loop
):
    body = {
        "version": "abc123",
        "playing": screen_loop.card.pk,
        "emergency": None,
        "storage_free_bytes": 10_000_000,
        "errors": [{"item": screen_loop.video.pk, "message": "解码失败"}],
    }
    first = post_json(client, HEARTBEAT, body, **paired_screen.headers)
    assert first.status_code == 204
    body["playing"] = screen_loop.image.pk
    post_json(client, HEARTBEAT, body, **paired_screen.headers)
    beat = Heartbeat.objects.get()
    assert beat.playing_item == screen_loop.image.pk
    assert beat.minute.second == 0 and beat.errors[0]["message"] == "解码失败"
    screen = Screen.objects.get(pk=paired_screen.screen.pk)
    assert screen.player_version == "abc123" and screen.last_seen_at is not None


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        [],
        {"playing": 1},
        {"version": 5},
        {"version": "v", "playing": "12"},
        {"version": "v", "playing": True},
        {"version": "v", "storage_free_bytes": -1},
        {"version": "v", "errors": "boom"},
        {"version": "v", "errors": [{"item": 1}]},
        {"version": "v", "emergency": 999999},
        {"version": "v", "surprise": 1},
        {"version": "v", "errors": [{"item": None, "message": "x" * 17000}]},
    ],
)
def test_a_bad_heartbeat_gets_400_and_nothing_is_stored(client, paired_screen, body):
    response = post_json(client, HEARTBEAT, body, **paired_screen.headers)
    assert response.status_code == 400 and response.json()["error"]
    assert not Heartbeat.objects.exists()
    assert Screen.objects.get(pk=paired_screen.screen.pk).last_seen_at is None


def test_heartbeat_with_an_emergency_confirms_it(client, paired_screen, screen_tree):
    now = timezone.now()
    emergency = EmergencyItem.objects.create(
        group=screen_tree.county,
        title="暴雨预警",
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(hours=1),
    )
    body = {"version": "v", "emergency": emergency.pk}
    post_json(client, HEARTBEAT, body, **paired_screen.headers)
    post_json(client, HEARTBEAT, body, **paired_screen.headers)
    confirmation = EmergencyConfirmation.objects.get()
    assert confirmation.screen == paired_screen.screen


# Proof of play -----------------------------------------------------------------


def play(item=None, emergency=None, **fields) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "item": item,
        "emergency": emergency,
        "started_at": timezone.localtime().isoformat(),
        "seconds": 29.8,
        **fields,
    }


def test_a_batch_sent_twice_is_stored_once(client, paired_screen, screen_loop):
    batch = {"plays": [play(screen_loop.video.pk), play(screen_loop.card.pk)]}
    first = post_json(client, PLAYS, batch, **paired_screen.headers)
    assert first.json() == {"stored": 2, "duplicates": 0}
    again = post_json(client, PLAYS, batch, **paired_screen.headers)
    assert again.json() == {"stored": 0, "duplicates": 2}
    record = PlayRecord.objects.get(item=screen_loop.card)
    assert record.page_id == screen_loop.article.pk
    assert record.screen == paired_screen.screen and record.seconds == 29.8


@pytest.mark.parametrize(
    "bad",
    [
        {"id": "not-a-uuid"},
        {"seconds": -1},
        {"seconds": "30"},
        {"started_at": "2026-11-23 10:00"},
        {"started_at": "yesterday"},
        {"item": None},
        {"extra": 1},
    ],
)
def test_one_bad_play_refuses_the_whole_batch(client, paired_screen, screen_loop, bad):
    batch = {
        "plays": [play(screen_loop.video.pk), {**play(screen_loop.card.pk), **bad}]
    }
    response = post_json(client, PLAYS, batch, **paired_screen.headers)
    assert response.status_code == 400
    assert not PlayRecord.objects.exists()


def test_plays_of_another_groups_item_are_refused(
    client, screen_tree, pair_screen, screen_loop
):
    other = pair_screen(screen_tree.other_site, name="乙")
    batch = {"plays": [play(screen_loop.video.pk), play(screen_loop.image.pk)]}
    assert post_json(client, PLAYS, batch, **other.headers).status_code == 400
    assert not PlayRecord.objects.exists()


def test_an_oversized_or_too_long_batch_is_refused(client, paired_screen, screen_loop):
    too_many = {"plays": [play(screen_loop.video.pk) for _ in range(501)]}
    assert (
        post_json(client, PLAYS, too_many, **paired_screen.headers).status_code == 400
    )
    huge = b'{"plays": [], "pad": "' + b"x" * 300_000 + b'"}'
    assert post_json(client, PLAYS, huge, **paired_screen.headers).status_code == 400
    assert not PlayRecord.objects.exists()
