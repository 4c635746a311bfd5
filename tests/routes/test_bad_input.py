"""Bad input of every class the security review found answers a 4xx naming the field, never a 500."""

from __future__ import annotations

import pytest
from flask import request
from sqlalchemy import delete, func, select

from extensions import db
from geo.dispatch.models import Incident
from geo.patrol.models import CheckIn, PatrolTask
from tests.conftest import csrf_token_of
from web.input_rules import QuietMissRequest

JUNE = "2026-06-15"
TOO_BIG = "99999999999"  # beyond PostgreSQL's integer


def post(client, path, body, **headers):
    return client.post(path, json=body, headers={"X-CSRFToken": csrf_token_of(client, "/"), **headers})


def assert_refused(response, field, status=400):
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    if response.is_json:
        assert response.get_json()["field"] == field, response.get_json()
    else:
        assert field in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("user", "path", "field"),
    [
        ("planner", f"/api/plans/{TOO_BIG}", "plan_id"),
        ("planner", f"/api/plans/{TOO_BIG}/impact", "plan_id"),
        ("planner", f"/api/generations/{TOO_BIG}/export", "generation_id"),
        ("planner", f"/plan/{TOO_BIG}", "plan_id"),
        ("dispatcher", f"/api/incidents/DQ-1/attachments/{TOO_BIG}", "attachment_id"),
        ("dispatcher", f"/api/incidents?page={TOO_BIG}", "page"),
        ("dispatcher", f"/api/lookup?lon=99.3&lat=28.2&generation={TOO_BIG}", "generation"),
        ("dispatcher", f"/api/grids?level=township&generation={TOO_BIG}", "generation"),
        ("patrol", f"/patrol/briefing?zone={TOO_BIG}", "zone"),
        ("admin", f"/admin/audit?page={TOO_BIG}", "page"),
    ],
)
def test_integers_beyond_int4_in_paths_and_queries(client_as, user, path, field):
    assert_refused(client_as(user).get(path, headers={"Accept": "application/json"}), field)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/patrol/tasks", {"team_id": int(TOO_BIG)}, "team_id"),
        (f"/api/patrol/zones/{TOO_BIG}", None, "zone_id"),
        ("/api/patrol/zones/1", {"version": int(TOO_BIG)}, "version"),
    ],
)
def test_integers_beyond_int4_in_bodies(client_as, path, body, field):
    client = client_as("patrol")
    headers = {"X-CSRFToken": csrf_token_of(client, "/")}
    send = client.patch if "zones/" in path else client.post
    assert_refused(send(path, json=body or {"version": 1}, headers=headers), field)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/grids/533422%00", "path"),
        ("/api/incidents?category=%00", "category"),
        ("/api/grids?level=group&net=social%00", "net"),
        ("/api/incidents?x%00=1", "x\\u0000"),
        ("/admin/audit?actor=admin%00", "actor"),
    ],
)
def test_nul_bytes_in_path_and_query(client_as, path, field):
    assert_refused(client_as("admin").get(path, headers={"Accept": "application/json"}), field)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"title": "a\\u0000b"}', "title"),
        ('{"title": "\\ud800"}', "title"),
        ('{"title": "\\udc00\\ud800"}', "title"),  # halves in the wrong order are two lone ones
        ('{"\\ud83d": 1}', "\\ud83d"),
        ('{"windows": [{"start": "\\u0000"}]}', "windows.start"),
    ],
)
def test_nul_bytes_and_lone_surrogates_in_json(app, client, body, field):
    before = _incident_count(app)
    response = client.post(
        "/api/incidents",
        data=body,
        headers={"X-CSRFToken": csrf_token_of(client, "/"), "Content-Type": "application/json"},
    )
    assert_refused(response, field)
    assert _incident_count(app) == before


def test_a_surrogate_pair_is_an_ordinary_character(client):
    response = client.post(
        "/api/incidents",
        data='{"title": "\\ud83d\\ude00"}',
        headers={"X-CSRFToken": csrf_token_of(client, "/"), "Content-Type": "application/json"},
    )
    assert response.status_code == 400 and response.get_json()["field"] != "title"  # only the missing fields


def test_nul_bytes_in_headers_and_forms(client_as):
    client = client_as("patrol")
    token = csrf_token_of(client, "/")
    keyed = client.post(
        "/api/patrol/tasks/1/checkins",
        json={"lon": 99.0, "lat": 28.5},
        headers={"X-CSRFToken": token, "Idempotency-Key": "phone\x00"},
    )
    assert_refused(keyed, "Idempotency-Key")
    form = client.post("/patrol/my/1?lang=en", data={"csrf_token": token, "lon": "99", "lat": "28.5", "note": "a\x00b"})
    assert_refused(form, "note")


@pytest.mark.parametrize(
    ("user", "path", "field"),
    [
        ("dispatcher", "/api/incidents?until=9999-12-31", "until"),
        ("dispatcher", "/api/incidents?since=0001-01-01", "since"),
        ("patrol", "/api/patrol/zones?on=0001-01-01", "on"),
        ("patrol", "/api/patrol/incidents?on=9999-12-31", "on"),
        ("patrol", "/api/patrol/hotspots?since=0001-01-01&until=2026-06-01", "since"),
        ("patrol", "/api/patrol/hotspots?since=2026-01-01&until=9999-12-31", "until"),
        ("patrol", "/patrol?date=9999-12-31", "date"),
        ("patrol", "/patrol/briefing?zone=1&until=9999-12-31", "until"),
        ("admin", "/admin/audit?since=0001-01-01", "since"),
        ("admin", "/admin/audit?until=9999-12-31", "until"),
        ("dispatcher", "/api/lookup?lon=99.3&lat=28.2&at=0001-01-01", "at"),
    ],
)
def test_dates_near_the_ends_of_the_calendar(client_as, user, path, field):
    assert_refused(client_as(user).get(path, headers={"Accept": "application/json"}), field)


