"""Short-video accounts, items over generated clips, and placements rendered
at their time, for the adapter's and the 待发布 queue's tests."""

import pytest
from django.core.files.base import ContentFile
from wagtail.documents import get_document_model

from channels.models import Placement
from channels.queue import process_placement
from channels.short_video.adapter import PLATFORMS
from tests.conftest import make_due

CUES = "1\n00:00:00,200 --> 00:00:01,800\n台风来临前，请储备饮用水。\n"


@pytest.fixture
def subtitles(db):
    document = get_document_model()(title="台风字幕")
    document.file.save("typhoon.srt", ContentFile(CUES.encode()), save=False)
    document.save()
    return document


@pytest.fixture
def account(make_outlet):
    def make(platform: str = "douyin", **spec):
        return make_outlet(
            "short_video",
            name=f"科普吉林·{PLATFORMS[platform].label}",
            organisation="吉林省科协",
            spec={"platform": platform, "account": "科普吉林", **spec},
        )

    return make


@pytest.fixture
def video_of(make_video, make_media, subtitles):
    """A published video item over a generated clip of the given size."""

    def make(size: str = "1280x720", seconds: float = 2, **fields):
        fields.setdefault("subtitles", subtitles)
        media = make_media("video", name=f"clip-{size}.mp4", seconds=seconds, size=size)
        return make_video(video=media, **fields)

    return make


def render_due(item, outlet, make_placement) -> Placement:
    placement = make_placement(item, outlet)
    make_due(placement)
    process_placement.call(placement.pk)
    placement.refresh_from_db()
    return placement
