"""The review workflow as a 科学审核 reviewer does it, in real Chromium."""

import pytest

from cms.review import submit_for_review
from tests.browser import log_in


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
