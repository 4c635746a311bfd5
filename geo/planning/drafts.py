"""Redrawing grids: edits of a plan's draft and the rules a draft must meet.

Pure geometry, no database: a draft is a list of ``DraftGrid`` (the children
of one parent grid, in WGS-84), and every edit returns a new list. The edits
that keep the tiling by construction (split, merge, move, carve) hand area
from one grid to another, so the children still cover the parent exactly; a
free reshape or an uploaded layer may not, and ``validate_draft`` says where.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import shapely
from shapely.ops import split

from geo.core.crs import area_m2
from geo.core.errors import GridError, InvalidInput, Problem
from geo.grid.models import GridLevel
from geo.grid.tiling import AREA_TOLERANCE_M2, as_multipolygon, geometry_problems, misaligned_edges, validate_tiling

#: Parts of a grid smaller than this are slivers (a planning error, not a grid).
DEFAULT_SLIVER_M2 = 2_000.0
#: Metres per degree of latitude, for turning a width in metres into degrees (a tolerance only).
METRES_PER_DEGREE = 111_000.0


@dataclass(frozen=True)
class DraftGrid:
    """One grid of a draft."""

    code: str
    name_zh: str
    name_en: str
    geometry: shapely.Geometry
    is_demo: bool = False
    new_workers: tuple[dict, ...] = ()
    #: The standing party branch to found on activation, or the reason there is none (``plan_branch``).
    branch: dict | None = None


@dataclass
class ValidationReport:
    """What stops a draft: ``errors`` refuse the edit, ``todo`` only blocks submission."""

    errors: list[Problem] = field(default_factory=list)
    todo: list[Problem] = field(default_factory=list)
    #: (code, edge geometry) of each grid whose edges overlap or misalign with a sibling.
    invalid_edges: list[tuple[str, shapely.Geometry]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.todo

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "errors": [p.as_dict() for p in self.errors],
            "todo": [p.as_dict() for p in self.todo],
            "invalid_edges": {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {"code": code}, "geometry": shapely.geometry.mapping(edge)}
                    for code, edge in self.invalid_edges
                ],
            },
        }


class TilingError(GridError):
    """An edit would break the tiling; ``details`` holds the full validation report."""

    status = 422

    def __init__(self, report: ValidationReport, template: str, problems: list[Problem]):
        super().__init__(template, details=report.as_dict(), problems=problems[:3])
        self.report = report


def _by_code(grids: Sequence[DraftGrid], code: str) -> DraftGrid:
    for grid in grids:
        if grid.code == code:
            return grid
    raise InvalidInput("grid {grid!r} is not in this plan", field="code", grid=code)


def _require_area(geometry: shapely.Geometry | None, name: str) -> shapely.Geometry:
    if geometry is None or geometry.geom_type not in ("Polygon", "MultiPolygon"):
        if geometry is None:
            raise InvalidInput("{field} must be a Polygon or MultiPolygon, got nothing", field=name)
        raise InvalidInput(
            "{field} must be a Polygon or MultiPolygon, got a {kind}", field=name, kind=geometry.geom_type
        )
    problems = geometry_problems(geometry, None)
    if problems:
        raise InvalidInput("{field}: {problem}", field=name, problem=problems[0], details=problems[0].as_dict())
    return geometry


def _node(grids: list[DraftGrid]) -> list[DraftGrid]:
    """Make shared edges identical vertex for vertex (overlay can leave them a hair apart)."""
    cleaned = shapely.coverage_clean(np.array([g.geometry for g in grids], dtype=object))
    return [replace(g, geometry=as_multipolygon(c)) for g, c in zip(grids, cleaned, strict=True)]


def _metric_area(geometry: shapely.Geometry) -> float:
    return float(area_m2(geometry))


def _check_not_emptied(grid: DraftGrid, remaining: shapely.Geometry) -> None:
    if _metric_area(remaining) <= AREA_TOLERANCE_M2:
        raise InvalidInput("the edit would leave grid {grid} empty: merge it instead", field="geometry", grid=grid.code)


def split_grid(
    grids: Sequence[DraftGrid], code: str, line: shapely.Geometry, new_code: str, name_zh: str, name_en: str = ""
) -> list[DraftGrid]:
    """Cut grid ``code`` along ``line``: it keeps its largest piece, the rest becomes ``new_code``."""
    if line is None or line.geom_type != "LineString":
        raise InvalidInput("a split needs a LineString drawn across the grid", field="geometry")
    grid = _by_code(grids, code)
    pieces = [p for p in shapely.get_parts(split(grid.geometry, line)) if _metric_area(p) > AREA_TOLERANCE_M2]
    if len(pieces) < 2:
        raise InvalidInput("the line does not cross grid {grid} from edge to edge", field="geometry", grid=code)
    pieces.sort(key=_metric_area, reverse=True)
    kept = replace(grid, geometry=as_multipolygon(pieces[0]))
    carved = DraftGrid(new_code, name_zh, name_en, as_multipolygon(shapely.union_all(pieces[1:])), grid.is_demo)
    return _node([kept if g.code == code else g for g in grids] + [carved])


def merge_grids(grids: Sequence[DraftGrid], codes: Sequence[str]) -> list[DraftGrid]:
    """Merge sibling grids into the first of ``codes``; they must form one connected area."""
    codes = list(dict.fromkeys(codes))  # a code chosen twice is one grid
    if len(codes) < 2:
        raise InvalidInput("choose at least two grids to merge", field="codes")
    chosen = [_by_code(grids, c) for c in codes]
    for grid in chosen:
        # Boundaries meeting along a line (not just at a point) = a shared edge.
        if not any(shapely.relate_pattern(grid.geometry, o.geometry, "****1****") for o in chosen if o is not grid):
            raise InvalidInput("grid {grid} shares no edge with the other grids chosen", field="codes", grid=grid.code)
    merged = shapely.union_all([g.geometry for g in chosen])
    survivor = replace(
        chosen[0],
        geometry=as_multipolygon(merged),
        new_workers=tuple(w for g in chosen for w in g.new_workers),
    )
    gone = set(codes[1:])
    return _node([survivor if g.code == codes[0] else g for g in grids if g.code not in gone])


def move_area(grids: Sequence[DraftGrid], area: shapely.Geometry, source: str, target: str) -> list[DraftGrid]:
    """Hand the part of ``area`` that lies in grid ``source`` to its neighbour ``target``."""
    area = _require_area(area, "geometry")
    if source == target:
        raise InvalidInput("source and target are the same grid", field="target")
    giver, taker = _by_code(grids, source), _by_code(grids, target)
    piece = shapely.intersection(giver.geometry, area)
    if _metric_area(piece) <= AREA_TOLERANCE_M2:
        raise InvalidInput("the drawn area does not overlap grid {grid}", field="geometry", grid=source)
    if not shapely.intersects(taker.geometry, piece):
        raise InvalidInput("the moved area does not touch grid {grid}", field="target", grid=target)
    remaining = shapely.difference(giver.geometry, piece)
    _check_not_emptied(giver, remaining)
    changed = {
        source: replace(giver, geometry=as_multipolygon(remaining)),
        target: replace(taker, geometry=as_multipolygon(shapely.union(taker.geometry, piece))),
    }
    return _node([changed.get(g.code, g) for g in grids])


def carve_grid(
    grids: Sequence[DraftGrid], area: shapely.Geometry, new_code: str, name_zh: str, name_en: str = ""
) -> list[DraftGrid]:
    """Create grid ``new_code`` from ``area``, taken from the siblings it overlaps (clipped to the parent)."""
    area = _require_area(area, "geometry")
    result = []
    taken = []
    for grid in grids:
        piece = shapely.intersection(grid.geometry, area)
        if _metric_area(piece) <= AREA_TOLERANCE_M2:
            result.append(grid)
            continue
        remaining = shapely.difference(grid.geometry, piece)
        _check_not_emptied(grid, remaining)
        result.append(replace(grid, geometry=as_multipolygon(remaining)))
        taken.append(piece)
    if not taken:
        raise InvalidInput("the drawn area lies outside every grid of the plan", field="geometry")
    is_demo = any(g.is_demo for g in grids)
    return _node([*result, DraftGrid(new_code, name_zh, name_en, as_multipolygon(shapely.union_all(taken)), is_demo)])


def reshape_grid(grids: Sequence[DraftGrid], code: str, geometry: shapely.Geometry) -> list[DraftGrid]:
    """Replace grid ``code``'s outline as drawn; neighbours are not adjusted (validation reports the seams)."""
    geometry = _require_area(geometry, "geometry")
    grid = _by_code(grids, code)
    return [replace(grid, geometry=as_multipolygon(geometry)) if g.code == code else g for g in grids]


