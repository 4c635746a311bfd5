"""Retries and races over HTTP: the same key at the same moment, a key reused for another body, a code taken twice."""

import io
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select

from extensions import db, db_session
from geo.core.models import AuditEvent
from geo.dispatch.models import Incident, IncidentCategory, IncidentEvent
from geo.party.models import PartyActivity
from geo.patrol.models import CheckIn, PatrolTask
from geo.public.places import group_point
from tests.conftest import csrf_token_of

# Not rolled back: threads race each other, each on its own connection.
pytestmark = pytest.mark.outside_transaction

PAIRS = 10
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
REPORT = {"net": "social", "category": "dispute", "title": "重试测试", "lon": 99.2991, "lat": 28.2446}


def posted_at_once(clients, path, body, headers=None):
    """POST ``body`` from each client in its own thread, all released together; return the answers in order."""
    start = threading.Barrier(len(clients))
    answers = [None] * len(clients)

    def send(index, client):
        own = {**(headers or {}), "X-CSRFToken": csrf_token_of(client, "/")}
        start.wait(timeout=30)
        answers[index] = client.post(path, json=body, headers=own)

    threads = [threading.Thread(target=send, args=pair) for pair in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


@pytest.fixture
def patrol_task(app, client_as):
    """A patrol task on a harvest hill, removed afterwards with its check-ins."""
    client = client_as("patrol")
    hill = next(
        z for z in client.get("/api/patrol/zones?on=2026-06-15").get_json()["features"] if z["properties"]["teams"]
    )
    now = datetime.now(UTC)
    task = client.post(
        "/api/patrol/tasks",
        json={
            "team_id": hill["properties"]["teams"][0]["id"],
            "zone_id": hill["id"],
            "title": "重试测试",
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(hours=8)).isoformat(),
        },
        headers={"X-CSRFToken": csrf_token_of(client, "/")},
    )
    assert task.status_code == 201, task.get_json()
    yield task.get_json()["id"], hill["properties"]["sites"][0]
    with app.app_context():
        db.session.execute(delete(PatrolTask).where(PatrolTask.id == task.get_json()["id"]))
        db.session.commit()


def audit_mark(app) -> int:
    """The newest audit event now (the trail outlives the reloads of earlier runs, so ids and tickets recur)."""
    with app.app_context():
        return db.session.scalars(select(func.coalesce(func.max(AuditEvent.id), 0))).one()


def test_the_same_check_in_sent_twice_at_once_is_kept_once(app, client_as, patrol_task):
    task_id, site = patrol_task
    mark = audit_mark(app)
    phones = [client_as("patrol"), client_as("patrol")]
    body = {"lon": site["lon"], "lat": site["lat"], "note": "同时重发"}
    for pair in range(PAIRS):
        headers = {"Idempotency-Key": f"race-checkin-{task_id}-{pair}"}
        answers = posted_at_once(phones, f"/api/patrol/tasks/{task_id}/checkins", body, headers)
        assert sorted(a.status_code for a in answers) == [200, 201], [a.get_data(as_text=True) for a in answers]
        assert answers[0].get_json() == answers[1].get_json()
    with app.app_context():
        kept = db.session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.task_id == task_id))
        audited = db.session.scalar(
            select(func.count()).where(
                AuditEvent.action == "patrol.checkin", AuditEvent.entity_id == str(task_id), AuditEvent.id > mark
            )
        )
    assert kept == audited == PAIRS


def test_a_check_in_key_reused_for_another_check_in_is_refused_by_name(client_as, patrol_task):
    task_id, site = patrol_task
    phone = client_as("patrol")
    headers = {"X-CSRFToken": csrf_token_of(phone, "/"), "Idempotency-Key": f"reused-{task_id}"}
    path = f"/api/patrol/tasks/{task_id}/checkins"
    first = phone.post(path, json={"lon": site["lon"], "lat": site["lat"], "note": "第一次"}, headers=headers)
    other = phone.post(
        path + "?lang=en", json={"lon": site["lon"], "lat": site["lat"], "note": "另一次"}, headers=headers
    )
    assert first.status_code == 201
    assert other.status_code == 422 and other.get_json()["field"] == "Idempotency-Key"
    assert f"reused-{task_id}" in other.get_json()["error"]


def test_an_intake_key_reused_for_another_report_is_refused_by_name(app, client):
    headers = {"X-CSRFToken": csrf_token_of(client, "/"), "Idempotency-Key": "reused-intake-1"}
    try:
        first = client.post("/api/incidents", json=REPORT, headers=headers)
        again = client.post("/api/incidents", json=REPORT, headers=headers)
        other = client.post("/api/incidents", json={**REPORT, "title": "另一件事"}, headers=headers)
        assert (first.status_code, again.status_code) == (201, 200)
        assert other.status_code == 422 and other.get_json()["field"] == "Idempotency-Key"
        assert "reused-intake-1" in other.get_json()["error"]
    finally:
        with app.app_context():
            db.session.execute(delete(Incident).where(Incident.idempotency_key == "reused-intake-1"))
            db.session.commit()


