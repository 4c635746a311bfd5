"""The dispatch console with every demo incident on it, in headless Chromium.

Measured: bytes transferred (compressed, as the browser received them) and the
time from navigation until the incident markers are drawn. Baseline in the same
run: the same incidents inlined into a Folium map the ordinary way (a
MarkerCluster of markers written into the page), served from the same machine.
Targets: < 1.5 MB transferred and interactive within 2 s.
"""

from __future__ import annotations

import gzip
import http.server
import tempfile
import threading
import time
from pathlib import Path

import folium
from folium.plugins import MarkerCluster
from geoalchemy2.shape import to_shape
from playwright.sync_api import sync_playwright
from sqlalchemy import select

from app import create_app
from bench.http import free_port, gunicorn
from bench.report import header, row, verdict
from extensions import db
from geo.dispatch.models import Incident
from layers.folium_map import COUNTY_BOUNDS, render_map
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

DRAWN = "document.querySelectorAll('.marker-cluster, .incident-dot').length >= 5"


def inlined_baseline(static_url: str) -> str:
    """A Folium page with every incident written into it as a clustered marker."""
    app = create_app()
    with app.app_context():
        points = [to_shape(g) for g in db.session.scalars(select(Incident.location))]
        db.engine.dispose()
    m = folium.Map(tiles=None, maxZoom=18)
    cluster = MarkerCluster().add_to(m)
    for point in points:
        folium.CircleMarker([point.y, point.x], radius=5).add_to(cluster)
    m.fit_bounds(COUNTY_BOUNDS)
    parts = render_map(m, static_url, nonce="baseline")  # a plain file server: no CSP to satisfy
    body = f"<body>{parts.html}<script>{parts.script}</script></body>"
    style = "<style>html, body { height: 100%; margin: 0; }</style>"
    return f"<!doctype html><html><head>{parts.header}{style}</head>{body}</html>"


def measure(page, url: str) -> tuple[int, float]:
    """Load ``url``; return (bytes received, seconds until markers are drawn)."""
    received = {"bytes": 0}
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})  # a first visit: every asset counts
    cdp.on(
        "Network.loadingFinished",
        lambda event: received.__setitem__("bytes", received["bytes"] + event["encodedDataLength"]),
    )
    page.on("pageerror", lambda error: print("  page error:", error))
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_function(DRAWN, timeout=60_000)
    elapsed = time.perf_counter() - started
    page.wait_for_load_state("networkidle")
    cdp.detach()
    return received["bytes"], elapsed


def main() -> None:
    with gunicorn() as port, sync_playwright() as playwright, tempfile.TemporaryDirectory() as folder:
        base = f"http://127.0.0.1:{port}"
        html = inlined_baseline(base + "/static/vendor/")
        (Path(folder) / "inlined.html").write_text(html)
        handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=folder)  # noqa: E731
        static = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
        threading.Thread(target=static.serve_forever, daemon=True).start()

        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # wait_for_function polls with eval in the page, which the page's CSP refuses: bypass it to time the page.
        page = browser.new_page(viewport={"width": 1400, "height": 900}, bypass_csp=True)
        page.goto(base + "/login")
        page.fill("input[name=username]", "dispatcher")
        page.fill("input[name=password]", "dispatcher-demo-2026")
        page.click("button[type=submit]")
        page.wait_for_url(base + "/")
        ours_bytes, ours_seconds = measure(page, base + "/dispatch")
        baseline_page = browser.new_page(viewport={"width": 1400, "height": 900})
        baseline_bytes, baseline_seconds = measure(
            baseline_page, f"http://127.0.0.1:{static.server_address[1]}/inlined.html"
        )
        browser.close()
        static.shutdown()
    html_bytes = len(html.encode())
    html_gzip = len(gzip.compress(html.encode()))
    with create_app().app_context():
        count = db.session.query(Incident).count()

    header(f"dispatch page with {count:,} incidents, headless Chromium")
    row("baseline: Folium, incidents inlined", f"{baseline_bytes / 1e6:.2f} MB", f"{baseline_seconds:.2f} s to markers")
    row("  (its page alone, raw / gzip)", f"{html_bytes / 1e6:.2f} MB", f"{html_gzip / 1e6:.2f} MB gzip")
    row("/dispatch: live feeds, compressed", f"{ours_bytes / 1e6:.2f} MB", f"{ours_seconds:.2f} s to markers")
    row("transferred vs baseline", f"{ours_bytes / baseline_bytes:.2f}x", verdict(ours_bytes < 1.5e6, "< 1.5 MB"))
    row("time to markers vs baseline", f"{ours_seconds / baseline_seconds:.2f}x", verdict(ours_seconds <= 2, "<= 2 s"))


if __name__ == "__main__":
    main()
