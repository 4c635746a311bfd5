"""The append-only audit trail: who changed what, when, from where, before and after."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from geo.core.models import AuditEvent

#: The actors of changes no account makes: the scheduler's jobs and the app's own rules (escalating an overdue
#: case, activating a due plan), and residents reporting and rating on the public pages. Neither can be an
#: account's username (``geo.accounts.users`` refuses them), so the audit page offers them beside the accounts.
SYSTEM_ACTOR = "system"
SCHEDULER_ACTOR = "scheduler"
PUBLIC_ACTOR = "public"
ACTORS_WITHOUT_ACCOUNT = (SYSTEM_ACTOR, SCHEDULER_ACTOR, PUBLIC_ACTOR)


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | int,
    before: dict | None = None,
    after: dict | None = None,
    address: str | None = None,
    county_code: str | None = None,
) -> None:
    """Append one event; it commits with the change it describes, or not at all.

    ``county_code``: the county of a subject that is gone by the time the event is written (a deletion);
    otherwise the database reads it from the subject (``AuditEvent``).
    """
    event = AuditEvent(
        actor=actor,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=before,
        after=after,
        address=address,
    )
    if county_code is not None:  # left unset, the insert leaves it to the trigger and reads back what it set
        event.county_code = county_code
    session.add(event)


def changes(before: dict | None, after: dict | None) -> list[tuple[str, object, object]]:
    """The fields an event changed, each with its value before and after (nested records by dotted name).

    A field that only one side holds is listed with None on the other (created or removed).
    """
    old, new = _flat(before or {}), _flat(after or {})
    return [
        (name, old.get(name), new.get(name))
        for name in sorted(old.keys() | new.keys())
        if old.get(name) != new.get(name)
    ]


def _flat(record: dict, prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat |= _flat(value, name + ".")
        else:
            flat[name] = value
    return flat


def audit_query(
    *,
    actor: str | None = None,
    action: str | None = None,
    entity: str | None = None,
    entity_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    readable: ColumnElement[bool] | None = None,
) -> Select:
    """Return a newest-first query of events matching every filter given.

    ``readable``: the condition on the events the caller may read (None: every event).
    """
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if readable is not None:
        query = query.where(readable)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if action:
        query = query.where(AuditEvent.action == action)
    if entity:
        query = query.where(AuditEvent.entity == entity)
    if entity_id:
        query = query.where(AuditEvent.entity_id == entity_id)
    if since:
        query = query.where(AuditEvent.at >= since)
    if until:
        query = query.where(AuditEvent.at < until)
    return query
