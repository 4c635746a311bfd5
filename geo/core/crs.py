"""Coordinate systems met in Chinese data, and conversions between them.

Storage is WGS-84 (EPSG:4326; CGCS2000 agrees to well under a metre here).
Phone apps on the AMap or Tencent SDKs report GCJ-02, Baidu reports BD-09, and
administrative outlines from AMap are GCJ-02; every importer therefore takes a
source CRS and converts on the way in.

The WGS-84 -> GCJ-02 formula is the public one (as in eviltransform and
coordtransform). GCJ-02 -> WGS-84 has no closed form: it is solved by fixed-point
iteration of the forward formula, which converges to centimetres in a few steps.
All functions are vectorised over numpy arrays and also accept scalars.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer

from geo.core.errors import InvalidInput, one_of

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 formula.
_A = 6378245.0
_EE = 0.00669342162296594323
_BD_FACTOR = np.pi * 3000.0 / 180.0

#: Metric CRS for lengths and areas in Deqin (UTM zone 47N covers 96-102 E).
METRIC_EPSG = 32647
STORAGE_EPSG = 4326


class SourceCRS(StrEnum):
    """Coordinate systems accepted on input."""

    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"


def parse_source_crs(value: str | None) -> SourceCRS:
    """Return the SourceCRS named by ``value`` (case-insensitive, EPSG:4326 accepted)."""
    if value is None or value == "":
        return SourceCRS.WGS84
    normalised = value.strip().lower().replace("-", "").replace("_", "")
    aliases = {"epsg:4326": "wgs84", "4326": "wgs84", "cgcs2000": "wgs84", "epsg:4490": "wgs84"}
    normalised = aliases.get(normalised, normalised)
    return one_of(SourceCRS, normalised, "crs")


def _gcj02_offset(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
    x = lon - 105.0
    y = lat - 35.0
    dlat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """Convert WGS-84 longitude/latitude to GCJ-02."""
    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    dlon, dlat = _gcj02_offset(lon_a, lat_a)
    return lon_a + dlon, lat_a + dlat


def _invert(forward, lon: ArrayLike, lat: ArrayLike, guess: tuple[Any, Any], iterations: int) -> tuple[Any, Any]:
    """Solve forward(x) = (lon, lat) by fixed-point iteration from ``guess`` (the offsets vary slowly)."""
    target_lon = np.asarray(lon, dtype=float)
    target_lat = np.asarray(lat, dtype=float)
    guess_lon, guess_lat = guess
    for _ in range(iterations):
        fwd_lon, fwd_lat = forward(guess_lon, guess_lat)
        guess_lon = guess_lon + (target_lon - fwd_lon)
        guess_lat = guess_lat + (target_lat - fwd_lat)
    return guess_lon, guess_lat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike, iterations: int = 6) -> tuple[Any, Any]:
    """Convert GCJ-02 longitude/latitude to WGS-84 by iterating the forward formula."""
    start = (np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return _invert(wgs84_to_gcj02, lon, lat, start, iterations)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """Convert GCJ-02 longitude/latitude to Baidu's BD-09."""
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _BD_FACTOR)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _BD_FACTOR)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike, iterations: int = 3) -> tuple[Any, Any]:
    """Convert Baidu's BD-09 longitude/latitude to GCJ-02.

    The published inverse is only good to about 10 cm; a few fixed-point steps
    on the forward formula bring it to well under a millimetre.
    """
    x = np.asarray(lon, dtype=float) - 0.0065
    y = np.asarray(lat, dtype=float) - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _BD_FACTOR)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_FACTOR)
    return _invert(gcj02_to_bd09, lon, lat, (z * np.cos(theta), z * np.sin(theta)), iterations)


