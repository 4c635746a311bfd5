"""Mapbox vector tiles of the grid levels and the incidents, cut by PostGIS (``ST_AsMVT``).

For layers too large to send as GeoJSON: a million incidents, or every group outline at county
zoom. Each tile is one query, a CTE of ``ST_AsMVTGeom`` rows fed to ``ST_AsMVT``, scoped like
every other read (jurisdiction, nets). Below ``INCIDENT_POINTS_FROM_ZOOM`` incidents are counted
per cell of ``CLUSTER_CELL`` tile units rather than drawn one by one: at county zoom a tile would
otherwise carry every case of the county.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ColumnElement, Float, Numeric, func, select
from sqlalchemy.orm import Session

from geo.accounts.principal import Principal
from geo.core.errors import InvalidInput, NotFound
from geo.dispatch.models import Incident, IncidentCategory
from geo.dispatch.queues import overdue_condition
from geo.dispatch.views import IncidentFilter, filtered
from geo.grid.boundaries import current_generation, generation_as_of, valid_in
from geo.grid.models import Grid, GridBoundary, GridLevel

#: The tile layers and the grid level each shows ("incidents" shows the cases).
TILE_LAYERS = {
    "townships": GridLevel.TOWNSHIP,
    "villages": GridLevel.VILLAGE,
    "groups": GridLevel.GROUP,
    "incidents": None,
}
MAX_ZOOM = 20
#: Tile coordinates per side (the MVT default) and the margin kept around each tile for line joins.
EXTENT = 4096
BUFFER = 64
#: From this zoom each incident is its own point with its fields; below, points are counted per cell.
INCIDENT_POINTS_FROM_ZOOM = 13
#: The counting cell below ``INCIDENT_POINTS_FROM_ZOOM``, in tile units: 128 of 4096, 8 pixels of a 256-pixel tile.
CLUSTER_CELL = 128
#: From this zoom grid outlines are cut from the full outline, below from the display-simplified one.
FULL_OUTLINES_FROM_ZOOM = 13


def check_tile(layer: str, z: int, x: int, y: int) -> None:
    """Refuse an unknown layer (404) or a tile address outside the zoom's grid (400)."""
    if layer not in TILE_LAYERS:
        raise NotFound("no tile layer {layer!r}; there are {choices}", layer=layer[:40], choices=list(TILE_LAYERS))
    if not 0 <= z <= MAX_ZOOM:
        raise InvalidInput("{field} must be from 0 to {most}", field="z", most=MAX_ZOOM)
    for name, value in (("x", x), ("y", y)):
        if not 0 <= value < 2**z:
            raise InvalidInput("{field} must be from 0 to {most} at zoom {z}", field=name, most=2**z - 1, z=z)


def _envelope(z: int, x: int, y: int):
    return func.ST_TileEnvelope(z, x, y)


def _tile_geometry(geom, z: int, x: int, y: int) -> ColumnElement:
    return func.ST_AsMVTGeom(func.ST_Transform(geom, 3857), _envelope(z, x, y), EXTENT, BUFFER, True)


def _in_tile(geom, z: int, x: int, y: int) -> ColumnElement[bool]:
    # The envelope brought to the stored system once, so the spatial index on ``geom`` serves the test.
    return func.ST_Intersects(geom, func.ST_Transform(_envelope(z, x, y), 4326))


def _as_mvt(session: Session, rows, layer: str) -> bytes:
    tile = rows.where(rows.selected_columns.geom.is_not(None)).subquery("tile_rows")
    found = session.scalar(select(func.ST_AsMVT(tile.table_valued(), layer, EXTENT, "geom")).select_from(tile))
    return bytes(found or b"")


def grid_tile(session: Session, principal: Principal, layer: str, z: int, x: int, y: int, day: date | None) -> bytes:
    """The outlines of ``layer``'s level in force on ``day`` (now when None) within the jurisdiction."""
    level = TILE_LAYERS[layer]
    assert level is not None
    generation = generation_as_of(session, day) if day else current_generation(session)
    if generation is None:
        return b""
    outline = GridBoundary.geom if z >= FULL_OUTLINES_FROM_ZOOM else GridBoundary.geom_display
    rows = (
        select(
            Grid.code,
            Grid.name_zh,
            Grid.name_en,
            Grid.is_demo.label("demo"),
            func.cast(func.round(func.cast(GridBoundary.area_km2, Numeric), 2), Float).label("area_km2"),
            _tile_geometry(outline, z, x, y).label("geom"),
        )
        .join(GridBoundary, GridBoundary.grid_id == Grid.id)
        .where(
            GridBoundary.level == level.value,
            principal.scope(Grid.code),
            *valid_in(GridBoundary, generation),
            _in_tile(outline, z, x, y),
        )
        .order_by(Grid.code)  # the same tile, byte for byte, while nothing changed: its ETag holds
    )
    return _as_mvt(session, rows, layer)


def incident_tile(
    session: Session, principal: Principal, filters: IncidentFilter, z: int, x: int, y: int, now: datetime
) -> bytes:
    """The incidents the caller sees, filtered as in the console: points with their fields, or counts per cell."""
    matching = filtered(principal, filters, now).order_by(None).where(_in_tile(Incident.location, z, x, y))
    point = _tile_geometry(Incident.location, z, x, y)
    if z >= INCIDENT_POINTS_FROM_ZOOM:
        rows = (
            matching.join(IncidentCategory, IncidentCategory.id == Incident.category_id)
            .with_only_columns(
                Incident.ticket,
                Incident.net,
                IncidentCategory.code.label("category"),
                Incident.status,
                Incident.priority,
                Incident.group_code,
                overdue_condition(now).label("overdue"),
                point.label("geom"),
            )
            .order_by(Incident.id)
        )
        return _as_mvt(session, rows, "incidents")
    cells = matching.with_only_columns(func.ST_SnapToGrid(point, CLUSTER_CELL).label("geom")).subquery("cells")
    counted = select(func.count().label("count"), cells.c.geom).group_by(cells.c.geom).order_by(cells.c.geom)
    return _as_mvt(session, counted, "incidents")
