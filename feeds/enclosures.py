"""Enclosure files of feed items, served by our own view so that the embargo
holds for them too (404 unless the page is visible now) and podcast apps get
what they need: HEAD, byte ranges (206 / 416) and the real length. Files are
read through the storage API, so local and S3 storage both work."""

import hashlib
import mimetypes
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_safe
from wagtail.models import Page

from cms.http import conditional
from cms.pages import ColumnEpisodePage, VideoPage, visible_pages
from media_pipeline.models import version_of

CHUNK_BYTES = 64 * 1024
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# Enclosure types by file extension: podcast apps pick their player by it.
MEDIA_TYPES = {
    "audio": {
        ".mp3": "audio/mpeg",
        ".m4a": "audio/mp4",
        ".mp4": "audio/mp4",
        ".aac": "audio/aac",
        ".wav": "audio/wav",
        ".ogg": "audio/ogg",
        ".oga": "audio/ogg",
        ".opus": "audio/ogg",
        ".flac": "audio/flac",
    },
    "video": {
        ".mp4": "video/mp4",
        ".m4v": "video/x-m4v",
        ".mov": "video/quicktime",
        ".webm": "video/webm",
        ".mkv": "video/x-matroska",
    },
}


@dataclass(frozen=True)
class MediaFacts:
    filename: str
    length: int
    mime_type: str
    duration: float | None
    width: int | None
    height: int | None
    version: str  # media_pipeline's source version of the file as stored now


def mime_type_of(name: str, kind: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    guessed, _encoding = mimetypes.guess_type(name)
    return (
        MEDIA_TYPES.get(kind, {}).get(suffix) or guessed or "application/octet-stream"
    )


def probe_of(media):
    """The media_pipeline probe of this file when one succeeded, else None."""
    try:
        probe = media.probe
    except media._meta.get_field("probe").related_model.DoesNotExist:
        return None
    return None if probe.error else probe


def media_facts(media) -> MediaFacts | None:
    """Length from the storage, duration and frame size from the probe (or
    the media record); None when the file is missing."""
    try:
        length = media.file.storage.size(media.file.name)
    except (OSError, ValueError):
        return None
    probe = probe_of(media)
    duration = (probe.duration if probe else None) or media.duration or None
    width = (probe and (probe.display_width or probe.width)) or media.width
    height = (probe and (probe.display_height or probe.height)) or media.height
    return MediaFacts(
        filename=PurePosixPath(media.file.name).name,
        length=length,
        mime_type=mime_type_of(media.file.name, media.type),
        duration=float(duration) if duration else None,
        width=width if media.type == "video" else None,
        height=height if media.type == "video" else None,
        version=version_of(media.file.name, length),
    )


def visible_media(page_id: int, media_id: int):
    """The media of a page readers may see now, or 404."""
    page = visible_pages(Page.objects.filter(pk=page_id)).specific().first()
    if isinstance(page, VideoPage):
        media = page.video
    elif isinstance(page, ColumnEpisodePage):
        media = page.audio
    else:
        media = None
    if media is None or media.pk != media_id:
        raise Http404
    return media


def byte_range(header: str, size: int) -> tuple[int, int] | None | bool:
    """(first, last) for a single `bytes=` range; None to send everything
    (no range or one we do not handle); False when unsatisfiable."""
    match = RANGE.match(header.strip())
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":
        suffix = int(last)
        if suffix == 0:
            return False
        return max(size - suffix, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return False
    return start, end


def stream(stored, start: int, length: int) -> Iterator[bytes]:
    with stored.storage.open(stored.name, "rb") as handle:
        handle.seek(start)
        remaining = length
        while remaining > 0:
            chunk = handle.read(min(CHUNK_BYTES, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk


def file_response(request: HttpRequest, stored, mime_type: str) -> HttpResponse:
    """The file, or the byte range asked for; 304 to a matching ETag."""
    try:
        size = stored.storage.size(stored.name)
    except (OSError, ValueError):
        raise Http404 from None
    return conditional(
        request,
        lambda: ranged_response(request, stored, size, mime_type),
        etag=file_etag(stored.name, size),
    )


def ranged_response(
    request: HttpRequest, stored, size: int, mime_type: str
) -> HttpResponse:
    span = byte_range(request.headers.get("Range", ""), size)
    if span is False:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    first, last = span or (0, size - 1)
    length = max(last - first + 1, 0)
    if request.method == "HEAD":
        response = HttpResponse(content_type=mime_type)
    else:
        body = stream(stored, first, length)
        response = StreamingHttpResponse(body, content_type=mime_type)
    if span:
        response.status_code = 206
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "public, no-cache"
    return response


def file_etag(name: str, size: int) -> str:
    return '"' + hashlib.sha256(f"{name}:{size}".encode()).hexdigest()[:24] + '"'


@require_safe
def enclosure(request: HttpRequest, page_id: int, media_id: int, filename: str):
    media = visible_media(page_id, media_id)
    if PurePosixPath(media.file.name).name != filename:
        raise Http404
    return file_response(request, media.file, mime_type_of(filename, media.type))


@require_safe
def rendition(
    request: HttpRequest, page_id: int, media_id: int, rendition_id: int, filename: str
):
    """A platform or screen export of the media (media_pipeline), under the
    same embargo as the original."""
    media = visible_media(page_id, media_id)
    export = media.renditions.filter(pk=rendition_id).first()
    if export is None or PurePosixPath(export.file.name).name != filename:
        raise Http404
    kind = "video" if export.info.get("has_video") else "audio"
    return file_response(request, export.file, mime_type_of(filename, kind))


@require_safe
def thumbnail(request: HttpRequest, page_id: int, media_id: int):
    media = visible_media(page_id, media_id)
    if not media.thumbnail:
        raise Http404
    mime_type = mime_type_of(media.thumbnail.name, "image")
    return file_response(request, media.thumbnail, mime_type)
