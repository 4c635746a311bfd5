"""The work cycle: each step by whom it may be taken, stamps, history, versions, escalation."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from geo.accounts.models import Role
from geo.accounts.principal import AccessDenied, Principal
from geo.dispatch.models import IncidentEvent
from geo.dispatch.workflow import InvalidTransition, StaleVersion, apply_action, escalate_overdue
from geo.grid.models import Grid
from tests.geo.dispatch.cases import ALL, DESK, T0, act, report


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
        apply_action(session, DESK, incident.ticket, "reject", version=seen, note="重复", now=T0)
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
