"""Reads of the site's pages, counted without cookies or personal data.

A read is a GET of a page (not the search, the admin or a preview)
answered 200 or 304, by a browser that is not a known robot (the
CrawlerDetect list of crawler user agents; an empty user agent counts as
one) and carries no session cookie (staff reading their own site are not
the audience). Each visitor is counted once a day per page: the visitor is
a salted hash (reach.visitors), so neither address nor browser is stored,
and once the day is counted its hashes are deleted. The middleware only
appends the day, the path, the address and the user agent to a buffer in
memory (cms.write_buffer), so a cached page waits for no query; they are
hashed when the buffer is written, within REACH_BUFFER_SECONDS, and only
the hash is stored. A repeat read by the same visitor the same day is
dropped in memory (SeenToday). Each finished day is counted into the reach
ledger (reach.daily), one row per page and day."""

from datetime import date

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import connection, transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from wagtail.models import Page, Site

from cms.http import client_address
from cms.page_cache import cached_view_at
from reach.ledger import record_counted_day
from reach.models import ReachRecord, SiteVisit
from reach.visitors import is_robot, request_buffer, today, visitor

CHANNEL = "site"
SOURCE = "网站访问记录：每位访客每天每篇计一次，不含已知爬虫"
READ_STATUSES = frozenset({200, 304})


def is_read(request: HttpRequest, response: HttpResponse) -> bool:
    if request.method != "GET" or response.status_code not in READ_STATUSES:
        return False
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return False
    match = cached_view_at(request.path_info)
    if match is None or match.url_name != "wagtail_serve":
        return False
    return not is_robot(request.META.get("HTTP_USER_AGENT", ""))


class SiteReadMiddleware:
    def __init__(self, get_response) -> None:
        if not settings.REACH_COUNT_SITE_READS:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if is_read(request, response):
            day, path = today(), request.path_info
            address = client_address(request)
            agent = request.META.get("HTTP_USER_AGENT", "")
            if SEEN.first(day, (path, address, agent)):
                VISITS.add((day, path, address, agent))
        return response


class SeenToday:
    """The reads this process has buffered today, by a hash of path,
    address and agent: a visitor's repeat reads of a page go no further
    (the database's unique visit catches what this misses: another
    process, a hash collision, the set emptied when full)."""

    LIMIT = 200_000

    def __init__(self) -> None:
        self.day: date | None = None
        self.keys: set[int] = set()

    def first(self, day: date, read: tuple[str, str, str]) -> bool:
        if day != self.day or len(self.keys) >= self.LIMIT:
            self.day, self.keys = day, set()
        key = hash(read)
        if key in self.keys:
            return False
        self.keys.add(key)
        return True


SEEN = SeenToday()


def page_ids(paths: set[str]) -> dict[str, int]:
    """Request paths of the default site → page ids."""
    site = Site.objects.filter(is_default_site=True).select_related("root_page")
    site = site.first()
    if site is None:
        return {}
    root = site.root_page.url_path
    by_url_path = {root + path.lstrip("/"): path for path in paths}
    found = Page.objects.filter(url_path__in=by_url_path).values_list("url_path", "pk")
    return {by_url_path[url_path]: pk for url_path, pk in found}


def write_visits(entries: list[tuple[date, str, str, str]]) -> None:
    """The visits, hashed here: the address and the user agent never leave
    the buffer's memory. One plain INSERT for them all, repeats ignored:
    building a model instance per visit (bulk_create) cost more than the
    rest of a visit's writing together (benchmarks/README.md, site_reads)."""
    pages = page_ids({path for _day, path, _address, _agent in entries})
    rows = [
        (day.isoformat(), pages[path], visitor(day, ip, agent))
        for day, path, ip, agent in entries
        if path in pages
    ]
    table = connection.ops.quote_name(SiteVisit._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (day, page_id, visitor) VALUES (%s, %s, %s) "
            "ON CONFLICT DO NOTHING",
            rows,
        )


VISITS = request_buffer("site reads", write_visits)


# Counting a finished day -------------------------------------------------------


@transaction.atomic
def count_day(day: date) -> int:
    """The day's reads into the ledger, then its visits gone; the number
    of pages read."""
    counts = dict(
        SiteVisit.objects.filter(day=day)
        .values("page")
        .annotate(n=Count("pk"))
        .values_list("page", "n")
        .order_by()
    )
    figures = {page: (reads, {"visitors": reads}) for page, reads in counts.items()}
    record_counted_day(CHANNEL, day, ReachRecord.Metric.READS, SOURCE, figures)
    SiteVisit.objects.filter(day=day).delete()
    return len(counts)
