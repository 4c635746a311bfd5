"""Hostile and oversized vector files: the format is decided from the bytes and opened with one driver only."""

import http.server
import json
import threading
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from geo.core.limits import TooManyVertices, geojson_vertex_count, vertex_count
from geo.grid.vector_files import FileTooLarge, Limits, UnsupportedFile, VectorFormat, detect_format, read_layer

SECRET = "s3cret-key-that-must-never-leak"


def grid_frame(vertices_per_grid: int = 4) -> gpd.GeoDataFrame:
    """Two villager groups; more vertices per outline when asked (a circle instead of a square)."""
    angles = np.linspace(0, 2 * np.pi, vertices_per_grid, endpoint=False)
    outlines = [
        shapely.Polygon(np.column_stack([99.2 + i * 0.01 + 0.004 * np.cos(angles), 28.4 + 0.004 * np.sin(angles)]))
        for i in (0, 1)
    ]
    return gpd.GeoDataFrame(
        {"code": ["533422205201001", "533422205201002"], "name_zh": ["一组", "二组"]}, geometry=outlines, crs=4326
    )


def zipped_shapefile(folder: Path, frame: gpd.GeoDataFrame, *, name: str = "groups", extra: dict | None = None) -> Path:
    parts = folder / "parts"
    parts.mkdir()
    frame.to_file(parts / f"{name}.shp", engine="pyogrio", encoding="UTF-8")
    path = folder / f"{name}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(parts.iterdir()):
            archive.write(part, f"{name}/{part.name}")  # in a folder, as `zip -r` makes them
        for entry, content in (extra or {}).items():
            archive.writestr(entry, content)
    return path


def vrt(source: str) -> str:
    layer = f'<OGRVRTLayer name="x"><SrcDataSource>{source}</SrcDataSource></OGRVRTLayer>'
    return f"<OGRVRTDataSource>{layer}</OGRVRTDataSource>"


@pytest.fixture
def listener():
    """A local HTTP server that records every request made to it."""
    requests: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            body = b'{"type": "FeatureCollection", "features": []}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_HEAD = do_GET

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", requests
    server.shutdown()
    server.server_close()


def test_a_vrt_named_geojson_is_refused_and_its_source_never_read(tmp_path):
    secret = tmp_path / "secret_key"
    secret.write_text(f"code\n{SECRET}\n")
    path = tmp_path / "plan.geojson"
    path.write_text(vrt(f"CSV:{secret}"))
    with pytest.raises(UnsupportedFile, match="it is OGR VRT, not GeoJSON") as refused:
        detect_format(path)
    assert refused.value.field == "file" and str(tmp_path) not in refused.value.message
    # Even told it is GeoJSON, only the GeoJSON driver may open it: no VRT, so no secret.
    with pytest.raises(UnsupportedFile, match=r"cannot read plan\.geojson as GeoJSON") as unread:
        read_layer(path, VectorFormat.GEOJSON)
    assert SECRET not in unread.value.message and str(tmp_path) not in unread.value.message


