"""Request budgets: counts in fixed windows kept in Django's default cache,
whose add and incr are atomic in locmem and Redis alike. The count is shared
by every process that shares the cache: production sets REDIS_URL, since
locmem counts per process."""

import ipaddress
import math
import time

from django.core.cache import cache

WINDOW_SECONDS = 60


def wait_seconds(counter: str, limit: int, window: int = WINDOW_SECONDS) -> int | None:
    """Count one request under `counter`. Past `limit` in the current window,
    the seconds until the window ends (for Retry-After); otherwise None."""
    now = time.time()
    current = int(now // window)
    key = f"rate:{counter}:{current}"
    cache.add(key, 0, window * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, window * 2)
        count = 1
    if count <= limit:
        return None
    return max(1, math.ceil((current + 1) * window - now))


def address_bucket(address: str) -> str:
    """What a budget per address counts under: the address itself, but a
    whole /64 for IPv6, which one client commonly holds. Whatever is not an
    address shares one budget."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
