"""The 科普大屏 admin menu: groups with their playlists (drag to reorder),
screens (pairing, revoking, online status), emergency items (cancel, who
confirmed), the loop preview, and the 开机率/使用率 reports; and which
operator-chosen images the screens show the public now (`public_file_names`)."""

from django import forms
from django.contrib.auth.models import Permission
from django.db.models import OuterRef, Subquery
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    PageChooserPanel,
)
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.models import IndexView
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import HeaderButton, ListingButton
from wagtail.coreutils import safe_snake_case

from cms.files import FileKind
from cms.scoped_admin import ScopedViewSetMixin
from cms.tree_admin import AddBelowView, TreeIndexView
from screens.admin_views import (
    CancelEmergencyView,
    ConfirmationsView,
    EmergencyCreateView,
    PairView,
    PreviewView,
    RevokeView,
    emergency_state,
    is_online,
)
from screens.care_views import (
    GroupCareView,
    ScreenCareView,
    last_error,
    screenshot,
    storage_free,
    uptime,
)
from screens.models import (
    EmergencyItem,
    PlaylistItem,
    Screen,
    ScreenGroup,
)
from screens.playlist import images_shown, resolve
from screens.release_admin import ReleaseViewSet
from screens.report_views import ScreenReportViewSet
from screens.widgets import DayPartsWidget


class ScreenGroupForm(WagtailAdminModelForm):
    """Offers for hiding only the unlocked items of the group's ancestors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "hidden_items" in self.fields:
            ancestors = self.instance.lineage_ids[:-1] if self.instance.pk else []
            self.fields["hidden_items"].queryset = PlaylistItem.objects.filter(
                group_id__in=ancestors, locked=False
            ).select_related("page", "image", "group")
            self.fields["hidden_items"].widget = forms.CheckboxSelectMultiple()


PLAYLIST_HEADING = _("本组播放项（拖动排序）")


def group_warnings(group: ScreenGroup) -> str:
    warnings = resolve(group, "landscape").warnings
    if not warnings:
        return ""
    return "；".join(f"{w.item}：{w.message}" for w in warnings)


class ScreenGroupIndexView(TreeIndexView):
    """Groups as a tree (cms.tree_admin): each name leads to its form (the
    playlist is edited there), and each row to the group's preview, its
    child groups, its screens, a new child group and its remote care."""

    def get_queryset(self):
        first_screen = Screen.objects.filter(group=OuterRef("pk")).order_by("name")
        return (
            super()
            .get_queryset()
            .annotate(first_screen=Subquery(first_screen.values("pk")[:1]))
        )

    def get_list_more_buttons(self, instance):
        return [*super().get_list_more_buttons(instance), *group_links(instance)]


def group_links(group: ScreenGroup) -> list[MenuItem]:
    """The row's links after 编辑 and before 删除, in this order."""
    edit = reverse("big_screen_groups:edit", args=[group.pk])
    playlist = f"{edit}#panel-{safe_snake_case(str(PLAYLIST_HEADING))}-section"
    links = [(_("编辑播放列表"), playlist, "list-ul")]
    if group.first_screen:
        preview = f"{reverse('big_screen_preview:index')}?screen={group.first_screen}"
        links.append((_("播放预览"), preview, "view"))
    screens = f"{reverse('big_screen_screens:index')}?group={group.pk}"
    links.append((_("本组大屏"), screens, "desktop"))
    if group.child_count:
        label = _("下级分组（%(count)s）") % {"count": group.child_count}
        children = f"{reverse('big_screen_groups:index')}?parent={group.pk}"
        links.append((label, children, "folder-open-inverse"))
    if group.tier < ScreenGroup.Tier.SITE:
        add = f"{reverse('big_screen_groups:add')}?parent={group.pk}"
        links.append((_("添加下级分组"), add, "plus"))
    care = reverse("big_screen_groups:care", args=[group.pk])
    links.append((_("远程运维"), care, "cog"))
    return [
        MenuItem(label, url, icon_name=icon, priority=11 + order)
        for order, (label, url, icon) in enumerate(links)
    ]


class ScreenGroupViewSet(ScopedViewSetMixin, ModelViewSet):
    model = ScreenGroup
    icon = "folder-open-inverse"
    name = "big_screen_groups"
    url_prefix = "big-screen/groups"
    menu_label = _("大屏分组")
    menu_order = 10
    index_view_class = ScreenGroupIndexView
    add_view_class = AddBelowView
    ordering = ["path"]
    list_display = [
        "name",
        "operator",
        "contact_name",
        "contact_phone",
        Column("warnings", label=_("播放提醒"), accessor=group_warnings),
    ]
    list_filter = ["tier", "parent"]
    search_fields = ["name", "operator", "contact_name"]
    search_backend_name = None
    copy_view_enabled = False
    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [
                    FieldPanel("name"),
                    FieldRowPanel([FieldPanel("tier"), FieldPanel("parent")]),
                    FieldPanel("owner"),
                    FieldPanel("outlet"),
                ],
                heading=_("分组"),
            ),
            MultiFieldPanel(
                [
                    FieldPanel("operator"),
                    FieldRowPanel(
                        [FieldPanel("contact_name"), FieldPanel("contact_phone")]
                    ),
                ],
                heading=_("谁购买谁负责"),
            ),
            MultiFieldPanel(
                [
                    FieldRowPanel(
                        [FieldPanel("footfall_per_hour"), FieldPanel("footfall_source")]
                    )
                ],
                heading=_("人流量（用于估算覆盖人次）"),
            ),
            InlinePanel("playlist_items", heading=PLAYLIST_HEADING),
            FieldPanel("hidden_items"),
        ],
        base_form_class=ScreenGroupForm,
    )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("care/<int:pk>/", GroupCareView.as_view(), name="care"),
        ]


