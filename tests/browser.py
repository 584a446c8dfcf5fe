"""Headless Debian Chromium for browser tests (Playwright drives the system
binary: tools that download their own browser cannot run here): the `browser`
fixture every browser test uses, and logging in to the admin."""

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connections
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium() -> Iterator[Browser]:
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser(monkeypatch) -> Iterator[Browser]:
    # Playwright's sync API keeps an event loop; the test's own ORM calls are
    # still synchronous and safe. Inside it Django hands out connections of
    # their own: closed here, before the test database is reset (and, on
    # PostgreSQL, before it is dropped).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with chromium() as browser:
        yield browser
        connections.close_all()


def log_in(page: Page, base_url: str, username: str, password: str = "pw") -> None:
    page.goto(f"{base_url}/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")
