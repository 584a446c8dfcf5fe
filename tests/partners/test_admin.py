"""The 合作媒体 admin: partners, keys created with their clear value shown
once (then only the prefix), revoked by POST after a confirmation, and a
partner's usage with its daily chart in a constant number of queries."""

import json
import re
from datetime import datetime, time, timedelta

from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partners.models import ApiKey, Partner, PullLog, hash_key
from tests.organisation_fixtures import join_root_organisation


def test_partners_are_created_and_listed_in_the_menu(admin_client):
    menu = admin_client.get(reverse("wagtailadmin_home")).content.decode()
    assert json.dumps("合作媒体")[1:-1] in menu  # the sidebar's JSON
    assert reverse("partners:index") in menu
    response = admin_client.post(
        reverse("partners:add"),
        {
            "name": "吉林广播电视台",
            "organisation": "新闻综合广播",
            "contact_name": "刘制片",
            "contact_phone": "0431-85390000",
            "contact_email": "",
            "notes": "",
            "active": "on",
            "notice_method": "none",
            "notice_url": "",
            "notice_secret": "",
        },
    )
    assert response.status_code == 302
    partner = Partner.objects.get(name="吉林广播电视台")
    listing = admin_client.get(reverse("partners:index")).content.decode()
    assert "吉林广播电视台" in listing
    assert reverse("partners:pulls", args=[partner.pk]) in listing
    assert f"{reverse('partner_keys:add')}?partner={partner.pk}" in listing


