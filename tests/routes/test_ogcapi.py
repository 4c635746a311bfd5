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
    url = "/ogcapi/collections/groups/items?limit=50"
    codes: list[str] = []
    while url:
        page = anonymous.get(url, headers=headers)
        assert page.status_code == 200, page.get_data(as_text=True)
        assert page.json["numberMatched"] == 480
        assert page.headers["Content-Crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
        codes += [feature["id"] for feature in page.json["features"]]
        url = next((link["href"] for link in page.json["links"] if link["rel"] == "next"), None)
    assert len(codes) == len(set(codes)) == 480
