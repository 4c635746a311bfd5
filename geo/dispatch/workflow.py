"""The work cycle: who may take which step of a case, and escalation of overdue cases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from geo.accounts.principal import AccessDenied, Principal
from geo.core.audit import SYSTEM_ACTOR, record
from geo.core.calendar import county_day
from geo.core.clock import now_utc
from geo.core.errors import GridError, InvalidInput
from geo.core.idempotency import IdempotencyKey, KeyReused
from geo.dispatch.actions import ACTIONS, Action
from geo.dispatch.intake import clean_text
from geo.dispatch.models import INCIDENT_CHANGE_SEQ, Incident, IncidentAttachment, IncidentEvent
from geo.dispatch.routing import deadline, depth_of, on_chain, route_worker
from geo.dispatch.scope import require_case_change
from geo.dispatch.statuses import RUNNING, Status
from geo.dispatch.views import get_incident, incident_detail
from geo.grid.models import Grid, GridWorker


class InvalidTransition(GridError):
    """The action does not apply to the incident's current status."""

    status = 422


class StaleVersion(GridError):
    """Someone changed the incident since the caller read it; ``details`` holds the current state."""

    status = 409


class PhotoRequired(GridError):
    """The case's category asks for a photo of the handling (处置前后照片) before it is resolved."""

    status = 422


def replayed_step(session: Session, incident: Incident, key: IdempotencyKey | None) -> dict | None:
    """The history ``data`` of the step sent under ``key`` if it was already taken on ``incident`` (a retry).

    The key and the fingerprint of the request are kept in the step's history row;
    KeyReused when the key was used for another request.
    """
    if key is None:
        return None
    earlier = session.scalar(
        select(IncidentEvent.data).where(
            IncidentEvent.incident_id == incident.id,
            IncidentEvent.actor == key.owner,
            IncidentEvent.data["key"].astext == key.key,
        )
    )
    if earlier is None:
        return None
    if earlier.get("fingerprint") != key.fingerprint:
        raise KeyReused(
            "Idempotency-Key {key} was already used for a different request; send a new key for a new request",
            field="Idempotency-Key",
            key=key.key,
        )
    return earlier


def keyed(data: dict, key: IdempotencyKey | None) -> dict:
    """A history row's ``data`` with the caller's key and fingerprint, so a retry is recognised."""
    return data | {"key": key.key, "fingerprint": key.fingerprint} if key else data


def touch(incident: Incident, now: datetime) -> None:
    incident.updated_at = now
    incident.change_seq = INCIDENT_CHANGE_SEQ.next_value()


def record_event(
    session: Session,
    incident: Incident,
    actor: str,
    action: str,
    before: str | None,
    now: datetime,
    note: str = "",
    data: dict | None = None,
    *,
    is_public: bool = False,
) -> None:
    session.add(
        IncidentEvent(
            incident_id=incident.id,
            at=now,
            actor=actor,
            action=action,
            from_status=before,
            to_status=incident.status,
            note=note,
            data=data,
            is_public=is_public,
        )
    )


def _worker_by_code(session: Session, principal: Principal, code: str) -> GridWorker:
    """The worker, if the caller may see them: one outside the jurisdiction or nets answers as if absent."""
    worker = session.scalar(
        select(GridWorker)
        .join(Grid, Grid.id == GridWorker.grid_id)
        .where(GridWorker.code == code, principal.scope(Grid.code))
    )
    if worker is None or not principal.sees_worker(worker.nets):
        raise InvalidInput("no grid worker {code!r}", field="worker", code=code[:20])
    return worker


def check_allowed(principal: Principal, step: Action, incident: Incident, doing: str) -> None:
    """The caller may take ``step`` (its capability), or they are the assigned worker and the step lets them."""
    is_assignee = (
        principal.worker_code is not None
        and incident.assignee is not None
        and incident.assignee.code == principal.worker_code
    )
    if not principal.can(step.needs) and not (step.assignee_may and is_assignee):
        raise AccessDenied("a {role} cannot {action} this incident", role=principal.role, action=doing)


