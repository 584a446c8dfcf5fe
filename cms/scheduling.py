"""Publishing and expiring pages on time, run inside the background worker.

Every worker runs the loop; each due revision or expiring page is claimed in its
own transaction (row lock with SKIP LOCKED on PostgreSQL, an exclusive write
transaction on SQLite) and re-checked after the claim, so a page is published
or expired exactly once however many workers tick at the same moment. A lost
database only costs ticks: each is logged and the next one tries again.
"""

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction
from wagtail.models import Page, Revision

from cms.models import WorkerHeartbeat
from cms.review import ReviewNotApproved

logger = logging.getLogger(__name__)


@dataclass
class TickResult:
    published: int = 0
    expired: int = 0


def publish_due_revisions(now: datetime) -> int:
    due_ids = Revision.objects.filter(approved_go_live_at__lte=now).values_list(
        "pk", flat=True
    )
    published = 0
    for revision_id in list(due_ids):
        with exclusive_transaction():
            revision = (
                Revision.objects.select_for_update(skip_locked=True)
                .filter(pk=revision_id, approved_go_live_at__lte=now)
                .first()
            )
            if revision is None:
                continue  # another worker published it, or holds it now
            try:
                revision.publish(log_action="wagtail.publish.scheduled")
            except ReviewNotApproved:
                logger.warning(
                    "scheduled revision %s lacks review; unscheduled", revision_id
                )
                Revision.objects.filter(pk=revision_id).update(approved_go_live_at=None)
                continue
            published += 1
    return published


def expire_due_pages(now: datetime) -> int:
    due_ids = Page.objects.filter(live=True, expire_at__lte=now).values_list(
        "pk", flat=True
    )
    expired = 0
    for page_id in list(due_ids):
        with exclusive_transaction():
            page = (
                Page.objects.select_for_update(skip_locked=True)
                .filter(pk=page_id, live=True, expire_at__lte=now)
                .first()
            )
            if page is None:
                continue
            page.specific.unpublish(
                set_expired=True, log_action="wagtail.unpublish.scheduled"
            )
            expired += 1
    return expired


class WorkerLost(Exception):
    """The worker running a task stopped before it finished."""


def fail_tasks_of_dead_workers(now: datetime) -> int:
    """A task row left RUNNING by a worker whose heartbeat went stale is
    marked failed; what it was doing is re-run by its own lease (a
    placement's, a feed poll's), not by re-running the row."""
    stale_before = now - timedelta(seconds=settings.SCHEDULER_STALE_SECONDS)
    alive = set(
        WorkerHeartbeat.objects.filter(last_tick_at__gte=stale_before).values_list(
            "worker_id", flat=True
        )
    )
    failed = 0
    for row in DBTaskResult.objects.running().filter(started_at__lt=stale_before):
        worker = row.worker_ids[-1] if row.worker_ids else ""
        if worker not in alive:
            row.set_failed(WorkerLost(f"worker {worker or '?'} stopped"))
            failed += 1
    return failed


def tick(worker_id: str, started_at: datetime, runs_tasks: bool = True) -> TickResult:
    now = timezone.now()
    result = TickResult(publish_due_revisions(now), expire_due_pages(now))
    for job in settings.SCHEDULER_JOBS:
        import_string(job)(timezone.now())
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "started_at": started_at,
            "last_tick_at": timezone.now(),
            "runs_tasks": runs_tasks,
        },
    )
    WorkerHeartbeat.objects.filter(worker_id=worker_id).update(
        published=F("published") + result.published,
        expired=F("expired") + result.expired,
    )
    fail_tasks_of_dead_workers(timezone.now())  # after this worker's own beat
    return result


def run_forever(worker_id: str, stop: threading.Event, runs_tasks: bool = True) -> None:
    started_at = timezone.now()
    interval = settings.SCHEDULER_INTERVAL_SECONDS
    while not stop.is_set():
        try:
            close_old_connections()
            result = tick(worker_id, started_at, runs_tasks)
        except DatabaseError as error:
            logger.warning(
                "scheduler: database unavailable (%s); retrying in %s s",
                str(error).strip(),
                interval,
            )
        except Exception:
            logger.exception("scheduler tick failed")
        else:
            if result.published or result.expired:
                logger.info(
                    "scheduler: published %d, expired %d",
                    result.published,
                    result.expired,
                )
        stop.wait(interval)


def start_in_thread(worker_id: str) -> threading.Event:
    stop = threading.Event()
    thread = threading.Thread(
        target=run_forever, args=(worker_id, stop), name="scheduler", daemon=True
    )
    thread.start()
    return stop
