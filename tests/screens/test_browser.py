"""The big-screen player in real Chromium against the live server: pairing,
the loop in order, a card, an emergency, a withdrawn item, playing through a
network cut with proof of play sent afterwards, a revoked token, a new
deploy, and the minutes of a network cut counted as on (and late) from the
heartbeats queued during it."""

import time
from datetime import datetime, timedelta
from io import BytesIO
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.files.images import ImageFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageChops, ImageStat
from wagtail.images.models import Image as WagtailImage

from channels.models import AdvisoryRecipient
from cms.advisories import withdraw
from screens import api, minutes, pairing, releases
from screens.admin_views import confirmation_rows
from screens.models import (
    AdvisoryConfirmation,
    EmergencyItem,
    Heartbeat,
    PlayerRelease,
    PlaylistItem,
    PlayRecord,
    Screen,
)
from screens.player import CACHE_NAMES
from screens.playlist import resolve_for_screen

POLL_SECONDS = 2
WAIT_MS = 15_000  # generous: a poll interval plus loading, on a busy machine
VIEWPORT = {"width": 960, "height": 540}
# Records every value <body data-playing> takes, from the page's first moment.
RECORD_PLAYING = """
window.played = [];
new MutationObserver(() => {
    const playing = document.body && document.body.dataset.playing;
    if (playing && playing !== window.played[window.played.length - 1]) {
        window.played.push(playing);
    }
}).observe(document, { subtree: true, attributes: true,
                       attributeFilter: ["data-playing"] });
"""
QUEUED_PLAYS = """
() => new Promise((resolve, reject) => {
    const opening = indexedDB.open("kepu-player");
    opening.onerror = () => reject(opening.error);
    opening.onsuccess = () => {
        const store = opening.result.transaction("plays").objectStore("plays");
        const request = store.getAll();
        request.onsuccess = () => resolve(request.result.map((play) => play.id));
    };
})
"""
CACHED_URLS = """
async (name) => (await (await caches.open(name)).keys()).map((request) => request.url)
"""

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def player_url(live_server, settings, screens_media):
    settings.BIG_SCREEN_POLL_SECONDS = POLL_SECONDS
    cache.clear()  # each test's players get a fresh pairing budget
    return f"{live_server.url}/player/"


@pytest.fixture
def open_player(browser, player_url):
    """Open the player in a fresh browser profile; the page's requests
    (the Service Worker's too) are listed in page.requests."""
    contexts = []

    def open_(query: str = ""):
        context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
        contexts.append(context)
        context.add_init_script(RECORD_PLAYING)
        page = context.new_page()
        page.requests = []
        context.on("request", lambda request: page.requests.append(request))
        page.goto(player_url + query)
        return page

    yield open_
    for context in contexts:
        context.close()


def shown_code(page) -> str:
    code = page.locator("[data-pairing-code]")
    page.wait_for_function(
        "document.querySelector('[data-pairing-code]').textContent.length === 6",
        timeout=WAIT_MS,
    )
    return code.inner_text()


def wait_until_playing(page) -> None:
    page.wait_for_selector("body[data-state=playing]", timeout=WAIT_MS)


def pair(page, group, name: str = "文化广场大屏") -> Screen:
    screen = pairing.claim(shown_code(page), group=group, name=name)
    wait_until_playing(page)
    return screen


