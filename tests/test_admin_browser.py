"""The review workflow as a 科学审核 reviewer does it, in real Chromium."""

import pytest

from cms.review import submit_for_review
from tests.browser import chromium


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API keeps an event loop; the test's own ORM calls are
    # still synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with chromium() as browser:
        yield browser


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reviewer_approves_in_the_chinese_admin_and_the_page_goes_live(
    live_server, browser, make_article, editor, reviewer
):
    article = make_article(publish=False, title="流感季如何保护老人")
    article.save_revision(user=editor)
    submit_for_review(article, editor)

    page = browser.new_page(locale="zh-CN")
    log_in(page, live_server.url, reviewer.username)
    dashboard = page.content()
    assert "即将发布" in dashboard
    assert "流感季如何保护老人" in dashboard

    row = page.locator("tr", has_text="流感季如何保护老人")
    row.locator("[data-w-dropdown-target='toggle']").click()
    row.locator("button[data-launch-modal]", has_text="批准").click()
    page.fill("textarea[name=comment]", "数据与指南一致，准予发布")
    with page.expect_navigation():
        page.click(".modal button[type=submit]")

    article.refresh_from_db()
    assert article.live
    assert article.live_revision.user == editor
    approval = article.workflow_states.get()
    assert approval.status == "approved"
    assert approval.task_states.get().comment == "数据与指南一致，准予发布"
