"""The feed benchmark's content: live articles added in bulk under one demo
section, and articles published through the review workflow as an editor
and a reviewer would. Import only after django.setup().

Bulk articles are load data. Adding 100,000 pages one add_child at a time
takes longer than the whole benchmark may, and so does building 100,000
page instances for bulk_create, so their rows are written with one INSERT
statement per table and batch, each value prepared by its model field as
the ORM would: page rows at the tree paths add_child would give them (the
section's next children, in order), article rows, one topic and one
audience each. The section's child count is raised in the same transaction,
so the tree stays consistent. They go in live, without revisions, review or
search indexing, as site.py's generated articles do (bar the indexing)."""

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from functools import cache
from itertools import cycle
from uuid import uuid4

from corpus import ArticleText, article_text
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models import F
from django.test import Client
from django.utils import timezone
from server import HOST
from wagtail.models import Page

from cms.pages import ArticlePage, ContentIndexPage, visible_pages
from cms.review import approve_review, submit_for_review
from cms.snippets import Audience, Expert, Topic

SLUG_PREFIX = "feed-bench-"
PUBLISHED_PREFIX = "reviewed-bench-"  # not load data: reviewed
BATCH = 5_000
TEXTS = 1_000  # distinct bodies, reused: generating one costs more than writing it
# The demo's editor and reviewer (demo/loader.py).
EDITOR, REVIEWER = "kepu_editor", "kepu_reviewer"


