"""Public listings are paged, so a section with thousands of items stays light."""

from cms.paging import PER_PAGE


def test_section_index_is_paged_and_keeps_newest_first(client, make_article):
    for n in range(PER_PAGE + 2):
        make_article(title=f"科普短文 {n:02d}")

    first = client.get("/articles/")
    assert len(first.context["items"]) == PER_PAGE
    assert first.context["items"][0].title == f"科普短文 {PER_PAGE + 1:02d}"
    assert 'href="?page=2"' in first.content.decode()

    second = client.get("/articles/", {"page": 2})
    assert [p.title for p in second.context["items"]] == ["科普短文 01", "科普短文 00"]


def test_a_page_number_out_of_range_shows_the_last_page(client, make_article):
    make_article()
    assert client.get("/articles/", {"page": 99}).context["items"].number == 1
    assert client.get("/articles/", {"page": "x"}).status_code == 200


def test_search_pages_keep_the_query(client, make_article):
    for n in range(21):
        make_article(title=f"疫苗小知识 {n:02d}")
    html = client.get("/search/", {"q": "疫苗"}).content.decode()
    assert "?q=%E7%96%AB%E8%8B%97&amp;page=2" in html