def wait_for(condition, message: str, seconds: float = WAIT_MS / 1000):
    """Poll the database (or anything) until `condition()` is truthy."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.2)
    raise AssertionError(message)


def wait_in_page(page, predicate: str, message: str, seconds: float = WAIT_MS / 1000):
    """Poll an async predicate in the page until it is truthy (Playwright's
    wait_for_function takes a returned promise as truthy at once)."""
    return wait_for(lambda: page.evaluate(predicate), message, seconds)


def played(page) -> list[str]:
    return page.evaluate("window.played")


def wait_for_plays(page, count: int) -> list[str]:
    page.wait_for_function(f"window.played.length >= {count}", timeout=30_000)
    return played(page)


@pytest.fixture
def short_loop(screen_loop):
    """The fixture loop, quick: the 1-second video, the card for 2 seconds,
    the image for 1 second and all day (its fixture plays weekday mornings)."""
    PlaylistItem.objects.filter(pk=screen_loop.card.pk).update(duration_seconds=2)
    PlaylistItem.objects.filter(pk=screen_loop.image.pk).update(
        duration_seconds=1, day_parts=[]
    )
    return screen_loop


def loop_ids(loop) -> list[str]:
    return [str(loop.video.pk), str(loop.card.pk), str(loop.image.pk)]


def platform_fonts(page, selector: str) -> dict[str, int]:
    """Font family → glyphs Chromium actually drew the element's text with."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})
    return {font["familyName"]: font["glyphCount"] for font in fonts["fonts"]}


def is_accent(pixel: tuple[int, int, int]) -> bool:
    red, green, blue = pixel
    return red > 200 and 150 < green < 230 and blue < 80  # cards.ACCENT


def ink_runs(picture, is_ink) -> list[int]:
    """The inked pixels of each run of columns that have ink."""
    width, height = picture.size
    pixels = picture.load()
    columns = [
        sum(1 for y in range(height) if is_ink(pixels[x, y])) for x in range(width)
    ]
    runs, ink = [], 0
    for count in [*columns, 0]:
        if count:
            ink += count
        elif ink:
            runs.append(ink)
            ink = 0
    return runs


# Pairing ----------------------------------------------------------------------


def test_a_new_player_shows_a_code_and_plays_once_an_operator_pairs_it_in_the_admin(
    open_player, screen_tree, short_loop
):
    page = open_player()
    code = shown_code(page)
    hint = page.locator(".pairing__hint").inner_text()
    assert hint == "请在管理后台「科普大屏 → 大屏 → 配对新大屏」输入此配对码"
    # Every character of the instructions is drawn in the CJK font: no tofu.
    fonts = platform_fonts(page, ".pairing__hint")
    assert set(fonts) == {"Noto Sans CJK SC"}, fonts
    assert fonts["Noto Sans CJK SC"] >= 20

    User.objects.create_superuser("yunwei", "yunwei@example.org", "pw")
    operator = Client()
    operator.login(username="yunwei", password="pw")
    form = {
        "code": code.lower(),
        "group": screen_tree.site.pk,
        "name": "文化广场大屏",
        "location": "广场东侧",
        "orientation": "landscape",
    }
    answer = operator.post(reverse("big_screen_screens:pair"), form)
    assert answer.status_code == 302
    wait_until_playing(page)
    assert page.locator("[data-pairing]").is_hidden()

    screen = Screen.objects.get(name="文化广场大屏")
    assert wait_for(
        lambda: Heartbeat.objects.filter(screen=screen).exists(), "no heartbeat"
    )
    screen.refresh_from_db()
    assert screen.player_version == api.player_version()
    # The token travels only in the Authorization header, never in a URL.
    bearer = {
        request.headers.get("authorization", "")
        for request in page.requests
        if "/api/screens/playlist/" in request.url
    }
    token = bearer.pop().removeprefix("Bearer ")
    assert not bearer and pairing.digest(token) == screen.token_hash
    assert not [r.url for r in page.requests if token in r.url]
    assert token not in page.url


# The loop -----------------------------------------------------------------------


@pytest.fixture
def broken_image(screens_media):
    """An image whose file has gone from storage (a 404 for the player)."""
    buffer = BytesIO()
    Image.new("RGB", (64, 36), "#884400").save(buffer, "PNG")
    image = WagtailImage.objects.create(
        title="丢失的海报", file=ImageFile(buffer, name="lost.png")
    )
    default_storage.delete(image.file.name)
    return image


