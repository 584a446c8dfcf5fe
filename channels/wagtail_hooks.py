"""The 渠道 admin menu (编辑日历, placements, outlets, the targets report) and
发布到渠道 on content pages."""

import django_filters
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, ObjectList, PageChooserPanel
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import Button

from channels.admin_views import (
    STATUS_COLOURS,
    CalendarView,
    PlacementCreateView,
    PlacementEditView,
    PlacementIndexView,
    PlacementInspectView,
    PlacementMenuItem,
    download_output,
    move_placement,
    placement_policy,
)
from channels.advisory_views import AdvisoryViewSet, advisory_policy
from channels.editor_panel import LiveFiguresView, channels_side_panels
from channels.forms import OutletForm, PlacementForm, content_page_models
from channels.models import Outlet, Placement
from channels.previews import preview_modes, serve_channel_preview
from channels.problem_views import add_problems_panel, retry_placement
from channels.registry import all_adapters, channel_choices
from channels.report_views import TargetsReportViewSet
from cms.advisories import Advisory
from cms.page_views import SIDE_PANELS_HOOK
from cms.pages import ContentPage
from cms.previews import HOOK as PREVIEW_MODES_HOOK
from cms.previews import PreviewMode
from cms.scoped_admin import ScopedViewSetMixin


class StatusColumn(Column):
    cell_template_name = "channels/admin/status_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["label"] = instance.get_status_display()
        context["colour"] = STATUS_COLOURS[instance.status]
        return context


class PlacementFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label=_("状态"), choices=Placement.Status.choices
    )
    outlet = django_filters.ModelChoiceFilter(
        label=_("渠道账号/栏目"), queryset=Outlet.objects.all()
    )
    channel = django_filters.ChoiceFilter(
        label=_("渠道"), field_name="outlet__channel", choices=channel_choices
    )

    class Meta:
        model = Placement
        fields = ["status", "outlet", "channel"]


class OutletViewSet(ScopedViewSetMixin, ModelViewSet):
    model = Outlet
    icon = "site"
    name = "channel_outlets"
    url_prefix = "channels/outlets"
    menu_order = 20
    list_display = [
        "name",
        "channel",
        "organisation",
        "cadence",
        "annual_target",
        BooleanColumn("active", label=_("启用")),
    ]
    list_filter = ["channel", "active"]
    search_fields = ["name", "organisation"]
    search_backend_name = None
    edit_handler = ObjectList(Outlet.panels, base_form_class=OutletForm)


def placement_problem(placement: Placement) -> str:
    """Why it failed, or what its check says would stop it going out."""
    if placement.error:
        return Truncator(placement.error).chars(60)
    if failures := placement.check_failures:
        text = Truncator("；".join(failures)).chars(60)
        return format_html(
            '<span class="w-status w-status--label">{}</span> {}',
            _("交付前需解决"),
            text,
        )
    return ""


class PlacementViewSet(ScopedViewSetMixin, ModelViewSet):
    model = Placement
    icon = "calendar-check"
    name = "channel_placements"
    url_prefix = "channels/placements"
    menu_order = 10
    index_view_class = PlacementIndexView
    add_view_class = PlacementCreateView
    edit_view_class = PlacementEditView
    inspect_view_class = PlacementInspectView
    inspect_view_enabled = True
    inspect_view_fields = [
        "page",
        "outlet",
        "scheduled_at",
        "status",
        "attempts",
        "next_attempt_at",
        "error",
        "created_by",
        "created_at",
        "delivered_at",
    ]
    copy_view_enabled = False
    create_template_name = "channels/admin/placement_create.html"
    inspect_template_name = "channels/admin/placement_inspect.html"
    list_display = [
        "page",
        "outlet",
        "scheduled_at",
        StatusColumn("status", label=_("状态"), sort_key="status"),
        "attempts",
        Column("problem", label=_("问题"), accessor=placement_problem),
    ]
    filterset_class = PlacementFilterSet
    search_fields = ["page__title", "outlet__name"]
    search_backend_name = None
    edit_handler = ObjectList(
        [
            PageChooserPanel("page", page_type=content_page_models()),
            FieldPanel("outlet"),
            FieldPanel("scheduled_at"),
        ],
        base_form_class=PlacementForm,
    )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("output/<int:pk>/", download_output, name="output"),
            path("retry/<int:pk>/", retry_placement, name="retry"),
        ]


class CalendarViewSet(ViewSet):
    name = "channel_calendar"
    url_prefix = "channels/calendar"
    icon = "calendar-alt"
    menu_label = _("编辑日历")
    menu_order = 0
    menu_item_class = PlacementMenuItem

    def get_urlpatterns(self):
        return [
            path("", CalendarView.as_view(), name="index"),
            path("move/<int:pk>/", move_placement, name="move"),
        ]


class ChannelsGroup(ViewSetGroup):
    menu_label = _("渠道")
    menu_icon = "site"
    menu_order = 250

    def __init__(self):
        own = [viewset for a in all_adapters() for viewset in a.admin_viewsets()]
        self.items = (
            CalendarViewSet,
            PlacementViewSet,
            *own,  # the channels' own desks
            AdvisoryViewSet,
            OutletViewSet,
            TargetsReportViewSet,
        )
        super().__init__()


@hooks.register("register_admin_viewset")
def register_channels_group():
    return ChannelsGroup()


def place_on_channels_button(page, user, priority: int):
    """发布到渠道: the placement form with the content page chosen."""
    page_class = page.specific_class
    if page_class is None or not issubclass(page_class, ContentPage):
        return
    if not placement_policy.user_has_permission(user, "add"):
        return
    url = f"{reverse('channel_placements:add')}?{urlencode({'page': page.pk})}"
    yield Button(_("发布到渠道"), url, icon_name="calendar-check", priority=priority)


def advisories_button(page, user, priority: int):
    """更正与撤回 of this item, once it has any."""
    if not advisory_policy.user_has_permission(user, "view"):
        return
    count = Advisory.objects.filter(page_id=page.pk).count()
    if count:
        url = f"{reverse('channel_advisories:index')}?{urlencode({'item': page.pk})}"
        label = _("更正与撤回（%(count)d）") % {"count": count}
        yield Button(label, url, icon_name="warning", priority=priority)


@hooks.register("register_page_header_buttons")
def page_header_buttons(page, user, view_name, next_url=None):
    yield from place_on_channels_button(page, user, priority=40)
    yield from advisories_button(page, user, priority=41)


@hooks.register("register_page_listing_more_buttons")
def page_listing_more_buttons(page, user, next_url=None):
    yield from place_on_channels_button(page, user, priority=45)


@hooks.register(PREVIEW_MODES_HOOK)
def channel_preview_modes() -> list[PreviewMode]:
    return [
        PreviewMode(key, label, serve_channel_preview) for key, label in preview_modes()
    ]


hooks.register("construct_homepage_panels", add_problems_panel)
hooks.register(SIDE_PANELS_HOOK, channels_side_panels)


@hooks.register("register_admin_urls")
def channel_figures_url():
    return [
        path(
            "channels/pages/<int:page_id>/figures/",
            LiveFiguresView.as_view(),
            name="channel_figures",
        )
    ]
