"""The two media formats: a podcast feed (RSS with Apple Podcasts tags) of
the items with audio, and Media RSS of the items with video. The podcast
renders both a partner feed's podcast.xml and a radio programme's own feed
(programmes.py)."""

from feeds.formats import (
    RSS,
    FeedDocument,
    Format,
    RssFeed,
    generator_kwargs,
    item_kwargs,
    write,
)
from feeds.items import Enclosure, FeedItem

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
MEDIA_NS = "http://search.yahoo.com/mrss/"
PODCAST_CATEGORY = "Science"


def enclosures_of(item: FeedItem, kind: str) -> list[Enclosure]:
    return [e for e in item.enclosures if e.kind == kind]


def clock(seconds: float, hour_digits: int) -> str:
    minutes, second = divmod(round(seconds), 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours:0{hour_digits}d}:{minute:02d}:{second:02d}"


class PodcastFeed(RssFeed):
    """RSS 2.0 plus the channel and item tags Apple Podcasts requires."""

    def rss_attributes(self):
        return {**super().rss_attributes(), "xmlns:itunes": ITUNES_NS}

    def add_root_elements(self, handler):
        super().add_root_elements(handler)
        document: FeedDocument = self.feed["document"]
        if document.cover_url:
            handler.addQuickElement("itunes:image", None, {"href": document.cover_url})
        handler.addQuickElement("itunes:author", document.author)
        handler.addQuickElement("itunes:summary", document.description)
        handler.addQuickElement("itunes:category", None, {"text": PODCAST_CATEGORY})
        handler.addQuickElement("itunes:explicit", "false")
        handler.addQuickElement("itunes:type", "episodic")
        if document.cover_url:
            handler.startElement("image", {})
            handler.addQuickElement("url", document.cover_url)
            handler.addQuickElement("title", document.title)
            handler.addQuickElement("link", document.home_url)
            handler.endElement("image")

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        feed_item: FeedItem = item["feed_item"]
        [audio] = enclosures_of(feed_item, "audio")[:1]
        if feed_item.episode is not None:
            handler.addQuickElement("itunes:episode", str(feed_item.episode))
        if audio.duration_seconds:
            digits = self.feed["document"].hour_digits
            handler.addQuickElement(
                "itunes:duration", clock(audio.duration_seconds, digits)
            )
        handler.addQuickElement("itunes:summary", feed_item.summary)
        handler.addQuickElement("itunes:author", feed_item.author)
        handler.addQuickElement("itunes:explicit", "false")
        handler.addQuickElement("itunes:episodeType", "full")
        if feed_item.image_url:
            handler.addQuickElement("itunes:image", None, {"href": feed_item.image_url})


class MediaRssFeed(RssFeed):
    """RSS 2.0 with Media RSS: media:content with the file's real type,
    duration, frame size and length, and its thumbnail."""

    def rss_attributes(self):
        return {**super().rss_attributes(), "xmlns:media": MEDIA_NS}

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        feed_item: FeedItem = item["feed_item"]
        for video in enclosures_of(feed_item, "video"):
            handler.startElement("media:content", media_attributes(video))
            handler.addQuickElement("media:title", feed_item.title, {"type": "plain"})
            handler.addQuickElement(
                "media:description", feed_item.summary, {"type": "plain"}
            )
            if video.thumbnail_url:
                handler.addQuickElement(
                    "media:thumbnail", None, {"url": video.thumbnail_url}
                )
            handler.endElement("media:content")
        for category in feed_item.categories:
            handler.addQuickElement("media:category", category)


def media_attributes(video: Enclosure) -> dict[str, str]:
    attributes = {
        "url": video.url,
        "type": video.mime_type,
        "medium": "video",
        "expression": "full",
        "fileSize": str(video.length),
    }
    if video.duration_seconds:
        attributes["duration"] = str(max(round(video.duration_seconds), 1))
    if video.width and video.height:
        attributes["width"] = str(video.width)
        attributes["height"] = str(video.height)
    return attributes


def render_with(generator_class: type[RssFeed], kind: str):
    def render(document: FeedDocument) -> bytes:
        generator = generator_class(**generator_kwargs(document))
        for item in document.items:
            enclosures = enclosures_of(item, kind)
            if enclosures:
                generator.add_item(**item_kwargs(item, enclosures[:1]))
        return write(generator)

    return render


PODCAST = Format(
    "podcast.xml", RSS.content_type, render_with(PodcastFeed, "audio"), "audio"
)
MRSS = Format("mrss.xml", RSS.content_type, render_with(MediaRssFeed, "video"), "video")
