"""Sending a case off its chain: another worker of the jurisdiction, with a reason, marked, audited and counted."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from geo.accounts.models import Role
from geo.accounts.principal import AccessDenied, Principal
from geo.core.errors import InvalidInput
from geo.core.models import AuditEvent
from geo.dispatch.candidates import OFF_CHAIN_SHOWN, candidates
from geo.dispatch.routing import on_chain
from geo.dispatch.views import get_incident, incident_detail
from geo.evaluation.indicators import cases_behind, compute_workers
from geo.grid.models import Grid, GridWorker
from tests.geo.dispatch.cases import ALL, BENZILAN_DESK, DESK, T0, act, report

#: The Yangla township, outside the Benzilan desk's jurisdiction.
YANGLA = "533422206"


def worker_elsewhere(session, incident, under: str, net: str = "social") -> tuple[GridWorker, str]:
    """A worker of ``net`` under grid ``under`` who does not answer for ``incident``'s place, and their grid."""
    return next(
        (worker, code)
        for worker, code in session.execute(
            select(GridWorker, Grid.code)
            .join(Grid, Grid.id == GridWorker.grid_id)
            .where(Grid.code.startswith(under), GridWorker.nets.contains([net]))
            .order_by(Grid.code.desc(), GridWorker.code)
        )
        if not on_chain(code, incident.group_code)
    )


def as_worker(worker: GridWorker, grid_code: str) -> Principal:
    return Principal(0, f"w-{worker.code}", Role.GRID_WORKER, grid_code, frozenset(worker.nets), worker.code)


def registered(session, principal=BENZILAN_DESK, **extra):
    incident, _ = report(session, principal, **extra)
    act(session, incident, "register", principal)
    return incident


def test_the_picker_shows_the_other_workers_of_the_jurisdiction_after_the_chain_nearest_first(session):
    incident = registered(session)
    found = candidates(session, BENZILAN_DESK, incident.ticket, T0)
    chain = [c for c in found if c.on_chain]
    others = [c for c in found if not c.on_chain]
    assert chain and others and found == chain + others  # the chain's group first, then the others
    assert all(on_chain(c.grid_code, incident.group_code) for c in chain)
    assert len(others) == OFF_CHAIN_SHOWN
    assert all(c.grid_code.startswith("533422102") for c in others)  # the desk's jurisdiction only
    serving = {code: nets for code, nets in session.execute(select(GridWorker.code, GridWorker.nets))}
    assert all("social" in serving[c.code] for c in found)
    at_work = [c.distance_m for c in others if c.available]
    assert all(d is not None for d in at_work)
    assert at_work == sorted(d for d in at_work if d is not None)
    assert all(c.as_dict()["on_chain"] is c.on_chain for c in found)


def test_a_religious_case_is_offered_only_to_workers_serving_that_net(session):
    incident = registered(session, DESK, net="religious", category="religious_site_safety")
    found = candidates(session, DESK, incident.ticket, T0)
    assert any(not c.on_chain for c in found)
    serving = {code: nets for code, nets in session.execute(select(GridWorker.code, GridWorker.nets))}
    assert all("religious" in serving[c.code] for c in found)
    worker, _ = worker_elsewhere(session, incident, "533422", net="social")
    if "religious" not in worker.nets:
        with pytest.raises(InvalidInput, match="does not serve"):
            act(session, incident, "dispatch", DESK, worker=worker.code, note="就近")


