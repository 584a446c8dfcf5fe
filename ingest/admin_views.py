"""Admin views of the 订阅抓取 menu beyond plain create/edit: the feed
listing with each feed's state and 立即抓取, the confirmation whose POST
queues a poll, and the listing of ingested entries leading to their drafts."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets import HeaderButton, ListingButton
from wagtail.permission_policies import ModelPermissionPolicy

from cms.scoped_admin import visible_rows
from ingest.models import IngestedEntry, UpstreamFeed
from ingest.tasks import LEASE, poll_feed

feed_policy = ModelPermissionPolicy(UpstreamFeed)
ERROR_PREVIEW = 80


def status_tag(label, modifier: str = ""):
    classes = f"w-status w-status--{modifier}" if modifier else "w-status"
    return format_html('<span class="{}">{}</span>', classes, label)


def feed_state(feed: UpstreamFeed):
    """正常, 出错 or 已停用, as a status tag."""
    if not feed.active:
        return status_tag(_("已停用"), "label")
    if feed.failures:
        return status_tag(_("出错"), "label")
    if feed.last_status == UpstreamFeed.Status.NEW:
        return status_tag(_("尚未抓取"))
    return status_tag(_("正常"), "primary")


def feed_problem(feed: UpstreamFeed) -> str:
    """The last error, or else the last warning, shortened for the listing."""
    return Truncator(feed.last_error or feed.last_warning).chars(ERROR_PREVIEW)


def entry_state(entry: IngestedEntry):
    if entry.page is None:
        return status_tag(_("草稿已删除"), "label")
    if entry.duplicate:
        return status_tag(_("重复（同一链接）"))
    if entry.page.live:
        return status_tag(_("已发布"), "primary")
    return status_tag(_("草稿，待审核"))


def draft_edit_url(entry: IngestedEntry) -> str | None:
    if entry.page_id is None:
        return None
    return reverse("wagtailadmin_pages:edit", args=[entry.page_id])


def original_link(entry: IngestedEntry):
    if not entry.link:
        return ""
    return format_html(
        '<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>',
        entry.link,
        _("原文"),
    )


def entries_url(feed: UpstreamFeed | None = None) -> str:
    url = reverse("ingested_entries:index")
    return f"{url}?{urlencode({'feed': feed.pk})}" if feed else url


class UpstreamFeedIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("target")

    @property
    def header_buttons(self):
        return [
            HeaderButton(_("抓取的稿件"), url=entries_url(), icon_name="doc-full"),
            *super().header_buttons,
        ]

    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        if instance.active and self.user_has_permission("change"):
            url = reverse("upstream_feeds:poll", args=[instance.pk])
            buttons.append(ListingButton(_("立即抓取"), url=url, icon_name="rotate"))
        buttons.append(
            ListingButton(
                _("抓取的稿件"), url=entries_url(instance), icon_name="doc-full"
            )
        )
        return buttons


class PollNowView(WagtailAdminTemplateMixin, PermissionCheckedMixin, TemplateView):
    """立即抓取: GET asks, POST queues the poll (the worker runs it)."""

    permission_policy = feed_policy
    permission_required = "change"
    page_title = _("立即抓取")
    header_icon = "rotate"
    template_name = "ingest/poll_confirm.html"

    def dispatch(self, request, *args, pk: int, **kwargs):
        feeds = visible_rows(request, UpstreamFeed.objects.all())
        self.feed = get_object_or_404(feeds, pk=pk)
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return str(self.feed)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("upstream_feeds:index"), "label": _("上游订阅源")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        return super().get_context_data(feed=self.feed, **kwargs)

    def post(self, request, *args, **kwargs):
        if not self.feed.active:
            messages.error(request, _("已停用的订阅源不会抓取，请先在编辑页启用"))
            return redirect("upstream_feeds:index")
        # The lease keeps the scheduler from queueing the same poll meanwhile.
        UpstreamFeed.objects.filter(pk=self.feed.pk).update(
            next_poll_at=timezone.now() + LEASE
        )
        poll_feed.enqueue(self.feed.pk)
        messages.success(
            request,
            _("「%(name)s」已加入抓取队列，结果会显示在列表中")
            % {"name": self.feed.title},
        )
        return redirect("upstream_feeds:index")


class IngestedEntryIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("feed", "page")
