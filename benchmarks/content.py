"""The benchmark's content: the demo, then generated articles under one of its
sections. Import only after django.setup()."""

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from corpus import article_text
from django.core.management import call_command
from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone
from modelsearch.backends import get_search_backend
from modelsearch.signal_handlers import post_save_signal_handler
from wagtail.models import Page

from cms.pages import ArticlePage, ContentIndexPage, visible_pages
from cms.snippets import Expert

SLUG_PREFIX = "bench-"
BATCH = 500
PROGRESS_EVERY = 2000


@dataclass(frozen=True)
class Demo:
    section: ContentIndexPage
    article: ArticlePage
    summary: str


def set_up_demo() -> Demo:
    """Migrate, collect static files and load the demo (which indexes itself)."""
    quiet = {"verbosity": 0, "stdout": io.StringIO()}
    call_command("migrate", **quiet)
    call_command("collectstatic", interactive=False, **quiet)
    loaded = io.StringIO()
    call_command("load_demo", verbosity=0, stdout=loaded)
    article = visible_pages(ArticlePage.objects.all()).order_by("path").first()
    if article is None:
        raise SystemExit("load_demo created no live article to measure")
    return Demo(
        section=article.get_parent().specific,
        article=article,
        summary=loaded.getvalue().strip(),
    )


@contextmanager
def search_signals_off(model) -> Iterator[None]:
    """No index task per saved page: the pages are indexed in bulk afterwards."""
    post_save.disconnect(post_save_signal_handler, sender=model)
    try:
        yield
    finally:
        post_save.connect(post_save_signal_handler, sender=model)


def add_article(section: ContentIndexPage, number: int, expert, published_at) -> int:
    text = article_text(number)
    page = ArticlePage(
        title=text.title,
        slug=f"{SLUG_PREFIX}{number:05d}",
        standfirst=text.standfirst,
        author="基准测试",
        source_credit="基准测试",
        reviewing_expert=expert,
        body=[("paragraph", f"<p>{paragraph}</p>") for paragraph in text.paragraphs],
        live=False,
        first_published_at=published_at,
        last_published_at=published_at,
    )
    return section.add_child(instance=page).pk


def make_live(ids: list[int]) -> None:
    """Load data, not editorial content: switched live in one UPDATE, bypassing
    the review workflow that publish() and ContentPage.save() enforce."""
    Page.objects.filter(pk__in=ids).update(live=True, has_unpublished_changes=False)


def index_articles(ids: list[int]) -> None:
    pages = ArticlePage.objects.filter(pk__in=ids)
    get_search_backend().add_bulk(ArticlePage, list(pages))


def generate_articles(
    section: ContentIndexPage, numbers: range, on_progress: Callable[[int], None]
) -> None:
    """Adds live articles numbered `numbers` under section, article n published
    n hours ago, and indexes them for search. One transaction per BATCH: in a
    single long one, PostgreSQL slows down on the section row's 10,000 updated
    versions (numchild). Reports each PROGRESS_EVERY-th article number."""
    expert = Expert.objects.order_by("pk").first()
    now = timezone.now()
    with search_signals_off(ArticlePage):
        for start in range(numbers.start, numbers.stop, BATCH):
            with transaction.atomic():
                batch = range(start, min(start + BATCH, numbers.stop))
                ids = [
                    add_article(section, n, expert, now - timedelta(hours=n))
                    for n in batch
                ]
                make_live(ids)
                index_articles(ids)
            if batch.stop % PROGRESS_EVERY == 0:
                on_progress(batch.stop)


def search_hits(term: str) -> int:
    return visible_pages().search(term).count()
