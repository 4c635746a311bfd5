"""Intake: a report checked, routed, checked for duplicates and stored once, however often it is retried."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH, MAX_CACHED_STATEMENT_PARAMS
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import psycopg
from sqlalchemy.orm import Session

from extensions import db
from geo.accounts.principal import AccessDenied
from geo.core.errors import InvalidInput
from geo.core.models import AuditEvent
from geo.dispatch.intake import IncidentInput, _intake_statement, create_incident
from geo.dispatch.models import Incident, IncidentEvent
from geo.dispatch.views import incident_detail
from geo.evaluation.indicators import compute
from geo.grid.models import Grid
from tests.geo.dispatch.cases import BENZILAN_DESK, BENZILAN_SEAT, DESK, T0, act, report


def test_intake_routes_to_the_group_worker_of_the_net(session):
    incident, created = report(session)
    assert created and incident.status == "reported"
    assert incident.ticket == f"DQ-2026-{incident.id:06d}"
    worker = incident.assignee
    assert worker is not None and "social" in worker.nets
    assert session.get(Grid, worker.grid_id).code == incident.group_code
    assert len(incident.group_code) == 15 and incident.group_code.startswith("533422102")


def test_the_intake_statement_stays_small_enough_for_psycopg_to_keep_it_parsed():
    """Past these sizes psycopg parses the statement's placeholders again on every report (issue #13)."""
    compiled = _intake_statement().compile(dialect=psycopg.dialect())
    assert len(str(compiled).encode()) <= MAX_CACHED_STATEMENT_LENGTH
    assert len(compiled.params) <= MAX_CACHED_STATEMENT_PARAMS


def test_idempotency_key_returns_the_first_incident(session):
    first, created = report(session, key="phone-42-0001")
    again, created_again = report(session, key="phone-42-0001")
    assert created and not created_again and again.id == first.id


def test_a_retry_racing_its_first_submission_returns_the_first_incident(app):
    """Two submissions with one key at the same moment, on two connections: one incident, both answers name it."""
    data = IncidentInput("social", "dispute", "同时重发", lon=BENZILAN_SEAT[0], lat=BENZILAN_SEAT[1])
    with app.app_context():
        first_session, second_session = Session(db.engine), Session(db.engine)
        try:
            first = create_incident(first_session, DESK, data, idempotency_key="race-0001", now=T0)
            with ThreadPoolExecutor(1) as pool:
                # The retry waits on the first one's key in the unique index until the first commits.
                retry = pool.submit(create_incident, second_session, DESK, data, idempotency_key="race-0001", now=T0)
                time.sleep(0.3)
                assert not retry.done()
                first_session.commit()
                second = retry.result(timeout=10)
            assert first.created and not second.created and second.incident.id == first.incident.id
            assert second.detail["ticket"] == first.detail["ticket"]
        finally:
            second_session.rollback()
            first_session.rollback()
            first_session.execute(delete(Incident).where(Incident.idempotency_key == "race-0001"))
            first_session.commit()
            first_session.close()
            second_session.close()


def test_the_intake_answer_is_what_reading_the_incident_back_gives(session):
    report(session)
    intake = create_incident(
        session,
        DESK,
        IncidentInput(
            net="social", category="dispute", title="答复", lon=BENZILAN_SEAT[0] + 0.001, lat=BENZILAN_SEAT[1]
        ),
        now=T0 + timedelta(hours=1),
    )
    answer, reread = intake.detail, incident_detail(session, intake.incident, DESK, now=T0 + timedelta(hours=1))
    assert answer["suspected_duplicate_of"] and answer["assignee"] and len(answer["chain"]) == 4
    for detail in (answer, reread):  # the same instants, whatever time zone the database answers in
        for event in detail["history"]:
            event["at"] = datetime.fromisoformat(event["at"])
    assert answer == reread


def test_a_refused_report_writes_nothing(session):
    before = (
        session.scalar(select(func.count()).select_from(Incident)),
        session.scalar(select(func.count()).select_from(IncidentEvent)),
    )
    with pytest.raises(InvalidInput, match="belongs to the religious net"):
        report(session, category="religious_site_safety")
    after = (
        session.scalar(select(func.count()).select_from(Incident)),
        session.scalar(select(func.count()).select_from(IncidentEvent)),
    )
    assert after == before


def test_nearby_report_of_the_same_category_is_flagged(session):
    first, _ = report(session)
    near, _ = report(session, where=(BENZILAN_SEAT[0] + 0.002, BENZILAN_SEAT[1]), now=T0 + timedelta(hours=3))
    far, _ = report(session, where=(BENZILAN_SEAT[0] - 0.05, BENZILAN_SEAT[1]), now=T0 + timedelta(hours=3))
    assert near.suspected_duplicate_id == first.id
    assert far.suspected_duplicate_id is None
    near = act(session, near, "duplicate", duplicate_of=first.ticket)
    assert (near.status, near.duplicate_of_id) == ("duplicate", first.id)


