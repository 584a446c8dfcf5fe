"""Remote care in real Chromium against the live server: an operator presses
截图 and 立即刷新 on a screen's care page, the paired player does both, and
the admin shows them acknowledged with the screenshot of what the screen
showed; 清除缓存 empties the player's caches, which it fills again."""

import pytest
from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from PIL import Image, ImageStat

from screens import api, commands
from screens.models import PlaylistItem, Screen, ScreenCommand
from screens.player import CACHE_NAMES
from tests.browser import log_in
from tests.screens import test_browser as player_tests
from tests.screens.test_browser import (
    CACHED_URLS,
    VIEWPORT,
    WAIT_MS,
    pair,
    wait_for,
    wait_until_playing,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
# The player fixtures of the player's own browser tests.
player_url = player_tests.player_url
open_player = player_tests.open_player
TEAL = (0x0B, 0x6E, 0x75)  # the fixture image's colour


@pytest.fixture
def image_loop(screen_tree, screen_image):
    """A loop of one image, all day: what a screenshot must show."""
    return PlaylistItem.objects.create(
        group=screen_tree.site, kind="image", image=screen_image, duration_seconds=60
    )


def in_page(page, script: str, arg, message: str):
    """Wait until a script, which may be async, gives a truthy value in the
    page (wait_for_function does not await a promise: any is truthy)."""
    return wait_for(lambda: page.evaluate(script, arg), message)


def acknowledged(kind: str) -> ScreenCommand | None:
    return ScreenCommand.objects.filter(kind=kind, state="acknowledged").first()


def test_an_operator_takes_a_screenshot_and_reloads_a_screen_from_the_admin(
    open_player, browser, live_server, screen_tree, image_loop
):
    player = open_player("?heartbeat=2")
    screen = pair(player, screen_tree.site)
    player.evaluate("window.beforeReload = true")
    reported = wait_for(
        lambda: (
            Screen.objects.filter(pk=screen.pk, player_started_at__isnull=False)
            .exclude(storage_free_bytes=None)
            .first()
        ),
        "the player reported no version, storage or uptime",
    )
    assert reported.player_version == api.player_version()

    User.objects.create_superuser("yunwei", "yunwei@example.org", "pw")
    admin = browser.new_context(locale="zh-CN").new_page()
    log_in(admin, live_server.url, "yunwei")
    care = f"{live_server.url}/admin/big-screen/screens/care/{screen.pk}/"
    admin.goto(care)
    for kind, label in (("screenshot", "截图"), ("reload", "立即刷新")):
        admin.click(f"button[name=kind][value={kind}]")
        told = f"已向「文化广场大屏」下发「{label}」命令，等待大屏确认"
        admin.get_by_text(told).wait_for(timeout=WAIT_MS)

    shot = wait_for(lambda: acknowledged("screenshot"), "no screenshot arrived")
    wait_for(lambda: acknowledged("reload"), "the reload was not acknowledged")
    player.wait_for_function("window.beforeReload === undefined", timeout=WAIT_MS)
    wait_until_playing(player)

    admin.goto(care)
    rows = admin.locator("[data-care-commands] tr[data-command]")
    assert rows.count() == 2
    assert {rows.nth(i).get_attribute("data-state") for i in range(2)} == {
        "acknowledged"
    }
    assert admin.locator("[data-care-commands]").inner_text().count("已确认") == 2
    status = admin.locator("[data-care-screens]").inner_text()
    assert api.player_version() in status
    admin.wait_for_function(
        "document.querySelector('[data-screenshot] img').naturalWidth > 0",
        timeout=WAIT_MS,
    )
    shown = admin.locator("[data-screenshot] img").evaluate(
        "img => [img.naturalWidth, img.naturalHeight]"
    )
    assert shown == [VIEWPORT["width"], VIEWPORT["height"]]

    # The screenshot is what the screen showed: the image, edge to edge.
    with default_storage.open(shot.screenshot.name) as stored:
        picture = Image.open(stored).convert("RGB")
        middle = picture.crop((100, 50, 860, 490))
        mean = ImageStat.Stat(middle).mean
    assert all(abs(got - want) < 12 for got, want in zip(mean, TEAL, strict=True))


# Replaces every entry of a cache with a stand-in marked X-Stale: the
# player keeps entries it already has, so only a real clearing drops them.
MARK_STALE = """
async (name) => {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
        const headers = { "X-Stale": "1", "Content-Type": "text/plain" };
        await cache.put(request, new Response("stale", { headers }));
    }
}
"""
# Whether a cache holds these URLs (in order), each of them no stand-in.
FRESH = """
async ([name, urls]) => {
    const cache = await caches.open(name);
    const requests = await cache.keys();
    if (requests.map((r) => r.url).join() !== urls.join()) return false;
    const answers = await Promise.all(requests.map((r) => cache.match(r)));
    return answers.every((answer) => !answer.headers.has("X-Stale"));
}
"""


def test_clearing_the_cache_drops_the_kept_files_and_the_player_fetches_them_again(
    open_player, screen_tree, image_loop
):
    player = open_player()
    screen = pair(player, screen_tree.site)
    media, data = CACHE_NAMES["media"], CACHE_NAMES["data"]
    filled = f"""async () => (await ({CACHED_URLS})("{media}")).length === 1
        && (await ({CACHED_URLS})("{data}")).length === 1"""
    in_page(player, filled, None, "the loop was not cached")
    kept = {name: player.evaluate(CACHED_URLS, name) for name in (media, data)}
    for name in (media, data):
        player.evaluate(MARK_STALE, name)
        assert not player.evaluate(FRESH, [name, kept[name]])

    command = commands.issue_to_screen(screen, "clear_cache")
    wait_for(lambda: acknowledged("clear_cache"), "clearing was not acknowledged")
    for name in (media, data):  # fetched again from the server
        in_page(player, FRESH, [name, kept[name]], f"{name} was not filled again")
    command.refresh_from_db()
    assert command.error == "" and command.finished_at is not None
    wait_until_playing(player)
