"""The two calls every screen makes all day, answered right after the static
files and without a query: a playlist poll (a 304 when its answer has not
changed, else the playlist from the cached loop) and a heartbeat (buffered
and written in bulk).

A process keeps two tables, each under a reading of what it depends on,
taken again once it is BIG_SCREEN_FAST_PATH_SECONDS old (1 s; one small
query each):
- known screens, by token digest: what a screen's answers need of its row
  (group, orientation, the playlist's "screen", the commands flag) and
  whether its heartbeats must confirm an advisory. Under ScreenGeneration,
  bumped on every change to a screen's or a group's row (revocation
  included) and on every new advisory row for screens. A screen's first call under a
  reading looks it up (one query; the groups, and which of them await
  confirmations, are read once per reading).
- ETags, by token digest: the playlist's ETag (api.etag_of), made from the
  known screen, its group's release and its loop's digest without a query.
  Under the loop's fingerprint (screens.loops), the local date, the player
  releases (screens.rollout; the installed player's before any is
  recorded) and the known screens' reading. A change to pages made by an
  editor moves it; each screen's ETag is then made again from memory, each
  group's loop resolved once.
A change made anywhere, a revocation too, reaches every call within that
time, in every process.

Anything else goes on to screens.api, which answers it in full: an unknown
token, a heartbeat that names an emergency, must confirm an advisory or is
not valid.

A buffered heartbeat is written within BIG_SCREEN_HEARTBEAT_SECONDS, or
when BIG_SCREEN_HEARTBEAT_BATCH wait, and at exit (cms.write_buffer); a
process killed outright loses what it held, at most those seconds of
minutes."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import DataError, IntegrityError
from django.db.models.signals import post_save
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.urls import ResolverMatch, resolve, reverse
from django.utils import timezone
from django.utils.http import parse_etags

from channels.models import AdvisoryRecipient
from cms.generations import (
    Fingerprint,
    FingerprintQuery,
    RecentFingerprint,
    latest,
)
from cms.http import bearer_token
from cms.json_input import BadInput, parse_json, read_body
from cms.write_buffer import WriteBuffer
from screens import advisories, api, commands, pairing, rollout, telemetry
from screens.loops import LOOP_FINGERPRINT, cached_loop, cached_loop_digest
from screens.models import Screen, ScreenGeneration, ScreenGroup

logger = logging.getLogger(__name__)


def reading_seconds() -> float:
    return settings.BIG_SCREEN_FAST_PATH_SECONDS


SCREENS_FINGERPRINT = FingerprintQuery(
    counters=(latest(ScreenGeneration, "value"),),
    moments=(latest(ScreenGeneration, "changed_at"),),
)
recent_screens = RecentFingerprint(SCREENS_FINGERPRINT, reading_seconds)
recent_loops = RecentFingerprint(LOOP_FINGERPRINT, reading_seconds)


@dataclass(frozen=True)
class KnownScreen:
    """What a screen's answers need of its row."""

    screen_id: int
    group: ScreenGroup  # one instance for the screens of a group
    orientation: str
    fields: dict  # the playlist's "screen" (api.screen_fields)
    commands_waiting: bool
    confirms: bool  # advisory rows wait for its heartbeat


class Table:
    """Entries by token digest under the reading they were made in; a new
    reading starts an empty table. Threads share it: each step is one
    atomic operation on a dict or on the table's tuple."""

    def __init__(self) -> None:
        self._table: tuple[tuple | None, dict] = (None, {})

    def get(self, reading: tuple, digest: str):
        table_reading, entries = self._table
        if table_reading != reading:
            self._table = (reading, {})
            return None
        return entries.get(digest)

    def put(self, reading: tuple, digest: str, entry) -> None:
        table_reading, entries = self._table
        if table_reading == reading:
            entries[digest] = entry

    def forget(self, digest: str) -> None:
        self._table[1].pop(digest, None)

    def clear(self) -> None:
        self._table = (None, {})


KNOWN, ETAGS = Table(), Table()


@dataclass(frozen=True)
class Tree:
    """The screen groups, one instance each, and those whose advisory rows
    wait for confirmations: read once per reading of the known screens."""

    groups: dict[int, ScreenGroup]
    awaiting: set[int]

    @classmethod
    def read(cls) -> "Tree":
        groups = {group.pk: group for group in ScreenGroup.objects.all()}
        return cls(groups, advisories.groups_with_open_rows())


class Trees:
    def __init__(self) -> None:
        self._tree: tuple[tuple | None, Tree | None] = (None, None)

    def get(self, reading: tuple) -> Tree:
        tree_reading, tree = self._tree
        if tree is None or tree_reading != reading:
            tree = Tree.read()
            self._tree = (reading, tree)
        return tree

    def clear(self) -> None:
        self._tree = (None, None)


TREES = Trees()


def forget_everything() -> None:
    """Start again from the database (tests that roll it back)."""
    for table in (KNOWN, ETAGS):
        table.clear()
    TREES.clear()
    for fingerprint in (recent_screens, recent_loops):
        fingerprint.forget()


def learn(screen: Screen, tree: Tree) -> KnownScreen:
    group = tree.groups.get(screen.group_id) or screen.group  # a group added since
    screen.group = group
    awaiting = not tree.awaiting.isdisjoint(group.lineage_ids)
    return KnownScreen(
        screen_id=screen.pk,
        group=group,
        orientation=screen.orientation,
        fields=api.screen_fields(screen),
        commands_waiting=screen.commands_waiting,
        confirms=awaiting and advisories.open_rows(screen).exists(),
    )


