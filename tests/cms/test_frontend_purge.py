"""A frontend cache (CDN, reverse proxy) is purged through
wagtail.contrib.frontend_cache on the events that change pages, once they
are committed: here a real HTTP server on 127.0.0.1 records the PURGE
requests it gets."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings

from cms.advisories import withdraw
from cms.pages import ContentIndexPage


class PurgeRecorder(BaseHTTPRequestHandler):
    def do_PURGE(self) -> None:
        self.server.purged.append((self.headers["Host"], self.path))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def purged():
    """The (Host, path) of every PURGE, with the site configured to send
    them to this server."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), PurgeRecorder)
    server.purged = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    backend = {
        "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
        "LOCATION": f"http://127.0.0.1:{server.server_address[1]}",
    }
    with override_settings(WAGTAILFRONTENDCACHE={"default": backend}):
        yield server.purged
    server.shutdown()
    server.server_close()


def paths(purged) -> set[str]:
    return {path for _host, path in purged}


def test_nothing_is_purged_unless_a_frontend_cache_is_configured(
    make_article, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        make_article()
    assert callbacks == []


def test_publishing_an_item_purges_it_its_section_and_home(
    purged, make_article, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        article = make_article(title="疫苗是怎样起作用的", slug="yimiao")
    assert paths(purged) == {"/", "/articles/", "/articles/yimiao/"}
    assert {host for host, _path in purged} == {"localhost"}
    purged.clear()
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(article, reason="数据有误")
    assert paths(purged) == {"/", "/articles/", "/articles/yimiao/"}


def test_nothing_is_purged_before_the_change_is_committed(
    purged, make_article, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        make_article(title="疫苗是怎样起作用的")
    assert purged == []
    assert callbacks


def test_a_taxonomy_change_purges_every_live_page(
    purged, make_article, topic, django_capture_on_commit_callbacks
):
    make_article(title="疫苗是怎样起作用的", slug="yimiao")
    make_article(title="地震来了怎么办", slug="dizhen")
    with django_capture_on_commit_callbacks(execute=True):
        topic.name = "卫生健康"
        topic.save()
    assert paths(purged) == {
        "/",
        "/articles/",
        "/articles/yimiao/",
        "/articles/dizhen/",
    }


def test_renaming_a_section_purges_every_page_for_the_navigation(
    purged, make_article, articles_index, django_capture_on_commit_callbacks
):
    make_article(title="疫苗是怎样起作用的", slug="yimiao")
    with django_capture_on_commit_callbacks(execute=True):
        articles_index.title = "科学知识"
        articles_index.save_revision().publish()
    assert paths(purged) >= {"/", "/articles/", "/articles/yimiao/"}


def test_a_move_purges_the_old_addresses_too(
    purged, make_article, home, django_capture_on_commit_callbacks
):
    other = home.add_child(instance=ContentIndexPage(title="防灾减灾", slug="fangzai"))
    article = make_article(title="疫苗是怎样起作用的", slug="yimiao")
    with django_capture_on_commit_callbacks(execute=True):
        article.move(other, pos="last-child")
    assert paths(purged) >= {"/articles/yimiao/", "/fangzai/yimiao/", "/fangzai/"}


def test_a_slug_change_purges_the_old_address(
    purged, make_article, review_and_publish, django_capture_on_commit_callbacks
):
    article = make_article(title="疫苗是怎样起作用的", slug="yimiao")
    with django_capture_on_commit_callbacks(execute=True):
        article.slug = "yimiao-zuoyong"
        review_and_publish(article)
    assert paths(purged) >= {"/articles/yimiao/", "/articles/yimiao-zuoyong/"}
