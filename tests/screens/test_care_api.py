"""Remote care through the screens' API: a playlist poll (304 included)
marked when commands wait, fetching them (only the screen's own), their
acknowledgement, screenshot uploads with their bad inputs, a revoked
screen, and what heartbeats report for care."""

import json
from datetime import timedelta
from io import BytesIO

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from screens import commands, pairing
from screens.models import Screen, ScreenCommand

PLAYLIST = "/api/screens/playlist/"
HEARTBEAT = "/api/screens/heartbeat/"
COMMANDS = "/api/screens/commands/"
HEADER = "X-Screen-Commands"


def ack_url(command) -> str:
    return f"{COMMANDS}{command.pk}/ack/"


def screenshot_url(command) -> str:
    return f"{COMMANDS}{command.pk}/screenshot/"


def jpeg(size=(320, 180), colour="#0b6e75") -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def png() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (32, 18), "#0b6e75").save(buffer, "PNG")
    return buffer.getvalue()


def post_json(client, url, body, **headers):
    return client.post(url, json.dumps(body), "application/json", **headers)


def upload(client, command, data: bytes, paired):
    return client.post(screenshot_url(command), data, "image/jpeg", **paired.headers)


def refused(response, status: int, message: str) -> None:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert message in response.json()["error"], response.json()["error"]


@pytest.fixture
def fetched(client, paired_screen):
    """Issue commands of these kinds to the paired screen and fetch them."""

    def fetch(*kinds: str) -> list[ScreenCommand]:
        issued = [commands.issue_to_screen(paired_screen.screen, k) for k in kinds]
        answer = client.get(COMMANDS, **paired_screen.headers)
        assert answer.status_code == 200
        assert [c["id"] for c in answer.json()["commands"]] == [c.pk for c in issued]
        return issued

    return fetch


def state_of(command) -> str:
    command.refresh_from_db()
    return command.state


# Polls tell the player that commands wait ----------------------------------------


def test_a_poll_is_marked_while_commands_wait_and_a_304_stays_a_304(
    client, paired_screen, screen_loop
):
    first = client.get(PLAYLIST, **paired_screen.headers)
    assert first.status_code == 200 and HEADER not in first
    etag = first["ETag"]

    command = commands.issue_to_screen(paired_screen.screen, "screenshot")
    marked = client.get(PLAYLIST, HTTP_IF_NONE_MATCH=etag, **paired_screen.headers)
    assert marked.status_code == 304 and marked[HEADER] == "1"
    assert state_of(command) == ScreenCommand.State.PENDING

    listed = client.get(COMMANDS, **paired_screen.headers).json()
    assert listed == {"commands": [{"id": command.pk, "kind": "screenshot"}]}
    assert state_of(command) == ScreenCommand.State.SENT
    command.refresh_from_db()
    assert command.sent_at is not None
    quiet = client.get(PLAYLIST, HTTP_IF_NONE_MATCH=etag, **paired_screen.headers)
    assert quiet.status_code == 304 and HEADER not in quiet
    assert client.get(COMMANDS, **paired_screen.headers).json() == {"commands": []}


def test_the_mark_costs_a_poll_no_query(client, paired_screen, screen_loop):
    etag = client.get(PLAYLIST, **paired_screen.headers)["ETag"]
    with CaptureQueriesContext(connection) as quiet:
        client.get(PLAYLIST, HTTP_IF_NONE_MATCH=etag, **paired_screen.headers)
    commands.issue_to_screen(paired_screen.screen, "reload")
    client.get(
        PLAYLIST, HTTP_IF_NONE_MATCH=etag, **paired_screen.headers
    )  # learnt again
    with CaptureQueriesContext(connection) as marked:
        answer = client.get(PLAYLIST, HTTP_IF_NONE_MATCH=etag, **paired_screen.headers)
    assert answer[HEADER] == "1"
    assert len(marked) == len(quiet)


def test_a_screen_fetches_only_its_own_commands(
    client, screen_tree, pair_screen, screen_loop
):
    mine = pair_screen(screen_tree.site, name="甲")
    other = pair_screen(screen_tree.other_site, name="乙")
    theirs = commands.issue_to_screen(other.screen, "reload")
    assert client.get(COMMANDS, **mine.headers).json() == {"commands": []}
    assert HEADER not in client.get(PLAYLIST, **mine.headers)
    assert state_of(theirs) == ScreenCommand.State.PENDING


# Acknowledgement ---------------------------------------------------------------------


