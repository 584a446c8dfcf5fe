"""保存草稿 on a new page while the autosave is creating it, in real Chromium.

The autosave's first request goes to the add view and creates the page; only
when its answer arrives does the editor's form point at the page's edit view.
The answer is held back here until 保存草稿 has been clicked: the moment an
editor on a slow connection (or a slow server) lives through by chance.
"""

import time

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Response, Route, expect

from cms.pages import ArticlePage
from tests.browser import log_in

TITLE = "黑洞是什么"
STANDFIRST = "黑洞是引力大到连光都逃不出去的天体。"
# The editor notices edits (and so autosaves) only against its snapshot of the
# untouched form, taken two seconds after each time its change tracker starts
# (it starts twice on the add view): typing before the last snapshot is missed.
SNAPSHOTS = """
window.trackers = 0;
window.snapshots = 0;
document.addEventListener("w-unsaved:ready", () => { window.trackers += 1; });
document.addEventListener("w-unsaved:watch-edits", () => { window.snapshots += 1; });
"""


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_saving_a_draft_while_the_autosave_creates_the_page_keeps_one_page(
    live_server, browser, articles_index, expert
):
    User.objects.create_superuser("zongbian", "zongbian@example.org", "pw")
    add_path = f"/admin/pages/add/cms/articlepage/{articles_index.pk}/"
    held = []

    def hold_the_creating_answer(route: Route) -> None:
        if route.request.resource_type != "fetch":  # 保存草稿, not the autosave
            route.continue_()
            return
        answer = route.fetch()
        if answer.ok:  # the server has created the page
            held.append((route, answer))
        else:  # an autosave of a form not yet valid
            route.fulfill(response=answer)

    page = browser.new_page(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    log_in(page, live_server.url, "zongbian")
    page.route(f"**{add_path}", hold_the_creating_answer)
    page.add_init_script(SNAPSHOTS)
    page.goto(live_server.url + add_path)
    page.wait_for_function(
        "window.snapshots > 0 && window.snapshots === window.trackers"
    )
    # The expert's chooser modal is beside the point: its hidden input is
    # what the form posts (a draft without an expert is refused).
    page.eval_on_selector(
        "#id_reviewing_expert", "(input, pk) => { input.value = pk; }", expert.pk
    )
    page.fill("#id_title", TITLE)
    page.press("#id_title", "Tab")  # the slug follows the title

    deadline = time.monotonic() + 20
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert held, "the autosave never went out"
    created = ArticlePage.objects.get(title=TITLE)  # the autosave created it

    page.fill("#id_standfirst", STANDFIRST)
    edit_url = f"{live_server.url}/admin/pages/{created.pk}/edit/"
    with page.expect_response(saved_by_hand) as saving:
        page.locator("button.action-save").first.click()
        route, answer = held.pop()
        route.fulfill(response=answer)  # the autosave's answer comes in late
    assert saving.value.request.url == edit_url  # not the add view again

    expect(page.locator(".messages")).to_contain_text(f"页面 '{TITLE}' 已被更新")
    assert page.url == edit_url
    assert ArticlePage.objects.filter(title=TITLE).count() == 1
    created.refresh_from_db()
    assert created.get_latest_revision_as_object().standfirst == STANDFIRST


def saved_by_hand(response: Response) -> bool:
    request = response.request
    return request.method == "POST" and request.resource_type == "document"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_autosave_follows_a_save_made_right_after_an_edit(
    live_server, browser, articles_index, expert
):
    """保存草稿 clicked right after the last edit, before the editor has
    noticed it: the edit is noticed while the save is on its way, and an
    autosave then would post the add view after the save created the page
    (refused: the slug is taken)."""
    User.objects.create_superuser("zongbian", "zongbian@example.org", "pw")
    add_path = f"/admin/pages/add/cms/articlepage/{articles_index.pk}/"
    autosaves = []
    page = browser.new_page(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    log_in(page, live_server.url, "zongbian")
    page.add_init_script(SNAPSHOTS)
    page.goto(live_server.url + add_path)
    page.wait_for_function(
        "window.snapshots > 0 && window.snapshots === window.trackers"
    )

    def slow_save_and_count_autosaves(route: Route) -> None:
        if route.request.resource_type == "fetch":
            autosaves.append(route.request.method)
        else:  # 保存草稿 on a slow connection: the editor stays a while
            time.sleep(1.5)
        route.continue_()

    page.route(f"**{add_path}", slow_save_and_count_autosaves)
    page.eval_on_selector(
        "#id_reviewing_expert", "(input, pk) => { input.value = pk; }", expert.pk
    )
    page.evaluate(
        """([title, standfirst]) => {
            for (const [id, value] of [["id_title", title], ["id_slug", "heidong"],
                                       ["id_standfirst", standfirst]]) {
                const input = document.getElementById(id);
                input.value = value;
                input.dispatchEvent(new Event("input", {bubbles: true}));
                input.dispatchEvent(new Event("change", {bubbles: true}));
            }
            document.querySelector("button.action-save").click();
        }""",
        [TITLE, STANDFIRST],
    )
    page.wait_for_url(f"{live_server.url}/admin/pages/*/edit/")
    page.wait_for_timeout(2000)  # past the autosave's 500 ms wait, and more
    assert autosaves == []
    assert ArticlePage.objects.filter(title=TITLE).count() == 1
