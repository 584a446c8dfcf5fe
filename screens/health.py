"""What a player says of itself in each heartbeat, for remote care: storage
used (free storage is the heartbeat's storage_free_bytes), how long the page
has run and its last error. Times come as durations, "seconds ago", never
as the device's clock (which may be years off): the server turns them into
moments by its own. The latest is kept on the screen's row, written by the
heartbeat's own update (screens.telemetry)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from cms.json_input import fields, integer, number, text
from screens.models import Screen

HEALTH_KEYS = {"storage_used_bytes", "uptime_seconds", "last_error"}
MAX_SECONDS = 20 * 366 * 24 * 3600  # a page or an error older than this is a bug
MAX_ERROR = 500


@dataclass(frozen=True)
class Health:
    storage_used_bytes: int | None = None
    uptime_seconds: float | None = None
    last_error: str = ""
    last_error_seconds_ago: float | None = None

    def columns(self, now: datetime) -> dict:
        """The Screen fields this report sets (a page without an error since
        it started clears the last one)."""
        started = self.uptime_seconds
        ago = self.last_error_seconds_ago
        return {
            "storage_used_bytes": self.storage_used_bytes,
            "player_started_at": None if started is None else now - seconds(started),
            "last_error": self.last_error,
            "last_error_at": None if ago is None else now - seconds(ago),
        }


def seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


def parse_health(data: dict) -> Health:
    """The care fields of a heartbeat already checked for unknown keys."""
    used = data.get("storage_used_bytes")
    if used is not None:
        column = Screen._meta.get_field("storage_used_bytes")
        used = integer(used, "storage_used_bytes", column)
    uptime = data.get("uptime_seconds")
    if uptime is not None:
        uptime = number(uptime, "uptime_seconds", 0, MAX_SECONDS)
    error = data.get("last_error")
    if error is None:
        return Health(used, uptime)
    fields(error, {"message", "seconds_ago"}, {"message", "seconds_ago"}, "last_error")
    return Health(
        used,
        uptime,
        text(error["message"], "last_error.message", MAX_ERROR),
        number(error["seconds_ago"], "last_error.seconds_ago", 0, MAX_SECONDS),
    )
