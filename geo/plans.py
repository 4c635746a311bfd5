"""Boundary plans: a planner's draft generation, its review, and its activation.

A plan redraws the children of one grid (the groups of a village, or the
villages of a township). It starts as a copy of those children in the
generation in force (its ``base_generation``) and is edited with the
operations of ``geo.planning``. On approval the grids it changed get new
``GridBoundary`` rows in a new generation — untouched grids keep their rows,
as in MapIt — and open incidents in moved areas are re-routed.

Conflicts: a plan is stale when its parent's children changed after its base
generation, and two submitted plans clash when they change the same grids.
Either way the second to submit or activate is refused with the grid codes.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from geoalchemy2.shape import from_shape, to_shape
from sqlalchemy import func, insert, select, text, true, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from geo import planning
from geo.accounts import COUNTY_CODE, AccessDenied, Principal
from geo.audit import record
from geo.boundaries import (
    DISPLAY_TOLERANCE,
    BoundaryFeature,
    FieldNames,
    current_generation,
    lock_generations,
    new_generation,
    read_boundary_file,
    valid_in,
    write_lookup_parts,
)
from geo.calendar import county_day
from geo.crs import SourceCRS, parse_geometry, to_metric
from geo.errors import GridError, InvalidInput, NotFound
from geo.incidents import FINISHED, route_worker
from geo.limits import DEFAULT_MAX_VERTICES, geojson_vertex_count, require_vertices_within
from geo.models import (
    Generation,
    Grid,
    GridBoundary,
    GridLevel,
    GridLookupPart,
    GridWorker,
    Incident,
    PartyBranch,
    Plan,
    PlanGrid,
    PlanStatus,
    Role,
    SeasonalZone,
)
from geo.planning import DraftGrid, TilingError, ValidationReport
from geo.tiling import as_multipolygon
from geo.vector_files import DEFAULT_LIMITS, Limits
from geo.zones import visible_zones

PLANNING_ROLES = (Role.PLANNER, Role.ADMIN)
EDITABLE = (PlanStatus.DRAFT, PlanStatus.REJECTED)
#: Area differences below this (m²) are noding noise, not a change (well under the sliver limit).
CHANGE_TOLERANCE_M2 = 100.0
#: Incidents listed by name in an impact preview (all are counted).
IMPACT_LIST_LIMIT = 200


class PlanStateError(GridError):
    """The plan is not in a state that allows this step."""

    status = 409


class StalePlan(GridError):
    """Someone changed the plan since the caller read it; ``details`` holds its current version."""

    status = 409


class PlanConflict(GridError):
    """Another change touches the same grids; ``details`` names them."""

    status = 409


# --- reading -------------------------------------------------------------------------------------------


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
        DraftGrid(g.code, g.name_zh, g.name_en, to_shape(g.geom), g.is_demo, tuple(g.new_workers or ()))
        for g in plan.grids
    ]


def get_plan(session: Session, principal: Principal, plan_id: int) -> Plan:
    """The plan, if the caller plans and it lies in their jurisdiction (404 otherwise, like a missing one)."""
    principal.require_role(*PLANNING_ROLES)
    plan = session.get(Plan, plan_id)
    if plan is None or not principal.covers(plan.parent_code):
        raise NotFound(f"no plan {plan_id}")
    return plan


def list_plans(session: Session, principal: Principal) -> list[Plan]:
    principal.require_role(*PLANNING_ROLES)
    return list(
        session.scalars(select(Plan).where(principal.scope(Plan.parent_code)).order_by(Plan.id.desc()).limit(500))
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
            change = "new" if before is None else ("unchanged" if _same(before, grid) else "changed")
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": grid.code,
                    "name_zh": grid.name_zh,
                    "name_en": grid.name_en,
                    "is_demo": grid.is_demo,
                    "area_km2": round(_km2(grid.geometry), 4),
                    "new_workers": appointed_workers(grid, principal),
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


def _km2(geometry: shapely.Geometry) -> float:
    return float(shapely.area(to_metric(geometry))) / 1e6


def _same(before: DraftGrid, after: DraftGrid) -> bool:
    return (
        before.name_zh == after.name_zh
        and before.name_en == after.name_en
        and not after.new_workers
        and _same_area(before.geometry, after.geometry)
    )


def _identical(before: shapely.Geometry, after: shapely.Geometry) -> bool:
    return bool(shapely.equals_exact(shapely.normalize(before), shapely.normalize(after), tolerance=0))


def _same_area(before: shapely.Geometry, after: shapely.Geometry) -> bool:
    # Noding a neighbour's edge adds a vertex millimetres off the old line: not a change a planner made.
    if _identical(before, after):
        return True
    return _km2(shapely.symmetric_difference(before, after)) * 1e6 <= CHANGE_TOLERANCE_M2


def touched_codes(base: dict[str, DraftGrid], grids: list[DraftGrid]) -> set[str]:
    """Codes the plan adds, removes or changes."""
    draft = {g.code: g for g in grids}
    changed = {code for code, grid in draft.items() if code not in base or not _same(base[code], grid)}
    return changed | (set(base) - set(draft))


# --- creating and editing ------------------------------------------------------------------------------


def create_plan(
    session: Session,
    principal: Principal,
    parent_code: str,
    title: str,
    reason: str,
    now: datetime,
    *,
    address: str | None = None,
) -> Plan:
    """Start a plan as a copy of ``parent_code``'s children in the generation in force."""
    principal.require_role(*PLANNING_ROLES)
    if not title.strip():
        raise InvalidInput("give the plan a title", field="title")
    parent = session.scalar(select(Grid).where(Grid.code == parent_code))
    if parent is None or not principal.covers(parent_code):
        raise NotFound(f"no grid {parent_code}", field="parent_code")
    principal.require_change(parent_code)
    level = GridLevel(parent.level)
    if level is GridLevel.GROUP:
        raise InvalidInput("a villager group has no grids below it: plan its village instead", field="parent_code")
    generation = current_generation(session)
    if generation is None:
        raise InvalidInput("no boundaries are loaded yet", field="parent_code")
    child_level = list(GridLevel)[level.depth + 1]
    plan = Plan(
        title=title.strip(),
        reason=reason.strip(),
        parent_code=parent_code,
        child_level=child_level.value,
        owner=principal.username,
        status=PlanStatus.DRAFT.value,
        base_generation=generation,
        created_at=now,
        updated_at=now,
    )
    session.add(plan)
    for row in _children_in(session, parent_code, child_level, generation):
        plan.grids.append(
            PlanGrid(code=row.code, name_zh=row.name_zh, name_en=row.name_en, is_demo=row.is_demo, geom=row.geom)
        )
    session.flush()
    record(
        session,
        actor=principal.username,
        action="plan.create",
        entity="plan",
        entity_id=plan.id,
        after=plan_summary(plan),
        address=address,
    )
    return plan