def test_the_player_plays_the_loop_in_order_skipping_what_is_not_due_or_broken(
    open_player, screen_tree, short_loop, broken_image
):
    today = timezone.localdate()
    other_weekday = (today.isoweekday() + 1) % 7 + 1  # the day after tomorrow
    site = screen_tree.site
    PlaylistItem.objects.create(
        group=site,
        kind="image",
        image=short_loop.image.image,
        title="明天才开始",
        duration_seconds=1,
        starts_on=today + timedelta(days=1),
    )
    PlaylistItem.objects.create(
        group=site,
        kind="image",
        image=short_loop.image.image,
        title="另一天的时段",
        duration_seconds=1,
        day_parts=[{"days": [other_weekday], "start": "00:00", "end": "24:00"}],
    )
    broken = PlaylistItem.objects.create(
        group=site, kind="image", image=broken_image, duration_seconds=1
    )
    page = open_player("?heartbeat=2")
    screen = pair(page, site)

    expected = loop_ids(short_loop)
    assert wait_for_plays(page, 7)[:6] == expected * 2

    # Proof of play arrives in the same order, with the seconds played.
    records = wait_for(
        lambda: (rows := list(PlayRecord.objects.order_by("started_at")))[5:] and rows,
        "fewer than six plays arrived",
    )
    assert [str(r.item_id) for r in records[:6]] == expected * 2
    seconds = {str(r.item_id): r.seconds for r in records[:3]}
    assert 0.8 <= seconds[expected[0]] <= 1.5  # the whole one-second clip
    assert 1.9 <= seconds[expected[1]] <= 3
    assert 0.9 <= seconds[expected[2]] <= 2
    assert {r.screen_id for r in records} == {screen.pk}

    # The broken item was skipped and reported in a heartbeat.
    def reported():
        beats = Heartbeat.objects.filter(screen=screen).values_list("errors", flat=True)
        return [error for errors in beats for error in errors]

    errors = wait_for(reported, "no error was reported")
    assert {error["item"] for error in errors} == {broken.pk}
    assert "丢失的海报" in errors[0]["message"]


def test_an_article_card_fills_the_screen_as_drawn_in_the_cjk_font(
    open_player, screen_tree, make_article
):
    article = make_article(title="地震来了怎么办")
    card = PlaylistItem.objects.create(
        group=screen_tree.city, kind="card", page=article, duration_seconds=60
    )
    page = open_player()
    screen = pair(page, screen_tree.site)
    page.wait_for_selector(f"body[data-playing='{card.pk}'][data-kind=card]")
    image = page.locator(".slot.is-current img")
    url = resolve_for_screen(screen).entries[0]["url"]
    assert image.get_attribute("src") == url
    page.wait_for_function(
        "document.querySelector('.slot.is-current img').naturalWidth === 1920"
    )

    shot = Image.open(BytesIO(page.screenshot())).convert("RGB")
    card = b"".join(Client().get(url).streaming_content)  # as a screen gets it
    drawn = Image.open(BytesIO(card)).convert("RGB").resize(shot.size)
    # What the screen shows is the card as the server drew it, whole.
    difference = ImageStat.Stat(ImageChops.difference(shot, drawn)).mean
    assert max(difference) < 6, difference
    # The title (top right, in the accent colour) is drawn in glyphs: the
    # runs of inked columns differ in ink, where the missing-glyph boxes of
    # a font without Chinese ("tofu") would all be the same.
    inks = ink_runs(shot.crop((512, 40, 920, 202)), is_accent)
    assert len(inks) >= 4, inks
    assert max(inks) > 1.5 * min(inks), inks


# Emergency ---------------------------------------------------------------------


