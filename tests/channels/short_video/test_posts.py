"""The assisted lane: a rendered post waits in 短视频待发布 for the account's
operator, who downloads it, copies its text and records where it was posted;
addresses are checked against the platform's link forms, and a post waiting
past its account's time is flagged on the dashboard."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse
from django.utils import timezone

from channels.models import AdvisoryRecipient, Placement
from channels.queue import process_placement
from channels.short_video.caption import Caption
from channels.short_video.posts import (
    POSTING,
    BadAddress,
    MarkRefused,
    checked_address,
    mark_posted,
    overdue_posts,
    waiting_posts,
)
from cms.advisories import withdraw
from tests.channels.short_video.conftest import render_due

QUEUE = "/admin/channels/short-video/"
DOUYIN_POST = "https://www.douyin.com/video/7301234567890123456"


@pytest.fixture
def waiting_post(video_of, account, make_placement) -> Placement:
    placement = render_due(video_of(seconds=1), account("douyin"), make_placement)
    assert placement.status == Placement.Status.DELIVERED, placement.error
    return placement


@pytest.fixture
def operator(db) -> User:
    user = User.objects.create_user("xinmeiti", "xinmeiti@example.org", "pw")
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def overdue_by(placement: Placement, hours: float) -> None:
    allowed = placement.outlet.parsed_spec.post_within_hours
    when = timezone.now() - timedelta(hours=allowed + hours)
    Placement.objects.filter(pk=placement.pk).update(scheduled_at=when)


# Addresses -----------------------------------------------------------------------


@pytest.mark.parametrize("platform", sorted(POSTING))
def test_each_platform_takes_its_own_links_and_refuses_the_others(platform):
    own = POSTING[platform]
    assert checked_address(platform, f"  {own.example} ") == own.example
    for name, other in POSTING.items():
        if name != platform:
            with pytest.raises(BadAddress, match=f"不是{own.label}作品的地址"):
                checked_address(platform, other.example)


@pytest.mark.parametrize(
    "text",
    [
        "http://www.douyin.com/video/7301234567890123456",  # not https
        "https://www.douyin.com.evil.example/video/7301234567890123456",
        "https://www.douyin.com/video/7301234567890123456@127.0.0.1",
        "javascript:alert(1)",
    ],
)
def test_look_alike_addresses_are_refused(text):
    with pytest.raises(BadAddress, match="应形如 https://www.douyin.com/video/"):
        checked_address("douyin", text)


def test_an_address_longer_than_the_field_is_refused_not_cut():
    text = f"{DOUYIN_POST}?share={'x' * 500}"
    with pytest.raises(BadAddress, match="地址过长（555 个字符，最多 500 个）"):
        checked_address("douyin", text)


def test_the_platforms_upload_page_is_not_a_post():
    upload = POSTING["wechat_channels"].upload_url
    with pytest.raises(BadAddress, match="不是视频号作品的地址"):
        checked_address("wechat_channels", upload)


def test_an_empty_address_asks_for_one():
    with pytest.raises(BadAddress, match="^请填写作品在抖音上的地址$"):
        checked_address("douyin", "   ")


def test_a_post_cannot_be_marked_before_its_package_is_made(
    video_of, account, make_placement, operator
):
    placement = make_placement(video_of(seconds=1), account("douyin"))
    with pytest.raises(MarkRefused, match="还没有生成发布包"):
        mark_posted(placement, DOUYIN_POST, operator)
    placement.refresh_from_db()
    assert placement.post_address == ""


def test_a_post_is_marked_once_and_a_second_mark_names_the_first(
    waiting_post, operator, client
):
    client.force_login(operator)
    first = {"placement": waiting_post.pk, "post_address": DOUYIN_POST}
    assert client.post(QUEUE, first).status_code == 302
    second = {**first, "post_address": "https://v.douyin.com/iRNBho6u/"}
    page = client.post(QUEUE, second, follow=True).content.decode()
    assert "已由xinmeiti于" in page and f"标记为已发布：{DOUYIN_POST}" in page
    waiting_post.refresh_from_db()
    assert waiting_post.post_address == DOUYIN_POST
    assert waiting_post.events.filter(note__startswith="已发布").count() == 1


def test_the_caption_file_reads_back_into_title_and_description():
    caption = Caption(
        "台风来了：怎么办", "两分钟看懂台风。\n#公共卫生\n原文：https://a/b"
    )
    assert Caption.read(caption.text()) == caption


# The queue -----------------------------------------------------------------------


def test_the_operator_downloads_copies_and_marks_a_post_published(
    waiting_post, operator, client
):
    client.force_login(operator)
    page = client.get(QUEUE)
    assert page.status_code == 200
    html = page.content.decode()
    outputs = list(waiting_post.outputs.order_by("name"))
    assert len(outputs) == 3
    for output in outputs:
        link = f"/admin/channels/placements/output/{output.pk}/"
        assert link in html
        download = client.get(link)
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == output.file.read()
    assert waiting_post.page.title in html and "#公共卫生" in html
    assert POSTING["douyin"].upload_url in html

    bilibili = POSTING["bilibili"].example
    form = {"placement": waiting_post.pk, "post_address": bilibili}
    refused = client.post(QUEUE, form)
    assert refused.status_code == 200
    text = refused.content.decode()
    assert "不是抖音作品的地址，应形如" in text
    assert f'value="{bilibili}"' in text  # what was typed is kept
    waiting_post.refresh_from_db()
    assert waiting_post.post_address == "" and waiting_post.posted_at is None

    form["post_address"] = DOUYIN_POST
    assert client.post(QUEUE, form).status_code == 302
    waiting_post.refresh_from_db()
    assert waiting_post.post_address == DOUYIN_POST
    assert waiting_post.posted_by == operator and waiting_post.posted_at
    assert waiting_post.events.last().note == f"已发布：{DOUYIN_POST}"
    assert list(waiting_posts()) == []
    after = client.get(QUEUE).content.decode()
    assert "没有等待发布的短视频" in after and DOUYIN_POST in after


def test_only_users_who_may_change_placements_see_the_queue(waiting_post, client):
    viewer = User.objects.create_user("guanzhong", "guanzhong@example.org", "pw")
    viewer.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_placement"),
    )
    client.force_login(viewer)
    assert client.get(QUEUE).status_code == 302  # to the dashboard, refused
    form = {"placement": waiting_post.pk, "post_address": DOUYIN_POST}
    assert client.post(QUEUE, form).status_code == 302
    waiting_post.refresh_from_db()
    assert waiting_post.post_address == ""
    assert "短视频待发布" not in client.get("/admin/").content.decode()


@pytest.mark.parametrize("placement", ["", "abc", "99999999999999999999", "9999"])
def test_a_form_naming_no_waiting_post_is_not_found(operator, client, placement):
    client.force_login(operator)
    form = {"placement": placement, "post_address": DOUYIN_POST}
    assert client.post(QUEUE, form).status_code == 404


def test_a_post_waiting_past_its_accounts_time_is_flagged_on_the_dashboard(
    waiting_post, operator, client
):
    client.force_login(operator)
    overdue_by(waiting_post, -1)  # an hour left
    assert overdue_posts() == []
    assert "短视频超时未发布" not in client.get("/admin/").content.decode()
    overdue_by(waiting_post, 1)
    assert overdue_posts() == [waiting_post]
    dashboard = client.get("/admin/").content.decode()
    assert "短视频超时未发布" in dashboard and waiting_post.page.title in dashboard
    mark_posted(waiting_post, DOUYIN_POST, operator)
    assert overdue_posts() == []


# 撤回 and 更正 ---------------------------------------------------------------------


def test_a_withdrawal_asks_each_account_to_take_its_posts_down(
    waiting_post, operator, admin_user, django_capture_on_commit_callbacks
):
    mark_posted(waiting_post, DOUYIN_POST, operator)
    item = waiting_post.page.specific
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(item, reason="数据有误", user=admin_user)

    [row] = AdvisoryRecipient.objects.filter(channel="short_video")
    assert row.reference == f"outlet:{waiting_post.outlet_id}"  # not per platform:
    assert row.state == AdvisoryRecipient.State.PENDING  # the export was not by hand
    assert row.sent.splitlines() == [
        f"请在科普吉林·抖音下架《{item.title}》的视频（撤回原因：数据有误）。",
        "作品：",
        f"· {timezone.localtime(waiting_post.scheduled_at):%Y-%m-%d %H:%M} "
        f"{DOUYIN_POST}",
    ]


def test_a_withdrawn_item_cannot_be_marked_posted(
    waiting_post, operator, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(waiting_post.page.specific, user=admin_user)
    with pytest.raises(
        MarkRefused, match="已撤回或下线，请不要发布；如已发布，请在平台下架"
    ):
        mark_posted(waiting_post, DOUYIN_POST, operator)


def test_a_withdrawn_item_leaves_the_queue_unposted(
    waiting_post, operator, admin_user, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(waiting_post.page.specific, reason="数据有误", user=admin_user)
    assert list(waiting_posts()) == [] and overdue_posts() == []
    client.force_login(operator)
    page = client.get(QUEUE).content.decode()
    assert "没有等待发布的短视频" in page
    assert "/admin/channels/placements/output/" not in page


def test_a_correction_makes_the_waiting_package_again_and_names_it(
    waiting_post, review_and_publish, django_capture_on_commit_callbacks
):
    item = waiting_post.page.specific
    item.corrections = [("correction", {"wrong": "八级", "right": "十级"})]
    item.summary = "两分钟看懂台风的一生（已更正）。"
    with django_capture_on_commit_callbacks(execute=True):
        review_and_publish(item)
    [row] = AdvisoryRecipient.objects.filter(channel="short_video")
    assert row.sent.startswith(f"请在科普吉林·抖音更正《{item.title}》视频的标题")
    assert "原文“八级”，应为“十级”" in row.sent
    assert row.sent.endswith("的发布包未标记为已发布：如已发到平台，请在账号内找到它")

    waiting_post.refresh_from_db()
    assert waiting_post.status == Placement.Status.PLANNED  # made again, due now
    assert list(waiting_posts()) == []
    process_placement.call(waiting_post.pk)
    [again] = waiting_posts()
    caption = again.outputs.get(name__endswith=".caption.txt").file.read().decode()
    assert "（已更正）" in caption


def test_a_county_sees_neither_the_provinces_posts_nor_their_delay(
    waiting_post, org_tree, client
):
    from tests.organisation_fixtures import staff_of

    overdue_by(waiting_post, 1)
    url = reverse("short_video_posts:index")
    client.force_login(staff_of(org_tree["nongan"], name="county"))
    assert waiting_post.page.title not in client.get(url).content.decode()
    assert (
        "短视频超时未发布"
        not in client.get(reverse("wagtailadmin_home")).content.decode()
    )
    marked = client.post(
        url, {"placement": waiting_post.pk, "post_address": DOUYIN_POST}
    )
    assert marked.status_code == 404
    client.force_login(staff_of(org_tree["province"], name="province"))
    assert waiting_post.page.title in client.get(url).content.decode()
    assert (
        "短视频超时未发布" in client.get(reverse("wagtailadmin_home")).content.decode()
    )
