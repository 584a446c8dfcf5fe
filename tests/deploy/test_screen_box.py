"""deploy/screen-box, the kit that turns a small Linux box into a 科普大屏
player: the script is shellcheck-clean, the systemd user unit passes
`systemd-analyze verify`, the autostart entry `desktop-file-validate`, a bad
configuration is refused naming the setting, and under a virtual display
(Xvfb) against the live server the kiosk opens the player full screen with
sound, keeps the screen on, leaves a healthy page alone and restarts
Chromium when the page freezes or the browser is killed."""

import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from django.core.cache import cache
from django.db import connections
from playwright.sync_api import Page, sync_playwright

from screens import pairing
from screens.models import PairingRequest, PlaylistItem, PlayRecord
from tests.cms.test_storage import free_port

KIT = Path(__file__).resolve().parents[2] / "deploy" / "screen-box"
SCRIPT = KIT / "kepu-kiosk"
POLL_SECONDS = 2
STALE_SECONDS = 6  # the watchdog's limit in these tests (60 on a box)
START_SECONDS = 90  # a busy test machine may take long to start Chromium
WAIT_SECONDS = 30


def installed(home: Path) -> Path:
    """The script where the unit and the autostart entry expect it."""
    target = home / ".local" / "bin" / "kepu-kiosk"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(SCRIPT, target)
    return target


def write_config(path: Path, **settings: str) -> Path:
    lines = [f'{name}="{value}"' for name, value in settings.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_script(config: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "KEPU_KIOSK_CONFIG": str(config)}
    return subprocess.run(
        [str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=30
    )


def wait_for(condition, message: str, seconds: float = WAIT_SECONDS):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.2)
    raise AssertionError(message)


# The files, checked by the tools of the platform -------------------------------


def test_the_kiosk_script_is_shellcheck_clean():
    result = subprocess.run(
        ["shellcheck", "--external-sources", str(SCRIPT)],
        capture_output=True,
        text=True,
    )
    assert (result.returncode, result.stdout) == (0, "")


def test_the_user_unit_passes_systemd_analyze_verify_and_enables(tmp_path):
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "HOME": str(tmp_path), "XDG_RUNTIME_DIR": str(runtime)}

    def verify() -> subprocess.CompletedProcess:
        unit = str(KIT / "kepu-kiosk.service")
        command = ["systemd-analyze", "--user", "verify", unit]
        return subprocess.run(command, env=env, capture_output=True, text=True)

    missing = verify()  # the check is real: it looks for the script
    assert missing.returncode != 0
    assert ".local/bin/kepu-kiosk is not executable" in missing.stderr
    installed(tmp_path)
    result = verify()
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")

    # `enable`, as the guide has it, needs no running user manager (with
    # none to reach, it cannot touch this machine's own user units either).
    units = tmp_path / ".config" / "systemd" / "user"
    units.mkdir(parents=True)
    shutil.copy(KIT / "kepu-kiosk.service", units)
    command = ["systemctl", "--user", "enable", "kepu-kiosk.service"]
    bus = {"XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS"}
    offline = {key: value for key, value in env.items() if key not in bus}
    subprocess.run(command, env=offline, check=True, capture_output=True)
    wanted = units / "default.target.wants" / "kepu-kiosk.service"
    assert wanted.resolve() == units / "kepu-kiosk.service"


def test_the_autostart_entry_passes_desktop_file_validate():
    entry = KIT / "kepu-kiosk.desktop"
    result = subprocess.run(
        ["desktop-file-validate", str(entry)], capture_output=True, text=True
    )
    assert (result.returncode, result.stdout) == (0, "")


