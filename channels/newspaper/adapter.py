"""Newspaper columns: 字数 against the column's space, and the package a
paper's desk takes (plain text in GB 18030 and UTF-8, DOCX, NITF, PDF proof).

On a correction each paper that printed the item gets a 更正启事 planned on
its next issue; on a withdrawal its desk gets a 撤稿通知 at once (a notice
placement due now, which the queue delivers within a minute). Both are
notice placements rendered by render_notice (notices.py)."""

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from channels.advisories import item_placement, next_issue, notice_recipient
from channels.base import (
    AudienceEstimate,
    ChannelAdapter,
    Package,
    Problem,
    Recipient,
    Spec,
    file_stem,
    setting,
)
from channels.newspaper import documents, notices
from channels.newspaper.documents import ArticleParts
from channels.registry import register
from channels.text import count_chars, paragraphs_of, reading_minutes


@dataclass(frozen=True)
class NewspaperSpec(Spec):
    target_chars: int = setting(1200, _("目标字数"), unit=_("字"))
    tolerance: int = setting(
        100,
        _("字数浮动"),
        unit=_("字"),
        help_text=_("稿件字数在目标字数上下这么多字之内"),
    )
    max_images: int = setting(1, _("图片上限"), unit=_("张"))
    byline_format: str = setting(
        "{author}",
        _("署名格式"),
        help_text=_("{author} 处换成作者，如「本报记者 {author}」"),
    )
    # 版次 of the column, "第7版": named in a 更正启事
    page_label: str = setting("", _("版次"), help_text=_("如「第7版」，写进更正启事"))
    # For the reach ledger's estimate: readers = circulation × readers per copy.
    circulation: int = setting(
        0,
        _("发行量"),
        unit=_("份"),
        help_text=_("每期发行份数；0 表示未知，读者人次记为缺失"),
    )
    readers_per_copy: float = setting(
        2.5, _("每份读者数"), unit=_("人"), help_text=_("传阅率，常用 2～3")
    )
    circulation_source: str = setting(
        "", _("发行量来源"), help_text=_("如「2026 年报纸发行量核验」")
    )

    def validate(self) -> dict[str, str]:
        if self.circulation < 0:
            return {"circulation": gettext("发行量不能为负")}
        if not 0 < self.readers_per_copy <= 20:
            return {"readers_per_copy": gettext("每份读者数应大于 0、不超过 20")}
        if self.target_chars <= 0:
            return {"target_chars": gettext("目标字数必须大于 0")}
        if not 0 <= self.tolerance < self.target_chars:
            return {"tolerance": gettext("字数浮动必须在 0 和目标字数之间")}
        if self.max_images < 0:
            return {"max_images": gettext("图片数量不能为负")}
        if "{author}" not in self.byline_format:
            return {"byline_format": gettext("署名格式须包含 {author}")}
        return {}


def source_line(item: Page) -> str:
    line = f"来源：{item.source_credit}"
    if expert := item.reviewing_expert:
        line += f"　审核专家：{expert.name}（{expert.organisation}）"
    return line


def article_parts(item: Page, spec: NewspaperSpec, outlet_name: str) -> ArticleParts:
    body = getattr(item, "body", None) or []
    author = getattr(item, "author", "") or item.source_credit
    return ArticleParts(
        title=item.title,
        standfirst=getattr(item, "standfirst", ""),
        byline=spec.byline_format.format(author=author),
        paragraphs=paragraphs_of(body),
        fact_boxes=[
            (block.value["title"], list(block.value["facts"]))
            for block in body
            if block.block_type == "fact_box"
        ],
        source_line=source_line(item),
        image_count=sum(1 for block in body if block.block_type == "image"),
        outlet_name=outlet_name,
        slug=file_stem(item),
    )


def length_problem(count: int, spec: NewspaperSpec) -> Problem | None:
    """Too long or too short for the column's space, by how much."""
    low, high = spec.target_chars - spec.tolerance, spec.target_chars + spec.tolerance
    space = {"count": count, "target": spec.target_chars, "tolerance": spec.tolerance}
    if count > high:
        message = gettext(
            "稿件 %(count)s 字，超出版面 %(target)s±%(tolerance)s 字"
            "（多 %(excess)s 字）"
        )
        return Problem("too_long", message % {**space, "excess": count - high})
    if count < low:
        message = gettext(
            "稿件 %(count)s 字，不足版面 %(target)s±%(tolerance)s 字"
            "（少 %(shortfall)s 字）"
        )
        return Problem("too_short", message % {**space, "shortfall": low - count})
    return None


