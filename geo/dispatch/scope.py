"""Which cases a principal may see: their jurisdiction and their nets, as one SQL condition."""

from __future__ import annotations

from sqlalchemy import (
    and_,
    select,
)

from geo.accounts.models import Role
from geo.accounts.principal import Principal
from geo.dispatch.models import Incident, IncidentCoHandler


def visible(principal: Principal):
    """SQL condition: the incident lies in the caller's jurisdiction and one of their nets.

    A co-handler (协办) sees, of those, only the incidents their force member was added to.
    """
    seen = and_(principal.scope(Incident.group_code), Incident.net.in_(sorted(principal.nets)))
    if principal.role is not Role.CO_HANDLER:
        return seen
    co_handled = select(IncidentCoHandler.incident_id).where(IncidentCoHandler.member_id == principal.force_member_id)
    return and_(seen, Incident.id.in_(co_handled))
