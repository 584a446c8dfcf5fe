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
from django.utils.translation import gettext as _

from screens import api

HEARTBEAT_SECONDS = 60
SHELL_FILES = ("big_screen/player.js", "big_screen/player.css")
CACHE_NAMES = {
    "shell": "kepu-player-shell-",  # + the player's version
    "data": "kepu-player-data",  # the last playlist, for a reload while offline
    "media": "kepu-player-media",  # every media file of the current loop
}


def scope() -> str:
    return reverse("big_screen:player")


def messages() -> dict[str, str]:
    """What the player shows or reports, in the page's language."""
    return {
        "connecting": _("正在连接服务器…"),
        "waiting": _("等待管理员在后台输入配对码…"),
        "pairingBusy": _("配对请求过多，稍后自动重试…"),
        "loading": _("正在载入播放列表…"),
        "empty": _("当前时段没有可播放的内容"),
        "mediaError": _("无法播放「%(title)s」：%(reason)s"),
        "stalled": _("「%(title)s」播放停滞超过 %(seconds)s 秒，已跳过"),
        "noRoom": _("存储空间不足，未缓存「%(title)s」"),
        "cacheFailed": _("缓存「%(title)s」失败：%(reason)s"),
        "playRejected": _("服务器拒收一条播放记录：%(reason)s"),
        "beatRejected": _("服务器拒收一条心跳：%(reason)s"),
        "queueFull": _("离线播放记录过多，已丢弃最早的 %(count)s 条"),
        "wakeLock": _("无法保持屏幕常亮：%(reason)s"),
        "noOffline": _("浏览器不支持离线缓存（需要 HTTPS）：%(reason)s"),
        "playlistFailed": _("获取播放列表失败：HTTP %(status)s"),
        "unknownFormat": _(
            "播放列表格式 %(format)s 比本播放器支持的格式 %(supported)s 新，"
            "继续播放现有轮播，请更新播放器"
        ),
        "lastLoopUnreadable": _("无法读取上次缓存的播放列表：%(reason)s"),
        "loopNotKept": _("无法缓存播放列表，断网重启后将无法播放：%(reason)s"),
        "downloadStalled": _("下载超过 %(seconds)s 秒没有进展"),
        "commandFailed": _("未能执行远程命令「%(command)s」：%(reason)s"),
    }


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
