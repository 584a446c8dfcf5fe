"""Reading a fetched upstream feed into entries: RSS and Atom through
feedparser (given the bytes and the HTTP headers, so that the charset from
Content-Type or the XML declaration is honoured), JSON Feed 1.x by hand
(feedparser 6.0 does not read JSON).

A document that yields no entries and is not a feed is an error; one that
yields entries despite a problem (bozo) is read, with a warning."""

import hashlib
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from time import struct_time
from urllib.parse import urljoin, urlsplit

import feedparser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.dateparse import parse_datetime
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _

from cms.json_input import BadInput, parse_json
from ingest.fetch import IngestError, Response
from ingest.models import KEY_LENGTH

JSON_TYPES = ("application/feed+json", "application/json")
HTML_TYPES = ("text/html", "application/xhtml+xml")
HTML_START = re.compile(
    rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>])", re.I | re.S
)
JSON_FEED_VERSION = "https://jsonfeed.org/version/1"
MESSAGE_LENGTH = 300


@dataclass(frozen=True)
class UpstreamEntry:
    guid: str
    link: str  # http(s), or "" when the entry has none we may use
    title: str  # may hold markup, whatever its declared type: tags are dropped
    summary_html: str
    content_html: str
    author: str
    published_at: datetime | None


@dataclass(frozen=True)
class ParsedFeed:
    entries: list[UpstreamEntry]
    warning: str = ""


