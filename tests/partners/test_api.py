"""The partner JSON API: the items a key may read with every field, full
text only where the feed allows it, `updated_since`, paging, `?feed=`, the
same refusals as the feeds, every call logged, and an OpenAPI schema that
validates."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import Page

from channels.models import Placement
from partners.models import ApiKey, PullLog
from partners.pull_log import flush_pull_logs

ITEMS = "/api/partner/items/"
ITEM_FIELDS = {
    "guid",
    "id",
    "type",
    "title",
    "url",
    "summary",
    "published",
    "updated",
    "author",
    "topics",
    "audiences",
    "campaign",
    "full_text",
    "body_html",
    "body_text",
    "image",
    "media",
    "corrections",
}


@pytest.fixture
def api(client, partner):
    """A client for a key over the given feeds."""

    def make(*feeds, **fields):
        _key, clear = ApiKey.issue(partner, feeds, **fields)
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {clear}"
        return client

    return make


def items(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_items_carry_every_field_in_utc(api, make_feed, make_video, campaign):
    video = make_video(campaign=campaign)
    client = api(make_feed("mine", access="partner"))
    [item] = items(client.get(ITEMS))
    assert set(item) == ITEM_FIELDS
    assert item["guid"] == f"urn:kepu:page:{video.pk}" and item["id"] == video.pk
    assert (item["type"], item["title"]) == ("video", video.title)
    assert item["url"] == video.get_full_url()
    assert item["published"].endswith("Z") and item["updated"].endswith("Z")
    published = datetime.fromisoformat(item["published"])
    assert published == video.first_published_at.astimezone(UTC)
    assert item["topics"] == [t.name for t in video.topics.all()]
    assert item["campaign"] == campaign.name
    assert item["full_text"] and "台风生成于热带海洋" in item["body_text"]
    [media] = item["media"]
    assert media["kind"] == "video" and media["mime_type"] == "video/mp4"
    assert media["bytes"] == video.video.file.size
    assert media["width"] and media["height"] and media["duration"] > 1
    served = client.get(media["url"])
    assert len(b"".join(served.streaming_content)) == media["bytes"]
    assert item["image"] == media["thumbnail"]
    assert client.get(f"{ITEMS}{video.pk}/").json() == item


def test_media_lists_its_current_exports_served_under_the_embargo(
    api, make_feed, make_video, make_media, run_export
):
    video = make_video(video=make_media("video", size="1920x1080", seconds=1))
    request = run_export(video.video, None, preset="bilibili")
    assert request.job is not None, request.problems
    export = request.job.rendition
    client = api(make_feed("mine", access="partner"))
    [item] = items(client.get(ITEMS))
    [media] = item["media"]
    [rendition] = media["renditions"]
    assert (rendition["preset"], rendition["label"]) == ("bilibili", "哔哩哔哩")
    assert (rendition["width"], rendition["height"]) == (1920, 1080)
    assert rendition["mime_type"] == "video/mp4"
    assert rendition["bytes"] == export.size and rendition["duration"] > 1
    served = client.get(rendition["url"])
    assert b"".join(served.streaming_content) == export.file.read()
    assert client.head(rendition["url"])["Content-Length"] == str(export.size)

    video.unpublish()
    assert client.get(rendition["url"]).status_code == 410  # withdrawn


def test_exports_follow_the_reviewed_version_of_the_file(
    api, make_feed, make_video, make_media, run_export, review_and_publish
):
    """A replaced file waits for review, and so does the end of its exports."""
    video = make_video(video=make_media("video", size="1920x1080", seconds=1))
    assert run_export(video.video, None, preset="bilibili").job.rendition
    replacement = make_media("video", name="new.mp4")
    video.video.file = replacement.file
    video.video.save()
    client = api(make_feed("mine", access="partner"))
    [item] = items(client.get(ITEMS))
    [export] = item["media"][0]["renditions"]
    assert client.get(export["url"]).status_code == 200
    review_and_publish(video)
    [item] = items(client.get(ITEMS))
    assert item["media"][0]["renditions"] == []
    assert client.get(export["url"]).status_code == 404


def test_full_text_only_where_a_feed_allows_it(api, make_feed, make_article, topic):
    make_article(title="全文稿", body=[("paragraph", "<p>正文第一段。</p>")])
    client = api(make_feed("teaser", access="partner", full_text=False))
    [item] = items(client.get(ITEMS))
    assert (item["full_text"], item["body_html"], item["body_text"]) == (False, "", "")
    assert item["summary"]  # the standfirst is always there
    both = api(make_feed("full", access="partner", topics=[topic]))
    both_feeds = ApiKey.objects.latest("created_at")
    both_feeds.feeds.add(*ApiKey.objects.earliest("created_at").feeds.all())
    [item] = items(both.get(ITEMS))
    assert item["full_text"] and item["body_html"] == "<p>正文第一段。</p>"
    [teaser] = items(both.get(f"{ITEMS}?feed=teaser"))
    assert teaser["body_html"] == ""


def test_newest_change_first_and_updated_since(api, make_feed, make_article):
    old = make_article(title="旧稿")
    make_article(title="新稿")
    past = timezone.now() - timedelta(days=3)
    Page.objects.filter(pk=old.pk).update(
        first_published_at=past, last_published_at=past
    )
    client = api(make_feed("mine", access="partner"))
    assert [i["title"] for i in items(client.get(ITEMS))] == ["新稿", "旧稿"]
    since = (timezone.now() - timedelta(days=1)).isoformat()
    recent = client.get(ITEMS, {"updated_since": since})
    assert [i["title"] for i in items(recent)] == ["新稿"]
    beijing = (timezone.now() - timedelta(days=1)).astimezone(
        timezone.get_fixed_timezone(480)
    )
    unencoded = f"{ITEMS}?updated_since={beijing.isoformat()}"  # "+" arrives as " "
    assert [i["title"] for i in items(client.get(unencoded))] == ["新稿"]
    bad = client.get(ITEMS, {"updated_since": "last tuesday"})
    assert bad.status_code == 400 and "updated_since" in bad.json()


def test_an_item_entering_an_outlet_feed_late_counts_as_updated(
    api, make_feed, make_article, make_outlet, make_placement
):
    outlet = make_outlet("feeds", name="新华网合作")
    page = make_article(title="后排期")
    week_ago = timezone.now() - timedelta(days=7)
    Page.objects.filter(pk=page.pk).update(
        first_published_at=week_ago, last_published_at=week_ago
    )
    placement = make_placement(page, outlet)
    client = api(make_feed("relay", access="partner", outlets=[outlet]))
    checked_at = timezone.now()
    assert items(client.get(ITEMS)) == []
    Placement.objects.filter(pk=placement.pk).update(scheduled_at=timezone.now())
    [item] = items(client.get(ITEMS, {"updated_since": checked_at.isoformat()}))
    assert item["title"] == "后排期"
    assert datetime.fromisoformat(item["updated"]) >= checked_at


def test_pages_of_results(api, make_feed, make_article):
    for n in range(5):
        make_article(title=f"第{n}篇")
    client = api(make_feed("mine", access="partner"))
    first = client.get(ITEMS, {"page_size": 2}).json()
    assert first["count"] == 5 and len(first["results"]) == 2
    second = client.get(first["next"]).json()
    last = client.get(client.get(first["next"]).json()["next"]).json()
    titles = [i["title"] for page in (first, second, last) for i in page["results"]]
    assert sorted(titles) == sorted(f"第{n}篇" for n in range(5))
    assert last["next"] is None
    assert client.get(ITEMS, {"page": 9}).status_code == 404


def test_feeds_list_the_keys_feeds_with_addresses(api, make_feed):
    make_feed("other", access="partner")
    client = api(make_feed("mine", access="partner", title="我的订阅源"))
    [feed] = client.get("/api/partner/feeds/").json()
    assert (feed["slug"], feed["title"], feed["access"]) == (
        "mine",
        "我的订阅源",
        "partner",
    )
    assert feed["addresses"]["rss"] == "http://testserver/feeds/mine/rss.xml"
    assert feed["addresses"]["podcast"].endswith("/feeds/mine/podcast.xml")
    assert client.get(feed["addresses"]["json_feed"]).status_code == 200


def test_the_scope_is_the_keys_feeds(api, make_feed, make_article, topic, campaign):
    make_article(title="有主题活动", campaign=campaign)
    make_article(title="无主题活动")
    narrow = make_feed("narrow", access="partner", campaigns=[campaign])
    make_feed("wide", access="partner")
    client = api(narrow)
    assert [i["title"] for i in items(client.get(ITEMS))] == ["有主题活动"]
    hidden = Page.objects.get(title="无主题活动")
    assert client.get(f"{ITEMS}{hidden.pk}/").status_code == 404
    forbidden = client.get(ITEMS, {"feed": "wide"})
    assert (
        forbidden.status_code == 403 and "无主题活动" not in forbidden.content.decode()
    )
    assert client.get(ITEMS, {"feed": "nope"}).status_code == 404
    assert client.get(f"{ITEMS}999999/").status_code == 404


def test_refusals_match_the_feeds(client, api, make_feed, make_article):
    feed = make_feed("mine", access="partner")
    make_article(title="保密稿")
    assert client.get(ITEMS).status_code == 401
    keyed = api(feed, rate_limit_per_minute=2)
    key = ApiKey.objects.get()
    assert keyed.get(ITEMS).status_code == 200
    assert keyed.get("/api/partner/feeds/").status_code == 200
    limited = keyed.get(ITEMS)
    assert limited.status_code == 429 and 1 <= int(limited["Retry-After"]) <= 60
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    revoked = keyed.get(ITEMS)
    assert revoked.status_code == 401 and "吊销" in revoked.json()["detail"]
    assert revoked["WWW-Authenticate"].startswith("Bearer")
    for response in (limited, revoked):
        assert "保密稿" not in response.content.decode()


def test_query_key_works_and_every_call_is_logged(client, partner, make_feed):
    feed = make_feed("mine", access="partner")
    key, clear = ApiKey.issue(partner, [feed])
    assert client.get(ITEMS, {"key": clear, "feed": "mine"}).status_code == 200
    assert client.get("/api/partner/feeds/", {"key": clear}).status_code == 200
    client.get(ITEMS, {"key": "kp_" + "z" * 43})
    flush_pull_logs()
    logged = list(PullLog.objects.order_by("at").values_list("status", "feed", "key"))
    assert logged == [(200, feed.pk, key.pk), (200, None, key.pk), (401, None, None)]
    assert all(
        clear not in path and "z" * 43 not in path
        for path in PullLog.objects.values_list("path", flat=True)
    )
    assert PullLog.objects.filter(status=200, bytes__gt=0).count() == 2


def test_queries_do_not_grow_with_the_items(
    api, make_feed, make_article, make_video, django_assert_max_num_queries
):
    client = api(make_feed("mine", access="partner"))
    make_article(title="一")
    make_video()

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(ITEMS).status_code == 200
        return len(queries)

    few = count()
    for n in range(6):
        make_article(title=f"更多{n}")
    make_video(title="又一个视频")
    assert count() == few


def test_the_schema_is_public_and_describes_the_items(client):
    response = client.get("/api/partner/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["info"]["title"] == "科普全媒体 合作方 API"
    assert set(schema["paths"]) == {
        "/api/partner/items/",
        "/api/partner/items/{id}/",
        "/api/partner/feeds/",
        "/api/partner/advisories/",
        "/api/partner/figures/",
    }
    item = schema["components"]["schemas"]["Item"]["properties"]
    assert set(item) == ITEM_FIELDS
    assert item["updated"]["format"] == "date-time"
    media = schema["components"]["schemas"]["Media"]["properties"]
    assert {"url", "mime_type", "bytes", "duration", "width", "height"} <= set(media)
    assert schema["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "合作方密钥：Authorization: Bearer kp_…",
    }
    listing = schema["paths"]["/api/partner/items/"]["get"]
    names = {parameter["name"] for parameter in listing["parameters"]}
    assert {"updated_since", "feed", "page", "page_size"} <= names
    assert {"200", "401", "403", "429"} <= set(listing["responses"])


def test_the_schema_groups_the_operations_under_chinese_tags_in_order(client):
    schema = yaml.safe_load(client.get("/api/partner/schema/").content)
    order = [tag["name"] for tag in schema["tags"]]
    assert order == ["条目", "订阅源", "更正与撤回", "传播数据"]
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            [tag] = operation["tags"]
            assert tag in order, path


def test_the_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.json"
    call_command(
        "spectacular",
        "--urlconf=partners.schema",
        "--custom-settings=partners.api.SCHEMA_SETTINGS",
        "--validate",
        "--fail-on-warn",
        "--format=openapi-json",
        f"--file={target}",
    )
    schema = json.loads(target.read_text())
    assert schema["openapi"].startswith("3.")
    assert "/api/partner/items/" in schema["paths"]
