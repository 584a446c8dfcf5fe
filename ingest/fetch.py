"""Fetching an upstream feed: a conditional GET (If-None-Match and
If-Modified-Since from the last answer) through cms.outbound, so http and
https to public addresses only, at most MAX_REDIRECTS redirects, one deadline
for the whole download (INGEST_DEADLINE_SECONDS) and a cap on the body's size
(INGEST_MAX_BYTES), read in chunks so that an endless, huge or dripping
answer is cut off rather than held in memory or waited for.

feedparser is never left to fetch by itself: it can cap neither size nor time.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from cms import outbound

MAX_REDIRECTS = 5
USER_AGENT = "kepu-cms-ingest/1.0 (+feed reader of a science popularisation CMS)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.1"
)


class IngestError(Exception):
    """A poll that failed; the message names the problem, in Chinese. A feed
    that is gone for good (410) is to be switched off."""

    def __init__(self, message: str, *, gone: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.gone = gone


@dataclass(frozen=True)
class Response:
    status: int  # 200, or 304 when nothing changed
    body: bytes
    headers: dict[str, str]  # lower-case names
    url: str  # after redirects

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def request_headers(etag: str, last_modified: str) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def fetch(url: str, etag: str = "", last_modified: str = "") -> Response:
    try:
        answer = outbound.request(
            "GET",
            url,
            headers=request_headers(etag, last_modified),
            deadline_seconds=settings.INGEST_DEADLINE_SECONDS,
            max_bytes=settings.INGEST_MAX_BYTES,
            redirects=MAX_REDIRECTS,
        )
    except outbound.OutboundError as error:
        raise IngestError(error.message) from error
    check_status(answer)
    headers = dict(answer.headers)
    headers.setdefault("content-location", answer.url)
    return Response(answer.status, answer.body, headers, answer.url)


def check_status(answer: outbound.Answer) -> None:
    status = answer.status
    if status == 410:
        raise IngestError(
            _("上游返回 HTTP 410（Gone）：订阅源已永久删除，已停用"), gone=True
        )
    if status == 304 or 200 <= status < 300:
        return
    if status in outbound.REDIRECTS and "location" in answer.headers:
        raise IngestError(_("重定向超过 %(n)d 次") % {"n": MAX_REDIRECTS})
    raise IngestError(
        _("上游返回 HTTP %(status)d（%(reason)s）")
        % {"status": status, "reason": answer.reason or _("无说明")}
    )
