"""Fixtures for the big-screen tests: a group tree (province → city → county
→ site), a paired screen with its raw token, and a loop of a live video page
(with a screen rendition), a live article card and an image."""

from dataclasses import dataclass
from datetime import date
from io import BytesIO

import pytest
from django.core.files import File
from django.core.files.images import ImageFile
from PIL import Image as PILImage

SITE_NAMES = ("村文化广场", "火车站候车厅")


@dataclass(frozen=True)
class ScreenTree:
    province: object
    city: object
    county: object
    site: object
    other_site: object  # a sibling of `site` under the same county

    @property
    def groups(self) -> list:
        return [self.province, self.city, self.county, self.site, self.other_site]


@dataclass(frozen=True)
class PairedScreen:
    screen: object
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """Keyword arguments for the test client: the Bearer token."""
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}


@pytest.fixture
def screens_media(settings, tmp_path):
    """Each test's uploads, renditions and cards in a folder of its own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def make_screen_group(db, screens_media):
    from screens.models import ScreenGroup

    def make(name: str, tier: int, parent=None, **fields) -> ScreenGroup:
        fields.setdefault("operator", f"{name}科协")
        fields.setdefault("contact_name", "张丽")
        fields.setdefault("contact_phone", "0431-88886666")
        return ScreenGroup.objects.create(name=name, tier=tier, parent=parent, **fields)

    return make


@pytest.fixture
def screen_tree(make_screen_group) -> ScreenTree:
    province = make_screen_group("吉林省", 1, operator="吉林省科协")
    city = make_screen_group("长春市", 2, province)
    county = make_screen_group("农安县", 3, city)
    site = make_screen_group(SITE_NAMES[0], 4, county)
    other_site = make_screen_group(SITE_NAMES[1], 4, county)
    return ScreenTree(province, city, county, site, other_site)


@pytest.fixture
def pair_screen(db):
    """Pair a new screen the way a player and an operator do: the player
    asks for a code, the operator claims it, the player picks the token up."""
    from screens import pairing

    def pair(group, name: str = "文化广场大屏", **fields) -> PairedScreen:
        request, secret = pairing.start_pairing()
        pairing.claim(request.code, group=group, name=name, **fields)
        status, picked = pairing.pick_up(request.code, secret)
        assert status == "paired"
        return PairedScreen(picked.screen, picked.token)

    return pair


@pytest.fixture
def paired_screen(screen_tree, pair_screen) -> PairedScreen:
    return pair_screen(screen_tree.site, location="广场东侧")


@pytest.fixture(scope="session")
def screen_clip(tmp_path_factory):
    """A 1-second clip, made once per test process (tests only read it)."""
    import ffmpeg

    path = tmp_path_factory.mktemp("screen-clip") / "screen-clip.mp4"
    source = ffmpeg.input("testsrc=size=320x180:rate=25", f="lavfi", t=1)
    source.output(str(path), pix_fmt="yuv420p").overwrite_output().run(quiet=True)
    return path


@pytest.fixture(scope="session")
def screen_clip_seconds(screen_clip) -> float:
    import ffmpeg

    return float(ffmpeg.probe(str(screen_clip))["format"]["duration"])


@pytest.fixture
def make_screen_rendition(screen_clip, screen_clip_seconds):
    """A screen_landscape rendition of the media file as it is now (the clip
    itself stands in for the transcoded output, its length probed)."""
    from media_pipeline.models import Rendition, source_version

    seconds = screen_clip_seconds

    def make(media, preset: str = "screen_landscape") -> Rendition:
        rendition = Rendition(
            media=media,
            preset=preset,
            reframe="blur",
            source_version=source_version(media.file),
            options_key="",
            info={"duration": seconds},
            size=screen_clip.stat().st_size,
        )
        with screen_clip.open("rb") as stream:
            rendition.file.save(f"{media.pk}-{preset}.mp4", File(stream), save=False)
        rendition.save()
        return rendition

    return make


@pytest.fixture
def make_video_page(articles_index, expert, review_and_publish, screen_clip):
    """A VideoPage with its own uploaded clip; published unless told not to."""
    from wagtailmedia.models import get_media_model

    from cms.pages import VideoPage

    def make(publish: bool = True, **fields) -> VideoPage:
        with screen_clip.open("rb") as stream:
            media = get_media_model().objects.create(
                title=fields.get("title", "疫苗小课堂"),
                type="video",
                duration=1,
                file=File(stream, name="kepu-video.mp4"),
            )
        fields.setdefault("title", "三分钟看懂疫苗")
        fields.setdefault("summary", "动画讲解疫苗如何训练免疫系统。")
        fields.setdefault("source_credit", "省科协")
        fields.setdefault("reviewing_expert", expert)
        page = VideoPage(video=media, live=False, **fields)
        page = articles_index.add_child(instance=page)
        return review_and_publish(page) if publish else page

    return make


@pytest.fixture
def read_public(client):
    """The bytes an anonymous browser (a screen) gets at an address; fails
    unless the answer is a 200."""

    def read(url: str) -> bytes:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        if response.streaming:
            return b"".join(response.streaming_content)
        return response.content

    return read


def screen_rendition_url(page, rendition) -> str:
    """The playlist's address of a screen rendition of the page's video."""
    from pathlib import PurePosixPath

    from django.urls import reverse

    name = PurePosixPath(rendition.file.name).name
    return reverse(
        "files:rendition", args=[page.pk, rendition.media_id, rendition.pk, name]
    )


@pytest.fixture
def screen_image(db, screens_media):
    from wagtail.images.models import Image

    buffer = BytesIO()
    PILImage.new("RGB", (640, 360), "#0b6e75").save(buffer, "PNG")
    return Image.objects.create(
        title="防灾减灾海报", file=ImageFile(buffer, name="haibao.png")
    )


@dataclass(frozen=True)
class ScreenLoop:
    video: object  # PlaylistItem on the province: a live video page
    card: object  # PlaylistItem on the city: a live article's card
    image: object  # PlaylistItem on the site: an image
    video_page: object
    article: object


@pytest.fixture
def screen_loop(
    screen_tree, make_video_page, make_screen_rendition, make_article, screen_image
) -> ScreenLoop:
    from screens.models import PlaylistItem

    video_page = make_video_page()
    make_screen_rendition(video_page.video)
    article = make_article(title="地震来了怎么办")
    video = PlaylistItem.objects.create(
        group=screen_tree.province,
        kind="video",
        page=video_page,
        duration_seconds=30,
    )
    card = PlaylistItem.objects.create(
        group=screen_tree.city, kind="card", page=article, duration_seconds=20
    )
    image = PlaylistItem.objects.create(
        group=screen_tree.site,
        kind="image",
        image=screen_image,
        duration_seconds=10,
        day_parts=[{"days": [1, 2, 3, 4, 5], "start": "07:00", "end": "09:00"}],
    )
    return ScreenLoop(video, card, image, video_page, article)


@pytest.fixture
def make_screen(screen_tree):
    """A screen in service since New Year 2025, last seen just now."""
    from django.utils import timezone

    from screens.models import Screen
    from tests.screens.telemetry_data import EVERY_DAY, at

    def make(group=None, name="文化广场大屏", hours=EVERY_DAY, **fields) -> Screen:
        fields.setdefault("paired_at", at(date(2025, 1, 1), 0))
        fields.setdefault("last_seen_at", timezone.now())
        return Screen.objects.create(
            group=group or screen_tree.site, name=name, opening_hours=hours, **fields
        )

    return make
