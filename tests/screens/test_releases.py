"""Staged player releases: recording the installed player (idempotent, every
file kept), which release each screen runs (default, group pin, promotion,
pinning back), what the playlist tells a player, the versioned addresses
and their caching, and the admin's 播放器版本."""

import json
import re
from io import StringIO

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.templatetags.static import static

from screens import api, releases, rollout
from screens.models import PlayerRelease, PlayerReleasePin
from tests.screens.release_data import another_release

PLAYLIST = "/api/screens/playlist/"
ADMIN = "/admin/big-screen/releases/"


def record(*args: str) -> str:
    out = StringIO()
    call_command("record_player_release", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def installed_player():
    """The installed player read afresh, and again after the test (a test
    may change what is installed)."""
    releases.installed.cache_clear()
    yield releases.installed
    releases.installed.cache_clear()


@pytest.fixture
def next_player(installed_player, monkeypatch):
    """Install a changed player (a new deploy): its player.js differs."""

    def install() -> None:
        files = releases.installed_files()
        files["player.js"] += "\n// the next deploy\n"
        monkeypatch.setattr(releases, "installed_files", lambda: files)
        installed_player.cache_clear()

    return install


@pytest.fixture
def recorded(db, installed_player) -> PlayerRelease:
    record()
    return PlayerRelease.objects.get()


def playlist(client, paired, etag: str | None = None):
    headers = {"HTTP_IF_NONE_MATCH": etag} if etag else {}
    return client.get(PLAYLIST, **paired.headers, **headers)


# Recording ----------------------------------------------------------------------


def test_the_command_records_every_file_of_the_installed_player_once(
    db, installed_player
):
    first = record()
    release = PlayerRelease.objects.get()
    assert first == f"player release {release.version}: recorded, the default\n"
    assert release.version == api.player_version() == installed_player().version
    static_dir = releases.PLAYER_STATIC
    for name in ("player.js", "player.css", "sw.js"):
        assert release.files[name] == (static_dir / name).read_text(encoding="utf-8")
    assert 'data-version="{{ version }}"' in release.files["player.html"]
    # The messages as the code writes them, translated when served.
    assert release.messages["waiting"] == "等待管理员在后台输入配对码…"
    assert release.is_default and release.promoted_at

    again = record()
    assert again == f"player release {release.version}: already recorded, the default\n"
    assert PlayerRelease.objects.get() == release


def test_a_new_deploy_is_recorded_beside_the_default_without_replacing_it(
    recorded, next_player
):
    next_player()
    record()
    new = PlayerRelease.objects.exclude(pk=recorded.pk).get()
    assert new.files["player.js"].endswith("// the next deploy\n")
    assert new.files["sw.js"] == recorded.files["sw.js"]
    recorded.refresh_from_db()
    assert recorded.is_default and not new.is_default
    assert "the next deploy" not in recorded.files["player.js"]

    record("--promote")
    new.refresh_from_db()
    recorded.refresh_from_db()
    assert new.is_default and not recorded.is_default
    assert PlayerRelease.objects.count() == 2


def test_two_releases_cannot_both_be_the_default(recorded):
    from django.db import IntegrityError

    other = another_release(recorded, "second")
    with pytest.raises(IntegrityError):
        PlayerRelease.objects.filter(pk=other.pk).update(is_default=True)


# Which release a screen runs ----------------------------------------------------


def test_a_pin_applies_to_its_group_and_the_groups_below_until_promoted(
    recorded, screen_tree
):
    new = another_release(recorded, "new")
    assert {rollout.version_for(g) for g in screen_tree.groups} == {recorded.version}

    rollout.pin(screen_tree.county, new)
    runs = {group: rollout.version_for(group) for group in screen_tree.groups}
    assert runs[screen_tree.province] == runs[screen_tree.city] == recorded.version
    assert runs[screen_tree.county] == new.version
    assert runs[screen_tree.site] == runs[screen_tree.other_site] == new.version

    # A site pinned back to the default's release, under its pinned county.
    rollout.pin(screen_tree.other_site, recorded)
    assert rollout.version_for(screen_tree.other_site) == recorded.version
    assert rollout.version_for(screen_tree.site) == new.version

    rollout.promote(new)
    runs = {group: rollout.version_for(group) for group in screen_tree.groups}
    assert runs[screen_tree.province] == runs[screen_tree.site] == new.version
    # The pin to the promoted release is spent; the pin back stays.
    assert list(PlayerReleasePin.objects.values_list("group", "release")) == [
        (screen_tree.other_site.pk, recorded.pk)
    ]
    assert runs[screen_tree.other_site] == recorded.version

    rollout.unpin(screen_tree.other_site)
    assert rollout.version_for(screen_tree.other_site) == new.version


def test_before_any_release_is_recorded_screens_run_the_installed_player(
    client, paired_screen, installed_player
):
    body = playlist(client, paired_screen).json()
    assert body["player_version"] == installed_player().version
    assert body["player_url"] == "/player/"


def test_the_playlist_names_the_screens_release_and_changes_when_it_does(
    client, recorded, paired_screen, screen_tree
):
    first = playlist(client, paired_screen)
    assert first.json()["player_version"] == recorded.version
    assert first.json()["player_url"] == f"/player/r/{recorded.version}/"
    assert playlist(client, paired_screen, first["ETag"]).status_code == 304

    new = another_release(recorded, "new")
    rollout.pin(screen_tree.city, new)
    pinned = playlist(client, paired_screen, first["ETag"])
    assert pinned.status_code == 200
    assert pinned.json()["player_version"] == new.version
    assert pinned.json()["player_url"] == f"/player/r/{new.version}/"


def test_a_process_reuses_its_reading_of_the_fleet_within_the_setting(
    recorded, screen_tree, settings, django_assert_num_queries
):
    settings.BIG_SCREEN_RELEASE_SECONDS = 60
    rollout.recent_fleet.forget()
    rollout.version_for(screen_tree.site)
    with django_assert_num_queries(0):
        assert rollout.version_for(screen_tree.site) == recorded.version
    # A pin, an unpin or a promotion made in this process is seen at once.
    new = another_release(recorded, "new")
    rollout.pin(screen_tree.site, new)
    assert rollout.version_for(screen_tree.site) == new.version
    rollout.unpin(screen_tree.site)
    assert rollout.version_for(screen_tree.site) == recorded.version
    rollout.promote(new)
    assert rollout.version_for(screen_tree.site) == new.version
    with django_assert_num_queries(0):
        rollout.version_for(screen_tree.city)


def test_an_unchanged_poll_costs_no_query_for_the_release(
    client, recorded, paired_screen, settings, django_assert_num_queries
):
    settings.BIG_SCREEN_RELEASE_SECONDS = 60
    first = playlist(client, paired_screen)
    playlist(client, paired_screen, first["ETag"])  # the fast path learns it
    with django_assert_num_queries(2):  # the fast path's readings: screens, loops
        assert playlist(client, paired_screen, first["ETag"]).status_code == 304


# Addresses -------------------------------------------------------------------------


def page_config(response) -> dict:
    match = re.search(
        r'<script id="player-config" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    return json.loads(match.group(1))


def test_the_player_address_serves_the_installed_player_before_any_release(
    client, db, installed_player
):
    response = client.get("/player/")
    html = response.content.decode()
    assert response["Cache-Control"] == "no-cache"
    assert f'src="{static("big_screen/player.js")}"' in html
    assert page_config(response)["version"] == installed_player().version
    worker = client.get("/player/sw.js")
    assert worker["Service-Worker-Allowed"] == "/player/"
    assert static("big_screen/player.css") in worker.content.decode()


def test_the_player_address_serves_the_default_release_from_its_own_files(
    client, recorded
):
    response = client.get("/player/")
    html = response.content.decode()
    base = f"/player/r/{recorded.version}/"
    assert f'src="{base}player.js"' in html and f'href="{base}player.css"' in html
    config = page_config(response)
    assert config["version"] == recorded.version
    assert (config["scope"], config["serviceWorker"]) == ("/player/", "/player/sw.js")
    assert config["messages"]["waiting"] == "等待管理员在后台输入配对码…"
    worker = client.get("/player/sw.js").content.decode()
    sw_config = json.loads(worker.split("\n", 1)[0][len("const CONFIG = ") : -1])
    assert sw_config["scope"] == "/player/"
    assert sw_config["shell"] == ["/player/", f"{base}player.js", f"{base}player.css"]
    assert sw_config["caches"]["shell"] == "kepu-player-shell-"


def test_a_release_address_has_its_own_scope_and_immutable_files(client, recorded):
    new = another_release(recorded, "new")
    base = f"/player/r/{new.version}/"
    page = client.get(base)
    assert page.status_code == 200 and page["Cache-Control"] == "no-cache"
    config = page_config(page)
    assert (config["version"], config["scope"]) == (new.version, base)
    assert config["serviceWorker"] == f"{base}sw.js"
    assert config["caches"]["shell"] == f"kepu-player-shell@{base}"
    assert f'src="{base}player.js"' in page.content.decode()

    script = client.get(f"{base}player.js")
    assert script.content.decode() == new.files["player.js"]
    assert script["Content-Type"] == "text/javascript; charset=utf-8"
    assert script["Cache-Control"] == "public, max-age=31536000, immutable"
    again = client.get(f"{base}player.js", HTTP_IF_NONE_MATCH=script["ETag"])
    assert again.status_code == 304
    style = client.get(f"{base}player.css")
    assert style["Content-Type"] == "text/css; charset=utf-8"
    # The other release is still served as recorded, side by side.
    old = client.get(f"/player/r/{recorded.version}/player.js").content.decode()
    assert old == recorded.files["player.js"] != new.files["player.js"]

    worker = client.get(f"{base}sw.js")
    assert worker["Service-Worker-Allowed"] == base
    assert worker["Cache-Control"] == "no-cache"
    assert worker.content.decode().endswith(new.files["sw.js"])
    unchanged = client.get(f"{base}sw.js", HTTP_IF_NONE_MATCH=worker["ETag"])
    assert unchanged.status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "/player/r/0000000000000000/",
        "/player/r/0000000000000000/sw.js",
        "/player/r/0000000000000000/player.js",
        "/player/r/{version}/player.html",
        "/player/r/{version}/sw.json",
    ],
)
def test_unknown_releases_and_files_are_not_found(client, recorded, path):
    assert client.get(path.format(version=recorded.version)).status_code == 404


