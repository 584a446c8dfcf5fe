"""The pull log: every pull of a feed or of the partner API, buffered in
memory and written in bulk (cms.write_buffer) when the buffer holds
PARTNERS_PULL_LOG_BATCH rows or its oldest row is PARTNERS_PULL_LOG_SECONDS
old, and at process exit. Keys never reach the log: the path is stored with
its key masked, and the key is kept only as a reference."""

import logging
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Case, DateTimeField, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.http import HttpRequest
from django.utils import timezone

from cms.write_buffer import WriteBuffer
from feeds.models import FeedDefinition
from partners.access import KEY_ATTRIBUTE, Grant
from partners.logging import MASKED, mask_keys
from partners.models import ApiKey, Partner, PullLog

logger = logging.getLogger(__name__)


def masked_path(request: HttpRequest) -> str:
    query = request.META.get("QUERY_STRING", "")
    if not query:
        return request.path
    pairs = [
        (name, MASKED if name == "key" else value)
        for name, value in parse_qsl(query, keep_blank_values=True)
    ]
    return mask_keys(f"{request.path}?{urlencode(pairs, safe='*')}")


def log_pull(
    request: HttpRequest,
    feed: FeedDefinition | None,
    grant: Grant | None,
    status: int,
    size: int,
    items: tuple[int, ...] = (),
) -> None:
    """Record a pull (written later, in bulk), with the page ids of the
    items its answer carried. Without a grant the key the request
    presented, if it was a real one, still names the partner."""
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
        items=list(items) if status == 200 else [],
    )
    PULLS.add(row)


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


def write_pulls(rows: list[PullLog]) -> None:
    try:
        write(rows)
    except IntegrityError:
        logger.exception("partners: %d pull log rows refused", len(rows))
        return
    try:
        touch_keys(rows)
    except DatabaseError:
        logger.exception("partners: could not update when keys were last used")


PULLS = WriteBuffer(
    "partners pull log",
    write_pulls,
    batch=lambda: settings.PARTNERS_PULL_LOG_BATCH,
    seconds=lambda: settings.PARTNERS_PULL_LOG_SECONDS,
    background=lambda: settings.PARTNERS_PULL_LOG_BACKGROUND_FLUSH,
)


def flush_pull_logs() -> int:
    """Write what this process buffered for the current database; returns
    how many rows it took."""
    return PULLS.flush()
