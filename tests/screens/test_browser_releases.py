"""A staged player rollout in real Chromium against the live server: two
players paired before any release was recorded run on when the deploy
records one; a pin takes one group's player to the new release's own
address while the other stays, a promotion takes both, and a pin back
returns a group to the earlier release. Each keeps its pairing and sends
its plays across the switch, and a switched screen still starts offline
at the address its browser opens and at its release's own."""

import time

import pytest
from django.core.cache import cache
from django.core.management import call_command

from screens import pairing, rollout
from screens.models import PlayerRelease, PlaylistItem, PlayRecord, Screen
from screens.player import CACHE_NAMES, RELEASE_SHELL
from tests.screens.release_data import another_release

POLL_SECONDS = 2
WAIT_MS = 20_000  # a poll, the item in hand and a page load, on a busy machine

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def player_base(live_server, settings, screens_media):
    settings.BIG_SCREEN_POLL_SECONDS = POLL_SECONDS
    cache.clear()  # a fresh pairing budget
    return live_server.url


@pytest.fixture
def one_second_loop(screen_tree, screen_image):
    return PlaylistItem.objects.create(
        group=screen_tree.province, kind="image", image=screen_image, duration_seconds=1
    )


@pytest.fixture
def open_player(browser, player_base):
    """A player in a fresh browser profile, heartbeats every two seconds."""
    contexts = []

    def open_():
        context = browser.new_context(viewport={"width": 640, "height": 360})
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{player_base}/player/?heartbeat=2")
        return page

    yield open_
    for context in contexts:
        context.close()


def is_poll(request) -> bool:
    """The page's own poll (not the Service Worker's fetch of it)."""
    is_playlist = request.url.endswith("/api/screens/playlist/")
    return is_playlist and request.service_worker is None


def pair(page, group, name: str) -> Screen:
    page.wait_for_function(
        "document.querySelector('[data-pairing-code]').textContent.length === 6",
        timeout=WAIT_MS,
    )
    code = page.locator("[data-pairing-code]").inner_text()
    screen = pairing.claim(code, group=group, name=name)
    page.wait_for_selector("body[data-state=playing]", timeout=WAIT_MS)
    return screen


def wait_until_running(page, release: PlayerRelease, path: str) -> None:
    page.wait_for_function(
        f"""document.body.dataset.version === {release.version!r}
            && location.pathname === {path!r}
            && document.body.dataset.state === 'playing'""",
        timeout=WAIT_MS,
    )


def wait_for(condition, message: str, seconds: float = WAIT_MS / 1000):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.2)
    raise AssertionError(message)


def reports(screen: Screen, release: PlayerRelease) -> bool:
    """Its heartbeat (sent with its token) names the release."""
    return Screen.objects.filter(pk=screen.pk, player_version=release.version).exists()


def plays_of(screen: Screen) -> int:
    return PlayRecord.objects.filter(screen=screen).count()


