"""Routing through the grid: the worker a case goes to, and the deadline it must meet."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import (
    func,
    select,
)
from sqlalchemy.orm import Session

from geo.atlas.lookup import ChainLink, WorkerSummary
from geo.dispatch.models import IncidentCategory
from geo.dispatch.statuses import PRIORITY_FACTOR, Priority
from geo.grid.models import Grid, GridLevel, GridWorker, chain_codes


def deadline(category: IncidentCategory, priority: str, start: datetime) -> datetime:
    """When an incident dispatched at ``start`` is due."""
    return start + timedelta(hours=category.sla_hours * PRIORITY_FACTOR[Priority(priority)])


def on_chain(grid_code: str, group_code: str) -> bool:
    """Whether a worker of ``grid_code`` answers for a case at ``group_code``: its group or a grid above it.

    Routing keeps to the chain; a dispatcher may send a case off it, with a reason (``workflow``).
    """
    return grid_code in chain_codes(group_code)


def route_worker(session: Session, net: str, group_code: str, on: date, from_depth: int = 3) -> GridWorker | None:
    """Return who answers for ``net`` at ``group_code``: the group's worker, else up the chain.

    Starts at ``from_depth`` (3 = group, 2 = village, 1 = township, 0 = county) and
    passes over workers without the net or on leave that day.
    """
    codes = chain_codes(group_code)[: from_depth + 1]
    workers = session.scalars(
        select(GridWorker)
        .join(Grid, Grid.id == GridWorker.grid_id)
        .where(Grid.code.in_(codes), GridWorker.nets.contains([net]))
        .order_by(func.length(Grid.code).desc(), GridWorker.code)
    ).all()
    return next((w for w in workers if w.available_on(on)), None)


def route_in_chain(chain: list[ChainLink], net: str, on: date, lead_post: str = "") -> WorkerSummary | None:
    """``route_worker`` on a lookup's chain, which already holds each level's workers: no second query.

    With a ``lead_post`` (the category's duty list), the nearest worker of the net holding that post
    answers first; only when the chain has none on duty does the nearest worker of the net.
    """
    if lead_post:
        lead = _first_on_duty(chain, net, on, lead_post)
        if lead is not None:
            return lead
    return _first_on_duty(chain, net, on, None)


def _first_on_duty(chain: list[ChainLink], net: str, on: date, post: str | None) -> WorkerSummary | None:
    for link in reversed(chain):
        for worker in link.workers:  # ordered by code, as route_worker orders them
            if net in worker.nets and worker.available_on(on) and post in (None, worker.post):
                return worker
    return None


def depth_of(worker: GridWorker | None) -> int:
    if worker is None:
        return 3
    return GridLevel.of_code(worker.grid.code).depth
