"""The columns of the short-video platforms' creator-centre exports (作品数据
导出): for each platform, the headers that name the post (its id or link),
its title, and each figure. Data, not code: a platform that renames a
column gets another header here. Headers are matched without spaces and
case; a column no platform header names is listed as ignored."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ExportColumns:
    post: tuple[str, ...]  # the post's id or link
    title: tuple[str, ...]
    metrics: dict[str, tuple[str, ...]]  # ReachRecord metric → headers


EXPORT_COLUMNS = {
    "douyin": ExportColumns(
        post=("作品ID", "视频ID", "作品链接", "视频链接"),
        title=("作品名称", "作品标题", "视频标题", "标题"),
        metrics={
            "plays": ("播放量", "播放次数"),
            "likes": ("点赞量", "点赞数"),
            "comments": ("评论量", "评论数"),
            "shares": ("分享量", "分享数"),
        },
    ),
    "kuaishou": ExportColumns(
        post=("作品ID", "作品链接"),
        title=("作品标题", "作品描述", "标题"),
        metrics={
            "plays": ("播放数", "播放量"),
            "likes": ("点赞数", "点赞量"),
            "comments": ("评论数", "评论量"),
            "shares": ("分享数", "分享量"),
        },
    ),
    "wechat_channels": ExportColumns(
        post=("视频ID", "视频链接"),
        title=("视频描述", "视频标题", "标题"),
        metrics={
            "plays": ("播放量", "播放次数"),
            "likes": ("点赞", "点赞数", "喜欢"),
            "comments": ("评论", "评论数"),
            "shares": ("转发", "分享", "分享数"),
        },
    ),
    "bilibili": ExportColumns(
        post=("BV号", "稿件BV号", "稿件链接"),
        title=("稿件标题", "标题"),
        metrics={
            "plays": ("播放", "播放量"),
            "likes": ("点赞", "点赞数"),
            "comments": ("评论", "评论数"),
            "shares": ("分享", "分享数"),
        },
    ),
    "toutiao": ExportColumns(
        post=("作品ID", "文章ID", "作品链接", "链接"),
        title=("标题", "作品标题"),
        metrics={
            "plays": ("播放量", "阅读量"),
            "likes": ("点赞数", "点赞量"),
            "comments": ("评论数", "评论量"),
            "shares": ("转发数", "转发量", "分享量"),
        },
    ),
}
