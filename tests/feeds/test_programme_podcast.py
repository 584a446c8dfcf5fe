"""The podcast feed of a radio programme: valid RSS with iTunes tags, real
enclosures, stable GUIDs, embargo, conditional GET."""

from datetime import timedelta
from pathlib import Path
from xml.etree import ElementTree

import feedparser
import ffmpeg
import pytest
from django.core.files import File
from django.db.models import F
from django.utils import timezone
from wagtail.models import Page, PageLogEntry
from wagtailmedia.models import Media

from cms.pages import ColumnEpisodePage, ColumnPage
from feeds.media_formats import ITUNES_NS

FEED = "/channels/podcast/kexue-wufenzhong.xml"


@pytest.fixture
def make_audio(tmp_path):
    """A second of sine tone, encoded by ffmpeg in the named container."""

    def make(name: str = "episode.mp3", seconds: int = 3) -> Media:
        path = tmp_path / name
        tone = ffmpeg.input(f"sine=frequency=440:duration={seconds}", f="lavfi")
        tone.output(str(path), ac=1, ar=22050).run(quiet=True)
        with path.open("rb") as stream:
            return Media.objects.create(
                title=name,
                file=File(stream, name=name),
                type="audio",
                duration=seconds,
            )

    return make


@pytest.fixture
def episode_with_audio(make_episode, make_audio):
    def make(number: int, publish: bool = True, **fields) -> ColumnEpisodePage:
        fields.setdefault("audio", make_audio(f"episode-{number}.mp3"))
        fields.setdefault("standfirst", f"第{number}期导语")
        return make_episode(number, publish=publish, **fields)

    return make


def parse(response):
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    return feed


def test_feed_is_rss_2_with_itunes_tags(client, episode_with_audio, make_episode):
    first = episode_with_audio(1)
    second = episode_with_audio(2)
    make_episode(3)  # no audio: not a podcast episode
    response = client.get(FEED)
    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    feed = parse(response)
    assert feed.version == "rss20"
    assert feed.feed.title == "科学五分钟"
    assert feed.feed.link == "http://localhost/kexue-wufenzhong/"
    assert feed.feed.language == "zh-cn"
    assert feed.feed.author == "FM 91.6 交通广播"  # itunes:author
    assert [tag.term for tag in feed.feed.tags] == ["Science"]
    assert [entry.title for entry in feed.entries] == [second.title, first.title]
    entry = feed.entries[1]
    assert entry.link == first.full_url
    assert entry.summary == "第1期导语"
    assert entry.itunes_duration == "0:00:03"
    assert entry.itunes_episode == "1"
    published = first.first_published_at.replace(microsecond=0)
    assert entry.published_parsed[:6] == published.utctimetuple()[:6]
    root = ElementTree.fromstring(response.content)
    channel = root.find("channel")
    assert channel.find(f"{{{ITUNES_NS}}}summary") is not None
    assert channel.find(f"{{{ITUNES_NS}}}category").get("text") == "Science"
    assert channel.find(f"{{{ITUNES_NS}}}explicit").text == "false"
    assert root.find("channel/item/pubDate").text.endswith("+0000")


@pytest.mark.parametrize(
    ("name", "mime_type"),
    [("a.mp3", "audio/mpeg"), ("a.m4a", "audio/mp4"), ("a.wav", "audio/wav")],
)
def test_enclosure_has_the_real_size_and_type(
    client, episode_with_audio, make_audio, name, mime_type
):
    audio = make_audio(name)
    episode = episode_with_audio(1, audio=audio)
    [enclosure] = parse(client.get(FEED)).entries[0].enclosures
    assert enclosure.type == mime_type
    assert int(enclosure.length) == Path(audio.file.path).stat().st_size
    path = f"/feeds/media/{episode.pk}/{audio.pk}/{audio.filename}"
    assert enclosure.href == f"http://testserver{path}"
    assert client.get(path).status_code == 200


def test_guid_survives_edits_and_moves(
    client, home, episode_with_audio, review_and_publish
):
    episode = episode_with_audio(1)
    [entry] = parse(client.get(FEED)).entries
    assert entry.id == f"kepu-episode-{episode.pk}"
    assert entry.guidislink is False
    episode.title = "第1期：台风过后怎么办"
    review_and_publish(episode)
    [edited] = parse(client.get(FEED)).entries
    assert (edited.title, edited.id) == ("第1期：台风过后怎么办", entry.id)
    other = home.add_child(
        instance=ColumnPage(
            title="科学夜话",
            slug="kexue-yehua",
            channel=ColumnPage.Channel.RADIO,
            outlet_name="FM 91.6 交通广播",
            cadence="每周五 21:00",
        )
    )
    episode.move(other, pos="last-child")
    assert parse(client.get(FEED)).entries == []
    [moved] = parse(client.get("/channels/podcast/kexue-yehua.xml")).entries
    assert moved.id == entry.id


def test_drafts_unpublished_and_expired_episodes_stay_out(client, episode_with_audio):
    shown = episode_with_audio(1)
    episode_with_audio(2, publish=False)
    episode_with_audio(3).unpublish()
    expired = episode_with_audio(4)
    ColumnEpisodePage.objects.filter(pk=expired.pk).update(
        expire_at=timezone.now() - timedelta(seconds=1)
    )  # past its expiry, not yet unpublished by the scheduler
    scheduled = episode_with_audio(5, go_live_at=timezone.now() + timedelta(days=1))
    assert not scheduled.live  # approved, waiting for its time
    [entry] = parse(client.get(FEED)).entries
    assert entry.id == f"kepu-episode-{shown.pk}"


def age_history(minutes: int = 1) -> None:
    """Move every publish and log time back: Last-Modified counts whole seconds,
    and the test makes its changes within one."""
    earlier = timedelta(minutes=minutes)
    Page.objects.update(last_published_at=F("last_published_at") - earlier)
    PageLogEntry.objects.update(timestamp=F("timestamp") - earlier)


def test_conditional_get_answers_304_until_the_programme_changes(
    client, episode_with_audio
):
    episode_with_audio(1)
    age_history()
    response = client.get(FEED)
    etag, modified = response["ETag"], response["Last-Modified"]
    assert response["Cache-Control"] == "public, no-cache"
    unchanged = client.get(FEED, HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304 and unchanged["ETag"] == etag
    assert unchanged.content == b""
    assert client.get(FEED, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    newer = episode_with_audio(2)
    for changed in (
        client.get(FEED, HTTP_IF_NONE_MATCH=etag),
        client.get(FEED, HTTP_IF_MODIFIED_SINCE=modified),
    ):
        assert len(parse(changed).entries) == 2
    age_history()
    response = client.get(FEED)
    etag, modified = response["ETag"], response["Last-Modified"]
    newer.unpublish()
    for changed in (
        client.get(FEED, HTTP_IF_NONE_MATCH=etag),
        client.get(FEED, HTTP_IF_MODIFIED_SINCE=modified),
    ):
        assert len(parse(changed).entries) == 1


def test_only_radio_programmes_have_a_feed(client, home, radio_column):
    home.add_child(
        instance=ColumnPage(
            title="求证·科学",
            slug="qiuzheng-kexue",
            channel=ColumnPage.Channel.NEWSPAPER,
            outlet_name="吉林日报",
            cadence="每周四",
        )
    )
    assert client.get("/channels/podcast/qiuzheng-kexue.xml").status_code == 404
    assert client.get("/channels/podcast/no-such-column.xml").status_code == 404
    assert client.get(FEED).status_code == 200
    radio_column.unpublish()
    assert client.get(FEED).status_code == 404
