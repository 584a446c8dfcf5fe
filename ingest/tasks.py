"""Polling upstream feeds in the background worker.

The scheduler tick (cms.scheduling, SCHEDULER_JOBS) calls poll_due_feeds():
each active feed whose time has come is claimed for LEASE in its own
transaction (SKIP LOCKED on PostgreSQL, an exclusive write on SQLite) and
handed to the poll_feed task, so that several workers never poll a feed twice
at once and one broken feed never holds up the others. A poll records its
outcome on the feed: success resets the back-off; a failure names the problem
and waits the interval doubled for each failure in a row (at most a day);
410 Gone switches the feed off."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task
from django_tasks_db.utils import exclusive_transaction

from ingest.drafts import IngestResult, ingest, target_of
from ingest.fetch import IngestError, fetch
from ingest.models import UpstreamFeed
from ingest.parse import parse

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
Status = UpstreamFeed.Status


def due_feeds(now: datetime):
    return UpstreamFeed.objects.filter(active=True).filter(
        Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now)
    )


def poll_due_feeds(now: datetime) -> int:
    """Claim each due feed and queue its poll; the number queued."""
    claimed = 0
    for feed_id in list(due_feeds(now).values_list("pk", flat=True)):
        with exclusive_transaction():
            feed = (
                due_feeds(now)
                .select_for_update(skip_locked=True)
                .filter(pk=feed_id)
                .first()
            )
            if feed is None:
                continue  # another worker claimed it
            UpstreamFeed.objects.filter(pk=feed_id).update(next_poll_at=now + LEASE)
        poll_feed.enqueue(feed_id)  # after the claim is committed
        claimed += 1
    return claimed


@dataclass(frozen=True)
class PollOutcome:
    status: str
    result: IngestResult
    warning: str = ""
    validators: dict[str, str] | None = None  # etag, last_modified to store


@task()
def poll_feed(feed_id: int) -> str:
    """Fetch one feed, turn its new entries into drafts, record the outcome."""
    feed = UpstreamFeed.objects.select_related("target").filter(pk=feed_id).first()
    if feed is None or not feed.active:
        return "inactive"
    started_at = timezone.now()
    try:
        outcome = fetch_and_ingest(feed)
    except IngestError as error:
        record_failure(feed, started_at, error.message, gone=error.gone)
        return str(Status.ERROR)
    except Exception as error:
        # Whatever the cause, the feed must back off, not be retried at once.
        logger.exception("polling upstream feed %s failed", feed_id)
        record_failure(
            feed, started_at, _("内部错误：%(error)s") % {"error": repr(error)[:300]}
        )
        return str(Status.ERROR)
    record_success(feed, started_at, outcome)
    return str(outcome.status)


def fetch_and_ingest(feed: UpstreamFeed) -> PollOutcome:
    target = target_of(feed)
    response = fetch(feed.url, feed.etag, feed.last_modified)
    validators = {
        "etag": response.headers.get("etag", "")[:500],
        "last_modified": response.headers.get("last-modified", "")[:100],
    }
    if response.not_modified:
        kept = {name: value for name, value in validators.items() if value}
        return PollOutcome(Status.NOT_MODIFIED, IngestResult(), validators=kept)
    parsed = parse(response)
    result = ingest(feed, target, parsed.entries)
    warnings = [parsed.warning, *result.problems]
    if result.left_for_later:
        warnings.append(
            _("本次只转换了最新的条目，其余 %(n)d 条留待下次抓取")
            % {"n": result.left_for_later}
        )
        validators = None  # fetch the whole feed again next time
    return PollOutcome(
        Status.OK,
        result,
        warning="；".join(w for w in warnings if w),
        validators=validators,
    )


def record_success(feed: UpstreamFeed, now: datetime, outcome: PollOutcome) -> None:
    UpstreamFeed.objects.filter(pk=feed.pk).update(
        last_polled_at=now,
        last_status=outcome.status,
        failures=0,
        last_error="",
        last_warning=outcome.warning,
        next_poll_at=now + feed.interval,
        items_created=F("items_created") + outcome.result.created,
        **(outcome.validators or {}),
    )
    if outcome.result.created:
        logger.info("upstream feed %s: %d drafts", feed.pk, outcome.result.created)


def record_failure(
    feed: UpstreamFeed, now: datetime, message: str, gone: bool = False
) -> None:
    failures = feed.failures + 1
    UpstreamFeed.objects.filter(pk=feed.pk).update(
        last_polled_at=now,
        last_status=Status.ERROR,
        failures=failures,
        last_error=message,
        last_warning="",
        next_poll_at=feed.back_off_until(now, failures),
        **({"active": False} if gone else {}),
    )
    logger.warning("upstream feed %s: %s", feed.pk, message)
