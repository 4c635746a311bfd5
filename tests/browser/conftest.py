"""Headless Debian Chromium driven by Playwright, with every non-local request blocked."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, BrowserContext, Error, Page, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# The flags Chromium needs on a closed network (no background calls home) and as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class PageLog:
    """What a page tried to fetch from elsewhere, and what went wrong in it."""

    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _rows_removed(request: pytest.FixtureRequest) -> None:
    """A test on the live server leaves no reports or patrols behind (``page_rows_deleted_afterwards``)."""
    if "live_server" in request.fixturenames:
        request.getfixturevalue("page_rows_deleted_afterwards")


def sign_in(page: Page, base_url: str, username: str) -> None:
    """Sign in through the login form, as a person would."""
    page.goto(base_url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f"{username}-demo-2026")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: not url.endswith("/login"))


def wait_until(page: Page, expression: str, timeout: float = 10_000) -> None:
    """Wait until the JavaScript ``expression`` is true in ``page``.

    Not ``page.wait_for_function``: it polls with ``eval`` inside the page, which the pages'
    Content-Security-Policy refuses (no 'unsafe-eval'); ``page.evaluate`` goes through DevTools.
    """
    deadline = time.monotonic() + timeout / 1000
    while True:
        try:
            if page.evaluate(expression):
                return
            problem = "still false"
        except Error as error:  # e.g. an element not there yet
            problem = str(error)
        if time.monotonic() > deadline:
            raise AssertionError(f"{expression}: {problem} after {timeout / 1000:g} s")
        page.wait_for_timeout(50)


def offline_context(browser, live_server: str, log: PageLog, **options) -> tuple[BrowserContext, Page]:
    """A new browser context (``options``: viewport, time zone, geolocation...) whose page may only reach the
    live server; ``log`` collects what it tried beyond it and the page's script errors."""
    context = browser.new_context(**options)
    # Generous: on a loaded 2-core machine the first page of a run has taken over 10 s to load.
    context.set_default_timeout(30_000)
    page = context.new_page()

    def only_local(route):
        if route.request.url.startswith(live_server):
            route.continue_()
        else:
            log.blocked.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.on("pageerror", lambda error: log.errors.append(str(error)))
    return context, page


@pytest.fixture
def offline_page(browser, live_server) -> Iterator[tuple[Page, PageLog]]:
    """A fresh page that may only reach the live server; the log says what it tried beyond it."""
    log = PageLog()
    context, page = offline_context(browser, live_server, log, viewport={"width": 1280, "height": 900}, locale="en-US")
    page.on("console", lambda message: log.errors.append(message.text) if message.type == "error" else None)
    yield page, log
    context.close()
