"""Which pages a feed definition selects now: the visible science items that
match every criterion the definition sets, newest first.

Within a criterion any value matches (topic A or B); across criteria all must
(a topic and a content type). A topic also selects its subtopics. For outlet
and channel selections an item enters the feed only once a placement of it on
such an outlet has come due, and it is ordered by that moment. An item of
an 应急科普 alert is in every feed of the alert's area, first, while the
alert is on."""

from datetime import datetime

from django.db.models import DateTimeField, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from wagtail.models import Page

from channels.models import Placement
from cms.alerts import SiteAlert
from cms.organisations import Organisation
from cms.pages import ArticlePage, ColumnEpisodePage, VideoPage, visible_pages
from cms.snippets import Topic
from feeds.models import FeedDefinition

PAGE_MODELS = {
    FeedDefinition.ContentType.ARTICLE: ArticlePage,
    FeedDefinition.ContentType.VIDEO: VideoPage,
    FeedDefinition.ContentType.EPISODE: ColumnEpisodePage,
}
CONTENT_TYPE_OF = {model: kind for kind, model in PAGE_MODELS.items()}
TAXONOMY_LINKS = ("topics", "audiences", "campaign")


def content_type_of(page: Page) -> str:
    return CONTENT_TYPE_OF[type(page)]


def with_subtopics(topic_ids: set[int]) -> set[int]:
    """The topics and all their descendants (topics form a shallow tree)."""
    found, frontier = set(topic_ids), set(topic_ids)
    while frontier:
        children = Topic.objects.filter(parent__in=frontier).exclude(pk__in=found)
        frontier = set(children.values_list("pk", flat=True))
        found |= frontier
    return found


def taxonomy_filter(model, link: str, ids: set[int]) -> Q:
    """Pages of one model linked to any of ids (through M2M or FK)."""
    lookup = "campaign_id__in" if link == "campaign" else f"{link}__in"
    matching = model.objects.filter(**{lookup: ids}).values("pk")
    return Q(pk__in=matching)


def selected_ids(feed: FeedDefinition) -> dict[str, set[int]]:
    """Taxonomy ids the definition selects by, per link (empty ones left out)."""
    ids = {
        "topics": set(feed.topics.values_list("pk", flat=True)),
        "audiences": set(feed.audiences.values_list("pk", flat=True)),
        "campaign": set(feed.campaigns.values_list("pk", flat=True)),
    }
    if ids["topics"]:
        ids["topics"] = with_subtopics(ids["topics"])
    return {link: values for link, values in ids.items() if values}


def type_filter(feed: FeedDefinition, taxonomy: dict[str, set[int]]) -> Q:
    """Pages of the selected content types matching every taxonomy criterion."""
    kinds = feed.content_types or list(PAGE_MODELS)
    per_model = Q(pk__in=[])
    for kind in kinds:
        model = PAGE_MODELS[kind]
        condition = Q(content_type__model=model._meta.model_name)
        for link, ids in taxonomy.items():
            condition &= taxonomy_filter(model, link, ids)
        per_model |= condition
    return per_model & Q(content_type__app_label="cms")


def due_placements(feed: FeedDefinition, now: datetime) -> QuerySet[Placement] | None:
    """Placements that put items into this feed by now, or None when the
    feed does not select by outlet or channel."""
    outlet_ids = list(feed.outlets.values_list("pk", flat=True))
    if not outlet_ids and not feed.channels:
        return None
    placements = Placement.objects.filter(
        scheduled_at__lte=now,
        advisory__isnull=True,  # the item, not a notice
    ).exclude(status__in=(Placement.Status.FAILED, Placement.Status.CANCELLED))
    return placements.filter(
        Q(outlet_id__in=outlet_ids) | Q(outlet__channel__in=feed.channels)
    )


def feed_pages(feed: FeedDefinition, now: datetime | None = None) -> QuerySet[Page]:
    """The specific pages the feed shows now, newest first; each carries
    `entered_at`, the moment it entered the feed (publication, or its first
    due placement when the feed selects by outlet or channel)."""
    return selection(feed, visible_pages(), now).specific()


def selection(
    feed: FeedDefinition, pages: QuerySet[Page], now: datetime | None = None
) -> QuerySet[Page]:
    """Those of `pages` the feed's criteria select by `now`, newest first,
    with `entered_at`; given pages no reader can see any more (a withdrawn
    item), it says which feeds held them. The item of an 应急科普 alert
    (cms.alerts) raised by the feed's organisation or one above it is in
    the feed while the alert is on, first."""
    now = now or timezone.now()
    criteria = type_filter(feed, selected_ids(feed))
    in_area = Organisation.objects.filter(
        pk=feed.owner_id, path__startswith=OuterRef("owner__path")
    )
    urgent = SiteAlert.objects.active(now).filter(
        Exists(in_area), page_id=OuterRef("pk")
    )
    placements = due_placements(feed, now)
    if placements is None:
        entered_at = Coalesce("first_published_at", "latest_revision_created_at")
    else:
        first_due = (
            placements.filter(page_id=OuterRef("pk"))
            .order_by("scheduled_at")
            .values("scheduled_at")[:1]
        )
        criteria &= Q(pk__in=placements.values("page_id"))
        # SQLite's MAX(a, NULL) is NULL, PostgreSQL's GREATEST skips it: an
        # urgent item with no placement here entered at its publication
        entered_at = Coalesce(
            Greatest(
                "first_published_at",
                Subquery(first_due, output_field=DateTimeField()),
            ),
            "first_published_at",
        )
    pages = pages.annotate(urgent=Exists(urgent)).filter(criteria | Q(urgent=True))
    return pages.annotate(entered_at=entered_at).order_by(
        "-urgent", "-entered_at", "-pk"
    )
