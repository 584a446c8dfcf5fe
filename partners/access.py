"""Who may pull what: partner keys checked for a feed or the partner API,
and per-key rate limits.

A key comes as `Authorization: Bearer <key>` or `?key=<key>`. A keyless
request for a public feed costs no query; a keyed one costs one (the key, its
partner and whether the feed is in its scope, together), at most once per
PARTNERS_KEY_SECONDS (0.5 s) per key, feed and process: a key revoked or a
partner stopped is refused everywhere within that, while a key's expiry
time is checked on every request. Rate limits count requests per key in
one-minute windows (cms.rate_limit). The key a request presented is
kept on it (KEY_ATTRIBUTE) for the pull log (pull_log.py). `authorise` and
the pull log are the feeds' access gate (feeds/access.py, installed in
apps.py)."""

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.http import bearer_token
from cms.rate_limit import wait_seconds
from feeds.access import AccessDenied
from feeds.models import FeedDefinition
from partners.models import KEY_PATTERN, ApiKey, Partner, hash_key

KEY_ATTRIBUTE = "_partner_key"  # the key a request presented, for the pull log


@dataclass(frozen=True)
class Grant:
    partner: Partner
    key: ApiKey


def presented_key(request: HttpRequest) -> str | None:
    return bearer_token(request) or request.GET.get("key") or None


def unauthorised(message: str) -> AccessDenied:
    return AccessDenied(401, message)


def read_key(key_hash: str, feed: FeedDefinition | None) -> ApiKey | None:
    """The key with its partner (and, given a feed, `may_read`)."""
    keys = ApiKey.objects.select_related("partner")
    if feed is not None:
        scope = ApiKey.feeds.through.objects.filter(
            apikey_id=OuterRef("pk"), feeddefinition_id=feed.pk
        )
        keys = keys.annotate(may_read=Exists(scope))
    # Unordered: the default ordering (by partner) would join for nothing.
    return next(iter(keys.filter(key_hash=key_hash).order_by()), None)


class RecentKeys:
    """The keys this process read lately, each reused while its reading is
    younger than PARTNERS_KEY_SECONDS. Only keys that exist are kept, so
    made-up keys cannot grow it. `clock` is settable for the tests of the
    window."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._readings: dict[tuple[str, int | None], tuple[float, ApiKey]] = {}

    def get(self, key_hash: str, feed: FeedDefinition | None) -> ApiKey | None:
        slot = (key_hash, feed.pk if feed else None)
        now = self.clock()
        read_at, key = self._readings.get(slot, (None, None))
        if read_at is not None and 0 <= now - read_at < settings.PARTNERS_KEY_SECONDS:
            return key
        key = read_key(key_hash, feed)
        if key is None:
            self._readings.pop(slot, None)
        else:
            self._readings[slot] = (now, key)
        return key


RECENT_KEYS = RecentKeys()


def find_key(request: HttpRequest, clear: str, feed: FeedDefinition | None) -> ApiKey:
    """The key with its partner (and, given a feed, `may_read`), or 401."""
    if not KEY_PATTERN.match(clear):
        raise unauthorised(_("密钥无效"))
    key = RECENT_KEYS.get(hash_key(clear), feed)
    if key is None:
        raise unauthorised(_("密钥无效"))
    setattr(request, KEY_ATTRIBUTE, key)
    status = key.status_at(timezone.now())
    if status == ApiKey.Status.REVOKED:
        raise unauthorised(_("密钥已吊销，请联系我们获取新密钥"))
    if status == ApiKey.Status.EXPIRED:
        raise unauthorised(_("密钥已过期，请联系我们获取新密钥"))
    if not key.partner.active:
        raise unauthorised(_("合作方已停用"))
    return key


def count_request(key: ApiKey) -> None:
    """One more request in this key's current minute; 429 past its limit."""
    # The hash, not the id: ids are reused (a test rollback), hashes are not.
    counter = f"partners:{key.key_hash[:24]}"
    retry_after = wait_seconds(counter, key.rate_limit_per_minute)
    if retry_after is not None:
        message = _("请求过于频繁：每分钟最多 %(limit)d 次，请 %(seconds)d 秒后再试")
        limit = {"limit": key.rate_limit_per_minute, "seconds": retry_after}
        raise AccessDenied(429, message % limit, retry_after=retry_after)


def authorise(request: HttpRequest, feed: FeedDefinition) -> Grant | None:
    """The grant to read this feed: None for a keyless pull of a public
    feed; AccessDenied (401, 403 or 429) when refused."""
    clear = presented_key(request)
    if clear is None:
        if feed.is_public:
            return None
        raise unauthorised(
            _("此订阅源需要合作方密钥：请用 Authorization: Bearer 头或 ?key= 参数提供")
        )
    key = find_key(request, clear, feed)
    count_request(key)
    if not (feed.is_public or key.may_read):
        raise AccessDenied(403, _("此密钥无权读取该订阅源"))
    return Grant(partner=key.partner, key=key)


def authenticate(request: HttpRequest) -> Grant:
    """The grant of the key this request carries (the partner API), or
    AccessDenied."""
    clear = presented_key(request)
    if clear is None:
        raise unauthorised(
            _("缺少合作方密钥：请用 Authorization: Bearer 头或 ?key= 参数提供")
        )
    key = find_key(request, clear, None)
    count_request(key)
    return Grant(partner=key.partner, key=key)
