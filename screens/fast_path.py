"""The two calls every screen makes all day, answered right after the static
files and without a query: a playlist poll whose answer has not changed
(304) and a heartbeat (buffered and written in bulk).

What a screen's poll is answered with depends on its row (group, size,
hours, the commands flag, revocation: ScreenGeneration, bumped on every
change), its loop (screens.loops' fingerprint), the local date and its
player release (screens.rollout; the installed player's before any is
recorded). A process reads all of them again once
its reading is BIG_SCREEN_FAST_PATH_SECONDS old (1 s; one query), and under
one reading keeps, per token digest, what the screen's answer is: its ETag,
the commands flag, and whether its heartbeats must confirm an advisory (a
new advisory row anywhere moves the reading too). The first call of a
screen under a reading fills its entry with the full view's queries; the
others cost a dictionary lookup. A change made anywhere, a revocation
included, reaches every call within that time.

Anything else goes on to screens.api, which answers it in full: an unknown
token, an ETag that does not match, a heartbeat that names an emergency,
must confirm an advisory or is not valid.

A buffered heartbeat is written within BIG_SCREEN_HEARTBEAT_SECONDS, or
when BIG_SCREEN_HEARTBEAT_BATCH wait, and at exit (cms.write_buffer); a
process killed outright loses what it held, at most those seconds of
minutes, which the player's next beats do not repeat."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.urls import ResolverMatch, resolve, reverse
from django.utils import timezone
from django.utils.http import parse_etags

from channels.models import AdvisoryRecipient
from cms.generations import FingerprintQuery, RecentFingerprint, latest
from cms.http import bearer_token
from cms.json_input import BadInput, parse_json, read_body
from cms.write_buffer import WriteBuffer
from screens import advisories, api, pairing, rollout, telemetry
from screens.commands import COMMANDS_HEADER
from screens.loops import LOOP_FINGERPRINT
from screens.models import Screen, ScreenGeneration

FAST_FINGERPRINT = FingerprintQuery(
    counters=(
        *LOOP_FINGERPRINT.counters,
        latest(ScreenGeneration, "value"),
        latest(AdvisoryRecipient, "id"),
    ),
    moments=(*LOOP_FINGERPRINT.moments, latest(ScreenGeneration, "changed_at")),
)
recent_fingerprint = RecentFingerprint(
    FAST_FINGERPRINT, lambda: settings.BIG_SCREEN_FAST_PATH_SECONDS
)


@dataclass(frozen=True)
class Known:
    """What one screen's calls are answered with under one reading."""

    screen_id: int
    etag: str
    commands_waiting: bool
    confirms: bool  # advisory rows wait for its heartbeat


class KnownScreens:
    """Known entries by token digest, under the reading they were made in;
    a new reading starts an empty table. Threads share it: each step is
    one atomic operation on a dict or on the table's tuple."""

    def __init__(self) -> None:
        self._table: tuple[tuple | None, dict[str, Known]] = (None, {})

    def get(self, reading: tuple, digest: str) -> Known | None:
        table_reading, entries = self._table
        if table_reading != reading:
            self._table = (reading, {})
            return None
        return entries.get(digest)

    def put(self, reading: tuple, digest: str, known: Known) -> None:
        table_reading, entries = self._table
        if table_reading == reading:
            entries[digest] = known

    def forget(self, digest: str) -> None:
        self._table[1].pop(digest, None)

    def clear(self) -> None:
        self._table = (None, {})


KNOWN = KnownScreens()


def current_reading() -> tuple:
    now = timezone.now()
    fingerprint = recent_fingerprint.get(now)
    fleet = rollout.recent_fleet.get()
    return (fingerprint.key, timezone.localdate(now), fleet, api.player_version())


def learn(screen: Screen) -> Known:
    """The screen's entry, made with the full view's own functions."""
    return Known(
        screen_id=screen.pk,
        etag=api.etag_of(api.playlist_body(screen)),
        commands_waiting=screen.commands_waiting,
        confirms=advisories.open_rows(screen).exists(),
    )