def test_openbox_autostarts_the_installed_script_from_the_entry(tmp_path):
    autostart = tmp_path / ".config" / "autostart"
    autostart.mkdir(parents=True)
    shutil.copy(KIT / "kepu-kiosk.desktop", autostart)
    script = tmp_path / ".local" / "bin" / "kepu-kiosk"
    script.parent.mkdir(parents=True)
    script.write_text('#!/bin/sh\necho "$0" > "$HOME/started"\n')  # a stand-in
    script.chmod(0o755)
    (runner,) = Path("/usr/lib").glob("*/openbox-xdg-autostart")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / ".config"),
        "XDG_CONFIG_DIRS": str(tmp_path / "no-system-entries"),
    }
    subprocess.run([str(runner)], env=env, check=True, timeout=30)
    started = tmp_path / "started"
    wait_for(started.exists, "the autostart entry did not run the script")
    assert started.read_text().strip() == str(script)


# The configuration -----------------------------------------------------------------


def test_the_example_configuration_gives_chromium_the_kiosk_flags(tmp_path):
    example = (KIT / "kiosk.conf.example").read_text(encoding="utf-8")
    config = tmp_path / "kiosk.conf"
    config.write_text(example, encoding="utf-8")
    result = run_script(config, "--check")
    assert result.returncode == 0, result.stderr
    command = result.stdout.splitlines()
    home = os.environ["HOME"]
    for flag in (
        "--kiosk",
        "--no-first-run",
        "--noerrdialogs",
        "--hide-crash-restore-bubble",
        "--disable-features=Translate",
        "--autoplay-policy=no-user-gesture-required",
        f"--user-data-dir={home}/.local/share/kepu-kiosk/profile",
        f"--disk-cache-dir={home}/.cache/kepu-kiosk",
        "--remote-debugging-port=9222",
    ):
        assert flag in command
    assert command[-1] == "https://kepu.example.cn/player/"
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"KEPU_SERVER": "kepu.example.cn"}, "KEPU_SERVER 应为 http(s)://主机[:端口]"),
        (
            {"KEPU_SERVER": "https://kepu.example.cn/player/"},
            "KEPU_SERVER 应为 http(s)://主机[:端口]",
        ),
        (
            {"KEPU_STALE_SECONDS": "1分钟"},
            "KEPU_STALE_SECONDS 应为 5 到 3600 之间的整数",
        ),
        ({"KEPU_DEBUG_PORT": "80"}, "KEPU_DEBUG_PORT 应为 1024 到 65535 之间的整数"),
        (
            {"KEPU_ROTATION": "portrait"},
            "KEPU_ROTATION 应为 normal、left、right 或 inverted",
        ),
        ({"KEPU_CHECK_SECONDS": "60"}, "KEPU_CHECK_SECONDS 应小于 KEPU_STALE_SECONDS"),
        ({"KEPU_CHROMIUM": "/nonexistent/chromium"}, "找不到 Chromium"),
    ],
)
def test_a_bad_setting_is_refused_naming_it(tmp_path, settings, problem):
    config = write_config(
        tmp_path / "kiosk.conf",
        **{"KEPU_SERVER": "https://kepu.example.cn", **settings},
    )
    result = run_script(config, "--check")
    assert result.returncode == 2
    assert problem in result.stderr
    assert result.stdout == ""


def test_numbers_with_leading_zeros_are_read_as_decimal(tmp_path):
    config = write_config(
        tmp_path / "kiosk.conf",
        KEPU_SERVER="https://kepu.example.cn",
        KEPU_DEBUG_PORT="09222",
        KEPU_CHECK_SECONDS="08",
        KEPU_STALE_SECONDS="09",
    )
    result = run_script(config, "--check")
    assert result.returncode == 0, result.stderr
    assert "--remote-debugging-port=9222" in result.stdout.splitlines()


def test_a_missing_configuration_file_is_named(tmp_path):
    result = run_script(tmp_path / "absent.conf", "--check")
    assert result.returncode == 2
    assert (
        f"配置错误（{tmp_path}/absent.conf）：找不到或无法读取配置文件" in result.stderr
    )


def test_a_plain_http_server_elsewhere_is_warned_about(tmp_path):
    config = write_config(tmp_path / "kiosk.conf", KEPU_SERVER="http://192.168.1.20")
    result = run_script(config, "--check")
    assert result.returncode == 0
    assert "不是 HTTPS，播放器无法离线缓存" in result.stderr