def to_wgs84(lon: ArrayLike, lat: ArrayLike, source: SourceCRS | str) -> tuple[Any, Any]:
    """Convert coordinates given in ``source`` to WGS-84."""
    source = parse_source_crs(source) if isinstance(source, str) else source
    if source is SourceCRS.WGS84:
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if source is SourceCRS.GCJ02:
        return gcj02_to_wgs84(lon, lat)
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def geometry_to_wgs84(geometry: Any, source: SourceCRS | str) -> Any:
    """Return shapely geometry (or an array of them) converted from ``source`` to WGS-84."""
    source = parse_source_crs(source) if isinstance(source, str) else source
    if source is SourceCRS.WGS84:
        return geometry

    def convert(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        lon, lat = to_wgs84(coords[:, 0], coords[:, 1], source)
        return np.column_stack([lon, lat])

    return shapely.transform(geometry, convert)


@lru_cache(maxsize=2)
def _transformer(source: int, target: int) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def to_metric(geometry: Any) -> Any:
    """Return WGS-84 shapely geometry (or an array) projected to the metric CRS (UTM 47N)."""
    transformer = _transformer(STORAGE_EPSG, METRIC_EPSG)
    return shapely.transform(geometry, lambda c: np.column_stack(transformer.transform(c[:, 0], c[:, 1])))


def coordinates_to_metric(lonlat: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return (n, 2) WGS-84 (lon, lat) coordinates projected to the metric CRS, as an (n, 2) array.

    For many points at once: projecting the array itself skips making a shapely point of each
    (129,000 points: 16 ms, against 0.37 s through ``to_metric(shapely.points(...))``).
    """
    x, y = _transformer(STORAGE_EPSG, METRIC_EPSG).transform(lonlat[:, 0], lonlat[:, 1])
    return np.column_stack([x, y])


def coordinates_from_metric(xy: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return (n, 2) metric coordinates back in WGS-84 (lon, lat), as an (n, 2) array."""
    lon, lat = _transformer(METRIC_EPSG, STORAGE_EPSG).transform(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


#: Longest edge, in degrees (about 100 m), kept when measuring areas in metres; see ``area_m2``.
AREA_SEGMENT_DEGREES = 0.001


def area_m2(geometry: Any) -> Any:
    """Area in square metres of WGS-84 geometry (or an array), as its edges lie in degrees.

    Grids are stored with straight edges in degrees. Projecting only the vertices
    bends nothing, so an edge of a few kilometres projects to a chord that misses
    the projected edge by centimetres; a vertex added on that edge (where a
    split line crosses it) is then measured as a sliver of some 100 m² that does
    not exist. Cutting long edges into ~100 m pieces first makes that error
    vanish (it falls with the cube of the edge length).
    """
    return shapely.area(to_metric(shapely.segmentize(geometry, AREA_SEGMENT_DEGREES)))


def from_metric(geometry: Any) -> Any:
    """Return metric (UTM 47N) shapely geometry (or an array) back in WGS-84."""
    transformer = _transformer(METRIC_EPSG, STORAGE_EPSG)
    return shapely.transform(geometry, lambda c: np.column_stack(transformer.transform(c[:, 0], c[:, 1])))


def parse_geometry(value: object, name: str = "geometry") -> shapely.Geometry:
    """A GeoJSON geometry in WGS-84 degrees; refuse anything else with a message naming the problem."""
    if not isinstance(value, dict) or "type" not in value:
        raise InvalidInput("{field} must be a GeoJSON geometry object", field=name)
    try:
        geometry = shapely.geometry.shape(value)
    except Exception as error:  # shapely raises several kinds for malformed coordinates
        raise InvalidInput("{field} is not a valid GeoJSON geometry: {error}", field=name, error=str(error)) from None
    if geometry.is_empty:
        raise InvalidInput("{field} is empty", field=name)
    xmin, ymin, xmax, ymax = geometry.bounds
    if not (-180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90):
        raise InvalidInput(
            "{field} has coordinates up to ({x:.0f}, {y:.0f}), which are not degrees: "
            "send WGS-84 longitude/latitude, not projected metres",
            field=name,
            x=xmax,
            y=ymax,
        )
    return geometry