def test_a_pinned_group_switches_first_then_every_screen_after_promotion(
    open_player, screen_tree, one_second_loop
):
    first, second = open_player(), open_player()
    pinned = pair(first, screen_tree.site, "村文化广场大屏")
    other = pair(second, screen_tree.other_site, "候车厅大屏")
    first.evaluate("window.beforeTheDeploy = true")
    call_command("record_player_release", verbosity=0)  # the deploy
    old = PlayerRelease.objects.get()
    new = another_release(old, "the next player")
    # The installed player is now the default release: nothing to switch to.
    for _poll in range(2):
        with first.expect_request(is_poll, timeout=WAIT_MS):
            pass
    assert first.evaluate("window.beforeTheDeploy") is True
    wait_until_running(first, old, "/player/")
    wait_until_running(second, old, "/player/")

    rollout.pin(screen_tree.site, new)
    with second.expect_request(is_poll, timeout=WAIT_MS):
        pass  # the other player's next poll: sent after the pin
    new_path = f"/player/r/{new.version}/"
    wait_until_running(first, new, new_path)
    # The new release's own worker takes over its address.
    worker = f"{new_path}sw.js"
    first.wait_for_function(
        f"navigator.serviceWorker.controller?.scriptURL.endsWith({worker!r})",
        timeout=WAIT_MS,
    )
    # Still paired: its token reports the new release and its plays arrive.
    wait_for(lambda: reports(pinned, new), "the switched player did not report")
    played = plays_of(pinned)
    wait_for(lambda: plays_of(pinned) > played, "no plays after the switch")
    # The other group's player polled again since and stayed where it was.
    with second.expect_request(is_poll, timeout=WAIT_MS):
        pass
    assert second.evaluate("document.body.dataset.version") == old.version
    assert second.evaluate("location.pathname") == "/player/"
    assert reports(other, old)

    rollout.promote(new)
    wait_until_running(second, new, new_path)
    wait_for(lambda: reports(other, new), "the other player did not report")
    assert first.evaluate("location.pathname") == new_path
    assert Screen.objects.count() == 2 and reports(pinned, new)

    # A group pinned back goes back to the earlier release's address.
    rollout.pin(screen_tree.other_site, old)
    wait_until_running(second, old, f"/player/r/{old.version}/")
    wait_for(lambda: reports(other, old), "the pinned-back player did not report")
    assert first.evaluate("document.body.dataset.version") == new.version
    # Running the release it is asked for, it removed the other release's
    # worker and shell; the kiosk's own address keeps its worker.
    kept = ["/player/", f"/player/r/{old.version}/"]
    wait_for(lambda: second.evaluate(SCOPES) == kept, "another release's worker")
    # The earlier release's worker caches its shell as it installs, which may
    # finish after its registration is listed.
    wait_for(lambda: only_shell_of(second, kept[1]), "another release's shell")


def only_shell_of(page, scope):
    shells = page.evaluate(SHELLS)
    return shells and all(s.startswith(f"{RELEASE_SHELL}{scope}") for s in shells)


SCOPES = """async () => (await navigator.serviceWorker.getRegistrations())
    .map((registration) => new URL(registration.scope).pathname).sort()"""
SHELLS = f"""async () => (await caches.keys())
    .filter((name) => name.startsWith({RELEASE_SHELL!r}))"""
HAS_CACHE = "async (name) => await caches.has(name)"
CACHED_COUNT = "async (name) => (await (await caches.open(name)).keys()).length"


def test_a_switched_screen_still_starts_offline_at_either_address(
    open_player, player_base, screen_tree, one_second_loop
):
    call_command("record_player_release", verbosity=0)
    old = PlayerRelease.objects.get()
    new = another_release(old, "the next player")
    page = open_player()
    pair(page, screen_tree.site, "村文化广场大屏")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    for name in (CACHE_NAMES["media"], CACHE_NAMES["data"]):
        page.wait_for_function(f"({CACHED_COUNT})({name!r}).then((n) => n === 1)")
    page.wait_for_function(f"({HAS_CACHE})({CACHE_NAMES['shell'] + old.version!r})")

    rollout.pin(screen_tree.site, new)
    new_path = f"/player/r/{new.version}/"
    wait_until_running(page, new, new_path)
    worker = f"{new_path}sw.js"
    page.wait_for_function(
        f"navigator.serviceWorker.controller?.scriptURL.endsWith({worker!r})",
        timeout=WAIT_MS,
    )
    new_shell = f"kepu-player-shell@{new_path}{new.version}"
    page.wait_for_function(f"({HAS_CACHE})({new_shell!r})", timeout=WAIT_MS)

    page.context.set_offline(True)
    # The browser restarted at the address it is set to open: the default
    # release's shell is still there, and the loop plays from the caches.
    page.goto(f"{player_base}/player/?heartbeat=2")
    wait_until_running(page, old, "/player/")
    # The loop may start from what the player kept before its first poll
    # has failed; the offline mark follows that poll.
    page.wait_for_function("document.body.dataset.online === 'false'", timeout=WAIT_MS)
    # And at the release's own address, from its own shell.
    page.goto(f"{player_base}{new_path}?heartbeat=2")
    wait_until_running(page, new, new_path)

    page.context.set_offline(False)
    page.wait_for_function("document.body.dataset.online === 'true'", timeout=WAIT_MS)
    assert page.evaluate("location.pathname") == new_path
