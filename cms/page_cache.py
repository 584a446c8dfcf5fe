"""The public pages (home, sections, columns, items, search) served from a
shared cache, keyed by a fingerprint of everything they show
(cms.generations): any page log entry (publish, unpublish, a correction's
new revision, withdrawal, scheduled publishing and expiry, moves, title and
slug changes, which also make the navigation), a live page passing its
expiry time, and this cache's generation, bumped by signals for taxonomy
(topics, audiences, campaigns, experts), advisories, sites, images, media
and documents. A process reads the fingerprint again once its reading is
PAGE_CACHE_FINGERPRINT_SECONDS old (1 s; 0: on every request), so a change
made by any process on any node shows everywhere within that; an entry is
also kept no longer than the next expiry or scheduled go-live, so nothing
depends on the scheduler having run.

Only anonymous reads are cached: GET or HEAD, no session cookie and no
Authorization header (signed-in editors and previews never touch it), of a
Wagtail page or the search; only 200 and 410 answers without Set-Cookie or
a private Cache-Control are kept. A hit costs one cache read and no query
(a fingerprint reading, one small query, about once a second per process);
it carries an ETag and answers 304 to a matching If-None-Match.

Where the entries live: CACHES["default"]. On the embedded default that is
each process's memory (locmem), not a shared file or database cache: the
invalidation is already shared, because the fingerprint is read from the
database all processes use, so a shared store would only save each process
rendering a page once per change, and it costs more on every hit: reading
a 30 KB page took 14 µs from locmem, 660 µs from FileBasedCache (it
compresses), 570 µs from DatabaseCache on SQLite and 470 µs from Redis (best
of 5 × 2,000 reads on a 2-core machine shared with other work), against
about 400 µs for a whole static-file request. With REDIS_URL the entries are
shared between the processes and nodes."""

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, ResolverMatch, resolve
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page, Revision

from cms.alerts import SiteAlert
from cms.frontend_purge import purge_everything
from cms.generations import (
    Fingerprint,
    Generation,
    RecentFingerprint,
    earliest,
    latest,
    page_fingerprint,
)
from cms.http import conditional

CACHE_SECONDS = 60 * 60  # entries are keyed by fingerprint; this only frees space
CACHED_VIEWS = frozenset({"wagtail_serve", "search"})
PURGEABLE_VIEWS = frozenset({"wagtail_serve"})  # addresses frontend_purge reaches
CACHED_STATUSES = frozenset({200, 410})
UNCACHED_DIRECTIVES = ("private", "no-store", "no-cache")


class PageCacheGeneration(Generation):
    """Bumped for what public pages show that leaves no page log entry."""

    class Meta:
        verbose_name = _("页面缓存版本")
        verbose_name_plural = _("页面缓存版本")

    @classmethod
    def bump(cls) -> None:
        super().bump()
        purge_everything()


PAGES_FINGERPRINT = page_fingerprint(
    PageCacheGeneration,
    # an alert's banner appears and leaves on time (cms.alerts)
    latest(SiteAlert, "starts_at", "starts_at <= %(now)s"),
    latest(SiteAlert, "ends_at", "ends_at <= %(now)s"),
    upcoming=(
        earliest(Page, "expire_at", "live AND expire_at > %(now)s"),
        earliest(Revision, "approved_go_live_at", "approved_go_live_at > %(now)s"),
        earliest(SiteAlert, "starts_at", "starts_at > %(now)s"),
        earliest(SiteAlert, "ends_at", "ends_at > %(now)s"),
    ),
)
current_fingerprint = RecentFingerprint(
    PAGES_FINGERPRINT, max_age=lambda: settings.PAGE_CACHE_FINGERPRINT_SECONDS
).get


@dataclass(frozen=True)
class CachedPage:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    etag: str

    def response(self) -> HttpResponse:
        response = HttpResponse(self.body, status=self.status)
        for name, value in self.headers:
            response[name] = value
        return response


@lru_cache(maxsize=4096)
def cached_view_at(path: str) -> ResolverMatch | None:
    """The cached view at this path, or None. Remembered: the pages'
    catch-all pattern comes last, so resolving a page's path walks every
    other pattern first (most of a hit's cost)."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match if match.url_name in CACHED_VIEWS else None


def cached_view(request: HttpRequest) -> ResolverMatch | None:
    """The cached view this request is for, if it may be answered from the
    cache."""
    if request.method not in ("GET", "HEAD"):
        return None
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return None
    if "HTTP_AUTHORIZATION" in request.META:  # request.headers parses them all
        return None
    return cached_view_at(request.path_info)


def may_keep(response: HttpResponse) -> bool:
    if response.status_code not in CACHED_STATUSES or response.streaming:
        return False
    if response.cookies or response.has_header("Set-Cookie"):
        return False
    control = response.get("Cache-Control", "")
    return not any(directive in control for directive in UNCACHED_DIRECTIVES)


def seconds_until(moment: datetime | None, longest: int) -> int:
    if moment is None:
        return longest
    left = (moment - timezone.now()).total_seconds()
    return max(0, min(longest, math.floor(left)))


def cache_control(view: str, fingerprint: Fingerprint) -> str:
    """Browsers revalidate every time (they cannot be purged); a purged
    frontend cache may keep a page until its next change by time."""
    if view in PURGEABLE_VIEWS and settings.WAGTAILFRONTENDCACHE:
        shared = seconds_until(fingerprint.next_change, settings.PAGE_CACHE_CDN_SECONDS)
        return f"public, max-age=0, s-maxage={shared}"
    return "public, max-age=0"


def kept(response: HttpResponse, view: str, fingerprint: Fingerprint) -> CachedPage:
    body = response.content
    headers = dict(response.items())
    headers["Cache-Control"] = cache_control(view, fingerprint)
    headers["Content-Length"] = str(len(body))
    return CachedPage(
        status=response.status_code,
        headers=tuple(headers.items()),
        body=body,
        etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
    )


class PageCacheMiddleware:
    """Sits before the session, CSRF and authentication middleware, so that
    a hit skips them and a miss sees every cookie they set."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        match = cached_view(request)
        if match is None:
            return self.get_response(request)
        view = match.url_name
        fingerprint = current_fingerprint()
        # The Host header as sent: get_host() validates it on every call, and
        # a host it refuses renders a 400, which is never kept.
        host = request.META.get("HTTP_HOST", "")
        address = (request.scheme, host, request.get_full_path())
        key = fingerprint.cache_key("pages", *address)
        page = cache.get(key)
        if page is None:
            response = self.get_response(request)
            if request.method != "GET" or not may_keep(response):
                return response
            page = kept(response, view, fingerprint)
            lifetime = seconds_until(fingerprint.next_change, CACHE_SECONDS)
            if lifetime > 0:
                cache.set(key, page, lifetime)
        else:
            request.resolver_match = match  # so a hit is logged and counted by view
        return conditional(request, page.response, etag=page.etag)


def connect_signals() -> None:
    """What pages show but Wagtail does not log bumps the generation."""
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model
    from wagtail.models import Site
    from wagtailmedia.models import get_media_model

    from cms.advisories import Advisory
    from cms.snippets import Audience, Campaign, Expert, Topic

    PageCacheGeneration.follow(
        [
            Topic,
            Audience,
            Campaign,
            Expert,
            Advisory,
            SiteAlert,
            Site,
            get_image_model(),
            get_media_model(),
            get_document_model(),
        ]
    )
