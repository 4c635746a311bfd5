"""Vector tiles against GeoJSON for the same view (issue #19): bytes on the wire and time, z8 to z14.

For each zoom, the tile holding the county seat of Benzilan, and as the baseline, in the same run,
the GeoJSON a map fetches for that view today: the group outlines of ``/api/grids`` within the
tile's bbox, and the incidents of the OGC API's items within it (``limit=10000``, its maximum: at
low zoom the GeoJSON is cut there, while the tile counts every case). Sizes are as sent, gzip
as the server sends both. Times are the best of three,
in process (no HTTP), so they compare the work, not the network. Run on the demo or on
``--incidents N``.
"""

from __future__ import annotations

import gzip
import json
import math

from app import create_app
from bench.http import api_token
from bench.report import header, row, timed
from extensions import db

BENZILAN_SEAT = (99.2991, 28.2446)
ZOOMS = range(8, 15)


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def _bbox_of(z: int, x: int, y: int) -> str:
    n = 2**z

    def lat(row_: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row_ / n))))

    return f"{x / n * 360 - 180:.6f},{lat(y + 1):.6f},{(x + 1) / n * 360 - 180:.6f},{lat(y):.6f}"


def main() -> None:
    header("vector tiles vs GeoJSON for the same view (Benzilan seat), best of 3, in process")
    token = api_token("admin")
    app = create_app()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}

    def measure(url: str) -> tuple[float, int, bytes]:
        """Best time, bytes as sent, and the body as read (unzipped)."""
        seconds, answer = timed(lambda: client.get(url, headers=headers))
        assert answer.status_code == 200, (url, answer.status_code)
        body = gzip.decompress(answer.data) if answer.headers.get("Content-Encoding") == "gzip" else answer.data
        return seconds, len(answer.data), body

    for layer, baseline in (
        ("groups", "/api/grids?level=group&bbox={bbox}"),
        ("incidents", "/ogcapi/collections/incidents/items?limit=10000&bbox={bbox}"),
    ):
        for z in ZOOMS:
            x, y = _tile_of(*BENZILAN_SEAT, z)
            bbox = _bbox_of(z, x, y)
            geojson_s, geojson_bytes, geojson = measure(baseline.format(bbox=bbox))
            tile_s, tile_bytes, _ = measure(f"/tiles/{layer}/{z}/{x}/{y}.mvt")
            collection = json.loads(geojson)
            shown = len(collection["features"])
            matched = collection.get("numberMatched", shown)
            cut = f" of {matched:,}" if matched > shown else ""
            sent = f"{geojson_bytes / 1024:,.1f} KiB, {shown:,}{cut} features"
            row(f"{layer} z{z} GeoJSON (baseline)", f"{geojson_s * 1000:.0f} ms", sent)
            ratios = f"{tile_s / geojson_s:.2g}× time, {tile_bytes / geojson_bytes:.2g}× bytes"
            row(f"{layer} z{z} tile", f"{tile_s * 1000:.0f} ms", f"{tile_bytes / 1024:,.1f} KiB ({ratios})")
    with app.app_context():
        db.engine.dispose()
