"""The player started and kept working without network, in real Chromium
against the live server behind a TCP proxy the test can cut: a restart with
the network down or silent plays the last loop from the caches within 10 s
with the offline mark shown; day parts ending and starting while offline; a
device clock ten years off; a nearly full disk; a playlist format newer
than the player."""

import os
import time
from datetime import datetime, timedelta
from io import BytesIO
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.core.files.images import ImageFile
from django.db import transaction
from django.utils import timezone
from PIL import Image
from wagtail.images.models import Image as WagtailImage

from screens import api
from screens.models import Heartbeat, PlaylistItem, PlayRecord
from screens.player import CACHE_NAMES
from screens.playlist import resolve_for_screen
from tests.screens import test_browser
from tests.screens.test_browser import (
    CACHED_URLS,
    POLL_SECONDS,
    WAIT_MS,
    loop_ids,
    pair,
    played,
    wait_for,
    wait_for_plays,
    wait_until_playing,
)
from tests.tcp_proxy import TcpProxy

COLD_START_SECONDS = 10
# Installing the worker fetches the shell: slow while other tests encode video.
WORKER_WAIT_MS = 60_000
ALL_WEEK = [1, 2, 3, 4, 5, 6, 7]
# Records each change of <body data-state/data-playing> with the page's
# Date.now(): the device clock, which these tests move.
RECORD_CHANGES = """
window.changes = [];
new MutationObserver(() => {
    const { state, playing } = document.body.dataset;
    const last = window.changes[window.changes.length - 1];
    if (!last || last.state !== state || last.playing !== playing) {
        window.changes.push({ at: Date.now(), state, playing });
    }
}).observe(document, { subtree: true, attributes: true,
                       attributeFilter: ["data-state", "data-playing"] });
"""
SAVED_CLOCK_OFFSET = """
() => new Promise((resolve, reject) => {
    const opening = indexedDB.open("kepu-player");
    opening.onerror = () => reject(opening.error);
    opening.onsuccess = () => {
        const store = opening.result.transaction("state").objectStore("state");
        const request = store.get("clock");
        request.onsuccess = () => resolve(request.result.offsetMs);
    };
})
"""
STORAGE_USAGE = "async () => (await navigator.storage.estimate()).usage"
CACHED_PLAYLIST = f"""
async () => {{
    const cache = await caches.open("{CACHE_NAMES["data"]}");
    const [request] = await cache.keys();
    return request ? (await cache.match(request)).json() : null;
}}
"""

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# The player opened and paired as test_browser.py does (over player_url below).
open_player = test_browser.open_player
short_loop = test_browser.short_loop


@pytest.fixture
def proxy(live_server):
    address = urlsplit(live_server.url)
    proxy = TcpProxy(address.hostname, address.port)
    yield proxy
    proxy.close()


@pytest.fixture
def player_url(proxy, settings, screens_media):
    """The player, reached through the proxy (open_player opens this)."""
    settings.BIG_SCREEN_POLL_SECONDS = POLL_SECONDS
    cache.clear()  # each test's players get a fresh pairing budget
    return f"http://127.0.0.1:{proxy.port}/player/"


def cut_network(page, proxy, how: str) -> None:
    if how == "down":  # no route: every request fails at once
        page.context.set_offline(True)
    else:  # packets lost: requests wait for their timeouts
        proxy.silence()


def restore_network(page, proxy) -> None:
    page.context.set_offline(False)
    proxy.restore()


def media_paths(page) -> set[str]:
    urls = page.evaluate(CACHED_URLS, CACHE_NAMES["media"])
    return {urlsplit(url).path for url in urls}


def wait_until_controlled(page) -> None:
    page.wait_for_function(
        "navigator.serviceWorker.controller !== null", timeout=WORKER_WAIT_MS
    )


def wait_until_cached(page, paths: set[str]) -> None:
    """The Service Worker controls the page and the media cache holds
    exactly `paths`."""
    wait_until_controlled(page)
    wait_for(lambda: media_paths(page) == paths, f"the cache never held {paths}")


def loop_paths(screen) -> set[str]:
    return {entry["url"] for entry in resolve_for_screen(screen).entries}


def reported_errors(screen) -> list[str]:
    beats = Heartbeat.objects.filter(screen=screen).values_list("errors", flat=True)
    return [error["message"] for errors in beats for error in errors]


def noise_image(title: str, kilobytes: int) -> WagtailImage:
    """A PNG of random pixels: it does not compress, so its file is about
    `kilobytes` large."""
    side = int((kilobytes * 1024 / 3) ** 0.5)
    picture = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buffer = BytesIO()
    picture.save(buffer, "PNG")
    return WagtailImage.objects.create(
        title=title, file=ImageFile(buffer, name=f"{title}.png")
    )


# A restart without network -------------------------------------------------


