"""The JSON API: grid outlines and lookups, and clear 4xx answers to bad input."""

import pytest


@pytest.mark.parametrize(("level", "count"), [("county", 1), ("township", 8), ("village", 49), ("group", 480)])
def test_grids_per_level(client, level, count):
    response = client.get(f"/api/grids?level={level}")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    body = response.get_json(force=True)
    assert len(body["features"]) == count
    feature = body["features"][0]
    assert {"code", "name_zh", "level", "demo", "worker", "party_branch"} <= set(feature["properties"])
    assert feature["properties"]["demo"] is (level != "county")


def test_grids_have_at_most_six_decimals(client):
    body = client.get("/api/grids?level=township").get_json(force=True)
    ring = body["features"][0]["geometry"]["coordinates"][0][0]
    assert all(len(str(value).split(".")[-1]) <= 6 for point in ring for value in point)


def test_group_features_name_their_branch_and_leader(client):
    features = client.get("/api/grids?level=group").get_json(force=True)["features"]
    with_branch = [f for f in features if f["properties"]["party_branch"]]
    assert len(with_branch) == 479
    assert all(f["properties"]["worker"] for f in with_branch)


def test_bbox_limits_the_features(client):
    everything = client.get("/api/grids?level=group").get_json(force=True)["features"]
    near_benzilan = client.get("/api/grids?level=group&bbox=99.25,28.2,99.35,28.3").get_json(force=True)["features"]
    assert 0 < len(near_benzilan) < len(everything) / 10


def test_grids_never_expose_phone_numbers(client):
    assert b"1700" not in client.get("/api/grids?level=group").data


def test_neighbours(client):
    body = client.get("/api/neighbours").get_json(force=True)
    assert sorted(f["properties"]["name_zh"] for f in body["features"]) == sorted(
        ["巴塘县", "得荣县", "贡山独龙族怒族自治县", "香格里拉市", "维西傈僳族自治县", "左贡县", "芒康县", "察隅县"]
    )


def test_lookup_returns_the_full_chain(client):
    body = client.get("/api/lookup?lon=99.2991&lat=28.2446").get_json()
    assert body["inside_county"] is True
    assert [link["level"] for link in body["chain"]] == ["county", "township", "village", "group"]
    assert body["chain"][1]["name_zh"] == "奔子栏镇"
    assert len(body["chain"][-1]["code"]) == 15
    assert "phone" not in str(body)


def test_lookup_converts_gcj02_input(client):
    wgs = client.get("/api/lookup?lon=99.2991&lat=28.2446").get_json()
    gcj = client.get("/api/lookup?lon=99.300116&lat=28.241126&crs=gcj02").get_json()
    assert abs(gcj["lat"] - 28.2446) < 1e-5 and abs(gcj["lon"] - 99.2991) < 1e-5
    assert gcj["chain"][-1]["code"] == wgs["chain"][-1]["code"]


def test_lookup_outside_the_county_names_the_neighbour(client):
    body = client.get("/api/lookup?lon=99.35&lat=29.05").get_json()
    assert body["inside_county"] is False
    assert body["neighbour_county"]["name_zh"] in ("巴塘县", "得荣县")
    assert body["nearest_grid"]["level"] == "group"


@pytest.mark.parametrize(
    ("query", "field", "fragment"),
    [
        ("", "lon", "required"),
        ("lon=99.3", "lat", "required"),
        ("lon=x&lat=28", "lon", "must be a number"),
        ("lon=NaN&lat=28", "lon", "finite"),
        ("lon=99&lat=Infinity", "lat", "finite"),
        ("lon=28.24&lat=99.29", "lon", "swapped"),
        ("lon=181&lat=28", "lon", "between -180 and 180"),
        ("lon=99&lat=95", "lat", "between -90 and 90"),
        ("lon=99.3&lat=28.2&crs=utm", "crs", "crs must be one of wgs84, gcj02, bd09"),
        ("lon=99.3&lat=28.2&generation=-1", "generation", "greater than or equal to 0"),
        ("lon=99.3%27%20OR%201=1--&lat=28.2", "lon", "must be a number"),
    ],
)
def test_lookup_bad_input_is_a_400_naming_the_field(client, query, field, fragment):
    response = client.get(f"/api/lookup?{query}&lang=en")
    assert response.status_code == 400
    body = response.get_json()
    assert body["field"] == field
    assert fragment in body["error"]


def test_errors_speak_the_page_language(client):
    body = client.get("/api/lookup?lon=x&lat=28").get_json()
    assert (body["field"], body["error"]) == ("lon", "经度须为数字，收到 'x'")
    swapped = client.get("/api/lookup?lon=28.24&lat=99.29").get_json()["error"]
    assert swapped == "经度 28.24 与纬度 99.29 似乎填反了：德钦县约在东经99度、北纬28度"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("level=province", "level"),
        ("", "level"),
        ("level=group&bbox=1,2,3", "bbox"),
        ("level=group&bbox=a,b,c,d", "bbox"),
        ("level=group&bbox=99.5,28,99,29", "bbox"),
        ("level=group&bbox=nan,28,99,29", "bbox"),
    ],
)
def test_grids_bad_input_is_a_400_naming_the_field(client, query, field):
    response = client.get(f"/api/grids?{query}")
    assert response.status_code == 400
    assert response.get_json()["field"] == field


def test_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert "error" in response.get_json()


def test_wrong_method_is_a_json_405(client):
    response = client.post("/api/lookup?lon=99&lat=28")
    assert response.status_code == 405
    assert "error" in response.get_json()


def test_health(client):
    assert client.get("/api/health").get_json()["status"] == "ok"


def test_grid_layers_are_compressed_for_slow_connections(client):
    plain = client.get("/api/grids?level=group")
    packed = client.get("/api/grids?level=group", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert len(packed.data) < len(plain.data) / 2
