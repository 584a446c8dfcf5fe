"""Remote care in the admin: issuing 截图, 立即刷新 and 清除缓存 to a screen
or a group (revoked and unpaired screens refused), who may issue and who
may look, the players' reports in the screen list, and each command with
its state and the latest screenshot on the care pages."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone
from PIL import Image

from screens import commands, pairing
from screens.models import Screen, ScreenCommand
from tests.organisation_fixtures import join_root_organisation

ADMIN = "/admin/big-screen"


@pytest.fixture
def admin_client(client, db):
    user = User.objects.create_superuser("yunwei", "yunwei@example.org", "pw")
    client.force_login(user)
    return client


@pytest.fixture
def staff_client(db):
    """A client for a staff member (of the root organisation) with these
    screen permissions only."""

    def make(*codenames: str) -> Client:
        user = User.objects.create_user(f"staff-{User.objects.count()}", password="pw")
        join_root_organisation(user)
        for codename in ("access_admin", *codenames):
            user.user_permissions.add(Permission.objects.get(codename=codename))
        client = Client()
        client.force_login(user)
        return client

    return make


def care_url(screen) -> str:
    return f"{ADMIN}/screens/care/{screen.pk}/"


def group_care_url(group) -> str:
    return f"{ADMIN}/groups/care/{group.pk}/"


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def issue(client, url: str, kind: str):
    """Press a command's button; the page the operator lands on."""
    return client.post(url, {"kind": kind}, follow=True)


def denied(response) -> bool:
    """Wagtail's answer to staff without the permission: back to the
    dashboard with a message."""
    return response.status_code == 302 and response["Location"] == "/admin/"


def jpeg() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (64, 36), "#0b6e75").save(buffer, "JPEG")
    return buffer.getvalue()


def test_an_operator_takes_a_screenshot_of_a_screen_and_sees_it_pending(
    admin_client, paired_screen
):
    screen = paired_screen.screen
    page = admin_client.get(care_url(screen)).content.decode()
    assert "远程运维" in page and "还没有截图" in page
    for label in ("截图", "立即刷新", "清除缓存"):
        assert f">{label}</button>" in page

    answer = issue(admin_client, care_url(screen), "screenshot")
    assert answer.redirect_chain == [(care_url(screen), 302)]
    assert said(answer) == ["已向「文化广场大屏」下发「截图」命令，等待大屏确认"]
    command = ScreenCommand.objects.get()
    assert (command.screen, command.kind, command.state) == (
        screen,
        "screenshot",
        "pending",
    )
    assert command.issued_by.username == "yunwei"
    assert command.expires_at == command.issued_at + commands.LIFETIME
    shown = admin_client.get(care_url(screen)).content.decode()
    assert f'data-command="{command.pk}" data-state="pending"' in shown
    assert "待下发" in shown and "yunwei" in shown


def test_the_care_page_shows_every_state_and_the_latest_screenshot_to_staff_only(
    admin_client, paired_screen, staff_client
):
    screen = paired_screen.screen
    shot, reload, clear = (
        commands.issue_to_screen(screen, kind)
        for kind in ("screenshot", "reload", "clear_cache")
    )
    commands.fetch(screen)
    commands.attach_screenshot(screen, shot.pk, jpeg())
    commands.acknowledge(screen, clear.pk, "缓存被占用")
    waiting = commands.issue_to_screen(screen, "reload")

    page = admin_client.get(care_url(screen)).content.decode()
    for command, state, label in (
        (shot, "acknowledged", "已确认"),
        (reload, "sent", "已下发"),
        (clear, "failed", "失败"),
        (waiting, "pending", "待下发"),
    ):
        assert f'data-command="{command.pk}" data-state="{state}"' in page
        assert label in page
    assert "缓存被占用" in page
    address = f"{ADMIN}/screens/screenshots/{shot.pk}/"
    assert f'<img src="{address}"' in page

    picture = admin_client.get(address)
    assert picture.status_code == 200 and picture["Content-Type"] == "image/jpeg"
    assert b"".join(picture.streaming_content) == jpeg()
    assert picture["Cache-Control"].startswith("private")
    viewer = staff_client("view_screen")
    assert viewer.get(address).status_code == 200
    outsider = staff_client()
    assert denied(outsider.get(address))
    anonymous = Client().get(address)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    missing = f"{ADMIN}/screens/screenshots/{reload.pk}/"
    assert admin_client.get(missing).status_code == 404


