"""HTTP mechanisms every app answers with: conditional GET, Bearer tokens and
the client's address.

`conditional` answers a request against validators the caller has already
computed: 304 Not Modified (or 412 on a failed If-Match / If-Unmodified-Since)
by Django's own rules, otherwise the response `respond()` builds. The body is
only built when it is sent, so a revalidation costs what the validators cost.
The ETag, and the Last-Modified when given, go on every answer but an error
respond() returns (a 416 describes no representation)."""

from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date


def conditional(
    request: HttpRequest,
    respond: Callable[[], HttpResponse],
    *,
    etag: str,
    last_modified: datetime | None = None,
) -> HttpResponse:
    """The 304 (or 412) this request earns against the validators, or
    respond(). `etag` is quoted, as it is sent."""
    seconds = int(last_modified.timestamp()) if last_modified else None
    response = get_conditional_response(request, etag=etag, last_modified=seconds)
    if response is None:
        response = respond()
        if response.status_code >= 400:
            return response
    response["ETag"] = etag
    if seconds is not None:
        response["Last-Modified"] = http_date(seconds)
    return response


def bearer_token(request: HttpRequest) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    # META, not request.headers: that would parse every header of the request.
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _space, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def client_address(request: HttpRequest) -> str:
    """The address of the client: the connection's, or behind a reverse proxy
    the one it writes into CLIENT_ADDRESS_HEADER. Of a list (X-Forwarded-For)
    only the last entry is the proxy's own; those before it are the client's
    say-so."""
    header = settings.CLIENT_ADDRESS_HEADER
    if header:
        # META, not request.headers (which parses every header of the request).
        meta_name = "HTTP_" + header.upper().replace("-", "_")
        written = request.META.get(meta_name, "").rpartition(",")[2].strip()
        if written:
            return written
    return request.META.get("REMOTE_ADDR", "")
