"""Telemetry: what screens send back to screens.api, heartbeats (one a minute,
kept as one Heartbeat row per screen and minute) and proof-of-play batches
(PlayRecord rows, idempotent by each play's UUID). A body is checked in full
before anything is stored, with the readers of cms.json_input: one bad field
refuses the whole body with a BadInput naming it. Plays or heartbeats for a
day already rolled up mark it to be rolled up again (screens.rollups).

A player queues its heartbeats while offline and sends them later as a
batch, each with the time it was taken: every screen-minute is stored once
(the unique screen and minute), with when it first arrived, so a minute
sent again counts once and one sent long after it happened counts as
reported late (screens.minutes). A play also stores the minutes it covered,
so a minute is on when a heartbeat or a play covers it. Beats before the
raw-row retention window or ahead of the server's clock are refused."""

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.bulk import update_each
from cms.json_input import BadInput, fields, integer, moment, number, text
from screens.health import HEALTH_KEYS, Health, parse_health
from screens.minutes import local_midnight
from screens.models import (
    EmergencyConfirmation,
    EmergencyItem,
    Heartbeat,
    PlaylistItem,
    PlayRecord,
    Screen,
)
from screens.rollups import BATCH, plays_arrived, retention_start

HEARTBEAT_LIMIT = 256 * 1024  # a batch of queued beats, or one beat
MAX_BEATS = 500
# A queued beat's time comes from the player's clock set by the server's.
BEAT_FUTURE_SLACK = timedelta(minutes=5)
PLAYS_LIMIT = 256 * 1024
MAX_PLAYS = 500
MAX_ERRORS = 50
MAX_MESSAGE = 500
MAX_VERSION = 40
MAX_PLAY_SECONDS = 24 * 3600
FUTURE_SLACK = timedelta(hours=1)  # a player's clock may run a little fast
# A player keeps about a week of plays offline: a far older play is a broken clock.
MAX_PLAY_AGE = timedelta(days=90)
MAX_LOOP = 80
HEARTBEAT_KEYS = {
    "version",
    "playing",
    "emergency",
    "loop",
    "storage_free_bytes",
    "errors",
    *HEALTH_KEYS,
}
QUEUED_BEAT_KEYS = HEARTBEAT_KEYS | {"at"}
PLAY_KEYS = {"id", "item", "emergency", "started_at", "seconds"}


@dataclass(frozen=True)
class Beat:
    version: str
    playing: int | None
    emergency: EmergencyItem | None
    storage_free_bytes: int | None
    errors: list[dict]
    loop: str = ""  # the ETag of the loop the player took (screens.advisories)
    health: Health = Health()  # for remote care (screens.health)
    at: datetime | None = None  # when a queued beat was taken; None: just now


@dataclass(frozen=True)
class Play:
    play_id: uuid.UUID
    item: PlaylistItem | None
    emergency: EmergencyItem | None
    started_at: datetime
    seconds: float


def optional_id(data: dict, key: str, model) -> int | None:
    """A row id of `model` (its primary key's range) or None."""
    value = data.get(key)
    return None if value is None else integer(value, key, model._meta.pk, minimum=1)


def lineage_emergencies(screen: Screen, ids: set[int]) -> dict[int, EmergencyItem]:
    found = EmergencyItem.objects.filter(
        pk__in=ids, group_id__in=screen.group.lineage_ids
    )
    emergencies = {emergency.pk: emergency for emergency in found}
    if unknown := ids - set(emergencies):
        raise BadInput(_("不属于本屏的应急项：%(ids)s") % {"ids": sorted(unknown)})
    return emergencies


def lineage_items(screen: Screen, ids: set[int]) -> dict[int, PlaylistItem]:
    found = PlaylistItem.objects.filter(
        pk__in=ids, group_id__in=screen.group.lineage_ids
    )
    items = {item.pk: item for item in found}
    if unknown := ids - set(items):
        raise BadInput(_("不属于本屏轮播的播放项：%(ids)s") % {"ids": sorted(unknown)})
    return items


def parse_errors(errors) -> list[dict]:
    if not isinstance(errors, list) or len(errors) > MAX_ERRORS:
        raise BadInput(
            _("errors 应为不超过 %(count)d 项的列表") % {"count": MAX_ERRORS}
        )
    parsed = []
    for entry in errors:
        fields(entry, {"item", "message"}, {"message"}, _("errors 的每一项"))
        message = text(entry["message"], "errors.message", MAX_MESSAGE)
        item = optional_id(entry, "item", PlaylistItem)
        parsed.append({"item": item, "message": message})
    return parsed


def beat_time(value, now: datetime) -> datetime:
    """A queued beat's time: within the raw-row retention window (older rows
    are not kept) and not ahead of the server's clock."""
    earliest = local_midnight(retention_start(now))
    latest = timezone.localtime(now + BEAT_FUTURE_SLACK)
    return moment(value, "at", earliest, latest)


