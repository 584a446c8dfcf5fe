"""Accessibility: axe-core (axe-playwright-python, in the system Chromium)
over every public template — home, a section, each page type (a Chinese
and a Uyghur article, a video with subtitles, a column and an episode with
audio), the search with results, without and with no query, the 404 and
410 pages — and over the big-screen player, with no WCAG 2.1 A or AA
violation. Each violation is named with its page, rule and elements."""

import pytest
from axe_playwright_python.sync_playwright import Axe

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE = Axe()


def violations(tab, url: str) -> tuple[int, list[str]]:
    """The page's status, and axe's WCAG 2.1 A and AA violations on it."""
    response = tab.goto(url)
    tab.wait_for_load_state("load")
    results = AXE.run(
        tab,
        options={"runOnly": {"type": "tag", "values": WCAG_21_AA}},
    )
    return response.status, [
        f"{url}: {rule['id']} [{rule['impact']}] {rule['help']}: "
        + ", ".join(str(node["target"]) for node in rule["nodes"])
        for rule in results.response["violations"]
    ]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("width", [1280, 390])
def test_no_public_template_breaks_wcag_21_aa(
    live_server, browser, every_template, width
):
    tab = browser.new_page(viewport={"width": width, "height": 900})
    statuses, found = {}, []
    for name, path in every_template.items():
        statuses[name], violated = violations(tab, live_server.url + path)
        found += violated
    assert found == []
    assert {name for name, status in statuses.items() if status != 200} == {
        "404",
        "410",
    }
    assert (statuses["404"], statuses["410"]) == (404, 410)


def test_the_check_names_what_breaks_the_rules(browser):
    """The same check, on a page with an unlabelled image and low contrast."""
    tab = browser.new_page()
    tab.route(
        "http://example.test/",
        lambda route: route.fulfill(
            content_type="text/html; charset=utf-8",
            body='<html lang="zh-Hans"><title>测试</title><body><main>'
            '<img src="/x.png"><p style="color:#bbb;background:#fff">浅灰字</p>'
            "</main></body></html>",
        ),
    )
    _status, found = violations(tab, "http://example.test/")
    assert [line.split(": ")[1].split(" ")[0] for line in found] == [
        "color-contrast",
        "image-alt",
    ]


def test_editors_get_wagtails_checker_with_colour_contrast(
    client, admin_user, make_article
):
    article = make_article()
    assert "wagtail-userbar" not in client.get(article.url).content.decode()
    client.force_login(admin_user)
    page = client.get(article.url).content.decode()
    assert "wagtail-userbar" in page
    assert '"color-contrast"' in page and '"image-alt"' in page
    client.logout()
    assert "wagtail-userbar" not in client.get(article.url).content.decode()
