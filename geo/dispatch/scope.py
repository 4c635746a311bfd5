"""Which cases a principal may see: their jurisdiction and their nets, as one SQL condition."""

from __future__ import annotations

from sqlalchemy import (
    and_,
    or_,
    select,
)

from geo.accounts.models import Role
from geo.accounts.principal import Principal
from geo.dispatch.models import Incident, IncidentCoHandler
from geo.grid.models import GridWorker


def visible(principal: Principal, cases=Incident):
    """SQL condition: the incident lies in the caller's jurisdiction and one of their nets.

    A grid worker sees besides the cases of their nets sent to them off their grid's chain
    (``workflow``). A co-handler (协办) sees, of those, only the incidents their force member was added to.
    ``cases`` is ``Incident`` or an alias of it (a case's partner in ``geo.dispatch.cross_net``).
    """
    by_place_and_net = visible_by_place_and_net(principal, cases.group_code, cases.net)
    if by_place_and_net is not None:
        return by_place_and_net
    place = principal.scope(cases.group_code)
    if principal.worker_code is not None:
        place = or_(place, cases.assignee_id.in_(_worker_id(principal)))
    seen = and_(place, cases.net.in_(sorted(principal.nets)))
    if principal.role is not Role.CO_HANDLER:
        return seen
    co_handled = select(IncidentCoHandler.incident_id).where(IncidentCoHandler.member_id == principal.force_member_id)
    return and_(seen, cases.id.in_(co_handled))


def visible_by_place_and_net(principal: Principal, group_code, net):
    """``visible`` as a condition on any rows of cases with these columns, when place and net alone decide.

    None when they do not: a grid worker's or a co-handler's cases depend on the cases themselves
    (assignee, co-handlers), which summaries of many cases (``geo.evaluation.summary_models``) do not keep.
    """
    if principal.worker_code is not None or principal.role is Role.CO_HANDLER:
        return None
    return and_(principal.scope(group_code), net.in_(sorted(principal.nets)))


def _worker_id(principal: Principal):
    return select(GridWorker.id).where(GridWorker.code == principal.worker_code).scalar_subquery()


def require_case_change(principal: Principal, incident: Incident) -> None:
    """Refuse (403) a change to ``incident`` outside the caller's jurisdiction, unless it is assigned to them.

    A case sent off the chain lies outside its worker's grid; they still work it (``workflow``).
    """
    assigned = incident.assignee is not None and incident.assignee.code == principal.worker_code
    if not (assigned and principal.worker_code is not None):
        principal.require_change(incident.group_code)