def unresolved_beat(data, queued: bool, where: str) -> tuple[Beat, int | None]:
    """The beat without its emergency looked up, and the emergency's id."""
    keys, required = (
        (QUEUED_BEAT_KEYS, {"version", "at"})
        if queued
        else (
            HEARTBEAT_KEYS,
            {"version"},
        )
    )
    fields(data, keys, required, where)
    version = text(data["version"], "version", MAX_VERSION)
    storage = data.get("storage_free_bytes")
    if storage is not None:
        column = Heartbeat._meta.get_field("storage_free_bytes")
        storage = integer(storage, "storage_free_bytes", column)
    loop = "" if data.get("loop") is None else text(data["loop"], "loop", MAX_LOOP)
    beat = Beat(
        version=version,
        playing=optional_id(data, "playing", PlaylistItem),
        emergency=None,
        storage_free_bytes=storage,
        errors=parse_errors(data.get("errors", [])),
        loop=loop,
        health=parse_health(data),
        at=beat_time(data["at"], timezone.now()) if queued else None,
    )
    return beat, optional_id(data, "emergency", EmergencyItem)


def unresolved_beats(data) -> list[tuple[Beat, int | None]]:
    """{"beats": [...]}: queued beats, each with its time `at`, oldest first;
    or the single body of players that do not queue. Each beat comes with
    the id of the emergency it names, not yet looked up."""
    if not isinstance(data, dict) or "beats" not in data:
        return [unresolved_beat(data, queued=False, where=_("心跳"))]
    fields(data, {"beats"}, {"beats"}, _("请求体"))
    entries = data["beats"]
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_BEATS:
        raise BadInput(_("beats 应为 1 到 %(count)d 项的列表") % {"count": MAX_BEATS})
    where = _("beats 的每一项")
    return [unresolved_beat(entry, queued=True, where=where) for entry in entries]


def parse_heartbeats(data, screen: Screen) -> list[Beat]:
    """The beats of a heartbeat body, with the emergencies they name (of the
    screen's groups)."""
    parsed = unresolved_beats(data)
    emergencies = lineage_emergencies(screen, {pk for _, pk in parsed} - {None})
    return [replace(beat, emergency=emergencies.get(pk)) for beat, pk in parsed]


def minute_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def beat_rows(arrival: "Arrival") -> list[Heartbeat]:
    """One row per minute: the newest beat of the minute says what played,
    and the errors of all its beats are kept."""
    now = arrival.received_at
    rows: dict[datetime, Heartbeat] = {}
    for beat in sorted(arrival.beats, key=lambda beat: beat.at or now):
        minute = minute_of(beat.at or now)
        earlier = rows[minute].errors if minute in rows else []
        rows[minute] = Heartbeat(
            screen_id=arrival.screen_id,
            minute=minute,
            playing_item=beat.playing,
            storage_free_bytes=beat.storage_free_bytes,
            errors=(earlier + beat.errors)[-MAX_ERRORS:],
            received_at=now,
        )
    return list(rows.values())


def minute_rows(arrivals: list["Arrival"]) -> list[Heartbeat]:
    """One row per screen and minute over the arrivals, as upserting them one
    after the other leaves it (upsert_minutes): the later says what played
    and replaces the errors if it has any, and the row was received when it
    first arrived."""
    rows: dict[tuple[int, datetime], Heartbeat] = {}
    for arrival in arrivals:
        for row in beat_rows(arrival):
            if earlier := rows.get((row.screen_id, row.minute)):
                row.errors = row.errors or earlier.errors
                row.received_at = earlier.received_at
            rows[(row.screen_id, row.minute)] = row
    return list(rows.values())


def upsert_minutes(rows: list[Heartbeat]) -> None:
    """Insert, or update what a stored minute says but not when it arrived;
    a beat without errors leaves the errors stored for its minute."""
    said = ["playing_item", "storage_free_bytes"]
    for with_errors in (False, True):
        chosen = [row for row in rows if bool(row.errors) == with_errors]
        if chosen:
            Heartbeat.objects.bulk_create(
                chosen,
                batch_size=BATCH,
                update_conflicts=True,
                unique_fields=["screen", "minute"],
                update_fields=[*said, "errors"] if with_errors else said,
            )


@dataclass(frozen=True)
class Arrival:
    """The beats of one heartbeat request, as received."""

    screen_id: int
    beats: list[Beat]
    received_at: datetime

    def seen(self) -> tuple:
        """The screen's row as this arrival leaves it (its id, then
        SEEN_FIELDS): seen when received, with the version and health of its
        newest beat."""
        now = self.received_at
        newest = max(self.beats, key=lambda beat: beat.at or now)
        health = newest.health.columns(newest.at or now)
        return (
            self.screen_id,
            now,
            newest.version,
            newest.storage_free_bytes,
            *(health[name] for name in HEALTH_FIELDS),
        )


HEALTH_FIELDS = list(Health().columns(timezone.now()))
SEEN_FIELDS = ["last_seen_at", "player_version", "storage_free_bytes", *HEALTH_FIELDS]


def store_heartbeats(screen: Screen, beats: list[Beat]) -> None:
    """Store the beats of one request now (see store_arrivals)."""
    store_arrivals([Arrival(screen.pk, beats, timezone.now())])


