"""The big_screen channel adapter: a placement on a screen group's outlet
checks the page and puts it into the group's loop."""

import pytest
from django.utils import timezone

from channels.registry import get_adapter
from screens.models import PlaylistItem
from tests.screens.fixtures import screen_rendition_url


@pytest.fixture
def group_outlet(make_outlet, screen_tree):
    outlet = make_outlet(
        "big_screen", name="农安县大屏", organisation="农安县科协", spec={}
    )
    screen_tree.county.outlet = outlet
    screen_tree.county.save()
    return outlet


def test_check_names_a_video_without_screen_rendition(group_outlet, make_video_page):
    problems = get_adapter("big_screen").check(make_video_page(), group_outlet)
    assert [p.code for p in problems] == ["no_screen_rendition"]


def test_check_names_an_article_without_a_picture(group_outlet, make_article):
    problems = get_adapter("big_screen").check(make_article(), group_outlet)
    assert [p.code for p in problems] == ["no_image"]


def test_render_draws_both_cards_and_adds_the_playlist_item_once(
    group_outlet, make_article, make_placement, screen_tree
):
    article = make_article()
    placement = make_placement(article, group_outlet)
    adapter = get_adapter("big_screen")
    package = adapter.render(article, group_outlet)
    assert [f.name.rsplit(".", 2)[-2:] for f in package.files] == [
        ["card-landscape", "png"],
        ["card-portrait", "png"],
    ]
    assert all(f.content.startswith(b"\x89PNG") for f in package.files)
    item = PlaylistItem.objects.get(group=screen_tree.county, page=article)
    assert item.kind == "card" and item.duration_seconds == 20
    assert item.starts_on == timezone.localdate(placement.scheduled_at)
    adapter.render(article, group_outlet)
    assert PlaylistItem.objects.filter(page=article).count() == 1


def test_render_of_a_video_gives_its_rendition(
    group_outlet, make_video_page, make_screen_rendition
):
    page = make_video_page()
    rendition = make_screen_rendition(page.video)
    package = get_adapter("big_screen").render(page, group_outlet)
    assert screen_rendition_url(page, rendition).encode() in package.files[0].content
    assert PlaylistItem.objects.get(page=page).kind == "video"
