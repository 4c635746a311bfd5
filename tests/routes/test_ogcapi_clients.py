"""Real GIS clients read /ogcapi/ over HTTP: GDAL's OAPIF driver (ogrinfo, ogr2ogr) and OWSLib.

Debian's gdal-bin (3.6) has no CRS open option; the GDAL bundled in the pyogrio wheel (3.12) does,
so the EPSG:4490 reads go through pyogrio. That GDAL's OAPIF driver sends its own Accept header in
place of GDAL_HTTP_HEADERS, so the token goes through GDAL's bearer authentication instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
import shapely
from owslib.ogcapi.features import Features
from sqlalchemy import delete

from extensions import db, db_session
from geo.accounts.models import ApiToken
from geo.accounts.sessions import create_token
from geo.publishing.features import COLLECTIONS

# Not skipped without GDAL: ./dev test installs gdal-bin, and a missing client is a failure to see.
pytestmark = pytest.mark.outside_transaction
TOKEN_NAME = "ogcapi clients test"


@pytest.fixture(scope="module")
def token(app) -> Iterator[str]:
    """A committed API token of the county admin (the live server runs on other connections), deleted afterwards."""
    with app.app_context():
        made = create_token(db_session(), "admin", TOKEN_NAME, actor="tests")
        db.session.commit()
    yield made
    with app.app_context():
        db.session.execute(delete(ApiToken).where(ApiToken.name == TOKEN_NAME))
        db.session.commit()


def gdal(token: str, *command: str) -> str:
    environment = {**os.environ, "GDAL_HTTP_HEADERS": f"Authorization: Bearer {token}", "CPL_DEBUG": "OFF"}
    done = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_ogrinfo_lists_every_collection(live_server, token):
    summary = gdal(token, "ogrinfo", "-ro", "-so", "-al", f"OAPIF:{live_server}/ogcapi/")
    for collection in COLLECTIONS:
        assert f"Layer name: {collection}" in summary
    assert "Feature Count: 480" in summary.split("Layer name: groups")[1].split("Layer name:")[0]


def test_ogr2ogr_copies_every_group_with_geometry_and_attributes(live_server, token, tmp_path):
    target = tmp_path / "groups.geojson"
    gdal(token, "ogr2ogr", "-f", "GeoJSON", str(target), f"OAPIF:{live_server}/ogcapi/", "groups")
    features = json.loads(target.read_text())["features"]
    assert len(features) == 480
    assert len({f["properties"]["code"] for f in features}) == 480
    first = next(f for f in features if f["properties"]["code"] == "533422102001001")
    assert first["properties"]["name_zh"] and first["properties"]["parent_code"] == "533422102001"
    assert first["geometry"]["type"] == "MultiPolygon"
    longitude, latitude = first["geometry"]["coordinates"][0][0][0][:2]
    assert 98 < longitude < 100 and 27 < latitude < 30


def test_owslib_reads_items_with_bbox_and_limit(live_server, token):
    service = Features(f"{live_server}/ogcapi/", headers={"Authorization": f"Bearer {token}"})
    assert {c["id"] for c in service.collections()["collections"]} == set(COLLECTIONS)
    page = service.collection_items("groups", bbox=[99.2, 28.2, 99.35, 28.3], limit=5)
    assert page["numberReturned"] == 5 and page["numberMatched"] > 5
    assert all(f["geometry"]["type"] == "MultiPolygon" for f in page["features"])
    assert service.conformance()["conformsTo"]


CGCS2000 = "http://www.opengis.net/def/crs/EPSG/0/4490"
GROUP = "533422102001001"
#: Run in a child process: the live server shares this one, and GDAL's config options are process-wide.
READ_GROUPS = """
import json, sys
import pyogrio, shapely
from pyogrio.raw import read
assert tuple(int(part) for part in pyogrio.__gdal_version__[:2]) >= (3, 7), "the OAPIF CRS open option"
url, token, options = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
if "bbox" in options:
    options["bbox"] = tuple(options["bbox"])
pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": "BEARER", "GDAL_HTTP_BEARER": token})
meta, _, geometries, columns = read(f"OAPIF:{url}", layer="groups", **options)
names = list(meta["fields"])
rows = [dict(zip(names, [str(value) for value in values])) for values in zip(*columns)]
shapes = [shapely.geometry.mapping(shapely.from_wkb(wkb)) for wkb in geometries]
print(json.dumps({"crs": meta["crs"], "rows": rows, "shapes": shapes}))
"""


def groups_read(live_server: str, token: str, **options) -> tuple[str, dict[str, dict], dict[str, shapely.Geometry]]:
    """The groups as the pyogrio wheel's GDAL reads them: its CRS, rows and shapes by group code."""
    command = (sys.executable, "-c", READ_GROUPS, f"{live_server}/ogcapi/", token, json.dumps(options))
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    rows = {row["code"]: row for row in answer["rows"]}
    shapes = {
        row["code"]: shapely.geometry.shape(shape) for row, shape in zip(answer["rows"], answer["shapes"], strict=True)
    }
    return answer["crs"], rows, shapes


def test_gdal_reads_the_groups_in_cgcs2000(live_server, token):
    plain_crs, plain_rows, plain_shapes = groups_read(live_server, token)
    crs, rows, shapes = groups_read(live_server, token, CRS="EPSG:4490")
    assert crs == "EPSG:4490" and "CRS84" in plain_crs
    assert len(shapes) == 480 and rows == plain_rows
    assert rows[GROUP]["name_zh"] and rows[GROUP]["parent_code"] == "533422102001"
    # GDAL asked for latitude first and put the axes back in GIS order: the same outline either way.
    assert shapes[GROUP].geom_type == "MultiPolygon"
    assert shapes[GROUP].equals_exact(plain_shapes[GROUP], 1e-9)
    west, south, east, north = shapes[GROUP].bounds
    assert 98 < west < east < 100 and 27 < south < north < 30


def test_gdal_filters_by_a_bbox_in_cgcs2000(live_server, token):
    # GDAL sends the bbox latitude first with bbox-crs=EPSG:4490, as the standard has it.
    _, _, inside = groups_read(live_server, token, CRS="EPSG:4490", bbox=[99.2, 28.2, 99.35, 28.3])
    assert 0 < len(inside) < 480
    box = shapely.box(99.2, 28.2, 99.35, 28.3)
    assert all(shape.intersects(box) for shape in inside.values())


def test_owslib_reads_items_in_cgcs2000(live_server, token):
    service = Features(f"{live_server}/ogcapi/", headers={"Authorization": f"Bearer {token}"})
    plain = service.collection_items("groups", code=GROUP)["features"][0]
    flipped = service.collection_items("groups", code=GROUP, crs=CGCS2000)["features"][0]
    longitude, latitude = plain["geometry"]["coordinates"][0][0][0]
    assert flipped["geometry"]["coordinates"][0][0][0] == [latitude, longitude]
