"""Telemetry: what screens send back to screens.api, heartbeats (one a minute,
kept as one Heartbeat row per screen and minute) and proof-of-play batches
(PlayRecord rows, idempotent by each play's UUID). A body is checked in full
before anything is stored, with the readers of cms.json_input: one bad field
refuses the whole body with a BadInput naming it. Plays for a day already
rolled up mark it to be rolled up again (screens.rollups)."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.json_input import BadInput, fields, integer, moment, number, text
from screens.health import HEALTH_KEYS, Health, parse_health
from screens.models import (
    EmergencyConfirmation,
    EmergencyItem,
    Heartbeat,
    PlaylistItem,
    PlayRecord,
    Screen,
)
from screens.rollups import plays_arrived

HEARTBEAT_LIMIT = 16 * 1024
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


def parse_heartbeat(data, screen: Screen) -> Beat:
    fields(data, HEARTBEAT_KEYS, {"version"}, _("心跳"))
    version = text(data["version"], "version", MAX_VERSION)
    storage = data.get("storage_free_bytes")
    if storage is not None:
        column = Heartbeat._meta.get_field("storage_free_bytes")
        storage = integer(storage, "storage_free_bytes", column)
    loop = "" if data.get("loop") is None else text(data["loop"], "loop", MAX_LOOP)
    emergency_id = optional_id(data, "emergency", EmergencyItem)
    emergencies = lineage_emergencies(screen, {emergency_id} - {None})
    return Beat(
        version=version,
        playing=optional_id(data, "playing", PlaylistItem),
        emergency=emergencies.get(emergency_id),
        storage_free_bytes=storage,
        errors=parse_errors(data.get("errors", [])),
        loop=loop,
        health=parse_health(data),
    )


def store_heartbeat(screen: Screen, beat: Beat) -> None:
    now = timezone.now()
    minute = now.replace(second=0, microsecond=0)
    with transaction.atomic():
        Heartbeat.objects.update_or_create(
            screen=screen,
            minute=minute,
            defaults={
                "playing_item": beat.playing,
                "storage_free_bytes": beat.storage_free_bytes,
                "errors": beat.errors,
            },
        )
        Screen.objects.filter(pk=screen.pk).update(
            last_seen_at=now,
            player_version=beat.version,
            storage_free_bytes=beat.storage_free_bytes,
            **beat.health.columns(now),
        )
        if beat.emergency is not None:
            EmergencyConfirmation.objects.get_or_create(
                emergency=beat.emergency, screen=screen, defaults={"confirmed_at": now}
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
        plays_arrived([play.started_at for play in new])
    return len(new), len(plays) - len(new)
