"""The county map as a user sees it, in a real headless Chromium with no internet."""

import math

import pytest

from tests.browser.conftest import sign_in, wait_until

pytestmark = pytest.mark.browser

PATHS = ".leaflet-overlay-pane path.leaflet-interactive"


def test_county_map_draws_grids_and_layer_control_offline(offline_page, live_server, artifacts):
    page, log = offline_page
    sign_in(page, live_server, "dispatcher")
    # Neighbours (8) + county (1) + townships (8) are on at first.
    wait_until(page, f"document.querySelectorAll('{PATHS}').length >= 17")
    control = page.locator(".leaflet-control-layers")
    assert control.is_visible()
    labels = control.locator("label").all_inner_texts()
    assert any("村民小组网格（演示）" in label for label in labels)
    assert page.get_by_role("note").inner_text().startswith("演示数据")

    page.get_by_text("村民小组网格（演示）").click()
    wait_until(page, f"document.querySelectorAll('{PATHS}').length >= 17 + 480")
    page.screenshot(path=artifacts / "county-map.png")

    assert log.blocked == []
    assert log.errors == []


def test_popup_names_the_grid_and_flags_demo_data(offline_page, live_server):
    page, log = offline_page
    sign_in(page, live_server, "dispatcher")
    page.goto(live_server + "/")  # the county map (a dispatcher lands on the console)
    wait_until(page, f"document.querySelectorAll('{PATHS}').length >= 17")
    # The map centre lies inside a township; clicking there opens its popup.
    page.mouse.click(640, 470)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert "网格编码" in text and "533422" in text
    assert "演示数据" in text
    assert log.errors == []


def test_english_page(offline_page, live_server, artifacts):
    page, log = offline_page
    sign_in(page, live_server, "dispatcher")
    page.goto(live_server + "/?lang=en")
    wait_until(page, f"document.querySelectorAll('{PATHS}').length >= 17")
    assert "Township grids (demo)" in page.locator(".leaflet-control-layers").inner_text()
    assert page.get_by_role("note").inner_text().startswith("Demonstration data")
    page.screenshot(path=artifacts / "county-map-en.png")
    assert log.blocked == [] and log.errors == []


def test_a_tile_pack_in_the_folder_is_the_maps_base_layer_offline(
    app, offline_page, live_server, tmp_path, monkeypatch
):
    from tests.routes.test_tile_packs import PNG, make_pack

    def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
        n = 2**z
        y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
        return int((lon + 180) / 360 * n), int(y)

    tiles: dict[tuple[int, int, int], bytes] = {}
    for z in range(7, 12):
        (west, north), (east, south) = tile_of(96.0, 31.5, z), tile_of(102.0, 25.0, z)
        tiles |= {(z, x, y): PNG for x in range(west, east + 1) for y in range(north, south + 1)}
    make_pack(tmp_path / "county.mbtiles", tiles, name="县影像（测试）")
    monkeypatch.setitem(app.config, "TILE_PACKS", str(tmp_path))
    page, log = offline_page
    sign_in(page, live_server, "dispatcher")
    page.goto(live_server + "/")
    drawn = "i => i.src.includes('/tiles/county/') && i.complete && i.naturalWidth > 0"
    wait_until(page, f"[...document.querySelectorAll('img.leaflet-tile')].some({drawn})")
    assert "县影像（测试）" in page.locator(".leaflet-control-layers").inner_text()
    assert log.blocked == [] and log.errors == []
