"""The feed addresses: /feeds/<slug>/{rss.xml,atom.xml,feed.json,podcast.xml,
mrss.xml}, plus the podcast cover.

Every request is authorised first by the access gate (access.py; an error
response never holds an item) and recorded by it whatever its status. A
rendered feed is cached under the database fingerprint (caching.py) and
answered with ETag / Last-Modified, 304 on a match. Public feeds may be
cached by a CDN briefly; keyed ones only privately, and revalidated each
time."""

import hashlib
import io
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from cms.http import conditional
from cms.pages import ColumnEpisodePage, VideoPage
from cms.public_address import public_url
from feeds.access import AccessDenied, installed_gate
from feeds.caching import (
    ACTIVE_FEEDS,
    Fingerprint,
    cached_render,
    current_fingerprint,
)
from feeds.formats import ATOM, JSON_FEED, RSS, FeedDocument, Format
from feeds.items import build_items
from feeds.media_formats import MRSS, PODCAST
from feeds.models import FeedDefinition
from feeds.selection import feed_pages
from feeds.tombstones import expiry, tombstones
from media_pipeline.cover import cover_image

FORMATS = {fmt.name: fmt for fmt in (RSS, ATOM, JSON_FEED, PODCAST, MRSS)}
COVER_SIZE = (1400, 1400)  # Apple Podcasts asks for 1400–3000 px squares
MAX_PAGE = 10_000


def public_max_age() -> int:
    return settings.FEEDS_PUBLIC_MAX_AGE


def narrowed(pages: QuerySet, media_kind: str | None) -> QuerySet:
    """Only the pages with audio (podcast) or video (Media RSS)."""
    if media_kind == "audio":
        with_media = ColumnEpisodePage.objects.filter(audio__isnull=False)
    elif media_kind == "video":
        with_media = VideoPage.objects.filter(video__isnull=False)
    else:
        return pages
    return pages.filter(pk__in=with_media.values("pk"))


def page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise Http404
    return int(raw)


def render_document(
    request: HttpRequest, feed: FeedDefinition, fmt: Format, page: int
) -> tuple[bytes, datetime | None, tuple[int, ...]]:
    """The document's body, when it goes stale by time alone (its first
    tombstone expiring), and its items' page ids. Atom's first page carries
    the tombstones of the items withdrawn from the feed lately."""
    size = feed.item_count
    pages = narrowed(feed_pages(feed), fmt.media_kind)
    window = list(pages[(page - 1) * size : page * size + 1])
    if page > 1 and not window:
        raise Http404
    items = build_items(window[:size], request)
    if fmt.media_kind:
        kind = fmt.media_kind
        items = [i for i in items if any(e.kind == kind for e in i.enclosures)]
    deleted = tombstones(feed) if fmt is ATOM and page == 1 else ()
    moments = [item.updated for item in items] + [entry.when for entry in deleted]
    document = FeedDocument(
        title=feed.title,
        description=feed.description or feed.title,
        guid=f"urn:kepu:feed:{feed.pk}",
        author=settings.WAGTAIL_SITE_NAME,
        full_text=feed.full_text,
        items=items,
        home_url=public_url("/"),
        format_url=public_url(reverse("feeds:feed", args=[feed.slug, fmt.name])),
        page=page,
        has_older=len(window) > size,
        cover_url=public_url(reverse("feeds:cover", args=[feed.slug])),
        updated=max([*moments, feed.updated_at]),
        deleted=deleted,
    )
    carried = tuple(item.page_id for item in items)
    return fmt.render(document), expiry(deleted), carried


def denied_response(denied: AccessDenied) -> HttpResponse:
    response = HttpResponse(
        denied.message, status=denied.status, content_type="text/plain; charset=utf-8"
    )
    if denied.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="kepu-feeds"'
    if denied.retry_after is not None:
        response["Retry-After"] = str(denied.retry_after)
    response["Cache-Control"] = "no-store"
    return response


def not_found() -> HttpResponse:
    response = HttpResponse(
        "没有这个订阅源", status=404, content_type="text/plain; charset=utf-8"
    )
    response["Cache-Control"] = "no-store"
    return response


def set_cache_headers(response: HttpResponse, feed: FeedDefinition) -> None:
    if feed.is_public:
        response["Cache-Control"] = f"public, max-age={public_max_age()}"
    else:
        response["Cache-Control"] = "private, no-cache"
        patch_vary_headers(response, ["Authorization"])


def body_response(body: bytes, content_type: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Length"] = str(len(body))
    return response


def serve_feed(
    request: HttpRequest, feed: FeedDefinition, fmt: Format, fingerprint: Fingerprint
) -> tuple[HttpResponse, tuple[int, ...]]:
    """The answer, and the page ids of the items it carries."""
    try:
        page = page_number(request)
        variant = f"{fmt.name}:{page}:{request.scheme}:{request.get_host()}"
        rendered = cached_render(
            feed,
            variant,
            fingerprint,
            lambda: render_document(request, feed, fmt, page),
        )
    except Http404:
        return not_found(), ()
    response = conditional(
        request,
        lambda: body_response(rendered.body, fmt.content_type),
        etag=rendered.etag,
        last_modified=rendered.last_modified,
    )
    set_cache_headers(response, feed)
    return response, rendered.items


@require_safe
def feed_view(request: HttpRequest, slug: str, format_name: str) -> HttpResponse:
    gate = installed_gate()
    fmt = FORMATS.get(format_name)
    fingerprint = current_fingerprint()
    feed = ACTIVE_FEEDS.get(fingerprint).get(slug) if fmt else None
    grant, carried = None, ()
    if feed is None:
        response = not_found()
    else:
        try:
            grant = gate.authorise(request, feed)
        except AccessDenied as denied:
            response = denied_response(denied)
        else:
            response, carried = serve_feed(request, feed, fmt, fingerprint)
    size = len(response.content) if response.status_code == 200 else 0
    gate.record(request, feed, grant, response.status_code, size, carried)
    return response


def cover_png(feed: FeedDefinition) -> bytes:
    key = f"feeds:cover:{feed.pk}:{feed.updated_at.timestamp()}"
    png = cache.get(key)
    if png is None:
        buffer = io.BytesIO()
        cover_image(feed.title, COVER_SIZE).convert("RGB").save(buffer, "PNG")
        png = buffer.getvalue()
        cache.set(key, png, 24 * 60 * 60)
    return png


@require_safe
def cover_view(request: HttpRequest, slug: str) -> HttpResponse:
    """The feed's artwork: its title on the house gradient, as a square PNG."""
    feed = ACTIVE_FEEDS.get(current_fingerprint()).get(slug)
    if feed is None:
        return not_found()
    version = f"{feed.pk}:{feed.updated_at.timestamp()}"
    response = conditional(
        request,
        lambda: HttpResponse(cover_png(feed), content_type="image/png"),
        etag=f'"cover-{hashlib.sha256(version.encode()).hexdigest()[:16]}"',
        last_modified=feed.updated_at,
    )
    response["Cache-Control"] = "public, max-age=86400"
    return response
