"""GET /healthz: database, task worker and scheduler status as JSON.

Anyone gets the verdict: "status" and an "ok" per check, with 200 or 503.
Signed-in admin users (Wagtail's access_admin) also get the details: the
database vendor, the worker count and backend, the queue lag (how long the
oldest task ready to run has waited), the last scheduler tick, the error
text, which can name the database host and port, and the figures the apps
add (HEALTH_FIGURES: failed placements). The error is logged (logger
"cms.health") whoever asks."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache

from cms.models import WorkerHeartbeat
from cms.queue_stats import backend_name, queue_lag_seconds, uses_rq

logger = logging.getLogger(__name__)


def database_status() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        logger.error("health check: database unavailable: %s", error)
        return {"ok": False, "error": str(error)}
    return {"ok": True, "vendor": connection.vendor}


def fresh_heartbeats():
    cutoff = timezone.now() - timedelta(seconds=settings.SCHEDULER_STALE_SECONDS)
    return WorkerHeartbeat.objects.filter(last_tick_at__gte=cutoff)


def rq_worker_count() -> int:
    from django_rq import get_connection
    from rq import Worker

    return Worker.count(connection=get_connection("default"))


def worker_status() -> dict:
    if uses_rq():
        count = rq_worker_count()
    else:
        count = fresh_heartbeats().filter(runs_tasks=True).count()
    return {
        "ok": count > 0,
        "backend": backend_name(),
        "workers": count,
        "queue_lag_seconds": round(queue_lag_seconds(), 1),
    }


def scheduler_status() -> dict:
    last = WorkerHeartbeat.objects.order_by("-last_tick_at").first()
    last_tick = last.last_tick_at if last else None
    stale_before = timezone.now() - timedelta(seconds=settings.SCHEDULER_STALE_SECONDS)
    return {
        "ok": last_tick is not None and last_tick >= stale_before,
        "last_tick": last_tick.isoformat() if last_tick else None,
    }


def shows_details(request) -> bool:
    """Signed-in admin users see the details (Django reads no session for a
    request without a session cookie)."""
    try:
        return request.user.has_perm("wagtailadmin.access_admin")
    except DatabaseError:
        return False  # sessions and users live in the database that is down


@never_cache
def healthz(request):
    checks = {"database": database_status()}
    if checks["database"]["ok"]:
        checks["worker"] = worker_status()
        checks["scheduler"] = scheduler_status()
    else:
        checks["worker"] = checks["scheduler"] = {"ok": False, "error": "database down"}
    healthy = all(check["ok"] for check in checks.values())
    status = 200 if healthy else 503
    body = {"status": "ok" if healthy else "down"}
    if not shows_details(request):
        verdicts = {name: {"ok": check["ok"]} for name, check in checks.items()}
        return JsonResponse(body | verdicts, status=status)
    body |= checks
    if checks["database"]["ok"]:
        figures = settings.HEALTH_FIGURES.items()
        body |= {name: import_string(path)() for name, path in figures}
    return JsonResponse(body, status=status)
