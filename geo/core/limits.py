"""How much geometry one request may bring: the one rule behind uploads, plan edits and seasonal zones.

Every vertex a user sends is stored, validated, noded and served back to every
map that shows it, so a 100,000-vertex zone makes every user's zone feed
megabytes long. Geometry is therefore counted before any work is done on it.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import shapely

from geo.core.errors import GridError

#: Vertices one file, drawn outline or zone may hold (``GRIDMAP_MAX_VERTICES`` overrides it).
DEFAULT_MAX_VERTICES = 20_000


class TooManyVertices(GridError):
    """More geometry than the service accepts in one go."""

    status = 413


def require_vertices_within(count: int, limit: int, field: str) -> None:
    """Refuse ``count`` vertices sent in ``field`` when they are more than ``limit``."""
    if count > limit:
        raise TooManyVertices(
            "{field} has {count} vertices; at most {limit} are accepted", field=field, count=count, limit=limit
        )


def vertex_count(geometries: shapely.Geometry | Iterable[shapely.Geometry | None]) -> int:
    """Vertices of one geometry or of all of an array's (missing ones count nothing)."""
    return int(np.sum(shapely.get_num_coordinates(np.asarray(geometries, dtype=object))))


def geojson_vertex_count(value: object) -> int:
    """Positions in a GeoJSON geometry, counted without building it, so that a huge one costs nothing to refuse."""
    count = 0
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.append(item.get("coordinates"))
            geometries = item.get("geometries")
            if isinstance(geometries, list):
                pending.extend(geometries)
        elif isinstance(item, list | tuple) and item:
            if isinstance(item[0], list | tuple | dict):
                pending.extend(item)
            else:
                count += 1  # a position: [lon, lat(, z)]
    return count
