"""Regenerate the demonstration grid hierarchy, workers and party branches.

Deterministic (fixed seeds): running it again rewrites the same files.
Input: data/boundaries/county_533422.geojson (real, see docs/data.md).
Output: data/boundaries/grids_<level>.geojson and data/demo/*.csv, all committed.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.demo.generate import generate_hierarchy, generate_staff  # noqa: E402


def main() -> None:
    # The file is a FeatureCollection; shapely reads it as a collection of its geometries.
    collection = shapely.from_geojson((ROOT / "data/boundaries/county_533422.geojson").read_text())
    outline = shapely.get_geometry(collection, 0)
    grids = generate_hierarchy(outline)
    for level in ("county", "township", "village", "group"):
        features = [
            {
                "type": "Feature",
                "properties": {
                    "code": g.code,
                    "name_zh": g.name,
                    "name_en": g.name_en,
                    "level": g.level,
                    "parent_code": g.parent_code,
                    "demo": g.level != "county",
                },
                "geometry": json.loads(shapely.to_geojson(g.geometry)),
            }
            for g in grids
            if g.level == level
        ]
        path = ROOT / f"data/boundaries/grids_{level}.geojson"
        path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False) + "\n")
    workers, branches = generate_staff(grids)
    demo = ROOT / "data/demo"
    demo.mkdir(exist_ok=True)
    with open(demo / "workers.csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["code", "name", "phone", "level", "grid_code", "nets", "post"])
        for w in workers:
            writer.writerow([w.code, w.name, w.phone, w.level, w.grid_code, " ".join(w.nets), w.post])
    with open(demo / "party_branches.csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["code", "name", "grid_code", "secretary_code", "members"])
        for b in branches:
            writer.writerow([b.code, b.name, b.grid_code, b.secretary_code, b.members])
    print(f"{len(grids)} grids, {len(workers)} workers, {len(branches)} branches")


if __name__ == "__main__":
    main()