def test_json_nested_100000_deep(client):
    response = client.post(
        "/api/incidents",
        data="[" * 100_000 + "]" * 100_000,
        headers={"X-CSRFToken": csrf_token_of(client, "/"), "Content-Type": "application/json"},
    )
    assert_refused(response, "json")
    brackets_in_text = {"title": "[" * 100, "net": "social"}  # brackets inside strings do not nest
    assert post(client, "/api/incidents", brackets_in_text).get_json()["field"] != "json"


def test_a_405_names_the_methods_allowed(client):
    response = client.delete("/api/lookup")
    assert response.status_code == 405 and response.is_json
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "HEAD", "OPTIONS"}


# --- the phone's check-in form and the pages listing what it stored ---------------------------------------


@pytest.fixture
def task_id(app, client_as):
    """A patrol task on the first harvest hill, removed with its check-ins afterwards."""
    client = client_as("patrol")
    hill = next(
        z
        for z in client.get(f"/api/patrol/zones?on={JUNE}").get_json()["features"]
        if z["properties"]["kind"] == "caterpillar_fungus"
    )
    body = {
        "team_id": hill["properties"]["teams"][0]["id"],
        "zone_id": hill["id"],
        "starts_at": "2026-06-15T08:00:00+08:00",
        "ends_at": "2026-06-15T18:00:00+08:00",
    }
    created = post(client, "/api/patrol/tasks", body)
    assert created.status_code == 201, created.get_json()
    yield created.get_json()["id"]
    with app.app_context():
        db.session.execute(delete(CheckIn).where(CheckIn.task_id == created.get_json()["id"]))
        db.session.execute(delete(PatrolTask).where(PatrolTask.id == created.get_json()["id"]))
        db.session.commit()


def _checkin_count(app, task: int) -> int:
    with app.app_context():
        return db.session.scalars(select(func.count()).select_from(CheckIn).where(CheckIn.task_id == task)).one()


def _incident_count(app) -> int:
    with app.app_context():
        return db.session.scalars(select(func.count()).select_from(Incident)).one()


@pytest.mark.parametrize(
    ("position", "field"),
    [
        ({"lon": "nan", "lat": "nan"}, "lon"),
        ({"lon": "inf", "lat": "28.5"}, "lon"),
        ({"lon": "99", "lat": "-Infinity"}, "lat"),
        ({"lon": "1e10", "lat": "28.5"}, "lon"),
        ({"lon": "99", "lat": "95"}, "lat"),
        ({"lon": "", "lat": ""}, "lon"),
        ({"lon": "99", "lat": "28.5", "at": "9999-12-31T23:59:59-12:00"}, "at"),
    ],
)
def test_the_check_in_form_is_checked_like_the_api(app, client_as, task_id, position, field):
    client = client_as("patrol")
    form = {"csrf_token": csrf_token_of(client, "/"), "note": "到了"}
    response = client.post(f"/patrol/my/{task_id}?lang=en", data={**form, **position})
    assert_refused(response, field)
    # Refused on the phone page itself (this task ended long ago, so at the top of the page).
    assert 'role="alert"' in response.get_data(as_text=True)
    assert _checkin_count(app, task_id) == 0
    assert client.post(f"/patrol/my/{task_id}", data={**form, "lon": "99.1", "lat": "28.5"}).status_code == 302
    assert _checkin_count(app, task_id) == 1


@pytest.mark.parametrize(
    "window",
    [
        {"ends_at": "9999-12-31T23:59:59-12:00"},  # year 10000 in UTC
        {"starts_at": "0001-01-01T00:00:00+14:00"},  # year 0 in UTC
        {"ends_at": "2100-01-02T00:00:00+08:00"},
    ],
)
def test_a_task_window_stays_inside_the_calendar(client_as, window):
    client = client_as("patrol")
    body = {
        "team_id": 1,
        "zone_id": 1,
        "starts_at": "2026-06-15T08:00:00+08:00",
        "ends_at": "2026-06-15T18:00:00+08:00",
    }
    response = post(client, "/api/patrol/tasks", {**body, **window})
    assert_refused(response, next(iter(window)))


def test_pages_listing_tasks_still_answer_after_refused_check_ins(client_as, task_id):
    client = client_as("patrol")
    token = csrf_token_of(client, "/")
    for lon, lat in (("nan", "nan"), ("1e10", "95")):
        client.post(f"/patrol/my/{task_id}", data={"csrf_token": token, "lon": lon, "lat": lat})
    assert client.get("/api/patrol/tasks").status_code == 200
    assert client.get("/patrol/my").status_code == 200
    zone = client.get("/api/patrol/tasks").get_json()[0]["zone_id"]
    assert client.get(f"/patrol/briefing?zone={zone}").status_code == 200


def test_query_form_and_cookie_values_read_as_werkzeug_reads_them(app):
    """``QuietMissRequest`` answers a missing key without an exception inside; every answer is werkzeug's."""
    with app.test_request_context("/?a=1&a=2&b=x", headers={"Cookie": "lang=en"}):
        assert isinstance(request._get_current_object(), QuietMissRequest)  # type: ignore[attr-defined]  # the proxy's object
        args = request.args
        assert args.get("a") == "1" and args.getlist("a") == ["1", "2"] and args["b"] == "x"
        assert args.get("missing") is None and args.get("missing", "given") == "given"
        assert args.get("a", type=int) == 1 and args.get("b", -1, type=int) == -1
        assert request.cookies.get("lang") == "en" and request.cookies.get("session") is None
        with pytest.raises(KeyError):
            args["missing"]
