"""The 回访: closed cases only, once per closure, corrections audited, 不满意 sending the case back."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from geo.accounts.models import Role
from geo.accounts.principal import AccessDenied, Principal
from geo.core.models import AuditEvent
from geo.dispatch.models import IncidentEvent
from geo.dispatch.workflow import InvalidTransition
from geo.evaluation.callbacks import AlreadyEvaluated, current_evaluation, evaluate
from geo.evaluation.record_models import EvaluationSource
from tests.geo.dispatch.cases import ALL, BENZILAN_DESK, DESK, T0, act, report

LATER = T0 + timedelta(days=1)


def closed_case(session):
    incident, _ = report(session)
    for step in ("register", "dispatch", "resolve", "verify"):
        incident = act(session, incident, step)
    return incident


def test_a_closed_case_is_evaluated_once_and_audited(session):
    incident = closed_case(session)
    evaluation = evaluate(session, DESK, incident.id, "satisfied", "很好", now=LATER, address="10.0.0.1")
    assert (evaluation.result, evaluation.source, evaluation.actor, evaluation.reopened) == (
        "satisfied",
        "callback",
        "desk",
        False,
    )
    with pytest.raises(AlreadyEvaluated, match=f"replaces={evaluation.id}"):
        evaluate(session, DESK, incident.id, "dissatisfied", now=LATER)
    audit = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "incident.evaluate", AuditEvent.entity_id == incident.ticket)
    ).one()
    assert audit.after["evaluation"]["result"] == "satisfied"
    assert audit.address == "10.0.0.1"
    events = session.scalars(select(IncidentEvent.action).where(IncidentEvent.incident_id == incident.id)).all()
    assert events[-1] == "evaluate"


def test_a_correction_replaces_the_current_record_and_keeps_the_old(session):
    incident = closed_case(session)
    first = evaluate(session, DESK, incident.id, "dissatisfied", now=LATER)
    second = evaluate(session, DESK, incident.id, "basically_satisfied", "记错了", replaces=first.id, now=LATER)
    assert current_evaluation(session, incident.id) == second
    with pytest.raises(AlreadyEvaluated, match="corrected already"):
        evaluate(session, DESK, incident.id, "satisfied", replaces=first.id, now=LATER)
    audit = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "incident.evaluate", AuditEvent.entity_id == incident.ticket)
        .order_by(AuditEvent.id)
    ).all()
    assert [a.before and a.before["evaluation"]["id"] for a in audit] == [None, first.id]


def test_dissatisfied_with_reopen_sends_the_case_back_counted(session):
    incident = closed_case(session)
    evaluation = evaluate(session, DESK, incident.id, "dissatisfied", "没修好", reopen=True, now=LATER)
    session.refresh(incident)
    assert evaluation.reopened
    assert (incident.status, incident.reopen_count, incident.closed_at) == ("dispatched", 1, None)
    events = session.scalars(
        select(IncidentEvent.action).where(IncidentEvent.incident_id == incident.id).order_by(IncidentEvent.id)
    ).all()
    assert events[-2:] == ["evaluate", "reopen"]
    # Closed again, the case may be called back again: once per closure.
    for step in ("resolve", "verify"):
        incident = act(session, incident, step, now=LATER + timedelta(hours=1))
    again = evaluate(session, DESK, incident.id, "satisfied", now=LATER + timedelta(hours=2))
    assert current_evaluation(session, incident.id) == again


def test_only_closed_cases_and_only_dissatisfied_ones_reopen(session):
    incident, _ = report(session)
    with pytest.raises(InvalidTransition, match="only a closed case"):
        evaluate(session, DESK, incident.id, "satisfied")
    closed = closed_case(session)
    with pytest.raises(Exception, match="only a dissatisfied evaluation"):
        evaluate(session, DESK, closed.id, "satisfied", reopen=True)
    with pytest.raises(Exception, match="result must be one of"):
        evaluate(session, DESK, closed.id, "happy")


def test_who_may_record_a_call_back(session):
    incident = closed_case(session)
    viewer = Principal(0, "leader", Role.VIEWER, "533422", ALL)
    with pytest.raises(AccessDenied):
        evaluate(session, viewer, incident.id, "satisfied")
    elsewhere = Principal(0, "far", Role.DISPATCHER, "533422001", ALL)
    with pytest.raises(Exception, match="no incident"):
        evaluate(session, elsewhere, incident.id, "satisfied")
    assert evaluate(session, BENZILAN_DESK, incident.id, "satisfied").actor == "benzilan-desk"


def test_residents_rate_through_the_same_record(session):
    incident = closed_case(session)
    rating = evaluate(session, None, incident.id, "dissatisfied", source=EvaluationSource.RESIDENT, reopen=True)
    session.refresh(incident)
    assert (rating.actor, rating.source, incident.status) == ("public", "resident", "dispatched")
