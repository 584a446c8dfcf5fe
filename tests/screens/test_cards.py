"""Article cards: drawn at the screen's orientation, once per live revision."""

import io

import pytest
from PIL import Image

from screens.cards import (
    TEXT_LIGHT,
    CardContent,
    article_card,
    article_card_url,
    card_layout,
    key_points,
)
from screens.playlist import resolve


def test_cards_are_drawn_for_each_orientation(screen_loop, screen_tree, read_public):
    def card_size(url: str) -> tuple[int, int]:
        return Image.open(io.BytesIO(read_public(url))).size

    landscape = resolve(screen_tree.site, "landscape").entries[1]["url"]
    portrait = resolve(screen_tree.site, "portrait").entries[1]["url"]
    assert card_size(landscape) == (1920, 1080)
    assert card_size(portrait) == (1080, 1920)


def test_a_republished_article_gets_a_new_card_and_the_old_one_goes(
    screen_loop, screen_tree, review_and_publish, client, read_public
):
    article = screen_loop.article
    first = article_card_url(article, "landscape")
    article.title = "地震来了怎么办（修订）"
    review_and_publish(article)
    article.refresh_from_db()
    second = article_card_url(article, "landscape")
    assert first != second and f"/{article.live_revision_id}/" in second
    assert resolve(screen_tree.site, "landscape").entries[1]["url"] == second
    assert read_public(second).startswith(b"\x89PNG")
    assert client.get(first).status_code == 404


def test_key_points_come_from_the_fact_box_else_the_standfirst(make_article):
    facts = {"title": "要点", "facts": ["伏地", "遮挡", "手抓牢"]}
    boxed = make_article(body=[("fact_box", facts)])
    assert key_points(boxed) == ("伏地", "遮挡", "手抓牢")
    plain = make_article(title="另一篇")
    assert key_points(plain) == ("接种疫苗后，身体会记住病原体的样子。",)


LONG_POINTS = (
    "内：掌心相对，手指并拢相互揉搓。",
    "外：手心对手背，沿指缝相互揉搓，两手交换。",
    "夹：掌心相对，双手交叉沿指缝相互揉搓。",
    "弓：弯曲手指，使关节在另一手掌心旋转揉搓，两手交换。",
)


def colours_in(card: Image.Image, box) -> set:
    left, top, width, height = box
    return {
        colour
        for _, colour in card.crop((left, top, left + width, top + height)).getcolors(
            1 << 24
        )
    }


@pytest.mark.parametrize("orientation", ["landscape", "portrait"])
def test_every_key_point_is_drawn_in_its_share_of_the_card(orientation):
    content = CardContent(title="七步洗手法：认真洗够二十秒", points=LONG_POINTS)
    card = article_card(content, orientation)
    left, top, width, height = card_layout(orientation).points
    share = height // len(LONG_POINTS)
    for index in range(len(LONG_POINTS)):
        box = (left, top + index * share, width, share)
        assert TEXT_LIGHT in colours_in(card, box), f"point {index + 1} not drawn"


@pytest.mark.parametrize("orientation", ["landscape", "portrait"])
def test_the_picture_is_shown_whole_not_cropped(orientation):
    """A 科普 picture often carries text or a diagram at its edges."""
    red, blue = (255, 0, 0), (0, 0, 255)
    picture = Image.new("RGB", (1600, 900), (0, 128, 0))
    picture.paste(red, (0, 0, 40, 900))
    picture.paste(blue, (1560, 0, 1600, 900))
    card = article_card(
        CardContent(title="图", points=(), picture=picture), orientation
    )
    shown = colours_in(card, card_layout(orientation).picture)
    assert red in shown and blue in shown
