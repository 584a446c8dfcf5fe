"""Chinese search: segmentation, and real queries on the configured database."""

import pytest
from wagtail.models import Page

from cms.search import segment_for_index, segment_query

VACCINE_BODY = "<p>接种疫苗后，免疫系统会记住病原体的特征。</p>"
TYPHOON_BODY = "<p>台风来临前，要检查门窗，储备饮用水和手电筒。</p>"


def test_index_text_holds_bigrams_then_single_characters():
    assert segment_for_index("接种疫苗") == "接种 种疫 疫苗 接 种 疫 苗"


def test_index_text_keeps_latin_and_arabic_script_words():
    segments = segment_for_index("H7N9 流感 ئەمەلىيەت")
    assert "H7N9" in segments.split()
    assert "ئەمەلىيەت" in segments.split()
    assert "流感" in segments.split()


def test_query_drops_punctuation_that_would_break_the_backend():
    assert segment_query('"*（）— ', None) == ""


@pytest.fixture
def corpus(make_article):
    def article(title: str, body: str):
        paragraph = [("paragraph", body)]
        return make_article(title=title, standfirst="科普一分钟。", body=paragraph)

    return [
        article("疫苗的故事", "<p>科学家的研究。</p>"),
        article("免疫的秘密", VACCINE_BODY),
        article("防灾小贴士", TYPHOON_BODY),
    ]


def titles(query: str, **kwargs) -> set[str]:
    return {page.title for page in Page.objects.live().search(query, **kwargs)}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("疫苗", {"疫苗的故事", "免疫的秘密"}),
        ("台风", {"防灾小贴士"}),
        ("免疫", {"免疫的秘密"}),
        ("手电筒", {"防灾小贴士"}),
        ("门窗", {"防灾小贴士"}),
        ("地震", set()),
    ],
)
def test_two_and_three_character_words_are_found_in_title_and_body(
    corpus, query, expected
):
    assert titles(query) == expected


def test_a_multi_character_query_matches_as_a_phrase(corpus):
    assert titles("储备饮用水") == {"防灾小贴士"}
    assert titles("饮用疫苗") == set()


def test_several_words_are_all_required_by_default(corpus):
    assert titles("台风 门窗") == {"防灾小贴士"}
    assert titles("台风 疫苗") == set()
    assert titles("台风 疫苗", operator="or") == {
        "防灾小贴士",
        "疫苗的故事",
        "免疫的秘密",
    }


def test_a_single_character_query_finds_pages(corpus):
    assert titles("窗") == {"防灾小贴士"}


def test_search_page_lists_results(client, corpus):
    html = client.get("/search/", {"q": "疫苗"}).content.decode()
    assert "疫苗的故事" in html and "免疫的秘密" in html
    assert "防灾小贴士" not in html


def test_api_search_uses_the_same_segmentation(client, corpus):
    listing = client.get("/api/v2/pages/", {"search": "台风"}).json()
    assert [item["title"] for item in listing["items"]] == ["防灾小贴士"]


def test_query_full_of_operators_does_not_fail(client, corpus):
    response = client.get("/search/", {"q": 'AND OR NOT "( * 疫苗'})
    assert response.status_code == 200