def _check_version(plan: Plan, version: int) -> None:
    if plan.version != version:
        raise StalePlan(
            f"plan {plan.id} changed since you read it (version {version}, now {plan.version}); reload it",
            details=plan_summary(plan),
        )


def _owned_draft(plan: Plan, principal: Principal, version: int) -> None:
    principal.require_change(plan.parent_code)
    if plan.owner != principal.username:
        raise AccessDenied(f"only the plan's owner, {plan.owner}, can change it")
    if plan.status not in EDITABLE:
        raise PlanStateError(f"plan {plan.id} is {plan.status}; only drafts and rejected plans can be edited")
    _check_version(plan, version)


def _store(session: Session, plan: Plan, grids: list[DraftGrid], now: datetime) -> None:
    plan.grids.clear()
    session.flush()  # delete the old rows before inserting new ones with the same codes
    for grid in grids:
        plan.grids.append(
            PlanGrid(
                code=grid.code,
                name_zh=grid.name_zh,
                name_en=grid.name_en,
                is_demo=grid.is_demo,
                geom=from_shape(grid.geometry, srid=4326),
                new_workers=list(grid.new_workers),
            )
        )
    plan.status = PlanStatus.DRAFT.value
    _touch(plan, now)


def _touch(plan: Plan, now: datetime) -> None:
    # Always an UPDATE of the plan row, so its version moves even when only its grids changed.
    plan.updated_at = now
    flag_modified(plan, "updated_at")


def update_settings(
    session: Session,
    principal: Principal,
    plan_id: int,
    *,
    version: int,
    changes: dict,
    now: datetime,
    address: str | None = None,
) -> Plan:
    """Change a draft's title, reason or re-routing choice."""
    plan = get_plan(session, principal, plan_id)
    _owned_draft(plan, principal, version)
    before = {name: getattr(plan, name) for name in changes}
    if "title" in changes:
        if not changes["title"].strip():
            raise InvalidInput("give the plan a title", field="title")
        plan.title = changes["title"].strip()
    if "reason" in changes:
        plan.reason = changes["reason"].strip()
    if "reroute_open_incidents" in changes:
        plan.reroute_open_incidents = bool(changes["reroute_open_incidents"])
    _touch(plan, now)
    session.flush()
    record(
        session,
        actor=principal.username,
        action="plan.update",
        entity="plan",
        entity_id=plan.id,
        before=before,
        after=changes,
        address=address,
    )
    return plan


@dataclass(frozen=True)
class ValidationContext:
    """What a draft is checked against, read once per edit."""

    parent_geometry: shapely.Geometry
    children_below: dict[str, list[tuple[str, shapely.Geometry]]] | None
    nets_needed: set[str]
    nets_served: dict[str, set[str]]


def validation_context(session: Session, plan: Plan) -> ValidationContext:
    generation = current_generation(session)
    assert generation is not None  # a plan exists, so boundaries do
    parent_level = GridLevel.of_code(plan.parent_code)
    parent = _children_in(session, plan.parent_code, parent_level, generation)
    child_level = GridLevel(plan.child_level)
    children_below: dict[str, list[tuple[str, shapely.Geometry]]] | None = None
    if child_level is not GridLevel.GROUP:
        below = list(GridLevel)[child_level.depth + 1]
        grouped: dict[str, list[tuple[str, shapely.Geometry]]] = {}
        for row in _children_in(session, plan.parent_code, below, generation):
            grouped.setdefault(row.code[: child_level.code_length], []).append((row.code, to_shape(row.geom)))
        children_below = grouped
    served: dict[str, set[str]] = {}
    for code, nets in session.execute(
        select(Grid.code, GridWorker.nets)
        .join(GridWorker, GridWorker.grid_id == Grid.id)
        .where(Grid.level == child_level.value, Grid.code.startswith(plan.parent_code, autoescape=True))
    ):
        served.setdefault(code, set()).update(nets)
    return ValidationContext(
        parent_geometry=to_shape(parent[0].geom),
        children_below=children_below,
        # The nets every sibling is served in; a net only some have (religious sites) is not required.
        nets_needed=set.intersection(*served.values()) if served else set(),
        nets_served=served,
    )


