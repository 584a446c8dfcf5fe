"""Prometheus metrics at GET /metrics, for a scraper that sends
`Authorization: Bearer <METRICS_TOKEN>`; without METRICS_TOKEN the address
does not exist.

Request counts and latency are counted in each process. Under `manage.py
serve` (several gunicorn workers) they go to prometheus_client's shared
files in PROMETHEUS_MULTIPROC_DIR and are summed over the processes here.
Task, delivery and screen counts are read from the database at each scrape,
so they are the same whichever worker answers; the apps above cms add
theirs through settings.METRICS_COLLECTORS."""

import os

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils.crypto import constant_time_compare
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from cms.http import bearer_token
from cms.queue_stats import queue_lag_seconds, task_counts

REQUESTS = Counter(
    "kepu_http_requests",
    "HTTP requests answered, by method, view and status",
    ["method", "view", "status"],
    registry=None,
)
LATENCY = Histogram(
    "kepu_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and view",
    ["method", "view"],
    registry=None,
)
TASK_STATES = ("READY", "RUNNING", "SUCCESSFUL", "FAILED")


def observe_request(method: str, view: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, view, str(status)).inc()
    LATENCY.labels(method, view).observe(seconds)


class DatabaseCollector:
    """Counts read from the database (and Redis) when scraped."""

    def describe(self):
        return []  # nothing to read when registered

    def collect(self):
        counts = task_counts()
        tasks = GaugeMetricFamily("kepu_tasks", "Tasks by state", labels=["state"])
        for state in dict.fromkeys([*TASK_STATES, *counts]):
            tasks.add_metric([state], counts.get(state, 0))
        yield tasks
        yield GaugeMetricFamily(
            "kepu_task_queue_lag_seconds",
            "How long the oldest task ready to run has waited",
            value=queue_lag_seconds(),
        )
        for path in settings.METRICS_COLLECTORS:
            yield from import_string(path)()


def registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
    registry.register(DatabaseCollector())
    return registry


def refusal(status: int, message: str) -> HttpResponse:
    response = HttpResponse(
        message, status=status, content_type="text/plain; charset=utf-8"
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="kepu-metrics"'
    return response


@never_cache
def metrics(request):
    if not settings.METRICS_TOKEN:
        raise Http404
    token = bearer_token(request)
    if token is None:
        return refusal(401, "需要监控令牌")
    if not constant_time_compare(token, settings.METRICS_TOKEN):
        return refusal(403, "监控令牌无效")
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
