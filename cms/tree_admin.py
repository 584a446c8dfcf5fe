"""Tree listings in the admin (大屏分组, 单位): rows in tree order, each name
indented by tier, with a toggle that collapses the branch below it in place
(cms/admin/tree.js). The model is a cms.trees.TierTree; the listing's
queryset annotates `child_count`."""

from django.db.models import Count
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Table, TitleColumn
from wagtail.admin.views.generic.models import CreateView, IndexView


class TreeTable(Table):
    """Rows that know their place in the tree, for the toggles."""

    def get_row_attrs(self, instance):
        return {**super().get_row_attrs(instance), "data-tree-path": instance.path}


class TreeNameColumn(TitleColumn):
    """The indented name, with a toggle before it on a row that has rows
    below it."""

    cell_template_name = "cms/admin/tree_name_cell.html"

    class Media:
        css = {"all": ["cms/admin/tree.css"]}
        js = ["cms/admin/tree.js"]

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["indent"] = "\u3000" * (instance.tier - 1)
        context["child_count"] = instance.child_count
        context["path"] = instance.path
        context["noun"] = instance.noun
        return context


class TreeIndexView(IndexView):
    """The first column of list_display becomes the tree's name column."""

    table_class = TreeTable

    @cached_property
    def columns(self):
        name = self._get_title_column_class(TreeNameColumn)(
            "name",
            label=_("名称"),
            accessor=str,
            sort_key="path",
            get_url=self.get_edit_url,
        )
        return [name, *super().columns[1:]]

    def get_queryset(self):
        return super().get_queryset().annotate(child_count=Count("children"))


class AddBelowView(CreateView):
    """Opened from a row's 添加下级…: the parent and the tier below it filled
    in."""

    def get_initial(self):
        initial = super().get_initial()
        parent_id = self.request.GET.get("parent", "")
        parent = (
            self.model.objects.filter(pk=parent_id).first()
            if parent_id.isdigit()
            else None
        )
        if parent and parent.tier < max(self.model.Tier.values):
            initial.update(parent=parent, tier=parent.tier + 1)
        return initial
