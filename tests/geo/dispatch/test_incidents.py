"""The incident cycle in the domain: routing, workflow, deadlines, escalation, idempotency, duplicates."""

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from extensions import db
from geo.accounts.models import Role
from geo.accounts.principal import AccessDenied, Principal
from geo.core.errors import InvalidInput, NotFound
from geo.dispatch.intake import IncidentInput, create_incident
from geo.dispatch.models import Incident, IncidentEvent
from geo.dispatch.queues import Queue, queue_bit, queue_counts
from geo.dispatch.routing import route_worker
from geo.dispatch.views import IncidentFilter, feed, filtered, incident_detail
from geo.dispatch.workflow import InvalidTransition, StaleVersion, apply_action, escalate_overdue
from geo.grid.models import Grid, GridWorker, PartyBranch

ALL = frozenset({"social", "religious", "rural"})
DESK = Principal(0, "desk", Role.DISPATCHER, "533422", ALL)
BENZILAN_DESK = Principal(0, "benzilan-desk", Role.DISPATCHER, "533422102", frozenset({"social", "rural"}))
T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
BENZILAN_SEAT = (99.2991, 28.2446)


def report(session, principal=DESK, where=BENZILAN_SEAT, category="dispute", net="social", key=None, now=T0, **extra):
    data = IncidentInput(net=net, category=category, title="测试事件", lon=where[0], lat=where[1], **extra)
    intake = create_incident(session, principal, data, idempotency_key=key, now=now)
    return intake.incident, intake.created


def act(session, incident, action, principal=DESK, now=T0, **extra):
    return apply_action(session, principal, incident.ticket, action, version=incident.version, now=now, **extra)


def test_intake_routes_to_the_group_worker_of_the_net(session):
    incident, created = report(session)
    assert created and incident.status == "reported"
    assert incident.ticket == f"DQ-2026-{incident.id:06d}"
    worker = incident.assignee
    assert worker is not None and "social" in worker.nets
    assert session.get(Grid, worker.grid_id).code == incident.group_code
    assert len(incident.group_code) == 15 and incident.group_code.startswith("533422102")


def test_full_cycle_stamps_every_stage_and_writes_history(session):
    incident, _ = report(session)
    worker = Principal(0, "w", Role.GRID_WORKER, incident.group_code, ALL, incident.assignee.code)
    for step, who, hours in [
        ("register", DESK, 1),
        ("dispatch", DESK, 2),
        ("accept", worker, 3),
        ("resolve", worker, 5),
        ("verify", DESK, 6),
    ]:
        incident = act(session, incident, step, who, now=T0 + timedelta(hours=hours), note=step)
    assert incident.status == "closed"
    assert incident.dispatched_at == T0 + timedelta(hours=2)
    assert incident.due_at == T0 + timedelta(hours=2 + 72)  # dispute: 72 h at normal priority
    assert incident.closed_at == T0 + timedelta(hours=6)
    actions = session.scalars(
        select(IncidentEvent.action).where(IncidentEvent.incident_id == incident.id).order_by(IncidentEvent.id)
    ).all()
    assert actions == ["report", "register", "dispatch", "accept", "resolve", "verify"]


@pytest.mark.parametrize("action", ["dispatch", "accept", "resolve", "verify", "reopen", "escalate"])
def test_illegal_transitions_are_refused_with_what_is_possible(session, action):
    incident, _ = report(session)
    with pytest.raises(InvalidTransition, match="possible now: register"):
        act(session, incident, action)


def test_reopen_counts_rework_and_restarts_the_deadline(session):
    incident, _ = report(session)
    for step in ("register", "dispatch", "resolve"):
        incident = act(session, incident, step)
    later = T0 + timedelta(days=2)
    incident = act(session, incident, "reopen", now=later, note="返工")
    assert (incident.status, incident.reopen_count, incident.resolved_at) == ("dispatched", 1, None)
    assert incident.due_at == later + timedelta(hours=72)


def test_stale_version_is_refused_with_the_current_state(session):
    incident, _ = report(session)
    seen = incident.version
    incident = act(session, incident, "register")
    with pytest.raises(StaleVersion) as refused:
        apply_action(session, DESK, incident.ticket, "reject", version=seen, now=T0)
    details = refused.value.details
    assert isinstance(details, dict)
    assert details["status"] == "registered"
    assert details["version"] == incident.version


def test_grid_worker_may_only_work_their_own_incidents(session):
    incident, _ = report(session)
    incident = act(session, incident, "register")
    incident = act(session, incident, "dispatch")
    stranger = Principal(0, "x", Role.GRID_WORKER, incident.group_code, ALL, "W9999")
    with pytest.raises(AccessDenied):
        act(session, incident, "accept", stranger)
    assignee = Principal(0, "w", Role.GRID_WORKER, incident.group_code, ALL, incident.assignee.code)
    with pytest.raises(AccessDenied):
        act(session, incident, "verify", assignee)  # verifying is the dispatcher's
    assert act(session, incident, "accept", assignee).status == "in_progress"


def test_days_are_the_county_days(session):
    # 20:00 UTC on 15 June is 04:00 on 16 June in Deqin: the report belongs to the 16th.
    night = datetime(2026, 6, 15, 20, 0, tzinfo=UTC)
    incident, _ = report(session, now=night)
    features, _ = feed(session, DESK, incident.change_seq - 1, now=night)
    assert [json.loads(f)["properties"]["d"] for f in features] == ["2026-06-16"]

    def reported_on(day):
        return session.scalars(filtered(DESK, IncidentFilter(since=day, until=day), night)).all()

    assert incident in reported_on(date(2026, 6, 16)) and incident not in reported_on(date(2026, 6, 15))
    # A worker on leave on the 16th is passed over at that hour, though UTC still says the 15th.
    worker = incident.assignee
    worker.unavailable_from = worker.unavailable_until = date(2026, 6, 16)
    session.flush()
    stand_in, _ = report(session, now=night)
    assert stand_in.group_code == incident.group_code and stand_in.assignee.id != worker.id


