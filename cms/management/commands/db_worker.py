"""`manage.py db_worker`: the django-tasks database worker, plus the scheduler
loop that publishes and expires pages, so the default set-up needs no cron.

A lost database never ends the process: the worker logs it, waits with
back-off and carries on, so the same process runs tasks again once the
database is back. A task cut off by the loss is marked failed then (its
own retries, such as a placement's lease, decide what happens next)."""

import logging
import os
import time

from django.db import DatabaseError, close_old_connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from cms import scheduling
from cms.backoff import Backoff

logger = logging.getLogger(__name__)


def process_worker_id() -> str:
    """The id under which this process's scheduler thread reports its
    heartbeat, so a task row names a worker whose life can be checked."""
    return f"{os.uname().nodename}:{os.getpid()}"


class ResilientWorker(db_worker.Worker):
    current_task: DBTaskResult | None = None

    def run(self) -> None:
        backoff = Backoff()
        while self.running:
            started = time.monotonic()
            try:
                super().run()
                return
            except DatabaseError as error:
                if time.monotonic() - started > backoff.most:
                    backoff.reset()  # it had been working since the last loss
                delay = backoff.next_delay()
                logger.warning(
                    "worker %s: database unavailable (%s); retrying in %.1f s",
                    self.worker_id,
                    str(error).strip(),
                    delay,
                )
                time.sleep(delay)
                self.fail_interrupted_task(error)

    def run_task(self, db_task_result: DBTaskResult) -> None:
        self.current_task = db_task_result
        super().run_task(db_task_result)
        self.current_task = None

    def fail_interrupted_task(self, error: DatabaseError) -> None:
        task, self.current_task = self.current_task, None
        if task is None:
            return
        close_old_connections()
        try:
            if DBTaskResult.objects.running().filter(pk=task.pk).exists():
                task.set_failed(error)
        except DatabaseError:
            self.current_task = task  # still down: after the next wait


class Command(db_worker.Command):
    help = "Run the background worker and the publishing scheduler"

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(worker_id=None)

    def handle(self, *args, reload: bool, worker_id: str | None, **options) -> None:
        is_reloader_parent = reload and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        if not is_reloader_parent:
            scheduling.start_in_thread(worker_id=process_worker_id())
        db_worker.Worker = ResilientWorker  # the base builds it by this name
        super().handle(
            *args, reload=reload, worker_id=worker_id or process_worker_id(), **options
        )
