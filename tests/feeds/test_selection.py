"""What a feed definition selects (feed_pages) and what each item says
(build_items): visibility, criteria, placement timing, stable GUIDs, real
enclosures, constant queries."""

from datetime import UTC, timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from channels.models import Placement
from cms.pages import ArticlePage, ColumnPage
from cms.snippets import Audience, Topic
from feeds.items import build_items
from feeds.selection import feed_pages


def ids(feed) -> list[int]:
    return [page.pk for page in feed_pages(feed)]


def test_only_live_reviewed_unexpired_pages_are_selected(make_feed, make_article):
    shown = make_article(title="已发布")
    make_article(title="草稿", publish=False)
    unpublished = make_article(title="已撤回")
    unpublished.unpublish()
    expired = make_article(title="已过期")
    ArticlePage.objects.filter(pk=expired.pk).update(
        expire_at=timezone.now() - timedelta(seconds=1)
    )
    scheduled = make_article(
        title="定时", go_live_at=timezone.now() + timedelta(days=1)
    )
    assert not scheduled.live
    assert ids(make_feed()) == [shown.pk]


def test_unapproved_submission_is_not_selected(make_feed, make_article, editor):
    from cms.review import submit_for_review

    page = make_article(title="待审", publish=False)
    page.save_revision(user=editor)
    submit_for_review(page, editor)
    assert ids(make_feed()) == []


def test_newest_first_and_criteria_combine(
    make_feed,
    make_article,
    make_video,
    make_audio_episode,
    topic,
    campaign,
    review_and_publish,
):
    child = Topic.objects.create(name="传染病", slug="infectious", parent=topic)
    other = Topic.objects.create(name="天文", slug="astronomy")
    old = make_article(title="旧文")
    newer = make_article(title="新文", campaign=campaign, publish=False)
    newer.topics.set([child])
    review_and_publish(newer)
    astronomy = make_article(title="星空", publish=False)
    astronomy.topics.set([other])
    review_and_publish(astronomy)
    video = make_video()
    episode = make_audio_episode(1)
    assert ids(make_feed("all"))[:2] == [episode.pk, video.pk]
    assert set(ids(make_feed("health", topics=[topic]))) == {old.pk, newer.pk, video.pk}
    assert ids(make_feed("camp", campaigns=[campaign])) == [newer.pk]
    assert ids(make_feed("video", content_types=["video"])) == [video.pk]
    elderly = Audience.objects.get(slug="elderly")
    both = make_feed("both", audiences=[elderly], content_types=["article"])
    assert set(ids(both)) == {old.pk, newer.pk, astronomy.pk}


def test_outlet_feed_takes_items_once_their_placement_is_due(
    make_feed, make_article, make_outlet, make_placement
):
    outlet = make_outlet("feeds", name="新华网合作")
    first = make_article(title="先排")
    second = make_article(title="后排")
    make_article(title="未排期")
    ArticlePage.objects.update(first_published_at=timezone.now() - timedelta(days=1))
    feed = make_feed("xinhua", outlets=[outlet], access="partner")
    soon = make_placement(second, outlet)
    later = make_placement(first, outlet, timezone.now() + timedelta(hours=1))
    assert ids(feed) == []
    Placement.objects.filter(pk=soon.pk).update(
        scheduled_at=timezone.now() - timedelta(minutes=2)
    )
    Placement.objects.filter(pk=later.pk).update(
        scheduled_at=timezone.now() - timedelta(minutes=1)
    )
    assert ids(feed) == [first.pk, second.pk]  # by the time each entered
    by_channel = make_feed("relays", channels=["feeds"])
    assert ids(by_channel) == [first.pk, second.pk]


def test_item_fields_and_guid_survive_edit_and_move(
    rf, make_feed, make_article, review_and_publish, home
):
    page = make_article(title="疫苗")
    [item] = build_items(feed_pages(make_feed()), rf.get("/"))
    assert item.guid == f"urn:kepu:page:{page.pk}"
    assert item.published.tzinfo == UTC
    assert item.published == page.first_published_at
    assert (item.author, item.categories, item.audiences) == (
        "李青",
        ["公共卫生"],
        ["老年人"],
    )
    assert item.summary == "接种疫苗后，身体会记住病原体的样子。"
    assert item.body_html == "<p>免疫系统像一支训练有素的队伍。</p>"
    assert item.link == page.full_url
    page.title = "疫苗（修订）"
    review_and_publish(page)
    other = home.add_child(
        instance=ColumnPage(
            title="科学夜话",
            slug="yehua",
            channel="radio",
            outlet_name="FM",
            cadence="周五",
        )
    )
    from cms.pages import ContentIndexPage

    section = other.get_parent().add_child(
        instance=ContentIndexPage(title="新栏目", slug="new-section")
    )
    page.move(section, pos="last-child")
    [moved] = build_items(feed_pages(make_feed("again")), rf.get("/"))
    assert (moved.guid, moved.title) == (item.guid, "疫苗（修订）")
    assert moved.link != item.link
    assert moved.updated > item.updated


def test_body_is_sanitised_and_hidden_pages_are_not_linked(rf, make_feed, make_article):
    hidden = make_article(title="未发布", publish=False)
    shown = make_article(title="已发布")
    body = (
        f'<p>见<a linktype="page" id="{hidden.pk}">草稿</a>与'
        f'<a linktype="page" id="{shown.pk}">正文</a>'
        "<script>alert(1)</script></p>"
    )
    page = make_article(title="链接", body=[("paragraph", body)])
    [item] = [
        i
        for i in build_items(feed_pages(make_feed()), rf.get("/"))
        if i.page_id == page.pk
    ]
    assert "script" not in item.body_html
    assert hidden.slug not in item.body_html and "草稿" in item.body_html
    assert f'href="{shown.full_url}"' in item.body_html.replace(
        "testserver", "localhost"
    )
    assert item.body_text.startswith("见草稿与正文")


def test_enclosures_are_real(rf, make_feed, make_video, make_audio_episode):
    video = make_video()
    episode = make_audio_episode(1)
    items = {i.page_id: i for i in build_items(feed_pages(make_feed()), rf.get("/"))}
    [movie] = items[video.pk].enclosures
    assert movie.length == Path(video.video.file.path).stat().st_size
    assert (movie.mime_type, movie.kind) == ("video/mp4", "video")
    assert (movie.width, movie.height) == (320, 180)
    assert movie.duration_seconds == pytest.approx(2, abs=0.1)
    assert movie.thumbnail_url.startswith("http://testserver/feeds/media/")
    assert movie.url.startswith(f"http://testserver/feeds/media/{video.pk}/")
    [sound] = items[episode.pk].enclosures
    assert (sound.mime_type, sound.kind) == ("audio/mp4", "audio")
    assert sound.length == Path(episode.audio.file.path).stat().st_size
    assert sound.width is None


def count_queries(rf, feed) -> int:
    with CaptureQueriesContext(connection) as queries:
        build_items(feed_pages(feed), rf.get("/"))
    return len(queries)


def test_build_items_runs_a_constant_number_of_queries(
    rf, make_feed, make_article, make_video, make_audio_episode
):
    feed = make_feed(item_count=100)
    make_video()
    make_audio_episode(1)
    for n in range(3):
        make_article(title=f"文章{n}")
    few = count_queries(rf, feed)
    for n in range(25):
        make_article(title=f"更多文章{n}")
    assert count_queries(rf, feed) == few
