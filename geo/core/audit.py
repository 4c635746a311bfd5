"""The append-only audit trail: who changed what, when, from where, before and after."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from geo.core.models import AuditEvent


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
) -> None:
    """Append one event; it commits with the change it describes, or not at all."""
    session.add(
        AuditEvent(
            actor=actor,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            before=before,
            after=after,
            address=address,
        )
    )


def audit_query(
    *,
    actor: str | None = None,
    action: str | None = None,
    entity: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select:
    """Return a newest-first query of events matching every filter given."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if action:
        query = query.where(AuditEvent.action == action)
    if entity:
        query = query.where(AuditEvent.entity == entity)
    if since:
        query = query.where(AuditEvent.at >= since)
    if until:
        query = query.where(AuditEvent.at < until)
    return query