def test_routing_falls_back_up_the_chain(session):
    # The one group without a branch has no group worker: its village worker answers.
    orphan = session.scalar(select(Grid.code).where(Grid.level == "group", Grid.id.not_in(select(PartyBranch.grid_id))))
    worker = route_worker(session, "social", orphan, date(2026, 6, 1))
    assert worker is not None and session.get_one(Grid, worker.grid_id).code == orphan[:12]
    # A worker on leave is passed over for that day only.
    group = "533422102001001"
    own = route_worker(session, "social", group, date(2026, 6, 1))
    assert own is not None
    own.unavailable_from, own.unavailable_until = date(2026, 6, 1), date(2026, 6, 10)
    session.flush()
    stand_in = route_worker(session, "social", group, date(2026, 6, 5))
    assert stand_in is not None and session.get_one(Grid, stand_in.grid_id).code == group[:12]
    back = route_worker(session, "social", group, date(2026, 6, 11))
    assert back is not None and back.id == own.id


def test_religious_net_routes_past_workers_without_it(session):
    group = session.scalar(
        select(Grid.code)
        .join(GridWorker, GridWorker.grid_id == Grid.id)
        .where(Grid.level == "group", GridWorker.nets.contains(["social"]), ~GridWorker.nets.contains(["religious"]))
        .limit(1)
    )
    worker = route_worker(session, "religious", group, date(2026, 6, 1))
    assert worker is not None
    assert "religious" in worker.nets and session.get_one(Grid, worker.grid_id).code != group


def test_escalation_after_the_deadline_is_idempotent(session):
    incident, _ = report(session, category="public_order")  # 12 h
    incident = act(session, incident, "register")
    incident = act(session, incident, "dispatch")
    assert incident.ticket not in escalate_overdue(session, now=T0 + timedelta(hours=11))
    later = T0 + timedelta(hours=13)
    assert incident.ticket in escalate_overdue(session, now=later)
    assert escalate_overdue(session, now=later) == []  # again at the same moment: nothing
    session.refresh(incident)
    assert incident.escalation_level == 1
    assert session.get(Grid, incident.assignee.grid_id).code == incident.group_code[:12]
    assert incident.due_at == later + timedelta(hours=12)
    for hours in (26, 39, 52):
        escalate_overdue(session, now=T0 + timedelta(hours=hours))
    session.refresh(incident)
    assert incident.escalation_level == 3 and session.get(Grid, incident.assignee.grid_id).code == "533422"


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
    answer, reread = intake.detail, incident_detail(session, intake.incident, now=T0 + timedelta(hours=1))
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


def test_lists_and_feeds_hold_only_the_jurisdiction_and_nets(session):
    mine, _ = report(session)
    elsewhere, _ = report(session, where=(98.91, 28.49))
    religious, _ = report(session, net="religious", category="religious_site_safety")
    tickets = set(session.scalars(filtered(BENZILAN_DESK, IncidentFilter(), T0)).all())
    assert mine in tickets and elsewhere not in tickets and religious not in tickets
    features, cursor = feed(session, BENZILAN_DESK, mine.change_seq - 1)
    fed = [json.loads(feature)["id"] for feature in features]
    assert mine.ticket in fed and elsewhere.ticket not in fed and religious.ticket not in fed
    assert feed(session, BENZILAN_DESK, cursor) == ([], cursor)
    with pytest.raises(NotFound):
        apply_action(session, BENZILAN_DESK, elsewhere.ticket, "register", version=elsewhere.version)


def test_each_queue_counts_what_its_list_holds_and_marks_its_markers(session):
    first, _ = report(session)
    duplicate, _ = report(session)  # at the same place: a suspected duplicate of the first
    unassigned, _ = report(session)
    unassigned.assignee = None
    late, _ = report(session)
    act(session, act(session, late, "register"), "dispatch")
    escalate_overdue(session, T0 + timedelta(days=30))  # past its deadline: one level up
    later = T0 + timedelta(days=60)  # and past the new one: overdue too
    session.flush()
    mine = {first.id, duplicate.id, unassigned.id, late.id}
    expected = {
        Queue.NEW: {first.id, duplicate.id, unassigned.id},
        Queue.UNASSIGNED: {unassigned.id},
        Queue.OVERDUE: {late.id},
        Queue.ESCALATED: {late.id},
        Queue.SUSPECTED_DUPLICATES: {duplicate.id, unassigned.id},
    }
    counts = queue_counts(session, BENZILAN_DESK, later)
    features, _ = feed(session, BENZILAN_DESK, first.change_seq - 1, now=later)
    markers = [json.loads(feature) for feature in features]
    masks = {
        session.scalar(select(Incident.id).where(Incident.ticket == m["id"])): m["properties"]["q"] for m in markers
    }
    for queue in Queue:
        listed = set(session.scalars(filtered(BENZILAN_DESK, IncidentFilter(queue=queue.value), later)).all())
        assert counts[queue.value] == len(listed), queue
        assert {i.id for i in listed} & mine == expected[queue], queue
        assert {id_ for id_ in mine if masks[id_] & queue_bit(queue)} == expected[queue], queue


def test_an_unknown_queue_is_refused_naming_the_field(session):
    with pytest.raises(InvalidInput) as refused:
        filtered(DESK, IncidentFilter(queue="later"), T0)
    assert refused.value.field == "queue"