# The kiosk under a virtual display, against the live server ------------------------


def window_manager_runs(display: str) -> bool:
    check = ["xprop", "-display", display, "-root", "_NET_SUPPORTING_WM_CHECK"]
    result = subprocess.run(check, capture_output=True, text=True)
    return "window id" in result.stdout


@pytest.fixture
def display():
    """A virtual display (Xvfb) with the box's window manager (openbox), which
    makes the kiosk window full screen; -noreset keeps the display's settings
    between clients, as a real session does."""
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-noreset", "-nolisten", "tcp"]
        + ["-screen", "0", "960x540x24"],
        pass_fds=[write_end],
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end) as chosen:
        name = f":{chosen.readline().strip()}"
    assert name != ":", "Xvfb did not start"
    manager = subprocess.Popen(
        ["openbox"],
        env={**os.environ, "DISPLAY": name},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: window_manager_runs(name), "openbox did not start")
    yield name
    for process in (manager, xvfb):
        process.terminate()
        process.wait(timeout=10)


@dataclass
class Kiosk:
    process: subprocess.Popen
    log: Path
    port: int
    browsers: set[int] = field(default_factory=set)

    def endpoint(self, path: str):
        url = f"http://127.0.0.1:{self.port}{path}"
        try:
            return requests.get(url, timeout=2).json()
        except (requests.RequestException, ValueError):
            return None

    def browser_id(self) -> str | None:
        """Chromium names each run of the browser anew."""
        version = self.endpoint("/json/version")
        return version and version["webSocketDebuggerUrl"].rsplit("/", 1)[-1]

    def player_title(self) -> str | None:
        targets = self.endpoint("/json/list") or []
        pages = [t["title"] for t in targets if t["url"].endswith("/player/")]
        return pages[0] if pages else None

    def browser_pid(self) -> int:
        """The browser the script runs now: its child named chromium."""
        task = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        for pid in map(int, task.read_text().split()):
            if Path(f"/proc/{pid}/exe").resolve().name == "chromium":
                self.browsers.add(pid)
                return pid
        raise AssertionError("the script runs no browser")

    def starts(self) -> int:
        return self.read_log().count("启动 Chromium：")

    def read_log(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        finally:
            for pid in [self.process.pid, *self.browsers]:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


@pytest.fixture
def kiosk(tmp_path, display, live_server, settings, screens_media):
    settings.BIG_SCREEN_POLL_SECONDS = POLL_SECONDS
    cache.clear()  # a fresh pairing budget
    home = tmp_path / "home"
    home.mkdir()
    port = free_port()
    sandbox = "--no-sandbox" if os.geteuid() == 0 else ""  # root in containers
    config = write_config(
        tmp_path / "kiosk.conf",
        KEPU_SERVER=live_server.url,
        KEPU_DISPLAY=display,
        KEPU_DEBUG_PORT=str(port),
        KEPU_START_SECONDS=str(START_SECONDS),
        KEPU_STALE_SECONDS=str(STALE_SECONDS),
        KEPU_CHECK_SECONDS="1",
        KEPU_RESTART_SECONDS="1",
        KEPU_EXTRA_FLAGS=f"{sandbox} --disable-gpu",
    )
    log = tmp_path / "kiosk.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(installed(home))],
            env={
                "PATH": os.environ["PATH"],
                "HOME": str(home),
                "KEPU_KIOSK_CONFIG": str(config),
            },
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Kiosk(process, log, port)
    yield running
    running.stop()
    connections.close_all()


def player_page(playwright, kiosk: Kiosk) -> Page:
    """The player's tab of the kiosk's browser, over its debugging port."""
    wait_for(kiosk.player_title, "the kiosk's browser shows no player")
    browser = playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{kiosk.port}")
    pages = [p for p in browser.contexts[0].pages if p.url.endswith("/player/")]
    assert len(pages) == 1, [p.url for p in browser.contexts[0].pages]
    return pages[0]


def wait_until_playing(page: Page) -> None:
    page.wait_for_selector("body[data-state=playing]", timeout=WAIT_SECONDS * 1000)


def screen_settings(display: str) -> str:
    result = subprocess.run(
        ["xset", "-display", display, "q"], capture_output=True, text=True
    )
    return result.stdout


@pytest.fixture
def quick_loop(screen_loop):
    """The fixture loop with the 1-second video first, then 2-second stills."""
    PlaylistItem.objects.filter(pk=screen_loop.card.pk).update(duration_seconds=2)
    PlaylistItem.objects.filter(pk=screen_loop.image.pk).update(
        duration_seconds=2, day_parts=[]
    )
    return screen_loop


def restarted(kiosk: Kiosk, before: str, starts: int) -> str:
    """Waits for a new browser and the player's tab in it; its id."""
    limit = STALE_SECONDS + 10 + 15  # the watchdog, a stop and a slow start
    wait_for(lambda: kiosk.starts() > starts, "Chromium was not restarted", limit)
    new = wait_for(
        lambda: (found := kiosk.browser_id()) not in (None, before) and found,
        "the new browser does not answer",
    )
    wait_for(kiosk.player_title, "the new browser shows no player")
    return new


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_kiosk_plays_full_screen_and_its_watchdog_restarts_a_stuck_browser(
    kiosk, display, screen_tree, quick_loop, monkeypatch
):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop
    # Paired by the code the page asked for, and played, with no Playwright
    # call on the page yet: those count as the user's gestures.
    wait_for(kiosk.player_title, "the kiosk shows no player", START_SECONDS)
    code = wait_for(
        lambda: PairingRequest.objects.values_list("code", flat=True).first(),
        "the player asked for no pairing code",
    )
    pairing.claim(code, group=screen_tree.site, name="候车厅大屏")
    wait_for(
        lambda: PlayRecord.objects.filter(
            item=quick_loop.video, seconds__gte=0.8
        ).exists(),
        "the video was not played",
    )
    with sync_playwright() as playwright:
        page = player_page(playwright, kiosk)
        # The video played with its sound: no gesture was needed (refused,
        # the player mutes every video for good). Full screen, in Chinese.
        muted = "[...document.querySelectorAll('video')].map((video) => video.muted)"
        assert page.evaluate(muted) == [False, False]
        assert page.evaluate("[innerWidth, innerHeight]") == [960, 540]
        assert page.locator("html").get_attribute("lang") == "zh-hans"
        assert page.locator("[data-pairing-code]").text_content() == code
        # The screen never blanks (Xvfb has no DPMS to switch off).
        shown = screen_settings(display)
        assert re.search(r"prefer blanking:\s+no", shown), shown
        assert re.search(r"timeout:\s+0\s", shown), shown

        # Healthy: the title ticks and the browser is left alone.
        first = kiosk.browser_id()
        ticks = {kiosk.player_title()}
        for _ in range(2 * STALE_SECONDS):
            time.sleep(1)
            ticks.add(kiosk.player_title())
        assert all(re.fullmatch(r"科普大屏 · \d+", tick) for tick in ticks), ticks
        assert len(ticks) >= STALE_SECONDS
        assert (kiosk.browser_id(), kiosk.starts()) == (first, 1)

        # The page freezes (its script never returns): restarted, and the
        # new browser plays on as the same screen, with no pairing.
        page.evaluate("setTimeout(() => { for (;;) {} })")
        second = restarted(kiosk, first, starts=1)
        assert f"播放页已超过 {STALE_SECONDS} 秒没有报告，重启 Chromium" in (
            kiosk.read_log()
        )
        wait_until_playing(player_page(playwright, kiosk))

        # The browser is killed: started again.
        os.kill(kiosk.browser_pid(), signal.SIGKILL)
        restarted(kiosk, second, starts=2)
        assert "Chromium 已退出" in kiosk.read_log()
        wait_until_playing(player_page(playwright, kiosk))
