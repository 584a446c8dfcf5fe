"""A throw-away channel for the test that adding a channel is one module and
one registry line: a one-line poster for a community notice board."""

from dataclasses import dataclass
from typing import Any

from channels.base import ChannelAdapter, Package, Problem, Spec
from channels.registry import register


@dataclass(frozen=True)
class PosterSpec(Spec):
    max_title_chars: int = 20

    def validate(self) -> dict[str, str]:
        return {} if self.max_title_chars > 0 else {"spec": "标题字数上限必须大于 0"}


@register
class PosterAdapter(ChannelAdapter):
    key = "poster"
    label = "海报"
    spec_class = PosterSpec
    calendar_colour = "#c2185b"
    preview_label = "海报样张"

    def check(self, item, outlet) -> list[Problem]:
        limit = outlet.parsed_spec.max_title_chars
        if len(item.title) <= limit:
            return []
        return [Problem("too_long", f"标题 {len(item.title)} 字，超出海报 {limit} 字")]

    def render(self, item, outlet) -> Package:
        package = Package(summary={"title": item.title})
        package.add("poster.txt", f"【{item.title}】", "text/plain; charset=utf-8")
        return package

    def preview_figures(self, item, outlet) -> list[tuple[str, Any, bool]]:
        limit = outlet.parsed_spec.max_title_chars
        return [("标题字数", f"{len(item.title)} / {limit}", len(item.title) > limit)]

    def preview_context(self, item, outlet) -> dict[str, Any]:
        return {"headline": item.title}
