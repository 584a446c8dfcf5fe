"""Telemetry: what screens send back to screens.api, heartbeats (one a minute,
kept as one Heartbeat row per screen and minute) and proof-of-play batches
(PlayRecord rows, idempotent by each play's UUID). A body is checked in full
before anything is stored: one bad field refuses the whole body. Plays for a
day already rolled up mark it to be rolled up again (screens.rollups)."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

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
MAX_LOOP = 80
HEARTBEAT_KEYS = {
    "version",
    "playing",
    "emergency",
    "loop",
    "storage_free_bytes",
    "errors",
}
PLAY_KEYS = {"id", "item", "emergency", "started_at", "seconds"}


class Invalid(ValueError):
    """The body is malformed; the message says where."""


@dataclass(frozen=True)
class Beat:
    version: str
    playing: int | None
    emergency: EmergencyItem | None
    storage_free_bytes: int | None
    errors: list[dict]
    loop: str = ""  # the ETag of the loop the player took (screens.advisories)


@dataclass(frozen=True)
class Play:
    play_id: uuid.UUID
    item: PlaylistItem | None
    emergency: EmergencyItem | None
    started_at: datetime
    seconds: float


def is_int(value) -> bool:
    return type(value) is int


def optional_id(data: dict, key: str) -> int | None:
    value = data.get(key)
    if value is not None and not (is_int(value) and value > 0):
        raise Invalid(f"{key} 应为正整数或 null")
    return value


def require_keys(data, allowed: set[str], required: set[str], where: str) -> None:
    if not isinstance(data, dict):
        raise Invalid(f"{where} 应为 JSON 对象")
    if unknown := set(data) - allowed:
        raise Invalid(f"{where} 含有未知字段：{', '.join(sorted(unknown))}")
    if missing := required - set(data):
        raise Invalid(f"{where} 缺少字段：{', '.join(sorted(missing))}")


def lineage_emergencies(screen: Screen, ids: set[int]) -> dict[int, EmergencyItem]:
    found = EmergencyItem.objects.filter(
        pk__in=ids, group_id__in=screen.group.lineage_ids
    )
    emergencies = {emergency.pk: emergency for emergency in found}
    if unknown := ids - set(emergencies):
        raise Invalid(f"不属于本屏的应急项：{sorted(unknown)}")
    return emergencies


def lineage_items(screen: Screen, ids: set[int]) -> dict[int, PlaylistItem]:
    found = PlaylistItem.objects.filter(
        pk__in=ids, group_id__in=screen.group.lineage_ids
    )
    items = {item.pk: item for item in found}
    if unknown := ids - set(items):
        raise Invalid(f"不属于本屏轮播的播放项：{sorted(unknown)}")
    return items


def parse_errors(errors) -> list[dict]:
    if not isinstance(errors, list) or len(errors) > MAX_ERRORS:
        raise Invalid(f"errors 应为不超过 {MAX_ERRORS} 项的列表")
    parsed = []
    for entry in errors:
        require_keys(entry, {"item", "message"}, {"message"}, "errors 的每一项")
        message = entry["message"]
        if not isinstance(message, str) or len(message) > MAX_MESSAGE:
            raise Invalid(f"errors.message 应为不超过 {MAX_MESSAGE} 字的文本")
        parsed.append({"item": optional_id(entry, "item"), "message": message})
    return parsed


def parse_heartbeat(data, screen: Screen) -> Beat:
    require_keys(data, HEARTBEAT_KEYS, {"version"}, "心跳")
    version = data["version"]
    if not isinstance(version, str) or len(version) > MAX_VERSION:
        raise Invalid(f"version 应为不超过 {MAX_VERSION} 字的文本")
    storage = data.get("storage_free_bytes")
    if storage is not None and not (is_int(storage) and storage >= 0):
        raise Invalid("storage_free_bytes 应为非负整数或 null")
    loop = "" if data.get("loop") is None else data["loop"]
    if not isinstance(loop, str) or len(loop) > MAX_LOOP:
        raise Invalid(f"loop 应为不超过 {MAX_LOOP} 字的文本或 null")
    emergency_id = optional_id(data, "emergency")
    emergencies = lineage_emergencies(screen, {emergency_id} - {None})
    return Beat(
        version=version,
        playing=optional_id(data, "playing"),
        emergency=emergencies.get(emergency_id),
        storage_free_bytes=storage,
        errors=parse_errors(data.get("errors", [])),
        loop=loop,
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
            last_seen_at=now, player_version=beat.version
        )
        if beat.emergency is not None:
            EmergencyConfirmation.objects.get_or_create(
                emergency=beat.emergency, screen=screen, defaults={"confirmed_at": now}
            )


def parse_started_at(value) -> datetime:
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None or timezone.is_naive(moment):
        raise Invalid("started_at 应为带时区的 ISO 8601 时间")
    if moment > timezone.now() + FUTURE_SLACK:
        raise Invalid("started_at 在将来")
    return moment


def parse_seconds(value) -> float:
    if type(value) not in (int, float) or not 0 <= value <= MAX_PLAY_SECONDS:
        raise Invalid(f"seconds 应为 0 到 {MAX_PLAY_SECONDS} 之间的数")
    return float(value)


def parse_play_id(value) -> uuid.UUID:
    try:
        return uuid.UUID(value) if isinstance(value, str) else None
    except ValueError:
        return None


def raw_play(entry) -> tuple[uuid.UUID, int | None, int | None, datetime, float]:
    require_keys(entry, PLAY_KEYS, {"id", "started_at", "seconds"}, "plays 的每一项")
    play_id = parse_play_id(entry["id"])
    if play_id is None:
        raise Invalid("id 应为 UUID")
    item_id, emergency_id = optional_id(entry, "item"), optional_id(entry, "emergency")
    if (item_id is None) == (emergency_id is None):
        raise Invalid("item 和 emergency 需有且只有一个")
    started_at = parse_started_at(entry["started_at"])
    return play_id, item_id, emergency_id, started_at, parse_seconds(entry["seconds"])


def parse_plays(data, screen: Screen) -> list[Play]:
    require_keys(data, {"plays"}, {"plays"}, "请求体")
    entries = data["plays"]
    if not isinstance(entries, list) or len(entries) > MAX_PLAYS:
        raise Invalid(f"plays 应为不超过 {MAX_PLAYS} 项的列表")
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
