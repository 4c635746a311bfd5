"""The county's organisation as the paper describes it, computed from the atlas rather than quoted.

Grids per level, grid workers per level (4 / 13 / 49 / 479 = 545 county-wide),
villager groups with a standing party branch (479 of 480) and those whose
branch secretary is also the group's own grid worker and leader (一肩挑), all
within the caller's jurisdiction; workers serving none of the caller's nets are
not counted, as they are not shown.
"""

from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from geo.accounts.principal import Principal
from geo.grid.boundaries import generation_in_force, valid_in
from geo.grid.models import Grid, GridBoundary, GridLevel, GridWorker, PartyBranch


def organisation(session: Session, principal: Principal) -> dict:
    """Counts of the organisation under the caller's jurisdiction (see the module's docstring for each)."""
    in_force = exists().where(
        GridBoundary.grid_id == Grid.id, *valid_in(GridBoundary, generation_in_force().scalar_subquery())
    )
    grids = dict(
        session.execute(
            select(Grid.level, func.count()).where(principal.scope(Grid.code), in_force).group_by(Grid.level)
        ).all()
    )
    workers = dict(
        session.execute(
            select(Grid.level, func.count())
            .join(GridWorker, GridWorker.grid_id == Grid.id)
            .where(principal.scope(Grid.code), GridWorker.nets.overlap(sorted(principal.nets)))
            .group_by(Grid.level)
        ).all()
    )
    leader = exists().where(GridWorker.id == PartyBranch.secretary_id, GridWorker.grid_id == PartyBranch.grid_id)
    with_branch, secretary_leads = session.execute(
        select(func.count(), func.count().filter(leader))
        .select_from(PartyBranch)
        .join(Grid, Grid.id == PartyBranch.grid_id)
        .where(principal.scope(Grid.code), Grid.level == GridLevel.GROUP.value, in_force)
    ).one()
    ordered = [level.value for level in GridLevel]
    return {
        "grids": {level: grids.get(level, 0) for level in ordered},
        "workers": {level: workers.get(level, 0) for level in ordered},
        "grids_total": sum(grids.values()),
        "workers_total": sum(workers.values()),
        "groups": grids.get(GridLevel.GROUP.value, 0),
        "groups_with_branch": with_branch,
        "groups_secretary_leads": secretary_leads,
    }
