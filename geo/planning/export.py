"""Exports of a generation's grids (GeoJSON, GeoPackage) and the history of generations."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from geoalchemy2.shape import to_shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo.accounts.capabilities import Capability
from geo.accounts.principal import Principal
from geo.core.errors import NotFound
from geo.grid.boundaries import (
    valid_in,
)
from geo.grid.models import Generation, Grid, GridBoundary, GridLevel
from geo.grid.vector_files import vector_io
from geo.planning.drafts import DraftGrid
from geo.planning.models import Plan
from geo.planning.plans import draft_of

if TYPE_CHECKING:
    import geopandas as gpd

EXPORT_FORMATS = {"geojson": ("GeoJSON", "application/geo+json"), "gpkg": ("GPKG", "application/geopackage+sqlite3")}


def _generation_area():
    """SQL: the grid a generation redrew, the parent of the plan that made it, or the county for an import."""
    return func.coalesce(Plan.parent_code, Generation.county_code)


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
    principal.require(Capability.PLAN_EDIT)
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
    import geopandas as gpd  # on first export, not in every web worker (issue #13)

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
    vector_io()  # GDAL off the network before it writes
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
    principal.require(Capability.PLAN_EDIT)
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
