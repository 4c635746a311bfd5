"""Mapbox vector tiles of the grid levels and the incidents, cut by PostGIS (``ST_AsMVT``).

For layers too large to send as GeoJSON: a million incidents, or every group outline at county
zoom. Each tile is one query, a CTE of ``ST_AsMVTGeom`` rows fed to ``ST_AsMVT``, scoped like
every other read (jurisdiction, nets). Below ``INCIDENT_POINTS_FROM_ZOOM`` incidents are counted
per cell of ``CLUSTER_CELL`` tile units rather than drawn one by one: at county zoom a tile would
otherwise carry every case of the county.

Those counts come from each incident's tile key (``Incident.tile_key``: the Morton code of the
zoom-``TILE_KEY_ZOOM`` tile holding it, computed in SQL by ``point_tile_key``). A tile of a lower
zoom holds one range of keys, and its cells are the keys shifted right, so the index on the key
(with the jurisdiction, net and status in it) answers without reading the table or transforming a
point: 220,000 cases of a zoom-8 tile at a million counted in about a tenth of the time.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, ColumnElement, Float, Integer, Numeric, func, literal, select
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
#: Below ``INCIDENT_POINTS_FROM_ZOOM`` the counting cell is the tile this many zooms finer: 32 cells a side.
CELL_ZOOMS = 5
#: The counting cell in tile units: 128 of 4096, 8 pixels of a 256-pixel tile.
CLUSTER_CELL = EXTENT >> CELL_ZOOMS
#: The zoom of the tiles whose keys incidents carry (set by the migration's ``point_tile_key``): fine
#: enough for the cells of the last counted zoom.
TILE_KEY_ZOOM = 17
assert TILE_KEY_ZOOM >= INCIDENT_POINTS_FROM_ZOOM - 1 + CELL_ZOOMS
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


def _shifted(value, operator: str, bits: int) -> ColumnElement[int]:
    """``value`` shifted by ``bits`` (PostgreSQL shifts a bigint by an integer, so the count is not bound as one)."""
    return value.op(operator, return_type=BigInteger)(literal(bits, Integer))


def _as_mvt(session: Session, rows, layer: str, *, clipped: bool = True) -> bytes:
    """``rows`` as a tile's layer, less what ``ST_AsMVTGeom`` clipped away (NULL) when ``clipped``."""
    if clipped:
        rows = rows.where(rows.selected_columns.geom.is_not(None))
    tile = rows.subquery("tile_rows")
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
    if z >= INCIDENT_POINTS_FROM_ZOOM:
        matching = filtered(principal, filters, now).order_by(None).where(_in_tile(Incident.location, z, x, y))
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
                _tile_geometry(Incident.location, z, x, y).label("geom"),
            )
            .order_by(Incident.id)
        )
        return _as_mvt(session, rows, "incidents")
    # The tile's keys are one range; a cell's keys share their first bits (two per zoom).
    tile = func.tile_morton(x, y, type_=BigInteger)
    first_key = _shifted(tile, "<<", 2 * (TILE_KEY_ZOOM - z))
    after_last_key = _shifted(tile + 1, "<<", 2 * (TILE_KEY_ZOOM - z))
    cell = _shifted(Incident.tile_key, ">>", 2 * (TILE_KEY_ZOOM - z - CELL_ZOOMS)).label("cell")
    cells = (
        filtered(principal, filters, now)
        .order_by(None)
        .where(Incident.tile_key >= first_key, Incident.tile_key < after_last_key)
        .with_only_columns(cell, func.count().label("count"))
        .group_by(cell)
        .subquery("cells")
    )
    # Each cell drawn at its middle, in the tile's units (x rightward, y downward as in the tile's rows).
    column = func.tile_morton_x(cells.c.cell, type_=BigInteger) - x * 2**CELL_ZOOMS
    row = func.tile_morton_x(_shifted(cells.c.cell, ">>", 1), type_=BigInteger) - y * 2**CELL_ZOOMS
    middle = CLUSTER_CELL // 2
    counted = select(
        cells.c.count,
        func.ST_MakePoint(column * CLUSTER_CELL + middle, row * CLUSTER_CELL + middle).label("geom"),
    ).order_by(cells.c.cell)
    # Nothing is clipped, and a test of the point would be pushed down to every case of the tile.
    return _as_mvt(session, counted, "incidents", clipped=False)
