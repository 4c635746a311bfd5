"""Who a case can be dispatched or reassigned to: the picker's list, by the same rule as ``reassign``.

A case may go to a worker who serves its net and answers for its place: the grid workers of its
villager group and of the village, township and county above it (``workflow.apply_action``
refuses anyone else). Each comes with what a dispatcher weighs: how many open cases they carry,
whether they are on leave today (and until when), and how far their grid lies from the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo.accounts.principal import Principal
from geo.core.calendar import county_day
from geo.dispatch.models import OPEN_INCIDENT, Incident
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
        }


def candidates(session: Session, principal: Principal, ticket: str, now: datetime) -> list[Candidate]:
    """The workers ``ticket`` may go to, those at work today and nearest the case's own grid first."""
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
    rows = session.execute(
        select(GridWorker, Grid.code, Grid.name_zh, open_cases, distance)
        .join(Grid, Grid.id == GridWorker.grid_id)
        .where(Grid.code.in_(chain_codes(incident.group_code)), GridWorker.nets.contains([incident.net]))
    ).all()
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
        )
        for worker, grid_code, grid_name, count, metres in rows
        if principal.sees_worker(worker.nets)
    ]
    return sorted(found, key=lambda c: (not c.available, -len(c.grid_code), c.open_cases, c.code))