@register
class NewspaperAdapter(ChannelAdapter):
    key = "newspaper"
    label = _("报纸")
    spec_class = NewspaperSpec
    calendar_colour = "#b42318"
    preview_label = _("报纸版面")

    def audience_estimate(self, spec: NewspaperSpec) -> AudienceEstimate:
        people = round(spec.circulation * spec.readers_per_copy)
        return AudienceEstimate(
            people=people if spec.circulation else None,
            inputs={
                "circulation": spec.circulation or None,
                "readers_per_copy": spec.readers_per_copy,
            },
            source=spec.circulation_source or gettext("发行量来源未填"),
            sourced=bool(spec.circulation_source),
        )

    def parts(self, item: Page, outlet) -> ArticleParts:
        return article_parts(item.specific, outlet.parsed_spec, outlet.name)

    def check(self, item: Page, outlet) -> list[Problem]:
        spec = outlet.parsed_spec
        parts = self.parts(item, outlet)
        if not parts.paragraphs:
            return [Problem("no_body", gettext("没有正文，报纸栏目需要文字稿"))]
        problems = []
        if problem := length_problem(count_chars(parts.body_text).layout, spec):
            problems.append(problem)
        if parts.image_count > spec.max_images:
            message = gettext("稿件有 %(images)s 张图片，版面最多 %(most)s 张") % {
                "images": parts.image_count,
                "most": spec.max_images,
            }
            problems.append(Problem("too_many_images", message))
        return problems

    def render(self, item: Page, outlet) -> Package:
        parts = self.parts(item, outlet)
        count = count_chars(parts.body_text)
        package = Package(
            summary={"characters": count.characters, "layout": count.layout}
        )
        text = documents.plain_text(parts)
        package.add(f"{parts.slug}.utf8.txt", text, "text/plain; charset=utf-8")
        package.add(
            f"{parts.slug}.gb18030.txt",
            text.encode("gb18030"),
            "text/plain; charset=gb18030",
        )
        package.add(
            f"{parts.slug}.docx",
            documents.docx_bytes(parts),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
        package.add(
            f"{parts.slug}.nitf.xml",
            documents.nitf_bytes(parts, item),
            "application/xml",
        )
        package.add(f"{parts.slug}.pdf", documents.pdf_bytes(parts), "application/pdf")
        return package

    def correct(self, advisory, outlets) -> list[Recipient]:
        return [
            notice_recipient(
                advisory,
                outlet,
                next_issue(outlet, advisory.at),
                gettext("下一期刊登更正启事"),
            )
            for outlet in outlets
        ]

    def withdraw(self, advisory, outlets) -> list[Recipient]:
        return [
            notice_recipient(
                advisory, outlet, timezone.now(), gettext("撤稿通知即时发送编辑部")
            )
            for outlet in outlets
        ]

    def notice(self, advisory, outlet) -> notices.Notice:
        original = item_placement(advisory, outlet)
        return notices.Notice(
            withdrawal=advisory.is_withdrawal,
            title=advisory.title,
            item_id=advisory.page_id,
            advisory_id=advisory.pk,
            outlet_name=outlet.name,
            organisation=outlet.organisation,
            at=advisory.at,
            printed_on=(
                timezone.localdate(original.scheduled_at) if original else None
            ),
            page_label=outlet.parsed_spec.page_label,
            wrong=advisory.wrong,
            right=advisory.right,
            reason=advisory.reason,
        )

    def render_notice(self, advisory, outlet) -> Package:
        notice = self.notice(advisory, outlet)
        kind = "withdrawal" if notice.withdrawal else "correction"
        stem = f"{kind}-{advisory.pk}"
        package = Package(summary={"advisory": advisory.pk, "kind": kind})
        text = notices.plain_text(notice)
        package.add(f"{stem}.utf8.txt", text, "text/plain; charset=utf-8")
        package.add(
            f"{stem}.gb18030.txt",
            text.encode("gb18030"),
            "text/plain; charset=gb18030",
        )
        package.add(
            f"{stem}.docx",
            notices.docx_bytes(notice),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
        package.add(f"{stem}.nitf.xml", notices.nitf_bytes(notice), "application/xml")
        return package

    def preview_figures(self, item: Page, outlet) -> list[tuple[str, Any, bool]]:
        spec = outlet.parsed_spec
        parts = self.parts(item, outlet)
        count = count_chars(parts.body_text)
        off_target = length_problem(count.layout, spec) is not None
        too_many_images = parts.image_count > spec.max_images
        return [
            (_("字数"), count.characters, False),
            (_("版面字数（含标点）"), count.layout, off_target),
            (_("版面要求"), f"{spec.target_chars} ± {spec.tolerance}", False),
            (_("阅读时间"), _("约 %d 分钟") % reading_minutes(count.characters), False),
            (_("图片"), f"{parts.image_count} / {spec.max_images}", too_many_images),
        ]

    def preview_context(self, item: Page, outlet) -> dict[str, Any]:
        return {"proof": documents.proof_html(self.parts(item, outlet))}
