"""One structured log line (logger "cms.tasks", JSON by LOGGING) when a
background task starts and when it ends, on either task backend."""

import logging

from django_tasks import TaskResultStatus

logger = logging.getLogger("cms.tasks")


def task_fields(task_result) -> dict:
    return {
        "task_id": str(task_result.id),
        "task": task_result.task.module_path,
        "state": str(task_result.status),
        "backend": task_result.backend,
    }


def on_task_started(sender, task_result, **kwargs) -> None:
    fields = task_fields(task_result)
    logger.info("task %s started", fields["task"], extra=fields)


def on_task_finished(sender, task_result, **kwargs) -> None:
    fields = task_fields(task_result)
    if task_result.started_at and task_result.finished_at:
        duration = task_result.finished_at - task_result.started_at
        fields["duration_ms"] = round(duration.total_seconds() * 1000, 1)
    if task_result.status == TaskResultStatus.FAILED:
        errors = task_result.errors
        fields["error"] = errors[-1].exception_class_path if errors else ""
        logger.error("task %s failed", fields["task"], extra=fields)
    else:
        logger.info("task %s finished", fields["task"], extra=fields)