@pytest.mark.parametrize("how", ["down", "silent"])
def test_a_player_restarted_without_network_plays_its_last_loop_within_10_seconds(
    open_player, proxy, screen_tree, short_loop, how
):
    page = open_player()
    screen = pair(page, screen_tree.site)
    wait_until_cached(page, loop_paths(screen))
    mark = page.locator("[data-offline-mark]")
    assert mark.is_hidden()

    cut_network(page, proxy, how)
    started = time.monotonic()
    page.reload(wait_until="commit")
    page.wait_for_selector(
        "body[data-state=playing]", timeout=COLD_START_SECONDS * 1000
    )
    seconds = time.monotonic() - started
    print(  # noqa: T201 (the figure this test measures)
        f"\noffline cold start, network {how}: first item on screen in {seconds:.2f} s"
    )
    assert seconds < COLD_START_SECONDS
    # The whole loop, the video included, from the caches.
    assert wait_for_plays(page, 4)[:3] == loop_ids(short_loop)

    # The operator sees a small mark in a corner once a poll has failed
    # (a silent network fails it only at the request's timeout).
    mark.wait_for(state="visible", timeout=20_000)
    assert mark.inner_text() == "离线"
    box = mark.bounding_box()
    viewport = page.viewport_size
    assert box["width"] * box["height"] < 0.01 * viewport["width"] * viewport["height"]
    assert box["y"] + box["height"] < 0.1 * viewport["height"]
    assert box["x"] > 0.85 * viewport["width"]

    restore_network(page, proxy)
    mark.wait_for(state="hidden", timeout=WAIT_MS)
    before = len(played(page))
    wait_for_plays(page, before + 1)


# Day parts while offline ------------------------------------------------------