def store_arrivals(arrivals: list[Arrival]) -> None:
    """Store each screen-minute of the beats once; each screen is seen when
    its newest arrival came, and confirms the emergencies its beats named."""
    newest = {arrival.screen_id: arrival for arrival in arrivals}  # in order
    rows = minute_rows(arrivals)
    with transaction.atomic():
        upsert_minutes(rows)
        seen = [arrival.seen() for arrival in newest.values()]
        # Another process's newer heartbeat may have been written first.
        update_each(Screen, SEEN_FIELDS, seen, unless_newer="last_seen_at")
        for arrival in arrivals:
            confirm_emergencies(arrival)
        plays_arrived([row.minute for row in rows])


def confirm_emergencies(arrival: Arrival) -> None:
    for beat in arrival.beats:
        if beat.emergency is not None:
            EmergencyConfirmation.objects.get_or_create(
                emergency=beat.emergency,
                screen_id=arrival.screen_id,
                defaults={"confirmed_at": beat.at or arrival.received_at},
            )


def parse_play_id(value) -> uuid.UUID:
    try:
        return uuid.UUID(value if isinstance(value, str) else "")
    except ValueError:
        raise BadInput(_("id 应为 UUID")) from None


def raw_play(entry) -> tuple[uuid.UUID, int | None, int | None, datetime, float]:
    required = {"id", "started_at", "seconds"}
    fields(entry, PLAY_KEYS, required, _("plays 的每一项"))
    play_id = parse_play_id(entry["id"])
    item_id = optional_id(entry, "item", PlaylistItem)
    emergency_id = optional_id(entry, "emergency", EmergencyItem)
    if (item_id is None) == (emergency_id is None):
        raise BadInput(_("item 和 emergency 需有且只有一个"))
    now = timezone.now()
    started_at = moment(
        entry["started_at"], "started_at", now - MAX_PLAY_AGE, now + FUTURE_SLACK
    )
    seconds = number(entry["seconds"], "seconds", 0, MAX_PLAY_SECONDS)
    return play_id, item_id, emergency_id, started_at, seconds


def parse_plays(data, screen: Screen) -> list[Play]:
    fields(data, {"plays"}, {"plays"}, _("请求体"))
    entries = data["plays"]
    if not isinstance(entries, list) or len(entries) > MAX_PLAYS:
        raise BadInput(_("plays 应为不超过 %(count)d 项的列表") % {"count": MAX_PLAYS})
    raws = [raw_play(entry) for entry in entries]
    items = lineage_items(screen, {raw[1] for raw in raws} - {None})
    emergencies = lineage_emergencies(screen, {raw[2] for raw in raws} - {None})
    return [
        Play(play_id, items.get(item_id), emergencies.get(emergency_id), start, secs)
        for play_id, item_id, emergency_id, start, secs in raws
    ]


def record(screen: Screen, play: Play) -> PlayRecord:
    source = play.item or play.emergency
    return PlayRecord(
        play_id=play.play_id,
        screen=screen,
        item=play.item,
        emergency=play.emergency,
        page_id=source.page_id,
        campaign_id=play.item.campaign_id if play.item else None,
        started_at=play.started_at,
        seconds=play.seconds,
    )


def store_plays(screen: Screen, plays: list[Play]) -> tuple[int, int]:
    """(new, duplicates): plays already stored (or repeated in the batch)
    count as duplicates, so a batch re-sent after a lost answer is harmless."""
    unique = {play.play_id: play for play in plays}
    with transaction.atomic():
        known = set(
            PlayRecord.objects.filter(play_id__in=list(unique)).values_list(
                "play_id", flat=True
            )
        )
        new = [record(screen, p) for pid, p in unique.items() if pid not in known]
        try:
            with transaction.atomic():
                PlayRecord.objects.bulk_create(new)
        except IntegrityError:
            # A concurrent upload of the same batch got there first.
            PlayRecord.objects.bulk_create(new, ignore_conflicts=True)
            new = []
        minutes = store_played_minutes(screen, new)
        plays_arrived([play.started_at for play in new] + minutes)
    return len(new), len(plays) - len(new)


# Minutes covered by plays ------------------------------------------------------------


def covered_minutes(play: PlayRecord, earliest: datetime, now: datetime):
    """The minutes the play overlaps (at least the one it started in), from
    `earliest` up to now."""
    end = min(play.started_at + timedelta(seconds=play.seconds), now)
    minute = minute_of(play.started_at)
    while minute <= now:
        if minute >= earliest:
            yield minute
        minute += timedelta(minutes=1)
        if minute >= end:
            break


def store_played_minutes(screen: Screen, plays: list[PlayRecord]) -> list[datetime]:
    """A minute row for each minute the plays covered that has none yet (a
    heartbeat's row stays as it is); the minutes."""
    now = timezone.now()
    earliest = local_midnight(retention_start(now))
    minutes: dict[datetime, int | None] = {}
    for play in plays:
        for minute in covered_minutes(play, earliest, now):
            minutes[minute] = play.item_id
    Heartbeat.objects.bulk_create(
        (
            Heartbeat(screen=screen, minute=minute, playing_item=item, received_at=now)
            for minute, item in minutes.items()
        ),
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    return list(minutes)
