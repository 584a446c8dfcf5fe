"""Player releases: what the player is made of, read from the installed
code, and recording it as an immutable PlayerRelease (`manage.py
record_player_release`, run at every deploy).

A release holds player.js, player.css and sw.js from static/big_screen/,
the page template, and the page's messages as the code writes them (each
is translated when the page is served, so a release speaks the page's
language). Its version is the digest of all of it: recording the same
player again finds its release already there. Which release a screen runs
is screens.rollout's business; how a release is served, release_views'."""

import hashlib
import json
from functools import cache
from pathlib import Path

from django.db import transaction
from django.template.loader import get_template
from django.utils import timezone, translation

from screens import player_messages, rollout
from screens.models import PlayerRelease

PLAYER_STATIC = Path(__file__).parent / "static" / "big_screen"
PLAYER_FILES = ("player.js", "player.css", "sw.js")
PAGE_TEMPLATE = "big_screen/player.html"
PAGE_FILE = "player.html"


def installed_files() -> dict[str, str]:
    files = {
        name: (PLAYER_STATIC / name).read_text(encoding="utf-8")
        for name in PLAYER_FILES
    }
    files[PAGE_FILE] = get_template(PAGE_TEMPLATE).template.source
    return files


def source_messages() -> dict[str, str]:
    """The page's messages untranslated, as the code writes them."""
    with translation.override(None):
        return {key: str(text) for key, text in player_messages.messages().items()}


def digest(files: dict[str, str], messages: dict[str, str]) -> str:
    content = {"files": files, "messages": messages}
    text = json.dumps(content, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@cache
def installed() -> PlayerRelease:
    """The installed player as a release, not saved."""
    files, messages = installed_files(), source_messages()
    return PlayerRelease(
        version=digest(files, messages), files=files, messages=messages
    )


def record_installed() -> tuple[PlayerRelease, bool]:
    """The installed player's release and whether it is new. The first
    release ever recorded becomes the default; later ones wait to be pinned
    or promoted."""
    release = installed()
    with transaction.atomic():
        recorded, created = PlayerRelease.objects.get_or_create(
            version=release.version,
            defaults={
                "files": release.files,
                "messages": release.messages,
                "recorded_at": timezone.now(),
            },
        )
        if not PlayerRelease.objects.filter(is_default=True).exists():
            rollout.promote(recorded)
            recorded.refresh_from_db()
    return recorded, created