def hhmm(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def test_day_parts_end_and_start_on_time_while_offline(
    open_player, screen_tree, screen_image
):
    """Morning plays until the boundary, nothing for a minute, then noon:
    the device clock is moved to just before each boundary, after a restart
    without network."""
    now = timezone.localtime()
    boundary = (now + timedelta(hours=2)).replace(second=0, microsecond=0)
    noon_starts = boundary + timedelta(minutes=1)
    morning = PlaylistItem.objects.create(
        group=screen_tree.site,
        kind="image",
        image=screen_image,
        title="早间",
        duration_seconds=60,
        day_parts=[
            {
                "days": ALL_WEEK,
                "start": hhmm(boundary - timedelta(hours=3)),
                "end": hhmm(boundary),
            }
        ],
    )
    noon = PlaylistItem.objects.create(
        group=screen_tree.site,
        kind="image",
        image=screen_image,
        title="午间",
        duration_seconds=60,
        day_parts=[
            {
                "days": ALL_WEEK,
                "start": hhmm(noon_starts),
                "end": hhmm(noon_starts + timedelta(hours=1)),
            }
        ],
    )
    page = open_player()
    wait_until_controlled(page)  # installed before the clock is faked
    page.clock.install(time=timezone.now())  # ticking; the test moves it
    page.context.add_init_script(RECORD_CHANGES)
    page.reload()
    screen = pair(page, screen_tree.site)
    wait_until_cached(page, loop_paths(screen))
    page.wait_for_selector(f"body[data-playing='{morning.pk}']")

    page.context.set_offline(True)
    page.reload()
    page.wait_for_selector(f"body[data-playing='{morning.pk}']", timeout=WAIT_MS)

    # What the player takes for the server's time is the device's corrected
    # by this offset, learnt on line and kept through the restart.
    offset = page.evaluate(SAVED_CLOCK_OFFSET)

    def change_after(moment: datetime, matches) -> float:
        """Move the device clock to 3 s before `moment` (by the player's
        clock); how long after `moment` the page first changed as `matches`
        says (ms)."""
        seen = len(page.evaluate("window.changes"))
        page.clock.set_system_time(moment - timedelta(seconds=3, milliseconds=offset))
        change = wait_for(
            lambda: next(filter(matches, page.evaluate("window.changes")[seen:]), None),
            f"no change after {moment}",
        )
        return change["at"] + offset - moment.timestamp() * 1000

    # The morning item (60 s long) ends at its boundary, not at its end.
    ended = change_after(boundary, lambda change: change["state"] == "idle")
    assert 0 <= ended <= 2500, ended
    notice = page.locator("[data-notice-text]").inner_text()
    assert notice == "当前时段没有可播放的内容"
    started = change_after(
        noon_starts, lambda change: change["playing"] == str(noon.pk)
    )
    assert 0 <= started <= 2500, started
    assert played(page) == [str(morning.pk), str(noon.pk)]


# A device clock ten years off ------------------------------------------------------


def test_a_clock_ten_years_off_keeps_the_loop_through_an_offline_restart(
    open_player, screen_tree, short_loop
):
    today = timezone.localdate()
    dated = PlaylistItem.objects.create(
        group=screen_tree.site,
        kind="image",
        image=short_loop.image.image,
        title="今日专题",
        duration_seconds=1,
        starts_on=today,
        ends_on=today,
    )
    page = open_player()
    wait_until_controlled(page)  # installed before the clock is faked
    page.clock.install(time=timezone.now() + timedelta(days=3652))
    page.reload()
    screen = pair(page, screen_tree.site)
    wait_until_cached(page, loop_paths(screen))
    assert str(dated.pk) in wait_for_plays(page, 4)

    page.context.set_offline(True)
    cut_at = timezone.now()
    page.reload()
    wait_until_playing(page)
    assert str(dated.pk) in wait_for_plays(page, 4)

    # The plays made offline arrive with the server's time, not the device's
    # (the server refuses plays far in the future).
    page.context.set_offline(False)
    records = wait_for(
        lambda: list(PlayRecord.objects.filter(started_at__gte=cut_at))[3:],
        "the plays made offline did not arrive",
    )
    assert all(
        abs(record.started_at - timezone.now()) < timedelta(minutes=2)
        for record in records
    )


# Storage nearly full ------------------------------------------------------------------


def test_a_player_short_of_storage_evicts_what_the_loop_left_and_plays_on(
    open_player, screen_tree, short_loop
):
    site = screen_tree.site
    old = PlaylistItem.objects.create(
        group=site, kind="image", image=noise_image("旧海报", 300), duration_seconds=1
    )
    page = open_player()
    screen = pair(page, site)
    wait_until_cached(page, loop_paths(screen))
    # A disk with 150 KB left beside the loop's files.
    budget = (page.evaluate(STORAGE_USAGE) + 150 * 1024) / 0.9  # STORAGE_SHARE
    page.goto(page.url.split("?")[0] + f"?heartbeat=2&test_storage_budget={budget:.0f}")
    wait_until_playing(page)

    # A new poster (300 KB) replaces the old one: it fits only once the old
    # one has left the cache.
    with transaction.atomic():
        old.delete()
        new = PlaylistItem.objects.create(
            group=site,
            kind="image",
            image=noise_image("新海报", 300),
            duration_seconds=1,
        )
    wait_until_cached(page, loop_paths(screen))
    assert len(media_paths(page)) == 4

    # A film poster too large for what is left: reported, not cached, and
    # nothing the loop plays leaves the cache for it.
    cached = media_paths(page)
    huge = PlaylistItem.objects.create(
        group=site,
        kind="image",
        image=noise_image("巨幅海报", 900),
        duration_seconds=1,
    )
    errors = wait_for(
        lambda: [e for e in reported_errors(screen) if "巨幅海报" in e],
        "the lack of room was not reported",
    )
    assert errors == ["存储空间不足，未缓存「巨幅海报」"]
    assert media_paths(page) == cached
    beat = Heartbeat.objects.filter(screen=screen).latest("minute")
    assert beat.storage_free_bytes <= budget
    # The refusal held nothing up: a small poster added next is cached.
    PlaylistItem.objects.create(
        group=site, kind="image", image=noise_image("小海报", 10), duration_seconds=1
    )
    entries = resolve_for_screen(screen).entries
    huge_path = next(entry["url"] for entry in entries if entry["id"] == huge.pk)
    wait_until_cached(page, loop_paths(screen) - {huge_path})
    cached = media_paths(page)

    # Online the large poster plays from the network; offline the loop
    # plays on with what it has.
    wait_for(lambda: str(huge.pk) in played(page), "the large poster was not played")
    page.context.set_offline(True)
    before = len(played(page))
    after = wait_for_plays(page, before + 8)[before:]
    assert {str(new.pk), *loop_ids(short_loop)} <= set(after)
    assert media_paths(page) == cached


# A playlist format newer than the player -------------------------------------------


def test_an_old_player_refuses_a_newer_playlist_format_and_keeps_its_loop(
    open_player, screen_tree, short_loop, monkeypatch
):
    page = open_player("?heartbeat=2")
    screen = pair(page, screen_tree.site)
    wait_until_cached(page, loop_paths(screen))

    monkeypatch.setattr(api, "PLAYLIST_FORMAT", api.PLAYLIST_FORMAT + 1)
    added = PlaylistItem.objects.create(
        group=screen_tree.site,
        kind="image",
        image=short_loop.image.image,
        title="新格式里的海报",
        duration_seconds=1,
    )
    errors = wait_for(
        lambda: [e for e in reported_errors(screen) if "格式" in e],
        "the refusal was not reported",
    )
    assert errors == [
        "播放列表格式 2 比本播放器支持的格式 1 新，继续播放现有轮播，请更新播放器"
    ]
    # A restart, on line or off, still plays the loop this player took.
    for offline in (False, True):
        page.context.set_offline(offline)
        page.reload()
        wait_until_playing(page)
        assert set(wait_for_plays(page, 6)) == set(loop_ids(short_loop))
        assert page.evaluate(CACHED_PLAYLIST)["format"] == 1
    assert str(added.pk) not in played(page)
