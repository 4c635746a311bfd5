"""Which grid workers a caller may see and change: the shared rule of profiles, training and points."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.accounts.principal import Principal
from geo.core.errors import NotFound
from geo.grid.models import Grid, GridWorker


def seen_workers(principal: Principal):
    """SQL condition: the worker's grid lies in the jurisdiction and they serve one of the caller's nets.

    A worker of the religious net alone is thus seen only by callers holding that net.
    """
    return principal.scope(Grid.code) & GridWorker.nets.overlap(sorted(principal.nets))


def visible_worker(session: Session, principal: Principal, code: str) -> GridWorker:
    """The worker ``code`` if the caller may see them (else NotFound, as if absent)."""
    worker = session.scalar(
        select(GridWorker)
        .join(Grid, Grid.id == GridWorker.grid_id)
        .where(GridWorker.code == code, seen_workers(principal))
    )
    if worker is None:
        raise NotFound("no grid worker {code!r} in your jurisdiction", code=str(code)[:20])
    return worker


def changeable_worker(session: Session, principal: Principal, code: str) -> GridWorker:
    """``visible_worker``, refused (403) unless the caller may change what belongs to the worker's grid."""
    worker = visible_worker(session, principal, code)
    principal.require_change(worker.grid.code)
    return worker
