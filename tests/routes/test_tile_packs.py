"""Raster base maps from tile packs (MBTiles) the operator drops in a folder, served by the app itself."""

import base64
import json
import sqlite3
from contextlib import closing

import pytest

from geo.publishing import tile_packs

#: A real 1x1 PNG and the bytes of a JPEG's start: tiles as a pack holds them.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def make_pack(path, tiles, name="县影像（测试）", attribution="德钦县自然资源局"):
    """An MBTiles file with ``tiles`` {(z, x, y_xyz): bytes}, stored with TMS rows as the spec says."""
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
        meta = {"name": name, "format": "png", "minzoom": "0", "maxzoom": "12", "attribution": attribution}
        db.executemany("INSERT INTO metadata VALUES (?, ?)", meta.items())
        db.executemany(
            "INSERT INTO tiles VALUES (?, ?, ?, ?)", [(z, x, 2**z - 1 - y, data) for (z, x, y), data in tiles.items()]
        )
        db.commit()


@pytest.fixture
def packs(app, tmp_path, monkeypatch):
    # Deqin at z8 lies in tile x=198, y=107 (XYZ).
    make_pack(tmp_path / "imagery.mbtiles", {(8, 198, 107): PNG, (8, 198, 108): b"<html>not an image</html>"})
    (tmp_path / "broken.mbtiles").write_bytes(b"this is not SQLite at all")
    (tmp_path / "bad name!.mbtiles").write_bytes(b"SQLite format 3\x00")
    monkeypatch.setitem(app.config, "TILE_PACKS", str(tmp_path))
    return tmp_path


def test_only_real_packs_with_good_names_are_offered(packs):
    (found,) = tile_packs.packs(packs)
    assert (found.name, found.title, found.attribution, found.max_zoom) == (
        "imagery",
        "县影像（测试）",
        "德钦县自然资源局",
        12,
    )
    assert tile_packs.packs(packs / "missing") == [] and tile_packs.packs(None) == []


def test_a_tile_is_served_with_its_type_rows_flipped_and_cached(client, packs):
    response = client.get("/tiles/imagery/8/198/107")
    assert response.status_code == 200 and response.mimetype == "image/png" and response.data == PNG
    assert "max-age=86400" in response.headers["Cache-Control"] and response.headers["ETag"]
    again = client.get("/tiles/imagery/8/198/107", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "/tiles/imagery/8/198/108",  # a tile whose bytes are not an image
        "/tiles/imagery/8/0/0",  # no such tile
        "/tiles/imagery/8/999/0",  # outside the zoom's range
        "/tiles/broken/8/198/107",  # not SQLite
        "/tiles/nothing/8/198/107",
    ],
)
def test_what_is_not_a_tile_is_404(client, packs, path):
    response = client.get(path)
    assert response.status_code == 404 and response.get_json()["error"]


def test_signed_out_callers_get_no_tiles(anonymous, packs):
    assert anonymous.get("/tiles/imagery/8/198/107").status_code == 401


def test_every_map_offers_the_pack_as_a_base_layer(client, packs):
    page = client.get("/").get_data(as_text=True)
    assert '"/tiles/imagery/{z}/{x}/{y}"' in page
    # The layer control names it (Folium writes the name as JSON, non-ASCII escaped).
    assert json.dumps("县影像（测试）") in page or "县影像（测试）" in page
