"""单位 in the admin (设置 → 单位): the tree of organisations, each with its
contact and the groups of its staff; an organisation that still owns
something is not deleted, and the page says what holds it."""

from collections import Counter

from django import forms
from django.contrib import messages
from django.db import router
from django.db.models import ProtectedError
from django.db.models.deletion import Collector
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.panels import FieldPanel, FieldRowPanel
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.models import DeleteView, EditView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.models import Page

from cms.organisation_rights import Holdings, sync_rights
from cms.organisations import Organisation
from cms.pages import ColumnPage, ContentIndexPage, HomePage
from cms.scoped_admin import ScopedViewSetMixin
from cms.tree_admin import AddBelowView, TreeIndexView


def holders(organisation: Organisation) -> str:
    """What keeps the organisation from being deleted ("下级单位 2 个、渠道账号
    1 个"), or "" when nothing does."""
    collector = Collector(using=router.db_for_write(Organisation))
    try:
        collector.collect([organisation])
    except ProtectedError as protected:
        counts = Counter(
            str(row._meta.verbose_name) for row in protected.protected_objects
        )
        return "、".join(f"{name} {count} 个" for name, count in counts.items())
    return ""


class OrganisationDeleteView(DeleteView):
    """Refuses, with what holds it, to delete an organisation that owns
    anything or has organisations below it."""

    def dispatch(self, request, *args, **kwargs):
        if not self.user_has_permission("delete"):
            return super().dispatch(request, *args, **kwargs)  # refuses
        if held_by := holders(self.object):
            messages.error(
                request,
                _("不能删除“%(name)s”：它还有%(holders)s。请先移交或删除这些记录。")
                % {"name": self.object.name, "holders": held_by},
            )
            return redirect(self.index_url_name)
        self.held_before = Holdings.of(self.object)
        return super().dispatch(request, *args, **kwargs)

    def delete_action(self):
        super().delete_action()
        sync_rights(self.held_before)


class OrganisationIndexView(TreeIndexView):
    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        if instance.tier < max(Organisation.Tier.values):
            url = f"{reverse('organisations:add')}?parent={instance.pk}"
            buttons.append(
                MenuItem(_("添加下级单位"), url, icon_name="plus", priority=11)
            )
        return buttons


SECTION_TYPES = (HomePage, ContentIndexPage, ColumnPage)


def organisation_form(form_class):
    """Sections are chosen among the site's sections and columns."""

    class OrganisationForm(form_class):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            if "sections" in self.fields:
                self.fields["sections"].queryset = Page.objects.type(
                    *SECTION_TYPES
                ).order_by("path")

    return OrganisationForm


class RightsSyncMixin:
    """Wagtail's page and collection rights follow each saved change
    (cms.organisation_rights)."""

    def get_object(self, queryset=None):
        instance = super().get_object(queryset)
        self.held_before = Holdings.of(instance)
        return instance

    def save_instance(self):
        instance = super().save_instance()
        sync_rights(getattr(self, "held_before", Holdings()))
        return instance


class OrganisationEditView(RightsSyncMixin, EditView):
    pass


class OrganisationAddView(RightsSyncMixin, AddBelowView):
    pass


def staff_groups(organisation: Organisation) -> str:
    return "、".join(group.name for group in organisation.staff_groups.all())


class OrganisationViewSet(ScopedViewSetMixin, ModelViewSet):
    model = Organisation
    icon = "group"
    name = "organisations"
    url_prefix = "organisations"
    menu_label = gettext_lazy("单位")
    add_to_settings_menu = True
    index_view_class = OrganisationIndexView
    delete_view_class = OrganisationDeleteView
    copy_view_enabled = False
    ordering = ["path"]
    list_display = [
        "name",
        "tier",
        "contact_name",
        "contact_phone",
        Column("staff", label=gettext_lazy("人员用户组"), accessor=staff_groups),
    ]
    list_filter = ["tier"]
    search_fields = ["name", "contact_name"]
    search_backend_name = None
    panels = [
        FieldPanel("name"),
        FieldRowPanel([FieldPanel("tier"), FieldPanel("parent")]),
        FieldRowPanel(
            [
                FieldPanel("contact_name"),
                FieldPanel("contact_phone"),
                FieldPanel("contact_email"),
            ]
        ),
        FieldPanel("staff_groups", widget=forms.CheckboxSelectMultiple),
        FieldPanel(
            "sections", widget=forms.CheckboxSelectMultiple, permission="superuser"
        ),
        FieldPanel("collection", permission="superuser"),
        FieldPanel("reviewers", permission="superuser"),
    ]
    edit_view_class = OrganisationEditView
    add_view_class = OrganisationAddView

    def get_form_class(self, for_update=False):
        return organisation_form(super().get_form_class(for_update))
