"""What a key may read through the partner API: the union of the pages its
feeds select now (feeds.selection.feed_pages), only ever visible
ones, as items built the way the feeds build them.

Each page carries `changed`: the later of its last publication and the
moment it entered the key's scope (for an outlet feed, when its placement
came due), so that a partner syncing with `updated_since` also gets an item
published earlier that has only now entered its scope.

Advisories (更正/撤回) are scoped the same way, except that a withdrawn page
is no longer visible: a key may read an advisory when one of its feeds
selects the page (whether or not it is live) and the page had entered that
feed before the advisory. held_by() is that rule; one query per feed."""

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from django.db.models import (
    BooleanField,
    DateTimeField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, Least
from django.http import HttpRequest
from django.utils import timezone
from wagtail.models import Page

from cms.pages import visible_pages
from feeds.items import FeedItem, build_items
from feeds.models import FeedDefinition
from feeds.selection import feed_pages
from feeds.selection import selection as selected

NEVER = datetime(9999, 12, 31, tzinfo=UTC)


@dataclass(frozen=True)
class ApiItem:
    item: FeedItem
    updated: datetime  # UTC
    full_text: bool


def entered(selection: QuerySet) -> Subquery:
    """When the outer page entered this selection (NULL when it is not in it)."""
    moments = selection.filter(pk=OuterRef("pk")).values("entered_at")[:1]
    return Subquery(moments, output_field=DateTimeField())


def any_of(selections: list[QuerySet]) -> Q:
    condition = Q(pk__in=[])
    for selection in selections:
        condition |= Q(pk__in=selection.values("pk"))
    return condition


def first_entered(selections: list[QuerySet]):
    if len(selections) == 1:
        return entered(selections[0])
    return Least(*[Coalesce(entered(s), Value(NEVER)) for s in selections])


def scoped_rows(feeds: list[FeedDefinition], now: datetime | None = None) -> QuerySet:
    """(pk, changed, full_text) of every visible page in the union of the
    feeds, most recently changed first."""
    now = now or timezone.now()
    selections = [feed_pages(feed, now) for feed in feeds]
    with_text = [s for s, feed in zip(selections, feeds, strict=True) if feed.full_text]
    changed = Value(NEVER, output_field=DateTimeField())
    if selections:
        published = Coalesce(F("last_published_at"), F("first_published_at"))
        changed = Greatest(published, first_entered(selections))
    full_text = Value(False)
    if with_text:
        full_text = ExpressionWrapper(any_of(with_text), output_field=BooleanField())
    pages = visible_pages(Page.objects.filter(any_of(selections)))
    return (
        pages.annotate(changed=changed, full_text=full_text)
        .order_by("-changed", "-pk")
        .values_list("pk", "changed", "full_text")
    )


def api_items(rows: list[tuple], request: HttpRequest) -> list[ApiItem]:
    """The items of these rows, in order, with the body only where a feed
    that holds the item includes full text."""
    pages = Page.objects.filter(pk__in=[pk for pk, _c, _f in rows]).specific()
    by_id = {page.pk: page for page in pages}
    ordered = [by_id[pk] for pk, _c, _f in rows if pk in by_id]
    items = {item.page_id: item for item in build_items(ordered, request)}
    result = []
    for pk, changed, full_text in rows:
        if pk not in items:
            continue
        item = items[pk]
        if not full_text:
            item = replace(item, body_html="", body_text="")
        updated = max(item.updated, changed.astimezone(UTC))
        result.append(ApiItem(item=item, updated=updated, full_text=full_text))
    return result


def held_by(
    feeds: list[FeedDefinition], page_ids: set[int], now: datetime | None = None
) -> dict[int, datetime]:
    """page id → the moment it first entered any of the feeds, for those of
    the pages (live or not) that the feeds select; one query per feed."""
    now = now or timezone.now()
    entered: dict[int, datetime] = {}
    pages = Page.objects.public().filter(pk__in=page_ids)
    for feed in feeds:
        for pk, at in selected(feed, pages, now).values_list("pk", "entered_at"):
            if at is not None and (pk not in entered or at < entered[pk]):
                entered[pk] = at
    return entered