# Admin -------------------------------------------------------------------------------


def admin_user(*codenames: str) -> User:
    user = User.objects.create_user(f"user{len(codenames)}", password="pw")
    for codename in ("access_admin", *codenames):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


@pytest.fixture
def rollout_admin(client, db):
    client.force_login(User.objects.create_superuser("yunwei", "y@example.org", "pw"))
    return client


def release_row(html: str, version: str) -> str:
    return re.search(rf'<tr data-release="{version}">(.*?)</tr>', html, re.S).group(1)


def cell(row: str, name: str) -> int:
    return int(re.search(rf"<td data-{name}>(\d+)</td>", row).group(1))


def test_the_listing_counts_the_screens_running_and_due_to_run_each_release(
    rollout_admin, recorded, screen_tree, make_screen
):
    new = another_release(recorded, "new")
    rollout.pin(screen_tree.site, new)
    site, other_site = screen_tree.site, screen_tree.other_site
    old = recorded.version
    make_screen(site, name="屏0", token_hash="t0", player_version=new.version)
    make_screen(site, name="屏1", token_hash="t1", player_version=old)
    make_screen(other_site, name="屏2", token_hash="t2", player_version=old)
    make_screen(site, name="旧播放器", token_hash="t3", player_version="old")
    make_screen(site, name="未配对", player_version=old)
    make_screen(site, name="未发心跳", token_hash="t4", player_version="")

    html = rollout_admin.get(ADMIN).content.decode()
    assert "播放器版本" in html and "固定到分组" in html and "设为默认" in html
    old_row = release_row(html, recorded.version)
    new_row = release_row(html, new.version)
    assert ">默认</span>" in old_row and ">默认</span>" not in new_row
    assert str(screen_tree.site) in new_row and "取消固定" in new_row
    assert (cell(old_row, "running"), cell(old_row, "assigned")) == (2, 1)
    assert (cell(new_row, "running"), cell(new_row, "assigned")) == (1, 4)
    assert "另有 1 台大屏运行未记录的旧版本" in html