def test_the_screen_list_shows_what_players_report(admin_client, paired_screen):
    now = timezone.now()
    Screen.objects.filter(pk=paired_screen.screen.pk).update(
        last_seen_at=now,
        player_version="3f9a1c2b7d4e5a60",
        storage_free_bytes=5 * 1024**3,
        player_started_at=now - timedelta(days=2, hours=3),
        last_error="无法播放「疫苗小课堂」：decode",
    )
    page = admin_client.get(f"{ADMIN}/screens/").content.decode()
    for text in (
        "播放器版本",
        "剩余存储",
        "运行时长",
        "最近错误",
        "3f9a1c2b7d4e5a60",
        "5.0\xa0GB",
        "2\xa0日，3\xa0小时",
        "无法播放「疫苗小课堂」：decode",
        care_url(paired_screen.screen),
    ):
        assert text in page, text


def test_a_revoked_or_unpaired_screen_is_refused_commands(
    admin_client, paired_screen, make_screen
):
    pairing.revoke(paired_screen.screen)
    answer = issue(admin_client, care_url(paired_screen.screen), "reload")
    assert said(answer) == ["「文化广场大屏」已吊销，不能下发命令"]
    never = make_screen(name="未配对大屏")
    answer = issue(admin_client, care_url(never), "reload")
    assert said(answer) == ["「未配对大屏」尚未配对，不能下发命令"]
    assert not ScreenCommand.objects.exists()
    page = admin_client.get(care_url(paired_screen.screen)).content.decode()
    assert "已吊销" in page


def test_an_unknown_command_is_refused(admin_client, paired_screen):
    answer = issue(admin_client, care_url(paired_screen.screen), "format_disk")
    assert said(answer) == ["未知的命令"]
    assert not ScreenCommand.objects.exists()


def test_a_group_command_reaches_every_paired_screen_below_it(
    admin_client, screen_tree, pair_screen, make_screen
):
    site = pair_screen(screen_tree.site, name="广场屏")
    other_site = pair_screen(screen_tree.other_site, name="候车厅屏")
    revoked = pair_screen(screen_tree.county, name="县馆屏")
    pairing.revoke(revoked.screen)
    make_screen(group=screen_tree.county, name="未配对屏")
    elsewhere = pair_screen(screen_tree.province, name="省馆屏")

    answer = issue(admin_client, group_care_url(screen_tree.county), "clear_cache")
    assert answer.redirect_chain == [(group_care_url(screen_tree.county), 302)]
    assert said(answer) == [
        "已向 2 块大屏下发「清除缓存」命令，等待大屏确认；跳过 2 块未配对或已吊销的大屏"
    ]
    reached = set(ScreenCommand.objects.values_list("screen__name", "kind", "state"))
    assert reached == {
        ("广场屏", "clear_cache", "pending"),
        ("候车厅屏", "clear_cache", "pending"),
    }
    assert not Screen.objects.get(pk=elsewhere.screen.pk).commands_waiting

    page = admin_client.get(group_care_url(screen_tree.county)).content.decode()
    assert "分组远程运维" in page
    for name in ("广场屏", "候车厅屏", "县馆屏", "未配对屏"):
        assert name in page
    assert "省馆屏" not in page
    assert page.count('data-state="pending"') == 2
    groups = admin_client.get(f"{ADMIN}/groups/").content.decode()
    assert group_care_url(screen_tree.county) in groups
    assert site.screen.commands.count() == other_site.screen.commands.count() == 1


def test_a_group_without_paired_screens_is_refused(admin_client, screen_tree):
    answer = issue(admin_client, group_care_url(screen_tree.site), "screenshot")
    assert said(answer) == ["「村文化广场」及其下级分组没有已配对的大屏，未下发命令"]
    assert not ScreenCommand.objects.exists()


def test_only_staff_who_may_change_screens_issue_commands(
    paired_screen, screen_tree, staff_client
):
    mine, group = care_url(paired_screen.screen), group_care_url(screen_tree.site)
    viewer = staff_client("view_screen")
    page = viewer.get(mine)
    assert page.status_code == 200 and ">截图</button>" not in page.content.decode()
    assert denied(viewer.post(mine, {"kind": "reload"}))
    assert denied(viewer.post(group, {"kind": "reload"}))
    assert not ScreenCommand.objects.exists()

    outsider = staff_client()
    assert denied(outsider.get(mine)) and denied(outsider.get(group))

    operator = staff_client("view_screen", "change_screen")
    assert operator.post(mine, {"kind": "reload"}).status_code == 302
    assert ScreenCommand.objects.get().kind == "reload"
