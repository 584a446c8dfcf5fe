"""The pull log: every pull of a feed or of the partner API, buffered in
memory and written in bulk when the buffer holds PARTNERS_PULL_LOG_BATCH rows
or its oldest row is PARTNERS_PULL_LOG_SECONDS old: by the request that finds
it so, or by a timer thread started with the first row, so that a lone pull is
written within those seconds even when no other request follows; and at
process exit. A request inside a transaction leaves the write to the moment
that transaction commits. Keys never reach the log: the path is stored with
its key masked, and the key is kept only as a reference."""

import atexit
import logging
import threading
import time
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.db import (
    DatabaseError,
    IntegrityError,
    connection,
    connections,
    transaction,
)
from django.db.models import Case, DateTimeField, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.http import HttpRequest
from django.utils import timezone

from feeds.models import FeedDefinition
from partners.access import KEY_ATTRIBUTE, Grant
from partners.logging import MASKED, mask_keys
from partners.models import ApiKey, Partner, PullLog

logger = logging.getLogger(__name__)

MAX_BUFFERED_ROWS = 20_000  # beyond this (the database unreachable), drop oldest


def masked_path(request: HttpRequest) -> str:
    query = request.META.get("QUERY_STRING", "")
    if not query:
        return request.path
    pairs = [
        (name, MASKED if name == "key" else value)
        for name, value in parse_qsl(query, keep_blank_values=True)
    ]
    return mask_keys(f"{request.path}?{urlencode(pairs, safe='*')}")


def pull_log_batch() -> int:
    return settings.PARTNERS_PULL_LOG_BATCH


def pull_log_seconds() -> float:
    return settings.PARTNERS_PULL_LOG_SECONDS


class PullBuffer:
    """Rows waiting to be written, each with the name of the database it
    belongs to (so that rows of a test database, or of a database settings
    no longer point at, are never written elsewhere). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: list[tuple[str, PullLog]] = []
        self._oldest = 0.0  # time.monotonic() of the first row buffered
        self._dropped = 0

    def add(self, database: str, row: PullLog) -> bool:
        """Buffer a row; True when the buffer is due to be written."""
        with self._lock:
            if not self._rows:
                self._oldest = time.monotonic()
            self._rows.append((database, row))
            if len(self._rows) > MAX_BUFFERED_ROWS:
                excess = len(self._rows) - MAX_BUFFERED_ROWS
                del self._rows[:excess]
                self._dropped += excess
            age = time.monotonic() - self._oldest
            return len(self._rows) >= pull_log_batch() or age >= pull_log_seconds()

    def drain(self) -> tuple[list[tuple[str, PullLog]], int]:
        """Everything buffered, and how many rows were dropped meanwhile."""
        with self._lock:
            rows, self._rows = self._rows, []
            dropped, self._dropped = self._dropped, 0
            return rows, dropped

    def put_back(self, rows: list[tuple[str, PullLog]]) -> None:
        with self._lock:
            self._rows[:0] = rows
            self._oldest = time.monotonic()


PULLS = PullBuffer()


class FlushTimer:
    """At most one pending flush, pull_log_seconds() after it was asked for,
    in a daemon thread with database connections of its own. Off with
    PARTNERS_PULL_LOG_BACKGROUND_FLUSH = False (the test settings: a flush
    landing in a later test would write into that test's database)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def schedule(self) -> None:
        if not settings.PARTNERS_PULL_LOG_BACKGROUND_FLUSH:
            return
        with self._lock:
            if self._timer is not None and self._timer.is_alive():
                return
            self._timer = threading.Timer(pull_log_seconds(), self.flush)
            self._timer.daemon = True
            self._timer.start()

    @staticmethod
    def flush() -> None:
        try:
            flush_pull_logs()
        finally:
            connections.close_all()  # this thread's connections only


FLUSH_TIMER = FlushTimer()


def log_pull(
    request: HttpRequest,
    feed: FeedDefinition | None,
    grant: Grant | None,
    status: int,
    size: int,
) -> None:
    """Record a pull (written later, in bulk). Without a grant the key the
    request presented, if it was a real one, still names the partner."""
    key = grant.key if grant else getattr(request, KEY_ATTRIBUTE, None)
    row = PullLog(
        partner_id=key.partner_id if key else None,
        key_id=key.pk if key else None,
        feed_id=feed.pk if feed else None,
        path=masked_path(request)[:300],
        at=timezone.now(),
        status=status,
        bytes=size,
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
    )
    if not PULLS.add(connection.settings_dict["NAME"], row):
        FLUSH_TIMER.schedule()
    elif connection.in_atomic_block:
        transaction.on_commit(flush_pull_logs)
    else:
        flush_pull_logs()


def without_missing_links(rows: list[PullLog]) -> list[PullLog]:
    """The rows with references to deleted partners, keys or feeds cleared."""
    links = (("partner_id", Partner), ("key_id", ApiKey), ("feed_id", FeedDefinition))
    for field, model in links:
        wanted = {getattr(row, field) for row in rows} - {None}
        found = set(model.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        for row in rows:
            if getattr(row, field) not in found:
                setattr(row, field, None)
    return rows


def touch_keys(rows: list[PullLog]) -> None:
    """last_used_at of every key that got through, in one UPDATE."""
    latest: dict[int, object] = {}
    for row in rows:
        if row.key_id and row.status != 401:
            latest[row.key_id] = max(row.at, latest.get(row.key_id, row.at))
    if not latest:
        return
    moment = Case(
        *[When(pk=pk, then=Value(at)) for pk, at in latest.items()],
        output_field=DateTimeField(),
    )
    ApiKey.objects.filter(pk__in=latest).update(
        last_used_at=Greatest(Coalesce("last_used_at", moment), moment)
    )


def insert(rows: list[PullLog]) -> None:
    for row in rows:
        row.pk = None  # set by an earlier attempt that did not commit
    with transaction.atomic():
        PullLog.objects.bulk_create(rows)


def write(rows: list[PullLog]) -> None:
    try:
        insert(rows)
    except IntegrityError:  # a partner, key or feed deleted meanwhile
        insert(without_missing_links(rows))


def flush_pull_logs() -> int:
    """Write what is buffered for the current database; returns how many
    rows were written. Rows wait for the next flush while the database is
    unreachable."""
    entries, dropped = PULLS.drain()
    if dropped:
        logger.warning("partners: %d pull log rows dropped (buffer full)", dropped)
    database = connection.settings_dict["NAME"]
    rows = [row for name, row in entries if name == database]
    if not rows:
        return 0
    try:
        write(rows)
    except IntegrityError:
        logger.exception("partners: %d pull log rows refused", len(rows))
        return 0
    except DatabaseError:  # unreachable: try again at the next flush
        logger.exception("partners: could not write %d pull log rows", len(rows))
        PULLS.put_back([(database, row) for row in rows])
        return 0
    try:
        touch_keys(rows)
    except DatabaseError:
        logger.exception("partners: could not update when keys were last used")
    return len(rows)


def register_exit_flush() -> None:
    atexit.register(flush_pull_logs)
