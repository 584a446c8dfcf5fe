"""The playlist hands the screens (anonymous browsers) guarded addresses
only, each answering while the loop shows its file and 404 afterwards."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files import File
from django.utils import timezone

from screens.models import EmergencyItem, PlaylistItem
from screens.playlist import resolve
from tests.screens.fixtures import screen_rendition_url

PLAYLIST = "/api/screens/playlist/"


def addresses(body: dict) -> list[str]:
    emergency = [body["emergency"]] if body["emergency"] else []
    return [entry["url"] for entry in [*emergency, *body["items"]]]


def active_emergency(group, **fields) -> EmergencyItem:
    now = timezone.now()
    return EmergencyItem.objects.create(
        group=group,
        title=fields.pop("title", "暴雨橙色预警"),
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=1),
        **fields,
    )


@pytest.mark.parametrize("with_image", [False, True])
def test_every_playlist_address_is_a_guarded_door_a_screen_can_read(
    client,
    paired_screen,
    screen_loop,
    screen_tree,
    screen_image,
    read_public,
    with_image,
):
    active_emergency(screen_tree.county, image=screen_image if with_image else None)
    body = client.get(PLAYLIST, **paired_screen.headers).json()
    urls = addresses(body)
    assert len(urls) == 4
    assert not any(
        url.startswith((settings.MEDIA_URL, "/media/")) or "://" in url for url in urls
    )
    client.logout()
    for url in urls:
        assert read_public(url)


def test_a_replaced_video_file_plays_its_approved_version_until_reviewed(
    screen_loop, screen_tree, screen_clip, make_screen_rendition, client, read_public
):
    page, media = screen_loop.video_page, screen_loop.video_page.video
    approved = media.renditions.get()
    with screen_clip.open("rb") as stream:
        media.file = File(stream, name="replaced-unreviewed.mp4")
        media.save()
    unreviewed = make_screen_rendition(media)
    entry = resolve(screen_tree.site, "landscape").entries[0]
    assert entry["url"] == screen_rendition_url(page, approved)
    read_public(entry["url"])
    assert client.get(screen_rendition_url(page, unreviewed)).status_code == 404


def test_a_replaced_video_without_an_approved_rendition_is_left_out(
    screen_tree, make_video_page, screen_clip, make_screen_rendition
):
    page = make_video_page()
    with screen_clip.open("rb") as stream:
        page.video.file = File(stream, name="replaced-unreviewed.mp4")
        page.video.save()
    make_screen_rendition(page.video)
    PlaylistItem.objects.create(group=screen_tree.site, kind="video", page=page)
    loop = resolve(screen_tree.site, "landscape")
    assert loop.entries == [] and len(loop.warnings) == 1


@pytest.mark.parametrize("state", ["expired", "unpublished"])
def test_the_rendition_of_a_page_taken_back_answers_410(
    screen_loop, screen_tree, client, read_public, state
):
    url = resolve(screen_tree.site, "landscape").entries[0]["url"]
    read_public(url)
    page = screen_loop.video_page
    if state == "expired":
        yesterday = timezone.now() - timedelta(days=1)
        type(page).objects.filter(pk=page.pk).update(expire_at=yesterday)
    else:
        page.unpublish()  # a withdrawal
    assert client.get(url).status_code == 410
    assert screen_loop.video.pk not in [
        e["id"] for e in resolve(screen_tree.site, "landscape").entries
    ]


def test_an_ended_image_item_no_longer_answers(
    screen_loop, screen_tree, client, read_public
):
    item = screen_loop.image
    url = resolve(screen_tree.site, "landscape").entries[-1]["url"]
    assert item.kind == "image" and read_public(url)
    item.ends_on = timezone.localdate() - timedelta(days=1)
    item.save()
    assert client.get(url).status_code == 404


def test_an_image_item_starting_later_is_readable_for_the_players_cache(
    screen_loop, screen_tree, read_public
):
    item = screen_loop.image
    item.starts_on = timezone.localdate() + timedelta(days=3)
    item.save()
    url = resolve(screen_tree.site, "landscape").entries[-1]["url"]
    assert read_public(url)


def test_an_emergency_image_and_card_answer_only_while_it_is_active(
    screen_tree, screen_image, client, read_public
):
    with_image = active_emergency(screen_tree.province, image=screen_image)
    image_url = resolve(screen_tree.site, "landscape").emergency["url"]
    read_public(image_url)
    with_image.cancelled_at = timezone.now()
    with_image.save()
    assert client.get(image_url).status_code == 404

    card_only = active_emergency(screen_tree.province, title="地震速报")
    card_url = resolve(screen_tree.site, "landscape").emergency["url"]
    read_public(card_url)
    card_only.ends_at = timezone.now()
    card_only.save()
    assert client.get(card_url).status_code == 404


def test_a_withdrawn_articles_card_answers_410(
    screen_loop, screen_tree, client, read_public
):
    url = resolve(screen_tree.site, "landscape").entries[1]["url"]
    read_public(url)
    screen_loop.article.unpublish()
    answer = client.get(url)
    assert answer.status_code == 410 and "内容已撤回" in answer.content.decode()


def test_the_image_door_costs_a_few_queries(
    screen_loop, screen_tree, client, django_assert_max_num_queries
):
    url = resolve(screen_tree.site, "landscape").entries[-1]["url"]
    with django_assert_max_num_queries(4):
        assert client.get(url).status_code == 200
