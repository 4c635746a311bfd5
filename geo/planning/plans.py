"""Reading plans: a plan's draft, its summary, its map and what it touches."""

from __future__ import annotations

import shapely
from geoalchemy2.shape import to_shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.accounts.capabilities import Capability
from geo.accounts.principal import Principal
from geo.core.crs import area_m2
from geo.core.errors import GridError, NotFound
from geo.grid.boundaries import (
    valid_in,
)
from geo.grid.models import Grid, GridBoundary, GridLevel
from geo.planning.drafts import DraftGrid
from geo.planning.models import Plan, PlanStatus

EDITABLE = (PlanStatus.DRAFT, PlanStatus.REJECTED)
#: Area differences below this (m²) are noding noise, not a change (well under the sliver limit).
CHANGE_TOLERANCE_M2 = 100.0


class PlanStateError(GridError):
    """The plan is not in a state that allows this step."""

    status = 409


class StalePlan(GridError):
    """Someone changed the plan since the caller read it; ``details`` holds its current version."""

    status = 409


def _children_in(session: Session, parent_code: str, level: GridLevel, generation: int):
    return session.execute(
        select(Grid.code, Grid.name_zh, Grid.name_en, Grid.is_demo, GridBoundary.id, GridBoundary.geom)
        .join(GridBoundary, GridBoundary.grid_id == Grid.id)
        .where(
            GridBoundary.level == level.value,
            Grid.code.startswith(parent_code, autoescape=True),
            *valid_in(GridBoundary, generation),
        )
        .order_by(Grid.code)
    ).all()


def base_grids(session: Session, plan: Plan) -> dict[str, DraftGrid]:
    """The children of the plan's parent as they were in its base generation."""
    rows = _children_in(session, plan.parent_code, GridLevel(plan.child_level), plan.base_generation)
    return {r.code: DraftGrid(r.code, r.name_zh, r.name_en, to_shape(r.geom), r.is_demo) for r in rows}


def draft_of(plan: Plan) -> list[DraftGrid]:
    return [
        DraftGrid(g.code, g.name_zh, g.name_en, to_shape(g.geom), g.is_demo, tuple(g.new_workers or ()), g.branch)
        for g in plan.grids
    ]


def get_plan(session: Session, principal: Principal, plan_id: int) -> Plan:
    """The plan, if the caller plans and it lies in their jurisdiction (404 otherwise, like a missing one)."""
    principal.require(Capability.PLAN_EDIT)
    plan = session.get(Plan, plan_id)
    if plan is None or not principal.covers(plan.parent_code):
        raise NotFound("no plan {plan}", plan=plan_id)
    return plan


def list_plans(session: Session, principal: Principal) -> list[Plan]:
    principal.require(Capability.PLAN_EDIT)
    return list(
        session.scalars(select(Plan).where(principal.scope(Plan.parent_code)).order_by(Plan.id.desc()).limit(500))
    )


def may_edit(plan: Plan, principal: Principal) -> bool:
    """Whether ``principal`` may change the draft now: its owner, in their jurisdiction, while a draft or rejected."""
    return plan.owner == principal.username and plan.status in EDITABLE and principal.may_change(plan.parent_code)


def may_review(plan: Plan, principal: Principal) -> bool:
    """Whether ``principal`` may approve or reject the plan now: a reviewer other than its author, once submitted."""
    return (
        principal.can(Capability.PLAN_REVIEW)
        and plan.status == PlanStatus.SUBMITTED
        and plan.owner != principal.username
        and principal.may_change(plan.parent_code)
    )


def plan_summary(plan: Plan) -> dict:
    return {
        "id": plan.id,
        "title": plan.title,
        "reason": plan.reason,
        "parent_code": plan.parent_code,
        "child_level": plan.child_level,
        "owner": plan.owner,
        "status": plan.status,
        "version": plan.version,
        "base_generation": plan.base_generation,
        "generation": plan.generation_id,
        "reroute_open_incidents": plan.reroute_open_incidents,
        "created_at": plan.created_at.isoformat(),
        "updated_at": plan.updated_at.isoformat(),
        "submitted_at": plan.submitted_at.isoformat() if plan.submitted_at else None,
        "reviewed_by": plan.reviewed_by,
        "review_comment": plan.review_comment,
        "effective_from": plan.effective_from.isoformat() if plan.effective_from else None,
    }


def appointed_workers(grid: DraftGrid, principal: Principal) -> list[dict]:
    """The workers a draft grid appoints, as the caller may see them: no phones, only the caller's nets."""
    return [
        {"name": w.get("name", ""), "nets": principal.shown_nets(w.get("nets", []))}
        for w in grid.new_workers
        if principal.sees_worker(w.get("nets", []))
    ]


def draft_geojson(grids: list[DraftGrid], principal: Principal, base: dict[str, DraftGrid] | None = None) -> dict:
    """The draft as GeoJSON; with ``base``, each grid says whether it is new, changed or unchanged."""
    features = []
    for grid in grids:
        change = None
        if base is not None:
            before = base.get(grid.code)
            change = "new" if before is None else ("unchanged" if same_grid(before, grid) else "changed")
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": grid.code,
                    "name_zh": grid.name_zh,
                    "name_en": grid.name_en,
                    "is_demo": grid.is_demo,
                    "area_km2": round(km2(grid.geometry), 4),
                    "new_workers": appointed_workers(grid, principal),
                    "branch": grid.branch,
                    "change": change,
                },
                "geometry": shapely.geometry.mapping(grid.geometry),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def plan_bounds(plan: Plan) -> tuple[float, float, float, float]:
    """(west, south, east, north) of the plan's draft."""
    west, south, east, north = shapely.union_all([g.geometry for g in draft_of(plan)]).bounds
    return (west, south, east, north)


def km2(geometry: shapely.Geometry) -> float:
    return float(area_m2(geometry)) / 1e6


def same_grid(before: DraftGrid, after: DraftGrid) -> bool:
    return (
        before.name_zh == after.name_zh
        and before.name_en == after.name_en
        and not after.new_workers
        and after.branch == before.branch
        and _same_area(before.geometry, after.geometry)
    )


def _identical(before: shapely.Geometry, after: shapely.Geometry) -> bool:
    return bool(shapely.equals_exact(shapely.normalize(before), shapely.normalize(after), tolerance=0))


def _same_area(before: shapely.Geometry, after: shapely.Geometry) -> bool:
    # Noding a neighbour's edge adds a vertex millimetres off the old line: not a change a planner made.
    if _identical(before, after):
        return True
    return km2(shapely.symmetric_difference(before, after)) * 1e6 <= CHANGE_TOLERANCE_M2


def touched_codes(base: dict[str, DraftGrid], grids: list[DraftGrid]) -> set[str]:
    """Codes the plan adds, removes or changes."""
    draft = {g.code: g for g in grids}
    changed = {code for code, grid in draft.items() if code not in base or not same_grid(base[code], grid)}
    return changed | (set(base) - set(draft))