def test_an_emergency_takes_over_within_the_poll_interval_and_is_confirmed(
    open_player, screen_tree, short_loop
):
    page = open_player()
    screen = pair(page, screen_tree.site)
    wait_for_plays(page, 2)
    now = timezone.now()
    emergency = EmergencyItem.objects.create(
        group=screen_tree.county,
        title="暴雨红色预警",
        message="请立即停止户外活动，远离河道与低洼地带。",
        duration_seconds=3,
        starts_at=now - timedelta(seconds=1),
        ends_at=now + timedelta(minutes=10),
    )
    # One poll interval, plus a second for the player's watch and loading.
    page.wait_for_selector(
        f"body[data-playing=emergency][data-emergency='{emergency.pk}']",
        timeout=(POLL_SECONDS + 3) * 1000,
    )
    shown = page.locator(".slot.is-current img").get_attribute("src")
    assert shown == resolve_for_screen(screen).emergency["url"]

    def confirmed():
        rows = confirmation_rows(emergency)
        return [row for row in rows if row["confirmed_at"]]

    rows = wait_for(confirmed, "the screen did not confirm the emergency")
    assert [row["screen"] for row in rows] == [screen]

    EmergencyItem.objects.filter(pk=emergency.pk).update(cancelled_at=timezone.now())
    page.wait_for_function(
        "document.body.dataset.playing !== 'emergency'",
        timeout=(POLL_SECONDS + 3) * 1000,
    )
    assert played(page)[-1] in loop_ids(short_loop)
    assert wait_for(
        lambda: PlayRecord.objects.filter(emergency=emergency).exists(),
        "the emergency's play was not recorded",
    )


# Withdrawal ----------------------------------------------------------------------


def test_a_withdrawn_item_leaves_the_screen_and_its_cache_and_the_screen_confirms(
    open_player, screen_tree, short_loop
):
    card = short_loop.card  # the article's card, set on the city
    PlaylistItem.objects.filter(pk=card.pk).update(duration_seconds=60)
    page = open_player()
    screen = pair(page, screen_tree.site)
    card_url = next(
        entry["url"]
        for entry in resolve_for_screen(screen).entries
        if entry["id"] == card.pk
    )
    page.wait_for_selector(f"body[data-playing='{card.pk}']", timeout=WAIT_MS)
    cached_paths = f"""async () => (await ({CACHED_URLS})("{CACHE_NAMES["media"]}"))
        .map((url) => new URL(url).pathname)"""
    wait_in_page(
        page,
        f"async () => (await ({cached_paths})()).includes({card_url!r})",
        "the card was not cached",
    )

    withdraw(short_loop.article, reason="结论有误")
    withdrawn_at = time.monotonic()
    # Within one poll interval (and a second for the player): off the screen,
    # out of the loop, its card gone from Cache Storage, the rest still there.
    page.wait_for_function(
        f"document.body.dataset.playing !== '{card.pk}'",
        timeout=(POLL_SECONDS + 1) * 1000,
    )
    wait_in_page(
        page,
        f"async () => !(await ({cached_paths})()).includes({card_url!r})",
        "the withdrawn card stayed in the cache",
        POLL_SECONDS + 1,
    )
    assert time.monotonic() - withdrawn_at < POLL_SECONDS + 1
    cached = set(page.evaluate(cached_paths))
    assert cached == {e["url"] for e in resolve_for_screen(screen).entries}
    assert len(cached) == 2
    before = len(played(page))
    assert str(card.pk) not in wait_for_plays(page, before + 3)[before:]

    row = AdvisoryRecipient.objects.get(channel="big_screen")
    assert row.reference == f"group:{screen_tree.city.pk}"
    confirmation = wait_for(
        lambda: AdvisoryConfirmation.objects.filter(screen=screen).first(),
        "the screen did not confirm the withdrawal",
        seconds=POLL_SECONDS + 3,
    )
    assert confirmation.advisory_id == row.advisory_id
    row = wait_for(
        lambda: AdvisoryRecipient.objects.filter(
            pk=row.pk, state="acknowledged"
        ).first(),
        "the group's row was not acknowledged",
        seconds=POLL_SECONDS + 3,
    )
    assert row.detail == "1/1 台已确认"


# Offline -----------------------------------------------------------------------


