"""Hostile and oversized files and geometry over HTTP and the CLI: refused by name, nothing read, nothing kept."""

import io
import json
import time
import zipfile

import geopandas as gpd
import numpy as np
import pytest
import shapely
from flask import json as flask_json
from sqlalchemy import func, select

from extensions import db
from geo.core.errors import GridError
from geo.core.models import AuditEvent
from routes import _grid_error
from tests.conftest import csrf_token_of, post_multipart
from tests.geo.grid.test_vector_files import SECRET, listener, vrt  # noqa: F401 (listener is a fixture)

pytestmark = pytest.mark.db

VILLAGE = "533422205201"  # 霞若村, as in test_plans_api: no test activates a plan here
TEMP_MARKERS = ("gridmap-upload-", "gridmap-shapefile-", "/tmp", "/vsizip/")


def post(client, path, body):
    return client.post(path, json=body, headers={"X-CSRFToken": csrf_token_of(client, "/")})


def new_plan(client):
    response = post(client, "/api/plans", {"parent_code": VILLAGE, "title": "上传测试", "reason": "测试"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def upload(client, plan, content: bytes, name: str, **form):
    data = {"file": (io.BytesIO(content), name), "version": str(plan["plan"]["version"]), **form}
    return post_multipart(client, f"/api/plans/{plan['plan']['id']}/upload", data)


def draft_frame(plan) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame.from_features(plan["draft"]["features"], crs=4326)
    return frame[["code", "name_zh", "name_en", "geometry"]]


def zipped(frame: gpd.GeoDataFrame, tmp_path) -> bytes:
    frame.to_file(tmp_path / "groups.shp", engine="pyogrio", encoding="UTF-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(tmp_path.glob("groups.*")):
            archive.write(part, part.name)
    return buffer.getvalue()


def leaks_nothing(response) -> None:
    text = response.get_data(as_text=True)
    assert SECRET not in text
    assert not any(marker in text for marker in TEMP_MARKERS), text
    assert len(text) < 2000


def test_a_zipped_shapefile_replaces_the_draft(client_as, tmp_path):
    client = client_as("planner")
    plan = new_plan(client)
    answer = upload(client, plan, zipped(draft_frame(plan), tmp_path), "groups.zip")
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["saved"] and answer.get_json()["validation"]["ok"]
    codes = [f["properties"]["code"] for f in answer.get_json()["draft"]["features"]]
    assert codes == [f["properties"]["code"] for f in plan["draft"]["features"]]


def test_a_vrt_upload_is_refused_and_reads_nothing(client_as, tmp_path, listener):  # noqa: F811
    url, requests = listener
    secret = tmp_path / "secret_key"
    secret.write_text(f"code\n{SECRET}\n")
    client = client_as("planner")
    plan = new_plan(client)
    for source in (f"CSV:{secret}", f"/vsicurl/{url}/remote.geojson"):
        refused = upload(client, plan, vrt(source).encode(), "plan.geojson")
        assert refused.status_code == 422 and refused.get_json()["field"] == "file"
        assert "OGR VRT" in refused.get_json()["error"]
        leaks_nothing(refused)
    assert requests == []
    kml = upload(client, plan, b"<kml xmlns='http://www.opengis.net/kml/2.2'/>", "plan.kml")
    assert kml.status_code == 422 and "KML" in kml.get_json()["error"]
    assert client.get(f"/api/plans/{plan['plan']['id']}").get_json()["plan"]["version"] == plan["plan"]["version"]


def test_an_over_vertex_geopackage_is_refused_quickly_with_a_short_answer(client_as, tmp_path):
    client = client_as("planner")
    plan = new_plan(client)
    frame = draft_frame(plan)
    angles = np.linspace(0, 2 * np.pi, 1_000_000, endpoint=False)
    x, y = frame.geometry.iloc[0].representative_point().coords[0]
    circle = shapely.Polygon(np.column_stack([x + 0.001 * np.cos(angles), y + 0.001 * np.sin(angles)]))
    frame.loc[0, "geometry"] = circle
    frame.to_file(tmp_path / "huge.gpkg", engine="pyogrio")
    started = time.perf_counter()
    refused = upload(client, plan, (tmp_path / "huge.gpkg").read_bytes(), "huge.gpkg")
    assert time.perf_counter() - started < 5
    assert refused.status_code == 413, refused.get_json()
    assert "20000" in refused.get_json()["error"] and refused.get_json()["field"] == "file"
    leaks_nothing(refused)


def test_a_preview_upload_keeps_nothing_but_is_audited(app, client_as):
    client = client_as("planner")
    plan = new_plan(client)
    with app.app_context():
        before = db.session.scalar(select(func.max(AuditEvent.id)))
    preview = upload(client, plan, json.dumps(plan["draft"]).encode(), "plan.geojson", preview="true")
    assert preview.status_code == 200 and preview.get_json()["saved"] is False
    assert client.get(f"/api/plans/{plan['plan']['id']}").get_json()["plan"]["version"] == plan["plan"]["version"]
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.id > before)).all()
    assert [(e.action, e.entity_id, e.actor) for e in events] == [
        ("plan.upload_preview", str(plan["plan"]["id"]), "planner")
    ]
    assert events[0].after["problems"] == 0 and events[0].after["file"] == "plan.geojson"


def _many_vertices_square(west: float, south: float, size: float, vertices: int) -> dict:
    """A square outline whose bottom edge carries ``vertices`` points."""
    xs = np.linspace(west, west + size, vertices)
    bottom = [[float(x), south] for x in xs]
    ring = [*bottom, [west + size, south + size], [west, south + size], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_over_vertex_zones_and_plan_edits_are_refused(client_as):
    patrol = client_as("patrol")
    huge = _many_vertices_square(99.10, 28.93, 0.01, 30_000)  # over the limit, under the 2 MB JSON bound
    body = {
        "name_zh": "巨型山",
        "kind": "caterpillar_fungus",
        "geometry": huge,
        "windows": [{"start": "05-01", "end": "06-30"}],
    }
    created = post(patrol, "/api/patrol/zones", body)
    assert created.status_code == 413 and created.get_json()["field"] == "geometry"
    assert "30003" in created.get_json()["error"] and "20000" in created.get_json()["error"]
    zone = patrol.get("/api/patrol/zones").get_json()["features"][0]["properties"]
    patched = patrol.patch(
        f"/api/patrol/zones/{zone['id']}",
        json={"version": zone["version"], "geometry": huge},
        headers={"X-CSRFToken": csrf_token_of(patrol, "/")},
    )
    assert patched.status_code == 413 and patched.get_json()["field"] == "geometry"
    planner = client_as("planner")
    plan = new_plan(planner)
    code = plan["draft"]["features"][0]["properties"]["code"]
    edit = {"op": "reshape", "version": plan["plan"]["version"], "code": code, "geometry": huge}
    refused = post(planner, f"/api/plans/{plan['plan']['id']}/edits", edit)
    assert refused.status_code == 413 and refused.get_json()["field"] == "geometry"


def test_error_answers_never_echo_megabytes(app):
    with app.test_request_context("/api/plans/1/edits", headers={"Accept": "application/json"}):
        response, status = _grid_error(GridError("x" * 100_000, details={"draft": "y" * 3_000_000}))
        body = flask_json.loads(response.get_data())
    assert status == 400 and len(body["error"]) == 2000 and "details" not in body


def test_grids_import_reads_a_zipped_shapefile_and_refuses_a_vrt(app, tmp_path):
    villages = gpd.read_file(app.root_path + "/data/boundaries/grids_village.geojson", engine="pyogrio")
    villages = villages.rename(columns={"parent_code": "parent"})[["code", "name_zh", "parent", "geometry"]]
    (tmp_path / "shp").mkdir()
    (tmp_path / "villages.zip").write_bytes(zipped(villages, tmp_path / "shp"))
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["grids", "import", "village", str(tmp_path / "villages.zip"), "--parent-field", "parent"]
    )
    assert result.exit_code == 0, result.output
    assert "dry run: 49 village outlines pass every check" in result.output
    (tmp_path / "villages.geojson").write_text(vrt(f"CSV:{tmp_path / 'secret'}"))
    refused = runner.invoke(args=["grids", "import", "village", str(tmp_path / "villages.geojson")])
    assert refused.exit_code != 0 and "it is OGR VRT" in refused.output
    assert str(tmp_path) not in refused.output
