"""Article cards: drawn at the screen's orientation, once per live revision."""

from django.core.files.storage import default_storage
from PIL import Image

from channels.big_screen.cards import article_card_url, key_points
from channels.big_screen.playlist import resolve


def card_size(url: str) -> tuple[int, int]:
    with default_storage.open(url.removeprefix("/media/")) as stream:
        return Image.open(stream).size


def test_cards_are_drawn_for_each_orientation(screen_loop, screen_tree):
    landscape = resolve(screen_tree.site, "landscape").entries[1]["url"]
    portrait = resolve(screen_tree.site, "portrait").entries[1]["url"]
    assert card_size(landscape) == (1920, 1080)
    assert card_size(portrait) == (1080, 1920)


def test_a_republished_article_gets_a_new_card(
    screen_loop, screen_tree, review_and_publish
):
    article = screen_loop.article
    first = article_card_url(article, "landscape")
    article.title = "地震来了怎么办（修订）"
    review_and_publish(article)
    article.refresh_from_db()
    second = article_card_url(article, "landscape")
    assert first != second and f"-r{article.live_revision_id}-" in second
    assert resolve(screen_tree.site, "landscape").entries[1]["url"] == second


def test_key_points_come_from_the_fact_box_else_the_standfirst(make_article):
    facts = {"title": "要点", "facts": ["伏地", "遮挡", "手抓牢"]}
    boxed = make_article(body=[("fact_box", facts)])
    assert key_points(boxed) == ("伏地", "遮挡", "手抓牢")
    plain = make_article(title="另一篇")
    assert key_points(plain) == ("接种疫苗后，身体会记住病原体的样子。",)
