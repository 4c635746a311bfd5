"""A second county beside the Deqin demo: a small generated grid cut from 维西县's real outline (test data).

Two townships, each of two villages, each of two villager groups, made by halving the real outline's bounding
box (across, then up and down, then across again), so the pieces tile the county exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import shapely

from geo.atlas.counties import read_county_outlines
from geo.grid.models import GridLevel

WEIXI = "533423"
NAMES = {GridLevel.TOWNSHIP: "乡", GridLevel.VILLAGE: "村", GridLevel.GROUP: "组"}


def _halves(geometry: shapely.Geometry, across: bool) -> list[shapely.Geometry]:
    west, south, east, north = geometry.bounds
    if across:
        middle = (west + east) / 2
        boxes = [shapely.box(west, south, middle, north), shapely.box(middle, south, east, north)]
    else:
        middle = (south + north) / 2
        boxes = [shapely.box(west, south, east, middle), shapely.box(west, middle, east, north)]
    return [shapely.intersection(geometry, box) for box in boxes]


def weixi_features() -> dict[GridLevel, list[dict]]:
    """GeoJSON features per level: code, names, parent code; outlines in WGS-84."""
    outline = read_county_outlines(WEIXI).county.geometry
    levels: dict[GridLevel, list[dict]] = {GridLevel.COUNTY: [_feature(WEIXI, "维西县（测试）", None, outline)]}
    parents = [(WEIXI, outline)]
    for level, across in ((GridLevel.TOWNSHIP, True), (GridLevel.VILLAGE, False), (GridLevel.GROUP, True)):
        children = []
        for parent_code, parent in parents:
            for number, piece in enumerate(_halves(parent, across), start=1):
                code = parent_code + str(100 + number if level is GridLevel.TOWNSHIP else number).zfill(3)
                children.append((code, piece))
        levels[level] = [
            _feature(code, f"维西测试{NAMES[level]}{code[-3:]}", code[:-3], piece) for code, piece in children
        ]
        parents = children
    return levels


def _feature(code: str, name_zh: str, parent: str | None, geometry: shapely.Geometry) -> dict:
    return {
        "type": "Feature",
        "properties": {"code": code, "name_zh": name_zh, "name_en": f"Weixi test {code}", "parent_code": parent},
        "geometry": json.loads(shapely.to_geojson(geometry)),
    }


def write_weixi_grids(directory: Path) -> Path:
    """Write grids_<level>.geojson for ``flask atlas init-county 533423 --grids DIRECTORY``; return it."""
    for level, features in weixi_features().items():
        collection = {"type": "FeatureCollection", "features": features}
        (directory / f"grids_{level.value}.geojson").write_text(json.dumps(collection, ensure_ascii=False))
    return directory


def group_interior_point(code: str) -> tuple[float, float]:
    """A point well inside the generated group ``code`` (lon, lat)."""
    group = next(f for f in weixi_features()[GridLevel.GROUP] if f["properties"]["code"] == code)
    point = shapely.geometry.shape(group["geometry"]).buffer(-0.01).representative_point()
    return point.x, point.y
