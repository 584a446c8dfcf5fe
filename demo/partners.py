"""The demo's media partners: the organisation behind each demo outlet, with
one API key scoped to its partner feed (`partner-<column slug>`).

A clear key exists only when it is made, so a loaded demo could not tell a
developer its keys. Under DEBUG the demo key is therefore derived from
SECRET_KEY and the partner's name (the same on every load) and printed, so
that it can be pasted into a feed reader; otherwise the key is random and
nothing secret is printed."""

import base64
import hashlib
import hmac

from django.conf import settings
from django.utils import timezone

from demo import content
from feeds.models import FeedDefinition
from partners.models import KEY_PREFIX, ApiKey, Partner, PullLog, hash_key

DEMO_LABEL = "演示密钥"
CONTACTS = {
    "newspaper": ("王编辑", "0431-88600000"),
    "radio": ("刘制片", "0431-85390000"),
}


def demo_key(partner_name: str) -> str:
    """A key in the real format, derived from SECRET_KEY (DEBUG only)."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(),
        f"kepu-demo-partner-key:{partner_name}".encode(),
        hashlib.sha256,
    ).digest()
    return KEY_PREFIX + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def demo_partner(column: content.ColumnData) -> tuple[Partner, bool]:
    contact, phone = CONTACTS[column.channel]
    return Partner.objects.get_or_create(
        name=column.outlet_name,
        defaults={
            "organisation": column.outlet_name,
            "contact_name": contact,
            "contact_phone": phone,
            "notes": f"演示数据：合办《{column.title}》",
        },
    )


def ensure_key(partner: Partner, feed: FeedDefinition) -> tuple[bool, str | None]:
    """(created, clear key under DEBUG) for the partner's demo key."""
    clear = demo_key(partner.name) if settings.DEBUG else None
    if clear is not None:
        exists = ApiKey.objects.filter(key_hash=hash_key(clear)).exists()
    else:
        exists = partner.keys.filter(label=DEMO_LABEL).exists()
    if not exists:
        ApiKey.issue(partner, [feed], clear, label=DEMO_LABEL)
    return not exists, clear


def record_past_pull(partner: Partner, feed: FeedDefinition) -> bool:
    """One earlier pull of its feed, so that the partner is among those a
    correction or withdrawal of what it carried must reach."""
    if partner.pulls.exists():
        return False
    PullLog.objects.create(
        partner=partner,
        key=partner.keys.filter(label=DEMO_LABEL).first(),
        feed=feed,
        path=f"/feeds/{feed.slug}/rss.xml?key=***",
        at=timezone.now(),
        status=200,
        user_agent="演示数据：往期拉取",
    )
    return True


def load_partners() -> str:
    partners = keys = 0
    lines = []
    for column in content.COLUMNS:
        feed = FeedDefinition.objects.filter(slug=f"partner-{column.slug}").first()
        if feed is None:
            continue
        partner, partner_created = demo_partner(column)
        key_created, clear = ensure_key(partner, feed)
        record_past_pull(partner, feed)
        partners += partner_created
        keys += key_created
        if clear is not None:
            lines.append(f"demo key for {partner.name} ({feed.slug}): {clear}")
    return "\n".join([f"partners: created {partners}, keys created {keys}", *lines])
