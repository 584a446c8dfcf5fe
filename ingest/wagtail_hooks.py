"""The 订阅抓取 admin menu: upstream feeds (state, last poll, last error,
counts, 立即抓取) and the entries taken from them, each leading to its
draft's edit page."""

from django import forms
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    MultiFieldPanel,
    ObjectList,
    PageChooserPanel,
)
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn, TitleColumn
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from cms.scoped_admin import ScopedViewSetMixin
from ingest.admin_views import (
    IngestedEntryIndexView,
    PollNowView,
    UpstreamFeedIndexView,
    draft_edit_url,
    entry_state,
    feed_problem,
    feed_state,
    original_link,
)
from ingest.models import TARGET_PAGE_TYPES, IngestedEntry, UpstreamFeed


class UpstreamFeedViewSet(ScopedViewSetMixin, ModelViewSet):
    model = UpstreamFeed
    icon = "download"
    name = "upstream_feeds"
    url_prefix = "ingest/feeds"
    menu_label = _("上游订阅源")
    menu_order = 10
    index_view_class = UpstreamFeedIndexView
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_fields = [
        "title",
        "url",
        "active",
        "poll_interval_minutes",
        "target",
        "credit",
        "note",
        "last_status",
        "last_polled_at",
        "next_poll_at",
        "failures",
        "last_error",
        "last_warning",
        "items_created",
        "etag",
        "last_modified",
    ]
    list_display = [
        "title",
        Column("state", label=_("状态"), accessor=feed_state),
        DateColumn("last_polled_at", label=_("上次抓取"), sort_key="last_polled_at"),
        DateColumn("next_poll_at", label=_("下次抓取"), sort_key="next_poll_at"),
        Column("problem", label=_("错误或警告"), accessor=feed_problem),
        Column("failures", label=_("连续失败"), sort_key="failures"),
        Column("items_created", label=_("已生成草稿"), sort_key="items_created"),
    ]
    list_filter = ["active", "last_status"]
    search_fields = ["title", "url", "credit"]
    search_backend_name = None
    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [
                    FieldPanel("title"),
                    FieldPanel("owner"),
                    FieldPanel("url"),
                    FieldRowPanel(
                        [FieldPanel("active"), FieldPanel("poll_interval_minutes")]
                    ),
                ],
                heading=_("订阅源"),
            ),
            MultiFieldPanel(
                [
                    PageChooserPanel("target", page_type=TARGET_PAGE_TYPES),
                    FieldPanel("topics", widget=forms.CheckboxSelectMultiple),
                    FieldPanel("credit"),
                ],
                heading=_("生成的草稿"),
            ),
            FieldPanel("note"),
        ]
    )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("poll/<int:pk>/", PollNowView.as_view(), name="poll"),
        ]


class IngestedEntryViewSet(ScopedViewSetMixin, ModelViewSet):
    """A listing only: entries are written by the poller, never by hand."""

    model = IngestedEntry
    icon = "draft"
    name = "ingested_entries"
    url_prefix = "ingest/entries"
    menu_label = _("抓取的稿件")
    menu_order = 20
    index_view_class = IngestedEntryIndexView
    copy_view_enabled = False
    list_display = [
        TitleColumn("title", label=_("原文标题"), get_url=draft_edit_url),
        Column("feed", label=_("上游订阅源")),
        Column("state", label=_("草稿状态"), accessor=entry_state),
        DateColumn("published_at", label=_("原文发布"), sort_key="published_at"),
        DateColumn("fetched_at", label=_("抓取时间"), sort_key="fetched_at"),
        Column("images_dropped", label=_("未转载的图片")),
        BooleanColumn("duplicate", label=_("重复")),
        Column("link", label=_("原文链接"), accessor=original_link),
    ]
    list_filter = ["feed", "duplicate"]
    search_fields = ["title", "link"]
    search_backend_name = None

    def get_common_view_kwargs(self, **kwargs):
        no_views = {
            f"{action}_url_name": None
            for action in ("add", "edit", "delete", "history", "usage")
        }
        return super().get_common_view_kwargs(**{**no_views, **kwargs})

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
        ]

    def register_admin_url_finder(self) -> None:
        """Entries have no edit page for an admin URL to lead to."""

    def get_permissions_to_register(self):
        """Only "view": the listing is all there is."""
        content_type = ContentType.objects.get_for_model(self.model)
        return Permission.objects.filter(
            content_type=content_type, codename="view_ingestedentry"
        )


class IngestGroup(ViewSetGroup):
    menu_label = _("订阅抓取")
    menu_icon = "download"
    menu_order = 275
    items = (UpstreamFeedViewSet, IngestedEntryViewSet)


@hooks.register("register_admin_viewset")
def register_ingest_group():
    return IngestGroup()