def test_the_player_plays_on_through_a_network_cut_and_sends_its_plays_after(
    open_player, screen_tree, short_loop
):
    page = open_player()
    pair(page, screen_tree.site)
    media_urls = {
        entry["url"] for entry in resolve_for_screen(Screen.objects.get()).entries
    }
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    wait_in_page(
        page,
        f"""async () => (await ({CACHED_URLS})("{CACHE_NAMES["media"]}")).length === 3
            && (await ({CACHED_URLS})("{CACHE_NAMES["data"]}")).length === 1""",
        "the loop was not cached",
    )
    cached = page.evaluate(CACHED_URLS, CACHE_NAMES["media"])
    assert {urlsplit(url).path for url in cached} == media_urls

    page.context.set_offline(True)
    cut_at = timezone.now()
    before = len(played(page))
    # Two rounds of the loop with no network: every item, the video included.
    after = wait_for_plays(page, before + 6)
    assert set(after[before:]) == set(loop_ids(short_loop))
    assert page.evaluate("document.body.dataset.online") == "false"
    # A restart while offline: the page, the playlist and the media all come
    # from the caches and the loop goes on.
    page.reload()
    wait_until_playing(page)
    wait_for_plays(page, 2)
    queued = page.evaluate(QUEUED_PLAYS)
    assert len(queued) >= 6
    assert not PlayRecord.objects.filter(started_at__gte=cut_at).exists()

    page.context.set_offline(False)
    arrived = wait_for(
        lambda: (
            (rows := PlayRecord.objects.filter(play_id__in=queued)).count()
            == len(queued)
            and rows
        ),
        "the queued plays did not all arrive",
    )
    video_plays = [r for r in arrived if r.item_id == short_loop.video.pk]
    assert video_plays and all(r.seconds >= 0.8 for r in video_plays)
    wait_in_page(
        page,
        f"async () => !(await ({QUEUED_PLAYS})()).some("
        f"(id) => {list(map(str, queued))!r}.includes(id))",
        "the sent plays stayed queued",
    )
    assert page.evaluate("document.body.dataset.online") == "true"


# Revoked token, new deploy -------------------------------------------------------


def test_a_player_refused_for_too_many_pairings_waits_as_told(
    open_player, settings, screen_tree
):
    settings.BIG_SCREEN_PAIRINGS_PER_ADDRESS = 1
    # Budgets count in minute windows: leave the refusal most of one.
    if (left := 60 - time.time() % 60) < 25:
        time.sleep(left)
    pair_url = reverse("big_screen:pair")
    assert Client().post(pair_url, {}, "application/json").status_code == 201
    page = open_player()
    page.wait_for_function(
        "document.querySelector('[data-pairing-status]').textContent"
        " === '配对请求过多，稍后自动重试…'",
        timeout=WAIT_MS,
    )
    time.sleep(8)  # past the 5 s a player used to wait between attempts
    asked = [
        r for r in page.requests if r.method == "POST" and r.url.endswith(pair_url)
    ]
    assert len(asked) == 1


def test_a_revoked_player_shows_a_new_pairing_code(
    open_player, screen_tree, short_loop
):
    page = open_player()
    old_code = shown_code(page)
    screen = pairing.claim(old_code, group=screen_tree.site, name="候车厅大屏")
    wait_until_playing(page)
    pairing.revoke(screen)
    page.wait_for_selector(
        "body[data-state=pairing]", timeout=(POLL_SECONDS + 3) * 1000
    )
    assert shown_code(page) != old_code
    assert page.locator(".slot.is-current").count() == 0


def test_a_new_deploy_reloads_the_player_after_the_current_item(
    open_player, screen_tree, short_loop, monkeypatch
):
    page = open_player()
    pair(page, screen_tree.site)
    wait_for_plays(page, 2)
    served = page.evaluate("document.body.dataset.version")
    assert served == api.player_version()
    # Another player installed, before any release is recorded.
    installed = releases.installed()
    deployed = PlayerRelease(
        version="next-deploy", files=installed.files, messages=installed.messages
    )
    monkeypatch.setattr(releases, "installed", lambda: deployed)
    page.wait_for_selector("body[data-version=next-deploy]", timeout=WAIT_MS)
    wait_until_playing(page)
    # The plays queued before the reload are sent by the reloaded page.
    assert wait_for(
        lambda: PlayRecord.objects.count() >= 2, "plays before the reload were lost"
    )


# Offline minutes -------------------------------------------------------------------

