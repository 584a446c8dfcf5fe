"""The player's addresses.

- /player/ serves the fleet's default release (before any is recorded, the
  installed player) with its Service Worker at /player/sw.js, scope
  /player/: the address a screen's browser opens, as it always was.
- /player/r/<version>/ serves one recorded release, with its own worker
  (/player/r/<version>/sw.js, scope /player/r/<version>/) and its files at
  /player/r/<version>/player.js and player.css, which never change and are
  cached for good. Two releases run side by side on one origin: they share
  the token, the queued plays and the media and playlist caches (IndexedDB
  and Cache Storage belong to the origin) and keep their shells apart.

The page and the worker are not cached (no-cache): the page carries the
server's time, and a worker is checked for updates at each visit (a 304
while its release is the same). A player whose playlist names another
release than its own goes to that release's address (player.js)."""

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template import engines
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cms.http import conditional
from screens import player, releases, rollout
from screens.models import PlayerRelease

ASSET_TYPES = {
    "player.js": "text/javascript; charset=utf-8",
    "player.css": "text/css; charset=utf-8",
}
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Served:
    """A release at one of the player's addresses."""

    release: PlayerRelease
    scope: str
    service_worker: str

    def asset_url(self, name: str) -> str:
        if self.release.pk is None:  # the installed player: its static files
            return static(f"big_screen/{name}")
        return reverse("big_screen:release_asset", args=[self.release.version, name])

    @property
    def cache_names(self) -> dict[str, str]:
        """A worker deletes the shell caches under its own prefix but its
        own; each release's address has its prefix, so that none deletes
        the shell another address needs to start offline."""
        if self.scope == player.scope():
            return player.CACHE_NAMES
        return {**player.CACHE_NAMES, "shell": player.RELEASE_SHELL + self.scope}


def at_default_address() -> Served:
    release = rollout.default_release() or releases.installed()
    return Served(release, player.scope(), reverse("big_screen:player_sw"))


def at_release_address(version: str) -> Served:
    release = get_object_or_404(PlayerRelease, version=version)
    return Served(
        release,
        reverse("big_screen:release", args=[version]),
        reverse("big_screen:release_sw", args=[version]),
    )


@lru_cache(maxsize=8)
def page_template(source: str):
    return engines["django"].from_string(source)


def translated(messages: dict[str, str]) -> dict[str, str]:
    return {key: _(text) for key, text in messages.items()}


def page_response(request, served: Served) -> HttpResponse:
    release = served.release
    config = {
        **player.page_config(),
        "version": release.version,
        "scope": served.scope,
        "serviceWorker": served.service_worker,
        "caches": served.cache_names,
        "messages": translated(release.messages),
    }
    context = {
        "config": config,
        "version": release.version,
        "script_url": served.asset_url("player.js"),
        "style_url": served.asset_url("player.css"),
    }
    html = page_template(release.files[releases.PAGE_FILE]).render(context, request)
    response = HttpResponse(html)
    response["Cache-Control"] = "no-cache"
    return response


def service_worker_response(request, served: Served) -> HttpResponse:
    """sw.js with its configuration prepended: another release changes the
    script's bytes, which is what makes browsers install the new worker."""
    config = {
        **player.service_worker_config(),
        "version": served.release.version,
        "scope": served.scope,
        "shell": [served.scope, *map(served.asset_url, ASSET_TYPES)],
        "caches": served.cache_names,
    }
    source = served.release.files["sw.js"]
    body = f"const CONFIG = {json.dumps(config, ensure_ascii=False)};\n\n{source}"
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    response = conditional(
        request,
        lambda: HttpResponse(body, content_type="text/javascript; charset=utf-8"),
        etag=etag,
    )
    response["Service-Worker-Allowed"] = served.scope
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def default_page(request):
    return page_response(request, at_default_address())


@require_GET
def default_service_worker(request):
    return service_worker_response(request, at_default_address())


@require_GET
def release_page(request, version: str):
    return page_response(request, at_release_address(version))


@require_GET
def release_service_worker(request, version: str):
    return service_worker_response(request, at_release_address(version))


@require_GET
def release_asset(request, version: str, name: str):
    """player.js or player.css of a release: the same bytes for ever."""
    if name not in ASSET_TYPES:
        raise Http404
    files = (
        PlayerRelease.objects.filter(version=version)
        .values_list("files", flat=True)
        .first()
    )
    if files is None:
        raise Http404
    response = conditional(
        request,
        lambda: HttpResponse(files[name], content_type=ASSET_TYPES[name]),
        etag=f'"{version}"',
    )
    response["Cache-Control"] = IMMUTABLE
    return response
