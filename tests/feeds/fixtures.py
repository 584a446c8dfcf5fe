"""Fixtures for the partner feeds, partners and ingest tests."""

import pytest
from django.core.files import File
from wagtailmedia.models import Media

from cms.pages import ColumnEpisodePage, VideoPage
from media_pipeline.tasks import probe_media

FEED_FORMATS = ("rss.xml", "atom.xml", "feed.json", "podcast.xml", "mrss.xml")


@pytest.fixture(autouse=True)
def fresh_pull_log():
    """Pulls buffered in one test belong to its rolled-back rows: never
    written in another."""
    from partners.pull_log import PULLS

    PULLS.drain()
    yield
    PULLS.drain()


@pytest.fixture
def partner(db):
    from partners.models import Partner

    return Partner.objects.create(name="吉林日报", contact_name="王编辑")


@pytest.fixture
def make_feed(db):
    """A feed definition (public unless access= says otherwise); outlets,
    topics, audiences and campaigns may be passed as lists."""
    from feeds.models import FeedDefinition

    def make(slug: str = "all", **fields) -> FeedDefinition:
        links = ("outlets", "topics", "audiences", "campaigns")
        related = {name: fields.pop(name) for name in links if name in fields}
        fields.setdefault("title", f"测试订阅源 {slug}")
        fields.setdefault("access", FeedDefinition.Access.PUBLIC)
        feed = FeedDefinition(slug=slug, **fields)
        feed.full_clean()
        feed.save()
        for name, values in related.items():
            getattr(feed, name).set(values)
        return feed

    return make


@pytest.fixture
def make_media(make_clip):
    """A wagtailmedia item over a real ffmpeg file, probed as on upload
    (duration, frame size, poster thumbnail for video)."""

    def make(kind: str = "video", name: str = "", seconds: float = 2, **clip):
        name = name or ("clip.mp4" if kind == "video" else "tone.m4a")
        path = make_clip(name, video=kind == "video", seconds=seconds, **clip)
        with path.open("rb") as stream:
            media = Media.objects.create(
                title=name, file=File(stream, name=name), type=kind, duration=0
            )
        probe_media.call(media.pk)
        media.refresh_from_db()
        return media

    return make


@pytest.fixture
def make_video(articles_index, expert, topic, make_media, review_and_publish):
    def make(publish: bool = True, **fields) -> VideoPage:
        fields.setdefault("title", "台风是怎样形成的")
        fields.setdefault("summary", "两分钟看懂台风的一生。")
        fields.setdefault("transcript", "台风生成于热带海洋。\n暖湿空气上升。")
        fields.setdefault("source_credit", "省气象局")
        fields.setdefault("reviewing_expert", expert)
        if "video" not in fields:
            fields["video"] = make_media("video")
        page = articles_index.add_child(instance=VideoPage(live=False, **fields))
        page.topics.add(topic)
        return review_and_publish(page) if publish else page

    return make


@pytest.fixture
def make_audio_episode(make_episode, make_media):
    def make(number: int, publish: bool = True, **fields) -> ColumnEpisodePage:
        if "audio" not in fields:
            fields["audio"] = make_media("audio", name=f"episode-{number}.m4a")
        fields.setdefault("standfirst", f"第{number}期导语")
        return make_episode(number, publish=publish, **fields)

    return make
