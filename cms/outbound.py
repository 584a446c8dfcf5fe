"""Outbound HTTP: the one way the CMS fetches or posts to an address an editor
typed (an upstream feed, a partner's webhook).

A request goes to http or https only. The host is resolved once, here, and
every address it resolves to must be public (not loopback, private,
link-local, multicast, reserved or unspecified; IPv4-mapped and 6to4 IPv6
addresses are judged by the IPv4 address inside) or fall within
settings.OUTBOUND_ALLOWED_NETWORKS; the connection then goes to that checked
address, never to a second lookup, while the Host header, TLS SNI and the
certificate check still use the host name. Redirects are followed here, at
most `redirects` of them, each hop checked again; an answer that would need
one more is returned as it is (a caller that follows none sees every 3xx).

One deadline covers the whole exchange, every hop, from connecting to the
last byte: a watchdog thread shuts the socket down when it passes, however
slowly the server drips. The body is read in chunks and refused past
`max_bytes`. Resolving the name counts against the deadline but cannot be
interrupted (getaddrinfo): the system resolver's own timeout ends it.

Failures raise OutboundError with a Chinese message for the editor that names
no address, port or system error: a refused address, a closed port and a
silent one read the same. The details go to the `cms.outbound` logger.
"""

import ipaddress
import logging
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from functools import cache
from http.client import HTTPException
from urllib.parse import quote, urljoin, urlsplit

import certifi
import urllib3
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from urllib3.connection import HTTPConnection, HTTPSConnection

log = logging.getLogger(__name__)

SCHEMES = {"http": 80, "https": 443}
REDIRECTS = {301, 302, 303, 307, 308}
MAX_REDIRECTS = 5
CHUNK_BYTES = 64 * 1024
PATH_SAFE = "/%:@!$&'()*+,;=~"

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundError(Exception):
    """A request that did not complete; the message says why, in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    url: str  # after redirects


def size_label(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    return f"{size / 1024:g} KB"


def unreachable() -> OutboundError:
    return OutboundError(_("无法连接：地址无法解析、连接失败，或不允许访问"))


def bad_scheme() -> OutboundError:
    return OutboundError(_("只支持 http 和 https 地址"))


# Addresses ---------------------------------------------------------------------------


@cache
def parse_networks(cidrs: tuple[str, ...]) -> tuple[ipaddress._BaseNetwork, ...]:
    try:
        return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)
    except ValueError as error:
        raise ImproperlyConfigured(f"OUTBOUND_ALLOWED_NETWORKS: {error}") from error


def allowed_networks() -> tuple[ipaddress._BaseNetwork, ...]:
    return parse_networks(tuple(settings.OUTBOUND_ALLOWED_NETWORKS))


def is_allowed(address: Address) -> bool:
    """Public, or inside the allow-list; an IPv4 address carried inside an
    IPv6 one (mapped, 6to4) is judged as itself."""
    if isinstance(address, ipaddress.IPv6Address):
        address = address.ipv4_mapped or address.sixtofour or address
    if any(address in network for network in allowed_networks()):
        return True
    special = address.is_multicast or address.is_reserved
    site_local = isinstance(address, ipaddress.IPv6Address) and address.is_site_local
    return address.is_global and not (special or site_local)


def checked_addresses(host: str, port: int) -> list[str]:
    """Every address the host resolves to, if all of them may be reached."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        log.warning("outbound: cannot resolve %s: %s", host, error)
        raise unreachable() from error
    addresses = list(dict.fromkeys(info[4][0] for info in found))
    refused = [a for a in addresses if not is_allowed(ipaddress.ip_address(a))]
    if refused:
        log.warning("outbound: %s resolves to refused %s", host, ", ".join(refused))
        raise unreachable()
    return addresses


# Connections -------------------------------------------------------------------------


