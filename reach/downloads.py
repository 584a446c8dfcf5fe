"""Downloads of the enclosures (the podcast feed's episodes and every
item's audio and video at files:enclosure), counted as the IAB Podcast
Measurement Technical Guidelines 2.1 count them:

- only GETs answered 200 or 206 count; HEAD and 304 send no audio, and a
  `Range: bytes=0-1` probe (players checking the file) is left out;
- robots are left out (reach.visitors.is_robot);
- a listener is an address (IPv6 cut to 64 bits) and a user agent, hashed
  with the day's salt; one download per listener per episode per day (the
  guidelines' fixed 24-hour window, midnight to midnight, local time);
- the bytes a listener was sent of a file that day add up across its
  requests (players fetch in ranges), and make a download once they reach
  one minute of it: the file's size × 60 ÷ its duration, the whole file
  when it is shorter than a minute, or a minute at 128 kbit/s when its
  duration is unknown.

The bytes are what the response handed to the server before it finished
or the client went away (Python streams the file); behind nginx
(FILES_ACCEL_REDIRECT) they are the range asked for. Like the site's reads
the requests only go into a buffer in memory; each finished day is counted
into the ledger (reach.daily) and its rows deleted."""

import math
from datetime import date
from urllib.parse import unquote

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.http import HttpRequest, HttpResponse
from wagtailmedia.models import get_media_model

from cms.file_views import byte_range
from cms.http import client_address
from reach.ledger import record_counted_day
from reach.models import EnclosureListen, ReachRecord
from reach.visitors import is_robot, request_buffer, today, visitor

CHANNEL = "podcast"
SOURCE = "音视频文件下载记录，按 IAB 播客统计规范 2.1 计算"
SENT = frozenset({200, 206})
PROBE = "bytes=0-1"
MINUTE_AT_128_KBPS = 128_000 // 8 * 60


def minute_of(size: int, duration: float) -> int:
    """The bytes of one minute of a file."""
    if not duration:
        return min(size, MINUTE_AT_128_KBPS)
    if duration <= 60:
        return size
    return math.ceil(size * 60 / duration)


def file_size(response: HttpResponse) -> int:
    """The whole file's size, from what the response says of it."""
    whole = response.get("Content-Range", "").rpartition("/")[2]
    return int(whole) if whole.isdigit() else int(response.get("Content-Length", 0))


def accel_span(request: HttpRequest, response: HttpResponse) -> tuple[int, int]:
    """(bytes asked for, file size) of a file nginx sends."""
    location = settings.FILES_ACCEL_REDIRECT.rstrip("/") + "/"
    name = unquote(response["X-Accel-Redirect"].removeprefix(location))
    size = default_storage.size(name)
    span = byte_range(request.headers.get("Range", ""), size)
    if span is False:
        return 0, size
    first, last = span or (0, size - 1)
    return last - first + 1, size


class EnclosureDownloadMiddleware:
    def __init__(self, get_response) -> None:
        if not settings.REACH_COUNT_DOWNLOADS:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = request.resolver_match
        if (
            match is None
            or match.view_name != "files:enclosure"
            or request.method != "GET"
            or response.status_code not in SENT
            or request.headers.get("Range", "").replace(" ", "") == PROBE
            or is_robot(request.META.get("HTTP_USER_AGENT", ""))
        ):
            return response
        entry = (
            today(),
            match.kwargs["page_id"],
            match.kwargs["media_id"],
            client_address(request),
            request.META.get("HTTP_USER_AGENT", ""),
        )
        if response.has_header("X-Accel-Redirect"):
            DOWNLOADS.add((*entry, *accel_span(request, response)))
        elif response.streaming:
            size = file_size(response)
            response.streaming_content = sent_counted(
                response.streaming_content,
                lambda sent: DOWNLOADS.add((*entry, sent, size)),
            )
        return response


def sent_counted(chunks, report):
    """The chunks, and once they are all sent or the client went away,
    how many bytes went."""
    sent = 0
    try:
        for chunk in chunks:
            sent += len(chunk)
            yield chunk
    finally:
        report(sent)


def write_downloads(entries: list[tuple]) -> None:
    """Each listener's bytes of a file on a day added up (the address and
    agent hashed here, never stored)."""
    totals: dict[tuple, list[int]] = {}
    for day, page_id, media_id, address, agent, sent, size in entries:
        key = (day, page_id, media_id, visitor(day, address, agent))
        total = totals.setdefault(key, [0, 0])
        total[0] += sent
        total[1] = max(total[1], size)
    for (day, page_id, media_id, listener), (sent, size) in totals.items():
        add_bytes(day, page_id, media_id, listener, sent, size)


def add_bytes(day, page_id, media_id, listener, sent, size) -> None:
    rows = EnclosureListen.objects.filter(
        day=day, page_id=page_id, media_id=media_id, listener=listener
    )
    added = {"bytes": F("bytes") + sent, "size": Greatest("size", size)}
    if rows.update(**added):
        return
    try:
        with transaction.atomic():
            rows.create(
                day=day,
                page_id=page_id,
                media_id=media_id,
                listener=listener,
                bytes=sent,
                size=size,
            )
    except IntegrityError:  # another process wrote the first bytes meanwhile
        rows.update(**added)


DOWNLOADS = request_buffer("enclosure downloads", write_downloads)


@transaction.atomic
def count_day(day: date) -> int:
    """The day's downloads into the ledger per item, then its rows gone;
    the number of items downloaded."""
    rows = list(
        EnclosureListen.objects.filter(day=day).values_list(
            "page_id", "media_id", "bytes", "size"
        )
    )
    durations = dict(
        get_media_model()
        .objects.filter(pk__in={media for _p, media, _b, _s in rows})
        .values_list("pk", "duration")
    )
    downloads: dict[int, int] = {}
    listeners: dict[int, int] = {}
    for page_id, media_id, sent, size in rows:
        listeners[page_id] = listeners.get(page_id, 0) + 1
        if sent >= minute_of(size, durations.get(media_id) or 0):
            downloads[page_id] = downloads.get(page_id, 0) + 1
    figures = {
        page: (
            downloads.get(page, 0),
            {"listeners": heard, "under_a_minute": heard - downloads.get(page, 0)},
        )
        for page, heard in listeners.items()
    }
    record_counted_day(CHANNEL, day, ReachRecord.Metric.DOWNLOADS, SOURCE, figures)
    EnclosureListen.objects.filter(day=day).delete()
    return len(listeners)
