"""What the task queue holds, on either backend: tasks by state and the age
of the oldest task waiting to run (the queue lag). Read by the health check
and the metrics endpoint."""

from datetime import UTC, datetime

from django.db.models import Count, Min
from django.db.models.functions import Greatest
from django.utils import timezone
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends


def backend_name() -> str:
    return type(task_backends[DEFAULT_TASK_BACKEND_ALIAS]).__name__


def uses_rq() -> bool:
    return backend_name() == "RQBackend"


def queue_lag_seconds() -> float:
    """How long the oldest task ready to run has waited (0 when none waits)."""
    oldest = rq_oldest_ready() if uses_rq() else database_oldest_ready()
    if oldest is None:
        return 0.0
    return max(0.0, (timezone.now() - oldest).total_seconds())


def task_counts() -> dict[str, int]:
    """Tasks by state (READY, RUNNING, SUCCESSFUL, FAILED…)."""
    return rq_task_counts() if uses_rq() else database_task_counts()


def database_oldest_ready() -> datetime | None:
    from django_tasks_db.models import DBTaskResult, get_date_max

    ready = DBTaskResult.objects.ready()
    unscheduled = ready.filter(run_after=get_date_max()).aggregate(
        at=Min("enqueued_at")
    )["at"]
    scheduled = ready.exclude(run_after=get_date_max()).aggregate(
        at=Min(Greatest("run_after", "enqueued_at"))
    )["at"]
    return min((at for at in (unscheduled, scheduled) if at), default=None)


def database_task_counts() -> dict[str, int]:
    from django_tasks_db.models import DBTaskResult

    rows = DBTaskResult.objects.order_by().values_list("status").annotate(Count("id"))
    return dict(rows)


def rq_queue():
    import django_rq

    return django_rq.get_queue("default")


def rq_oldest_ready() -> datetime | None:
    queue = rq_queue()
    job_ids = queue.get_job_ids(0, 1)
    job = queue.fetch_job(job_ids[0]) if job_ids else None
    if job is None or job.enqueued_at is None:
        return None
    enqueued = job.enqueued_at
    return enqueued if enqueued.tzinfo else enqueued.replace(tzinfo=UTC)


def rq_task_counts() -> dict[str, int]:
    queue = rq_queue()
    return {
        "READY": queue.count,
        "RUNNING": queue.started_job_registry.count,
        "SUCCESSFUL": queue.finished_job_registry.count,
        "FAILED": queue.failed_job_registry.count,
    }
