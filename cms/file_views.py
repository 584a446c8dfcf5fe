"""The doors files leave by. The public gets a file only in the version a
reviewer approved, only while a page (or another product's output, through
the `public_file_names` hook) shows it now, and 404 otherwise. Staff with
admin access read every stored file at MEDIA_URL. Media is answered with
HEAD, byte ranges (206 / 416) and conditional GET, as podcast apps and video
players expect; files are read through the storage API (local or S3).

Behind nginx, FILES_ACCEL_REDIRECT names an internal location that maps onto
MEDIA_ROOT: the guard still decides here, and a local file it lets out is
then sent by nginx (X-Accel-Redirect), ranges included, instead of being
streamed through a Python worker (deploy/nginx.conf)."""

import hashlib
import hmac
import mimetypes
import re
from collections.abc import Iterator
from functools import partial
from io import BytesIO
from pathlib import PurePosixPath
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe
from wagtail.documents.views.serve import serve as wagtail_serve_document
from wagtailmedia.models import get_media_model
from willow.image import Image as WillowImage

from cms.files import (
    ApprovedFile,
    FileKind,
    approved_file,
    public_versions,
    withdrawal_of_file,
)
from cms.gone import Gone, raise_if_taken_back
from cms.http import conditional
from media_pipeline.models import Rendition, version_of

CHUNK_BYTES = 64 * 1024
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# Opened in the browser rather than downloaded (Wagtail's default).
INLINE_DOCUMENTS = ("application/pdf", "text/plain")
# Widths the public image door renders (the article template's srcset).
IMAGE_WIDTHS = (480, 800, 1200)
# Types by file extension for media: podcast apps pick their player by it.
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


def mime_type_of(name: str, kind: str = "") -> str:
    suffix = PurePosixPath(name).suffix.lower()
    guessed, _encoding = mimetypes.guess_type(name)
    return (
        MEDIA_TYPES.get(kind, {}).get(suffix) or guessed or "application/octet-stream"
    )


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


