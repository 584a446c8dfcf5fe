"""订阅源 in the admin: feed definitions with their selection, and each
feed's five addresses on the listing and the edit page."""

from django import forms
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList, Panel
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.admin.viewsets.model import ModelViewSet

from channels.registry import channel_choices
from cms.public_address import public_url
from cms.scoped_admin import ScopedViewSetMixin
from feeds.models import FeedDefinition

FORMAT_NAMES = ("rss.xml", "atom.xml", "feed.json", "podcast.xml", "mrss.xml")


def feed_addresses(feed: FeedDefinition, absolute: bool = False) -> list[str]:
    paths = [reverse("feeds:feed", args=[feed.slug, name]) for name in FORMAT_NAMES]
    if not absolute:
        return paths
    return [public_url(path) for path in paths]


def addresses_html(addresses: list[str]):
    return format_html(
        "<ul class='feed-addresses'>{}</ul>",
        format_html_join(
            "", "<li><a href='{0}'>{0}</a></li>", ((a,) for a in addresses)
        ),
    )


class AddressesPanel(Panel):
    """The feed's addresses, once it has been saved."""

    class BoundPanel(Panel.BoundPanel):
        def is_shown(self) -> bool:
            return bool(self.instance and self.instance.pk)

        def render_html(self, parent_context=None):
            return addresses_html(feed_addresses(self.instance, absolute=True))


class FeedDefinitionForm(WagtailAdminModelForm):
    channels = forms.MultipleChoiceField(
        label=_("渠道"),
        choices=channel_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("选中渠道后，条目在该渠道的排期时间到达后才进入订阅源"),
    )
    content_types = forms.MultipleChoiceField(
        label=_("内容类型"),
        choices=FeedDefinition.ContentType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("不选表示全部类型"),
    )


class FeedDefinitionViewSet(ScopedViewSetMixin, ModelViewSet):
    model = FeedDefinition
    icon = "rss"
    name = "feed_definitions"
    url_prefix = "feeds/definitions"
    add_to_admin_menu = True
    menu_label = _("订阅源")
    menu_order = 270
    list_display = [
        "title",
        "slug",
        "access",
        "item_count",
        BooleanColumn("active", label=_("启用")),
        Column(
            "addresses",
            label=_("地址"),
            accessor=lambda feed: addresses_html(feed_addresses(feed)),
        ),
    ]
    list_filter = ["access", "active"]
    search_fields = ["title", "slug"]
    search_backend_name = None
    edit_handler = ObjectList(
        [
            FieldPanel("title"),
            FieldPanel("slug"),
            FieldPanel("owner"),
            FieldPanel("description"),
            MultiFieldPanel(
                [
                    FieldPanel("outlets", widget=forms.CheckboxSelectMultiple),
                    FieldPanel("channels"),
                    FieldPanel("topics", widget=forms.CheckboxSelectMultiple),
                    FieldPanel("audiences", widget=forms.CheckboxSelectMultiple),
                    FieldPanel("campaigns", widget=forms.CheckboxSelectMultiple),
                    FieldPanel("content_types"),
                ],
                heading=_("选择内容（各项之间为“且”，项内为“或”）"),
            ),
            MultiFieldPanel(
                [
                    FieldPanel("item_count"),
                    FieldPanel("full_text"),
                    FieldPanel("access"),
                    FieldPanel("active"),
                ],
                heading=_("输出与访问"),
            ),
            AddressesPanel(heading=_("订阅地址")),
        ],
        base_form_class=FeedDefinitionForm,
    )


@hooks.register("register_admin_viewset")
def register_feed_definitions():
    return FeedDefinitionViewSet()


@hooks.register("register_icons")
def register_rss_icon(icons):
    return [*icons, "feeds/icons/rss.svg"]
