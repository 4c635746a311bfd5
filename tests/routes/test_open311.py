"""Open311 GeoReport v2 at /open311/v2/, in XML (parsed with lxml) and JSON, against the specification's fields."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from lxml import etree  # type: ignore[import-untyped]

from extensions import db, limiter
from geo.core.clock import now_utc
from geo.public.open311 import create_key

GROUP = "533422102201002"
#: The specification's fields of a service, a service request, a POST answer and a token answer.
SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
ATTRIBUTE_FIELDS = {"variable", "code", "datatype", "required", "datatype_description", "order", "description"}
FORMATS = ("xml", "json")


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    limiter.reset()


@pytest.fixture
def api_key(app):
    with app.app_context():
        key = create_key(db.session(), "测试客户端")
        db.session.commit()
    return key


def get(anonymous, path, fmt, expect=200, **params):
    response = anonymous.get(f"/open311/v2/{path}.{fmt}", query_string=params)
    assert response.status_code == expect, response.get_data(as_text=True)
    return parse(response, fmt)


def parse(response, fmt):
    if fmt == "json":
        assert response.mimetype == "application/json"
        return response.get_json()
    assert response.mimetype == "text/xml"
    return etree.fromstring(response.get_data())


def records(parsed, fmt, root, item):
    """A list answer as dicts of text (XML) or as given (JSON)."""
    if fmt == "json":
        return parsed
    assert parsed.tag == root
    return [{child.tag: child for child in element} for element in parsed.findall(item)]


def text(value, fmt):
    if fmt == "json":
        return value
    return value.text


def post(anonymous, fmt, status=201, **form):
    response = anonymous.post(f"/open311/v2/requests.{fmt}", data=form)
    assert response.status_code == status, response.get_data(as_text=True)
    return parse(response, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery(anonymous, fmt):
    found = get(anonymous, "discovery", fmt)
    if fmt == "json":
        endpoint = found["endpoints"][0]
        assert {"changeset", "contact", "key_service", "endpoints"} <= set(found)
        assert endpoint["url"].endswith("/open311/v2/") and "text/xml" in endpoint["formats"]
    else:
        assert found.tag == "discovery"
        endpoint = found.find("endpoints/endpoint")
        assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
        assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_the_public_categories_grouped_by_net(anonymous, fmt):
    services = records(get(anonymous, "services", fmt), fmt, "services", "service")
    assert all(set(s) == SERVICE_FIELDS for s in services)
    codes = {text(s["service_code"], fmt) for s in services}
    assert "sanitation" in codes and "religious_site_safety" not in codes
    sanitation = next(s for s in services if text(s["service_code"], fmt) == "sanitation")
    assert text(sanitation["group"], fmt) == "社会治理网"
    assert text(sanitation["metadata"], fmt) in (True, "true")


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_names_the_villager_group_attribute(anonymous, fmt):
    found = get(anonymous, "services/sanitation", fmt)
    if fmt == "json":
        assert found["service_code"] == "sanitation"
        assert set(found["attributes"][0]) >= ATTRIBUTE_FIELDS and found["attributes"][0]["code"] == "group"
    else:
        attribute = found.find("attributes/attribute")
        assert {child.tag for child in attribute} >= ATTRIBUTE_FIELDS
        assert attribute.findtext("code") == "group"
    get(anonymous, "services/religious_site_safety", fmt, expect=404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_needs_a_valid_key_and_answers_the_request_id_and_token(anonymous, api_key, fmt):
    form = {"service_code": "sanitation", "lat": "28.2446", "long": "99.2991", "description": "路边垃圾"}
    refused = post(anonymous, fmt, 403, **form)
    error = refused[0] if fmt == "json" else {c.tag: c.text for c in refused.find("error")}
    assert int(error["code"]) == 403 and error["description"]
    post(anonymous, fmt, 403, api_key="wrong", **form)
    answered = records(post(anonymous, fmt, api_key=api_key, **form), fmt, "service_requests", "request")
    ticket = text(answered[0]["service_request_id"], fmt)
    token = text(answered[0]["token"], fmt)
    assert ticket.startswith("DQ-")
    by_token = records(get(anonymous, f"tokens/{token}", fmt), fmt, "service_requests", "request")
    assert text(by_token[0]["service_request_id"], fmt) == ticket
    one = records(get(anonymous, f"requests/{ticket}", fmt), fmt, "service_requests", "request")[0]
    assert set(one) == REQUEST_FIELDS
    assert text(one["status"], fmt) == "open"
    assert text(one["requested_datetime"], fmt).endswith("+08:00")
    assert "路边垃圾" not in str(text(one["description"], fmt))  # what a resident wrote stays inside
    group = post(
        anonymous, fmt, api_key=api_key, service_code="sanitation", description="x", **{"attribute[group]": GROUP}
    )
    assert group is not None
    post(anonymous, fmt, 400, api_key=api_key, service_code="sanitation", description="x")  # no place
    post(
        anonymous,
        fmt,
        404,
        api_key=api_key,
        service_code="religious_site_safety",
        lat="28.2",
        long="99.3",
        description="x",
    )


def test_revoked_keys_are_refused(app, anonymous, api_key):
    cli = app.test_cli_runner()
    made = cli.invoke(args=["open311", "create-key", "第二个"])
    assert made.exit_code == 0 and len(made.output.strip()) > 30
    second = made.output.strip()
    assert cli.invoke(args=["open311", "revoke-key", "第二个"]).exit_code == 0
    post(
        anonymous,
        "json",
        403,
        api_key=second,
        service_code="sanitation",
        lat="28.2446",
        long="99.2991",
        description="x",
    )
    assert cli.invoke(args=["open311", "revoke-key", "没有"]).exit_code != 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_requests_filters_statuses_dates_pages_and_extensions(anonymous, client, api_key, fmt):
    form = {"service_code": "sanitation", "lat": "28.2446", "long": "99.2991", "description": "x"}
    ticket = text(
        records(post(anonymous, fmt, api_key=api_key, **form), fmt, "service_requests", "request")[0][
            "service_request_id"
        ],
        fmt,
    )
    from tests.conftest import csrf_token_of

    version = client.get(f"/api/incidents/{ticket}").get_json()["version"]
    noted = client.post(
        f"/api/incidents/{ticket}/note",
        json={"version": version, "note": "已安排清运", "public": True},
        headers={"X-CSRFToken": csrf_token_of(client, "/")},
    )
    assert noted.status_code == 200
    listed = records(get(anonymous, "requests", fmt, service_request_id=ticket), fmt, "service_requests", "request")
    assert [text(r["service_request_id"], fmt) for r in listed] == [ticket]
    assert all(set(r) == REQUEST_FIELDS for r in listed)
    recent = records(
        get(anonymous, "requests", fmt, status="open", service_code="sanitation", page_size="5"),
        fmt,
        "service_requests",
        "request",
    )
    assert 1 <= len(recent) <= 5 and all(text(r["status"], fmt) == "open" for r in recent)
    closed = records(
        get(anonymous, "requests", fmt, status="closed", page_size="20"), fmt, "service_requests", "request"
    )
    assert all(text(r["status"], fmt) == "closed" for r in closed)
    # An empty parameter is the same as an absent one.
    same = records(
        get(anonymous, "requests", fmt, service_request_id=ticket, status="", service_code=""),
        fmt,
        "service_requests",
        "request",
    )
    assert len(same) == 1
    with_notes = get(anonymous, "requests", fmt, service_request_id=ticket, extensions="true")
    if fmt == "json":
        assert with_notes[0]["notes"][0]["description"] == "已安排清运"
    else:
        assert with_notes.find("request/notes/note/description").text == "已安排清运"
    now = now_utc()
    get(anonymous, "requests", fmt, 400, start_date=(now - timedelta(days=100)).isoformat(), end_date=now.isoformat())
    get(anonymous, "requests", fmt, 400, start_date="yesterday")
    get(anonymous, "requests", fmt, 400, status="pending")
    get(anonymous, "requests", fmt, 400, page="0")
    ranged = get(anonymous, "requests", fmt, start_date=(now - timedelta(days=1)).isoformat(), end_date=now.isoformat())
    assert ranged is not None
    page_two = get(anonymous, "requests", fmt, page="2", page_size="1")
    assert page_two is not None


@pytest.mark.parametrize("fmt", FORMATS)
def test_jurisdiction_is_checked_and_missing_things_are_404(anonymous, fmt):
    get(anonymous, "services", fmt, jurisdiction_id="533422")
    get(anonymous, "services", fmt, jurisdiction_id="")
    refused = get(anonymous, "services", fmt, 404, jurisdiction_id="110000")
    if fmt == "xml":
        assert refused.tag == "errors" and refused.find("error/code").text == "404"
    get(anonymous, "requests/DQ-1999-000000", fmt, 404)
    get(anonymous, "tokens/nothing", fmt, 404)
    get(anonymous, "nothing/here", fmt, 404)


def test_times_are_china_standard_time(anonymous):
    services = get(anonymous, "discovery", "json")
    assert datetime.fromisoformat(services["changeset"]).utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_personal_data_leaves(anonymous, api_key, fmt):
    form = {
        "service_code": "sanitation",
        "lat": "28.2446",
        "long": "99.2991",
        "description": "我家门口的垃圾",
        "first_name": "扎西",
        "last_name": "次仁",
        "phone": "13812345678",
        "email": "zx@example.org",
    }
    post(anonymous, fmt, api_key=api_key, **form)
    body = anonymous.get(f"/open311/v2/requests.{fmt}", query_string={"extensions": "true"}).get_data(as_text=True)
    for private in ("扎西", "次仁", "13812345678", "zx@example.org", "我家门口的垃圾", "W0"):
        assert private not in body


def test_a_client_asking_for_english_is_answered_in_english(anonymous):
    """A program has no page to choose a language on: its Accept-Language is honoured (Chinese by default)."""
    english = anonymous.get("/open311/v2/services.json", headers={"Accept-Language": "en-US,en;q=0.9"}).get_json()
    chinese = anonymous.get("/open311/v2/services.json").get_json()
    sanitation = {s["service_code"]: s["service_name"] for s in english}["sanitation"]
    assert sanitation.isascii() and sanitation != {s["service_code"]: s["service_name"] for s in chinese}["sanitation"]
