"""Real GIS clients read /ogcapi/ over HTTP: GDAL's OAPIF driver (ogrinfo, ogr2ogr) and OWSLib."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator

import pytest
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
