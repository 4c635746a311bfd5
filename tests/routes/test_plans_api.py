"""The plan API over HTTP: who may plan, bad input answered 4xx by name, previews, exports, as-of lookups.

Nothing here activates a plan: activation changes the shared test atlas (the browser test does it and undoes it).
"""

import io
import json
from datetime import datetime

import pytest

from geo.core.calendar import COUNTY_TZ
from tests.conftest import csrf_token_of, post_multipart

VILLAGE = "533422205201"  # 霞若村: no other test plans here


def post(client, path, body):
    return client.post(path, json=body, headers={"X-CSRFToken": csrf_token_of(client, "/")})


def new_plan(client, parent=VILLAGE):
    response = post(client, "/api/plans", {"parent_code": parent, "title": "接口测试", "reason": "测试"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def first_group(state):
    return state["draft"]["features"][0]


@pytest.mark.parametrize("username", ["dispatcher", "viewer", "worker", "patrol"])
def test_only_planners_and_admins_plan(client_as, username):
    client = client_as(username)
    assert client.get("/api/plans").status_code == 403
    assert post(client, "/api/plans", {"parent_code": VILLAGE, "title": "x"}).status_code == 403
    assert client.get("/plan").status_code == 403


def test_a_plan_answers_with_its_draft_base_and_validation(client_as):
    client = client_as("planner")
    state = new_plan(client)
    assert state["plan"]["status"] == "draft" and state["validation"]["ok"]
    assert len(state["draft"]["features"]) == len(state["base"]["features"]) > 1
    assert {f["properties"]["change"] for f in state["draft"]["features"]} == {"unchanged"}
    again = client.get(f"/api/plans/{state['plan']['id']}").get_json()
    assert again["plan"]["version"] == state["plan"]["version"]
    listing = client.get("/plan")
    assert listing.status_code == 200
    # 更新时间 in China Standard Time, like every time shown.
    updated = datetime.fromisoformat(state["plan"]["updated_at"]).astimezone(COUNTY_TZ).strftime("%Y-%m-%d %H:%M")
    assert updated in listing.get_data(as_text=True)
    page = client.get(f"/plan/{state['plan']['id']}")
    assert page.status_code == 200 and "leaflet-geoman" in page.get_data(as_text=True)
    english = client.get(f"/plan/{state['plan']['id']}?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english  # the editor's script picks its language from it
    assert state["may"] == {"edit": True, "review": False}
    # The admin may not edit someone else's draft, nor review it before it is submitted: no drawing tools.
    admin = client_as("admin")
    assert admin.get(f"/api/plans/{state['plan']['id']}").get_json()["may"] == {"edit": False, "review": False}
    assert "leaflet-geoman" not in admin.get(f"/plan/{state['plan']['id']}").get_data(as_text=True)


def test_a_preview_keeps_nothing_and_a_bad_edit_names_its_edges(client_as):
    client = client_as("planner")
    state = new_plan(client)
    plan_id, version = state["plan"]["id"], state["plan"]["version"]
    group = first_group(state)
    # Grow the first group into its neighbours: overlaps, reported with the edges to draw in red.
    ring = group["geometry"]["coordinates"][0][0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    grown = {
        "type": "Polygon",
        "coordinates": [[[min(xs) - 0.01, min(ys) - 0.01], [max(xs) + 0.01, min(ys) - 0.01],
                         [max(xs) + 0.01, max(ys) + 0.01], [min(xs) - 0.01, max(ys) + 0.01],
                         [min(xs) - 0.01, min(ys) - 0.01]]],
    }  # fmt: skip
    body = {"op": "reshape", "version": version, "code": group["properties"]["code"], "geometry": grown}
    refused = post(client, f"/api/plans/{plan_id}/edits", body)
    assert refused.status_code == 422
    details = refused.get_json()["details"]
    assert details["invalid_edges"]["features"] and details["errors"] and details["draft"]["features"]
    preview = post(client, f"/api/plans/{plan_id}/edits", {**body, "preview": True})
    assert preview.status_code == 200 and preview.get_json()["saved"] is False
    assert preview.get_json()["validation"]["invalid_edges"]["features"]
    # Cleaning resolves the overlaps (each goes to the neighbour with the longest shared border).
    cleaned = post(client, f"/api/plans/{plan_id}/edits", {**body, "preview": True, "then_clean_m": 10})
    assert cleaned.get_json()["validation"]["invalid_edges"]["features"] == []
    assert client.get(f"/api/plans/{plan_id}").get_json()["plan"]["version"] == version


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"op": "explode"}, "op"),
        ({"op": "split"}, "code"),
        ({"op": "reshape", "code": "x", "geometry": {"type": "Polygon", "coordinates": [[[1, 2]]]}}, "geometry"),
        (
            {"op": "reshape", "code": VILLAGE + "001", "geometry": {"type": "Point", "coordinates": [99.1, 28.1]}},
            "geometry",
        ),
        ({"op": "appoint", "code": VILLAGE + "001", "worker": {"name": "x", "nets": ["police"]}}, "worker"),
        ({"op": "clean", "gap_width_m": 1e6}, "gap_width_m"),
    ],
)
def test_bad_edits_are_4xx_naming_the_field(client_as, body, field):
    client = client_as("planner")
    state = new_plan(client)
    response = post(client, f"/api/plans/{state['plan']['id']}/edits", {"version": state["plan"]["version"], **body})
    assert 400 <= response.status_code < 500, response.get_json()
    assert response.get_json()["field"] == field, response.get_json()


