"""Bulk assignment of many points to the grid polygon that covers each.

Used where thousands to millions of points meet the grid at once (importing
incident archives, re-routing on boundary activation, the demo generator); a
single point goes through PostGIS instead (``geo.atlas.lookup``).

Why not ``geopandas.sjoin``: it tests every point against the polygons whose
bounding boxes hold it, with the exact predicate. Most points, though, lie in
the interior of one polygon far from any edge. Here a regular raster over the
polygons is classified once: a cell wholly inside one polygon labels all its
points at once with one array lookup; only points in cells crossed by an edge
are tested exactly, against that cell's few candidates. See bench/assign_points.py.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

_OUTSIDE = -1
_MIXED = -2


class PointAssigner:
    """An index over polygons answering "which polygon covers this point?" for arrays of points.

    Parameters
    ----------
    polygons : sequence of shapely Polygon/MultiPolygon
        The coverage, in the order that breaks ties: a point on an edge shared
        by several polygons goes to the first of them (pass them sorted by code).
    cells : int
        Approximate number of raster cells; more cells label more points
        directly at a higher build cost.
    """

    def __init__(self, polygons: Sequence[shapely.Geometry], cells: int = 131_072):
        geoms = np.asarray(polygons, dtype=object)
        if geoms.ndim != 1 or len(geoms) == 0:
            raise ValueError("polygons must be a non-empty sequence of shapely geometries")
        if not all(g is not None and g.geom_type in ("Polygon", "MultiPolygon") for g in geoms):
            raise TypeError("polygons must all be shapely Polygons or MultiPolygons")
        shapely.prepare(geoms)
        self._geoms = geoms
        xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
        aspect = (ymax - ymin) / (xmax - xmin)
        self._nx = max(1, int(np.sqrt(cells / aspect)))
        self._ny = max(1, int(cells / self._nx))
        self._x0, self._y0 = xmin, ymin
        self._dx = (xmax - xmin) / self._nx
        self._dy = (ymax - ymin) / self._ny
        self._classify()

    def _classify(self) -> None:
        ix, iy = np.meshgrid(np.arange(self._nx), np.arange(self._ny))
        x0 = self._x0 + ix.ravel() * self._dx
        y0 = self._y0 + iy.ravel() * self._dy
        boxes = shapely.box(x0, y0, x0 + self._dx, y0 + self._dy)
        cell_index, poly_index = shapely.STRtree(self._geoms).query(boxes, predicate="intersects")
        # Sort pairs by cell, then polygon order, so each cell's candidates are in tie-break order.
        order = np.lexsort((poly_index, cell_index))
        cell_index, poly_index = cell_index[order], poly_index[order]
        counts = np.bincount(cell_index, minlength=len(boxes))
        self._starts = np.concatenate([[0], np.cumsum(counts)])
        self._candidates = poly_index

        label = np.full(len(boxes), _OUTSIDE, dtype=np.intp)
        single = np.flatnonzero(counts == 1)
        only = poly_index[self._starts[single]]
        inside = shapely.contains_properly(self._geoms[only], boxes[single])
        label[counts > 0] = _MIXED
        label[single[inside]] = only[inside]
        self._label = label

    def assign(self, x: ArrayLike, y: ArrayLike) -> NDArray[np.intp]:
        """Return, for each point, the index of the polygon covering it, or -1."""
        xs = np.asarray(x, dtype=float)
        ys = np.asarray(y, dtype=float)
        if xs.shape != ys.shape:
            raise ValueError("x and y must have the same shape")
        result = np.full(xs.shape, _OUTSIDE, dtype=np.intp)
        col = np.floor((xs - self._x0) / self._dx)
        row = np.floor((ys - self._y0) / self._dy)
        # A point on the far edge of the extent belongs to the last cell.
        col = np.where(xs == self._x0 + self._nx * self._dx, self._nx - 1, col)
        row = np.where(ys == self._y0 + self._ny * self._dy, self._ny - 1, row)
        on_raster = (col >= 0) & (col < self._nx) & (row >= 0) & (row < self._ny)
        cell = np.full(xs.shape, -1, dtype=np.intp)
        cell[on_raster] = (row[on_raster] * self._nx + col[on_raster]).astype(np.intp)
        label = np.where(on_raster, self._label[np.maximum(cell, 0)], _OUTSIDE)
        result[label >= 0] = label[label >= 0]
        self._test_mixed(np.flatnonzero(label == _MIXED), cell, xs, ys, result)
        return result

    def _test_mixed(
        self, points: NDArray[np.intp], cell: NDArray[np.intp], xs: NDArray, ys: NDArray, result: NDArray[np.intp]
    ) -> None:
        start = self._starts[cell[points]]
        count = self._starts[cell[points] + 1] - start
        pending = points
        rank = 0
        while len(pending):
            has_rank = count > rank
            pending, start, count = pending[has_rank], start[has_rank], count[has_rank]
            if not len(pending):
                break
            candidate = self._candidates[start + rank]
            hit = shapely.intersects_xy(self._geoms[candidate], xs[pending], ys[pending])
            result[pending[hit]] = candidate[hit]
            pending, start, count = pending[~hit], start[~hit], count[~hit]
            rank += 1
