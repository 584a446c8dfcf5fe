"""Scheduled publishing and expiry: the tick itself, and real worker processes."""

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from wagtail.models import PageLogEntry, Revision

from cms.models import WorkerHeartbeat
from cms.scheduling import tick

ROOT = Path(__file__).resolve().parents[2]


def publish_log_count(page) -> int:
    return PageLogEntry.objects.filter(
        page=page, action="wagtail.publish.scheduled"
    ).count()


def make_due(revision: Revision) -> None:
    """Move a scheduled revision's time into the past, as if time had passed."""
    past = timezone.now() - timedelta(seconds=1)
    revision.content["go_live_at"] = past.isoformat()
    revision.approved_go_live_at = past
    revision.save(update_fields=["content", "approved_go_live_at"])


def test_tick_publishes_an_approved_revision_once_due(make_article):
    page = make_article(go_live_at=timezone.now() + timedelta(hours=1))
    assert not page.live
    make_due(page.latest_revision)

    assert tick("w1", timezone.now()).published == 1
    page.refresh_from_db()
    assert page.live
    assert tick("w1", timezone.now()).published == 0
    assert publish_log_count(page) == 1


def test_tick_leaves_future_revisions_alone(make_article):
    page = make_article(go_live_at=timezone.now() + timedelta(hours=1))
    assert tick("w1", timezone.now()).published == 0
    page.refresh_from_db()
    assert not page.live


def test_tick_expires_a_live_page_past_its_expiry(make_article):
    page = make_article()
    type(page).objects.filter(pk=page.pk).update(
        expire_at=timezone.now() - timedelta(seconds=1)
    )

    assert tick("w1", timezone.now()).expired == 1
    page.refresh_from_db()
    assert not page.live and page.expired


def test_tick_unschedules_a_revision_that_review_never_approved(make_article):
    page = make_article(publish=False)
    revision = page.save_revision()
    make_due(revision)

    assert tick("w1", timezone.now()).published == 0
    page.refresh_from_db()
    revision.refresh_from_db()
    assert not page.live
    assert revision.approved_go_live_at is None


def test_tick_records_the_worker_heartbeat(db):
    tick("host:1", timezone.now())
    beat = WorkerHeartbeat.objects.get(worker_id="host:1")
    assert timezone.now() - beat.last_tick_at < timedelta(seconds=5)


def running_task(worker_id: str, started_at) -> DBTaskResult:
    return DBTaskResult.objects.create(
        status="RUNNING",
        started_at=started_at,
        args_kwargs={"args": [1], "kwargs": {}},
        task_path="channels.queue.process_placement",
        worker_ids=[worker_id],
        backend_name="default",
        run_after=started_at,
    )


def test_a_task_left_running_by_a_stopped_worker_is_marked_failed(db):
    long_ago = timezone.now() - timedelta(minutes=5)
    orphan = running_task("gone:2", long_ago)
    busy = running_task("alive:1", long_ago)

    tick("alive:1", long_ago)

    orphan.refresh_from_db()
    busy.refresh_from_db()
    assert orphan.status == "FAILED"
    assert "WorkerLost" in orphan.exception_class_path
    assert busy.status == "RUNNING"


def database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    return (
        f"postgresql://{settings['USER']}@{settings['HOST']}:{settings['PORT']}"
        f"/{settings['NAME']}"
    )


def start_worker(log_path: Path, **settings: str) -> subprocess.Popen:
    """A db_worker process on the test database; `settings` adds to or
    overrides its environment."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.dev",
        "DATABASE_URL": database_url(),
        "SECRET_KEY": "worker-test",
        "SCHEDULER_INTERVAL_SECONDS": "1",
        **settings,
    }
    command = [sys.executable, "manage.py", "db_worker", "--no-reload", "--interval=1"]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT
    )


@pytest.fixture
def two_workers(tmp_path):
    workers = [start_worker(tmp_path / f"worker{i}.log") for i in range(2)]
    yield workers
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.wait(timeout=20)


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_publish_a_page_scheduled_20s_ahead_exactly_once(
    make_article, two_workers, tmp_path
):
    go_live = timezone.now() + timedelta(seconds=20)
    pages = [make_article(title=f"定时发布 {n}", go_live_at=go_live) for n in range(4)]
    assert not any(page.live for page in pages)

    def all_live() -> bool:
        return all(type(p).objects.get(pk=p.pk).live for p in pages)

    assert wait_until(all_live, seconds=80), [
        (tmp_path / f"worker{i}.log").read_text() for i in range(2)
    ]
    published_at = [type(p).objects.get(pk=p.pk).last_published_at for p in pages]
    assert all(go_live <= at < go_live + timedelta(seconds=60) for at in published_at)
    assert [publish_log_count(page) for page in pages] == [1, 1, 1, 1]
    assert WorkerHeartbeat.objects.filter(runs_tasks=True).count() == 2