def test_the_suspect_is_the_nearest_on_the_ground_not_in_degrees(session):
    # A degree of longitude is about 98 km here, one of latitude 111 km: the case 0.0030° east (about
    # 294 m) is nearer on the ground than the one 0.0028° north (about 310 m), though farther in degrees.
    lon, lat = BENZILAN_SEAT
    east, _ = report(session, where=(lon + 0.0030, lat))
    north, _ = report(session, where=(lon, lat + 0.0028))
    here, _ = report(session, where=(lon, lat), now=T0 + timedelta(hours=1))
    metres = (
        session.execute(
            select(func.ST_Distance(func.Geography(Incident.location), func.Geography(func.ST_MakePoint(lon, lat))))
            .where(Incident.id.in_([east.id, north.id]))
            .order_by(Incident.id)
        )
        .scalars()
        .all()
    )
    assert metres[0] < metres[1] < 500
    assert here.suspected_duplicate_id == east.id


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"where": (99.35, 29.05)}, "lon"),  # Sichuan
        ({"category": "no_such"}, "category"),
        ({"category": "religious_site_safety"}, "category"),  # belongs to another net
        ({"net": "party"}, "net"),
        ({"priority": "asap"}, "priority"),
        ({"channel": "pigeon"}, "channel"),
        ({"reporter_phone": "call me"}, "reporter_phone"),
        ({"crs": "utm"}, "crs"),
        ({"description": "x" * 5001}, "description"),
    ],
)
def test_bad_intake_names_the_field(session, changes, field):
    with pytest.raises(InvalidInput) as refused:
        report(session, **changes)
    assert refused.value.field == field


def test_intake_outside_the_jurisdiction_or_net_is_refused(session):
    with pytest.raises(InvalidInput, match="outside your jurisdiction"):
        report(session, BENZILAN_DESK, where=(98.91, 28.49))
    with pytest.raises(AccessDenied):
        report(session, BENZILAN_DESK, net="religious", category="religious_site_safety")


def test_a_report_made_offline_keeps_the_time_it_was_made_and_when_it_arrived(session):
    made = T0 - timedelta(days=2, hours=3)
    incident, _ = report(session, observed_at=made, key="outbox-0001")
    assert incident.reported_at == made and incident.received_at == T0
    stored = session.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == incident.id)).one()
    assert stored.at == made and stored.data["received_at"] == T0.isoformat()
    detail = incident_detail(session, incident, DESK, now=T0)
    assert datetime.fromisoformat(detail["stages"]["reported_at"]) == made
    assert datetime.fromisoformat(detail["received_at"]) == T0
    audited = session.scalar(
        select(AuditEvent)
        .where(AuditEvent.entity_id == incident.ticket, AuditEvent.action == "incident.report")
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    assert audited.after["reported_at"] == made.isoformat() and audited.after["received_at"] == T0.isoformat()
    # The outbox sending it again after a lost answer: the same case.
    again, created = report(session, observed_at=made, key="outbox-0001")
    assert again.id == incident.id and not created
    # Counted on the day it was made (China Standard Time), in the figures.
    day = (made + timedelta(hours=8)).date()
    figures = compute(session, DESK, grid_codes=[incident.group_code], since=day, until=day, now=T0)
    assert figures[incident.group_code]["reports"].value == 1


def test_a_report_made_now_is_received_now(session):
    incident, _ = report(session)
    assert incident.reported_at == incident.received_at == T0
    clock_ahead, _ = report(session, observed_at=T0 + timedelta(minutes=3))
    assert clock_ahead.reported_at == T0  # a phone's clock a little ahead: never a report from the future


@pytest.mark.parametrize(
    ("observed_at", "says"),
    [
        (T0 + timedelta(minutes=6), "future"),
        (T0 - timedelta(days=7, minutes=1), "older than 7 days"),
        (datetime(2026, 6, 1, 7, 0), "time zone"),  # no zone: which hour would it be?
        ("2026-06-01T07:00:00Z", "time zone"),  # text: the web layer parses it first
    ],
)
def test_a_time_of_making_out_of_bounds_is_refused_and_writes_nothing(session, observed_at, says):
    before = session.scalar(select(func.count()).select_from(Incident))
    with pytest.raises(InvalidInput, match=says) as refused:
        report(session, observed_at=observed_at)
    assert refused.value.field == "observed_at"
    assert session.scalar(select(func.count()).select_from(Incident)) == before
