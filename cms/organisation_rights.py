"""Wagtail's own permissions from the organisation tree: the staff groups of
an organisation get page rights (add, change) on the sections of their
organisation and every one below it, and collection rights (add, change,
choose images, documents and media) on their collections. Publishing stays
behind 科学审核 (cms.review): the reviewers group of the organisation that
reviews a section (cms.organisation_review) gets the right to publish it,
which its approval does.

sync_rights() makes the rows match the tree after any change to it (an
organisation added, moved, given sections, a collection or staff). It adds
and removes only these rights, only on pages and collections some
organisation holds (or held just before the change: `before`), and only
for groups that are (or were) some organisation's staff; anything else an
administrator granted by hand is left alone."""

from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth.models import Permission
from django.db import transaction
from wagtail.models import GroupCollectionPermission, GroupPagePermission

from cms.organisation_review import sync_review
from cms.organisations import Organisation

PAGE_RIGHTS = [("wagtailcore", "add_page"), ("wagtailcore", "change_page")]
REVIEW_RIGHTS = [("wagtailcore", "publish_page")]  # an approval publishes
COLLECTION_RIGHTS = [
    ("wagtailimages", "add_image"),
    ("wagtailimages", "change_image"),
    ("wagtailimages", "choose_image"),
    ("wagtaildocs", "add_document"),
    ("wagtaildocs", "change_document"),
    ("wagtaildocs", "choose_document"),
    ("wagtailmedia", "add_media"),
    ("wagtailmedia", "change_media"),
]


def permission_ids(rights: list[tuple[str, str]]) -> list[int]:
    found = {
        (app, codename): pk
        for pk, app, codename in Permission.objects.filter(
            codename__in=[codename for _, codename in rights]
        ).values_list("pk", "content_type__app_label", "codename")
    }
    return [found[right] for right in rights if right in found]


def held_below() -> tuple[dict[int, set], dict[int, set], set[int]]:
    """Per organisation, the sections and collections of its branch; and
    every group that is some organisation's staff."""
    organisations = list(
        Organisation.objects.prefetch_related("sections", "staff_groups").order_by(
            "path"
        )
    )
    by_id = {org.pk: org for org in organisations}
    pages, collections = defaultdict(set), defaultdict(set)
    for org in organisations:
        own_pages = {page.pk for page in org.sections.all()}
        for ancestor_id in org.lineage_ids:
            pages[ancestor_id] |= own_pages
            if org.collection_id:
                collections[ancestor_id].add(org.collection_id)
    staff = {
        org.pk: {group.pk for group in org.staff_groups.all()} for org in organisations
    }
    groups = set().union(*staff.values()) if staff else set()
    page_rows = {
        (group, page)
        for org_id, held in pages.items()
        if org_id in by_id
        for group in staff[org_id]
        for page in held
    }
    collection_rows = {
        (group, collection)
        for org_id, held in collections.items()
        if org_id in by_id
        for group in staff[org_id]
        for collection in held
    }
    return page_rows, collection_rows, groups


def sync(model, target: str, wanted: set, managed_targets: set, groups, rights):
    """Rows (group, target, permission) of `model` to match `wanted` × rights,
    within the managed targets and groups."""
    want = {(group, held, right) for group, held in wanted for right in rights}
    existing = set(
        model.objects.filter(
            **{f"{target}__in": managed_targets},
            group__in=groups,
            permission__in=rights,
        ).values_list("group", target, "permission")
    )
    for group, held, right in existing - want:
        model.objects.filter(group=group, **{target: held}, permission=right).delete()
    model.objects.bulk_create(
        model(group_id=group, **{f"{target}_id": held}, permission_id=right)
        for group, held, right in want - existing
    )


@dataclass(frozen=True)
class Holdings:
    """What one organisation held before a change to it."""

    pages: frozenset = frozenset()
    collections: frozenset = frozenset()
    groups: frozenset = frozenset()
    reviewers: frozenset = frozenset()

    @classmethod
    def of(cls, organisation: Organisation) -> "Holdings":
        if not organisation.pk:
            return cls()
        stored = Organisation.objects.get(pk=organisation.pk)
        return cls(
            frozenset(stored.sections.values_list("pk", flat=True)),
            frozenset({stored.collection_id} - {None}),
            frozenset(stored.staff_groups.values_list("pk", flat=True)),
            frozenset({stored.reviewers_id} - {None}),
        )


@transaction.atomic
def sync_rights(before: Holdings = Holdings()) -> None:
    """The page and collection rights, and the sections' review
    (cms.organisation_review)."""
    review_rows = sync_review(before.pages)
    page_rows, collection_rows, groups = held_below()
    groups |= before.groups
    pages = set(Organisation.sections.through.objects.values_list("page", flat=True))
    collections = set(
        Organisation.objects.exclude(collection=None).values_list(
            "collection", flat=True
        )
    )
    sync(
        GroupPagePermission,
        "page",
        page_rows,
        pages | before.pages,
        groups,
        permission_ids(PAGE_RIGHTS),
    )
    reviewer_groups = set(
        Organisation.objects.exclude(reviewers=None).values_list("reviewers", flat=True)
    )
    sync(
        GroupPagePermission,
        "page",
        review_rows,
        pages | before.pages,
        reviewer_groups | before.reviewers,
        permission_ids(REVIEW_RIGHTS),
    )
    sync(
        GroupCollectionPermission,
        "collection",
        collection_rows,
        collections | before.collections,
        groups,
        permission_ids(COLLECTION_RIGHTS),
    )
