"""Page types: the site's home and sections, and the science content itself."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.fields import StreamField
from wagtail.models import Page, PageManager
from wagtail.search import index

from cms.blocks import CorrectionsBlock, ScienceBodyBlock
from cms.gone import Gone
from cms.paging import page_of
from cms.previews import extra_preview_modes, serve_extra_preview
from cms.review import is_review_approved, require_review_approval
from cms.search import segment_for_index
from cms.widgets import TreeCheckboxes


def expired_but_live_ids() -> list[int]:
    """Pages past their expiry that the scheduler has not unpublished yet (at
    most a minute's worth). Excluded by id, because the search backends can
    filter on id but not on expire_at."""
    expired = Page.objects.filter(live=True, expire_at__lte=timezone.now()).order_by()
    return list(expired.values_list("pk", flat=True))


def visible_pages(queryset=None):
    """Pages a reader may see: live, public and not past their expiry time."""
    queryset = Page.objects.all() if queryset is None else queryset
    return queryset.live().public().exclude(pk__in=expired_but_live_ids())


class VisiblePageMixin:
    """Refuses to serve or list a page whose expiry time has passed."""

    def is_expired_now(self) -> bool:
        return self.expire_at is not None and self.expire_at <= timezone.now()

    def serve(self, request, *args, **kwargs):
        if self.is_expired_now():
            raise Gone()
        return super().serve(request, *args, **kwargs)

    def get_sitemap_urls(self, request=None):
        if self.is_expired_now():
            return []
        return super().get_sitemap_urls(request)


class ChineseSearchMixin:
    """Indexes the title and the page's own text (search_text()) cut into
    bigrams for Chinese search (cms/search.py). Every page type carries it:
    indexed by Page.search_fields alone, a Chinese title is one word that no
    query matches."""

    search_fields = [
        *Page.search_fields,
        index.SearchField("search_segments"),
    ]

    def search_text(self) -> str:
        return ""

    @cached_property
    def search_segments(self) -> str:
        return segment_for_index(f"{self.title} {self.search_text()}")


class HomePage(VisiblePageMixin, ChineseSearchMixin, Page):
    introduction = models.TextField(_("简介"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("introduction")]

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["cms.ContentIndexPage", "cms.ColumnPage"]
    max_count = 1

    class Meta:
        verbose_name = _("首页")

    def search_text(self) -> str:
        return self.introduction

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["latest"] = (
            visible_pages()
            .type(ArticlePage, VideoPage, ColumnEpisodePage)
            .specific()
            .order_by("-first_published_at")[:12]
        )
        context["sections"] = visible_pages(self.get_children()).specific()
        return context


class ContentIndexPage(VisiblePageMixin, ChineseSearchMixin, Page):
    introduction = models.TextField(_("简介"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("introduction")]

    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.ArticlePage", "cms.VideoPage"]

    class Meta:
        verbose_name = _("栏目")

    def search_text(self) -> str:
        return self.introduction

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        children = visible_pages(self.get_children()).specific()
        context["items"] = page_of(request, children.order_by("-first_published_at"))
        return context


class ContentPage(VisiblePageMixin, ChineseSearchMixin, Page):
    """What every science item carries: taxonomy, credit and its reviewer of
    record; and the rule that it goes live only after scientific review."""

    topics = ParentalManyToManyField("cms.Topic", verbose_name=_("主题"), blank=True)
    audiences = ParentalManyToManyField(
        "cms.Audience", verbose_name=_("目标人群"), blank=True
    )
    campaign = models.ForeignKey(
        "cms.Campaign",
        verbose_name=_("活动/主题日"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source_credit = models.CharField(_("来源/署名"), max_length=200)
    reviewing_expert = models.ForeignKey(
        "cms.Expert",
        verbose_name=_("审核专家"),
        null=True,
        blank=False,
        on_delete=models.PROTECT,
        related_name="+",
    )
    corrections = StreamField(
        CorrectionsBlock(),
        verbose_name=_("更正说明"),
        blank=True,
        help_text=_(
            "更正已发布的内容时，在这里新增一条（原文有误之处、更正为），"
            "经科学审核发布后通知所有刊播渠道；已有的条目请勿删除"
        ),
    )

    taxonomy_panels = [
        MultiFieldPanel(
            [
                FieldPanel("topics", widget=TreeCheckboxes),
                FieldPanel("audiences", widget=forms.CheckboxSelectMultiple),
                FieldPanel("campaign"),
            ],
            heading=_("分类"),
        ),
        MultiFieldPanel(
            [FieldPanel("source_credit"), FieldPanel("reviewing_expert")],
            heading=_("来源与审核"),
        ),
        FieldPanel("corrections"),
    ]

    api_fields = [
        APIField("topics"),
        APIField("audiences"),
        APIField("campaign"),
        APIField("source_credit"),
        APIField("reviewing_expert"),
    ]

    objects = PageManager()

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        if not self.reviewing_expert_id:
            raise ValidationError({"reviewing_expert": _("请选择审核专家")})
        if self.go_live_at and self.expire_at and self.expire_at <= self.go_live_at:
            raise ValidationError({"expire_at": _("下线时间必须晚于上线时间")})

    def publish(self, revision, *args, **kwargs):
        require_review_approval(revision)
        return super().publish(revision, *args, **kwargs)

    def save(self, *args, **kwargs):
        """A last line behind publish(): a page saved as live without a reviewed
        live revision (a new page added with Page's default live=True, say) is
        kept as a draft instead."""
        update_fields = kwargs.get("update_fields")
        if self.live and (update_fields is None or "live" in update_fields):
            if not self.may_be_live():
                self.live = False
                self.has_unpublished_changes = True
        return super().save(*args, **kwargs)

    is_withdrawable = True  # unpublishing it is a withdrawal (cms.advisories)

    @property
    def preview_modes(self) -> list[tuple[str, str]]:
        extra = [(mode.name, mode.label) for mode in extra_preview_modes()]
        return [("", _("网页")), *extra]

    def serve_preview(self, request, mode_name):
        """The web page, or this item as a channel will put it out."""
        if not mode_name:
            return super().serve_preview(request, mode_name)
        return serve_extra_preview(request, self, mode_name)

    def may_be_live(self) -> bool:
        if self.pk and type(self).objects.filter(pk=self.pk, live=True).exists():
            return True  # already live: reviewed when it went live
        return self.live_revision_id is not None and is_review_approved(
            self.live_revision
        )


def stream_text(stream) -> str:
    """The readable text of a StreamField value, for search and word counts."""
    parts: list[str] = []
    for block in stream:
        value = block.value
        if block.block_type == "paragraph":
            parts.append(strip_tags(value.source))
        elif block.block_type == "quote":
            parts += [value["text"], value["attribution"]]
        elif block.block_type == "fact_box":
            parts += [value["title"], *value["facts"]]
        elif block.block_type == "references":
            parts += [ref["title"] for ref in value]
        elif block.block_type == "image":
            parts.append(value["caption"])
    return "\n".join(p for p in parts if p)


class ArticlePage(ContentPage):
    standfirst = models.TextField(_("导语"), max_length=300)
    body = StreamField(ScienceBodyBlock(), verbose_name=_("正文"))
    author = models.CharField(_("作者"), max_length=80)

    content_panels = [
        *Page.content_panels,
        FieldPanel("standfirst"),
        FieldPanel("author"),
        FieldPanel("body"),
        *ContentPage.taxonomy_panels,
    ]
    api_fields = [
        APIField("standfirst"),
        APIField("author"),
        APIField("body"),
        *ContentPage.api_fields,
    ]

    parent_page_types = ["cms.ContentIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("科普文章")
        verbose_name_plural = _("科普文章")

    def search_text(self) -> str:
        return f"{self.standfirst}\n{stream_text(self.body)}"


class VideoPage(ContentPage):
    summary = models.TextField(_("简介"), max_length=300)
    video = models.ForeignKey(
        "wagtailmedia.Media",
        verbose_name=_("视频"),
        null=True,
        blank=False,
        on_delete=models.PROTECT,
        related_name="+",
    )
    transcript = models.TextField(_("文字稿"), blank=True)
    subtitles = models.ForeignKey(
        "wagtaildocs.Document",
        verbose_name=_("字幕文件（SRT/WebVTT）"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("video"),
        FieldPanel("transcript"),
        FieldPanel("subtitles"),
        *ContentPage.taxonomy_panels,
    ]
    api_fields = [
        APIField("summary"),
        APIField("transcript"),
        *ContentPage.api_fields,
    ]

    parent_page_types = ["cms.ContentIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("科普视频")
        verbose_name_plural = _("科普视频")

    def clean(self) -> None:
        super().clean()
        if self.video_id and self.video.type != "video":
            raise ValidationError({"video": _("请选择视频文件，而不是音频")})
        if self.subtitles_id and self.subtitles.file_extension not in ("srt", "vtt"):
            raise ValidationError({"subtitles": _("字幕文件必须是 SRT 或 WebVTT 格式")})

    def search_text(self) -> str:
        return f"{self.summary}\n{self.transcript}"


class ColumnPage(VisiblePageMixin, ChineseSearchMixin, Page):
    class Channel(models.TextChoices):
        NEWSPAPER = "newspaper", _("报纸")
        RADIO = "radio", _("广播")

    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    outlet_name = models.CharField(_("刊播媒体"), max_length=80)
    cadence = models.CharField(_("刊播周期"), max_length=80)
    description = models.TextField(_("简介"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("channel"),
        FieldPanel("outlet_name"),
        FieldPanel("cadence"),
        FieldPanel("description"),
    ]
    api_fields = [
        APIField("channel"),
        APIField("outlet_name"),
        APIField("cadence"),
        APIField("description"),
    ]

    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.ColumnEpisodePage"]

    class Meta:
        verbose_name = _("专栏")
        verbose_name_plural = _("专栏")

    def search_text(self) -> str:
        return f"{self.outlet_name}\n{self.description}"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        episodes = visible_pages(self.get_children()).specific()
        context["episodes"] = page_of(
            request, episodes.order_by("-columnepisodepage__number")
        )
        return context


class ColumnEpisodeForm(WagtailAdminPageForm):
    def clean(self):
        cleaned_data = super().clean()
        number = cleaned_data.get("number")
        column = self.parent_page
        if number is not None and column is not None:
            others = ColumnEpisodePage.objects.child_of(column).exclude(
                pk=self.instance.pk
            )
            if others.filter(number=number).exists():
                self.add_error("number", _("本专栏已有第 %(n)d 期") % {"n": number})
        return cleaned_data


class ColumnEpisodePage(ContentPage):
    number = models.PositiveIntegerField(_("期号"))
    standfirst = models.TextField(_("导语"), max_length=300, blank=True)
    body = StreamField(ScienceBodyBlock(), verbose_name=_("正文"), blank=True)
    audio = models.ForeignKey(
        "wagtailmedia.Media",
        verbose_name=_("音频"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("number"),
        FieldPanel("standfirst"),
        FieldPanel("body"),
        FieldPanel("audio"),
        *ContentPage.taxonomy_panels,
    ]
    api_fields = [
        APIField("number"),
        APIField("standfirst"),
        APIField("body"),
        *ContentPage.api_fields,
    ]

    base_form_class = ColumnEpisodeForm
    parent_page_types = ["cms.ColumnPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("专栏节目（期）")
        verbose_name_plural = _("专栏节目（期）")

    def clean(self) -> None:
        super().clean()
        if not self.body and not self.audio_id:
            raise ValidationError(_("每期至少要有正文或音频"))
        if self.audio_id and self.audio.type != "audio":
            raise ValidationError({"audio": _("请选择音频文件")})

    def search_text(self) -> str:
        return f"{self.standfirst}\n{stream_text(self.body)}"
