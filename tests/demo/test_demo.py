"""The demo that `make run` loads: enough reviewed content on every audience,
real generated media, and a second load that changes nothing."""

import re
from datetime import timedelta

import ffmpeg
import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone
from PIL import Image as PILImage
from PIL import ImageDraw
from wagtail.documents.models import Document
from wagtail.images.models import Image
from wagtail.models import Page, Revision, Site, TaskState, WorkflowState
from wagtailmedia.models import Media

from channels.models import Placement
from cms.pages import (
    ArticlePage,
    ColumnEpisodePage,
    ColumnPage,
    HomePage,
    VideoPage,
    stream_text,
)
from cms.review import is_review_approved
from cms.snippets import Audience, Campaign, Expert, Topic
from demo import content, media
from demo.loader import load_demo
from demo.outlets import load_outlets

CONTENT_TYPES = (ArticlePage, VideoPage, ColumnEpisodePage)
HAN = re.compile(r"[\u4e00-\u9fff]")
ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff]")
COUNTED_MODELS = (Page, Revision, Image, Media, Document, Topic, Campaign, Expert)
COUNTED_MODELS += (Audience, User, WorkflowState, TaskState)


# One worker runs the whole module (make test: --dist loadgroup), so its
# module-scoped fixtures are made once.
pytestmark = pytest.mark.xdist_group("demo")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo, loaded once for this module in a transaction rolled back at
    its end; each test runs in a savepoint inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield load_demo()
        transaction.set_rollback(True)


@pytest.fixture
def loaded(demo, db):
    return demo


def live_items() -> list[Page]:
    return list(Page.objects.type(*CONTENT_TYPES).live().specific())


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED_MODELS}


def test_demo_publishes_at_least_forty_items_of_every_content_type(loaded):
    items = live_items()
    assert len(items) >= 40
    assert {type(item) for item in items} == set(CONTENT_TYPES)


def test_live_items_cover_all_audiences_six_topics_and_three_campaigns(loaded):
    items = live_items()
    audiences = {a.slug for item in items for a in item.audiences.all()}
    assert audiences == {
        "youth",
        "farmers",
        "industrial-workers",
        "elderly",
        "officials",
    }
    assert len({t.pk for item in items for t in item.topics.all()}) >= 6
    assert len({item.campaign_id for item in items if item.campaign_id}) >= 3
    assert Topic.objects.filter(parent__isnull=False).exists()


def test_every_live_item_passed_scientific_review_and_names_its_sources(loaded):
    for item in live_items():
        assert is_review_approved(item.live_revision), item.title
        assert item.reviewing_expert_id and item.source_credit
        assert item.topics.exists() and item.audiences.exists()


def test_articles_have_real_bodies_that_pass_block_validation(loaded):
    articles = ArticlePage.objects.specific()
    for article in articles:
        article.body.stream_block.clean(article.body)
    chinese = [a for a in articles if a.slug != "uyghur-handwashing"]
    assert all(400 <= len(HAN.findall(stream_text(a.body))) <= 1500 for a in chinese)
    block_types = {block.block_type for a in articles for block in a.body}
    assert {"paragraph", "image", "quote", "fact_box", "references"} <= block_types


def test_home_page_is_the_default_site_root_served_on_127_0_0_1(loaded, client):
    request = RequestFactory().get("/", HTTP_HOST="127.0.0.1:8000")
    assert Site.find_for_request(request).root_page.specific == HomePage.objects.get()
    assert not Page.objects.filter(depth=2, slug="home").exists()
    assert client.get("/", HTTP_HOST="127.0.0.1:8000").status_code == 200


def test_uyghur_article_is_served_right_to_left_in_arabic_script(loaded, client):
    article = ArticlePage.objects.get(slug="uyghur-handwashing")
    assert article.live and ARABIC_SCRIPT.search(stream_text(article.body))
    response = client.get(article.url, HTTP_HOST="127.0.0.1:8000")
    html = response.content.decode()
    assert response.status_code == 200
    assert "قولنى توغرا يۇيۇش" in html
    assert re.search(r'dir="(auto|rtl)"', html)


def test_newspaper_and_radio_columns_publish_episodes(loaded):
    columns = {column.channel: column for column in ColumnPage.objects.live()}
    assert set(columns) == {"newspaper", "radio"}
    newspaper = ColumnEpisodePage.objects.child_of(columns["newspaper"]).live()
    radio = ColumnEpisodePage.objects.child_of(columns["radio"]).live()
    assert newspaper.count() >= 4 and radio.count() >= 4
    assert all(len(episode.body) for episode in newspaper)
    for episode in radio:
        assert episode.audio.type == "audio"
        info = ffmpeg.probe(episode.audio.file.path)
        assert [s["codec_name"] for s in info["streams"]] == ["aac"]
        assert float(info["format"]["duration"]) == pytest.approx(
            episode.audio.duration, abs=0.1
        )


