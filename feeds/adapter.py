"""The partner-feeds channel. An outlet of this channel is a partner relay:
a placement on it means "this item enters the feeds that select this outlet
at this time". Checking finds what would make the item poor or unusable in
a feed; rendering gives the item as it will appear, as a JSON Feed item."""

import json
from dataclasses import dataclass

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from channels.base import ChannelAdapter, Package, Problem, Spec, file_stem
from channels.registry import register
from cms.pages import ColumnEpisodePage, VideoPage
from feeds.enclosures import media_facts
from feeds.formats import JSON_FEED_TYPE, json_item
from feeds.items import build_items, media_of, summary_of


@dataclass(frozen=True)
class FeedsSpec(Spec):
    summary_max_chars: int = 300

    def validate(self) -> dict[str, str]:
        if self.summary_max_chars < 20:
            return {"spec": gettext("摘要长度上限至少 20 字")}
        return {}


def media_problems(item: Page) -> list[Problem]:
    media = media_of(item)
    if isinstance(item, VideoPage) and media is None:
        return [Problem("missing_video", gettext("科普视频没有视频文件"))]
    if media is None:
        return []
    if media_facts(media) is None:
        message = gettext("媒体文件「%(title)s」不在存储中") % {"title": media.title}
        return [Problem("missing_file", message)]
    return []


@register
class FeedsAdapter(ChannelAdapter):
    key = "feeds"
    label = _("合作方订阅源")
    calendar_colour = "#b25e09"
    spec_class = FeedsSpec

    def check(self, item: Page, outlet) -> list[Problem]:
        item, spec = item.specific, outlet.parsed_spec
        problems = []
        summary = summary_of(item)
        if not summary.strip():
            message = gettext("缺少导语/简介：订阅源条目需要摘要")
            problems.append(Problem("missing_summary", message))
        elif len(summary) > spec.summary_max_chars:
            message = gettext("摘要 %(length)s 字，超过 %(most)s 字") % {
                "length": len(summary),
                "most": spec.summary_max_chars,
            }
            problems.append(Problem("summary_too_long", message))
        if not item.topics.exists():
            message = gettext("没有主题：合作方按主题筛选")
            problems.append(Problem("missing_topics", message))
        if isinstance(item, ColumnEpisodePage) and not item.body and not item.audio_id:
            message = gettext("本期既无正文也无音频")
            problems.append(Problem("empty_episode", message))
        return problems + media_problems(item)

    def render(self, item: Page, outlet) -> Package:
        [feed_item] = build_items([item.specific])
        package = Package(summary={"guid": feed_item.guid, "outlet": outlet.name})
        package.add(
            f"{file_stem(item)}.feed-item.json",
            json.dumps(json_item(feed_item), ensure_ascii=False, indent=1),
            JSON_FEED_TYPE,
        )
        return package
