"""Admin views of the 合作媒体 menu beyond plain create/edit: the key listing,
creating a key (its clear value shown once, on the page the form posts to,
never stored), revoking a key, and a partner's usage."""

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets import ListingButton
from wagtail.log_actions import log
from wagtail.permission_policies import ModelPermissionPolicy

from cms.public_address import public_url
from cms.scoped_admin import visible_rows
from partners.models import ApiKey, Partner
from partners.pull_log import flush_pull_logs
from partners.serializers import ADDRESS_FORMATS
from partners.usage import daily_chart, partner_usage

partner_policy = ModelPermissionPolicy(Partner)
ANY_PERMISSION = ["add", "change", "delete", "view"]
STATUS_CLASSES = {
    ApiKey.Status.ACTIVE: "w-status w-status--primary",
    ApiKey.Status.REVOKED: "w-status w-status--label",
    ApiKey.Status.EXPIRED: "w-status",
}
FORMAT_LABELS = {
    "rss": "RSS 2.0",
    "atom": "Atom",
    "json_feed": "JSON Feed",
    "podcast": _("播客"),
    "media_rss": "Media RSS",
}


def status_html(key: ApiKey):
    return format_html(
        '<span class="{}">{}</span>',
        STATUS_CLASSES[key.status],
        key.get_status_display(),
    )


def feed_titles(key: ApiKey) -> str:
    return "、".join(feed.title for feed in key.feeds.all())


class KeyForm(WagtailAdminModelForm):
    def clean_expires_at(self):
        moment = self.cleaned_data.get("expires_at")
        changed = "expires_at" in self.changed_data
        if moment is not None and changed and moment <= timezone.now():
            raise ValidationError(_("到期时间应晚于现在；要立即停用请吊销密钥"))
        return moment


# Keys ---------------------------------------------------------------------------------


class KeyIndexView(generic.IndexView):
    def get_base_queryset(self):
        flush_pull_logs()  # this process's pulls, for 最近使用
        queryset = super().get_base_queryset()
        return queryset.select_related("partner").prefetch_related("feeds")

    @cached_property
    def columns(self):
        return [
            self._get_title_column_class(TitleColumn)(
                "prefix",
                label=_("密钥"),
                accessor="display_prefix",
                get_url=self.get_edit_url,
            ),
            Column("partner", label=_("合作方")),
            Column("label", label=_("用途")),
            Column("feeds", label=_("可读订阅源"), accessor=feed_titles),
            Column("status", label=_("状态"), accessor=status_html),
            Column("rate_limit_per_minute", label=_("每分钟上限")),
            DateColumn("expires_at", label=_("到期时间")),
            DateColumn("last_used_at", label=_("最近使用")),
        ]

    def get_list_more_buttons(self, instance):
        delete_url = self.get_delete_url(instance)
        buttons = [
            b for b in super().get_list_more_buttons(instance) if b.url != delete_url
        ]
        if delete_url and instance.revoked_at is None:
            buttons.append(ListingButton(_("吊销"), url=delete_url, icon_name="cross"))
        return buttons


class KeyCreateView(generic.CreateView):
    def get_initial(self):
        initial = super().get_initial()
        partner = self.request.GET.get("partner", "")
        if partner.isdigit():
            initial["partner"] = partner
        return initial

    def save_instance(self):
        self.clear_key = self.form.instance.assign_key()
        return super().save_instance()

    def save_action(self):
        """The page that shows the clear key, once: not a redirect, so the
        key is never stored anywhere to be shown later."""
        response = TemplateResponse(
            self.request, "partners/key_created.html", self.created_context()
        )
        add_never_cache_headers(response)
        response["Cache-Control"] += ", no-store"
        return response

    def created_context(self) -> dict:
        context = super().get_context_data()
        context.update(
            page_title=_("密钥已创建"),
            header_title=_("密钥已创建"),
            key=self.object,
            clear_key=self.clear_key,
            feeds=key_feed_addresses(self.object, self.clear_key),
            api_url=public_url(reverse("partner_api:items")),
            docs_url=public_url(reverse("partner_api:docs")),
            schema_url=public_url(reverse("partner_api:schema")),
            index_url=reverse("partner_keys:index")
            + f"?partner={self.object.partner_id}",
        )
        return context


def key_feed_addresses(key: ApiKey, clear: str) -> list[dict]:
    """Each feed of the key with its addresses carrying ?key=, for feed
    readers that cannot send a header."""
    feeds = []
    for feed in key.feeds.order_by("slug"):
        addresses = [
            (
                FORMAT_LABELS[field],
                public_url(reverse("feeds:feed", args=[feed.slug, name]))
                + f"?key={clear}",
            )
            for field, name in ADDRESS_FORMATS.items()
        ]
        feeds.append({"feed": feed, "addresses": addresses})
    return feeds


class KeyRevokeView(generic.DeleteView):
    """Revoking keeps the key (and its pulls) for the record."""

    page_title = _("吊销密钥")
    template_name = "partners/key_revoke.html"
    success_message = _("密钥 %(object)s 已吊销")

    @property
    def confirmation_message(self):
        return _(
            "吊销后，使用此密钥的订阅和 API 请求都会立即被拒绝（401），"
            "且不能恢复。确定吊销吗？"
        )

    def delete_action(self):
        ApiKey.objects.filter(pk=self.object.pk, revoked_at=None).update(
            revoked_at=timezone.now()
        )
        log(self.object, "partners.key.revoke", user=self.request.user)

    def get_success_message(self):
        return self.success_message % {"object": self.object}

    def get_success_url(self):
        return reverse("partner_keys:index") + f"?partner={self.object.partner_id}"


# Partners -----------------------------------------------------------------------------


class PartnerIndexView(generic.IndexView):
    def get_list_more_buttons(self, instance):
        keys = reverse("partner_keys:index") + f"?partner={instance.pk}"
        new_key = reverse("partner_keys:add") + f"?partner={instance.pk}"
        return [
            *super().get_list_more_buttons(instance),
            ListingButton(_("密钥"), url=keys, icon_name="key", priority=20),
            ListingButton(_("新建密钥"), url=new_key, icon_name="plus", priority=21),
            ListingButton(
                _("用量"),
                url=reverse("partners:pulls", args=[instance.pk]),
                icon_name="table",
                priority=22,
            ),
        ]


class UsageView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    permission_policy = partner_policy
    any_permission_required = ANY_PERMISSION
    header_icon = "table"
    template_name = "partners/usage.html"

    def dispatch(self, request, *args, pk: int, **kwargs):
        partners = visible_rows(request, Partner.objects.all())
        self.partner = get_object_or_404(partners, pk=pk)
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("%(name)s 的用量") % {"name": self.partner.name}

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("partners:index"), "label": _("合作方")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        flush_pull_logs()  # this process's latest pulls count too
        usage = partner_usage(self.partner)
        return super().get_context_data(
            usage=usage,
            chart=daily_chart(usage),
            keys_url=reverse("partner_keys:index") + f"?partner={self.partner.pk}",
            **kwargs,
        )
