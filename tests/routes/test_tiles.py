"""Vector tiles at /tiles/: decoded with mapbox-vector-tile, compared with the OGC API's answer for the same area."""

from __future__ import annotations

import math

import mapbox_vector_tile
import pytest

from extensions import db_session
from geo.accounts.sessions import create_token
from geo.publishing.tiles import CELL_ZOOMS, CLUSTER_CELL

BENZILAN = "533422102"
BENZILAN_SEAT = (99.2991, 28.2446)
YANGLA = (99.10, 28.85)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def bounds_of(z: int, x: int, y: int) -> str:
    n = 2**z

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return f"{x / n * 360 - 180},{lat(y + 1)},{(x + 1) / n * 360 - 180},{lat(y)}"


@pytest.fixture
def headers(app):
    def make(username: str) -> dict[str, str]:
        with app.app_context():
            token = create_token(db_session(), username, "tiles test", actor="tests")
            db_session().commit()
        return {"Authorization": f"Bearer {token}"}

    return make


def decoded(client, headers, url: str) -> list[dict]:
    answer = client.get(url, headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.mimetype == "application/vnd.mapbox-vector-tile"
    layers = mapbox_vector_tile.decode(answer.data)
    return next(iter(layers.values()))["features"] if layers else []


def ogc_ids(client, headers, collection: str, bbox: str, extra: str = "") -> set[str]:
    answer = client.get(f"/ogcapi/collections/{collection}/items?limit=10000&bbox={bbox}{extra}", headers=headers)
    return {feature["id"] for feature in answer.json["features"]}


def test_a_groups_tile_holds_the_groups_of_its_area_with_their_fields(anonymous, headers):
    admin = headers("admin")
    z = 12
    x, y = tile_of(*BENZILAN_SEAT, z)
    features = decoded(anonymous, admin, f"/tiles/groups/{z}/{x}/{y}.mvt")
    assert {f["properties"]["code"] for f in features} == ogc_ids(anonymous, admin, "groups", bounds_of(z, x, y))
    first = features[0]
    assert first["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert {"code", "name_zh", "name_en", "area_km2", "demo"} <= set(first["properties"])


def test_an_incidents_tile_holds_the_visible_cases_with_their_fields(anonymous, headers):
    admin = headers("admin")
    z = 14
    x, y = tile_of(*BENZILAN_SEAT, z)
    features = decoded(anonymous, admin, f"/tiles/incidents/{z}/{x}/{y}.mvt")
    tickets = {f["properties"]["ticket"] for f in features}
    assert tickets and tickets == ogc_ids(anonymous, admin, "incidents", bounds_of(z, x, y))
    assert {"net", "category", "status", "priority", "group_code", "overdue"} <= set(features[0]["properties"])
    social = decoded(anonymous, admin, f"/tiles/incidents/{z}/{x}/{y}.mvt?net=social&status=closed")
    assert social and all(f["properties"]["net"] == "social" for f in social)
    assert all(f["properties"]["status"] == "closed" for f in social)


def test_at_county_zoom_incidents_are_counted_per_cell(anonymous, headers):
    admin = headers("admin")
    z = 9
    x, y = tile_of(*BENZILAN_SEAT, z)
    cells = decoded(anonymous, admin, f"/tiles/incidents/{z}/{x}/{y}.mvt")
    matched = anonymous.get(
        f"/ogcapi/collections/incidents/items?limit=1&bbox={bounds_of(z, x, y)}", headers=admin
    ).json["numberMatched"]
    assert sum(cell["properties"]["count"] for cell in cells) == matched
    assert len(cells) < matched
    # Each count is drawn at the middle of its cell: the tile CELL_ZOOMS finer holding its cases.
    middle = CLUSTER_CELL // 2
    assert all((c - middle) % CLUSTER_CELL == 0 for cell in cells for c in cell["geometry"]["coordinates"])
    for cell in sorted(cells, key=lambda cell: -cell["properties"]["count"])[:3]:
        right, up = ((c - middle) // CLUSTER_CELL for c in cell["geometry"]["coordinates"])
        side = 2**CELL_ZOOMS  # the decoder turns y upward: the top row of cells is the last
        box = bounds_of(z + CELL_ZOOMS, x * side + right, y * side + side - 1 - up)
        one = anonymous.get(f"/ogcapi/collections/incidents/items?limit=1&bbox={box}", headers=admin)
        assert one.json["numberMatched"] == cell["properties"]["count"]


def test_county_zoom_counts_follow_the_filters_and_the_jurisdiction(anonymous, headers):
    z = 9
    x, y = tile_of(*BENZILAN_SEAT, z)
    admin, township = headers("admin"), headers("benzilan")

    def total(who, query=""):
        return sum(
            cell["properties"]["count"] for cell in decoded(anonymous, who, f"/tiles/incidents/{z}/{x}/{y}.mvt{query}")
        )

    everything = total(admin)
    social_closed = total(admin, "?net=social&status=closed")
    assert 0 < social_closed < everything
    bbox = bounds_of(z, x, y)
    matched = anonymous.get(
        f"/ogcapi/collections/incidents/items?limit=1&bbox={bbox}&net=social&status=closed", headers=admin
    ).json["numberMatched"]
    assert social_closed == matched
    assert 0 < total(township) < everything


def test_a_township_token_gets_no_feature_outside_its_township(anonymous, headers):
    township = headers("benzilan")
    for layer, key in (("groups", "code"), ("villages", "code"), ("incidents", "group_code")):
        z = 14 if layer == "incidents" else 11
        x, y = tile_of(*BENZILAN_SEAT, z)
        inside = decoded(anonymous, township, f"/tiles/{layer}/{z}/{x}/{y}.mvt")
        assert inside and all(f["properties"][key].startswith(BENZILAN) for f in inside), layer
        x, y = tile_of(*YANGLA, z)
        assert decoded(anonymous, township, f"/tiles/{layer}/{z}/{x}/{y}.mvt") == [], layer
    x, y = tile_of(*BENZILAN_SEAT, 14)
    religious = decoded(anonymous, township, f"/tiles/incidents/14/{x}/{y}.mvt")
    assert all(f["properties"]["net"] != "religious" for f in religious)


def test_tiles_carry_an_etag_and_answer_304_when_unchanged(anonymous, headers):
    admin = headers("admin")
    url = "/tiles/groups/10/{}/{}.mvt".format(*tile_of(*BENZILAN_SEAT, 10))
    first = anonymous.get(url, headers=admin)
    assert first.headers["ETag"] and "private" in first.headers["Cache-Control"]
    again = anonymous.get(url, headers={**admin, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_an_old_date_and_an_empty_tile(anonymous, headers):
    admin = headers("admin")
    assert decoded(anonymous, admin, "/tiles/groups/10/0/0.mvt") == []
    x, y = tile_of(*BENZILAN_SEAT, 10)
    assert decoded(anonymous, admin, f"/tiles/groups/10/{x}/{y}.mvt?date=2019-12-31") == []
    assert decoded(anonymous, admin, f"/tiles/groups/10/{x}/{y}.mvt?date=2020-01-01")


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/tiles/rivers/1/0/0.mvt", 404),
        ("/tiles/groups/21/0/0.mvt", 400),
        ("/tiles/groups/3/8/0.mvt", 400),
        ("/tiles/incidents/14/0/0.mvt?net=fishing", 400),
        ("/tiles/groups/10/0/0.mvt?date=yesterday", 400),
    ],
)
def test_bad_tile_requests_are_refused_by_name(anonymous, headers, url, status):
    assert anonymous.get(url, headers=headers("admin")).status_code == status


def test_tiles_need_a_caller(anonymous):
    assert anonymous.get("/tiles/groups/10/0/0.mvt").status_code == 401
