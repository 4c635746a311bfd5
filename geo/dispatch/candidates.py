"""Who a case can be dispatched or reassigned to: the picker's list, by the same rule as ``reassign``.

A case goes to a worker who serves its net, in two groups: those who answer for its place (the
grid workers of its villager group and of the village, township and county above it, ``on_chain``)
and, with a reason (``workflow.apply_action`` asks for a note), the other workers of the net in
the dispatcher's jurisdiction, nearest first. Each comes with what a dispatcher weighs: how many
open cases they carry, whether they are on leave today (and until when), and how far their grid
lies from the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo.accounts.principal import Principal
from geo.core.calendar import county_day
from geo.dispatch.models import OPEN_INCIDENT, Incident
from geo.dispatch.routing import on_chain
from geo.dispatch.views import get_incident
from geo.grid.boundaries import current_generation, valid_in
from geo.grid.models import Grid, GridBoundary, GridLevel, GridWorker, chain_codes


@dataclass(frozen=True)
class Candidate:
    code: str
    name: str
    post: str
    grid_code: str
    grid_name: str
    level: str
    open_cases: int
    available: bool
    away_until: date | None
    distance_m: float | None
    assigned: bool  # the case's worker now
    on_chain: bool  # answers for the case's place; anyone else needs a reason

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "post": self.post,
            "grid_code": self.grid_code,
            "grid_name": self.grid_name,
            "level": self.level,
            "open_cases": self.open_cases,
            "available": self.available,
            "away_until": self.away_until.isoformat() if self.away_until else None,
            "distance_m": round(self.distance_m) if self.distance_m is not None else None,
            "assigned": self.assigned,
            "on_chain": self.on_chain,
        }


#: The other workers of the jurisdiction the picker offers, nearest first (a county holds hundreds).
OFF_CHAIN_SHOWN = 20


def candidates(session: Session, principal: Principal, ticket: str, now: datetime) -> list[Candidate]:
    """The workers ``ticket`` may go to: its chain's, those at work today and nearest the case's own grid first;
    then the ``OFF_CHAIN_SHOWN`` others of the caller's jurisdiction nearest the case, those at work first."""
    incident = get_incident(session, principal, ticket)
    generation = current_generation(session)
    today = county_day(now)
    grid_point = (
        select(func.ST_PointOnSurface(GridBoundary.geom))
        .where(GridBoundary.grid_id == Grid.id, *valid_in(GridBoundary, generation or 0))
        .correlate(Grid)
        .scalar_subquery()
    )
    open_cases = (
        select(func.count())
        .select_from(Incident)
        .where(Incident.assignee_id == GridWorker.id, OPEN_INCIDENT)
        .correlate(GridWorker)
        .scalar_subquery()
    )
    place = select(Incident.location).where(Incident.id == incident.id).scalar_subquery()
    distance = func.ST_Distance(func.Geography(grid_point), func.Geography(place))
    chain = chain_codes(incident.group_code)
    workers = (
        select(GridWorker, Grid.code, Grid.name_zh, open_cases, distance)
        .join(Grid, Grid.id == GridWorker.grid_id)
        .where(GridWorker.nets.contains([incident.net]))
    )
    rows = [
        *session.execute(workers.where(Grid.code.in_(chain))),
        *session.execute(
            workers.where(principal.scope(Grid.code), Grid.code.not_in(chain))
            .order_by(distance.asc().nulls_last(), GridWorker.code)
            .limit(OFF_CHAIN_SHOWN)
        ),
    ]
    found = [
        Candidate(
            code=worker.code,
            name=worker.name,
            post=worker.post,
            grid_code=grid_code,
            grid_name=grid_name,
            level=GridLevel.of_code(grid_code).value,
            open_cases=count or 0,
            available=worker.available_on(today),
            away_until=worker.unavailable_until if not worker.available_on(today) else None,
            distance_m=metres,
            assigned=worker.id == incident.assignee_id,
            on_chain=on_chain(grid_code, incident.group_code),
        )
        for worker, grid_code, grid_name, count, metres in rows
        if principal.sees_worker(worker.nets)
    ]
    return sorted(
        found,
        key=lambda c: (
            not c.on_chain,
            not c.available,
            -len(c.grid_code) if c.on_chain else 0,
            c.open_cases if c.on_chain else 0,
            c.distance_m if c.distance_m is not None else float("inf"),
            c.code,
        ),
    )
