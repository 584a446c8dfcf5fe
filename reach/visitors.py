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
from datetime import date
from functools import lru_cache

from crawlerdetect import CrawlerDetect
from django.conf import settings
from django.db import IntegrityError, transaction

from cms.write_buffer import WriteBuffer
from reach.models import DailySalt


@lru_cache(maxsize=8192)
def is_robot(user_agent: str) -> bool:
    return not user_agent or CrawlerDetect(user_agent=user_agent).isCrawler()


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
