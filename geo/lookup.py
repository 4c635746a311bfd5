"""Point lookup: which grid chain (county → township → village → group) covers a point.

Lookups use ``ST_Covers`` on subdivided group outlines (a point on an edge still
matches, as in MapIt). A point on an edge shared by two groups is covered by
both; the lower grid code wins, so the answer never depends on row order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session, aliased

from geo.boundaries import current_generation, valid_in
from geo.errors import InvalidInput, NotFound
from geo.models import AdminArea, Grid, GridLookupPart, GridWorker, PartyBranch

# The county's bounding box, padded by a degree: used only to recognise swapped coordinates.
_REGION = (97.5, 26.5, 100.5, 30.2)


@dataclass(frozen=True)
class WorkerSummary:
    """The public face of a grid worker (no contact data)."""

    code: str
    name: str
    post: str
    nets: list[str]


@dataclass(frozen=True)
class ChainLink:
    """One level of a lookup answer."""

    level: str
    code: str
    name_zh: str
    name_en: str
    is_demo: bool
    workers: list[WorkerSummary] = field(default_factory=list)
    party_branch: str | None = None


@dataclass(frozen=True)
class LookupResult:
    """The answer to a point lookup."""

    lon: float
    lat: float
    generation: int
    inside_county: bool
    chain: list[ChainLink]
    nearest_grid: ChainLink | None = None
    nearest_distance_m: float | None = None
    neighbour_county: dict | None = None


def parse_coordinates(lon_text: str | None, lat_text: str | None) -> tuple[float, float]:
    """Parse and check ``lon``/``lat`` query values; raise InvalidInput naming the problem."""
    values = {}
    for name, raw in (("lon", lon_text), ("lat", lat_text)):
        if raw is None or raw.strip() == "":
            raise InvalidInput(f"parameter {name!r} is required (decimal degrees, WGS-84)", field=name)
        try:
            value = float(raw)
        except ValueError:
            raise InvalidInput(f"parameter {name!r} must be a number, got {raw[:40]!r}", field=name) from None
        if not math.isfinite(value):
            raise InvalidInput(f"parameter {name!r} must be a finite number, got {raw[:40]!r}", field=name)
        values[name] = value
    lon, lat = values["lon"], values["lat"]
    west, south, east, north = _REGION
    if west <= lat <= east and south <= lon <= north:
        raise InvalidInput(f"lon={lon} and lat={lat} look swapped: Deqin lies near lon 99, lat 28", field="lon")
    if not -180 <= lon <= 180:
        raise InvalidInput(f"parameter 'lon' must be between -180 and 180, got {lon}", field="lon")
    if not -90 <= lat <= 90:
        raise InvalidInput(f"parameter 'lat' must be between -90 and 90, got {lat}", field="lat")
    return lon, lat


def _point(lon: float, lat: float):
    return func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)


def _chain(session: Session, group_id: int) -> list[ChainLink]:
    """Return the chain from the county down to ``group_id``, with workers and branch."""
    grid = aliased(Grid)
    ancestors = (
        select(Grid.id, Grid.parent_id, literal(0).label("depth")).where(Grid.id == group_id).cte(recursive=True)
    )
    ancestors = ancestors.union_all(
        select(grid.id, grid.parent_id, ancestors.c.depth + 1).join(ancestors, grid.id == ancestors.c.parent_id)
    )
    grids = (
        session.execute(select(Grid).join(ancestors, Grid.id == ancestors.c.id).order_by(ancestors.c.depth.desc()))
        .scalars()
        .all()
    )
    ids = [g.id for g in grids]
    workers: dict[int, list[WorkerSummary]] = {}
    for worker in session.scalars(select(GridWorker).where(GridWorker.grid_id.in_(ids)).order_by(GridWorker.code)):
        workers.setdefault(worker.grid_id, []).append(WorkerSummary(worker.code, worker.name, worker.post, worker.nets))
    branch_rows = session.execute(select(PartyBranch.grid_id, PartyBranch.name).where(PartyBranch.grid_id.in_(ids)))
    branches = dict(branch_rows.all())
    return [
        ChainLink(g.level, g.code, g.name_zh, g.name_en, g.is_demo, workers.get(g.id, []), branches.get(g.id))
        for g in grids
    ]


def lookup_point(session: Session, lon: float, lat: float, generation: int | None = None) -> LookupResult:
    """Return the grid chain covering (lon, lat), or what lies nearest when it is outside the county.

    Parameters
    ----------
    session : Session
        An open database session.
    lon, lat : float
        WGS-84 decimal degrees, already checked by ``parse_coordinates``.
    generation : int, optional
        Boundary generation to ask; the one in force when omitted.
    """
    if generation is None:
        generation = current_generation(session)
        if generation is None:
            raise NotFound("no grid boundaries are loaded yet")
    point = _point(lon, lat)
    group_id = session.scalar(
        select(GridLookupPart.grid_id)
        .where(func.ST_Covers(GridLookupPart.geom, point), *valid_in(GridLookupPart, generation))
        .order_by(GridLookupPart.code)
        .limit(1)
    )
    if group_id is not None:
        return LookupResult(lon, lat, generation, True, _chain(session, group_id))

    nearest = session.execute(
        select(GridLookupPart.grid_id, func.ST_Distance(func.Geography(GridLookupPart.geom), func.Geography(point)))
        .where(*valid_in(GridLookupPart, generation))
        .order_by(GridLookupPart.geom.distance_centroid(point))
        .limit(1)
    ).first()
    neighbour = session.execute(
        select(AdminArea.code, AdminArea.name_zh, AdminArea.name_en, AdminArea.province).where(
            AdminArea.is_home_county.is_(False), func.ST_Covers(AdminArea.geom, point)
        )
    ).first()
    nearest_link = _chain(session, nearest.grid_id)[-1] if nearest else None
    return LookupResult(
        lon,
        lat,
        generation,
        False,
        [],
        nearest_grid=nearest_link,
        nearest_distance_m=round(float(nearest[1]), 1) if nearest else None,
        neighbour_county=dict(neighbour._mapping) if neighbour else None,
    )