def known_screen(digest: str, raw: str) -> tuple[tuple, KnownScreen | None]:
    """The known screen of a token (looked up now if it is not known) and
    the reading it is known under; None for an unknown or revoked token.
    Readings are taken before the lookups they key, so an entry is never
    older than its reading."""
    reading = (recent_screens.get().key,)
    known = KNOWN.get(reading, digest)
    if known is None:
        screen = pairing.screen_for_token(raw, with_group=False)
        if screen is None:
            return reading, None
        known = learn(screen, TREES.get(reading))
        KNOWN.put(reading, digest, known)
    return reading, known


def remembered_etag(
    known: KnownScreen, digest: str, screens_reading: tuple, loops: Fingerprint
) -> str:
    """The screen's playlist ETag, as api.playlist answers it, under the
    loops' fingerprint `loops`."""
    now = timezone.now()
    reading = (
        loops.key,
        timezone.localdate(now),
        rollout.recent_fleet.get(),
        api.player_version(),
        screens_reading,
    )
    etag = ETAGS.get(reading, digest)
    if etag is None:
        head = api.playlist_head(known.fields, known.group)
        loop = cached_loop_digest(known.group, known.orientation, loops)
        etag = api.etag_of(head, loop)
        ETAGS.put(reading, digest, etag)
    return etag


def matches(if_none_match: str, etag: str) -> bool:
    """The weak comparison of RFC 9110, as Django's conditional views make
    it (a proxy that compresses may have weakened the ETag)."""
    if if_none_match.strip() == "*":
        return True
    return etag in {tag.removeprefix("W/") for tag in parse_etags(if_none_match)}


# Players send neither; the view answers them (412) as Django's views do.
PRECONDITIONS = {"HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE"}


def token_digest(request: HttpRequest) -> tuple[str, str] | None:
    raw = bearer_token(request)
    return None if raw is None else (pairing.digest(raw), raw)


def poll(request: HttpRequest) -> HttpResponse | None:
    """A 304 from memory when the ETag matches, else the playlist from the
    cached loop (api.playlist_answer), without looking the screen up."""
    token = token_digest(request)
    if token is None or PRECONDITIONS & request.META.keys():
        return None
    reading, known = known_screen(*token)
    if known is None:
        return None
    if_none_match = request.META.get("HTTP_IF_NONE_MATCH", "")
    loops = recent_loops.get()
    etag = remembered_etag(known, token[0], reading, loops)
    if not if_none_match or not matches(if_none_match, etag):
        loop = cached_loop(known.group, known.orientation, loops)
        head = api.playlist_head(known.fields, known.group)
        return api.playlist_answer(request, head, loop, known.commands_waiting)
    response = HttpResponseNotModified()
    response["ETag"] = etag
    response["Cache-Control"] = api.PLAYLIST_CACHE_CONTROL
    return commands.announce(response, known.commands_waiting)


def heartbeat(request: HttpRequest) -> HttpResponse | None:
    token = token_digest(request)
    if token is None:
        return None
    _reading, known = known_screen(*token)
    if known is None:
        return None
    if known.confirms:  # the view confirms; the next call looks again
        KNOWN.forget(token[0])
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
                return finished(response)
        return self.get_response(request)


def finished(response: HttpResponse) -> HttpResponse:
    """The headers the middleware after this one would have added."""
    if not response.has_header("Content-Length"):  # CommonMiddleware
        response["Content-Length"] = str(len(response.content))
    response.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
    return response


def connect_signals() -> None:
    ScreenGeneration.follow([Screen, ScreenGroup])
    post_save.connect(
        advisory_row_added, AdvisoryRecipient, dispatch_uid="fast-path-advisories"
    )


def advisory_row_added(sender, instance, created: bool, raw: bool = False, **kw):
    """A screens' advisory row: its screens' heartbeats now confirm it (the
    bump commits with the row)."""
    if created and not raw and instance.sender == advisories.SENDER:
        ScreenGeneration.bump()


# Buffered heartbeats ------------------------------------------------------------------


def write_arrivals(arrivals: list[telemetry.Arrival]) -> None:
    """Store the arrivals of screens that still exist (one deleted meanwhile
    takes its beats with it). Rows the database refuses are logged and
    dropped, not tried again for ever; an unreachable database raises, and
    the buffer keeps them."""
    screens = {arrival.screen_id for arrival in arrivals}
    kept = set(Screen.objects.filter(pk__in=screens).values_list("pk", flat=True))
    try:
        if left := [arrival for arrival in arrivals if arrival.screen_id in kept]:
            telemetry.store_arrivals(left)
    except (IntegrityError, DataError):
        logger.exception("screens: %d heartbeats refused", len(arrivals))


HEARTBEATS = WriteBuffer(
    "screens heartbeats",
    write_arrivals,
    batch=lambda: settings.BIG_SCREEN_HEARTBEAT_BATCH,
    seconds=lambda: settings.BIG_SCREEN_HEARTBEAT_SECONDS,
    background=lambda: settings.BIG_SCREEN_HEARTBEAT_BACKGROUND_FLUSH,
    after_commit=False,  # no transaction is open this early in a request
)
