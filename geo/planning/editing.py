"""Creating and editing a plan's draft, each edit validated before it is stored."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import shapely
from geoalchemy2.shape import from_shape, to_shape
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from geo.accounts.capabilities import Capability
from geo.accounts.principal import AccessDenied, Principal
from geo.core.audit import record
from geo.core.crs import SourceCRS, parse_geometry
from geo.core.errors import InvalidInput, NotFound
from geo.core.limits import DEFAULT_MAX_VERTICES, geojson_vertex_count, require_vertices_within
from geo.grid.boundaries import (
    BoundaryFeature,
    FieldNames,
    current_generation,
    read_boundary_file,
)
from geo.grid.models import Grid, GridLevel, GridWorker
from geo.grid.tiling import as_multipolygon
from geo.grid.vector_files import DEFAULT_LIMITS, Limits
from geo.planning import drafts as planning
from geo.planning.drafts import DraftGrid, TilingError, ValidationReport
from geo.planning.models import Plan, PlanGrid, PlanStatus
from geo.planning.plans import (
    EDITABLE,
    PlanStateError,
    StalePlan,
    _children_in,
    draft_geojson,
    draft_of,
    get_plan,
    plan_summary,
)


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
    principal.require(Capability.PLAN_EDIT)
    if not title.strip():
        raise InvalidInput("give the plan a title", field="title")
    parent = session.scalar(select(Grid).where(Grid.code == parent_code))
    if parent is None or not principal.covers(parent_code):
        raise NotFound("no grid {grid}", field="parent_code", grid=parent_code)
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


def check_version(plan: Plan, version: int) -> None:
    if plan.version != version:
        raise StalePlan(
            "plan {plan} changed since you read it (version {version}, now {current}); reload it",
            details=plan_summary(plan),
            plan=plan.id,
            version=version,
            current=plan.version,
        )


def require_owned_draft(plan: Plan, principal: Principal, version: int) -> None:
    principal.require_change(plan.parent_code)
    if plan.owner != principal.username:
        raise AccessDenied("only the plan's owner, {owner}, can change it", owner=plan.owner)
    if plan.status not in EDITABLE:
        raise PlanStateError(
            "plan {plan} is {plan_status}; only drafts and rejected plans can be edited",
            plan=plan.id,
            plan_status=plan.status,
        )
    check_version(plan, version)


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
                branch=grid.branch,
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
    require_owned_draft(plan, principal, version)
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
    #: The codes of the plan's level in force under its parent (a draft grid not among them is new).
    existing_codes: set[str]


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
    existing = set(
        session.scalars(
            select(Grid.code).where(
                Grid.level == child_level.value, Grid.code.startswith(plan.parent_code, autoescape=True)
            )
        )
    )
    return ValidationContext(
        existing_codes=existing,
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
        existing_codes=context.existing_codes,
        sliver_m2=sliver_m2,
    )


def _need(arguments: dict, *names: str) -> list:
    missing = [name for name in names if arguments.get(name) in (None, "", [])]
    if missing:
        raise InvalidInput("this edit needs {missing}", field=missing[0], missing=missing)
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


def _branch(grids: list[DraftGrid], a: dict) -> list[DraftGrid]:
    (code,) = _need(a, "code")
    return planning.plan_branch(
        grids,
        code,
        name=str(a.get("name") or ""),
        members=int(a.get("members") or 0),
        secretary=str(a.get("secretary") or ""),
        none_reason=str(a.get("none_reason") or ""),
    )


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
    "branch": _branch,
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
    require_owned_draft(plan, principal, version)
    if operation not in OPERATIONS:
        raise InvalidInput(
            "unknown operation {operation!r}; use one of {choices}",
            field="op",
            operation=operation[:30],
            choices=list(OPERATIONS),
        )
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
        error = TilingError(report, "the edit breaks the grid: {problems}", report.errors)
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
    require_owned_draft(plan, principal, version)
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