class ScreenIndexView(IndexView):
    @property
    def header_buttons(self):
        url = reverse("big_screen_screens:pair")
        return [
            HeaderButton(_("配对新大屏"), url=url, icon_name="link"),
            *super().header_buttons,
        ]

    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        url = reverse("big_screen_screens:care", args=[instance.pk])
        buttons.append(ListingButton(_("远程运维"), url=url, icon_name="desktop"))
        if instance.is_paired:
            url = reverse("big_screen_screens:revoke", args=[instance.pk])
            buttons.append(ListingButton(_("吊销"), url=url, icon_name="cross"))
        return buttons


def screen_status(screen: Screen) -> str:
    if not screen.is_paired:
        return format_html('<span class="w-status">{}</span>', _("未配对"))
    if is_online(screen):
        return format_html(
            '<span class="w-status w-status--primary">{}</span>', _("在线")
        )
    return format_html('<span class="w-status w-status--label">{}</span>', _("离线"))


class ScreenViewSet(ScopedViewSetMixin, ModelViewSet):
    model = Screen
    icon = "desktop"
    name = "big_screen_screens"
    url_prefix = "big-screen/screens"
    menu_label = _("大屏")
    menu_order = 20
    index_view_class = ScreenIndexView
    copy_view_enabled = False
    list_display = [
        "name",
        "group",
        "location",
        "orientation",
        Column("status", label=_("状态"), accessor=screen_status),
        "last_seen_at",
        "paired_at",
        Column("player_version", label=_("播放器版本")),
        Column("storage_free", label=_("剩余存储"), accessor=storage_free),
        Column("uptime", label=_("运行时长"), accessor=uptime),
        Column("last_error", label=_("最近错误"), accessor=last_error),
    ]
    list_filter = ["group", "orientation"]
    search_fields = ["name", "location"]
    search_backend_name = None
    panels = [
        FieldPanel("name"),
        FieldPanel("group"),
        FieldPanel("location"),
        FieldRowPanel(
            [FieldPanel("orientation"), FieldPanel("width"), FieldPanel("height")]
        ),
        FieldPanel(
            "opening_hours",
            widget=DayPartsWidget(empty_text=_("没有时段时按全天开放计算。")),
            help_text=_("用于计算开机率：开放时间外的分钟不计入"),
        ),
    ]

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("pair/", PairView.as_view(), name="pair"),
            path("revoke/<int:pk>/", RevokeView.as_view(), name="revoke"),
            path("care/<int:pk>/", ScreenCareView.as_view(), name="care"),
            path("screenshots/<int:pk>/", screenshot, name="screenshot"),
        ]


class EmergencyIndexView(IndexView):
    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        url = reverse("big_screen_emergencies:confirmations", args=[instance.pk])
        buttons.append(ListingButton(_("确认情况"), url=url, icon_name="tick"))
        if instance.cancelled_at is None and instance.ends_at > timezone.now():
            url = reverse("big_screen_emergencies:cancel", args=[instance.pk])
            buttons.append(ListingButton(_("撤销"), url=url, icon_name="cross"))
        return buttons


class EmergencyViewSet(ScopedViewSetMixin, ModelViewSet):
    model = EmergencyItem
    icon = "warning"
    name = "big_screen_emergencies"
    url_prefix = "big-screen/emergencies"
    menu_label = _("应急科普")
    menu_order = 30
    index_view_class = EmergencyIndexView
    add_view_class = EmergencyCreateView
    copy_view_enabled = False
    list_display = [
        "title",
        "group",
        "starts_at",
        "ends_at",
        Column("state", label=_("状态"), accessor=emergency_state),
    ]
    list_filter = ["group"]
    search_fields = ["title"]
    search_backend_name = None
    panels = [
        FieldPanel("group"),
        FieldPanel("title"),
        FieldPanel("message"),
        PageChooserPanel("page", page_type=["cms.VideoPage", "cms.ArticlePage"]),
        FieldPanel("image"),
        FieldPanel("duration_seconds"),
        FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
    ]

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("cancel/<int:pk>/", CancelEmergencyView.as_view(), name="cancel"),
            path(
                "confirmations/<int:pk>/",
                ConfirmationsView.as_view(),
                name="confirmations",
            ),
        ]


class PreviewViewSet(ViewSet):
    name = "big_screen_preview"
    url_prefix = "big-screen/preview"
    icon = "view"
    menu_label = _("播放预览")
    menu_order = 40

    def get_urlpatterns(self):
        return [path("", PreviewView.as_view(), name="index")]


class BigScreenGroup(ViewSetGroup):
    menu_label = _("科普大屏")
    menu_icon = "desktop"
    menu_order = 260
    items = (
        ScreenGroupViewSet,
        ScreenViewSet,
        EmergencyViewSet,
        PreviewViewSet,
        ScreenReportViewSet,
        ReleaseViewSet,
    )


@hooks.register("register_admin_viewset")
def register_big_screen_group():
    return BigScreenGroup()


@hooks.register("register_permissions")
def player_release_permissions():
    """Offered on the admin's group page: 播放器版本 has no model viewset to
    offer them."""
    return Permission.objects.filter(
        content_type__app_label="big_screen",
        codename__in=["view_playerrelease", "change_playerrelease"],
    )


@hooks.register("public_file_names")
def images_on_screens(kind: FileKind, object_id: int) -> list[str]:
    """The stored name of an image while a playlist item that has not ended
    or an active emergency shows it (files:image answers 404 otherwise).
    One query, for images only."""
    if kind != FileKind.IMAGE:
        return []
    return list(images_shown().filter(pk=object_id).values_list("file", flat=True))
