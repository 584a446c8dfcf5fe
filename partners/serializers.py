"""What the partner API answers, field by field: the schema drf-spectacular
publishes is generated from these."""

from datetime import UTC

from rest_framework import serializers

from feeds.models import FeedDefinition

ADDRESS_FORMATS = {
    "rss": "rss.xml",
    "atom": "atom.xml",
    "json_feed": "feed.json",
    "podcast": "podcast.xml",
    "media_rss": "mrss.xml",
}


def utc_datetime(**kwargs) -> serializers.DateTimeField:
    return serializers.DateTimeField(default_timezone=UTC, read_only=True, **kwargs)


class RenditionSerializer(serializers.Serializer):
    preset = serializers.CharField(
        read_only=True, help_text="导出预设，如 douyin、bilibili、screen_landscape"
    )
    label = serializers.CharField(read_only=True, help_text="平台或用途")
    url = serializers.URLField(
        read_only=True, help_text="文件地址（支持 HEAD 与 Range）"
    )
    mime_type = serializers.CharField(read_only=True)
    bytes = serializers.IntegerField(source="length", read_only=True)
    duration = serializers.FloatField(
        source="duration_seconds", allow_null=True, read_only=True, help_text="秒"
    )
    width = serializers.IntegerField(allow_null=True, read_only=True)
    height = serializers.IntegerField(allow_null=True, read_only=True)


class MediaSerializer(serializers.Serializer):
    url = serializers.URLField(
        read_only=True, help_text="媒体文件地址（支持 HEAD 与 Range）"
    )
    kind = serializers.ChoiceField(choices=["audio", "video"], read_only=True)
    mime_type = serializers.CharField(read_only=True)
    bytes = serializers.IntegerField(source="length", read_only=True)
    duration = serializers.FloatField(
        source="duration_seconds", allow_null=True, read_only=True, help_text="秒"
    )
    width = serializers.IntegerField(allow_null=True, read_only=True)
    height = serializers.IntegerField(allow_null=True, read_only=True)
    thumbnail = serializers.URLField(
        source="thumbnail_url", allow_null=True, read_only=True
    )
    renditions = RenditionSerializer(
        many=True,
        read_only=True,
        help_text="由当前文件导出的各平台版本（短视频平台、大屏等）",
    )


class CorrectionNoteSerializer(serializers.Serializer):
    wrong = serializers.CharField(read_only=True, help_text="原文有误之处")
    right = serializers.CharField(read_only=True, help_text="更正为")
    at = utc_datetime(help_text="更正时间（UTC）")


class ItemSerializer(serializers.Serializer):
    guid = serializers.CharField(
        source="item.guid", read_only=True, help_text="稳定标识，页面修改、移动后不变"
    )
    id = serializers.IntegerField(source="item.page_id", read_only=True)
    type = serializers.ChoiceField(
        source="item.content_type",
        choices=FeedDefinition.ContentType.values,
        read_only=True,
    )
    title = serializers.CharField(source="item.title", read_only=True)
    url = serializers.URLField(source="item.link", read_only=True)
    summary = serializers.CharField(source="item.summary", read_only=True)
    published = utc_datetime(source="item.published", help_text="首次发布时间（UTC）")
    updated = utc_datetime(
        help_text=(
            "最近更新时间（UTC）：再次发布、更正，或进入本密钥可读范围，取最晚者"
        )
    )
    author = serializers.CharField(source="item.author", read_only=True)
    topics = serializers.ListField(
        source="item.categories", child=serializers.CharField(), read_only=True
    )
    audiences = serializers.ListField(
        source="item.audiences", child=serializers.CharField(), read_only=True
    )
    campaign = serializers.CharField(
        source="item.campaign", allow_null=True, read_only=True
    )
    full_text = serializers.BooleanField(
        read_only=True, help_text="是否提供全文（由订阅源设置决定）"
    )
    body_html = serializers.CharField(
        source="item.body_html", read_only=True, help_text="全文 HTML；不提供全文时为空"
    )
    body_text = serializers.CharField(
        source="item.body_text",
        read_only=True,
        help_text="全文纯文本；不提供全文时为空",
    )
    image = serializers.URLField(
        source="item.image_url", allow_null=True, read_only=True
    )
    media = MediaSerializer(source="item.enclosures", many=True, read_only=True)
    corrections = CorrectionNoteSerializer(
        source="item.corrections",
        many=True,
        read_only=True,
        help_text="更正说明，从新到旧；无论是否提供全文都给出",
    )


class FeedAddressesSerializer(serializers.Serializer):
    rss = serializers.URLField(read_only=True)
    atom = serializers.URLField(read_only=True)
    json_feed = serializers.URLField(read_only=True)
    podcast = serializers.URLField(read_only=True)
    media_rss = serializers.URLField(read_only=True)


class FeedSerializer(serializers.Serializer):
    slug = serializers.SlugField(read_only=True)
    title = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    access = serializers.ChoiceField(
        choices=FeedDefinition.Access.values, read_only=True
    )
    full_text = serializers.BooleanField(read_only=True)
    item_count = serializers.IntegerField(read_only=True)
    addresses = FeedAddressesSerializer(
        read_only=True, help_text="订阅地址；密钥用 Authorization 头或 ?key= 参数提供"
    )


class AdvisorySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(
        choices=["correction", "withdrawal"],
        read_only=True,
        help_text="correction：更正；withdrawal：撤回",
    )
    item = serializers.IntegerField(
        source="page_id", read_only=True, help_text="条目 id（页面 id）"
    )
    guid = serializers.CharField(
        read_only=True, help_text="条目的稳定标识，与订阅源和条目接口中的 guid 相同"
    )
    title = serializers.CharField(read_only=True)
    url = serializers.URLField(read_only=True, help_text="条目原网址")
    at = utc_datetime(help_text="更正或撤回的时间（UTC）")
    wrong = serializers.CharField(read_only=True, help_text="更正：原文有误之处")
    right = serializers.CharField(read_only=True, help_text="更正：更正为")
    reason = serializers.CharField(read_only=True, help_text="撤回：原因")
    message = serializers.CharField(
        source="summary", read_only=True, help_text="一句话说明"
    )


class WithdrawnSerializer(serializers.Serializer):
    detail = serializers.CharField(read_only=True)
    id = serializers.IntegerField(read_only=True)
    guid = serializers.CharField(read_only=True)
    withdrawn_at = utc_datetime(help_text="撤回时间（UTC）")
    reason = serializers.CharField(read_only=True, help_text="撤回原因，可能为空")


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(
        read_only=True, help_text="原因（不含密钥与条目内容）"
    )
