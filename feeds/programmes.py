"""A radio programme's own podcast at /channels/podcast/<column-slug>.xml
(programme_urls.py): the partner feeds' podcast format (media_formats.py)
over the programme's visible episodes that have audio, newest first, on one
page.

What podcast apps have held since this feed began stays as it was: GUIDs
`kepu-episode-<id>` (from the page id, so they survive edits and moves), the
stored audio file's own address and artwork, and the episode numbers, which
mean something only within one programme and so are given only here.

The validators are the programme's own rather than the partner feeds'
site-wide fingerprint, so a change elsewhere leaves its Last-Modified alone.
A revalidation costs three queries (the column, its episodes' summary and
its page log) and renders nothing. The ETag changes
whenever an episode is published, edited, moved, unpublished or expires (the
count and the ids change), Last-Modified with each of these that leaves a
time behind (a publish, or an entry in the page log)."""

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property

from django.db.models import Count, Max, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from wagtail.models import PageLogEntry

from cms.http import conditional
from cms.pages import ColumnEpisodePage, ColumnPage, visible_pages
from cms.public_address import public_url
from feeds.formats import FeedDocument
from feeds.items import FeedItem, build_items
from feeds.media_formats import PODCAST


def radio_column(slug: str) -> ColumnPage:
    column = (
        visible_pages(ColumnPage.objects.filter(slug=slug))
        .filter(channel=ColumnPage.Channel.RADIO)
        .order_by("path")
        .first()
    )
    if column is None:
        raise Http404
    return column


@dataclass
class ProgrammeState:
    """What the feed of one programme is made of, read once per request."""

    column: ColumnPage

    @cached_property
    def episodes(self):
        episodes = ColumnEpisodePage.objects.child_of(self.column)
        return visible_pages(episodes).filter(audio__isnull=False)

    @cached_property
    def summary(self) -> dict:
        return self.episodes.aggregate(
            count=Count("pk"), ids=Sum("pk"), published=Max("last_published_at")
        )

    @cached_property
    def last_modified(self) -> datetime | None:
        logged = PageLogEntry.objects.filter(
            page__path__startswith=self.column.path
        ).aggregate(at=Max("timestamp"))["at"]
        times = [self.summary["published"], self.column.last_published_at, logged]
        return max((t for t in times if t is not None), default=None)

    @cached_property
    def etag(self) -> str:
        modified = self.last_modified.isoformat() if self.last_modified else ""
        key = f"{self.column.pk}:{self.summary['count']}:{self.summary['ids']}:"
        return '"' + hashlib.sha256(f"{key}{modified}".encode()).hexdigest()[:32] + '"'


def as_programme_episode(
    item: FeedItem, episode: ColumnEpisodePage, request: HttpRequest
) -> FeedItem:
    """The feed item as this programme's feed has always given it: its GUID,
    the episode number, the audio's cover as artwork. The audio is the
    guarded enclosure every feed gives (the reviewed version, while live)."""
    artwork = next((e.thumbnail_url for e in item.enclosures if e.thumbnail_url), None)
    return replace(
        item,
        guid=f"kepu-episode-{episode.pk}",
        image_url=artwork,
        episode=episode.number,
    )


def programme_document(request: HttpRequest, state: ProgrammeState) -> FeedDocument:
    column = state.column
    newest_first = state.episodes.order_by("-first_published_at", "-pk")
    episodes = list(newest_first.select_related("audio"))
    items = build_items(episodes, request)
    return FeedDocument(
        title=column.title,
        description=column.description or f"{column.outlet_name} {column.cadence}",
        guid=f"urn:kepu:programme:{column.pk}",
        author=column.outlet_name,
        full_text=False,
        items=[
            as_programme_episode(item, episode, request)
            for item, episode in zip(items, episodes, strict=True)
        ],
        home_url=column.get_full_url(request),
        format_url=public_url(request.path),
        page=1,
        has_older=False,
        cover_url=None,
        # A column that never went through publish() has no time of its own.
        updated=state.last_modified or timezone.now(),
        hour_digits=1,
    )


def podcast_response(request: HttpRequest, state: ProgrammeState) -> HttpResponse:
    body = PODCAST.render(programme_document(request, state))
    return HttpResponse(body, content_type=PODCAST.content_type)


@require_safe
@cache_control(public=True, no_cache=True)
def programme_podcast(request: HttpRequest, slug: str) -> HttpResponse:
    state = ProgrammeState(radio_column(slug))
    return conditional(
        request,
        lambda: podcast_response(request, state),
        etag=state.etag,
        last_modified=state.last_modified,
    )
