"""The demo's big screens: the tree, unpaired screens, playlists whose videos
have real screen renditions, the 全国科普日 item, and a second load that
changes nothing."""

import ffmpeg
import pytest
from django.db import transaction

from channels.big_screen import pairing
from channels.big_screen.models import PlaylistItem, Screen, ScreenGroup
from channels.big_screen.playlist import resolve
from cms.demo.loader import load_demo
from cms.demo.screens import load_screens


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        load_demo()
        yield load_screens()
        transaction.set_rollback(True)


@pytest.fixture
def loaded(demo, db):
    return demo


def test_demo_tree_runs_province_to_three_sites(loaded):
    assert "groups created 6" in loaded
    site = ScreenGroup.objects.get(name="合隆镇村文化广场")
    lineage = ScreenGroup.objects.filter(pk__in=site.lineage_ids).order_by("tier")
    assert [g.name for g in lineage] == ["吉林省", "长春市", "农安县", site.name]
    assert ScreenGroup.objects.filter(tier=4).count() == 3


def test_demo_screens_wait_for_pairing(loaded):
    assert Screen.objects.count() == 3
    assert not any(screen.is_paired for screen in Screen.objects.all())


def test_demo_loop_has_videos_with_real_screen_renditions_and_cards(loaded):
    from django.core.files.storage import default_storage

    loop = resolve(ScreenGroup.objects.get(name="农安火车站候车厅"), "landscape")
    kinds = [entry["kind"] for entry in loop.entries]
    assert kinds.count("video") == 3 and "card" in kinds and not loop.warnings
    video = next(entry for entry in loop.entries if entry["kind"] == "video")
    path = default_storage.path(video["url"].removeprefix("/media/"))
    stream = ffmpeg.probe(path)["streams"][0]
    assert (stream["width"], stream["height"]) == (1920, 1080)


def test_demo_has_a_science_day_item_and_day_parts(loaded):
    science_day = PlaylistItem.objects.get(campaign__name="全国科普日")
    assert science_day.starts_on and science_day.ends_on
    assert PlaylistItem.objects.exclude(day_parts=[]).count() >= 2


def test_a_demo_screen_can_be_paired(loaded):
    request, secret = pairing.start_pairing()
    screen = Screen.objects.get(name="社区竖屏")
    pairing.claim(request.code, screen=screen)
    assert pairing.pick_up(request.code, secret)[0] == "paired"


def test_loading_the_screens_again_changes_nothing(loaded):
    assert load_screens() == (
        "screens: groups created 0, screens created 0, playlist items created 0, "
        "screen renditions made 0"
    )
