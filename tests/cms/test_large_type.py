"""The 大字版 (适老化 mode) in a real browser: one switch on every page,
remembered without a cookie; no text in the page's main part under 18 pt
(24 px), no line under 1.3, every control and menu or card link a target of at least
60 × 60 px, nothing animated, no WCAG 2.1 AA violation in the mode; and a
读给我听 link to an item's audio where it has one."""

import pytest

from tests.cms.test_accessibility import violations

LARGE = "html.mode-large"
MEASURE = """() => {
    const visible = (el) => {
        const box = el.getBoundingClientRect();
        return box.width > 0 && box.height > 0
            && getComputedStyle(el).visibility !== "hidden";
    };
    const px = (value) => parseFloat(value);
    const text = [...document.querySelectorAll("main *")].filter(
        (el) => visible(el) && [...el.childNodes].some(
            (node) => node.nodeType === Node.TEXT_NODE && node.textContent.trim()
        )
    ).map((el) => getComputedStyle(el));
    const smallest = Math.min(...text.map((style) => px(style.fontSize)));
    const tightest = Math.min(...text.map(
        (style) => px(style.lineHeight) / px(style.fontSize)
    ));
    const targets = [...document.querySelectorAll(
        "button, input, select, .button, .brand, .site-nav a, .card a, .result a, "
        + ".section-list a, .pagination a, .listen-link"
    )].filter(visible).map((el) => {
        const box = el.getBoundingClientRect();
        const name = el.textContent.trim() || el.outerHTML.slice(0, 60);
        return [name, Math.round(box.width), Math.round(box.height)];
    });
    const moving = [...document.querySelectorAll("*")].filter(visible).filter((el) => {
        const style = getComputedStyle(el);
        return style.animationName !== "none" || px(style.transitionDuration) > 0;
    }).map((el) => el.outerHTML.slice(0, 80));
    return {
        fontSize: smallest,
        lineHeight: tightest,
        targets,
        moving,
    };
}"""


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_large_type_mode_meets_the_elder_rules_and_is_remembered(
    live_server, browser, every_template
):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.goto(live_server.url + every_template["episode"])
    switch = tab.get_by_role("button", name="大字版")
    assert switch.get_attribute("aria-pressed") == "false"
    standard = tab.evaluate(MEASURE)
    switch.click()
    assert tab.locator(LARGE).count() == 1
    assert switch.get_attribute("aria-pressed") == "true"
    assert standard["fontSize"] < 24

    found = []
    for name, path in every_template.items():
        if name == "big-screen player":
            continue  # a screen of its own, not the site
        _status, violated = violations(tab, live_server.url + path)
        found += violated
        assert tab.locator(LARGE).count() == 1, f"{name}: the mode was not kept"
        measured = tab.evaluate(MEASURE)
        assert measured["fontSize"] >= 24, name
        assert measured["lineHeight"] >= 1.3, name
        small = [t for t in measured["targets"] if t[1] < 60 or t[2] < 60]
        assert small == [], name
        assert measured["moving"] == [], name
    assert found == []
    assert context.cookies() == []  # remembered in the browser, not a cookie

    tab.goto(live_server.url + every_template["episode"])
    tab.get_by_role("button", name="大字版").click()
    tab.reload()
    assert tab.locator(LARGE).count() == 0
    context.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_listen_links_to_the_items_audio(live_server, browser, every_template):
    tab = browser.new_page()
    tab.goto(live_server.url + every_template["episode"])
    tab.get_by_role("link", name="读给我听").click()
    assert tab.url.endswith("#item-audio")
    assert tab.locator("#item-audio audio").count() == 1
    tab.goto(live_server.url + every_template["article"])
    assert tab.get_by_role("link", name="读给我听").count() == 0