def test_a_category_created_twice_at_once_answers_201_then_409(app, client_as):
    admins = [client_as("admin"), client_as("admin")]
    codes = [f"race_category_{pair}" for pair in range(PAIRS)]
    try:
        for code in codes:
            body = {"net": "social", "code": code, "name_zh": "并发", "name_en": "Race", "sla_hours": 24}
            answers = posted_at_once(admins, "/api/categories?lang=en", body)
            assert sorted(a.status_code for a in answers) == [201, 409], [a.get_data(as_text=True) for a in answers]
            refused = next(a for a in answers if a.status_code == 409).get_json()
            assert refused["field"] == "code" and code in refused["error"]
    finally:
        with app.app_context():
            db.session.execute(delete(IncidentCategory).where(IncidentCategory.code.in_(codes)))
            db.session.commit()


def test_changes_over_http_are_audited_from_the_client_address(app, client):
    mark = audit_mark(app)
    headers = {"X-CSRFToken": csrf_token_of(client, "/")}
    reported = client.post("/api/incidents", json={**REPORT, "title": "地址审计"}, headers=headers).get_json()
    ticket = reported["ticket"]
    try:
        registered = client.post(f"/api/incidents/{ticket}/register", json={"version": 1}, headers=headers)
        assert registered.status_code == 200
        with app.app_context():
            trail = db.session.execute(
                select(AuditEvent.action, AuditEvent.actor, AuditEvent.address)
                .where(AuditEvent.entity_id == ticket, AuditEvent.id > mark)
                .order_by(AuditEvent.id)
            ).all()
        assert trail == [
            ("incident.report", "dispatcher", "127.0.0.1"),
            ("incident.register", "dispatcher", "127.0.0.1"),
        ]
    finally:
        with app.app_context():
            db.session.execute(delete(Incident).where(Incident.ticket == ticket))
            db.session.commit()


def test_the_same_party_activity_sent_twice_at_once_is_recorded_once(app, client_as):
    """Two copies of a phone's activity (the same ``Idempotency-Key``) racing each other: one record, one audit."""
    mark = audit_mark(app)
    phones = [client_as("admin"), client_as("admin")]
    branch = client_as("admin").get("/api/party/branches?limit=1").get_json()["branches"][0]["id"]
    body = {"branch_id": branch, "kind": "theme_day", "held_on": "2026-11-05", "topic": "同时重发",
            "attendance": 9, "lon": 99.2991, "lat": 28.2446}  # fmt: skip
    try:
        for pair in range(PAIRS):
            headers = {"Idempotency-Key": f"race-party-{pair}"}
            answers = posted_at_once(phones, "/api/party/activities", body, headers)
            assert sorted(a.status_code for a in answers) == [200, 201], [a.get_data(as_text=True) for a in answers]
            assert answers[0].get_json()["id"] == answers[1].get_json()["id"]
        with app.app_context():
            kept = db.session.scalars(select(func.count()).where(PartyActivity.topic == "同时重发")).one()
            audited = db.session.scalars(
                select(func.count()).where(AuditEvent.id > mark, AuditEvent.action == "party.activity.create")
            ).one()
        assert kept == audited == PAIRS
    finally:
        with app.app_context():
            db.session.execute(delete(PartyActivity).where(PartyActivity.topic == "同时重发"))
            db.session.commit()


def test_the_same_step_sent_twice_at_once_from_the_phone_is_taken_once(app, client_as):
    desk, phones = client_as("dispatcher"), [client_as("worker"), client_as("worker")]
    with app.app_context():
        lon, lat = group_point(db_session(), "533422102001001")  # the demo worker's group
    detail = desk.post(
        "/api/incidents", json={**REPORT, "lon": lon, "lat": lat}, headers={"X-CSRFToken": csrf_token_of(desk, "/")}
    ).get_json()
    ticket = detail["ticket"]
    try:
        for step in ("register", "dispatch"):
            detail = desk.post(
                f"/api/incidents/{ticket}/{step}",
                json={"version": detail["version"]},
                headers={"X-CSRFToken": csrf_token_of(desk, "/")},
            ).get_json()
        for pair in range(PAIRS):
            body = {"version": detail["version"], "note": f"同时重发 {pair}"}
            answers = posted_at_once(
                phones, f"/api/incidents/{ticket}/note", body, {"Idempotency-Key": f"race-note-{ticket}-{pair}"}
            )
            assert [a.status_code for a in answers] == [200, 200], [a.get_data(as_text=True) for a in answers]
            detail = answers[0].get_json()
        with app.app_context():
            notes = db.session.scalars(
                select(func.count())
                .select_from(IncidentEvent)
                .join(Incident)
                .where(Incident.ticket == ticket, IncidentEvent.action == "note")
            ).one()
        assert notes == PAIRS
        # A photo sent twice at once under one key (the outbox of two tabs, a retried upload) is kept once.
        start = threading.Barrier(2)
        uploads: list = [None, None]

        def upload(index, client):
            token = csrf_token_of(client, "/")
            start.wait(timeout=30)
            uploads[index] = client.post(
                f"/api/incidents/{ticket}/attachments",
                data={"file": (io.BytesIO(PNG), "同时.png")},
                headers={"X-CSRFToken": token, "Idempotency-Key": f"race-photo-{ticket}"},
            )

        threads = [threading.Thread(target=upload, args=pair) for pair in enumerate(phones)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert [u.status_code for u in uploads] == [201, 201], [u.get_data(as_text=True) for u in uploads]
        assert uploads[0].get_json() == uploads[1].get_json()
    finally:
        with app.app_context():
            db.session.execute(delete(Incident).where(Incident.ticket == ticket))
            db.session.commit()
