"""Tiling rules: the children of a grid must cover it exactly, with no gap and no overlap."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely

from geo.core.crs import area_m2
from geo.core.errors import Problem

#: Gaps or overlaps smaller than this (in m²) are float noise, not planning errors.
AREA_TOLERANCE_M2 = 1.0


def _where(geometry: shapely.Geometry) -> tuple[float, float]:
    point = shapely.point_on_surface(geometry)
    return (round(point.x, 6), round(point.y, 6))


def geometry_problems(geometry: shapely.Geometry | None, code: str | None) -> list[Problem]:
    """Return the problems of a single grid outline: missing, empty, not a polygon, invalid."""
    if geometry is None or shapely.is_empty(geometry):
        return [Problem("geometry is empty", code)]
    if geometry.geom_type not in ("Polygon", "MultiPolygon"):
        return [Problem("geometry is a {kind}, expected a Polygon or MultiPolygon", code, kind=geometry.geom_type)]
    if not shapely.is_valid(geometry):
        reason = shapely.is_valid_reason(geometry)
        where = None
        if "[" in reason:
            # GEOS reports the place as "Self-intersection[99.1 28.3]".
            x, y = reason[reason.index("[") + 1 : reason.index("]")].split()[:2]
            where = (round(float(x), 6), round(float(y), 6))
        return [Problem("invalid geometry: {reason}", code, where, reason=reason)]
    return []


def misaligned_edges(
    geometries: Sequence[shapely.Geometry] | np.ndarray, codes: Sequence[str]
) -> list[tuple[str, shapely.Geometry]]:
    """Each grid's edges that overlap or do not match a sibling's (empty when the grids form a coverage)."""
    geoms = np.asarray(geometries, dtype=object)
    if shapely.coverage_is_valid(geoms):
        return []
    edges = shapely.coverage_invalid_edges(geoms)
    return [
        (code, edge) for code, edge in zip(codes, edges, strict=True) if edge is not None and not shapely.is_empty(edge)
    ]


def validate_tiling(
    children: Sequence[shapely.Geometry],
    codes: Sequence[str],
    parent: shapely.Geometry,
    parent_code: str,
) -> list[Problem]:
    """Check that ``children`` tile ``parent``: no overlaps, no gaps, nothing outside.

    Parameters
    ----------
    children : sequence of shapely Polygon/MultiPolygon
        The child outlines in WGS-84, each already valid.
    codes : sequence of str
        The child codes, used to name offenders.
    parent : shapely Polygon/MultiPolygon
        The parent outline in WGS-84.
    parent_code : str
        The parent code, used in messages.

    Returns
    -------
    list of Problem
        Empty when the tiling is exact (within ``AREA_TOLERANCE_M2``).
    """
    if len(children) != len(codes):
        raise ValueError("children and codes must have the same length")
    if not children:
        return [Problem("grid {grid} has no children", parent_code, grid=parent_code)]
    geoms = np.asarray(children, dtype=object)
    problems: list[Problem] = []
    misaligned = misaligned_edges(geoms, codes)
    is_coverage = not misaligned
    for code, edge in misaligned:
        problems.append(Problem("grid {grid} overlaps or misaligns with a sibling", code, _where(edge), grid=code))
    union = shapely.coverage_union_all(geoms) if is_coverage else shapely.union_all(geoms)
    if is_coverage and _same_outline(union, parent):
        # Fast path: children built from the parent share its outline vertex for vertex,
        # so there is no gap and nothing outside, without two overlays of the parent.
        return problems
    for piece in _pieces_larger_than_tolerance(shapely.difference(union, parent)):
        area = float(area_m2(piece)) / 1e6
        problems.append(
            Problem(
                "{area:.4f} km² lies outside parent grid {grid}",
                parent_code,
                _where(piece),
                area=area,
                grid=parent_code,
            )
        )
    for piece in _pieces_larger_than_tolerance(shapely.difference(parent, union)):
        area = float(area_m2(piece)) / 1e6
        problems.append(
            Problem(
                "a gap of {area:.4f} km² in grid {grid} is covered by no child",
                parent_code,
                _where(piece),
                area=area,
                grid=parent_code,
            )
        )
    return problems


def as_multipolygon(geometry: shapely.Geometry) -> shapely.MultiPolygon:
    """The polygons of ``geometry`` as one MultiPolygon (overlays can return collections with stray lines)."""
    if geometry.geom_type == "MultiPolygon":
        return geometry
    polygons = [g for g in shapely.get_parts(geometry) if g.geom_type == "Polygon" and not g.is_empty]
    return shapely.MultiPolygon(polygons)


def _same_outline(first: shapely.Geometry, second: shapely.Geometry) -> bool:
    return bool(
        shapely.equals_exact(shapely.normalize(as_multipolygon(first)), shapely.normalize(as_multipolygon(second)), 0)
    )


def _pieces_larger_than_tolerance(geometry: shapely.Geometry) -> list[shapely.Geometry]:
    parts = shapely.get_parts(geometry)
    return [part for part, area in zip(parts, area_m2(parts), strict=True) if area > AREA_TOLERANCE_M2]
