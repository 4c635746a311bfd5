"""OGC API – Features at /ogcapi/: the standard's documents, paging, filters and the access rules."""

from __future__ import annotations

import pytest

from extensions import db_session
from geo.accounts.sessions import create_token

BENZILAN = "533422102"


@pytest.fixture
def bearer(app):
    """Authorization headers for a demo user's new API token (rolled back with the test)."""

    def make(username: str) -> dict[str, str]:
        with app.app_context():
            token = create_token(db_session(), username, "ogcapi test", actor="tests")
            db_session().commit()
        return {"Authorization": f"Bearer {token}", "Accept": "application/geo+json"}

    return make


def test_landing_and_conformance_answer_without_a_token(anonymous):
    landing = anonymous.get("/ogcapi/", headers={"Accept": "application/json"})
    assert landing.status_code == 200
    rels = {link["rel"] for link in landing.json["links"]}
    assert {"self", "alternate", "conformance", "service-desc", "data"} <= rels
    conformance = anonymous.get("/ogcapi/conformance?f=json").json["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conformance


def test_everything_else_needs_a_token(anonymous):
    answer = anonymous.get("/ogcapi/collections", headers={"Accept": "application/json"})
    assert answer.status_code == 401
    assert answer.json["code"] == "NotSignedIn"


def test_paging_through_all_groups(anonymous, bearer):
    headers = bearer("admin")
    url: str | None = "/ogcapi/collections/groups/items?limit=50"
    codes: list[str] = []
    while url:
        page = anonymous.get(url, headers=headers)
        assert page.status_code == 200, page.get_data(as_text=True)
        assert page.json["numberMatched"] == 480
        assert page.headers["Content-Crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
        codes += [feature["id"] for feature in page.json["features"]]
        url = next((link["href"] for link in page.json["links"] if link["rel"] == "next"), None)
    assert len(codes) == len(set(codes)) == 480


def features_of(client, headers, url: str) -> list[dict]:
    answer = client.get(url, headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.json["features"]


def test_bbox_keeps_the_groups_it_meets(anonymous, bearer):
    headers = bearer("admin")
    everything = features_of(anonymous, headers, "/ogcapi/collections/groups/items?limit=1000")
    inside = features_of(anonymous, headers, "/ogcapi/collections/groups/items?limit=1000&bbox=99.2,28.2,99.35,28.3")
    assert 0 < len(inside) < len(everything)
    swapped = features_of(
        anonymous,
        headers,
        "/ogcapi/collections/groups/items?limit=1000&bbox=28.2,99.2,28.3,99.35"
        "&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4490",
    )
    assert {f["id"] for f in swapped} == {f["id"] for f in inside}


def test_a_township_token_sees_only_its_own_grids_and_cases(anonymous, bearer):
    headers = bearer("benzilan")
    for collection in ("townships", "villages", "groups", "workers", "party-branches", "incidents"):
        found = features_of(anonymous, headers, f"/ogcapi/collections/{collection}/items?limit=10000")
        assert found, collection
        code = {"workers": "grid_code", "incidents": "group_code", "party-branches": "group_code"}
        assert all(f["properties"][code.get(collection, "code")].startswith(BENZILAN) for f in found), collection
    outside = anonymous.get("/ogcapi/collections/groups/items/533422206001001", headers=headers)
    assert outside.status_code == 404 and outside.json["code"] == "NotFound"


def test_religious_net_facts_only_for_those_holding_the_net(anonymous, bearer):
    county, township = bearer("admin"), bearer("benzilan")
    religious = features_of(
        anonymous, county, f"/ogcapi/collections/incidents/items?net=religious&group_code={BENZILAN}001001&limit=10000"
    )
    everywhere = features_of(anonymous, county, "/ogcapi/collections/incidents/items?net=religious&limit=1")
    assert everywhere
    seen = features_of(anonymous, township, "/ogcapi/collections/incidents/items?net=religious&limit=10000")
    assert seen == []
    hidden = anonymous.get(f"/ogcapi/collections/incidents/items/{everywhere[0]['id']}", headers=township)
    assert hidden.status_code == 404
    workers = features_of(anonymous, township, "/ogcapi/collections/workers/items?limit=10000")
    assert all("religious" not in w["properties"]["nets"] for w in workers)
    assert isinstance(religious, list)


def test_incidents_carry_public_fields_only(anonymous, bearer):
    feature = features_of(anonymous, bearer("admin"), "/ogcapi/collections/incidents/items?limit=1")[0]
    assert not {"title", "description", "address", "reporter_name", "reporter_phone"} & set(feature["properties"])
    worker = features_of(anonymous, bearer("admin"), "/ogcapi/collections/workers/items?limit=1")[0]
    assert "phone" not in worker["properties"]


def test_collection_documents_name_extent_and_crs(anonymous, bearer):
    headers = bearer("admin")
    listed = anonymous.get("/ogcapi/collections", headers=headers).json["collections"]
    assert [c["id"] for c in listed] == [
        "townships",
        "villages",
        "groups",
        "workers",
        "party-branches",
        "zones",
        "sites",
        "incidents",
    ]
    groups = anonymous.get("/ogcapi/collections/groups", headers=headers).json
    assert "http://www.opengis.net/def/crs/EPSG/0/4490" in groups["crs"]
    assert groups["storageCrs"] == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    west, south, east, north = groups["extent"]["spatial"]["bbox"][0]
    assert 98 < west < east < 100 and 27 < south < north < 30
    assert groups["extent"]["temporal"]["interval"][0][0]
    document = anonymous.get("/ogcapi/api", headers=headers).json
    assert "/collections/{collectionId}/items" in document["paths"]


def test_zones_in_season_on_a_day(anonymous, bearer):
    headers = bearer("admin")
    summer = features_of(anonymous, headers, "/ogcapi/collections/zones/items?datetime=2026-06-01")
    winter = features_of(anonymous, headers, "/ogcapi/collections/zones/items?datetime=2026-01-15")
    every = features_of(anonymous, headers, "/ogcapi/collections/zones/items")
    fungus = {f["id"] for f in every if f["properties"]["kind"] == "caterpillar_fungus"}
    assert fungus and fungus <= {f["id"] for f in summer}
    assert not fungus & {f["id"] for f in winter}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(
    "path",
    [
        "/ogcapi/",
        "/ogcapi/conformance",
        "/ogcapi/collections",
        "/ogcapi/collections/groups",
        "/ogcapi/collections/groups/items?limit=5",
        "/ogcapi/collections/zones/items",
        "/ogcapi/collections/groups/items/533422102001001",
    ],
)
def test_html_pages_render(client, path, lang):
    separator = "&" if "?" in path else "?"
    page = client.get(f"{path}{separator}f=html&lang={lang}")
    assert page.status_code == 200, page.get_data(as_text=True)
    assert page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    if lang == "en":
        assert '<html lang="en"' in text and "Deqin County open grid data" in text and "开放数据" not in text
    else:
        assert '<html lang="zh-CN"' in text and "德钦县网格开放数据服务" in text


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=abc",
        "offset=-3",
        "bbox=1,2",
        "bbox=a,b,c,d",
        "crs=EPSG:3857",
        "bbox-crs=urn:nothing",
        "datetime=soon",
        "f=xml",
        "colour=red",
    ],
)
def test_bad_parameters_answer_400_as_the_standard_says(anonymous, bearer, query):
    answer = anonymous.get(f"/ogcapi/collections/groups/items?{query}", headers=bearer("admin"))
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.json["code"] == "InvalidInput" and answer.json["description"]


def test_unknown_collection_and_feature_are_404(anonymous, bearer):
    headers = bearer("admin")
    assert anonymous.get("/ogcapi/collections/nothing", headers=headers).json["code"] == "NotFound"
    assert anonymous.get("/ogcapi/collections/groups/items/999", headers=headers).status_code == 404


def test_epsg_4490_answers_latitude_first_and_says_so(anonymous, bearer):
    headers = bearer("admin")
    url = "/ogcapi/collections/groups/items/533422102001001"
    plain = anonymous.get(url, headers=headers)
    cgcs = anonymous.get(f"{url}?crs=http://www.opengis.net/def/crs/EPSG/0/4490", headers=headers)
    assert cgcs.status_code == 200, cgcs.get_data(as_text=True)
    assert cgcs.headers["Content-Crs"] == "<http://www.opengis.net/def/crs/EPSG/0/4490>"
    assert plain.headers["Content-Crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    longitude, latitude = plain.json["geometry"]["coordinates"][0][0][0]
    assert cgcs.json["geometry"]["coordinates"][0][0][0] == [latitude, longitude]
    assert cgcs.json["properties"] == plain.json["properties"]
    page = anonymous.get(
        "/ogcapi/collections/groups/items?limit=1&crs=http://www.opengis.net/def/crs/EPSG/0/4490", headers=headers
    )
    assert page.headers["Content-Crs"] == "<http://www.opengis.net/def/crs/EPSG/0/4490>"
    assert 27 < page.json["features"][0]["geometry"]["coordinates"][0][0][0][0] < 30  # latitude first


@pytest.mark.parametrize("value", ["EPSG:4490", "http://www.opengis.net/def/crs/EPSG/0/3857", "x" * 5000, "[]"])
@pytest.mark.parametrize("parameter", ["crs", "bbox-crs"])
def test_a_crs_not_offered_is_a_400_naming_the_parameter(anonymous, bearer, parameter, value):
    headers = {**bearer("admin"), "Accept-Language": "en"}
    bbox = "&bbox=99.2,28.2,99.35,28.3" if parameter == "bbox-crs" else ""
    answer = anonymous.get(f"/ogcapi/collections/groups/items?{parameter}={value}{bbox}", headers=headers)
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.json["code"] == "InvalidInput" and parameter in answer.json["description"]
    assert len(answer.json["description"]) < 500
    if parameter == "crs":
        one = anonymous.get(f"/ogcapi/collections/groups/items/533422102001001?crs={value}", headers=headers)
        assert one.status_code == 400 and "crs" in one.json["description"]
