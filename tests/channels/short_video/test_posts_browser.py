"""短视频待发布 in real Chromium: the operator copies the title, types a link
from the wrong platform, reads why it is refused with what was typed kept,
corrects it and sees the post move to 最近已发布."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User

from channels.models import Placement
from tests.browser import log_in
from tests.channels.short_video.conftest import render_due

SCREENSHOT = Path("/tmp/short-video-posts.png")
WRONG = "https://www.bilibili.com/video/BV1xx411c7mD"
RIGHT = "https://v.douyin.com/iRNBho6u/"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_operator_marks_a_post_published_after_a_refused_address(
    live_server, browser, video_of, account, make_placement
):
    operator = User.objects.create_user("xinmeiti", "xinmeiti@example.org", "pw")
    operator.groups.add(Group.objects.get(name="Editors"))
    placement = render_due(video_of(seconds=1), account("douyin"), make_placement)
    assert placement.status == Placement.Status.DELIVERED, placement.error

    page = browser.new_page(locale="zh-CN", viewport={"width": 1300, "height": 1800})
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, live_server.url, "xinmeiti")
    page.goto(f"{live_server.url}/admin/channels/short-video/")

    post = page.locator(f"section[aria-labelledby='post-{placement.pk}-title']")
    post.get_by_role("button", name="复制标题").click()
    post.get_by_text("已复制").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == placement.page.title

    address = post.get_by_label("作品地址")
    address.fill(WRONG)
    post.get_by_role("button", name="标记为已发布").click()
    post = page.locator(f"section[aria-labelledby='post-{placement.pk}-title']")
    error = post.locator(".error-message")
    error.wait_for()
    assert "不是抖音作品的地址" in error.inner_text()
    address = post.get_by_label("作品地址")
    assert address.input_value() == WRONG
    assert address.get_attribute("aria-invalid") == "true"
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    address.fill(RIGHT)
    post.get_by_role("button", name="标记为已发布").click()
    page.get_by_text("没有等待发布的短视频。").wait_for()
    assert "已标记为已发布" in page.locator(".messages").inner_text()
    assert page.get_by_role("link", name=RIGHT).count() == 1
    placement.refresh_from_db()
    assert placement.post_address == RIGHT and placement.posted_by == operator
