"""The big-screen player: the full-screen page at /player/ that a browser on
the screen (Chromium in kiosk mode) keeps open, and its Service Worker,
served at /player/sw.js rather than from /static/ so that its scope can be
/player/. The page and the worker are the static files in
static/big_screen/ (player.js, player.css, sw.js), recorded as releases and
served by screens.release_views; this module gives them their
configuration: the API's URLs, the player's version, the cache names both
sides use and the messages in the page's language.

The player needs a secure context (HTTPS, or localhost) for the Service
Worker. Kiosk flags that help: --kiosk --autoplay-policy=no-user-gesture-required.
A query parameter of the page, ?heartbeat=SECONDS, shortens the heartbeat
interval (default 60, minimum 2) for tests and for checking a new screen;
the playlist's poll_seconds (settings.BIG_SCREEN_POLL_SECONDS) sets how
often the player polls. For tests only, ?test_storage_budget=BYTES makes
the player fill no more storage than that, as on a nearly full disk.
"""

from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone

from screens import api
from screens.player_messages import messages

HEARTBEAT_SECONDS = 60
SHELL_FILES = ("big_screen/player.js", "big_screen/player.css")
CACHE_NAMES = {
    "shell": "kepu-player-shell-",  # + the player's version
    "data": "kepu-player-data",  # the last playlist, for a reload while offline
    "media": "kepu-player-media",  # every media file of the current loop
}


# A release's own address has its own Service Worker and shell cache (see
# release_views.Served); a player running the release it is asked for
# removes those of the other releases (player.js, forgetOtherReleases).
RELEASE_SHELL = "kepu-player-shell@"  # + the release's scope + its version


def scope() -> str:
    return reverse("big_screen:player")


def release_scopes() -> str:
    """What every release address's scope starts with."""
    return reverse("big_screen:release", args=["v"]).removesuffix("v/")


def page_config() -> dict:
    now = timezone.localtime()
    return {
        "version": api.player_version(),
        "scope": scope(),
        "serviceWorker": reverse("big_screen:player_sw"),
        "api": {
            "pair": reverse("big_screen:pair"),
            "pairStatus": reverse("big_screen:pair_status"),
            "playlist": reverse("big_screen:playlist"),
            "heartbeat": reverse("big_screen:heartbeat"),
            "plays": reverse("big_screen:plays"),
            "commands": reverse("big_screen:commands"),  # + <id>/ack/, <id>/screenshot/
        },
        "caches": CACHE_NAMES,
        "releases": {
            "scopes": release_scopes(),
            "shells": RELEASE_SHELL + release_scopes(),
        },
        "heartbeatSeconds": HEARTBEAT_SECONDS,
        "pollSeconds": api.poll_seconds(),
        "serverTime": now.isoformat(timespec="seconds"),
        "messages": messages(),
    }


def service_worker_config() -> dict:
    return {
        "version": api.player_version(),
        "scope": scope(),
        "shell": [scope(), *(static(name) for name in SHELL_FILES)],
        "playlist": reverse("big_screen:playlist"),
        "caches": CACHE_NAMES,
    }
