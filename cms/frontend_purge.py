"""A CDN or reverse proxy in front of the site is purged, through
wagtail.contrib.frontend_cache, on the events that move the page cache's
fingerprint (cms.page_cache), once the change is committed:

- a page published (a correction's new revision, a scheduled go-live) or
  unpublished (withdrawal, scheduled expiry): its address and its
  ancestors' (the lists it shows in); every live page when it is in the
  navigation (the home page or a section);
- a page moved or its slug changed: every live page, and the old addresses
  of what moved (they now redirect or answer 404);
- the page cache's generation bumped (taxonomy, advisories, sites, files):
  every live page.

Off unless WAGTAILFRONTENDCACHE names a backend (FRONTEND_CACHE_PURGE_URL);
then the addresses are worked out and sent by a background task. The
search is not purged: the frontend cache is never told to keep it
(page_cache.cache_control). The app itself is not installed: its signal
handlers would purge a published page a second time."""

from django.conf import settings
from django.db import transaction
from django_tasks import task
from wagtail.contrib.frontend_cache.tasks import purge_urls_from_cache_task
from wagtail.contrib.frontend_cache.utils import PurgeBatch
from wagtail.models import Page
from wagtail.signals import (
    page_published,
    page_slug_changed,
    page_unpublished,
    post_page_move,
)

NAVIGATION_DEPTH = 3  # the tree's root is 1, the home page 2, its sections 3


@task()
def purge_pages(page_ids: list[int] | None, urls: list[str]) -> None:
    """Purge these pages (None: every live page) and these addresses."""
    pages = Page.objects.live() if page_ids is None else Page.objects.all()
    if page_ids is not None:
        pages = pages.filter(pk__in=page_ids)
    batch = PurgeBatch(urls)
    batch.add_pages(pages.order_by("path"))
    purge_urls_from_cache_task.call(sorted(batch.urls))


def purge_after_commit(page_ids: list[int] | None, urls: list[str] = ()) -> None:
    if settings.WAGTAILFRONTENDCACHE:
        transaction.on_commit(lambda: purge_pages.enqueue(page_ids, list(urls)))


def purge_everything() -> None:
    purge_after_commit(None)


def on_page_changed(instance: Page, **kwargs) -> None:
    if instance.depth <= NAVIGATION_DEPTH:
        purge_everything()
    else:
        ancestors = instance.get_ancestors().filter(depth__gt=1)
        purge_after_commit([instance.pk, *ancestors.values_list("pk", flat=True)])


def on_page_moved(
    instance: Page, url_path_before: str, url_path_after: str, **kwargs
) -> None:
    if not settings.WAGTAILFRONTENDCACHE or url_path_before == url_path_after:
        return
    old_urls = []
    for page in instance.get_descendants(inclusive=True).live():
        page.url_path = url_path_before + page.url_path[len(url_path_after) :]
        old_urls.append(page.get_full_url())
    purge_after_commit(None, [url for url in old_urls if url])


def on_slug_changed(instance: Page, instance_before: Page, **kwargs) -> None:
    on_page_moved(instance, instance_before.url_path, instance.url_path)


def connect_signals() -> None:
    page_published.connect(on_page_changed, dispatch_uid="cms.frontend_purge")
    page_unpublished.connect(on_page_changed, dispatch_uid="cms.frontend_purge")
    post_page_move.connect(on_page_moved, dispatch_uid="cms.frontend_purge")
    page_slug_changed.connect(on_slug_changed, dispatch_uid="cms.frontend_purge")