def apply_action(
    session: Session,
    principal: Principal,
    ticket: str,
    action: str,
    *,
    version: int,
    note: str = "",
    worker: str | None = None,
    duplicate_of: str | None = None,
    public: bool = False,
    idempotency_key: str | None = None,
    address: str | None = None,
    now: datetime | None = None,
) -> Incident:
    """Apply one workflow ``action`` to ``ticket`` as ``principal``; audited from ``address``.

    ``note`` is internal unless ``public``: a public note is shown to the residents
    following the case (/track, Open311). Refusing, escalating, reassigning and
    resolving need a note (``Action.needs_note``); a refusal's is always public, as
    the reporter reads it. Dispatching may name the ``worker`` (else the routed one
    keeps it); dispatching or reassigning to a worker off the case's chain needs a
    note too, and is marked so in the history and the audit. Resolving a case whose category asks for it
    (``photo_on_resolve``) needs a photo attached since it was dispatched.

    A step sent again with the same ``idempotency_key`` (a phone replaying its
    outbox after a lost answer) is not taken twice: the incident is returned as it is.

    Raises InvalidTransition for an action the status does not allow, StaleVersion
    when ``version`` is not the incident's current one, AccessDenied when the
    caller's role (or, for a grid worker, assignment) does not allow it,
    InvalidInput for a missing note and PhotoRequired for a missing photo.
    """
    now = now or now_utc()
    step = ACTIONS.get(action)
    if step is None:
        raise InvalidInput(
            "unknown action {value!r}; one of {choices}", field="action", value=action[:30], choices=", ".join(ACTIONS)
        )
    incident = get_incident(session, principal, ticket)
    require_case_change(principal, incident)
    key = IdempotencyKey.of(
        principal.username,
        idempotency_key,
        {"action": action, "version": version, "note": note, "worker": worker, "duplicate_of": duplicate_of},
    )
    if replayed_step(session, incident, key) is not None:
        return incident
    if incident.version != version:
        raise StaleVersion(
            "incident {ticket} changed since you read it (version {version}, now {current})",
            details=incident_detail(session, incident, principal),
            ticket=ticket,
            version=version,
            current=incident.version,
        )
    check_allowed(principal, step, incident, action)
    before = incident.status
    if Status(before) not in step.sources:
        allowed = [name for name, a in ACTIONS.items() if Status(before) in a.sources]
        raise InvalidTransition(
            "cannot {action} an incident that is {status}; possible now: {allowed}",
            action=action,
            status=before,
            allowed=allowed,
        )
    note = clean_text(note, "note")
    if step.needs_note and not note.strip():
        raise InvalidInput("{action} needs a note saying why or what was done", field="note", action=action)
    if action == "resolve" and incident.category.photo_on_resolve and not _photo_since_dispatch(session, incident):
        raise PhotoRequired(
            "a {category} case needs a photo of the handling before it is resolved; attach one first",
            field="file",
            category=incident.category.name_zh,
        )
    data: dict = {}
    sent_to = None
    if action == "reassign" or (action == "dispatch" and worker):
        sent_to = _assignee(session, principal, incident, worker or "", note)
    audited_before = _audited_state(incident)
    if step.target is not None:
        incident.status = step.target.value
    if step.stamp:
        setattr(incident, step.stamp, now)
    if action in ("dispatch", "reopen"):
        incident.due_at = deadline(incident.category, incident.priority, now)
    if action == "reopen":
        incident.reopen_count += 1
        incident.resolved_at = incident.closed_at = None
    if action == "reject":
        public = True  # the reporter reads the reason
    if sent_to is not None:
        target, off_chain = sent_to
        data = {"from": incident.assignee.code if incident.assignee else None, "to": target.code}
        data |= {"off_chain": True} if off_chain else {}
        incident.assignee = target
    if action == "escalate":
        data = _escalate(session, incident, now)
    if action == "duplicate":
        original = get_incident(session, principal, duplicate_of or "")
        if original.id == incident.id:
            raise InvalidInput("an incident cannot duplicate itself", field="duplicate_of")
        incident.duplicate_of_id = original.id
        data = {"original": original.ticket}
    touch(incident, now)
    data = keyed(data, key)
    record_event(session, incident, principal.username, action, before, now, note, data or None, is_public=public)
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        if key is not None:  # two copies of one retried step racing: the other copy took it
            winner = get_incident(session, principal, ticket)
            if replayed_step(session, winner, key) is not None:
                return winner
        raise StaleVersion(
            "incident {ticket} was changed at the same moment; reload and try again", ticket=ticket
        ) from None
    _audit(session, principal.username, action, incident, audited_before, note, address, data.get("off_chain", False))
    return incident