def rename_grid(
    grids: Sequence[DraftGrid], code: str, *, new_code: str | None, name_zh: str | None, name_en: str | None
) -> list[DraftGrid]:
    """Change a grid's code and/or names (validation checks the new code)."""
    grid = _by_code(grids, code)
    renamed = replace(
        grid,
        code=new_code or grid.code,
        name_zh=grid.name_zh if name_zh is None else name_zh,
        name_en=grid.name_en if name_en is None else name_en,
    )
    return [renamed if g.code == code else g for g in grids]


def appoint_worker(grids: Sequence[DraftGrid], code: str, worker: dict) -> list[DraftGrid]:
    """Add a worker to appoint for grid ``code`` on activation."""
    grid = _by_code(grids, code)
    appointed = replace(grid, new_workers=(*grid.new_workers, worker))
    return [appointed if g.code == code else g for g in grids]


#: Longest branch name, secretary name and reason a plan accepts.
BRANCH_NAME_MAX = 100
BRANCH_REASON_MAX = 500


def plan_branch(
    grids: Sequence[DraftGrid],
    code: str,
    *,
    name: str = "",
    members: int = 0,
    secretary: str = "",
    none_reason: str = "",
) -> list[DraftGrid]:
    """Found a party branch for grid ``code`` on activation, or record why it will have none.

    The secretary is named by a worker's name; left empty, it is the group's
    leader (its first worker), since a group's branch secretary leads the group
    too (一肩挑).
    """
    grid = _by_code(grids, code)
    none_reason = none_reason.strip()
    if none_reason:
        if len(none_reason) > BRANCH_REASON_MAX:
            raise InvalidInput(
                "{field} is longer than {limit} characters", field="none_reason", limit=BRANCH_REASON_MAX
            )
        branch: dict = {"none_reason": none_reason}
    else:
        name = name.strip() or f"{grid.name_zh}党支部"
        if len(name) > BRANCH_NAME_MAX or len(secretary) > BRANCH_NAME_MAX:
            raise InvalidInput("{field} is longer than {limit} characters", field="name", limit=BRANCH_NAME_MAX)
        if not 0 <= members <= 10_000:
            raise InvalidInput("{field} must be between 0 and {limit}", field="members", limit=10_000)
        branch = {"name": name, "members": members, "secretary": secretary.strip()}
    founded = replace(grid, branch=branch)
    return [founded if g.code == code else g for g in grids]


