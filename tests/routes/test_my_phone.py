"""The worker's phone page and its rules over HTTP: steps offered, notes and photos asked, retries, error pages."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from extensions import db, db_session
from geo.dispatch.models import Incident, IncidentEvent
from geo.public.places import group_point
from tests.conftest import csrf_token_of, post_multipart

WORKER_GROUP = "533422102001001"  # the demo 'worker' account's group
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def post(client, path, body, **headers):
    return client.post(path, json=body, headers={"X-CSRFToken": csrf_token_of(client, "/"), **headers})


@pytest.fixture
def case(app, client):
    """A case in the worker's group, reported by phone, registered and dispatched to the worker."""
    with app.app_context():
        lon, lat = group_point(db_session(), WORKER_GROUP)
    body = {
        "net": "social",
        "category": "dispute",
        "title": "草场纠纷",
        "description": "两户争执",
        "lon": lon,
        "lat": lat,
        "channel": "phone",
        "reporter_name": "扎西",
        "reporter_phone": "13800001111",
    }
    detail = post(client, "/api/incidents", body).get_json()
    for step in ("register", "dispatch"):
        detail = post(client, f"/api/incidents/{detail['ticket']}/{step}", {"version": detail["version"]}).get_json()
    assert detail["status"] == "dispatched", detail
    return detail


def events(app, ticket: str, action: str) -> int:
    with app.app_context():
        return db.session.scalars(
            select(func.count())
            .select_from(IncidentEvent)
            .join(Incident)
            .where(Incident.ticket == ticket, IncidentEvent.action == action)
        ).one()


def test_each_caller_is_offered_their_own_steps(client, client_as, case):
    worker = client_as("worker")
    mine = worker.get(f"/api/incidents/{case['ticket']}").get_json()
    assert mine["actions"] == ["accept", "resolve", "note"]
    assert client.get(f"/api/incidents/{case['ticket']}").get_json()["actions"] == ["reassign", "escalate", "note"]
    assert client_as("viewer").get(f"/api/incidents/{case['ticket']}").get_json()["actions"] == []
    assert mine["reporter_phone"] == "13800001111"  # the worker's own group: inside the jurisdiction


def test_the_reporters_phone_stays_inside_the_jurisdiction(client_as, case):
    # A worker of another group does not see the case at all, let alone its reporter.
    assert client_as("patrol").get(f"/api/incidents/{case['ticket']}").status_code in (403, 404)


def test_resolving_without_a_note_is_refused_naming_the_note_in_the_pages_language(client_as, case):
    worker = client_as("worker")
    refused = post(worker, f"/api/incidents/{case['ticket']}/resolve?lang=en", {"version": case["version"]})
    assert refused.status_code == 400 and refused.get_json()["field"] == "note"
    assert "needs a note" in refused.get_json()["error"]
    in_chinese = post(worker, f"/api/incidents/{case['ticket']}/resolve?lang=zh", {"version": case["version"]})
    assert "须填写说明" in in_chinese.get_json()["error"]


def test_a_category_asks_for_a_photo_on_resolving_from_the_admin_page_and_api(client_as, case):
    admin = client_as("admin")
    token = csrf_token_of(admin, "/admin/categories")
    changed = admin.patch("/api/categories/dispute", json={"photo_on_resolve": True}, headers={"X-CSRFToken": token})
    assert changed.status_code == 200 and changed.get_json()["photo_on_resolve"] is True
    page = admin.get("/admin/categories").get_data(as_text=True).split('data-code="dispute"')[1]
    assert 'name="photo_on_resolve" checked' in page.split("</tr>")[0]
    worker = client_as("worker")
    refused = post(worker, f"/api/incidents/{case['ticket']}/resolve", {"version": case["version"], "note": "已调解"})
    assert refused.status_code == 422 and refused.get_json()["field"] == "file"
    assert "照片" in refused.get_json()["error"]
    photo = post_multipart(worker, f"/api/incidents/{case['ticket']}/attachments", {"file": (io.BytesIO(PNG), "p.png")})
    assert photo.status_code == 201
    done = post(worker, f"/api/incidents/{case['ticket']}/resolve", {"version": case["version"] + 1, "note": "已调解"})
    assert done.status_code == 200 and done.get_json()["status"] == "resolved"


def test_a_step_retried_under_its_idempotency_key_is_taken_once(app, client_as, case):
    worker = client_as("worker")
    path, body = f"/api/incidents/{case['ticket']}/accept", {"version": case["version"]}
    first = post(worker, path, body, **{"Idempotency-Key": "phone-accept-1"})
    again = post(worker, path, body, **{"Idempotency-Key": "phone-accept-1"})
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.get_json()["version"] == first.get_json()["version"] == case["version"] + 1
    assert events(app, case["ticket"], "accept") == 1
    assert post(worker, path, body).status_code == 409  # without the key: a conflict, not a retry