OFFLINE_LATE_AFTER = timedelta(seconds=5)  # not minutes: a short cut is late
QUEUED_BEATS = """
() => new Promise((resolve, reject) => {
    const opening = indexedDB.open("kepu-player");
    opening.onerror = () => reject(opening.error);
    opening.onsuccess = () => {
        const store = opening.result.transaction("beats").objectStore("beats");
        const counting = store.count();
        counting.onsuccess = () => resolve(counting.result);
    };
})
"""


def minute_of(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def clock_text(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local:%H:%M}" if local.time() != local.time().min else "24:00"


def open_only(first: datetime, last: datetime) -> list[dict]:
    """Opening hours of exactly the minutes [first, last) of first's local
    day (up to its midnight)."""
    local_first = timezone.localtime(first)
    midnight = (local_first + timedelta(days=1)).replace(hour=0, minute=0)
    end = min(timezone.localtime(last), midnight)
    weekday = local_first.isoweekday()
    return [{"days": [weekday], "start": clock_text(first), "end": clock_text(end)}]


def test_minutes_played_through_a_network_cut_count_as_on_and_are_marked_late(
    open_player, screen_tree, short_loop, monkeypatch
):
    monkeypatch.setattr(minutes, "LATE_AFTER", OFFLINE_LATE_AFTER)
    page = open_player("?heartbeat=2")
    screen = pair(page, screen_tree.site)
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    wait_in_page(
        page,
        f"""async () => (await ({CACHED_URLS})("{CACHE_NAMES["media"]}")).length === 3
            && (await ({CACHED_URLS})("{CACHE_NAMES["data"]}")).length === 1""",
        "the loop was not cached",
    )
    wait_for(lambda: Heartbeat.objects.filter(screen=screen).exists(), "no heartbeat")
    online = list(Heartbeat.objects.filter(screen=screen).values_list("pk", flat=True))

    page.context.set_offline(True)
    cut_at = timezone.now()
    first = minute_of(cut_at) + timedelta(minutes=1)
    before = len(played(page))
    # A whole minute inside the cut, and the cut going on past its end long
    # enough that even its last beats reach the server late.
    restore_at = first + timedelta(minutes=1) + 2 * OFFLINE_LATE_AFTER
    wait_for(lambda: timezone.now() >= restore_at, "the clock stopped", seconds=150)
    last = minute_of(timezone.now())
    assert page.evaluate(QUEUED_BEATS) >= 30  # one every two seconds
    assert not Heartbeat.objects.filter(screen=screen, minute__gte=first).exists()
    wait_for_plays(page, before + 3)  # the loop played on

    page.context.set_offline(False)
    cut = [first + timedelta(minutes=n) for n in range((last - first).seconds // 60)]
    arrived = wait_for(
        lambda: (
            (rows := Heartbeat.objects.filter(screen=screen, minute__in=cut)).count()
            == len(cut)
            and rows
        ),
        "the queued heartbeats did not arrive",
    )
    assert all(row.received_at > row.minute + timedelta(minutes=1) for row in arrived)
    wait_in_page(
        page, f"async () => (await ({QUEUED_BEATS})()) === 0", "beats stayed queued"
    )
    on_time = timedelta(minutes=1) + OFFLINE_LATE_AFTER
    live = Heartbeat.objects.filter(pk__in=online)
    assert all(row.received_at <= row.minute + on_time for row in live)

    # The report over exactly the minutes of the cut: all on, all late.
    Screen.objects.filter(pk=screen.pk).update(opening_hours=open_only(first, last))
    User.objects.create_superuser("yunwei", "yunwei@example.org", "pw")
    operator = Client()
    operator.login(username="yunwei", password="pw")
    day = timezone.localtime(first).date().isoformat()
    response = operator.get(f"/admin/big-screen/reports/?period=day&date={day}")
    (line,) = response.context["report"].screens
    counted = line.minutes
    assert counted.opening >= 1 and counted.uptime == 1.0
    assert counted.late == counted.on == counted.opening
    html = response.content.decode()
    assert "100.0%" in html
