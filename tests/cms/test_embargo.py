"""Draft, unapproved, scheduled and expired pages stay out of every public output."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from cms.review import submit_for_review

TITLE = "台风过境后的饮水安全"


def draft(make_article, **_):
    return make_article(publish=False, title=TITLE)


def awaiting_review(make_article, editor, **_):
    page = make_article(publish=False, title=TITLE)
    page.save_revision(user=editor)
    submit_for_review(page, editor)
    return page


def scheduled(make_article, **_):
    return make_article(title=TITLE, go_live_at=timezone.now() + timedelta(days=1))


def expired_before_the_scheduler_ran(make_article, **_):
    page = make_article(title=TITLE)
    type(page).objects.filter(pk=page.pk).update(
        expire_at=timezone.now() - timedelta(seconds=5)
    )
    return page


def unpublished(make_article, **_):
    page = make_article(title=TITLE)
    page.unpublish()
    return page


STATES = [
    draft,
    awaiting_review,
    scheduled,
    expired_before_the_scheduler_ran,
    unpublished,
]


@pytest.fixture(params=STATES, ids=lambda state: state.__name__)
def hidden_page(request, make_article, editor, articles_index):
    page = request.param(make_article=make_article, editor=editor)
    page.refresh_from_db()
    return page


TAKEN_BACK = {expired_before_the_scheduler_ran, unpublished}


@pytest.fixture
def gone_status(request):
    """410 for an item that was public and was taken back, 404 otherwise."""
    state = request.node.callspec.params["hidden_page"]
    return 410 if state in TAKEN_BACK else 404


def test_hidden_page_is_not_served(client, hidden_page, gone_status):
    answer = client.get(f"/articles/{hidden_page.slug}/")
    assert answer.status_code == gone_status


def test_hidden_page_is_not_listed_on_home_or_section(client, hidden_page):
    for path in ("/", "/articles/"):
        assert TITLE not in client.get(path).content.decode()


def test_hidden_page_is_not_in_search(client, hidden_page):
    assert TITLE not in client.get("/search/", {"q": "台风"}).content.decode()


def test_hidden_page_is_not_in_the_api(client, hidden_page):
    listing = client.get("/api/v2/pages/", {"search": "台风"}).json()
    assert listing["meta"]["total_count"] == 0
    full_listing = client.get("/api/v2/pages/", {"limit": 20}).json()
    assert hidden_page.pk not in [item["id"] for item in full_listing["items"]]
    assert client.get(f"/api/v2/pages/{hidden_page.pk}/").status_code == 404


def test_hidden_page_is_not_in_the_sitemap(client, hidden_page):
    sitemap = client.get("/sitemap.xml").content.decode()
    assert "<urlset" in sitemap
    assert quote(hidden_page.slug) not in sitemap


def test_live_page_is_in_every_output(client, make_article):
    page = make_article(title=TITLE)
    assert client.get(f"/articles/{page.slug}/").status_code == 200
    assert TITLE in client.get("/search/", {"q": "台风"}).content.decode()
    listing = client.get("/api/v2/pages/", {"search": "台风"}).json()
    assert [item["id"] for item in listing["items"]] == [page.pk]
    assert quote(page.slug) in client.get("/sitemap.xml").content.decode()