def test_dispatching_off_the_chain_needs_a_reason_and_is_marked_and_audited(session):
    incident = registered(session)
    worker, _ = worker_elsewhere(session, incident, "533422102")
    with pytest.raises(InvalidInput, match="does not answer for this place") as refused:
        act(session, incident, "dispatch", BENZILAN_DESK, worker=worker.code)
    assert refused.value.field == "note"
    assert incident.status == "registered"  # nothing half-done
    act(session, incident, "dispatch", BENZILAN_DESK, worker=worker.code, note="本组网格员请假，他离得最近")
    assert incident.status == "dispatched" and incident.assignee.code == worker.code
    step = incident_detail(session, incident, BENZILAN_DESK)["history"][-1]
    assert step["action"] == "dispatch" and step["data"]["off_chain"] is True and step["data"]["to"] == worker.code
    audited = session.scalar(
        select(AuditEvent)
        .where(AuditEvent.entity_id == incident.ticket, AuditEvent.action == "incident.dispatch")
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    assert audited.after["off_chain"] is True and audited.after["assignee"] == worker.code
    assert "本组网格员请假" in audited.after["note"]


def test_dispatching_to_a_worker_of_the_chain_needs_no_note_and_is_not_marked(session):
    incident = registered(session)
    village = next(c for c in candidates(session, BENZILAN_DESK, incident.ticket, T0) if len(c.grid_code) == 12)
    act(session, incident, "dispatch", BENZILAN_DESK, worker=village.code)
    assert incident.assignee.code == village.code
    assert "off_chain" not in incident_detail(session, incident, BENZILAN_DESK)["history"][-1]["data"]


def test_reassigning_off_the_chain_is_marked_the_same_way(session):
    incident = registered(session)
    act(session, incident, "dispatch", BENZILAN_DESK)
    worker, _ = worker_elsewhere(session, incident, "533422102")
    act(session, incident, "reassign", BENZILAN_DESK, worker=worker.code, note="原网格员休假")
    step = incident_detail(session, incident, BENZILAN_DESK)["history"][-1]
    assert step["action"] == "reassign" and step["data"]["off_chain"] is True


def test_a_worker_outside_the_dispatchers_jurisdiction_is_refused_as_if_absent(session):
    incident = registered(session)
    worker, _ = worker_elsewhere(session, incident, YANGLA)
    with pytest.raises(InvalidInput, match="no grid worker"):
        act(session, incident, "dispatch", BENZILAN_DESK, worker=worker.code, note="就近")
    assert incident.assignee.code != worker.code


def test_the_worker_sent_off_the_chain_sees_and_works_the_case_but_not_the_reporters_phone(session):
    incident = registered(session, reporter_name="扎西", reporter_phone="13800000000")
    worker, grid_code = worker_elsewhere(session, incident, "533422102")
    them = as_worker(worker, grid_code)
    with pytest.raises(Exception, match="no incident"):
        get_incident(session, them, incident.ticket)
    act(session, incident, "dispatch", BENZILAN_DESK, worker=worker.code, note="就近")
    assert get_incident(session, them, incident.ticket) is incident
    detail = incident_detail(session, incident, them)
    assert detail["actions"] == ["accept", "resolve", "note"]
    assert detail["reporter_phone"] is None and detail["reporter_name"] is None  # personal data stays in the place
    act(session, incident, "accept", them)
    act(session, incident, "resolve", them)
    assert incident.status == "resolved"
    # Another worker of that grid, not assigned, still neither sees nor changes it.
    stranger = Principal(0, "x", Role.GRID_WORKER, grid_code, ALL, "W9999")
    with pytest.raises(Exception, match="no incident"):
        get_incident(session, stranger, incident.ticket)


def test_the_case_counts_for_the_worker_who_handled_it(session):
    incident = registered(session)
    worker, grid_code = worker_elsewhere(session, incident, "533422102")
    act(session, incident, "dispatch", BENZILAN_DESK, worker=worker.code, note="就近")
    act(session, incident, "resolve", as_worker(worker, grid_code))
    act(session, incident, "verify", BENZILAN_DESK)
    since, until, now = date(2026, 6, 1), date(2026, 6, 30), T0 + timedelta(hours=1)
    figures = compute_workers(session, DESK, grid_code=grid_code, since=since, until=until, now=now)[worker.id]
    assert figures["closure_rate"].numerator == 1
    behind = cases_behind(
        session,
        DESK,
        indicator="closure_rate",
        grid_code=grid_code,
        part="numerator",
        worker_id=worker.id,
        since=since,
        until=until,
        now=now,
    )
    assert behind == [incident.id]


def test_a_viewer_or_worker_cannot_send_a_case_anywhere(session):
    incident = registered(session)
    worker, _ = worker_elsewhere(session, incident, "533422102")
    with pytest.raises(AccessDenied):
        act(session, incident, "dispatch", as_worker(worker, "533422102"), worker=worker.code, note="我来")