def _assignee(
    session: Session, principal: Principal, incident: Incident, code: str, note: str
) -> tuple[GridWorker, bool]:
    """The worker ``code`` that ``incident`` may be sent to, and whether that is off its chain.

    The case goes to a worker of its net (a religious-net case only to one serving that net)
    inside the caller's jurisdiction. One of its chain answers for its place; anyone else is
    off the chain, which needs a ``note`` saying why (on leave, nearer, …).
    """
    target = _worker_by_code(session, principal, code)
    if incident.net not in target.nets:
        raise InvalidInput(
            "worker {code} does not serve the {net} net", field="worker", code=target.code, net=incident.net
        )
    target_grid = session.scalar(select(Grid.code).where(Grid.id == target.grid_id)) or ""
    off_chain = not on_chain(target_grid, incident.group_code)
    if off_chain and not note.strip():
        raise InvalidInput(
            "worker {code} does not answer for this place: say in the note why the case goes to them",
            field="note",
            code=target.code,
        )
    return target, off_chain


def _photo_since_dispatch(session: Session, incident: Incident) -> bool:
    """Whether a photo was attached to ``incident`` since it was dispatched (a photo of the handling)."""
    since = incident.dispatched_at or incident.reported_at
    return (
        session.scalar(
            select(IncidentAttachment.id)
            .where(IncidentAttachment.incident_id == incident.id, IncidentAttachment.at >= since)
            .limit(1)
        )
        is not None
    )


def _audited_state(incident: Incident) -> dict:
    """What the audit trail keeps of an incident before and after a step."""
    return {
        "status": incident.status,
        "assignee": incident.assignee.code if incident.assignee else None,
        "escalation_level": incident.escalation_level,
        "due_at": incident.due_at.isoformat() if incident.due_at else None,
        "reopen_count": incident.reopen_count,
        "version": incident.version,
    }


def _audit(
    session: Session,
    actor: str,
    action: str,
    incident: Incident,
    before: dict,
    note: str,
    address: str | None,
    off_chain: bool = False,
) -> None:
    after = _audited_state(incident) | ({"note": note} if note else {}) | ({"off_chain": True} if off_chain else {})
    record(
        session,
        actor=actor,
        action=f"incident.{action}",
        entity="incident",
        entity_id=incident.ticket,
        before=before,
        after=after,
        address=address,
    )


def _escalate(session: Session, incident: Incident, now: datetime) -> dict:
    """Hand the incident one level up the chain, with a fresh deadline."""
    depth = depth_of(incident.assignee)
    if depth == 0:
        raise InvalidTransition("the incident is already with the county")
    target = route_worker(session, incident.net, incident.group_code, county_day(now), from_depth=depth - 1)
    data = {"from": incident.assignee.code if incident.assignee else None, "to": target.code if target else None}
    incident.assignee = target
    incident.escalation_level = 3 - depth_of(target) if target else incident.escalation_level + 1
    incident.due_at = deadline(incident.category, incident.priority, now)
    return data


def escalate_overdue(session: Session, now: datetime | None = None) -> list[str]:
    """Escalate every running incident past its deadline one level up; return their tickets.

    Idempotent: an escalated incident gets a fresh deadline, so running this again
    at the same moment changes nothing. Incidents already with the county stay
    there, flagged overdue.
    """
    now = now or now_utc()
    overdue = session.scalars(
        select(Incident)
        .where(Incident.status.in_([s.value for s in RUNNING]), Incident.due_at < now)
        .order_by(Incident.id)
        .with_for_update(skip_locked=True)
    ).all()
    escalated = []
    for incident in overdue:
        if depth_of(incident.assignee) == 0:
            continue
        before = _audited_state(incident)
        data = _escalate(session, incident, now)
        touch(incident, now)
        record_event(session, incident, SYSTEM_ACTOR, "escalate", incident.status, now, "逾期自动升级 overdue", data)
        session.flush()  # the new version, for the audit trail
        _audit(session, SYSTEM_ACTOR, "escalate", incident, before, "逾期自动升级 overdue", None)
        escalated.append(incident.ticket)
    session.flush()
    return escalated
