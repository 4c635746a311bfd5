"""The rules of each step in one place: who is offered it, which need a note, which a photo, retries taken once."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from geo.accounts.models import Role
from geo.accounts.principal import Principal
from geo.core.errors import InvalidInput, NotFound
from geo.core.idempotency import KeyReused
from geo.dispatch.actions import ACTIONS
from geo.dispatch.attachments import add_attachment
from geo.dispatch.models import IncidentAttachment, IncidentCategory, IncidentEvent
from geo.dispatch.statuses import Status
from geo.dispatch.views import get_incident, incident_detail
from geo.dispatch.workflow import PhotoRequired, StaleVersion, apply_action
from tests.geo.dispatch.cases import ALL, BENZILAN_DESK, DESK, T0, act, report

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def dispatched(session, **extra):
    incident, _ = report(session, **extra)
    for step in ("register", "dispatch"):
        incident = act(session, incident, step)
    return incident


def worker_of(incident) -> Principal:
    return Principal(0, "w", Role.GRID_WORKER, incident.group_code, ALL, incident.assignee.code)


def test_the_steps_that_need_a_note_are_named_in_the_table():
    assert sorted(name for name, step in ACTIONS.items() if step.needs_note) == [
        "escalate",
        "reassign",
        "reject",
        "resolve",
    ]


@pytest.mark.parametrize("action", ["reject", "escalate", "reassign", "resolve"])
@pytest.mark.parametrize("note", ["", "   "])
def test_refusing_escalating_reassigning_and_resolving_need_a_note(session, action, note):
    incident, _ = report(session)
    if action != "reject":
        incident = act(session, act(session, incident, "register"), "dispatch")
    with pytest.raises(InvalidInput, match="needs a note") as refused:
        act(session, incident, action, note=note, worker=incident.assignee.code if incident.assignee else None)
    assert refused.value.field == "note"


def test_a_category_marked_so_needs_a_photo_of_the_handling_before_resolving(session):
    session.execute(update(IncidentCategory).where(IncidentCategory.code == "dispute").values(photo_on_resolve=True))
    incident, _ = report(session)
    add_attachment(session, DESK, incident.ticket, "群众拍摄.png", PNG, now=T0)  # before dispatch: not the handling
    incident = act(
        session,
        act(session, incident, "register", now=T0 + timedelta(hours=1)),
        "dispatch",
        now=T0 + timedelta(hours=1),
    )
    worker = worker_of(incident)
    with pytest.raises(PhotoRequired, match="photo of the handling") as refused:
        act(session, incident, "resolve", worker, note="已调解", now=T0 + timedelta(hours=2))
    assert refused.value.status == 422 and refused.value.field == "file"
    add_attachment(session, worker, incident.ticket, "处置后.png", PNG, now=T0 + timedelta(hours=2))
    session.refresh(incident)
    assert act(session, incident, "resolve", worker, note="已调解", now=T0 + timedelta(hours=3)).status == "resolved"
    detail = incident_detail(session, incident, worker)
    assert detail["photo_on_resolve"] is True and "resolve" in detail["note_required"]


def test_each_caller_is_offered_only_their_own_steps(session):
    incident = dispatched(session)
    worker = worker_of(incident)
    viewer = Principal(0, "v", Role.VIEWER, "533422", ALL)
    stranger = Principal(0, "x", Role.GRID_WORKER, incident.group_code, ALL, "W9999")
    assert incident_detail(session, incident, DESK)["actions"] == ["reassign", "escalate", "note"]
    assert incident_detail(session, incident, worker)["actions"] == ["accept", "resolve", "note"]
    assert incident_detail(session, incident, viewer)["actions"] == []
    assert incident_detail(session, incident, stranger)["actions"] == []
    incident = act(session, incident, "accept", worker)
    assert incident_detail(session, incident, worker)["actions"] == ["resolve", "note"]
    incident = act(session, incident, "resolve", worker)
    assert incident_detail(session, incident, worker)["actions"] == ["note"]
    assert incident_detail(session, incident, DESK)["actions"] == ["verify", "reopen", "note"]
    assert Status(incident.status) is Status.RESOLVED


def test_the_reporters_phone_is_shown_inside_the_jurisdiction(session):
    incident, _ = report(session, reporter_name="扎西", reporter_phone="13800001111")
    detail = incident_detail(session, incident, BENZILAN_DESK)  # Benzilan's desk: the case lies in Benzilan
    assert (detail["reporter_name"], detail["reporter_phone"]) == ("扎西", "13800001111")
    yanmen_desk = Principal(0, "yanmen-desk", Role.DISPATCHER, "533422203", ALL)
    with pytest.raises(NotFound):  # outside the jurisdiction the case, and so its reporter, is not there at all
        get_incident(session, yanmen_desk, incident.ticket)


def test_a_step_sent_again_under_its_key_is_taken_once(session):
    incident = dispatched(session)
    worker = worker_of(incident)
    seen = incident.version
    first = apply_action(session, worker, incident.ticket, "accept", version=seen, idempotency_key="k-accept", now=T0)
    again = apply_action(session, worker, incident.ticket, "accept", version=seen, idempotency_key="k-accept", now=T0)
    assert first.id == again.id and again.version == seen + 1
    accepts = session.scalars(
        select(IncidentEvent).where(IncidentEvent.incident_id == incident.id, IncidentEvent.action == "accept")
    ).all()
    assert len(accepts) == 1
    with pytest.raises(KeyReused):  # the same key for another step
        apply_action(session, worker, incident.ticket, "note", version=seen + 1, note="x", idempotency_key="k-accept")
    with pytest.raises(StaleVersion):  # without its key, the old version is a conflict, not a retry
        apply_action(session, worker, incident.ticket, "accept", version=seen, now=T0)


def test_a_photo_sent_again_under_its_key_is_kept_once(session):
    incident = dispatched(session)
    worker = worker_of(incident)
    first = add_attachment(session, worker, incident.ticket, "a.png", PNG, idempotency_key="k-photo", now=T0)
    again = add_attachment(session, worker, incident.ticket, "a.png", PNG, idempotency_key="k-photo", now=T0)
    assert first.id == again.id
    kept = session.scalars(select(IncidentAttachment).where(IncidentAttachment.incident_id == incident.id)).all()
    assert len(kept) == 1
    with pytest.raises(KeyReused):
        add_attachment(session, worker, incident.ticket, "a.png", PNG + b"\x01", idempotency_key="k-photo", now=T0)