def stream(storage, name: str, start: int, length: int) -> Iterator[bytes]:
    with storage.open(name, "rb") as handle:
        handle.seek(start)
        remaining = length
        while remaining > 0:
            chunk = handle.read(min(CHUNK_BYTES, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk


def file_response(
    request: HttpRequest, name: str, mime_type: str, storage=default_storage
) -> HttpResponse:
    """The stored file, or the byte range asked for; 304 to a matching ETag."""
    try:
        size = storage.size(name)
    except (OSError, ValueError, SuspiciousFileOperation):
        raise Http404 from None
    if location := accel_redirect_location(storage):
        build = partial(accel_response, request, location, name, mime_type)
    else:
        build = partial(ranged_response, request, storage, name, size, mime_type)
    return conditional(request, build, etag=file_etag(name, size))


def accel_redirect_location(storage) -> str:
    """nginx sends local files only; S3 objects are streamed as before."""
    location = settings.FILES_ACCEL_REDIRECT
    return location if location and isinstance(storage, FileSystemStorage) else ""


def accel_response(
    request: HttpRequest, location: str, name: str, mime_type: str
) -> HttpResponse:
    response = HttpResponse(content_type=mime_type)
    response["X-Accel-Redirect"] = f"{location.rstrip('/')}/{quote(name)}"
    return guarded(request, response)


def ranged_response(
    request: HttpRequest, storage, name: str, size: int, mime_type: str
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
        body = stream(storage, name, first, length)
        response = StreamingHttpResponse(body, content_type=mime_type)
    if span:
        response.status_code = 206
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    return guarded(request, response)


def guarded(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    # What staff read may be a draft's: no shared cache keeps it.
    shared = "private" if can_see_drafts(request) else "public"
    response["Cache-Control"] = f"{shared}, no-cache"
    response["X-Content-Type-Options"] = "nosniff"
    # An uploaded file opened on its own runs nothing (as Wagtail's view).
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


def file_etag(name: str, size: int) -> str:
    return '"' + hashlib.sha256(f"{name}:{size}".encode()).hexdigest()[:24] + '"'


def approved_or_404(page_id: int, kind: FileKind, object_id: int) -> ApprovedFile:
    approved = approved_file(page_id, kind, object_id)
    if approved is None:
        raise_if_taken_back(page_id)
        raise Http404
    return approved


def media_kind(media_id: int) -> str:
    media = get_media_model().objects.filter(pk=media_id).only("type").first()
    return media.type if media else ""


@require_safe
def enclosure(request: HttpRequest, page_id: int, media_id: int, filename: str):
    approved = approved_or_404(page_id, FileKind.MEDIA, media_id)
    if approved.filename != filename:
        raise Http404
    mime_type = mime_type_of(filename, media_kind(media_id))
    return file_response(request, approved.name, mime_type)


@require_safe
def thumbnail(request: HttpRequest, page_id: int, media_id: int):
    approved = approved_or_404(page_id, FileKind.THUMBNAIL, media_id)
    return file_response(request, approved.name, mime_type_of(approved.name, "image"))


@require_safe
def rendition(
    request: HttpRequest, page_id: int, media_id: int, rendition_id: int, filename: str
):
    """A platform or screen export made from the approved version of the
    media, while the page is visible."""
    approved = approved_or_404(page_id, FileKind.MEDIA, media_id)
    export = Rendition.objects.filter(
        pk=rendition_id,
        media_id=media_id,
        source_version=version_of(approved.name, approved.size),
    ).first()
    if export is None or PurePosixPath(export.file.name).name != filename:
        raise Http404
    if export.withdrawn_at is not None:  # withdrawn with an item that used it
        raise Gone()
    kind = "video" if export.info.get("has_video") else "audio"
    return file_response(request, export.file.name, mime_type_of(filename, kind))


def public_version(kind: FileKind, object_id: int, filename: str) -> str:
    for name in public_versions(kind, object_id):
        if PurePosixPath(name).name == filename:
            return name
    if advisory := withdrawal_of_file(kind, object_id, filename):
        raise Gone(advisory)
    raise Http404


def can_see_drafts(request: HttpRequest) -> bool:
    return request.user.is_authenticated and request.user.has_perm(
        "wagtailadmin.access_admin"
    )


def document(request: HttpRequest, document_id: int, document_filename: str):
    """Wagtail's document address: staff get the file as stored now (through
    Wagtail's view), everyone else the approved version a visible page uses."""
    if can_see_drafts(request):
        return wagtail_serve_document(request, document_id, document_filename)
    if request.method not in ("GET", "HEAD"):
        raise Http404
    name = public_version(FileKind.DOCUMENT, document_id, document_filename)
    response = file_response(request, name, mime_type_of(name))
    inline = getattr(settings, "WAGTAILDOCS_INLINE_CONTENT_TYPES", INLINE_DOCUMENTS)
    if response.status_code < 300 and mime_type_of(name) not in inline:
        response["Content-Disposition"] = content_disposition_header(
            True, document_filename
        )
    return response


def image_url(image_id: int, name: str, width: int | None = None) -> str:
    """The public address of an approved image version: the original, or
    rendered at one of IMAGE_WIDTHS."""
    variant = f"w{width}" if width else "original"
    filename = PurePosixPath(name).name
    return reverse("files:image", args=[image_id, variant, filename])


def resized_name(name: str, width: int) -> str:
    """Where a public rendering is kept: not derivable without the secret."""
    key = settings.SECRET_KEY.encode()
    digest = hmac.new(key, f"{name}:{width}".encode(), hashlib.sha256).hexdigest()
    suffix = PurePosixPath(name).suffix.lower() or ".jpg"
    return f"public-images/{digest[:32]}{suffix}"


def resized(name: str, width: int) -> str:
    """The stored rendering of an image version at this width (made once)."""
    target = resized_name(name, width)
    if default_storage.exists(target):
        return target
    with default_storage.open(name, "rb") as original:
        image = WillowImage.open(original)
        save_as = f"save_as_{image.format_name}"
        current_width, current_height = image.get_size()
        if current_width > width:
            image = image.resize(
                (width, max(1, current_height * width // current_width))
            )
        output = BytesIO()
        getattr(image, save_as)(output)
    return default_storage.save(target, ContentFile(output.getvalue()))


@require_safe
def image(request: HttpRequest, image_id: int, variant: str, filename: str):
    name = public_version(FileKind.IMAGE, image_id, filename)
    if variant != "original":
        widths = {f"w{width}": width for width in IMAGE_WIDTHS}
        if variant not in widths:
            raise Http404
        name = resized(name, widths[variant])
    return file_response(request, name, mime_type_of(name, "image"))


@require_safe
def staff_file(request: HttpRequest, name: str):
    """Every stored file, for staff only (the admin's thumbnails, previews
    of drafts)."""
    if not can_see_drafts(request):
        raise Http404
    return file_response(request, name, mime_type_of(name))
