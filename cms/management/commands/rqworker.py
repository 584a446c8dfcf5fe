"""`manage.py rqworker`: django-rq's worker for the tasks that go to Redis
(REDIS_URL), with django-tasks' job class by default and a process that
outlives a lost Redis.

RQ retries a lost connection only while it waits for a job; elsewhere (its
heartbeat, its maintenance) the loss ends `work()`. Here the process logs
it, waits with back-off and starts a fresh worker, until it is told to stop.
Jobs run in forked work-horses, so a lost database fails a job, never this
process."""

import logging
import signal
import time

import redis
from django_rq.management.commands import rqworker
from django_rq.utils import reset_db_connections
from django_rq.workers import get_worker
from rq.logutils import setup_loghandlers

from cms.backoff import Backoff

logger = logging.getLogger(__name__)

TASKS_JOB_CLASS = "django_tasks_rq.backend.Job"
LEVELS = {0: "WARNING", 1: "INFO"}


class Command(rqworker.Command):
    help = "Run an RQ worker for django-tasks, surviving a lost Redis"

    def handle(self, *queues, **options) -> None:
        if options["burst"] or options["max_jobs"] or options["max_idle_time"]:
            options["job_class"] = options["job_class"] or TASKS_JOB_CLASS
            super().handle(*queues, **options)  # meant to end
            return
        level = LEVELS.get(options["verbosity"], "DEBUG")
        setup_loghandlers(level)
        backoff = Backoff()
        while True:
            started = time.monotonic()
            worker = None
            try:
                worker = get_worker(
                    *queues,
                    job_class=options["job_class"] or TASKS_JOB_CLASS,
                    worker_class=options["worker_class"],
                    queue_class=options["queue_class"],
                    name=options["name"],
                    worker_ttl=options["worker_ttl"],
                    serializer=options["serializer"],
                )
                reset_db_connections()  # the work-horses are forked
                worker.work(
                    burst=options["burst"],
                    with_scheduler=options["with_scheduler"],
                    logging_level=level,
                    max_jobs=options["max_jobs"],
                    max_idle_time=options["max_idle_time"],
                )
                reason = "the worker stopped"
            except redis.exceptions.RedisError as error:
                reason = str(error)
            if worker is not None and worker._shutdown_requested_date:
                return  # SIGTERM or SIGINT: RQ's warm shutdown is done
            if time.monotonic() - started > backoff.most:
                backoff.reset()
            delay = backoff.next_delay()
            logger.warning(
                "rqworker: Redis unavailable (%s); retrying in %.1f s", reason, delay
            )
            # RQ's handlers need a live worker; between two, a stop just ends.
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            time.sleep(delay)
