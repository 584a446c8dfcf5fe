"""Admin widgets of the content pages."""

from django import forms


class TreeCheckboxes(forms.CheckboxSelectMultiple):
    """Boxes for a tree whose labels name their ancestors ("上级 / 下级", as
    Topic's do): in label order, so each parent comes before its children
    and children sit together under it."""

    def optgroups(self, name, value, attrs=None):
        groups = super().optgroups(name, value, attrs)
        return sorted(groups, key=lambda group: str(group[1][0]["label"]))
