"""Fetching an upstream feed: a conditional GET (If-None-Match and
If-Modified-Since from the last answer), http and https only, at most
MAX_REDIRECTS redirects, a timeout on connecting and on each read and a
deadline for the whole download, and a cap on the body's size, read in chunks
so that an endless or huge answer is cut off rather than held in memory.

feedparser is never left to fetch by itself: it can cap neither size nor time.
"""

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from urllib3.exceptions import ReadTimeoutError

# A server trickling a byte now and then never trips the read timeout; the
# whole download must end within this many read timeouts.
DOWNLOAD_TIMEOUTS = 4
MAX_REDIRECTS = 5
CHUNK_BYTES = 64 * 1024
SCHEMES = ("http", "https")
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


def timeout_seconds() -> float:
    return settings.INGEST_TIMEOUT_SECONDS


def max_bytes() -> int:
    return settings.INGEST_MAX_BYTES


def size_label(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    return f"{size / 1024:g} KB"


def request_headers(etag: str, last_modified: str) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def fetch(url: str, etag: str = "", last_modified: str = "") -> Response:
    if urlsplit(url).scheme.lower() not in SCHEMES:
        raise IngestError(_("只支持 http 和 https 地址：%(url)s") % {"url": url})
    timeout = timeout_seconds()
    with requests.Session() as session:
        session.max_redirects = MAX_REDIRECTS
        try:
            with session.get(
                url,
                headers=request_headers(etag, last_modified),
                timeout=(timeout, timeout),
                stream=True,
            ) as response:
                check_status(response)
                body = b"" if response.status_code == 304 else read_capped(response)
        except requests.RequestException as error:
            raise IngestError(describe(error, url, timeout)) from error
    headers = {name.lower(): value for name, value in response.headers.items()}
    headers.setdefault("content-location", response.url)
    return Response(response.status_code, body, headers, response.url)


def check_status(response: requests.Response) -> None:
    status = response.status_code
    if status == 410:
        raise IngestError(
            _("上游返回 HTTP 410（Gone）：订阅源已永久删除，已停用"), gone=True
        )
    if status == 304 or 200 <= status < 300:
        return
    raise IngestError(
        _("上游返回 HTTP %(status)d（%(reason)s）")
        % {"status": status, "reason": response.reason or _("无说明")}
    )


def read_capped(response: requests.Response) -> bytes:
    """The body, or IngestError once it passes max_bytes() or the deadline."""
    cap = max_bytes()
    too_big = _("响应超过 %(size)s 上限") % {"size": size_label(cap)}
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > cap:
        raise IngestError(too_big)
    deadline = time.monotonic() + timeout_seconds() * DOWNLOAD_TIMEOUTS
    body = bytearray()
    for chunk in response.iter_content(CHUNK_BYTES):
        body += chunk
        if len(body) > cap:
            raise IngestError(too_big)
        if time.monotonic() > deadline:
            raise IngestError(
                _("下载超时：%(seconds)s 秒内未能读完响应")
                % {"seconds": f"{timeout_seconds() * DOWNLOAD_TIMEOUTS:g}"}
            )
    return bytes(body)


def describe(error: requests.RequestException, url: str, timeout: float) -> str:
    """A Chinese message naming what went wrong with the request."""
    host = urlsplit(url).hostname or url
    if isinstance(error, requests.ConnectTimeout):
        return _("连接 %(host)s 超时（%(seconds)s 秒）") % {
            "host": host,
            "seconds": f"{timeout:g}",
        }
    if isinstance(error, requests.ReadTimeout) or caused_by(error, ReadTimeoutError):
        return _("%(host)s 超时：%(seconds)s 秒内没有响应") % {
            "host": host,
            "seconds": f"{timeout:g}",
        }
    if isinstance(error, requests.TooManyRedirects):
        return _("重定向超过 %(n)d 次") % {"n": MAX_REDIRECTS}
    if isinstance(error, requests.exceptions.InvalidSchema):
        return _("重定向到了不支持的地址（只支持 http 和 https）")
    if isinstance(error, (requests.exceptions.InvalidURL, requests.URLRequired)):
        return _("地址无效：%(url)s") % {"url": url}
    if isinstance(error, requests.exceptions.SSLError):
        return _("%(host)s 的 HTTPS 证书校验失败") % {"host": host}
    reason = os_reason(error)
    if reason:
        return _("无法连接 %(host)s：%(reason)s") % {"host": host, "reason": reason}
    return _("请求 %(host)s 失败：%(error)s") % {
        "host": host,
        "error": type(error).__name__,
    }


def causes(error: BaseException):
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    if any(isinstance(arg, kind) for arg in error.args):
        return True
    return any(isinstance(cause, kind) for cause in causes(error))


def os_reason(error: BaseException) -> str:
    """The operating system's words (e.g. Connection refused), if any."""
    for cause in causes(error):
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror
    return ""
