"""What the big-screen player shows or reports, apart from the player so
that a release (screens.releases) can record them without the page's
configuration."""

from django.utils.translation import gettext as _


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