def test_pin_promote_and_unpin_from_the_admin(rollout_admin, recorded, screen_tree):
    new = another_release(recorded, "new")
    pin_page = rollout_admin.get(f"{ADMIN}pin/{new.pk}/")
    assert "把播放器版本" in pin_page.content.decode()
    answer = rollout_admin.post(f"{ADMIN}pin/{new.pk}/", {"group": screen_tree.city.pk})
    assert answer.status_code == 302
    assert rollout.version_for(screen_tree.site) == new.version
    refused = rollout_admin.post(f"{ADMIN}pin/{new.pk}/", {"group": "999999"})
    assert refused.status_code == 200
    assert "选择一个有效的选项" in refused.content.decode()

    pin = PlayerReleasePin.objects.get()
    question = rollout_admin.get(f"{ADMIN}unpin/{pin.pk}/").content.decode()
    assert f"取消「{screen_tree.city}」的版本固定" in question
    rollout_admin.post(f"{ADMIN}unpin/{pin.pk}/")
    assert not PlayerReleasePin.objects.exists()
    assert rollout.version_for(screen_tree.site) == recorded.version

    question = rollout_admin.get(f"{ADMIN}promote/{new.pk}/").content.decode()
    assert f"将播放器版本 {new.version} 设为默认" in question
    done = rollout_admin.post(f"{ADMIN}promote/{new.pk}/", follow=True)
    assert f"播放器版本 {new.version} 已设为默认" in done.content.decode()
    assert f"{ADMIN}promote/{new.pk}/" not in done.content.decode()
    assert PlayerRelease.objects.get(is_default=True) == new