def test_videos_are_short_1080p_h264_clips_of_their_stored_duration(loaded):
    for page in VideoPage.objects.live():
        clip = page.video
        info = ffmpeg.probe(clip.file.path)
        streams = {s["codec_type"]: s for s in info["streams"]}
        assert streams["video"]["codec_name"] == "h264"
        assert streams["video"]["pix_fmt"] == "yuv420p"
        assert streams["audio"]["codec_name"] == "aac"
        size = (streams["video"]["width"], streams["video"]["height"])
        assert size == (clip.width, clip.height) == (1920, 1080)
        assert 4 <= clip.duration <= 6
        assert float(info["format"]["duration"]) == pytest.approx(
            clip.duration, abs=0.1
        )
        assert clip.thumbnail.name.endswith(".jpg")


def test_videos_carry_chinese_srt_subtitles_and_a_transcript(loaded):
    for page in VideoPage.objects.live():
        assert page.subtitles.file_extension == "srt"
        with page.subtitles.file.open() as subtitles:
            text = subtitles.read().decode()
        assert "00:00:00,000 --> " in text and HAN.search(text)
        assert len(page.transcript) > 100


def test_cards_show_their_chinese_titles_in_white_ink(loaded):
    cards = Image.objects.filter(file__startswith=media.STORED["card"][0])
    assert cards.count() >= 20
    for card in cards:
        with PILImage.open(card.file.path) as picture:
            assert picture.size == (card.width, card.height) == media.CARD_SIZE
            title_area = picture.convert("L").crop((80, 160, 920, 520))
        assert sum(title_area.histogram()[240:]) > 3000, card.title


def test_card_font_draws_distinct_han_glyphs_not_tofu():
    font = media.cjk_font(48)

    def glyph(character: str) -> bytes:
        canvas = PILImage.new("L", (64, 64))
        ImageDraw.Draw(canvas).text((8, 0), character, font=font, fill=255)
        return canvas.tobytes()

    assert len({glyph(character) for character in "疫苗台风科普"}) == 6


def test_titles_wrap_within_the_card_width():
    font = media.cjk_font(64)
    lines = media.wrap("眼见未必为实：警惕“AI换脸”“AI拟声”诈骗", font, 500)
    assert len(lines) > 1
    assert all(font.getlength(line) <= 500 for line in lines)
    assert not any(line[0] in media.NO_LINE_START for line in lines)
    assert not any(line[-1] in media.NO_LINE_END for line in lines)


def test_scheduled_items_are_approved_but_not_yet_live(loaded):
    scheduled = Revision.page_revisions.filter(approved_go_live_at__isnull=False)
    assert scheduled.count() == 2
    now = timezone.now()
    for revision in scheduled:
        assert not revision.content_object.live
        assert is_review_approved(revision)
        assert now < revision.approved_go_live_at <= now + timedelta(days=7)


def test_two_items_wait_for_the_reviewer(loaded):
    waiting = WorkflowState.objects.filter(status=WorkflowState.STATUS_IN_PROGRESS)
    assert waiting.count() == 2
    assert not any(state.content_object.live for state in waiting)


def test_search_finds_demo_content_once_loaded(loaded):
    assert ArticlePage.objects.live().search("台风")
    assert VideoPage.objects.live().search("灭火器")
    found = [page.title for page in Page.objects.live().search("听科学怎么说")]
    assert "听科学怎么说" in found


def test_loading_again_changes_nothing(loaded):
    before = counts()
    report = load_demo()
    assert counts() == before
    assert not report.created and report.files_generated == 0
    assert report.summary().startswith("demo already loaded")


def test_demo_items_have_unique_slugs():
    items = [*content.ARTICLES, *content.VIDEOS]
    items += [episode for column in content.COLUMNS for episode in column.episodes]
    slugs = [item.slug for item in items]
    assert len(slugs) == len(set(slugs))


def test_demo_outlets_carry_the_columns_next_issues_that_pass_their_checks(loaded):
    assert load_outlets() == "outlets: created 2, placements created 6"
    assert load_outlets() == "outlets: created 0, placements created 0"
    for placement in Placement.objects.select_related("outlet"):
        assert placement.scheduled_at > timezone.now()
        assert placement.outlet.annual_target in (30, 52)
        placement.outlet.full_clean()  # its drop folder is allowed too
        problems = placement.outlet.adapter.check(
            placement.page.specific, placement.outlet
        )
        assert problems == [], (placement, problems)
