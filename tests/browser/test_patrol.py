"""A patrol leader picks a day in June, sees the open harvest hills and the hotspot list, opens a briefing."""

import pytest

from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.db]


def test_patrol_leader_in_june(offline_page, live_server, artifacts):
    page, log = offline_page
    sign_in(page, live_server, "patrol")
    page.goto(live_server + "/patrol")
    page.fill("#patrol-date input[name=date]", "2026-06-15")
    page.click("#patrol-date button[type=submit]")
    page.wait_for_url(lambda url: "date=2026-06-15" in url)
    page.wait_for_selector("#active-zones li[data-zone]")
    active = page.locator("#active-zones li[data-zone]")
    assert active.count() >= 3
    assert "虫草山" in active.first.inner_text() and "临时党支部" in active.first.inner_text()
    page.wait_for_function("document.querySelector('#hotspot-stats').textContent.includes('Gi*')", timeout=20_000)
    assert page.locator("#hotspots li").count() >= 1
    assert page.locator("#hotspot-filters input[name=since]").input_value() == "2026-04-25"
    page.screenshot(path=artifacts / "patrol-june.png")

    with page.expect_navigation():
        active.first.locator("a.briefing").click()
    assert "巡逻简报" in page.locator("h2").inner_text()
    page.wait_for_function("document.querySelector('img.briefing-map').complete")
    assert page.evaluate("document.querySelector('img.briefing-map').naturalWidth") > 300
    page.screenshot(path=artifacts / "patrol-briefing.png", full_page=True)
    assert log.blocked == [] and log.errors == []
