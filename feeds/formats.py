"""The feed formats: RSS 2.0 with content:encoded, Atom (RFC 4287) and JSON
Feed 1.1, each with RFC 5005 paging links. Podcast and Media RSS, which
extend the RSS class here, are in media_formats.py.

A corrected item's 更正说明 are in its content in every format (after the
body, or alone where the feed gives no full text), and its time of change
is its latest correction: Atom <updated>, JSON Feed date_modified, and in
RSS an <atom:updated> (RSS 2.0 has no element of its own for it). An item
withdrawn (撤回) is in no format; Atom also carries an RFC 6721 tombstone
for it (at:deleted-entry) while the document lists any."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.utils.feedgenerator import Atom1Feed, Enclosure, Rss201rev2Feed

from feeds.items import FeedItem

CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
HISTORY_NS = "http://purl.org/syndication/history/1.0"
TOMBSTONES_NS = "http://purl.org/atompub/tombstones/1.0"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
JSON_FEED_TYPE = "application/feed+json"
LANGUAGE = "zh-cn"


@dataclass(frozen=True)
class DeletedEntry:
    """An RFC 6721 tombstone: the Atom id of an entry taken back, when and why."""

    ref: str
    when: datetime
    comment: str


@dataclass(frozen=True)
class FeedDocument:
    """One page of one feed in one format, with what every format needs: a
    partner feed (views.py) or a radio programme's podcast (programmes.py)."""

    title: str
    description: str
    guid: str
    author: str  # who publishes the feed
    full_text: bool  # items carry their body
    items: list[FeedItem]
    home_url: str  # the channel's link
    format_url: str  # the subscription document (page 1) of this format
    page: int
    has_older: bool
    cover_url: str | None  # the feed's artwork, if it has its own
    updated: datetime
    hour_digits: int = 2  # in itunes:duration; a programme's feed says 0:05:00
    deleted: tuple[DeletedEntry, ...] = ()  # Atom tombstones, newest first

    def page_url(self, number: int) -> str:
        return self.format_url if number == 1 else f"{self.format_url}?page={number}"

    @property
    def self_url(self) -> str:
        return self.page_url(self.page)

    @property
    def next_url(self) -> str | None:
        return self.page_url(self.page + 1) if self.has_older else None

    @property
    def is_archive(self) -> bool:
        return self.page > 1

    def paging_links(self) -> list[tuple[str, str]]:
        """RFC 5005 links besides rel=self: paged (first/next/previous) and
        archived (current/prev-archive/next-archive), plus a WebSub hub."""
        links = [("first", self.format_url), ("current", self.format_url)]
        if self.has_older:
            links += [("next", self.next_url), ("prev-archive", self.next_url)]
        if self.page > 1:
            links.append(("previous", self.page_url(self.page - 1)))
        if self.page > 2:
            links.append(("next-archive", self.page_url(self.page - 1)))
        if hub := settings.FEEDS_WEBSUB_HUB:
            links.append(("hub", hub))
        return links

    def body_of(self, item: FeedItem) -> str:
        """The item's content: its body where the feed gives full text, then
        its 更正说明."""
        body = item.body_html if self.full_text else ""
        return body + item.corrections_html


def generator_kwargs(document: FeedDocument) -> dict:
    return {
        "title": document.title,
        "link": document.home_url,
        "description": document.description,
        "language": LANGUAGE,
        "feed_url": document.self_url,
        "feed_guid": document.guid,
        "author_name": document.author,
        "document": document,
    }


def item_kwargs(item: FeedItem, enclosures: list | None = None) -> dict:
    return {
        "title": item.title,
        "link": item.link,
        "description": item.summary,
        "author_name": item.author,
        "pubdate": item.published,
        "updateddate": item.updated,
        "unique_id": item.guid,
        "unique_id_is_permalink": False,
        "categories": item.categories,
        "enclosures": [
            Enclosure(e.url, str(e.length), e.mime_type)
            for e in (item.enclosures if enclosures is None else enclosures)
        ],
        "feed_item": item,
    }


