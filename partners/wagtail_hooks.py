"""The 合作媒体 admin menu: partners (with each one's usage), and their API
keys (create: the clear key shown once; edit the scope; revoke)."""

from django import forms
from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from cms.scoped_admin import ScopedViewSetMixin
from partners.admin_views import (
    KeyCreateView,
    KeyForm,
    KeyIndexView,
    KeyRevokeView,
    PartnerIndexView,
    UsageView,
)
from partners.models import ApiKey, Partner


class PartnerViewSet(ScopedViewSetMixin, ModelViewSet):
    model = Partner
    icon = "group"
    name = "partners"
    url_prefix = "partners/partners"
    menu_label = _("合作方")
    menu_order = 10
    index_view_class = PartnerIndexView
    copy_view_enabled = False
    list_display = [
        "name",
        "organisation",
        "contact_name",
        "contact_phone",
        BooleanColumn("active", label=_("启用")),
    ]
    list_filter = ["active"]
    search_fields = ["name", "organisation", "contact_name"]
    search_backend_name = None
    panels = [
        FieldPanel("name"),
        FieldPanel("organisation"),
        FieldPanel("owner"),
        FieldRowPanel(
            [
                FieldPanel("contact_name"),
                FieldPanel("contact_phone"),
                FieldPanel("contact_email"),
            ]
        ),
        FieldPanel("notes"),
        FieldPanel("active"),
        MultiFieldPanel(
            [
                FieldPanel("notice_method"),
                FieldPanel("notice_url"),
                FieldPanel("notice_secret"),
            ],
            heading=_("更正与撤回通知"),
        ),
    ]

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("pulls/<int:pk>/", UsageView.as_view(), name="pulls"),
        ]


SCOPE_PANELS = [
    FieldPanel("label"),
    FieldPanel("feeds", widget=forms.CheckboxSelectMultiple),
    FieldRowPanel([FieldPanel("rate_limit_per_minute"), FieldPanel("expires_at")]),
]


class ApiKeyViewSet(ScopedViewSetMixin, ModelViewSet):
    model = ApiKey
    icon = "key"
    name = "partner_keys"
    url_prefix = "partners/keys"
    menu_label = _("API 密钥")
    menu_order = 20
    index_view_class = KeyIndexView
    add_view_class = KeyCreateView
    delete_view_class = KeyRevokeView
    delete_template_name = "partners/key_revoke.html"
    copy_view_enabled = False
    inspect_view_enabled = False
    add_to_reference_index = False
    list_filter = ["partner"]
    search_fields = ["label", "prefix", "partner__name"]
    search_backend_name = None
    edit_handler = ObjectList(
        [MultiFieldPanel(SCOPE_PANELS, heading=_("用途与范围"))],
        base_form_class=KeyForm,
    )
    create_handler = ObjectList(
        [FieldPanel("partner"), *SCOPE_PANELS], base_form_class=KeyForm
    )

    def get_add_view_kwargs(self, **kwargs):
        panel = self.create_handler.bind_to_model(ApiKey)
        return super().get_add_view_kwargs(
            panel=panel, form_class=panel.get_form_class(), **kwargs
        )


class PartnersGroup(ViewSetGroup):
    menu_label = _("合作媒体")
    menu_icon = "group"
    menu_order = 275
    items = (PartnerViewSet, ApiKeyViewSet)


@hooks.register("register_admin_viewset")
def register_partners_group():
    return PartnersGroup()


@hooks.register("register_log_actions")
def register_key_log_actions(actions):
    actions.register_action("partners.key.revoke", _("吊销密钥"), _("吊销了 API 密钥"))
