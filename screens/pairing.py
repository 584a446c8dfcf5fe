"""Pairing a player with a screen, and the screen tokens it leads to.

The player asks for a code (shown large on screen) and a secret (kept in the
player). An operator types the code into the admin and picks a group: that
creates the screen and a token, whose raw value waits on the pairing request
until the player, polling with code and secret, picks it up once. Only the
token's SHA-256 is kept on the screen; revoking clears it.

New codes have a budget per client address and in total (settings
BIG_SCREEN_PAIRINGS_PER_*), and the scheduler removes expired requests at
every tick (remove_expired_requests: one DELETE, harmless when several
workers run it at once), so a flood of requests leaves few rows for long.
"""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.rate_limit import address_bucket, wait_seconds
from screens import advisories, commands
from screens.models import PairingRequest, Screen, ScreenGroup

# No 0/O, 1/I/L: a code is read off a screen across a room.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
PAIRING_SECONDS = 600


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def start_pairing() -> tuple[PairingRequest, str]:
    """A new pairing request with an unused code, and its raw secret."""
    now = timezone.now()
    secret = secrets.token_urlsafe(32)
    while True:
        code = new_code()
        PairingRequest.objects.filter(code=code, expires_at__lt=now).delete()
        if not PairingRequest.objects.filter(code=code).exists():
            break
    request = PairingRequest.objects.create(
        code=code,
        secret_hash=digest(secret),
        expires_at=now + timedelta(seconds=PAIRING_SECONDS),
    )
    return request, secret


def pairing_wait(address: str) -> int | None:
    """Seconds a new pairing request from `address` must wait, or None. The
    total counts only requests within their address's budget, so one
    flooding address cannot spend everyone's."""
    per_address = settings.BIG_SCREEN_PAIRINGS_PER_ADDRESS
    return wait_seconds(
        f"screens:pair:{address_bucket(address)}", per_address
    ) or wait_seconds("screens:pair", settings.BIG_SCREEN_PAIRINGS_PER_MINUTE)


def remove_expired_requests(now: datetime) -> int:
    """Delete the pairing requests that have expired (a scheduler job)."""
    deleted, _by_model = PairingRequest.objects.filter(expires_at__lt=now).delete()
    return deleted


def normalised(code: str) -> str:
    return "".join(code.split()).upper()


def pending_request(code: str) -> PairingRequest | None:
    return PairingRequest.objects.filter(
        code=normalised(code), expires_at__gt=timezone.now(), screen__isnull=True
    ).first()


def new_token() -> tuple[str, str]:
    raw = secrets.token_urlsafe(32)
    return raw, digest(raw)


@transaction.atomic
def claim(
    code: str,
    *,
    group: ScreenGroup | None = None,
    name: str = "",
    screen: Screen | None = None,
    **screen_fields,
) -> Screen:
    """Pair the code with a new screen in `group` (or re-pair an existing
    `screen`, e.g. a replaced player): the screen gets a fresh token."""
    request = pending_request(code)
    if request is None:
        raise ValidationError(_("配对码无效或已过期，请在大屏上刷新配对码"))
    raw, hashed = new_token()
    now = timezone.now()
    if screen is None:
        screen = Screen(group=group, name=name, **screen_fields)
        screen.full_clean(exclude=["token_hash"])
    screen.token_hash, screen.paired_at, screen.revoked_at = hashed, now, None
    screen.save()
    # The player gets a full pairing period to pick the token up.
    request.screen, request.token = screen, raw
    request.expires_at = now + timedelta(seconds=PAIRING_SECONDS)
    request.save(update_fields=["screen", "token", "expires_at"])
    return screen


def pick_up(code: str, secret: str) -> tuple[str, PairingRequest | None]:
    """("waiting", request), ("paired", request with .token set, now cleared
    in the database) or ("unknown", None) for a bad code or secret."""
    request = (
        PairingRequest.objects.select_related("screen")
        .filter(code=normalised(code), expires_at__gt=timezone.now())
        .first()
    )
    if request is None or not hmac.compare_digest(request.secret_hash, digest(secret)):
        return "unknown", None
    if request.screen_id is None:
        return "waiting", request
    taken = PairingRequest.objects.filter(pk=request.pk, token=request.token)
    if not request.token or not taken.exclude(token="").update(token=""):
        return "unknown", None
    return "paired", request


def revoke(screen: Screen) -> None:
    """The token stops working at once; the player pairs again."""
    screen.revoked_at, screen.token_hash = timezone.now(), None
    screen.save(update_fields=["revoked_at", "token_hash"])
    advisories.screen_revoked(screen)
    commands.screen_revoked(screen)


def screen_for_token(raw: str | None, with_group: bool = True) -> Screen | None:
    if not raw:
        return None
    screens = Screen.objects.select_related("group") if with_group else Screen.objects
    return screens.filter(token_hash=digest(raw), revoked_at__isnull=True).first()