class Watchdog:
    """Shuts the current connection's socket down once the deadline has
    passed, whatever it is waiting for (TLS handshake, headers, body)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.expired = False
        self.watched: socket.socket | None = None
        self.timer = threading.Timer(seconds, self.expire)
        self.timer.daemon = True

    def __enter__(self) -> "Watchdog":
        self.timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.timer.cancel()
        self.release()

    def remaining(self) -> float:
        return max(0.01, self.deadline - time.monotonic())

    def watch(self, sock: socket.socket) -> None:
        # A duplicate descriptor: the TLS layer detaches the original, and a
        # shutdown through either ends the connection.
        self.watched = sock.dup()
        if self.expired:
            self.expire()

    def release(self) -> None:
        watched, self.watched = self.watched, None
        if watched is not None:
            watched.close()

    def expire(self) -> None:
        self.expired = True
        watched = self.watched
        if watched is not None:
            try:
                watched.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # closed meanwhile


class PinnedConnection:
    """Connects to the addresses already checked, never to a new lookup."""

    addresses: list[str]
    watchdog: Watchdog

    def _new_conn(self) -> socket.socket:
        for address in self.addresses:
            try:
                sock = socket.create_connection(
                    (address, self.port), timeout=self.watchdog.remaining()
                )
            except OSError as error:
                log.warning(
                    "outbound: %s [%s]:%s: %s", self.host, address, self.port, error
                )
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.watchdog.watch(sock)
            return sock
        raise unreachable()


class PinnedHTTPConnection(PinnedConnection, HTTPConnection):
    pass


class PinnedHTTPSConnection(PinnedConnection, HTTPSConnection):
    pass


def connection(url: str, watchdog: Watchdog) -> tuple[HTTPConnection, str]:
    """An unopened connection to the url's checked address, and the path."""
    try:
        parts = urlsplit(url)
        port = parts.port or SCHEMES.get(parts.scheme.lower(), 0)
    except ValueError as error:
        raise OutboundError(_("地址无效")) from error
    if parts.scheme.lower() not in SCHEMES:
        raise bad_scheme()
    if not parts.hostname:
        raise OutboundError(_("地址无效"))
    addresses = checked_addresses(parts.hostname, port)
    if parts.scheme.lower() == "https":
        conn = PinnedHTTPSConnection(
            parts.hostname, port, timeout=watchdog.remaining(), ca_certs=certifi.where()
        )
    else:
        conn = PinnedHTTPConnection(parts.hostname, port, timeout=watchdog.remaining())
    conn.addresses, conn.watchdog = addresses, watchdog
    # Percent-encoded as browsers do: a Chinese feed path is common.
    path = quote(parts.path or "/", safe=PATH_SAFE)
    query = quote(parts.query, safe=PATH_SAFE + "?")
    return conn, f"{path}?{query}" if query else path


# Requests ----------------------------------------------------------------------------


def request(
    method: str,
    url: str,
    *,
    deadline_seconds: float,
    max_bytes: int,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    redirects: int = MAX_REDIRECTS,
) -> Answer:
    """The answer to method url, after at most `redirects` redirects, within
    deadline_seconds in all; OutboundError otherwise."""
    headers = headers or {}
    with Watchdog(deadline_seconds) as watchdog:
        for _hop in range(redirects):
            answer = exchange(method, url, headers, body, watchdog, max_bytes)
            location = answer.headers.get("location")
            if answer.status not in REDIRECTS or not location:
                return answer
            url = urljoin(url, location)
            if answer.status == 303 or (answer.status in (301, 302) and body):
                method, body = "GET", None
        return exchange(method, url, headers, body, watchdog, max_bytes)


def exchange(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes | None,
    watchdog: Watchdog,
    max_bytes: int,
) -> Answer:
    conn, path = connection(url, watchdog)
    try:
        conn.connect()
        conn.request(method, path, body=body, headers=headers, preload_content=False)
        response = conn.getresponse()
        data = read_capped(response, max_bytes)
        if watchdog.expired:  # the shutdown may read as the body's end
            raise TimeoutError("deadline")
    except (OSError, HTTPException, urllib3.exceptions.HTTPError) as error:
        log.warning("outbound: %s %s failed: %r", method, conn.host, error)
        raise failure(error, watchdog) from error
    finally:
        conn.close()
        watchdog.release()
    names = {name.lower(): response.headers[name] for name in response.headers}
    return Answer(response.status, response.reason or "", names, data, url)


def failure(error: Exception, watchdog: Watchdog) -> OutboundError:
    """The editor's words for an exchange that broke once connected."""
    timeouts = (TimeoutError, urllib3.exceptions.TimeoutError)
    if watchdog.expired or isinstance(error, timeouts):
        message = _("请求超时：%(seconds)s 秒内未能完成")
        return OutboundError(message % {"seconds": f"{watchdog.seconds:g}"})
    if isinstance(error, ssl.SSLError | urllib3.exceptions.SSLError):
        return OutboundError(_("HTTPS 证书校验失败"))
    return OutboundError(_("服务器的应答无法读取"))


def read_capped(response: urllib3.BaseHTTPResponse, max_bytes: int) -> bytes:
    too_big = OutboundError(
        _("响应超过 %(size)s 上限") % {"size": size_label(max_bytes)}
    )
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_big
    body = bytearray()
    for chunk in response.stream(CHUNK_BYTES):
        body += chunk
        if len(body) > max_bytes:
            raise too_big
    return bytes(body)