def validate_plan(plan: Plan, grids: list[DraftGrid], context: ValidationContext, sliver_m2: float) -> ValidationReport:
    return planning.validate_draft(
        grids,
        parent_code=plan.parent_code,
        parent_geometry=context.parent_geometry,
        child_level=GridLevel(plan.child_level),
        children_below=context.children_below,
        nets_needed=context.nets_needed,
        nets_served=context.nets_served,
        sliver_m2=sliver_m2,
    )


def _need(arguments: dict, *names: str) -> list:
    missing = [name for name in names if arguments.get(name) in (None, "", [])]
    if missing:
        raise InvalidInput(f"this edit needs {', '.join(missing)}", field=missing[0])
    return [arguments[name] for name in names]


def _split(grids: list[DraftGrid], a: dict) -> list[DraftGrid]:
    code, geometry, new_code, name_zh = _need(a, "code", "geometry", "new_code", "name_zh")
    return planning.split_grid(grids, code, parse_geometry(geometry), new_code, name_zh, a.get("name_en") or "")


def _merge(grids: list[DraftGrid], a: dict) -> list[DraftGrid]:
    (codes,) = _need(a, "codes")
    return planning.merge_grids(grids, codes)


def _move(grids: list[DraftGrid], a: dict) -> list[DraftGrid]:
    code, target, geometry = _need(a, "code", "target", "geometry")
    return planning.move_area(grids, parse_geometry(geometry), code, target)


def _carve(grids: list[DraftGrid], a: dict) -> list[DraftGrid]:
    geometry, new_code, name_zh = _need(a, "geometry", "new_code", "name_zh")
    return planning.carve_grid(grids, parse_geometry(geometry), new_code, name_zh, a.get("name_en") or "")


def _reshape(grids: list[DraftGrid], a: dict) -> list[DraftGrid]:
    code, geometry = _need(a, "code", "geometry")
    return planning.reshape_grid(grids, code, parse_geometry(geometry))


def _rename(grids: list[DraftGrid], a: dict) -> list[DraftGrid]:
    (code,) = _need(a, "code")
    return planning.rename_grid(
        grids, code, new_code=a.get("new_code"), name_zh=a.get("name_zh"), name_en=a.get("name_en")
    )


def _appoint(grids: list[DraftGrid], a: dict) -> list[DraftGrid]:
    code, worker = _need(a, "code", "worker")
    return planning.appoint_worker(grids, code, worker)


def _clean(grids: list[DraftGrid], a: dict) -> list[DraftGrid]:
    (width,) = _need(a, "gap_width_m")
    return planning.clean_slivers(grids, width)


#: The edits a plan accepts, by the name the API uses.
OPERATIONS: dict[str, Callable[[list[DraftGrid], dict], list[DraftGrid]]] = {
    "split": _split,
    "merge": _merge,
    "move": _move,
    "carve": _carve,
    "reshape": _reshape,
    "rename": _rename,
    "appoint": _appoint,
    "clean": _clean,
}


@dataclass
class EditResult:
    plan: Plan
    grids: list[DraftGrid]
    report: ValidationReport
    saved: bool
    #: An audit event was written (always when saved; for a preview only of an uploaded file).
    audited: bool


def edit_plan(
    session: Session,
    principal: Principal,
    plan_id: int,
    *,
    version: int,
    operation: str,
    arguments: dict,
    preview: bool,
    sliver_m2: float,
    now: datetime,
    address: str | None = None,
    max_vertices: int = DEFAULT_MAX_VERTICES,
) -> EditResult:
    """Apply one edit; refuse it (TilingError) if it breaks the rules, or only show it with ``preview``.

    ``clean`` may follow a reshape in the same request: ``arguments["then_clean_m"]``
    cleans gaps of that width after the edit, so a drawn seam can be previewed cleaned.
    A drawn geometry of more than ``max_vertices`` is refused before any work is done on it.
    """
    plan = get_plan(session, principal, plan_id)
    _owned_draft(plan, principal, version)
    if operation not in OPERATIONS:
        raise InvalidInput(f"unknown operation {operation[:30]!r}; use one of {', '.join(OPERATIONS)}", field="op")
    if operation == "appoint":
        for net in (arguments.get("worker") or {}).get("nets", ()):
            principal.require_net(net)  # a planner appoints only to the nets they hold
    require_vertices_within(geojson_vertex_count(arguments.get("geometry")), max_vertices, "geometry")
    grids = OPERATIONS[operation](draft_of(plan), arguments)
    if arguments.get("then_clean_m"):
        grids = planning.clean_slivers(grids, arguments["then_clean_m"])
    return _finish_edit(session, principal, plan, grids, operation, preview, sliver_m2, now, address)


