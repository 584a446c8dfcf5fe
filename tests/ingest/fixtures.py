"""Fixtures for the ingest tests: a real HTTP server on 127.0.0.1 whose
answers each test sets (status, headers, body, a delay, ETag/Last-Modified
with real 304s, a streamed body of any size, a body dripped byte by byte),
builders of RSS, Atom and JSON Feed documents, and upstream feeds pointing at
the server. Outbound requests reach loopback only when allow-listed: `upstream`
allow-lists the server's address, `unlisted_upstream` leaves it as in
production."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

import pytest

RSS_TYPE = "application/rss+xml; charset=utf-8"
CHUNK = b"<!-- padding -->" * 4096  # 64 KB


@dataclass
class Answer:
    body: bytes = b""
    status: int = 200
    content_type: str = RSS_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    etag: str = ""
    last_modified: str = ""
    delay: float = 0  # seconds before answering
    stream_bytes: int = 0  # send this many bytes, without Content-Length
    stall: float = 0  # seconds to hang after the headers and a first chunk
    drip: float = 0  # seconds between the body's bytes, sent one at a time


@dataclass
class Upstream:
    port: int
    host: str = "127.0.0.1"
    answers: dict[str, Answer] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def answer(self, path: str, body: str | bytes = b"", **fields) -> str:
        """Serve this answer at path from now on; its URL."""
        data = body.encode() if isinstance(body, str) else body
        self.answers[path] = Answer(body=data, **fields)
        return self.url(path)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def headers_sent_to(self, path: str) -> list[dict[str, str]]:
        return [headers for seen, headers in self.requests if seen == path]


class Handler(BaseHTTPRequestHandler):
    server_version = "UpstreamTest/1.0"

    def do_GET(self) -> None:
        upstream: Upstream = self.server.upstream
        upstream.requests.append((self.path, dict(self.headers.items())))
        answer = upstream.answers.get(self.path)
        if answer is None:
            self.send_error(404)
            return
        if answer.delay and upstream.stop.wait(answer.delay):
            return  # the test is over
        if self.not_modified(answer):
            self.send_response(304)
            self.send_validators(answer)
            self.end_headers()
            return
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_validators(answer)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        if answer.stream_bytes:
            self.end_headers()
            self.stream(answer.stream_bytes)
            return
        if answer.drip:
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.drip(answer.body, answer.drip)
            return
        if answer.stall:
            self.end_headers()
            self.wfile.write(answer.body[:100])
            self.wfile.flush()
            upstream.stop.wait(answer.stall)
            return
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def not_modified(self, answer: Answer) -> bool:
        if answer.etag and self.headers.get("If-None-Match") == answer.etag:
            return True
        since = self.headers.get("If-Modified-Since")
        return bool(answer.last_modified) and since == answer.last_modified

    def send_validators(self, answer: Answer) -> None:
        if answer.etag:
            self.send_header("ETag", answer.etag)
        if answer.last_modified:
            self.send_header("Last-Modified", answer.last_modified)

    def stream(self, size: int) -> None:
        sent = 0
        try:
            while sent < size:
                self.wfile.write(CHUNK)
                sent += len(CHUNK)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the reader gave up, as it should past its cap

    def drip(self, body: bytes, interval: float) -> None:
        stop: threading.Event = self.server.upstream.stop
        try:
            for index in range(len(body)):
                self.wfile.write(body[index : index + 1])
                self.wfile.flush()
                if stop.wait(interval):
                    return
        except (BrokenPipeError, ConnectionResetError):
            pass  # the reader gave up at its deadline

    def log_message(self, format, *args) -> None:
        """Quiet: the tests read what the server saw from Upstream.requests."""


@contextmanager
def running_upstream(host: str = "127.0.0.1") -> Iterator[Upstream]:
    """A server listening on host (any of 127.0.0.0/8 works on Linux)."""
    server = ThreadingHTTPServer((host, 0), Handler)
    server.daemon_threads = True
    server.upstream = Upstream(port=server.server_address[1], host=host)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server.upstream
    finally:
        server.upstream.stop.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def unlisted_upstream():
    """The server, its address not allow-listed: nothing should reach it."""
    with running_upstream() as upstream:
        yield upstream


@pytest.fixture
def upstream(unlisted_upstream, settings):
    """The server, its address allow-listed as an intranet source would be."""
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    return unlisted_upstream


# Feed documents ----------------------------------------------------------------------


def rss(items: list[dict], encoding: str = "utf-8", title: str = "科普中国") -> bytes:
    """An RSS 2.0 document; each item may have title, link, guid, description,
    content (content:encoded), published (a datetime) and author."""
    entries = "".join(rss_item(item) for item in items)
    text = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        '<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel><title>{escape(title)}</title>"
        "<link>https://upstream.example/</link>"
        f"<description>{escape(title)}</description>{entries}</channel></rss>"
    )
    return text.encode(encoding)


def rss_item(item: dict) -> str:
    parts = []
    for name in ("title", "link", "description"):
        if name in item:
            parts.append(f"<{name}>{escape(item[name])}</{name}>")
    if "guid" in item:
        parts.append(f'<guid isPermaLink="false">{escape(item["guid"])}</guid>')
    if "content" in item:
        parts.append(
            f"<content:encoded><![CDATA[{item['content']}]]></content:encoded>"
        )
    if "published" in item:
        parts.append(f"<pubDate>{format_datetime(item['published'])}</pubDate>")
    if "author" in item:
        parts.append(f"<dc:creator>{escape(item['author'])}</dc:creator>")
    return f"<item>{''.join(parts)}</item>"


def atom(entries: list[dict]) -> bytes:
    """An Atom document; each entry has id, title, link, published (a
    datetime), and content (HTML) and/or summary (text)."""
    body = "".join(
        "<entry>"
        f"<id>{escape(e['id'])}</id><title>{escape(e['title'])}</title>"
        f'<link rel="alternate" href="{escape(e["link"])}"/>'
        f"<published>{e['published'].isoformat()}</published>"
        f"<updated>{e['published'].isoformat()}</updated>"
        f"<author><name>{escape(e.get('author', '佚名'))}</name></author>"
        + (f"<summary>{escape(e['summary'])}</summary>" if "summary" in e else "")
        + (
            f'<content type="html">{escape(e["content"])}</content>'
            if "content" in e
            else ""
        )
        + "</entry>"
        for e in entries
    )
    text = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom">'
        "<id>tag:upstream.example,2026:feed</id><title>上游 Atom</title>"
        "<updated>2026-05-01T00:00:00Z</updated>"
        f"{body}</feed>"
    )
    return text.encode()


def json_feed(items: list[dict], version: str = "1.1") -> bytes:
    document = {
        "version": f"https://jsonfeed.org/version/{version}",
        "title": "上游 JSON Feed",
        "home_page_url": "https://upstream.example/",
        "items": items,
    }
    return json.dumps(document, ensure_ascii=False).encode()


@pytest.fixture
def make_upstream_feed(articles_index, topic):
    """An active upstream feed filing 科普文章 drafts in articles_index."""
    from ingest.models import UpstreamFeed

    def make(url: str, **fields) -> UpstreamFeed:
        fields.setdefault("title", "科普中国·健康")
        fields.setdefault("credit", "科普中国")
        fields.setdefault("target", articles_index)
        topics = fields.pop("topics", [topic])
        feed = UpstreamFeed(url=url, **fields)
        feed.full_clean()
        feed.save()
        feed.topics.set(topics)
        return feed

    return make