def test_a_new_key_is_shown_once_then_only_its_prefix(admin_client, partner, make_feed):
    feed = make_feed("mine", access="partner")
    add_url = f"{reverse('partner_keys:add')}?partner={partner.pk}"
    form = admin_client.get(add_url)
    assert form.status_code == 200
    response = admin_client.post(
        add_url,
        {
            "partner": partner.pk,
            "label": "官网",
            "feeds": [feed.pk],
            "rate_limit_per_minute": 60,
            "expires_at": "",
        },
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    [clear] = set(re.findall(r"kp_[A-Za-z0-9_-]{43}", page))
    key = ApiKey.objects.get()
    assert key.key_hash == hash_key(clear)
    assert list(key.feeds.all()) == [feed]
    assert f"http://testserver/feeds/mine/rss.xml?key={clear}" in page
    assert f"http://testserver/feeds/mine/podcast.xml?key={clear}" in page
    assert "只在此页显示这一次" in page
    for url in (
        reverse("partner_keys:index"),
        reverse("partner_keys:edit", args=[key.pk]),
        reverse("partners:pulls", args=[partner.pk]),
    ):
        text = admin_client.get(url).content.decode()
        assert clear not in text and clear[3:] not in text
    listing = admin_client.get(reverse("partner_keys:index")).content.decode()
    assert key.display_prefix in listing and "有效" in listing and "我的" not in listing


def test_an_expiry_in_the_past_is_refused(admin_client, partner, make_feed):
    feed = make_feed("mine", access="partner")
    response = admin_client.post(
        reverse("partner_keys:add"),
        {
            "partner": partner.pk,
            "feeds": [feed.pk],
            "rate_limit_per_minute": 60,
            "expires_at": "2020-01-01 00:00",
        },
    )
    assert response.status_code == 200 and not ApiKey.objects.exists()
    assert "到期时间应晚于现在" in response.content.decode()


def test_a_key_is_revoked_by_post_after_confirmation(
    admin_client, client, partner, make_feed
):
    feed = make_feed("mine", access="partner")
    key, clear = ApiKey.issue(partner, [feed])
    revoke_url = reverse("partner_keys:delete", args=[key.pk])
    listing = admin_client.get(reverse("partner_keys:index")).content.decode()
    assert revoke_url in listing and "吊销" in listing
    confirm = admin_client.get(revoke_url)
    assert confirm.status_code == 200 and "确定吊销吗" in confirm.content.decode()
    key.refresh_from_db()
    assert key.revoked_at is None  # GET changes nothing
    done = admin_client.post(revoke_url)
    assert done.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None and ApiKey.objects.filter(pk=key.pk).exists()
    assert client.get(f"/feeds/mine/rss.xml?key={clear}").status_code == 401
    listing = admin_client.get(reverse("partner_keys:index")).content.decode()
    assert "已吊销" in listing and revoke_url not in listing


def test_scope_and_limit_can_be_edited_but_not_the_partner(
    admin_client, partner, make_feed
):
    first, second = make_feed("a", access="partner"), make_feed("b", access="partner")
    key, _clear = ApiKey.issue(partner, [first])
    other = Partner.objects.create(name="别家", contact_name="某")
    response = admin_client.post(
        reverse("partner_keys:edit", args=[key.pk]),
        {
            "partner": other.pk,
            "label": "改用途",
            "feeds": [first.pk, second.pk],
            "rate_limit_per_minute": 5,
            "expires_at": "",
        },
    )
    assert response.status_code == 302
    key.refresh_from_db()
    assert (key.partner, key.label, key.rate_limit_per_minute) == (partner, "改用途", 5)
    assert set(key.feeds.all()) == {first, second}


def make_pulls(partner, key, feed, count: int) -> None:
    now = timezone.now()
    PullLog.objects.bulk_create(
        PullLog(
            partner=partner,
            key=key,
            feed=feed if n % 3 else None,
            path=f"/feeds/mine/rss.xml?n={n}",
            at=now - timedelta(days=n % 40, minutes=n),
            status=200 if n % 5 else 429,
            bytes=1000 + n,
            user_agent=f"阅读器/{n}",
        )
        for n in range(count)
    )


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_usage_shows_a_daily_chart_and_totals_in_constant_queries(
    admin_client, partner, make_feed
):
    feed = make_feed("mine", access="partner", title="我的订阅源")
    key, _clear = ApiKey.issue(partner, [feed])
    url = reverse("partners:pulls", args=[partner.pk])
    make_pulls(partner, key, feed, 3)
    few = count_queries(admin_client, url)
    make_pulls(partner, key, feed, 120)
    assert count_queries(admin_client, url) == few
    page = admin_client.get(url).content.decode()
    assert page.count('<g class="bar">') == 30
    today = timezone.localdate().isoformat()
    today_count = PullLog.objects.filter(
        partner=partner, at__date=timezone.localdate()
    ).count()
    assert f"{today}：{today_count} 次" in page
    assert "我的订阅源（mine）" in page and "阅读器/0" in page
    first_day = timezone.localdate() - timedelta(days=29)
    since = timezone.make_aware(datetime.combine(first_day, time.min))
    in_window = PullLog.objects.filter(partner=partner, at__gte=since).count()
    assert 0 < in_window < 123
    assert f'<span class="value">{in_window}</span>' in page
    assert "429" in page


def test_a_pull_just_made_is_on_the_usage_page_and_the_key_listing(
    admin_client, client, partner, make_feed
):
    feed = make_feed("mine", access="partner", title="我的订阅源")
    key, clear = ApiKey.issue(partner, [feed])
    assert client.get(f"/feeds/mine/rss.xml?key={clear}").status_code == 200
    assert PullLog.objects.count() == 0  # still buffered
    page = admin_client.get(reverse("partners:pulls", args=[partner.pk]))
    assert '<span class="value">1</span>' in page.content.decode()
    admin_client.get(reverse("partner_keys:index"))
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_partner_admin_needs_the_partner_permissions(
    client, partner, django_user_model
):
    user = django_user_model.objects.create_user("bianji", password="pw")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    join_root_organisation(user)
    client.force_login(user)
    for url in (
        reverse("partners:index"),
        reverse("partner_keys:index"),
        reverse("partner_keys:add"),
        reverse("partners:pulls", args=[partner.pk]),
    ):
        assert client.get(url).status_code in (302, 403), url
    user.user_permissions.add(Permission.objects.get(codename="view_partner"))
    user = User.objects.get(pk=user.pk)
    client.force_login(user)
    assert client.get(reverse("partners:pulls", args=[partner.pk])).status_code == 200
    assert client.get(reverse("partner_keys:add")).status_code in (302, 403)