def known_screen(request: HttpRequest) -> Known | None:
    """The entry of the request's token, made now if it has none; None for
    a missing, unknown or revoked token. The reading is taken before the
    entry is made, so an entry is never older than its reading."""
    raw = bearer_token(request)
    if raw is None:
        return None
    digest = pairing.digest(raw)
    reading = current_reading()
    known = KNOWN.get(reading, digest)
    if known is None:
        screen = pairing.screen_for_token(raw)
        if screen is None:
            return None
        known = learn(screen)
        KNOWN.put(reading, digest, known)
    return known


def matches(if_none_match: str, etag: str) -> bool:
    """The weak comparison of RFC 9110, as Django's conditional views make
    it (a proxy that compresses may have weakened the ETag)."""
    if if_none_match.strip() == "*":
        return True
    return etag in {tag.removeprefix("W/") for tag in parse_etags(if_none_match)}


def poll(request: HttpRequest) -> HttpResponse | None:
    if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
    if not if_none_match:
        return None
    known = known_screen(request)
    if known is None or not matches(if_none_match, known.etag):
        return None
    response = HttpResponseNotModified()
    response["ETag"] = known.etag
    response["Cache-Control"] = api.PLAYLIST_CACHE_CONTROL
    if known.commands_waiting:
        response[COMMANDS_HEADER] = "1"
    return response


def heartbeat(request: HttpRequest) -> HttpResponse | None:
    known = known_screen(request)
    if known is None:
        return None
    if known.confirms:  # the view confirms; the next call looks again
        KNOWN.forget(pairing.digest(bearer_token(request)))
        return None
    try:
        body = read_body(request, telemetry.HEARTBEAT_LIMIT)
        parsed = telemetry.unresolved_beats(parse_json(body))
    except BadInput:
        return None  # the view answers with the problem
    if any(emergency is not None for _beat, emergency in parsed):
        return None
    beats = [beat for beat, _emergency in parsed]
    HEARTBEATS.add(telemetry.Arrival(known.screen_id, beats, timezone.now()))
    return HttpResponse(status=204)


@cache
def answers() -> dict[tuple[str, str], tuple[Callable, ResolverMatch]]:
    """(method, path) → the fast answer's function, and the view's match
    (for the request log and metrics)."""
    paths = {"GET": "big_screen:playlist", "POST": "big_screen:heartbeat"}
    functions = {"GET": poll, "POST": heartbeat}
    return {
        (method, reverse(name)): (functions[method], resolve(reverse(name)))
        for method, name in paths.items()
    }


class ScreenFastPathMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        answer = answers().get((request.method, request.path))
        if answer is not None:
            function, request.resolver_match = answer
            if (response := function(request)) is not None:
                return response
        return self.get_response(request)


def connect_signals() -> None:
    ScreenGeneration.follow([Screen])


# Buffered heartbeats ------------------------------------------------------------------


def write_arrivals(arrivals: list[telemetry.Arrival]) -> None:
    """Store the arrivals of screens that still exist (one deleted meanwhile
    takes its beats with it)."""
    screens = {arrival.screen_id for arrival in arrivals}
    kept = set(Screen.objects.filter(pk__in=screens).values_list("pk", flat=True))
    if left := [arrival for arrival in arrivals if arrival.screen_id in kept]:
        telemetry.store_arrivals(left)


HEARTBEATS = WriteBuffer(
    "screens heartbeats",
    write_arrivals,
    batch=lambda: settings.BIG_SCREEN_HEARTBEAT_BATCH,
    seconds=lambda: settings.BIG_SCREEN_HEARTBEAT_SECONDS,
    background=lambda: settings.BIG_SCREEN_HEARTBEAT_BACKGROUND_FLUSH,
    after_commit=False,  # no transaction is open this early in a request
)
