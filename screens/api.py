"""The screens' HTTP API, which static/big_screen/player.js speaks: pairing,
the playlist with ETag/304 and the server's time, heartbeats (one, or a
batch a player queued while offline; the newest names the loop the player
took, which confirms a correction or withdrawal) and proof of play. Every
answer is JSON; the three screen endpoints take the screen's token as a
Bearer token and answer 401 to a missing, unknown or revoked one.
Every malformed body or field answers 400 with the problem (cms.json_input);
new pairing codes past their budget answer 429 with Retry-After."""

import hashlib
import json
from functools import wraps

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from cms.http import bearer_token, client_address, conditional
from cms.json_input import BadInput, fields, read_json, text
from screens import advisories, commands, pairing, releases, rollout, telemetry
from screens.loops import Loop, cached_loop, cached_loop_digest

PAIR_BODY_LIMIT = 1024
PAIR_FIELD_LIMIT = 100
# The playlist body's layout; bumped on any change an older player would
# misread. A player refuses a newer one and keeps the loop it has.
PLAYLIST_FORMAT = 1
PLAYER, RELEASE = "big_screen:player", "big_screen:release"
PLAYLIST_CACHE_CONTROL = "private, no-cache"


def error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def player_version() -> str:
    """The installed player's version: the digest its release is recorded
    under (screens.releases)."""
    return releases.installed().version


def player_release(group) -> dict:
    """The release a screen of the group is to run and its address: the
    player goes there when its own version differs (screens.rollout)."""
    version = rollout.version_for(group)
    if version is None:  # nothing recorded yet: the installed player
        return {"player_version": player_version(), "player_url": reverse(PLAYER)}
    return {"player_version": version, "player_url": reverse(RELEASE, args=[version])}


def poll_seconds() -> int:
    return settings.BIG_SCREEN_POLL_SECONDS


def answers_bad_input(view):
    """A BadInput raised while reading the request answers 400 with its
    message."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except BadInput as problem:
            return error(400, str(problem))

    return wrapped


def screen_api(view):
    """Authenticate the screen by its token; 401 otherwise."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        screen = pairing.screen_for_token(bearer_token(request))
        if screen is None:
            return error(401, "屏幕未配对或令牌已吊销")
        return view(request, screen, *args, **kwargs)

    return csrf_exempt(answers_bad_input(wrapped))


@csrf_exempt
@require_POST
@answers_bad_input
def pair(request):
    retry_after = pairing.pairing_wait(client_address(request))
    if retry_after is not None:
        message = _("配对请求过于频繁，请 %(seconds)d 秒后再试")
        response = error(429, message % {"seconds": retry_after})
        response["Retry-After"] = str(retry_after)
        return response
    read_json(request, PAIR_BODY_LIMIT)
    pending, secret = pairing.start_pairing()
    return JsonResponse(
        {"code": pending.code, "secret": secret, "expires_in": pairing.PAIRING_SECONDS},
        status=201,
    )


@csrf_exempt
@require_POST
@answers_bad_input
def pair_status(request):
    data = fields(
        read_json(request, PAIR_BODY_LIMIT),
        {"code", "secret"},
        {"code", "secret"},
        _("请求体"),
    )
    code = text(data["code"], "code", PAIR_FIELD_LIMIT)
    secret = text(data["secret"], "secret", PAIR_FIELD_LIMIT)
    status, request_row = pairing.pick_up(code, secret)
    if status == "unknown":
        return error(404, "配对码无效或已过期")
    if status == "waiting":
        return JsonResponse({"status": "waiting"}, status=202)
    screen = request_row.screen
    return JsonResponse(
        {
            "status": "paired",
            "token": request_row.token,
            "screen": {"id": screen.pk, "name": screen.name},
        }
    )


def screen_fields(screen) -> dict:
    """The playlist's "screen"."""
    return {
        "id": screen.pk,
        "name": screen.name,
        "orientation": screen.orientation,
        "width": screen.width,
        "height": screen.height,
        "opening_hours": screen.opening_hours,
    }


def playlist_head(fields: dict, group) -> dict:
    """Everything of a screen's playlist but its loop: the screen's fields
    (screen_fields) and what its group's screens run."""
    return {
        "format": PLAYLIST_FORMAT,
        "poll_seconds": poll_seconds(),
        **player_release(group),
        "screen": fields,
    }


def etag_of(head: dict, loop_digest: str) -> str:
    """The playlist's ETag: of its head and its loop's digest, so that it
    can be known without reading the loop."""
    text = json.dumps(head, sort_keys=True, ensure_ascii=False) + loop_digest
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def playlist_etag(screen) -> str:
    loop_digest = cached_loop_digest(screen.group, screen.orientation)
    return etag_of(playlist_head(screen_fields(screen), screen.group), loop_digest)


def playlist_response(body: dict) -> JsonResponse:
    now = timezone.localtime()
    return JsonResponse(
        {"server_time": now.isoformat(timespec="seconds"), **body},
        json_dumps_params={"ensure_ascii": False},
    )


def playlist_answer(
    request, head: dict, loop: Loop, commands_waiting: bool
) -> HttpResponse:
    """The playlist (or its 304), marked when commands wait; the view's
    answer and the fast path's."""
    body = {**head, **loop.body}
    etag = etag_of(head, loop.digest)
    response = conditional(request, lambda: playlist_response(body), etag=etag)
    response["Cache-Control"] = PLAYLIST_CACHE_CONTROL
    return commands.announce(response, commands_waiting)


@require_GET
@screen_api
def playlist(request, screen):
    head = playlist_head(screen_fields(screen), screen.group)
    loop = cached_loop(screen.group, screen.orientation)
    return playlist_answer(request, head, loop, screen.commands_waiting)


@require_POST
@screen_api
def heartbeat(request, screen):
    data = read_json(request, telemetry.HEARTBEAT_LIMIT)
    beats = telemetry.parse_heartbeats(data, screen)
    telemetry.store_heartbeats(screen, beats)
    loop = next((beat.loop for beat in reversed(beats) if beat.loop), "")
    if loop:  # confirms the corrections and withdrawals it took
        advisories.confirm(screen, loop, lambda: playlist_etag(screen))
    return HttpResponse(status=204)


@require_POST
@screen_api
def plays(request, screen):
    batch = telemetry.parse_plays(read_json(request, telemetry.PLAYS_LIMIT), screen)
    stored, duplicates = telemetry.store_plays(screen, batch)
    return JsonResponse({"stored": stored, "duplicates": duplicates})
