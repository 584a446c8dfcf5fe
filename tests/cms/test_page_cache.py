"""The page cache: a second anonymous read costs one small query, and each
event that changes what a page shows is on the page at the next read —
publish, unpublish, scheduled expiry, correction, withdrawal (410), taxonomy,
navigation and moves. Signed-in users, other methods and errors are never
served from it or stored in it; an entry lives no longer than the next
expiry or go-live."""

from datetime import timedelta

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cms.advisories import withdraw
from cms.page_cache import current_fingerprint, may_keep
from cms.pages import ArticlePage, ContentIndexPage
from cms.scheduling import expire_due_pages
from cms.snippets import Topic

PURGE_BACKEND = {
    "default": {
        "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
        "LOCATION": "http://127.0.0.1:9",
    }
}


def text(client, url: str, status: int = 200, **headers) -> str:
    response = client.get(url, **headers)
    assert response.status_code == status
    return response.content.decode()


def url_of(page) -> str:
    return page.get_url_parts()[2]


@pytest.fixture
def article(make_article):
    return make_article(title="疫苗是怎样起作用的")


def test_a_second_anonymous_read_costs_one_query_and_revalidates_to_304(
    client, article, django_assert_num_queries
):
    first = client.get("/")
    assert "疫苗是怎样起作用的" in first.content.decode()
    with django_assert_num_queries(1):  # the fingerprint
        second = client.get("/")
    assert second.content == first.content
    assert second["Cache-Control"] == "public, max-age=0"
    not_modified = client.get("/", HTTP_IF_NONE_MATCH=second["ETag"])
    assert not_modified.status_code == 304


def test_a_page_changed_without_any_event_still_shows_the_cached_version(
    client, article
):
    """The control for every test below: what moves the fingerprint is the
    event, not the row."""
    assert "疫苗是怎样起作用的" in text(client, url_of(article))
    ArticlePage.objects.filter(pk=article.pk).update(title="悄悄改掉的标题")
    assert "疫苗是怎样起作用的" in text(client, url_of(article))


def test_publishing_shows_the_item_on_home_and_its_section(
    client, article, articles_index, make_article
):
    assert "地震来了怎么办" not in text(client, "/")
    assert "地震来了怎么办" not in text(client, url_of(articles_index))
    make_article(title="地震来了怎么办")
    assert "地震来了怎么办" in text(client, "/")
    assert "地震来了怎么办" in text(client, url_of(articles_index))


def test_unpublishing_removes_the_item_everywhere(client, article, articles_index):
    url = url_of(article)
    assert "疫苗是怎样起作用的" in text(client, "/")
    text(client, url)
    article.unpublish()
    assert "疫苗是怎样起作用的" not in text(client, "/")
    assert "疫苗是怎样起作用的" not in text(client, url_of(articles_index))
    assert client.get(url).status_code in (404, 410)


def test_an_item_past_its_expiry_leaves_before_the_scheduler_runs(
    client, article, articles_index
):
    url = url_of(article)
    assert "疫苗是怎样起作用的" in text(client, "/")
    past = timezone.now() - timedelta(seconds=1)
    ArticlePage.objects.filter(pk=article.pk).update(expire_at=past)
    assert "疫苗是怎样起作用的" not in text(client, "/")
    assert "疫苗是怎样起作用的" not in text(client, url_of(articles_index))
    text(client, url, status=410)
    assert expire_due_pages(timezone.now()) == 1
    assert "疫苗是怎样起作用的" not in text(client, "/")


def test_a_correction_shows_its_new_revision(client, article, review_and_publish):
    url = url_of(article)
    assert "疫苗是怎样起作用的" in text(client, url)
    article.title = "疫苗是怎样起作用的（更正）"
    review_and_publish(article)
    assert "（更正）" in text(client, url)
    assert "（更正）" in text(client, "/")


def test_a_withdrawn_item_answers_410_from_the_cache_until_published_again(
    client, article, review_and_publish, django_assert_num_queries
):
    url = url_of(article)
    text(client, url)
    withdraw(article, reason="数据有误")
    assert "撤回" in text(client, url, status=410)
    with django_assert_num_queries(1):
        gone = client.get(url)
    assert gone.status_code == 410
    review_and_publish(ArticlePage.objects.get(pk=article.pk))
    assert "疫苗是怎样起作用的" in text(client, url)


@pytest.mark.parametrize("rename", ["topic", "audience"])
def test_renaming_taxonomy_shows_on_the_item(client, article, rename):
    url = url_of(article)
    page = text(client, url)
    snippet = article.topics.get() if rename == "topic" else article.audiences.get()
    assert snippet.name in page
    snippet.name = "改过的名称"
    snippet.save()
    assert "改过的名称" in text(client, url)


