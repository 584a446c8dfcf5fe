"""Who a read or a download is from, without storing who: a hash of the
day's random salt (DailySalt), the client's address and its user agent.
An IPv6 address is cut to its first 64 bits first (one household or phone
changes the rest), as the IAB podcast guidelines 2.1 ask. Once a day is
counted its salt is deleted (reach.daily), after which no hash can be
linked to an address again. Robots are the CrawlerDetect list of crawler
user agents; an empty user agent counts as one."""

import hashlib
import ipaddress
import secrets
import time
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from crawlerdetect import CrawlerDetect
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from cms.write_buffer import WriteBuffer
from reach.models import DailySalt


@lru_cache(maxsize=8192)
def is_robot(user_agent: str) -> bool:
    return not user_agent or CrawlerDetect(user_agent=user_agent).isCrawler()


class LocalDay:
    """Today in the site's time zone, worked out again only once the clock
    passes the next local midnight: the middlewares ask on every request,
    and timezone.localdate() costs tens of microseconds."""

    def __init__(self) -> None:
        self.day: date | None = None
        self.until = 0.0  # the next local midnight, as a Unix time

    def __call__(self) -> date:
        seconds = time.time()
        if seconds >= self.until:
            now = timezone.localtime(datetime.fromtimestamp(seconds, tz=UTC))
            self.day = now.date()
            tomorrow = self.day + timedelta(days=1)
            midnight = datetime.combine(tomorrow, datetime.min.time(), now.tzinfo)
            self.until = midnight.timestamp()
        return self.day


today = LocalDay()
_salt: tuple[date | None, str] = (None, "")


def salt_of(day: date) -> str:
    """The day's salt, made by whichever process needs it first."""
    global _salt
    if _salt[0] != day:
        try:
            with transaction.atomic():
                row, _made = DailySalt.objects.get_or_create(
                    day=day, defaults={"salt": secrets.token_hex(32)}
                )
        except IntegrityError:  # another process made it meanwhile
            row = DailySalt.objects.get(day=day)
        _salt = (day, row.salt)
    return _salt[1]


def listener_address(address: str) -> str:
    if ":" not in address:  # IPv4 (or not an address): kept whole
        return address
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False).network_address)
    return address


def visitor(day: date, address: str, user_agent: str) -> str:
    text = "\0".join((salt_of(day), listener_address(address), user_agent))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def request_buffer(name: str, write) -> WriteBuffer:
    """A buffer of requests' visitors, hashed when it is written
    (REACH_BUFFER_* settings)."""
    return WriteBuffer(
        name,
        write,
        batch=lambda: settings.REACH_BUFFER_BATCH,
        seconds=lambda: settings.REACH_BUFFER_SECONDS,
        background=lambda: settings.REACH_BUFFER_BACKGROUND_FLUSH,
    )