def test_only_users_with_a_permission_on_releases_see_them(client, recorded):
    client.force_login(admin_user("view_screen"))
    assert client.get(ADMIN)["Location"] == "/admin/"
    assert ADMIN not in client.get("/admin/").content.decode()


def test_the_release_permissions_can_be_given_to_a_group_in_the_admin(
    rollout_admin,
):
    html = rollout_admin.get("/admin/groups/new/").content.decode()
    for codename in ("view_playerrelease", "change_playerrelease"):
        permission = Permission.objects.get(codename=codename)
        assert f'value="{permission.pk}"' in html


def test_viewers_read_the_listing_but_cannot_pin_or_promote(
    client, recorded, screen_tree
):
    new = another_release(recorded, "new")
    client.force_login(admin_user("view_playerrelease"))
    html = client.get(ADMIN).content.decode()
    assert new.version in html
    assert f"{ADMIN}promote/" not in html and f"{ADMIN}pin/" not in html
    assert ADMIN in client.get("/admin/").content.decode()
    pin = client.post(f"{ADMIN}pin/{new.pk}/", {"group": screen_tree.site.pk})
    promote = client.post(f"{ADMIN}promote/{new.pk}/")
    assert pin.status_code == promote.status_code == 302
    assert pin["Location"] == promote["Location"] == "/admin/"
    assert not PlayerReleasePin.objects.exists()
    assert PlayerRelease.objects.get(is_default=True) == recorded
