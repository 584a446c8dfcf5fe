"""The partner API's documentation in real Chromium: ReDoc draws every
operation from the schema, Swagger UI calls the API with a partner's key,
and neither page asks any other host for anything or logs an error."""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page

from partners.models import ApiKey

DOCS = "/api/partner/docs/"
SWAGGER = "/api/partner/swagger/"
OWN = ("data:", "blob:")


@dataclass
class Watch:
    """What a page did besides drawing: console errors, uncaught
    exceptions, requests to another host and requests that failed."""

    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def watch(page: Page, base_url: str) -> Watch:
    seen = Watch()
    host = urlsplit(base_url).netloc

    def request(req) -> None:
        if not req.url.startswith(OWN) and urlsplit(req.url).netloc != host:
            seen.foreign.append(req.url)

    page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else 0)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    page.on("request", request)
    page.on("requestfailed", lambda req: seen.failed.append(req.url))
    return seen


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_redoc_draws_every_operation_in_chinese_from_our_own_files(
    live_server, browser
):
    page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    seen = watch(page, live_server.url)
    page.goto(f"{live_server.url}{DOCS}")
    page.get_by_role("heading", name="条目列表").wait_for()
    for summary in ("单个条目", "订阅源", "更正与撤回"):
        assert page.get_by_role("heading", name=summary).count()
    text = page.locator("#redoc-container").inner_text()
    assert "科普全媒体 合作方 API" in text
    assert "/api/partner/items/" in text
    assert "请求示例" in text or "响应示例" in text
    assert seen == Watch()

    page.get_by_role("link", name="OpenAPI 架构（JSON）").click()
    page.wait_for_url(f"{live_server.url}/api/partner/schema/?format=json")
    assert '"openapi": "3.' in page.inner_text("body")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_swagger_ui_calls_the_api_with_the_partners_key(
    live_server, browser, partner, make_feed
):
    feed = make_feed("mine", access="partner", title="合作订阅源")
    _key, clear = ApiKey.issue(partner, [feed])
    page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    seen = watch(page, live_server.url)
    page.goto(f"{live_server.url}{SWAGGER}")

    page.locator("button.authorize").first.click()
    bearer = page.locator(".modal-ux .auth-container").filter(has_text="Bearer")
    bearer.locator("#auth-bearer-value").fill(clear)
    bearer.locator("button.authorize").click()
    bearer.locator("button.btn-done").click()

    operation = page.locator(".opblock").filter(has_text="/api/partner/feeds/")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    status = operation.locator(".live-responses-table .response .response-col_status")
    status.first.wait_for()
    assert status.first.inner_text().strip() == "200"
    assert "合作订阅源" in operation.locator(".live-responses-table").inner_text()
    assert seen == Watch()