def media_type(response: Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def parse(response: Response) -> ParsedFeed:
    kind = media_type(response)
    if kind in JSON_TYPES or (
        "xml" not in kind and response.body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"
    ):
        return parse_json_feed(response.body, response.url)
    return parse_xml_feed(response)


# RSS and Atom -------------------------------------------------------------------


def parse_xml_feed(response: Response) -> ParsedFeed:
    # BytesIO: given a str or bytes, feedparser may take it for a URL or a path.
    # Its own clean-up is off: it keeps the text of the elements it removes
    # and turns a javascript: link into the feed's address; ingest.
    # sanitise does both properly (dropping, and resolving against the entry).
    result = feedparser.parse(
        io.BytesIO(response.body),
        response_headers=response.headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    entries = [entry_from_feedparser(entry) for entry in result.entries]
    if not entries:
        if media_type(response) in HTML_TYPES or HTML_START.match(response.body):
            raise IngestError(_("返回的是网页而不是订阅源"))
        if result.bozo:
            raise IngestError(
                _("无法解析订阅源：%(problem)s")
                % {"problem": short(result.bozo_exception)}
            )
        if not result.version:
            raise IngestError(_("不是可识别的订阅源（RSS、Atom 或 JSON Feed）"))
    warning = ""
    if result.bozo:
        warning = _("订阅源有格式问题，已尽量读取：%(problem)s") % {
            "problem": short(result.bozo_exception)
        }
    return ParsedFeed(entries, warning)


def short(problem: object) -> str:
    text = str(problem) or type(problem).__name__
    return text[:MESSAGE_LENGTH]


def entry_from_feedparser(entry) -> UpstreamEntry:
    link = safe_link(entry.get("link", ""))
    summary = detail_html(entry.get("summary", ""), entry.get("summary_detail"))
    contents = [
        detail_html(part.get("value", ""), part) for part in entry.get("content", [])
    ]
    content = next((html for html in contents if html.strip()), "")
    return UpstreamEntry(
        guid=guid_of(entry.get("id", ""), link, entry.get("title", ""), summary),
        link=link,
        title=entry.get("title", ""),
        summary_html=summary,
        content_html=content,
        author=entry.get("author", ""),
        published_at=utc_datetime(
            entry.get("published_parsed") or entry.get("updated_parsed")
        ),
    )


def detail_html(value: str, detail) -> str:
    """A feedparser summary or content, as HTML."""
    if detail and detail.get("type") == "text/plain":
        return text_to_html(value)
    return value


def utc_datetime(moment: struct_time | None) -> datetime | None:
    if moment is None:
        return None
    return datetime(*moment[:6], tzinfo=UTC)


# JSON Feed 1.0 and 1.1 ------------------------------------------------------------


def parse_json_feed(body: bytes, base_url: str) -> ParsedFeed:
    try:
        document = parse_json(body)
    except BadInput as error:
        raise IngestError(
            _("JSON Feed 无法解析：%(problem)s") % {"problem": short(error)}
        ) from error
    version = document.get("version") if isinstance(document, dict) else None
    if not isinstance(version, str) or not version.startswith(JSON_FEED_VERSION):
        raise IngestError(_("不是 JSON Feed 1.x：缺少或不认识 version 字段"))
    items = document.get("items")
    if not isinstance(items, list):
        raise IngestError(_("JSON Feed 缺少 items 列表"))
    base = string_field(document, "home_page_url") or base_url
    entries = [entry for item in items if (entry := json_feed_entry(item, base))]
    skipped = len(items) - len(entries)
    warning = ""
    if skipped:
        warning = _("%(n)d 个条目不符合 JSON Feed 规范（缺少 id 或内容），已跳过") % {
            "n": skipped
        }
    return ParsedFeed(entries, warning)


def json_feed_entry(item: object, base: str) -> UpstreamEntry | None:
    """An entry from a JSON Feed item, or None when the item breaks the spec:
    an object with an id, and content_html or content_text."""
    if not isinstance(item, dict):
        return None
    item_id = item.get("id")
    if isinstance(item_id, (int, float)) and not isinstance(item_id, bool):
        item_id = str(item_id)  # the spec asks readers to coerce numbers
    if not isinstance(item_id, str) or not item_id.strip():
        return None
    content = string_field(item, "content_html")
    if not content and (text := string_field(item, "content_text")):
        content = text_to_html(text)
    if not content:
        return None
    link = safe_link(urljoin(base, string_field(item, "url")))
    title = string_field(item, "title")
    summary = text_to_html(string_field(item, "summary"))
    published = string_field(item, "date_published") or string_field(
        item, "date_modified"
    )
    return UpstreamEntry(
        guid=guid_of(item_id, link, title, summary),
        link=link,
        title=title,
        summary_html=summary,
        content_html=content,
        author=json_feed_author(item),
        published_at=rfc3339(published),
    )


def string_field(data: dict, name: str) -> str:
    value = data.get(name)
    return value if isinstance(value, str) else ""


def json_feed_author(item: dict) -> str:
    authors = item.get("authors")  # 1.1
    if not isinstance(authors, list):
        authors = [item.get("author")]  # 1.0
    names = [string_field(a, "name") for a in authors if isinstance(a, dict)]
    return "、".join(name for name in names if name)


def rfc3339(text: str) -> datetime | None:
    try:
        moment = parse_datetime(text) if text else None
    except ValueError:
        return None
    if moment is None or moment.tzinfo is None:
        return None
    return moment.astimezone(UTC)


# Shared ---------------------------------------------------------------------------


def text_to_html(text: str) -> str:
    return linebreaks(escape(text.strip())) if text.strip() else ""


def safe_link(url: str) -> str:
    """The URL when it is an absolute http(s) URL short enough to store."""
    url = url.strip()
    if len(url) > KEY_LENGTH or urlsplit(url).scheme.lower() not in ("http", "https"):
        return ""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return ""
    return url


def guid_of(raw_id: str, link: str, title: str, summary: str) -> str:
    """The entry's id, its link when it has none, a digest of its text when it
    has neither; a digest too when the id is too long to store."""
    guid = raw_id.strip() or link
    if not guid:
        guid = "sha256:" + hashlib.sha256(f"{title}\n{summary}".encode()).hexdigest()
    if len(guid) > KEY_LENGTH:
        guid = "sha256:" + hashlib.sha256(guid.encode()).hexdigest()
    return guid
