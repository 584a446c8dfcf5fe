"""The admin as each user's organisation sees it (cms.organisations.Scope).

A model that organisations own says how to reach its owner in
`owner_path` ("owner", or "group__owner" through a relation; "" for
Organisation itself). A viewset built with ScopedViewSetMixin then:
- lists only the rows in the user's scope;
- answers 404 for any other row's edit, delete, history, usage or inspect
  address (every view that loads one row);
- offers, in every choice of its forms (the owner too), only rows in the
  user's scope, besides what the row already holds.
"""

from functools import cache, reduce

from django.http import Http404
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from cms.organisations import Organisation, Scope, root_organisation


def owner_path_of(model) -> str | None:
    return getattr(model, "owner_path", None)


def owner_of(instance) -> Organisation | None:
    path = owner_path_of(type(instance))
    if path == "":
        return instance
    return reduce(
        lambda row, name: row and getattr(row, name), path.split("__"), instance
    )


def scope_of(request) -> Scope:
    """The user's scope, read once per request."""
    if not hasattr(request, "organisation_scope"):
        request.organisation_scope = Scope.of(request.user)
    return request.organisation_scope


def visible_rows(request, queryset):
    """The rows of an owned model in the user's scope (all rows of a model
    no organisation owns)."""
    path = owner_path_of(queryset.model)
    return queryset if path is None else scope_of(request).filter(queryset, path)


def default_owner(scope: Scope) -> Organisation | None:
    """A new row's owner when none is chosen: the user's own organisation
    (the highest of them), the root for a superuser, None for a user of
    no organisation."""
    if scope.everything:
        return root_organisation()
    return scope.organisations().order_by("tier", "pk").first()


def limit_choices(fields: dict, scope: Scope, held=lambda name: []) -> None:
    """Each choice of owned rows among `fields` (form fields) offers the
    rows in the scope and those held(name) (primary keys)."""
    for name, field in fields.items():
        queryset = getattr(field, "queryset", None)
        path = owner_path_of(getattr(queryset, "model", None))
        if path is not None:
            field.queryset = queryset.filter(scope.q(path)) | queryset.filter(
                pk__in=held(name)
            )


class ScopedViewMixin:
    """Rows outside the user's scope are neither listed, offered as a
    filter, nor loaded."""

    @cached_property
    def filters(self):
        filters = super().filters
        if filters is not None:
            limit_choices(filters.form.fields, self.scope)
        return filters

    def get_base_queryset(self):
        queryset = super().get_base_queryset()
        return self.scope.filter(queryset, owner_path_of(queryset.model))

    def get_object(self, queryset=None):
        instance = super().get_object(queryset)
        if not self.scope.covers(owner_of(instance)):
            raise Http404
        return instance

    def get_form_class(self):
        return scoped_form(super().get_form_class())

    @property
    def scope(self) -> Scope:
        return scope_of(self.request)


class ScopedFormMixin:
    """Each choice of rows that organisations own offers those in the user's
    scope and what the row holds now; a new row's owner is the user's own
    organisation."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        user = getattr(self, "for_user", None)
        if user is None:
            return
        scope = Scope.of(user)
        limit_choices(self.fields, scope, self.held_pks)
        self.default_owner = default_owner(scope)
        if "owner" in self.fields and self.default_owner is not None:
            self.fields["owner"].required = False
            self.fields["owner"].empty_label = _("（本单位：%(name)s）") % {
                "name": self.default_owner.name
            }
            if not self.instance.pk:
                self.initial["owner"] = None

    def clean_owner(self):
        return self.cleaned_data.get("owner") or self.default_owner

    def held_pks(self, name: str) -> list:
        if not self.instance.pk:
            return []
        value = self.initial.get(name)
        if value is None:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        return [getattr(item, "pk", item) for item in values]


@cache
def scoped_form(form_class):
    return type(form_class.__name__, (ScopedFormMixin, form_class), {})


class ScopedViewSetMixin:
    """For a ModelViewSet whose model has an `owner_path`."""

    def construct_view(self, view_class, **kwargs):
        scoped = type(view_class.__name__, (ScopedViewMixin, view_class), {})
        return super().construct_view(scoped, **kwargs)
