"""The dispatch console at any size, in headless Chromium: time and bytes until every marker is drawn.

Every page of the console's feed (open cases and recent closures) is drawn when the number of
markers stops changing; beside it, as the baseline of the same run, the sign-in page's load.
Then a status filter is applied as a click on 筛选 does, timed from the submit until the
browser has painted the markers left (two animation frames), against the target of 300 ms;
beside it, the same submit with no filter chosen.
Issue #13 measured 372 s and 20.4 MB at a million incidents, when every case ever reported was
sent. Unlike ``dispatch_page`` (whose baseline inlines every incident into one page), this one
runs at a million: ``./dev bench --incidents 1000000 console``.

Above GRIDMAP_CONSOLE_TILES_ABOVE cases (default 100,000) the console draws incidents as vector
tiles instead of markers: then the time and bytes are those until every tile of the first view is
drawn (``gridmap.tiledIncidents().loaded`` and no ``.leaflet-tile`` still loading, held for
TILES_STEADY_S), against the target of 3 s and 2 MB; ``GRIDMAP_CONSOLE_TILES_ABOVE=100000000``
measures the markers at a million.
"""

from __future__ import annotations

import time
from collections import Counter
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

from bench.http import gunicorn
from bench.report import header, row, verdict
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

STEADY_S = 5.0  # markers unchanged this long: the console has drawn them all (a loaded machine pauses 2 s)
DEADLINE_S = 300
FILTERED_STATUS = "dispatched"
TILES_STEADY_S = 1.0  # every tile drawn and none loading this long: the first view is complete
# Tile mode: how many tile layers, tiles drawn, and tiles still loading.
_TILES_STATE = """() => [gridmap.tiledIncidents().layers, gridmap.tiledIncidents().loaded,
  document.querySelectorAll('.leaflet-tile:not(.leaflet-tile-loaded)').length]"""

# Submit the console's filter form with ``status`` chosen; resolve with the milliseconds until the
# browser has painted the result and how many markers are left.
_TIMED_FILTER = """status => new Promise(resolve => {
  const form = document.getElementById("filters");
  form.elements.status.value = status;
  const started = performance.now();
  form.requestSubmit();
  requestAnimationFrame(() => requestAnimationFrame(() =>
    resolve([performance.now() - started, gridmap.visibleIncidents()])));
})"""


def _received(page) -> dict:
    """A counter of the bytes the page receives (compressed, as sent), every asset counted, and per path."""
    received: dict = {"bytes": 0, "paths": {}, "by_path": Counter()}
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})

    def sent(event: dict) -> None:
        received["paths"][event["requestId"]] = urlsplit(event["request"]["url"]).path

    def finished(event: dict) -> None:
        received["bytes"] += event["encodedDataLength"]
        received["by_path"][received["paths"].get(event["requestId"], "?")] += event["encodedDataLength"]

    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.loadingFinished", finished)
    return received


def _until_markers_drawn(page, started: float) -> tuple[float, int]:
    """Seconds from ``started`` until the number of markers held still STEADY_S, and that number."""
    markers, steady_since = -1, time.perf_counter()
    while time.perf_counter() - started < DEADLINE_S:
        now_markers = page.evaluate("gridmap.visibleIncidents()")
        if now_markers != markers or not markers:
            markers, steady_since = now_markers, time.perf_counter()
        elif time.perf_counter() - steady_since >= STEADY_S:
            break
        time.sleep(0.1)
    return steady_since - started, markers


def _until_tiles_drawn(page, started: float) -> tuple[float, int]:
    """Seconds from ``started`` until the first view's tiles are all drawn (held TILES_STEADY_S), and how many."""
    done_at = None
    loaded = 0
    while time.perf_counter() - started < DEADLINE_S:
        _, loaded, loading = page.evaluate(_TILES_STATE)
        if loaded and not loading:
            done_at = done_at or time.perf_counter()
            if time.perf_counter() - done_at >= TILES_STEADY_S:
                break
        else:
            done_at = None
        time.sleep(0.05)
    return (done_at or time.perf_counter()) - started, loaded


def main() -> None:
    with gunicorn() as port, sync_playwright() as playwright:
        base = f"http://127.0.0.1:{port}"
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        received = _received(page)
        started = time.perf_counter()
        page.goto(base + "/login")
        login_seconds, login_bytes = time.perf_counter() - started, received["bytes"]
        page.fill("input[name=username]", "dispatcher")
        page.fill("input[name=password]", "dispatcher-demo-2026")
        page.click("button[type=submit]")
        # Wherever the sign-in leads (the landing page may be slow at a million: it counts).
        page.wait_for_url(lambda url: "/login" not in url, timeout=120_000)
        received["bytes"] = 0
        received["by_path"].clear()
        started = time.perf_counter()
        page.goto(base + "/dispatch")
        page.wait_for_function("window.gridmap !== undefined")
        tiled = page.evaluate(_TILES_STATE)[0] > 0
        if tiled:
            drawn, tiles = _until_tiles_drawn(page, started)
            tile_bytes = received["bytes"]
            browser.close()
        else:
            drawn, markers = _until_markers_drawn(page, started)
            unfiltered_ms, _ = page.evaluate(_TIMED_FILTER, "")
            filtered_ms, shown = page.evaluate(_TIMED_FILTER, FILTERED_STATUS)
            browser.close()
    if tiled:
        header("dispatch console (tile mode) until every tile of the first view is drawn, headless Chromium")
        row("baseline: sign-in page", f"{login_seconds:.2f} s", f"{login_bytes / 1e6:.2f} MB")
        megabytes = tile_bytes / 1e6
        row(f"/dispatch, {tiles} incident tiles", f"{drawn:.2f} s", f"{megabytes:.2f} MB received")
        row("  against the targets", verdict(drawn <= 3, "<= 3 s"), verdict(megabytes <= 2, "<= 2 MB"))
        for path, size in received["by_path"].most_common(6):
            row(f"  {path}", f"{size / 1e6:.2f} MB")
        return
    header("dispatch console until every marker is drawn, headless Chromium")
    row("baseline: sign-in page", f"{login_seconds:.2f} s", f"{login_bytes / 1e6:.2f} MB")
    row(f"/dispatch, {markers:,} markers", f"{drawn:.2f} s", f"{received['bytes'] / 1e6:.2f} MB received")
    for path, size in received["by_path"].most_common(6):  # where the bytes went
        row(f"  {path}", f"{size / 1e6:.2f} MB")
    row("baseline: filter submitted, nothing chosen", f"{unfiltered_ms:.0f} ms", "every marker redrawn")
    row(
        f"status filter click ({FILTERED_STATUS}: {shown:,} markers left)",
        f"{filtered_ms:.0f} ms",
        verdict(filtered_ms <= 300, "<= 300 ms"),
    )


if __name__ == "__main__":
    main()
