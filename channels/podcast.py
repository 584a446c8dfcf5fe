"""The podcast feed of a radio programme: RSS 2.0 with Apple's iTunes tags, one
item per visible episode that has audio, at /channels/podcast/<column-slug>.xml.

GUIDs are built from the page id, so they survive edits and moves. Responses
carry an ETag and Last-Modified and answer conditional requests with 304; the
ETag changes whenever an episode is published, edited, moved, unpublished or
expires (the count and the ids change), Last-Modified with each of these that
leaves a time behind (a publish, or an entry in the page log)."""

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from django.db.models import Count, Max, Sum
from django.http import Http404, HttpResponse
from django.utils.feedgenerator import Enclosure, Rss201rev2Feed
from django.views.decorators.cache import cache_control
from django.views.decorators.http import condition, require_safe
from wagtail.models import PageLogEntry

from cms.pages import ColumnEpisodePage, ColumnPage, visible_pages
from feeds.enclosures import mime_type_of

logger = logging.getLogger(__name__)

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
CATEGORY = "Science"
LANGUAGE = "zh-cn"


class PodcastFeed(Rss201rev2Feed):
    """RSS 2.0 plus the iTunes namespace's channel and item elements."""

    def rss_attributes(self):
        return {**super().rss_attributes(), "xmlns:itunes": ITUNES_NS}

    def add_root_elements(self, handler):
        super().add_root_elements(handler)
        handler.addQuickElement("itunes:author", self.feed["itunes_author"])
        handler.addQuickElement("itunes:summary", self.feed["description"])
        handler.addQuickElement("itunes:category", attrs={"text": CATEGORY})
        handler.addQuickElement("itunes:explicit", "false")
        handler.addQuickElement("itunes:type", "episodic")

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("itunes:episode", str(item["episode"]))
        if item["duration"]:
            handler.addQuickElement("itunes:duration", item["duration"])
        if item["image"]:
            handler.addQuickElement("itunes:image", attrs={"href": item["image"]})
        handler.addQuickElement("itunes:explicit", "false")


def episode_guid(episode: ColumnEpisodePage) -> str:
    return f"kepu-episode-{episode.pk}"


def duration_text(seconds: float) -> str:
    """H:MM:SS, or "" when unknown (wagtailmedia stores 0)."""
    if not seconds:
        return ""
    minutes, second = divmod(round(seconds), 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours}:{minute:02d}:{second:02d}"


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
class FeedState:
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
        return hashlib.sha256(f"{key}{modified}".encode()).hexdigest()[:32]


def feed_state(request, slug: str) -> FeedState:
    """The state for this request: condition() asks for the ETag and the
    Last-Modified separately, then the view builds the feed from the same."""
    if getattr(request, "podcast_state", None) is None:
        request.podcast_state = FeedState(radio_column(slug))
    return request.podcast_state


def build_feed(request, state: FeedState) -> PodcastFeed:
    column = state.column
    description = column.description or f"{column.outlet_name} {column.cadence}"
    feed = PodcastFeed(
        title=column.title,
        link=column.full_url,
        description=description,
        language=LANGUAGE,
        feed_url=request.build_absolute_uri(),
        itunes_author=column.outlet_name,
    )
    episodes = state.episodes.select_related("audio").order_by(
        "-first_published_at", "-pk"
    )
    for episode in episodes:
        audio = episode.audio
        try:
            size = audio.file.size
        except OSError:
            logger.warning("podcast: audio file of %r is missing", episode.pk)
            continue
        feed.add_item(
            title=episode.title,
            link=episode.full_url,
            description=episode.standfirst,
            unique_id=episode_guid(episode),
            unique_id_is_permalink=False,
            pubdate=episode.first_published_at,
            updateddate=episode.last_published_at,
            enclosures=[
                Enclosure(
                    request.build_absolute_uri(audio.file.url),
                    str(size),
                    mime_type_of(audio.file.name, "audio"),
                )
            ],
            episode=episode.number,
            duration=duration_text(audio.duration),
            image=(
                request.build_absolute_uri(audio.thumbnail.url)
                if audio.thumbnail
                else ""
            ),
        )
    return feed


@require_safe
@cache_control(public=True, no_cache=True)
@condition(
    etag_func=lambda request, slug: feed_state(request, slug).etag,
    last_modified_func=lambda request, slug: feed_state(request, slug).last_modified,
)
def podcast_feed(request, slug: str) -> HttpResponse:
    feed = build_feed(request, feed_state(request, slug))
    response = HttpResponse(content_type=feed.content_type)
    feed.write(response, "utf-8")
    return response