def _finish_edit(
    session: Session,
    principal: Principal,
    plan: Plan,
    grids: list[DraftGrid],
    operation: str,
    preview: bool,
    sliver_m2: float,
    now: datetime,
    address: str | None,
    audited: dict | None = None,
) -> EditResult:
    """Keep an edit that passes validation, or only show it; ``audited`` adds to its audit event."""
    report = validate_plan(plan, grids, validation_context(session, plan), sliver_m2)
    if report.errors and not preview:
        error = TilingError(report)
        error.details = {**report.as_dict(), "draft": draft_geojson(grids, principal)}
        raise error
    if not preview:
        _store(session, plan, grids, now)
        session.flush()
    # A file's preview is audited too: its contents came into the system, though the draft did not change.
    if not preview or operation == "upload":
        record(
            session,
            actor=principal.username,
            action=f"plan.{operation}" + ("_preview" if preview else ""),
            entity="plan",
            entity_id=plan.id,
            after={
                "grids": [g.code for g in grids],
                "version": plan.version,
                **({"problems": len(report.errors)} if preview else {}),
                **(audited or {}),
            },
            address=address,
        )
    return EditResult(plan, grids, report, saved=not preview, audited=not preview or operation == "upload")


def replace_from_file(
    session: Session,
    principal: Principal,
    plan_id: int,
    *,
    version: int,
    path: Path,
    layer: str | None,
    source_crs: SourceCRS | str,
    preview: bool,
    sliver_m2: float,
    now: datetime,
    address: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> EditResult:
    """Replace the whole draft by the grids of an uploaded file (GeoJSON, GeoPackage or zipped Shapefile).

    A preview keeps nothing but is audited all the same: the attempt is recorded,
    so the caller commits after a preview too.
    """
    plan = get_plan(session, principal, plan_id)
    _owned_draft(plan, principal, version)
    features = read_boundary_file(path, layer=layer, source_crs=source_crs, fields=FieldNames(), limits=limits)
    current = {g.code: g for g in draft_of(plan)}
    grids = [_from_feature(f, current.get(f.code)) for f in features]
    audited = {"file": path.name, "layer": layer}
    return _finish_edit(session, principal, plan, grids, "upload", preview, sliver_m2, now, address, audited)


def _from_feature(feature: BoundaryFeature, current: DraftGrid | None) -> DraftGrid:
    return DraftGrid(
        feature.code,
        feature.name_zh,
        feature.name_en,
        as_multipolygon(feature.geometry),
        feature.is_demo or bool(current and current.is_demo),
        current.new_workers if current else (),
    )


# --- impact --------------------------------------------------------------------------------------------


def impact(session: Session, principal: Principal, plan: Plan) -> dict:
    """What the plan changes: areas per grid; incidents, branches, workers, sites and seasonal zones changing grid."""
    base = base_grids(session, plan)
    grids = draft_of(plan)
    draft = {g.code: g for g in grids}
    area_rows = []
    for code in sorted(set(base) | set(draft)):
        before, after = base.get(code), draft.get(code)
        empty = shapely.MultiPolygon()
        old = before.geometry if before else empty
        new = after.geometry if after else empty
        status = (
            "new"
            if before is None
            else "removed"
            if after is None
            else ("unchanged" if _same(before, after) else "changed")
        )
        area_rows.append(
            {
                "code": code,
                "name_zh": (after or before).name_zh,  # type: ignore[union-attr]
                "status": status,
                "before_km2": round(_km2(old), 4) if before else 0.0,
                "after_km2": round(_km2(new), 4) if after else 0.0,
                "gained_km2": round(_km2(shapely.difference(new, old)), 4),
                "lost_km2": round(_km2(shapely.difference(old, new)), 4),
            }
        )
    moved_incidents = _incidents_changing_grid(session, principal, plan, grids)
    survivors = _survivors(base, grids)
    zones, sites = _seasonal_changes(session, principal, base, grids)
    return {
        "seasonal_zones": zones,
        "sites": sites,
        "grids": area_rows,
        "incidents": {"count": len(moved_incidents), "items": moved_incidents[:IMPACT_LIST_LIMIT]},
        "party_branches": _moving(session, PartyBranch, survivors, principal),
        "workers": _moving(session, GridWorker, survivors, principal)
        + [
            {"code": None, "name": w["name"], "from": None, "to": g.code, "new": True}
            for g in grids
            for w in appointed_workers(g, principal)
        ],
        "reroute_open_incidents": plan.reroute_open_incidents,
    }


def _incidents_changing_grid(session: Session, principal: Principal, plan: Plan, grids: list[DraftGrid]) -> list[dict]:
    length = GridLevel(plan.child_level).code_length
    rows = session.execute(
        select(
            Incident.ticket,
            Incident.title,
            Incident.group_code,
            func.ST_X(Incident.location),
            func.ST_Y(Incident.location),
        )
        .where(
            Incident.group_code.startswith(plan.parent_code, autoescape=True),
            Incident.status.not_in([s.value for s in FINISHED]),
            Incident.net.in_(sorted(principal.nets)),
        )
        .order_by(Incident.ticket)
    ).all()
    if not rows:
        return []
    landing = _landing(grids, [(r[3], r[4]) for r in rows])
    moved = []
    for row, new in zip(rows, landing, strict=True):
        old = row.group_code[:length]
        if new != old:
            moved.append({"ticket": row.ticket, "title": row.title, "from": old, "to": new})
    return moved


def _landing(grids: list[DraftGrid], lonlats: list[tuple[float, float]]) -> list[str | None]:
    """The code of the grid covering each point (None outside them all)."""
    tree = shapely.STRtree([g.geometry for g in grids])
    point_index, grid_index = tree.query(shapely.points(lonlats), predicate="covered_by")
    # A point on a shared edge is covered by two grids: the lower code wins, as in lookups.
    landing: list[str | None] = [None] * len(lonlats)
    for p, g in zip(point_index, grid_index, strict=True):
        code = grids[g].code
        current = landing[p]
        landing[p] = code if current is None else min(code, current)
    return landing


def _seasonal_changes(
    session: Session, principal: Principal, base: dict[str, DraftGrid], grids: list[DraftGrid]
) -> tuple[list[dict], list[dict]]:
    """Seasonal zones overlapping area that changes grid, and checkpoints/stations that change grid."""
    draft = {g.code: g for g in grids}
    changed = [
        shapely.symmetric_difference(base[c].geometry if c in base else shapely.MultiPolygon(), g.geometry)
        for c, g in draft.items()
        if c not in base or not _same(base[c], g)
    ]
    moved_area = shapely.union_all(changed) if changed else shapely.MultiPolygon()
    affected_zones: list[dict] = []
    moved_sites: list[dict] = []
    if moved_area.is_empty:
        return affected_zones, moved_sites
    for zone in session.scalars(select(SeasonalZone).where(visible_zones(principal))):
        outline = to_shape(zone.geom)
        if _km2(shapely.intersection(outline, moved_area)) * 1e6 > CHANGE_TOLERANCE_M2:
            affected_zones.append({"id": zone.id, "name": zone.name_zh})
        points = [(to_shape(s.geom).x, to_shape(s.geom).y) for s in zone.sites]
        if points:
            before = _landing(list(base.values()), points)
            after = _landing(grids, points)
            for site, old, new in zip(zone.sites, before, after, strict=True):
                if old != new and (old or new):
                    moved_sites.append({"name": site.name, "zone": zone.name_zh, "from": old, "to": new})
    return affected_zones, moved_sites


def _survivors(base: dict[str, DraftGrid], grids: list[DraftGrid]) -> dict[str, str]:
    """For each base grid the plan removes, the draft grid holding most of its old area."""
    survivors = {}
    draft_codes = {g.code for g in grids}
    for code, before in base.items():
        if code in draft_codes:
            continue
        overlaps = [(_km2(shapely.intersection(before.geometry, g.geometry)), g.code) for g in grids]
        survivors[code] = max(overlaps)[1]
    return survivors


def _moving(
    session: Session, model: type[PartyBranch] | type[GridWorker], survivors: dict[str, str], principal: Principal
) -> list[dict]:
    if not survivors:
        return []
    query = select(model.code, model.name, Grid.code).join(Grid, Grid.id == model.grid_id)
    if model is GridWorker:
        # Workers of nets the caller lacks (religious affairs) are not named, as everywhere else.
        query = query.where(GridWorker.nets.overlap(sorted(principal.nets)))
    rows = session.execute(query.where(Grid.code.in_(list(survivors)))).all()
    return [
        {"code": code, "name": name, "from": grid, "to": survivors[grid], "new": False} for code, name, grid in rows
    ]


# --- submission, review, activation --------------------------------------------------------------------


def conflicts(session: Session, plan: Plan) -> dict:
    """Grids changed since the plan's base generation, and submitted plans touching the same grids."""
    base = base_grids(session, plan)
    generation = current_generation(session)
    assert generation is not None
    now_rows = _children_in(session, plan.parent_code, GridLevel(plan.child_level), generation)
    base_rows = _children_in(session, plan.parent_code, GridLevel(plan.child_level), plan.base_generation)
    changed_since = sorted({(r.code, r.id) for r in now_rows} ^ {(r.code, r.id) for r in base_rows})
    mine = touched_codes(base, draft_of(plan))
    clashing = []
    others = session.scalars(
        select(Plan).where(
            Plan.id != plan.id,
            Plan.status.in_([PlanStatus.SUBMITTED.value, PlanStatus.SCHEDULED.value]),
            Plan.parent_code == plan.parent_code,
        )
    )
    for other in others:
        shared = sorted(mine & touched_codes(base_grids(session, other), draft_of(other)))
        if shared:
            clashing.append({"plan": other.id, "title": other.title, "owner": other.owner, "grids": shared})
    return {"changed_since_base": sorted({code for code, _ in changed_since}), "plans": clashing}


def _refuse_conflicts(session: Session, plan: Plan) -> None:
    found = conflicts(session, plan)
    messages = []
    if found["changed_since_base"]:
        messages.append(
            f"grids {', '.join(found['changed_since_base'])} changed after this plan was started; start a new plan"
        )
    for other in found["plans"]:
        messages.append(f"plan {other['plan']} ({other['owner']}) also changes {', '.join(other['grids'])}")
    if messages:
        raise PlanConflict("; ".join(messages), details=found)


def submit_plan(
    session: Session,
    principal: Principal,
    plan_id: int,
    *,
    version: int,
    sliver_m2: float,
    now: datetime,
    address: str | None = None,
) -> Plan:
    """Send a valid, complete, conflict-free draft for approval."""
    plan = get_plan(session, principal, plan_id)
    _owned_draft(plan, principal, version)
    grids = draft_of(plan)
    if not touched_codes(base_grids(session, plan), grids):
        raise InvalidInput("the plan changes nothing yet", field="plan")
    report = validate_plan(plan, grids, validation_context(session, plan), sliver_m2)
    if not report.ok:
        error = TilingError(report)
        error.message = "the plan cannot be submitted: " + "; ".join(
            p.message for p in (report.errors + report.todo)[:3]
        )
        error.args = (error.message,)
        raise error
    _refuse_conflicts(session, plan)
    plan.status = PlanStatus.SUBMITTED.value
    plan.submitted_at = now
    plan.updated_at = now
    session.flush()
    record(
        session,
        actor=principal.username,
        action="plan.submit",
        entity="plan",
        entity_id=plan.id,
        after=plan_summary(plan),
        address=address,
    )
    return plan


@dataclass(frozen=True)
class Activation:
    generation: int
    rerouted: int
    branches_left: list[str]


def review_plan(
    session: Session,
    principal: Principal,
    plan_id: int,
    *,
    version: int,
    approve: bool,
    comment: str,
    effective_from: date | None,
    today: date,
    now: datetime,
    address: str | None = None,
) -> Activation | None:
    """Approve (activating now, or on ``effective_from``) or reject a submitted plan.

    One review or activation at a time: a second one waits, then sees what the first did.
    """
    lock_generations(session)
    plan = get_plan(session, principal, plan_id)
    before = plan_summary(plan)
    principal.require_role(Role.ADMIN)
    principal.require_change(plan.parent_code)
    if plan.owner == principal.username:
        raise AccessDenied("a plan is reviewed by someone other than its author")
    if plan.status != PlanStatus.SUBMITTED:
        raise PlanStateError(f"plan {plan.id} is {plan.status}; only submitted plans are reviewed")
    _check_version(plan, version)
    plan.reviewed_by = principal.username
    plan.reviewed_at = now
    plan.review_comment = comment.strip()
    plan.updated_at = now
    activation = None
    if not approve:
        if not comment.strip():
            raise InvalidInput("say why the plan is rejected", field="comment")
        plan.status = PlanStatus.REJECTED.value
    else:
        effective_from = effective_from or today
        if effective_from < today:
            raise InvalidInput(
                f"effective date {effective_from} is in the past; choose {today} or later", field="effective_from"
            )
        plan.effective_from = effective_from
        plan.status = PlanStatus.SCHEDULED.value
        if effective_from == today:
            activation = activate_plan(session, plan, actor=principal.username, now=now, address=address)
    session.flush()
    record(
        session,
        actor=principal.username,
        action="plan.approve" if approve else "plan.reject",
        entity="plan",
        entity_id=plan.id,
        before=before,
        after=plan_summary(plan),
        address=address,
    )
    return activation


def activate_due_plans(session: Session, today: date, now: datetime) -> list[tuple[int, Activation]]:
    """Activate every scheduled plan whose day has come (for cron; running it twice does nothing more)."""
    lock_generations(session)
    due = session.scalars(
        select(Plan).where(Plan.status == PlanStatus.SCHEDULED.value, Plan.effective_from <= today).order_by(Plan.id)
    ).all()
    return [(plan.id, activate_plan(session, plan, actor=plan.reviewed_by or "system", now=now)) for plan in due]


def activate_plan(session: Session, plan: Plan, *, actor: str, now: datetime, address: str | None = None) -> Activation:
    """Put the plan's grids in force in a new generation; re-route open incidents if the plan says so.

    Under the generation lock, so the conflicts checked and the rows closed are those of the generation in force.
    """
    lock_generations(session)
    _refuse_conflicts(session, plan)
    base = base_grids(session, plan)
    grids = draft_of(plan)
    touched = touched_codes(base, grids)
    level = GridLevel(plan.child_level)
    # Read under the lock: the generation in force is the one this one follows, whoever activated it a moment ago.
    previous = current_generation(session)
    generation = new_generation(
        session, f"plan {plan.id}: {plan.title}", effective_from=plan.effective_from, activated_by=actor
    )

    # Besides the changed grids, neighbours whose shared edge was noded are rewritten too,
    # so the stored outlines keep matching vertex for vertex.
    written = [g for g in grids if g.code in touched or not _identical(base[g.code].geometry, g.geometry)]
    rewritten = {g.code for g in written} | touched
    closing = (
        select(GridBoundary.id)
        .join(Grid, Grid.id == GridBoundary.grid_id)
        .where(
            Grid.code.in_(sorted(rewritten)), GridBoundary.level == level.value, GridBoundary.generation_high.is_(None)
        )
    )
    closed_ids = list(session.scalars(closing))
    session.execute(update(GridBoundary).where(GridBoundary.id.in_(closed_ids)).values(generation_high=previous))
    session.execute(
        update(GridLookupPart).where(GridLookupPart.boundary_id.in_(closed_ids)).values(generation_high=previous)
    )

    parent_id = session.scalar(select(Grid.id).where(Grid.code == plan.parent_code))
    known = {g.code: g for g in session.scalars(select(Grid).where(Grid.code.in_([g.code for g in written])))}
    for grid in written:
        row = known.get(grid.code) or Grid(code=grid.code, level=level.value)
        row.name_zh, row.name_en, row.is_demo, row.parent_id = grid.name_zh, grid.name_en, grid.is_demo, parent_id
        session.add(row)
        known[grid.code] = row
    session.flush()
    # Display outlines: simplified together with the unchanged siblings so shared edges stay shared;
    # the parent's outer edge is kept as is because the neighbours outside were simplified without us.
    display = shapely.coverage_simplify(
        np.array([g.geometry for g in grids], dtype=object), DISPLAY_TOLERANCE[level], simplify_boundary=False
    )
    shown = {g.code: d for g, d in zip(grids, display, strict=True)}
    if written:
        session.execute(
            insert(GridBoundary),
            [
                {
                    "grid_id": known[g.code].id,
                    "level": level.value,
                    "generation_low": generation.id,
                    "area_km2": _km2(g.geometry),
                    "geom": from_shape(g.geometry, srid=4326),
                    "geom_display": from_shape(as_multipolygon(shown[g.code]), srid=4326),
                }
                for g in written
            ],
        )
    if level is GridLevel.GROUP:
        write_lookup_parts(session, generation.id)

    branches_left = _move_staff(session, base, grids, known)
    rerouted = 0
    if plan.reroute_open_incidents and level is GridLevel.GROUP:
        rerouted = reroute_open_incidents(
            session, plan.parent_code, generation.id, actor=actor, note=f"plan {plan.id}: {plan.title}", now=now
        )
    plan.status = PlanStatus.ACTIVE.value
    plan.generation_id = generation.id
    plan.updated_at = now
    session.flush()
    record(
        session,
        actor=actor,
        action="plan.activate",
        entity="plan",
        entity_id=plan.id,
        after={"generation": generation.id, "grids": sorted(touched), "rerouted": rerouted},
        address=address,
    )
    return Activation(generation.id, rerouted, branches_left)


def _move_staff(
    session: Session, base: dict[str, DraftGrid], grids: list[DraftGrid], known: dict[str, Grid]
) -> list[str]:
    """Workers and branches of removed grids go to the grid that took most of the area; new workers are appointed.

    Returns the party branches left on a retired grid because the receiving grid already has one.
    """
    survivors = _survivors(base, grids)
    ids = dict(
        session.execute(select(Grid.code, Grid.id).where(Grid.code.in_([*survivors, *survivors.values()]))).all()
    )
    left: list[str] = []
    for old, new in survivors.items():
        session.execute(update(GridWorker).where(GridWorker.grid_id == ids[old]).values(grid_id=ids[new]))
        has_branch = session.scalar(select(func.count()).where(PartyBranch.grid_id == ids[new]))
        if has_branch:
            left.extend(session.scalars(select(PartyBranch.code).where(PartyBranch.grid_id == ids[old])))
        else:
            session.execute(update(PartyBranch).where(PartyBranch.grid_id == ids[old]).values(grid_id=ids[new]))
    appointments = [(g, w) for g in grids for w in g.new_workers]
    if appointments:
        numbers = session.scalars(select(GridWorker.code).where(GridWorker.code.regexp_match(r"^W[0-9]+$")))
        next_number = max((int(c[1:]) for c in numbers), default=0) + 1
        for offset, (grid, worker) in enumerate(appointments):
            session.add(
                GridWorker(
                    code=f"W{next_number + offset:04d}",
                    name=worker["name"],
                    phone=worker.get("phone", ""),
                    post=worker.get("post", "网格员"),
                    grid_id=known[grid.code].id,
                    nets=list(worker["nets"]),
                    is_demo=grid.is_demo,
                )
            )
    session.flush()
    return left


def reroute_open_incidents(
    session: Session, parent_code: str, generation: int, *, actor: str, note: str, now: datetime
) -> int:
    """Move open incidents under ``parent_code`` to the group covering them in ``generation``; return how many."""
    hit = (
        select(GridLookupPart.code, GridLookupPart.grid_id)
        .where(func.ST_Covers(GridLookupPart.geom, Incident.location), *valid_in(GridLookupPart, generation))
        .order_by(GridLookupPart.code)
        .limit(1)
        .lateral("hit")
    )
    moves = session.execute(
        select(Incident.id, Incident.net, Incident.group_code, Incident.assignee_id, hit.c.code, hit.c.grid_id)
        .join(hit, true())
        .where(
            Incident.group_code.startswith(parent_code, autoescape=True),
            Incident.status.not_in([s.value for s in FINISHED]),
            hit.c.code != Incident.group_code,
        )
    ).all()
    if not moves:
        return 0
    today = county_day(now)
    assignee: dict[tuple[str, str], int | None] = {}
    for move in moves:
        key = (move.net, move.code)
        if key not in assignee:
            worker = route_worker(session, move.net, move.code, today)
            assignee[key] = worker.id if worker else None
    columns = {
        "ids": [m.id for m in moves],
        "old_codes": [m.group_code for m in moves],
        "codes": [m.code for m in moves],
        "grid_ids": [m.grid_id for m in moves],
        "old_assignees": [m.assignee_id for m in moves],
        "assignees": [assignee[(m.net, m.code)] for m in moves],
    }
    # One statement each for thousands of incidents, fed by arrays: the ORM would
    # issue one versioned UPDATE (and one INSERT) per incident.
    moved = (
        "unnest(CAST(:ids AS integer[]), CAST(:old_codes AS text[]), CAST(:codes AS text[]), "
        "CAST(:grid_ids AS integer[]), CAST(:old_assignees AS integer[]), CAST(:assignees AS integer[])) "
        "AS m(id, old_code, code, grid_id, old_assignee, assignee)"
    )
    session.execute(
        text(
            "INSERT INTO incident_event (incident_id, at, actor, action, from_status, to_status, note, data) "
            "SELECT m.id, :now, :actor, 'reroute', i.status, i.status, :note, "
            "json_build_object('from_group', m.old_code, 'to_group', m.code, 'generation', :generation) "
            f"FROM {moved} JOIN incident i ON i.id = m.id"
        ),
        {**columns, "now": now, "actor": actor, "note": note, "generation": generation},
    )
    session.execute(
        text(
            "UPDATE incident SET group_code = m.code, group_id = m.grid_id, assignee_id = m.assignee, "
            "generation = :generation, version = version + 1, change_seq = nextval('incident_change_seq'), "
            f"updated_at = :now FROM {moved} WHERE incident.id = m.id"
        ),
        {**columns, "now": now, "generation": generation},
    )
    session.expire_all()
    return len(moves)


# --- export --------------------------------------------------------------------------------------------

EXPORT_FORMATS = {"geojson": ("GeoJSON", "application/geo+json"), "gpkg": ("GPKG", "application/geopackage+sqlite3")}


def _generation_area():
    """SQL: the grid a generation redrew, the parent of the plan that made it, or the county for an import."""
    return func.coalesce(Plan.parent_code, COUNTY_CODE)


def _visible_generations(principal: Principal):
    """Activated generations redrawing the caller's jurisdiction, a part of it, or a grid holding it."""
    area = _generation_area()
    return (
        select(Generation, Plan.id)
        .outerjoin(Plan, Plan.generation_id == Generation.id)
        .where(Generation.activated_at.is_not(None), principal.scope(area) | principal.above(area))
    )


def get_generation(session: Session, principal: Principal, generation_id: int) -> Generation:
    """The generation, if the caller plans and it concerns their jurisdiction (404 otherwise, like a missing one)."""
    principal.require_role(*PLANNING_ROLES)
    row = session.execute(_visible_generations(principal).where(Generation.id == generation_id)).first()
    if row is None:
        raise NotFound("no generation {generation}", generation=generation_id)
    return row[0]


def generation_frame(session: Session, generation: int, level: GridLevel, principal: Principal) -> gpd.GeoDataFrame:
    """The outlines of ``level`` in ``generation`` inside the caller's jurisdiction (a township exports its part)."""
    rows = session.execute(
        select(Grid.code, Grid.name_zh, Grid.name_en, Grid.is_demo, GridBoundary.geom)
        .join(GridBoundary, GridBoundary.grid_id == Grid.id)
        .where(GridBoundary.level == level.value, *valid_in(GridBoundary, generation), principal.scope(Grid.code))
        .order_by(Grid.code)
    ).all()
    return _frame([DraftGrid(r.code, r.name_zh, r.name_en, to_shape(r.geom), r.is_demo) for r in rows], level)


def plan_frame(plan: Plan) -> gpd.GeoDataFrame:
    return _frame(draft_of(plan), GridLevel(plan.child_level))


def _frame(grids: list[DraftGrid], level: GridLevel) -> gpd.GeoDataFrame:
    parent_length = level.parent.code_length if level.parent else 0
    return gpd.GeoDataFrame(
        {
            "code": [g.code for g in grids],
            "name_zh": [g.name_zh for g in grids],
            "name_en": [g.name_en for g in grids],
            "parent_code": [g.code[:parent_length] or None for g in grids],
            "level": [level.value] * len(grids),
            "demo": [g.is_demo for g in grids],
        },
        geometry=[g.geometry for g in grids],
        crs="EPSG:4326",
    )


def export_bytes(frames: dict[str, gpd.GeoDataFrame], file_format: str) -> bytes:
    """Write one layer per frame (GeoPackage) or the single frame (GeoJSON) and return the file's bytes."""
    driver, _ = EXPORT_FORMATS[file_format]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"export.{file_format}"
        for layer, frame in frames.items():
            if driver == "GeoJSON":
                # GeoJSON holds one layer and must be written whole (pyogrio cannot append to it).
                path.write_text(json.dumps(json.loads(frame.to_json(drop_id=True)), ensure_ascii=False))
                break
            frame.to_file(path, layer=layer, driver=driver, engine="pyogrio")
        return path.read_bytes()


def generation_history(session: Session, principal: Principal) -> list[dict]:
    """Activated generations concerning the caller's jurisdiction: when, from when, by whom, why, from which plan."""
    principal.require_role(*PLANNING_ROLES)
    rows = session.execute(_visible_generations(principal).order_by(Generation.id.desc()))
    return [
        {
            "id": g.id,
            "description": g.description,
            "activated_at": g.activated_at.isoformat() if g.activated_at else None,
            "effective_from": g.effective_from.isoformat(),
            "activated_by": g.activated_by,
            "plan": plan_id,
        }
        for g, plan_id in rows
    ]