def test_stale_versions_and_other_peoples_plans(client_as):
    planner = client_as("planner")
    state = new_plan(planner)
    plan_id = state["plan"]["id"]
    code = first_group(state)["properties"]["code"]
    rename = {"op": "rename", "version": state["plan"]["version"], "code": code, "name_zh": "改名组"}
    assert post(planner, f"/api/plans/{plan_id}/edits", rename).status_code == 200
    stale = post(planner, f"/api/plans/{plan_id}/edits", rename)
    assert stale.status_code == 409 and stale.get_json()["details"]["version"] == state["plan"]["version"] + 1
    admin = client_as("admin")
    assert (
        post(
            admin, f"/api/plans/{plan_id}/edits", {**rename, "version": stale.get_json()["details"]["version"]}
        ).status_code
        == 403
    )
    assert client_as("benzilan").get(f"/api/plans/{plan_id}").status_code == 403  # a dispatcher


def test_submitting_an_unchanged_or_incomplete_plan_is_refused(client_as):
    client = client_as("planner")
    state = new_plan(client)
    plan_id = state["plan"]["id"]
    unchanged = post(client, f"/api/plans/{plan_id}/submit", {"version": state["plan"]["version"]})
    assert unchanged.status_code == 400
    assert unchanged.get_json()["error"] == "规划尚未做任何修改"  # the plan changes nothing yet
    group = first_group(state)
    ring = group["geometry"]["coordinates"][0][0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    y = (min(ys) + max(ys)) / 2
    line = {"type": "LineString", "coordinates": [[min(xs) - 0.01, y], [max(xs) + 0.01, y]]}
    split = post(
        client,
        f"/api/plans/{plan_id}/edits",
        {"op": "split", "version": state["plan"]["version"], "code": group["properties"]["code"],
         "geometry": line, "new_code": VILLAGE + "099", "name_zh": "新组"},
    )  # fmt: skip
    assert split.status_code == 200, split.get_json()
    todo = split.get_json()["validation"]["todo"]
    assert any("没有社会治理网的网格员" in t["message"] for t in todo)  # the problems in the page's language
    incomplete = post(client, f"/api/plans/{plan_id}/submit", {"version": split.get_json()["plan"]["version"]})
    assert incomplete.status_code == 422 and incomplete.get_json()["error"].startswith("规划不能提交：")
    assert "没有社会治理网的网格员" in incomplete.get_json()["error"]
    impact = client.get(f"/api/plans/{plan_id}/impact").get_json()
    assert {row["status"] for row in impact["grids"]} >= {"new", "changed"}


def test_uploads_bad_files_and_huge_files_get_clear_answers(client_as):
    client = client_as("planner")
    state = new_plan(client)
    plan_id, version = state["plan"]["id"], str(state["plan"]["version"])
    exported = client.get(f"/api/plans/{plan_id}/export?format=geojson")
    assert exported.status_code == 200 and exported.mimetype == "application/geo+json"
    good = {"file": (io.BytesIO(exported.data), "plan.geojson"), "version": version}
    answer = post_multipart(client, f"/api/plans/{plan_id}/upload", good)
    assert answer.status_code == 200 and answer.get_json()["validation"]["ok"]
    version = str(answer.get_json()["plan"]["version"])
    not_geo = {"file": (io.BytesIO(b"hello"), "notes.txt"), "version": version}
    refused = post_multipart(client, f"/api/plans/{plan_id}/upload", not_geo)
    assert refused.status_code == 422 and "notes.txt" in refused.get_json()["error"]
    assert "TXT" in refused.get_json()["error"]  # what it is instead
    metres = json.loads(exported.data)
    for feature in metres["features"]:
        feature["geometry"] = {
            "type": "Polygon",
            "coordinates": [[[500000, 3e6], [501000, 3e6], [501000, 3.001e6], [500000, 3e6]]],
        }
    projected = {"file": (io.BytesIO(json.dumps(metres).encode()), "m.geojson"), "version": version}
    refused = post_multipart(client, f"/api/plans/{plan_id}/upload", projected)
    assert refused.status_code == 422 and "不是经纬度" in refused.get_json()["error"]  # not degrees
    huge = {"file": (io.BytesIO(b"0" * (21 * 1024 * 1024)), "huge.geojson"), "version": version}
    too_big = post_multipart(client, f"/api/plans/{plan_id}/upload", huge)
    assert too_big.status_code == 413 and "20 MB" in too_big.get_json()["error"]
    assert client.get(f"/api/plans/{plan_id}").get_json()["plan"]["version"] == int(version)


def test_generations_are_listed_exported_and_looked_up_as_of_a_date(client_as):
    client = client_as("planner")
    history = client.get("/api/generations").get_json()
    assert history[-1]["effective_from"] == "2020-01-01"
    first = history[-1]["id"]
    gpkg = client.get(f"/api/generations/{first}/export?format=gpkg")
    assert gpkg.status_code == 200 and gpkg.data[:15] == b"SQLite format 3"
    assert client.get("/api/generations/99999/export").status_code == 404
    lookup = client.get("/api/lookup?lon=99.2991&lat=28.2446&at=2021-06-01").get_json()
    assert lookup["generation"] == first
    assert client.get("/api/lookup?lon=99.2991&lat=28.2446&at=2019-01-01").status_code == 400
    assert client.get("/api/lookup?lon=99.2991&lat=28.2446&at=June").get_json()["field"] == "at"
