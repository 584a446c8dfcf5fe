"""The 订阅抓取 admin: the feed listing with state, last poll, error and
counts; the create form and its checks; 立即抓取 (POST) queueing a poll; the
entries listing leading editors to the drafts; editors' permissions."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone
from wagtail.admin.menu import admin_menu

from ingest.models import UpstreamFeed
from ingest.tasks import poll_feed
from tests.ingest.fixtures import rss

FEEDS = "/admin/ingest/feeds/"
ENTRIES = "/admin/ingest/entries/"
ITEM = {
    "title": "秋冬季节如何预防流感",
    "link": "https://upstream.example/a/autumn-flu",
    "guid": "autumn-flu",
    "description": "<p>勤洗手，戴口罩。</p>",
}


@pytest.fixture
def admin_client(client, db):
    user = User.objects.create_superuser("admin", "admin@example.org", "pw")
    client.force_login(user)
    return client


@pytest.fixture
def editor_client(client, editor):
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    return client


def test_listing_shows_each_feeds_state_last_poll_error_and_counts(
    admin_client, upstream, make_upstream_feed
):
    good = make_upstream_feed(upstream.answer("/good", rss([ITEM])), title="好的源")
    broken = make_upstream_feed(upstream.answer("/gone", status=404), title="坏的源")
    make_upstream_feed(upstream.url("/off"), title="停用的源", active=False)
    poll_feed.call(good.pk)
    poll_feed.call(broken.pk)

    response = admin_client.get(FEEDS)

    text = response.content.decode()
    assert response.status_code == 200
    assert "上游订阅源" in text
    for expected in ("好的源", "正常", "坏的源", "出错", "停用的源", "已停用"):
        assert expected in text
    assert "上游返回 HTTP 404（Not Found）" in text
    assert reverse("upstream_feeds:poll", args=[good.pk]) in text
    inspect = admin_client.get(f"{FEEDS}inspect/{broken.pk}/")
    assert inspect.status_code == 200
    assert "上游返回 HTTP 404（Not Found）" in inspect.content.decode()


def test_menu_holds_feeds_and_entries_under_one_item(rf, editor):
    editor.groups.add(Group.objects.get(name="Editors"))
    request = rf.get("/admin/")
    request.user = editor
    [group] = [
        item
        for item in admin_menu.menu_items_for_request(request)
        if item.label == "订阅抓取"
    ]
    urls = [item.url for item in group.menu.menu_items_for_request(request)]
    assert urls == [FEEDS, ENTRIES]


def test_feed_is_created_through_the_admin_form(
    admin_client, articles_index, topic, upstream
):
    response = admin_client.post(
        f"{FEEDS}new/",
        {
            "title": "科普中国·健康",
            "url": upstream.url("/rss.xml"),
            "active": "on",
            "poll_interval_minutes": 60,
            "target": articles_index.pk,
            "topics": [topic.pk],
            "credit": "科普中国",
            "note": "每日更新",
        },
    )

    assert response.status_code == 302
    feed = UpstreamFeed.objects.get()
    assert (feed.target_id, feed.credit, feed.poll_interval_minutes) == (
        articles_index.pk,
        "科普中国",
        60,
    )
    assert list(feed.topics.all()) == [topic]


def test_form_refuses_a_wrong_target_page_and_a_non_http_address(admin_client, home):
    response = admin_client.post(
        f"{FEEDS}new/",
        {
            "title": "坏配置",
            "url": "ftp://upstream.example/feed",
            "poll_interval_minutes": 30,
            "target": home.pk,
            "credit": "科普中国",
        },
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert "请选择栏目或专栏页面" in text
    assert not UpstreamFeed.objects.exists()


def test_poll_now_asks_first_then_polls_on_post(
    admin_client, upstream, make_upstream_feed
):
    feed = make_upstream_feed(upstream.answer("/rss.xml", rss([ITEM])))
    url = reverse("upstream_feeds:poll", args=[feed.pk])

    page = admin_client.get(url)
    assert page.status_code == 200 and "立即抓取" in page.content.decode()
    assert upstream.requests == []  # GET only asks

    response = admin_client.post(url, follow=True)

    assert "已加入抓取队列" in response.content.decode()
    feed.refresh_from_db()
    assert feed.items_created == 1 and feed.last_polled_at is not None
    assert feed.next_poll_at > timezone.now() + timedelta(minutes=25)


def test_poll_now_refuses_a_switched_off_feed(
    admin_client, upstream, make_upstream_feed
):
    feed = make_upstream_feed(upstream.answer("/rss.xml", rss([ITEM])), active=False)

    response = admin_client.post(
        reverse("upstream_feeds:poll", args=[feed.pk]), follow=True
    )

    assert "已停用的订阅源不会抓取" in response.content.decode()
    assert upstream.requests == []


def test_entries_listing_leads_to_the_draft_edit_page(
    editor_client, upstream, make_upstream_feed
):
    feed = make_upstream_feed(upstream.answer("/rss.xml", rss([ITEM])))
    poll_feed.call(feed.pk)
    page = feed.entries.get().page

    listing = editor_client.get(ENTRIES, {"feed": feed.pk})

    text = listing.content.decode()
    assert listing.status_code == 200
    assert "秋冬季节如何预防流感" in text and "草稿，待审核" in text
    edit_url = reverse("wagtailadmin_pages:edit", args=[page.pk])
    assert edit_url in text and ITEM["link"] in text
    edit = editor_client.get(edit_url)
    assert edit.status_code == 200 and "秋冬季节如何预防流感" in edit.content.decode()


def test_editors_register_feeds_but_do_not_delete_them(
    editor_client, upstream, make_upstream_feed
):
    feed = make_upstream_feed(upstream.url("/rss.xml"))

    assert editor_client.get(FEEDS).status_code == 200
    assert editor_client.get(f"{FEEDS}new/").status_code == 200
    assert editor_client.get(f"{FEEDS}edit/{feed.pk}/").status_code == 200
    editor_client.post(f"{FEEDS}delete/{feed.pk}/")
    assert UpstreamFeed.objects.filter(pk=feed.pk).exists()


def test_a_county_sees_polls_and_lists_only_its_own_feeds(
    client, org_tree, upstream, make_upstream_feed
):
    from django.contrib.auth.models import Permission

    from ingest.models import IngestedEntry
    from tests.organisation_fixtures import staff_of

    province_feed = make_upstream_feed(upstream.answer("/p.xml", rss([ITEM])))
    province_feed.title = "省科协稿源"
    province_feed.save()
    county_feed = make_upstream_feed(upstream.answer("/c.xml", rss([])))
    county_feed.title = "农安县稿源"
    county_feed.owner = org_tree["nongan"]
    county_feed.save()
    IngestedEntry.objects.create(feed=province_feed, guid="p1", title="省里的稿件")
    user = staff_of(org_tree["nongan"])
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="ingest")
    )
    client.force_login(user)
    feeds = client.get(FEEDS).text
    assert "农安县稿源" in feeds and "省科协稿源" not in feeds
    assert "省里的稿件" not in client.get(ENTRIES).text
    for url in (
        f"{FEEDS}edit/{province_feed.pk}/",
        reverse("upstream_feeds:poll", args=[province_feed.pk]),
    ):
        assert client.get(url).status_code == 404
    assert (
        client.post(reverse("upstream_feeds:poll", args=[province_feed.pk])).status_code
        == 404
    )
    assert client.get(f"{FEEDS}edit/{county_feed.pk}/").status_code == 200