def test_nothing_reaches_the_network(tmp_path, listener):
    url, requests = listener
    path = tmp_path / "x.geojson"
    path.write_text(vrt(f"/vsicurl/{url}/remote.geojson"))
    with pytest.raises(UnsupportedFile, match="OGR VRT"):
        detect_format(path)
    with pytest.raises(UnsupportedFile, match="not a file"):
        detect_format(f"/vsicurl/{url}/remote.geojson")
    # A GeoJSON "crs" link is fetched by GDAL itself; and /vsicurl/ asked directly finds nothing.
    linked = {
        "type": "FeatureCollection",
        "crs": {"type": "link", "properties": {"href": f"{url}/crs.proj4", "type": "proj4"}},
        "features": [{"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [99, 28]}}],
    }
    path.write_text(json.dumps(linked))
    read_layer(path, detect_format(path))
    with pytest.raises(pyogrio.errors.DataSourceError):
        pyogrio.read_info(f"/vsicurl/{url}/remote.geojson")
    assert requests == []


@pytest.mark.parametrize(
    ("name", "content", "found"),
    [
        ("grids.csv", b"code,name_zh,wkt\n1,x,POINT (99 28)\n", "it is CSV"),
        ("grids.geojson", b"code;name\n1;x\n", "it is CSV"),
        ("grids.kml", b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"></kml>', "it is KML"),
        ("grids.gml", b"<gml:FeatureCollection xmlns:gml='http://www.opengis.net/gml'/>", "it is GML"),
        ("grids.shp", b"\x00\x00\x27\x0a" + bytes(96), "a bare .shp"),
        ("grids.gpkg", b"SQLite format 3\x00" + bytes(84), "not a GeoPackage"),
        ("grids.zip", b"\x1f\x8b\x08\x00", "it is gzip"),
        ("notes.txt", b"hello", "it is TXT"),
        ("noise.bin", bytes(range(128, 256)), "it is not GeoJSON"),
    ],
)
def test_other_formats_are_refused_naming_what_was_found(tmp_path, name, content, found):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnsupportedFile, match=found) as refused:
        detect_format(path)
    assert refused.value.status == 422 and refused.value.params["name"] == name


def test_each_format_is_decided_from_its_bytes_whatever_its_name(tmp_path):
    frame = grid_frame()
    frame.to_file(tmp_path / "a.json", driver="GeoJSON", engine="pyogrio")
    frame.to_file(tmp_path / "b.gpkg", driver="GPKG", engine="pyogrio", layer="groups")
    (tmp_path / "b.gpkg").rename(tmp_path / "b.dat")
    shapefile = zipped_shapefile(tmp_path, frame)
    assert detect_format(tmp_path / "a.json") is VectorFormat.GEOJSON
    assert detect_format(tmp_path / "b.dat") is VectorFormat.GEOPACKAGE
    assert detect_format(shapefile) is VectorFormat.ZIPPED_SHAPEFILE
    read = read_layer(shapefile, VectorFormat.ZIPPED_SHAPEFILE)
    assert list(read["code"]) == list(frame["code"]) and list(read["name_zh"]) == ["一组", "二组"]
    assert read.crs.equals("EPSG:4326")
    with pytest.raises(UnsupportedFile, match="layer 'villages' not found; the file has groups") as wrong:
        read_layer(tmp_path / "b.dat", VectorFormat.GEOPACKAGE, layer="villages")
    assert wrong.value.field == "layer"


def _declare_size(path: Path, size: int) -> None:
    """Make the zip's central directory claim ``size`` bytes for its first entry (a lying zip bomb)."""
    data = bytearray(path.read_bytes())
    directory = data.index(b"PK\x01\x02")
    data[directory + 24 : directory + 28] = size.to_bytes(4, "little")
    path.write_bytes(bytes(data))


def test_a_zip_bomb_is_refused_from_its_directory_before_anything_is_unpacked(tmp_path):
    path = zipped_shapefile(tmp_path, grid_frame())
    _declare_size(path, 4_000_000_000)
    started = time.perf_counter()
    with pytest.raises(FileTooLarge, match=r"the zip unpacks to \d+ MB; at most 200 MB") as refused:
        read_layer(path, detect_format(path))
    assert time.perf_counter() - started < 1 and refused.value.status == 413
    # An entry that inflates far beyond its compressed size is measured too, and stopped at the cap.
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.shp", b"\x00\x00\x27\x0a" + bytes(8 * 1024 * 1024))
        archive.writestr("bomb.shx", b"")
        archive.writestr("bomb.dbf", b"")
    assert bomb.stat().st_size < 100_000
    with pytest.raises(FileTooLarge, match="at most 1 MB"):
        read_layer(bomb, VectorFormat.ZIPPED_SHAPEFILE, limits=Limits(max_unzipped_bytes=1024 * 1024))


def test_a_zip_whose_entry_inflates_beyond_what_it_declares_is_damaged(tmp_path):
    path = tmp_path / "liar.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("liar.shp", b"\x00\x00\x27\x0a" + bytes(4 * 1024 * 1024))
        archive.writestr("liar.shx", b"")
        archive.writestr("liar.dbf", b"")
    _declare_size(path, 100)
    with pytest.raises(UnsupportedFile, match="damaged"):
        read_layer(path, VectorFormat.ZIPPED_SHAPEFILE)


@pytest.mark.parametrize(
    ("extra", "error", "message"),
    [
        ({f"junk{i}.txt": "x" for i in range(8)}, FileTooLarge, "the zip holds 13 entries; at most 10"),
        ({"../../etc/cron.d/evil.shp": "x"}, UnsupportedFile, "points outside the zip"),
        ({"/abs/evil.dbf": "x"}, UnsupportedFile, "points outside the zip"),
        ({"inner.zip": "PK"}, UnsupportedFile, "another archive, inner.zip"),
        ({"groups/groups.vrt": "<OGRVRTDataSource/>"}, UnsupportedFile, "the zip holds groups.vrt"),
        ({"other/other.shp": "x"}, UnsupportedFile, "the zip holds 2 .shp files"),
        ({"groups/GROUPS2.dbf": "x"}, UnsupportedFile, "GROUPS2.dbf does not belong to groups.shp"),
    ],
)
def test_a_zip_holds_exactly_one_shapefile_and_nothing_else(tmp_path, extra, error, message):
    path = zipped_shapefile(tmp_path, grid_frame(), extra=extra)
    with pytest.raises(error, match=message):
        read_layer(path, detect_format(path))


def test_a_shapefile_without_its_dbf_is_refused_by_name(tmp_path):
    path = tmp_path / "half.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("half.shp", b"\x00\x00\x27\x0a" + bytes(96))
        archive.writestr("half.prj", "GEOGCS[]")
    with pytest.raises(UnsupportedFile, match=r"the zip has no \.shx, \.dbf beside half\.shp"):
        read_layer(path, detect_format(path))


def test_an_over_vertex_geopackage_is_refused_quickly(tmp_path):
    path = tmp_path / "huge.gpkg"
    grid_frame(500_000).to_file(path, driver="GPKG", engine="pyogrio")
    started = time.perf_counter()
    with pytest.raises(TooManyVertices, match=r"file has 1000002 vertices; at most 20000 are accepted") as refused:
        read_layer(path, detect_format(path))
    assert time.perf_counter() - started < 3 and refused.value.status == 413
    assert read_layer(path, VectorFormat.GEOPACKAGE, limits=Limits(max_vertices=2_000_000)).shape[0] == 2


def test_too_many_features_and_giant_attributes_are_refused(tmp_path):
    path = tmp_path / "many.geojson"
    many = gpd.GeoDataFrame({"code": [str(i) for i in range(30)]}, geometry=[shapely.Point(99, 28)] * 30, crs=4326)
    many.to_file(path, engine="pyogrio")
    with pytest.raises(FileTooLarge, match="more than 20 features"):
        read_layer(path, VectorFormat.GEOJSON, limits=Limits(max_features=20))
    giant = grid_frame().assign(name_zh=["x" * 5000, "y"])
    giant.to_file(path, engine="pyogrio")
    with pytest.raises(UnsupportedFile, match="attribute name_zh holds text of 5000 characters; at most 1000"):
        read_layer(path, VectorFormat.GEOJSON)


def test_vertices_are_counted_alike_from_geojson_and_shapely():
    square = shapely.box(0, 0, 1, 1)
    collection = {"type": "GeometryCollection", "geometries": [shapely.geometry.mapping(square)] * 2}
    assert geojson_vertex_count(shapely.geometry.mapping(square)) == vertex_count(square) == 5
    assert geojson_vertex_count(collection) == 10
    assert geojson_vertex_count(None) == geojson_vertex_count({"type": "Polygon"}) == 0