def test_a_command_is_acknowledged_or_failed_with_the_players_reason(
    client, paired_screen, fetched
):
    reload, clear = fetched("reload", "clear_cache")
    done = post_json(client, ack_url(reload), {}, **paired_screen.headers)
    assert done.json() == {"id": reload.pk, "kind": "reload", "state": "acknowledged"}
    failed = post_json(
        client, ack_url(clear), {"error": "缓存被占用"}, **paired_screen.headers
    )
    assert failed.json()["state"] == "failed"
    clear.refresh_from_db()
    assert (clear.state, clear.error) == ("failed", "缓存被占用")
    assert clear.finished_at is not None

    again = post_json(client, ack_url(reload), {}, **paired_screen.headers)
    refused(again, 409, "已确认")


def test_a_screen_cannot_answer_another_screens_command(
    client, screen_tree, pair_screen
):
    mine = pair_screen(screen_tree.site, name="甲")
    other = pair_screen(screen_tree.other_site, name="乙")
    theirs = commands.issue_to_screen(other.screen, "screenshot")
    client.get(COMMANDS, **other.headers)

    refused(post_json(client, ack_url(theirs), {}, **mine.headers), 404, "本屏没有")
    refused(upload(client, theirs, jpeg(), mine), 404, "本屏没有编号")
    theirs.refresh_from_db()
    assert theirs.state == ScreenCommand.State.SENT and not theirs.screenshot


def test_a_command_not_yet_fetched_or_expired_takes_no_answer(
    client, paired_screen, fetched
):
    (sent,) = fetched("reload")
    pending = commands.issue_to_screen(paired_screen.screen, "reload")
    refused(
        post_json(client, ack_url(pending), {}, **paired_screen.headers), 409, "待下发"
    )
    commands.sweep(timezone.now() + commands.LIFETIME)
    refused(
        post_json(client, ack_url(sent), {}, **paired_screen.headers), 409, "已过期"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"error": 5}, "error 应为不超过 500 字的文本"),
        ({"error": "x" * 501}, "error 应为不超过 500 字的文本"),
        ({"reason": "x"}, "未知字段：reason"),
        ([], "应为 JSON 对象"),
    ],
)
def test_a_malformed_acknowledgement_is_refused_and_changes_nothing(
    client, paired_screen, fetched, body, message
):
    (command,) = fetched("clear_cache")
    refused(
        post_json(client, ack_url(command), body, **paired_screen.headers), 400, message
    )
    assert state_of(command) == ScreenCommand.State.SENT


def test_a_screenshot_command_needs_its_picture_or_a_reason(
    client, paired_screen, fetched
):
    (command,) = fetched("screenshot")
    bare = post_json(client, ack_url(command), {}, **paired_screen.headers)
    refused(bare, 400, "截图命令需上传截图")
    failed = post_json(
        client, ack_url(command), {"error": "画布受跨域限制"}, **paired_screen.headers
    )
    assert failed.json()["state"] == "failed"


# Screenshots -------------------------------------------------------------------------


def test_a_jpeg_screenshot_is_stored_privately_and_acknowledges_the_command(
    client, paired_screen, fetched
):
    (command,) = fetched("screenshot")
    picture = jpeg()
    answer = upload(client, command, picture, paired_screen)
    assert answer.status_code == 200 and answer.json()["state"] == "acknowledged"
    command.refresh_from_db()
    assert command.finished_at is not None
    with default_storage.open(command.screenshot.name) as stored:
        assert stored.read() == picture
    # Not public: the file address is for staff, the anonymous get nothing.
    assert client.get(f"/private-files/{command.screenshot.name}").status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (png(), "截图不是 JPEG 图片"),
        (b"GIF89a" + b"\0" * 100, "截图不是 JPEG 图片"),
        (b"\xff\xd8\xff\xe0" + b"\0" * 100, "截图不是 JPEG 图片"),
        (jpeg()[:600], "截图不是完整的 JPEG 图片"),
        (b"", "截图不是 JPEG 图片"),
    ],
)
def test_a_screenshot_that_is_not_a_whole_jpeg_is_refused_and_nothing_is_stored(
    client, paired_screen, fetched, screens_media, data, message
):
    (command,) = fetched("screenshot")
    refused(upload(client, command, data, paired_screen), 400, message)
    command.refresh_from_db()
    assert command.state == ScreenCommand.State.SENT and not command.screenshot
    assert not (screens_media / "big-screen").exists()