class TableWriter:
    """Inserts rows into one model's table with executemany. Columns not named
    in `varying` take the template instance's value, prepared once."""

    def __init__(self, model: type[models.Model], template, varying: set[str]):
        self.fields = [
            field
            for field in model._meta.local_concrete_fields
            if field.is_relation or not field.primary_key  # no auto ids
        ]
        self.constant = {
            field.attname: field.get_db_prep_save(
                getattr(template, field.attname), connection
            )
            for field in self.fields
            if field.attname not in varying
        }
        quote = connection.ops.quote_name
        self.table = quote(model._meta.db_table)
        columns = ", ".join(quote(field.column) for field in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        self.statement = f"INSERT INTO {self.table} ({columns}) VALUES ({marks})"

    def value(self, field, row: dict):
        if field.attname in self.constant:
            return self.constant[field.attname]
        return field.get_db_prep_save(row[field.attname], connection)

    def insert(self, rows: list[dict]) -> None:
        values = [[self.value(field, row) for field in self.fields] for row in rows]
        with connection.cursor() as cursor:
            cursor.executemany(self.statement, values)


def through_writer(link) -> TableWriter:
    model = link.through
    columns = {field.attname for field in model._meta.local_concrete_fields}
    return TableWriter(model, model(), columns)


def writers(section: ContentIndexPage) -> dict[str, TableWriter]:
    page = Page(
        content_type=ContentType.objects.get_for_model(ArticlePage),
        depth=section.depth + 1,
        numchild=0,
        locale_id=section.locale_id,
        live=True,
        has_unpublished_changes=False,
    )
    article = ArticlePage(
        author="基准测试",
        source_credit="基准测试",
        reviewing_expert=Expert.objects.order_by("pk").first(),
    )
    page_varying = {"title", "draft_title", "slug", "path", "url_path"}
    page_varying |= {"first_published_at", "last_published_at", "translation_key"}
    return {
        "page": TableWriter(Page, page, page_varying),
        "article": TableWriter(
            ArticlePage, article, {"page_ptr_id", "standfirst", "body"}
        ),
        "topics": through_writer(ArticlePage.topics),
        "audiences": through_writer(ArticlePage.audiences),
    }


@cache
def text_of(variant: int) -> ArticleText:
    return article_text(variant)


def page_row(section: ContentIndexPage, number: int, step: int, now: datetime) -> dict:
    """Article `number`, published `number` hours before now."""
    title = text_of(number % TEXTS).title.partition("（")[0] + f"（{number}）"
    slug = f"{SLUG_PREFIX}{number:06d}"
    published = now - timedelta(hours=number)
    return {
        "title": title,
        "draft_title": title,
        "slug": slug,
        "path": Page._get_path(section.path, section.depth + 1, step),
        "url_path": f"{section.url_path}{slug}/",
        "first_published_at": published,
        "last_published_at": published,
        "translation_key": uuid4(),
    }


def article_row(page_id: int, number: int) -> dict:
    text = text_of(number % TEXTS)
    body = [
        {"type": "paragraph", "value": f"<p>{paragraph}</p>", "id": str(uuid4())}
        for paragraph in text.paragraphs
    ]
    return {"page_ptr_id": page_id, "standfirst": text.standfirst, "body": body}


def next_steps(section: ContentIndexPage) -> Iterator[int]:
    """The tree steps of the section's next children, as add_child numbers
    them (after the current last child)."""
    last = section.get_last_child()
    step = Page._str2int(last.path[-Page.steplen :]) + 1 if last else 1
    while True:
        yield step
        step += 1


def page_ids(section: ContentIndexPage, paths: list[str]) -> list[int]:
    """The ids of the pages just written at these (consecutive) paths."""
    ids = dict(
        Page.objects.filter(
            depth=section.depth + 1, path__range=(paths[0], paths[-1])
        ).values_list("path", "pk")
    )
    return [ids[path] for path in paths]


def add_batch(section, numbers: range, steps: Iterator[int], tables, tags) -> None:
    now = timezone.now()
    pages = [page_row(section, n, next(steps), now) for n in numbers]
    topics, audiences = tags
    with transaction.atomic():
        tables["page"].insert(pages)
        ids = page_ids(section, [page["path"] for page in pages])
        tables["article"].insert(
            [article_row(pk, n) for pk, n in zip(ids, numbers, strict=True)]
        )
        tables["topics"].insert(
            [{"articlepage_id": pk, "topic_id": next(topics)} for pk in ids]
        )
        tables["audiences"].insert(
            [{"articlepage_id": pk, "audience_id": next(audiences)} for pk in ids]
        )
        Page.objects.filter(pk=section.pk).update(numchild=F("numchild") + len(ids))
    refresh_statistics(tables)


def refresh_statistics(tables: dict[str, TableWriter]) -> None:
    """PostgreSQL plans each batch's foreign-key checks from the tables'
    statistics: left at their first values, every check reads the whole page
    table and the batches grow slower and slower (quadratic in all)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(t.table for t in tables.values()))


def generate_articles(
    section: ContentIndexPage, numbers: range, on_progress: Callable[[int], None]
) -> None:
    """Live articles numbered `numbers`, the last children of section, in
    batches of BATCH; on_progress gets the count so far after each batch."""
    steps = next_steps(section)
    tables = writers(section)
    tags = (
        cycle(Topic.objects.values_list("pk", flat=True)),
        cycle(Audience.objects.values_list("pk", flat=True)),
    )
    for start in range(numbers.start, numbers.stop, BATCH):
        batch = range(start, min(start + BATCH, numbers.stop))
        add_batch(section, batch, steps, tables, tags)
        on_progress(batch.stop - numbers.start)
    section.refresh_from_db()


def check_generated(section: ContentIndexPage, expected: int) -> str:
    """Fails the run unless the generated articles are sound tree nodes,
    visible pages, and served as such; returns what was checked."""
    generated = ArticlePage.objects.filter(slug__startswith=SLUG_PREFIX)
    visible = visible_pages(generated).count()
    children = section.get_children().count()
    if visible != expected or children != section.numchild:
        raise SystemExit(
            f"generated {expected:,} articles but {visible:,} are visible; the "
            f"section has {children:,} children and numchild {section.numchild:,}"
        )
    last = generated.order_by("-path").first()
    status = Client(SERVER_NAME=HOST).get(last.url).status_code
    if last.get_parent().pk != section.pk or status != 200:
        raise SystemExit(f"generated article {last.url} answered {status}")
    return (
        f"{visible:,} generated articles visible; section children = numchild = "
        f"{children:,}; the last one serves 200"
    )


def publish_reviewed(
    section: ContentIndexPage, number: int
) -> tuple[ArticlePage, Callable[[], None]]:
    """A new article as a draft, saved and submitted for review by the demo's
    editor; returns it with the reviewer's approval, which publishes it."""
    editor = User.objects.get(username=EDITOR)
    reviewer = User.objects.get(username=REVIEWER)
    text = article_text(number)
    page = section.add_child(
        instance=ArticlePage(
            title=f"新发布：{text.title}",
            slug=f"{PUBLISHED_PREFIX}{number}",
            live=False,
            standfirst=text.standfirst,
            body=[("paragraph", f"<p>{p}</p>") for p in text.paragraphs],
            author="基准测试",
            source_credit="基准测试",
            reviewing_expert=Expert.objects.order_by("pk").first(),
        )
    )
    page.save_revision(user=editor)
    submit_for_review(page, editor)

    def approve() -> None:
        approve_review(page, reviewer, comment="基准测试：内容准确")

    return page, approve


def create_keyed_feed(slug: str, like: str) -> str:
    """A partner feed selecting what the feed `like` does, and a key for it
    (with a rate limit the load cannot reach); returns the key in clear."""
    from feeds.models import FeedDefinition
    from partners.models import ApiKey, Partner

    feed = FeedDefinition.objects.create(
        slug=slug,
        title="基准测试合作方订阅源",
        item_count=FeedDefinition.objects.get(slug=like).item_count,
        access=FeedDefinition.Access.PARTNER,
    )
    partner = Partner.objects.create(name="基准测试合作方", contact_name="张丽")
    key = ApiKey(partner=partner, label="基准测试", rate_limit_per_minute=10**9)
    clear = key.assign_key()
    key.save()
    key.feeds.add(feed)
    return clear