def test_renaming_a_section_changes_the_navigation_of_every_page(
    client, article, articles_index
):
    assert "科普文章" in text(client, url_of(article))
    articles_index.title = "科学知识"
    articles_index.save_revision().publish()
    assert "科学知识" in text(client, url_of(article))
    assert "科学知识" in text(client, "/")


def test_a_moved_item_leaves_its_old_section_and_address(
    client, article, articles_index, home
):
    other = home.add_child(instance=ContentIndexPage(title="防灾减灾", slug="fangzai"))
    old_url = url_of(article)
    assert "疫苗是怎样起作用的" in text(client, url_of(articles_index))
    text(client, old_url)
    article.move(other, pos="last-child")
    article.refresh_from_db()
    assert client.get(old_url).status_code in (301, 404)  # an automatic redirect
    assert "疫苗是怎样起作用的" not in text(client, url_of(articles_index))
    assert "疫苗是怎样起作用的" in text(client, url_of(other))
    assert "疫苗是怎样起作用的" in text(client, url_of(article))


def test_a_common_search_is_served_from_the_cache_and_follows_publishing(
    client, article, make_article, django_assert_num_queries
):
    assert "疫苗是怎样起作用的" in text(client, "/search/?q=疫苗")
    with django_assert_num_queries(1):
        text(client, "/search/?q=疫苗")
    make_article(title="新冠疫苗问答")
    assert "新冠疫苗问答" in text(client, "/search/?q=疫苗")


def test_signed_in_users_are_never_served_or_stored(client, article, editor):
    url = url_of(article)
    client.force_login(editor)
    signed_in = client.get(url)
    assert signed_in.status_code == 200
    assert "ETag" not in signed_in
    ArticlePage.objects.filter(pk=article.pk).update(title="悄悄改掉的标题")
    assert "悄悄改掉的标题" in text(client, url)
    client.logout()
    assert "悄悄改掉的标题" in text(client, url)  # nothing was stored for them


def test_a_request_with_credentials_is_never_served_or_stored(client, article):
    url = url_of(article)
    with_credentials = client.get(url, headers={"Authorization": "Bearer x"})
    assert "ETag" not in with_credentials
    ArticlePage.objects.filter(pk=article.pk).update(title="悄悄改掉的标题")
    assert "悄悄改掉的标题" in text(client, url)


def test_errors_and_other_methods_are_never_stored(client, article):
    client.get("/no-such-page/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/no-such-page/").status_code == 404
    assert len(queries) > 1  # rendered again
    posted = client.post(url_of(article))
    assert "ETag" not in posted
    ArticlePage.objects.filter(pk=article.pk).update(title="悄悄改掉的标题")
    assert "悄悄改掉的标题" in text(client, url_of(article))


def test_a_response_setting_a_cookie_or_private_is_not_kept():
    assert may_keep(HttpResponse("页面"))
    with_cookie = HttpResponse("页面")
    with_cookie.set_cookie("csrftoken", "x")
    private = HttpResponse("页面", headers={"Cache-Control": "private"})
    assert not may_keep(with_cookie)
    assert not may_keep(private)
    assert not may_keep(HttpResponse("出错了", status=500))
    assert not may_keep(HttpResponse(status=404))


@override_settings(WAGTAILFRONTENDCACHE=PURGE_BACKEND)
def test_an_entry_lives_no_longer_than_the_next_expiry(client, make_article):
    expire_at = timezone.now() + timedelta(seconds=90)
    page = make_article(title="即将下线", expire_at=expire_at)
    assert current_fingerprint().next_change == page.expire_at  # in milliseconds
    response = client.get("/")
    shared = int(response["Cache-Control"].rpartition("s-maxage=")[2])
    assert 0 < shared <= 90
    assert "max-age=0" in response["Cache-Control"]


def test_an_entry_lives_no_longer_than_the_next_go_live(make_article):
    go_live = timezone.now() + timedelta(seconds=120)
    page = make_article(title="定时上线", go_live_at=go_live)
    assert not page.live
    scheduled = page.revisions.get(approved_go_live_at__isnull=False)
    assert current_fingerprint().next_change == scheduled.approved_go_live_at


def test_search_is_never_left_to_the_frontend_cache(client, article):
    with override_settings(WAGTAILFRONTENDCACHE=PURGE_BACKEND):
        response = client.get("/search/?q=疫苗")
    assert response["Cache-Control"] == "public, max-age=0"


def test_a_topic_change_moves_the_fingerprint(db):
    before = current_fingerprint().key
    Topic.objects.create(name="天文", slug="tianwen")
    assert current_fingerprint().key != before