def test_a_screenshot_over_the_size_limit_is_refused_before_it_is_read(
    client, paired_screen, fetched, screens_media, settings
):
    (command,) = fetched("screenshot")
    too_large = b"\xff\xd8\xff" + b"\0" * commands.SCREENSHOT_LIMIT
    refused(upload(client, command, too_large, paired_screen), 400, "请求体超过")
    huge = jpeg(size=(5000, 4000), colour="#000000")
    assert len(huge) < commands.SCREENSHOT_LIMIT
    refused(
        upload(client, command, huge, paired_screen), 400, "截图尺寸 5000×4000 过大"
    )
    assert state_of(command) == ScreenCommand.State.SENT
    assert not (screens_media / "big-screen").exists()


def test_only_a_screenshot_command_takes_a_picture(client, paired_screen, fetched):
    (reload,) = fetched("reload")
    refused(upload(client, reload, jpeg(), paired_screen), 400, "不是截图命令")


# Revoked screens ----------------------------------------------------------------------


def test_a_revoked_screen_is_refused_commands_and_its_open_ones_fail(
    client, paired_screen, fetched
):
    (sent,) = fetched("screenshot")
    pending = commands.issue_to_screen(paired_screen.screen, "reload")
    pairing.revoke(paired_screen.screen)

    assert client.get(COMMANDS, **paired_screen.headers).status_code == 401
    answer = upload(client, sent, jpeg(), paired_screen)
    assert answer.status_code == 401 and answer.json()["error"]
    for command in (sent, pending):
        command.refresh_from_db()
        assert (command.state, command.error) == ("failed", "大屏已吊销")
    with pytest.raises(
        commands.CommandRefused, match="「文化广场大屏」已吊销，不能下发命令"
    ):
        commands.issue_to_screen(paired_screen.screen, "reload")
    assert ScreenCommand.objects.count() == 2


# Heartbeats report for care -----------------------------------------------------------


def test_a_heartbeat_keeps_the_players_version_storage_uptime_and_last_error(
    client, paired_screen
):
    beat = {
        "version": "abc123",
        "storage_free_bytes": 7_000_000_000,
        "storage_used_bytes": 120_000_000,
        "uptime_seconds": 3 * 86400 + 7200,
        "last_error": {"message": "无法播放「疫苗」：decode", "seconds_ago": 60},
    }
    before = timezone.now()
    assert (
        post_json(client, HEARTBEAT, beat, **paired_screen.headers).status_code == 204
    )
    screen = Screen.objects.get(pk=paired_screen.screen.pk)
    assert screen.player_version == "abc123"
    assert (screen.storage_free_bytes, screen.storage_used_bytes) == (
        7_000_000_000,
        120_000_000,
    )
    started = before - timedelta(days=3, hours=2)
    assert abs(screen.player_started_at - started) < timedelta(seconds=5)
    assert screen.last_error == "无法播放「疫苗」：decode"
    assert abs(screen.last_error_at - (before - timedelta(minutes=1))) < timedelta(
        seconds=5
    )

    restarted = {"version": "abc123", "uptime_seconds": 5}
    post_json(client, HEARTBEAT, restarted, **paired_screen.headers)
    screen.refresh_from_db()
    assert screen.last_error == "" and screen.last_error_at is None


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"uptime_seconds": -1}, "uptime_seconds 应为"),
        ({"uptime_seconds": "1h"}, "uptime_seconds 应为"),
        ({"storage_used_bytes": 2**63}, "storage_used_bytes 应为"),
        ({"last_error": "坏了"}, "last_error 应为 JSON 对象"),
        ({"last_error": {"message": "坏了"}}, "last_error 缺少字段：seconds_ago"),
        (
            {"last_error": {"message": "x" * 501, "seconds_ago": 1}},
            "last_error.message 应为不超过 500 字的文本",
        ),
    ],
)
def test_a_bad_care_field_refuses_the_heartbeat(client, paired_screen, extra, message):
    body = {"version": "v1", **extra}
    refused(post_json(client, HEARTBEAT, body, **paired_screen.headers), 400, message)
    screen = Screen.objects.get(pk=paired_screen.screen.pk)
    assert screen.last_seen_at is None and screen.player_started_at is None


# Random input never fails the doors ---------------------------------------------------

HYPOTHESIS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@HYPOTHESIS
@given(data=st.binary(max_size=400), body=st.text(max_size=200))
def test_random_uploads_and_answers_never_fail(client, paired_screen, data, body):
    command = commands.issue_to_screen(paired_screen.screen, "screenshot")
    client.get(COMMANDS, **paired_screen.headers)
    for response in (
        upload(client, command, data, paired_screen),
        client.post(
            ack_url(command), body, "application/json", **paired_screen.headers
        ),
    ):
        assert response.status_code < 500, response.content[:300]
        if response.status_code >= 400:
            assert response.json()["error"]
