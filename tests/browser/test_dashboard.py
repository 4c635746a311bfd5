"""The leaders' dashboard as a county leader uses it: headline figures, the choropleth, the trend, a download."""

import io
from pathlib import Path

import openpyxl
import pytest

from tests.browser.conftest import sign_in, wait_until

pytestmark = pytest.mark.browser

PATHS = ".leaflet-overlay-pane path.leaflet-interactive"


def test_a_leader_lands_on_the_dashboard_switches_the_map_and_downloads_the_ranking(
    offline_page, live_server, artifacts
):
    page, log = offline_page
    sign_in(page, live_server, "viewer")
    assert "/dashboard" in page.url  # a leader's home page
    # Eight townships drawn in the default indicator's classes, with a legend and the formula.
    wait_until(page, f"document.querySelectorAll('{PATHS}').length >= 8 && document.body.dataset.choropleth")
    first = page.evaluate("document.body.dataset.choropleth")
    assert page.locator("#choropleth-legend .swatch").count() >= 2
    assert page.locator("#choropleth-formula").inner_text().strip()
    assert "演示" in page.locator("body").inner_text()  # generated cases are labelled as such

    # Another indicator: the map, legend, formula and trend title follow without a reload.
    options = page.locator("#choropleth-indicator option").evaluate_all("els => els.map(e => e.value)")
    other = next(value for value in options if value not in (first, "score"))
    page.select_option("#choropleth-indicator", other)
    wait_until(page, f"document.body.dataset.choropleth === {other!r}")
    name = page.locator("#choropleth-indicator option:checked").inner_text()
    assert page.locator("#trend-title").inner_text() == name
    assert other in page.url  # the choice is in the address, so it can be shared
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=artifacts / "dashboard-phone.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=artifacts / "dashboard.png")

    # The grid ranking as a spreadsheet: a real XLSX whose rows are the table's.
    with page.expect_download() as started:
        page.click("#export-grids-xlsx")
    download = started.value
    assert download.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes()), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    head, body = rows[0], rows[1:]
    table = page.locator("#grid-ranking tbody tr")
    shown = {
        table.nth(k).get_attribute("data-code"): table.nth(k).locator("td.grade").inner_text()
        for k in range(table.count())
    }
    # The same grids with the same grades as the page shows.
    assert {row[1]: row[head.index("等级")] or "—" for row in body} == shown
    assert len(shown) == 8

    # Drill down: a township's villages, then one village's groups, each drawn on the map.
    township = next(iter(shown))
    page.click(f"#grid-ranking tr[data-code='{township}'] a")
    wait_until(page, f"document.body.dataset.choropleth && document.querySelectorAll('{PATHS}').length >= 2")
    villages = page.locator("#grid-ranking tbody tr").evaluate_all("rows => rows.map(r => r.dataset.code)")
    assert villages and all(code.startswith(township) and len(code) == 12 for code in villages)
    page.click(f"#grid-ranking tr[data-code='{villages[0]}'] a")
    wait_until(page, f"document.body.dataset.choropleth && document.querySelectorAll('{PATHS}').length >= 1")
    groups = page.locator("#grid-ranking tbody tr").evaluate_all("rows => rows.map(r => r.dataset.code)")
    assert groups and all(code.startswith(villages[0]) and len(code) == 15 for code in groups)
    assert page.locator("#grid-ranking").inner_text()

    assert log.blocked == []
    assert log.errors == []
