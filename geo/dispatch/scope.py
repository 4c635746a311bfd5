"""Which cases a principal may see: their jurisdiction and their nets, as one SQL condition."""

from __future__ import annotations

from sqlalchemy import (
    and_,
)

from geo.accounts.principal import Principal
from geo.dispatch.models import Incident


def visible(principal: Principal):
    """SQL condition: the incident lies in the caller's jurisdiction and one of their nets."""
    return and_(principal.scope(Incident.group_code), Incident.net.in_(sorted(principal.nets)))