def test_the_phone_page_shows_each_case_in_full(client_as, case):
    html = client_as("worker").get("/my").get_data(as_text=True)
    assert f'id="{case["ticket"]}"' in html and "两户争执" in html and "13800001111" in html
    assert f'href="geo:{case["lat"]},{case["lon"]}' in html
    assert "派遣" in html and ">dispatch<" not in html  # history in words
    assert 'value="accept"' in html and 'value="verify"' not in html
    assert "网格员巡查上报" in html


def test_a_stale_form_answers_a_styled_409_that_keeps_the_note(app, client_as, client, case):
    worker = client_as("worker")
    post(client, f"/api/incidents/{case['ticket']}/note", {"version": case["version"], "note": "调度员补充"})
    token = csrf_token_of(worker, "/my")
    answer = worker.post(
        f"/my/{case['ticket']}",
        data={"csrf_token": token, "version": case["version"], "action": "note", "note": "<b>已到场</b>"},
        headers={"Accept": "text/html"},
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 409 and answer.mimetype == "text/html"
    assert 'class="page error-page"' in html and "内容已被他人修改" in html
    assert "&lt;b&gt;已到场&lt;/b&gt;</textarea>" in html  # kept, escaped
    assert f'name="version" value="{case["version"] + 1}"' in html
    assert events(app, case["ticket"], "note") == 1


def test_the_plain_form_attaches_the_photo_and_resolves_in_one_step(client_as, case):
    worker = client_as("worker")
    token = csrf_token_of(worker, "/my")
    answer = post_multipart(
        worker,
        f"/my/{case['ticket']}",
        {
            "csrf_token": token,
            "version": str(case["version"]),
            "action": "resolve",
            "note": "已调解",
            "file": (io.BytesIO(PNG), "p.png"),
        },
    )
    assert answer.status_code == 302
    detail = worker.get(f"/api/incidents/{case['ticket']}").get_json()
    assert detail["status"] == "resolved" and len(detail["attachments"]) == 1


@pytest.mark.parametrize(
    ("who", "path", "status", "heading"),
    [
        ("dispatcher", "/my", 403, "无权访问"),
        ("dispatcher", "/no-such-page", 404, "找不到该页面"),
        ("dispatcher", "/api/incidents/DQ-0000-000000", 404, None),
        ("worker", "/dispatch", 403, "无权访问"),
    ],
)
def test_error_pages_are_styled_for_people_and_json_for_the_api(client_as, who, path, status, heading):
    answer = client_as(who).get(path, headers={"Accept": "text/html"})
    assert answer.status_code == status
    if heading is None:
        assert answer.is_json and answer.get_json()["error"]
        return
    html = answer.get_data(as_text=True)
    assert answer.mimetype == "text/html" and 'class="page error-page"' in html and heading in html
    assert 'name="viewport"' in html and "css/errors.css" in html
    assert "回到首页" in html


def test_error_pages_speak_english_when_asked(client_as):
    html = client_as("dispatcher").get("/no-such-page?lang=en", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "Not found" in html and "Home page" in html and "找不到" not in html


def test_a_bad_form_answers_a_styled_400_naming_the_problem(client_as, case):
    worker = client_as("worker")
    token = csrf_token_of(worker, "/my")
    answer = worker.post(f"/my/{case['ticket']}", data={"csrf_token": token, "version": "x", "action": "resolve"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400 and 'class="page error-page"' in html and "version" in html
    assert 'href="/my"' in html or "回到首页" in html


def test_a_report_sent_late_by_the_outbox_keeps_the_time_the_phone_made_it(app, client_as):
    with app.app_context():
        lon, lat = group_point(db_session(), WORKER_GROUP)
    worker = client_as("worker")
    made = (datetime.now(UTC) - timedelta(hours=5)).replace(microsecond=0)
    body = {
        "net": "social",
        "category": "dispute",
        "title": "山上巡查发现",
        "lon": lon,
        "lat": lat,
        "channel": "patrol",
    }
    sent = post(worker, "/api/incidents", body | {"observed_at": made.isoformat().replace("+00:00", "Z")})
    assert sent.status_code == 201, sent.get_json()
    detail = sent.get_json()
    assert datetime.fromisoformat(detail["stages"]["reported_at"]) == made
    assert datetime.fromisoformat(detail["received_at"]) - made >= timedelta(hours=5)
    ahead = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    refused = post(worker, "/api/incidents", body | {"observed_at": ahead})
    assert refused.status_code == 400 and refused.get_json()["field"] == "observed_at"
    assert "未来" in refused.get_json()["error"]  # in the page's language
    no_zone = post(worker, "/api/incidents", body | {"observed_at": "2026-06-01T08:00:00"})
    assert 400 <= no_zone.status_code < 500 and "observed_at" in str(no_zone.get_json())
