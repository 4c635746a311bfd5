"""Validation of a whole level: all 480 villager groups checked against their 49 villages.

``validate_draft`` (GEOS coverage validation, one union and two differences
per village, slivers measured in metres) against a naive check that compares
every pair of groups for overlap and then each village with the union of its
groups. Target: <= 0.5 s for all 480 groups.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import geopandas as gpd
import shapely

from bench.report import header, row, timed, verdict
from geo.grid.models import GridLevel
from geo.planning.drafts import DraftGrid, validate_draft

BOUNDARIES = Path(__file__).resolve().parents[1] / "data" / "boundaries"


def main() -> None:
    groups = gpd.read_file(BOUNDARIES / "grids_group.geojson", engine="pyogrio")
    villages = gpd.read_file(BOUNDARIES / "grids_village.geojson", engine="pyogrio")
    outlines = dict(zip(villages["code"], villages.geometry, strict=True))
    by_village: dict[str, list[DraftGrid]] = defaultdict(list)
    for code, name, geometry in zip(groups["code"], groups["name_zh"], groups.geometry, strict=True):
        by_village[code[:12]].append(DraftGrid(code, name, "", geometry))

    def with_validate_draft() -> int:
        problems = 0
        for village, grids in by_village.items():
            report = validate_draft(
                grids, parent_code=village, parent_geometry=outlines[village], child_level=GridLevel.GROUP
            )
            problems += len(report.errors)
        return problems

    geometries = list(groups.geometry)

    def naive() -> int:
        # Every pair of groups tested for overlap, then each village against the union of its groups.
        problems = 0
        for i, first in enumerate(geometries):
            for second in geometries[i + 1 :]:
                if first.intersects(second) and first.intersection(second).area > 1e-10:
                    problems += 1
        for village, grids in by_village.items():
            covered = shapely.union_all([g.geometry for g in grids])
            if shapely.symmetric_difference(covered, outlines[village]).area > 1e-10:
                problems += 1
        return problems

    fast, found = timed(with_validate_draft)
    baseline, naive_found = timed(naive, repeat=1)
    header(f"validation of all {len(groups)} villager groups against their {len(by_village)} villages")
    row("baseline: pairwise overlaps + unions", f"{baseline:.3f} s", f"{naive_found} problem(s)")
    row(
        "validate_draft (coverage validation)",
        f"{fast:.3f} s",
        f"{found} problem(s); " + verdict(fast <= 0.5, "<= 0.5 s"),
    )
    row("speed-up vs naive", f"{baseline / fast:.1f}x")


if __name__ == "__main__":
    main()