def clean_slivers(grids: Sequence[DraftGrid], gap_width_m: float) -> list[DraftGrid]:
    """Close gaps narrower than ``gap_width_m`` and resolve overlaps (GEOS coverage cleaning)."""
    cleaned = shapely.coverage_clean(
        np.array([g.geometry for g in grids], dtype=object), gap_width=gap_width_m / METRES_PER_DEGREE
    )
    return [replace(g, geometry=as_multipolygon(c)) for g, c in zip(grids, cleaned, strict=True)]


def validate_draft(
    grids: Sequence[DraftGrid],
    *,
    parent_code: str,
    parent_geometry: shapely.Geometry,
    child_level: GridLevel,
    children_below: dict[str, list[tuple[str, shapely.Geometry]]] | None = None,
    nets_needed: Iterable[str] = (),
    nets_served: dict[str, set[str]] | None = None,
    existing_codes: Iterable[str] | None = None,
    sliver_m2: float = DEFAULT_SLIVER_M2,
) -> ValidationReport:
    """Check a draft against every rule; see ``ValidationReport`` for which rules block what.

    Parameters
    ----------
    grids : the draft
    parent_code, parent_geometry : the grid the draft redraws the children of
    child_level : the level of the draft's grids
    children_below : code -> [(code, outline)] of the level below, which must still tile each grid
    nets_needed : the nets every grid needs a worker for
    nets_served : code -> nets its existing workers serve (new workers are read from the draft)
    existing_codes : the grids in force; a villager group not among them is new and needs a party
        branch, or the reason it has none
    sliver_m2 : the smallest area a grid, or a part of one, may have
    """
    report = ValidationReport()
    seen: set[str] = set()
    for grid in grids:
        code = grid.code
        if not (code.isdigit() and len(code) == child_level.code_length and code.startswith(parent_code)):
            report.errors.append(
                Problem(
                    "code {grid!r} must be {digits} digits starting with {parent}",
                    code,
                    grid=code,
                    digits=child_level.code_length,
                    parent=parent_code,
                )
            )
        if code in seen:
            report.errors.append(Problem("code {grid} appears more than once", code, grid=code))
        seen.add(code)
        if not grid.name_zh.strip():
            report.errors.append(Problem("grid {grid} has no name", code, grid=code))
        report.errors.extend(geometry_problems(grid.geometry, code))
    if report.errors:
        return report

    geometries = np.array([g.geometry for g in grids], dtype=object)
    codes = [g.code for g in grids]
    report.errors.extend(validate_tiling(list(geometries), codes, parent_geometry, parent_code))
    report.invalid_edges.extend(misaligned_edges(geometries, codes))
    for grid in grids:
        parts = shapely.get_parts(grid.geometry)
        for part, area in zip(parts, area_m2(parts), strict=True):
            if area < sliver_m2:
                point = shapely.point_on_surface(part)
                report.errors.append(
                    Problem(
                        "grid {grid} has a sliver of {area:.0f} m² (smaller than {smallest:.0f} m²)",
                        grid.code,
                        (round(point.x, 6), round(point.y, 6)),
                        grid=grid.code,
                        area=float(area),
                        smallest=sliver_m2,
                    )
                )
    existing = set(existing_codes or ())
    for grid in grids:
        below = (children_below or {}).get(grid.code)
        if below is not None:
            report.errors.extend(
                validate_tiling([g for _, g in below], [c for c, _ in below], grid.geometry, grid.code)
            )
        elif child_level is not GridLevel.GROUP:
            report.todo.append(Problem("grid {grid} has no grids below it; plan them next", grid.code, grid=grid.code))
        is_new_group = existing_codes is not None and child_level is GridLevel.GROUP and grid.code not in existing
        if is_new_group and grid.branch is None:
            report.todo.append(
                Problem(
                    "new villager group {grid} has no party branch: found one, or give the reason it has none",
                    grid.code,
                    grid=grid.code,
                )
            )
        served = set((nets_served or {}).get(grid.code, set()))
        served.update(net for worker in grid.new_workers for net in worker.get("nets", ()))
        for net in sorted(set(nets_needed) - served):
            report.todo.append(
                Problem("grid {grid} has no worker for the {net} net", grid.code, grid=grid.code, net=net)
            )
    return report
