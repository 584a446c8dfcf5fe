"""Chinese search: segmentation, and real queries on the configured database."""

import pytest
from wagtail.models import Page, get_page_models

from cms.pages import ColumnPage
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


def test_every_page_type_indexes_its_title_in_bigrams():
    page_types = [model for model in get_page_models() if model is not Page]
    assert page_types
    for page_type in page_types:
        names = {field.field_name for field in page_type.get_search_fields()}
        assert "search_segments" in names, page_type


@pytest.fixture
def make_column(home):
    def make(live: bool = True, **fields) -> ColumnPage:
        fields.setdefault("title", "听科学怎么说")
        fields.setdefault("channel", ColumnPage.Channel.RADIO)
        fields.setdefault("outlet_name", "新闻综合广播FM91.6")
        fields.setdefault("cadence", "每周四07:25播出")
        fields.setdefault("description", "请专家用大白话讲清一个生活中的科学问题。")
        return home.add_child(instance=ColumnPage(live=live, **fields))

    return make


def api_titles(client, query: str) -> list[str]:
    listing = client.get("/api/v2/pages/", {"search": query}).json()
    return [item["title"] for item in listing["items"]]


def test_a_live_column_is_found_by_its_title_on_the_site_and_the_api(
    client, make_column
):
    make_column()
    html = client.get("/search/", {"q": "听科学怎么说"}).content.decode()
    assert "找到 1 条与“听科学怎么说”相关的结果" in html
    assert '<p class="card__type">专栏</p>' in html
    assert "请专家用大白话讲清一个生活中的科学问题。" in html
    assert api_titles(client, "听科学怎么说") == ["听科学怎么说"]


def test_a_column_is_found_by_words_of_its_description(client, make_column):
    make_column()
    assert titles("大白话") == {"听科学怎么说"}
    assert api_titles(client, "生活中的科学") == ["听科学怎么说"]


def test_a_draft_column_is_found_nowhere(client, make_column):
    make_column(live=False)
    html = client.get("/search/", {"q": "听科学怎么说"}).content.decode()
    assert "没有找到与“听科学怎么说”相关的内容。" in html
    assert api_titles(client, "听科学怎么说") == []


def test_sections_are_found_by_title_and_introduction(articles_index):
    articles_index.introduction = "防灾减灾、健康生活的科普文章。"
    articles_index.save()
    assert titles("科普文章") == {"科普文章"}
    assert titles("防灾减灾") == {"科普文章"}