class RssFeed(Rss201rev2Feed):
    """RSS 2.0 with the full text in content:encoded and RFC 5005 links."""

    def rss_attributes(self):
        return {
            **super().rss_attributes(),
            "xmlns:content": CONTENT_NS,
            "xmlns:fh": HISTORY_NS,
        }

    def latest_post_date(self):
        return self.feed["document"].updated

    def add_root_elements(self, handler):
        super().add_root_elements(handler)
        document = self.feed["document"]
        for rel, href in document.paging_links():
            handler.addQuickElement("atom:link", None, {"rel": rel, "href": href})
        if document.is_archive:
            handler.addQuickElement("fh:archive", None)

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        feed_item: FeedItem = item["feed_item"]
        if body := self.feed["document"].body_of(feed_item):
            handler.addQuickElement("content:encoded", body)
        if feed_item.corrections:
            handler.addQuickElement("atom:updated", rfc3339(feed_item.updated))


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class AtomFeed(Atom1Feed):
    """Atom with the full text as HTML content and RFC 5005 links."""

    def root_attributes(self):
        attributes = {**super().root_attributes(), "xmlns:fh": HISTORY_NS}
        if self.feed["document"].deleted:
            attributes["xmlns:at"] = TOMBSTONES_NS
        return attributes

    def latest_post_date(self):
        return self.feed["document"].updated

    def add_root_elements(self, handler):
        super().add_root_elements(handler)
        document = self.feed["document"]
        for rel, href in document.paging_links():
            handler.addQuickElement("link", "", {"rel": rel, "href": href})
        if document.is_archive:
            handler.addQuickElement("fh:archive", None)

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if body := self.feed["document"].body_of(item["feed_item"]):
            handler.addQuickElement("content", body, {"type": "html"})

    def write_items(self, handler):
        super().write_items(handler)
        for deleted in self.feed["document"].deleted:
            attributes = {"ref": deleted.ref, "when": rfc3339(deleted.when)}
            handler.startElement("at:deleted-entry", attributes)
            if deleted.comment:
                handler.addQuickElement(
                    "at:comment", deleted.comment, {"xml:lang": LANGUAGE}
                )
            handler.endElement("at:deleted-entry")


def write(generator) -> bytes:
    return generator.writeString("utf-8").encode("utf-8")


def render_rss(document: FeedDocument) -> bytes:
    generator = RssFeed(**generator_kwargs(document))
    for item in document.items:
        generator.add_item(**item_kwargs(item))
    return write(generator)


def render_atom(document: FeedDocument) -> bytes:
    generator = AtomFeed(**generator_kwargs(document))
    for item in document.items:
        generator.add_item(**item_kwargs(item))
    return write(generator)


def json_item(item: FeedItem, full_text: bool = True) -> dict:
    """The item in JSON Feed; content_html/content_text hold the body where
    the feed gives full text, then the 更正说明."""
    entry = {
        "id": item.guid,
        "url": item.link,
        "title": item.title,
        "summary": item.summary,
        "date_published": item.published.isoformat(),
        "date_modified": item.updated.isoformat(),
        "authors": [{"name": item.author}],
        "tags": item.categories,
        "language": LANGUAGE,
        "_kepu": {
            "page_id": item.page_id,
            "content_type": item.content_type,
            "audiences": item.audiences,
            "campaign": item.campaign,
        },
    }
    body_html = item.body_html if full_text else ""
    body_text = item.body_text if full_text else ""
    if body_html or item.corrections:
        entry["content_html"] = body_html + item.corrections_html
        texts = [body_text or item.summary or item.title, item.corrections_text]
        entry["content_text"] = "\n".join(text for text in texts if text)
    else:
        entry["content_text"] = item.summary or item.title
    if item.image_url:
        entry["image"] = item.image_url
    if item.enclosures:
        entry["attachments"] = [attachment(e) for e in item.enclosures]
    return entry


def attachment(enclosure) -> dict:
    data = {
        "url": enclosure.url,
        "mime_type": enclosure.mime_type,
        "size_in_bytes": enclosure.length,
    }
    if enclosure.duration_seconds:
        data["duration_in_seconds"] = round(enclosure.duration_seconds, 3)
    return data


def json_feed(document: FeedDocument) -> dict:
    feed = {
        "version": JSON_FEED_VERSION,
        "title": document.title,
        "home_page_url": document.home_url,
        "feed_url": document.self_url,
        "description": document.description,
        "language": LANGUAGE,
        "authors": [{"name": document.author}],
        "items": [json_item(item, document.full_text) for item in document.items],
    }
    if document.next_url:
        feed["next_url"] = document.next_url
    if hub := settings.FEEDS_WEBSUB_HUB:
        feed["hubs"] = [{"type": "WebSub", "url": hub}]
    return feed


def render_json(document: FeedDocument) -> bytes:
    return json.dumps(json_feed(document), ensure_ascii=False, indent=1).encode()


@dataclass(frozen=True)
class Format:
    name: str  # the file name in the URL
    content_type: str
    render: Callable[[FeedDocument], bytes]
    media_kind: str | None = None  # list only items with this kind of media


RSS = Format("rss.xml", "application/rss+xml; charset=utf-8", render_rss)
ATOM = Format("atom.xml", "application/atom+xml; charset=utf-8", render_atom)
JSON_FEED = Format("feed.json", JSON_FEED_TYPE, render_json)
