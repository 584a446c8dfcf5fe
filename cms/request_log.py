"""One structured log line (logger "cms.requests", JSON by LOGGING) and the
request metrics for every request answered, static files included. Partner
keys in the path are masked by the handler's filter."""

import logging
import time

from cms.metrics import observe_request

logger = logging.getLogger("cms.requests")


def view_name(request) -> str:
    """A bounded label for the metrics: the URL pattern's name, not the path."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match.route or "unnamed"


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        view = view_name(request)
        observe_request(request.method, view, response.status_code, seconds)
        logger.info(
            "%s %s %s",
            request.method,
            request.get_full_path(),
            response.status_code,
            extra={
                "method": request.method,
                "path": request.get_full_path(),
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1),
                "view": view,
            },
        )
        return response
