"""The loop preview's filters: {{ part.days|weekdays }} (周一至周五) and
{{ entry.kind|item_kind }} (视频, 文章卡片, 图片)."""

from django import template

from screens.models import PlaylistItem
from screens.schedule import days_label

register = template.Library()
register.filter("weekdays", days_label)


@register.filter
def item_kind(kind: str) -> str:
    return PlaylistItem.Kind(kind).label if kind in PlaylistItem.Kind else kind
