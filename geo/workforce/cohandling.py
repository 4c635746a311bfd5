"""Co-handlers (协办): members of the grid's other forces working a case beside its grid worker.

The dispatcher adds them from the forces registered for the incident's grid or a
grid above it. A co-handler's account sees only the cases its member was added to
(``geo.dispatch.scope.visible``); its notes go into the incident's history, which
the dispatcher reads.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from geo.accounts.capabilities import Capability
from geo.accounts.principal import AccessDenied, Principal
from geo.core.audit import record
from geo.core.clock import now_utc
from geo.core.errors import InvalidInput, NotFound
from geo.dispatch.actions import ACTIONS
from geo.dispatch.intake import clean_text
from geo.dispatch.models import OPEN_INCIDENT, Incident, IncidentCoHandler
from geo.dispatch.statuses import FINISHED, Status
from geo.dispatch.views import IncidentFilter, filtered, get_incident, incident_detail, incident_summary
from geo.dispatch.workflow import InvalidTransition, StaleVersion, record_event, touch
from geo.grid.models import ForceMember, Grid


def co_handlers_of(session: Session, incident: Incident) -> list[dict]:
    """Who co-handles ``incident``: each member's code, kind, name and organisation (no contact data)."""
    rows = session.execute(
        select(ForceMember.code, ForceMember.kind, ForceMember.name, ForceMember.organisation, Grid.code)
        .join(IncidentCoHandler, IncidentCoHandler.member_id == ForceMember.id)
        .join(Grid, Grid.id == ForceMember.grid_id)
        .where(IncidentCoHandler.incident_id == incident.id)
        .order_by(IncidentCoHandler.id)
    ).all()
    return [
        {"code": code, "kind": kind, "name": name, "organisation": organisation, "grid_code": grid}
        for code, kind, name, organisation, grid in rows
    ]


def _member_for(session: Session, incident: Incident, code: str) -> ForceMember:
    """An active member registered for the incident's grid or one above it (its code is a prefix)."""
    member = session.scalar(
        select(ForceMember)
        .join(Grid, Grid.id == ForceMember.grid_id)
        .where(ForceMember.code == code, ForceMember.is_active)
    )
    if member is None or not incident.group_code.startswith(member.grid.code):
        raise InvalidInput(
            "{code!r} is not a force of the incident's grid {grid}",
            field="member",
            code=code[:20],
            grid=incident.group_code,
        )
    return member


def add_co_handler(
    session: Session,
    principal: Principal,
    ticket: str,
    member_code: str,
    *,
    address: str | None = None,
    now: datetime | None = None,
) -> Incident:
    """Add a force member of the incident's grid as co-handler (the desk's step); adding one twice changes nothing."""
    now = now or now_utc()
    principal.require(Capability.CASE_DESK)
    incident = get_incident(session, principal, ticket)
    principal.require_change(incident.group_code)
    if incident.status in {s.value for s in FINISHED}:
        raise InvalidTransition("cannot add a co-handler to an incident that is {status}", status=incident.status)
    member = _member_for(session, incident, member_code)
    added = session.execute(
        pg_insert(IncidentCoHandler)
        .values(incident_id=incident.id, member_id=member.id, added_by=principal.username, added_at=now)
        .on_conflict_do_nothing(index_elements=["incident_id", "member_id"])
        .returning(IncidentCoHandler.id)
    ).first()
    if added is None:
        return incident  # a retry, or someone added them a moment ago
    data = {"member": member.code, "kind": member.kind, "name": member.name}
    touch(incident, now)
    record_event(session, incident, principal.username, "co_handler_add", incident.status, now, "", data)
    session.flush()
    record(
        session,
        actor=principal.username,
        action="incident.co_handler_add",
        entity="incident",
        entity_id=incident.ticket,
        after=data,
        address=address,
    )
    return incident


def remove_co_handler(
    session: Session,
    principal: Principal,
    ticket: str,
    member_code: str,
    *,
    address: str | None = None,
    now: datetime | None = None,
) -> Incident:
    """Take a co-handler off the incident (the desk's step); their notes stay in the history."""
    now = now or now_utc()
    principal.require(Capability.CASE_DESK)
    incident = get_incident(session, principal, ticket)
    principal.require_change(incident.group_code)
    member_id = session.scalar(select(ForceMember.id).where(ForceMember.code == member_code))
    removed = session.scalar(
        delete(IncidentCoHandler)
        .where(IncidentCoHandler.incident_id == incident.id, IncidentCoHandler.member_id == member_id)
        .returning(IncidentCoHandler.id)
    )
    if removed is None:
        raise NotFound("{code!r} does not co-handle incident {ticket}", code=member_code[:20], ticket=ticket[:30])
    touch(incident, now)
    record_event(
        session, incident, principal.username, "co_handler_remove", incident.status, now, "", {"member": member_code}
    )
    session.flush()
    record(
        session,
        actor=principal.username,
        action="incident.co_handler_remove",
        entity="incident",
        entity_id=incident.ticket,
        before={"member": member_code},
        address=address,
    )
    return incident


def co_handled(session: Session, principal: Principal, now: datetime | None = None) -> list[dict]:
    """The co-handler's open cases, nearest deadline first (their phone page)."""
    principal.require(Capability.CASE_CO_HANDLE)
    now = now or now_utc()
    query = filtered(principal, IncidentFilter(), now).where(OPEN_INCIDENT).limit(200)
    incidents = [incident_summary(i, now) for i in session.scalars(query)]
    return sorted(incidents, key=lambda i: i["due_at"] or "9999")


def co_handler_note(
    session: Session,
    principal: Principal,
    ticket: str,
    note: str,
    *,
    version: int,
    address: str | None = None,
    now: datetime | None = None,
) -> Incident:
    """A co-handler's note on a case it co-handles, into the history the dispatcher reads; audited."""
    now = now or now_utc()
    principal.require(Capability.CASE_CO_HANDLE)
    if principal.force_member_id is None:
        raise AccessDenied("this account has no force member behind it")
    incident = get_incident(session, principal, ticket)  # only the cases this member co-handles
    principal.require_change(incident.group_code)
    if incident.version != version:
        raise StaleVersion(
            "incident {ticket} changed since you read it (version {version}, now {current})",
            details=incident_detail(session, incident, principal),
            ticket=ticket,
            version=version,
            current=incident.version,
        )
    if Status(incident.status) not in ACTIONS["note"].sources:
        raise InvalidTransition("cannot note an incident that is {status}", status=incident.status)
    text = clean_text(note, "note", required=True)
    member = session.get(ForceMember, principal.force_member_id)
    data = {"co_handler": member.code if member else None, "kind": member.kind if member else None}
    touch(incident, now)
    record_event(session, incident, principal.username, "note", incident.status, now, text, data)
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise StaleVersion(
            "incident {ticket} was changed at the same moment; reload and try again", ticket=ticket
        ) from None
    record(
        session,
        actor=principal.username,
        action="incident.co_handler_note",
        entity="incident",
        entity_id=incident.ticket,
        after={"note": text, **data},
        address=address,
    )
    return incident
