"""播放预览 as the player plays: a video counts its own length (it plays to
its end), an image or card its 时长; kinds and weekdays in words; a group's
link (a screen, no time) previews now."""

import pytest
from django.contrib.auth.models import User

from screens.playlist import resolve
from screens.schedule import days_label

PREVIEW = "/admin/big-screen/preview/"


@pytest.fixture
def admin_client(client, db):
    user = User.objects.create_superuser("admin", "admin@example.org", "pw")
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "days, label",
    [
        ([1, 2, 3, 4, 5], "周一至周五"),
        ([6, 7], "周六、周日"),
        ([7, 1, 2, 3, 4, 5, 6], "每天"),
        ([1, 3, 5], "周一、周三、周五"),
        ([1, 2, 3, 5, 6], "周一至周三、周五、周六"),
    ],
)
def test_weekdays_in_words(days, label):
    assert days_label(days) == label


def test_a_video_counts_its_own_length_not_the_items(paired_screen, screen_loop):
    assert screen_loop.video.duration_seconds == 30
    loop = resolve(paired_screen.screen.group, "landscape")
    seconds = {entry["kind"]: entry["duration_seconds"] for entry in loop.entries}
    assert seconds == {"video": 1, "card": 20, "image": 10}


def test_the_preview_adds_up_what_the_player_plays_in_words(
    admin_client, paired_screen, screen_loop
):
    monday_noon = {"screen": paired_screen.screen.pk, "day": "2026-11-23"}
    text = admin_client.get(PREVIEW, {**monday_noon, "at": "12:00"}).content.decode()
    assert "此时轮播 2 项，一轮 21 秒" in text
    assert "<td>视频</td>" in text and "<td>文章卡片</td>" in text
    assert "<td>图片</td>" in text and "周一至周五 07:00–09:00" in text
    assert "video</td>" not in text and "1,2,3,4,5" not in text


def test_a_screen_alone_is_previewed_now_with_the_date_pickers(
    admin_client, paired_screen, screen_loop
):
    response = admin_client.get(PREVIEW, {"screen": paired_screen.screen.pk})
    text = response.content.decode()
    assert response.status_code == 200 and "此时轮播" in text
    assert "必需字段" not in text and "date-time-chooser" in text
