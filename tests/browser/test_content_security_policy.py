"""Every page, in Chinese and in English, runs under its Content-Security-Policy without a single violation."""

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

# Report each violation to the test as it happens (the page may navigate before anyone asks).
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  window.reportCspViolation([event.violatedDirective, event.blockedURI, event.sourceFile, event.lineNumber].join(" "));
});
"""
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def watched_page(offline_page):
    """The offline page, with CSP violations collected into ``violations``."""
    page, log = offline_page
    violations: list[str] = []
    page.context.expose_function("reportCspViolation", lambda violation: violations.append(violation))
    page.context.add_init_script(REPORT_VIOLATIONS)
    return page, log, violations


def open_page(page, url: str) -> None:
    page.goto(url)
    # Map pages fetch their layers, hotspots and feeds after load; let them all arrive and be drawn.
    page.wait_for_load_state("networkidle", timeout=60_000)


def test_every_page_passes_its_policy_in_both_languages(watched_page, live_server, every_page, artifacts):
    page, log, violations = watched_page
    signed_in_as = None
    for username, path in every_page:
        if username != signed_in_as:
            page.context.clear_cookies()
            if username:
                sign_in(page, live_server, username)
            signed_in_as = username
        for lang, html_lang in (("zh", "zh-CN"), ("en", "en")):
            open_page(page, f"{live_server}{path}{'&' if '?' in path else '?'}lang={lang}")
            assert page.locator("html").get_attribute("lang") == html_lang, path
            assert violations == [], (path, lang)
            assert [e for e in log.errors if "Content Security Policy" in e] == [], (path, lang)
            assert log.errors == [], (path, lang)
    assert log.blocked == []

    # The listener does hear a violation: a script the page did not send (no nonce) is refused.
    page.evaluate("document.body.appendChild(Object.assign(document.createElement('script'), {textContent: '1'}))")
    page.wait_for_timeout(500)
    assert violations and violations[0].startswith("script-src")


def test_pages_still_render_on_desktop_and_phone(watched_page, live_server, artifacts):
    page, log, violations = watched_page
    sign_in(page, live_server, "patrol")
    open_page(page, live_server + "/patrol?date=2026-06-15")
    page.wait_for_selector("#active-zones li[data-zone]")
    assert page.locator(".leaflet-control-layers").first.is_visible()
    page.screenshot(path=artifacts / "csp-patrol-desktop.png")
    page.set_viewport_size(PHONE)
    open_page(page, live_server + "/")
    page.wait_for_selector(".leaflet-overlay-pane path.leaflet-interactive")
    page.screenshot(path=artifacts / "csp-county-phone.png")
    open_page(page, live_server + "/patrol/my")
    assert page.locator("h2").inner_text() == "巡逻任务"
    page.screenshot(path=artifacts / "csp-patrol-my-phone.png", full_page=True)
    assert violations == [] and log.errors == [] and log.blocked == []
