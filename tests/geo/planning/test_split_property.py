"""Any straight line that crosses a villager group from edge to edge splits it, on the real demo atlas.

Random lines (fixed seed) through a random inside point of each of the 480
groups, at a random angle, long enough to leave the group on both sides. Each
split must keep the village's tiling valid, cover exactly what the group
covered, and leave every other group as it was (within 1 m²). The sliver rule
is set aside here: a line may rightly cut off a corner smaller than 2,000 m²,
which validation then names as a planning error, not as a broken tiling.
"""

import random

import numpy as np
import shapely

from geo.core.crs import area_m2
from geo.grid.boundaries import current_outlines
from geo.grid.models import GridLevel
from geo.planning.drafts import DraftGrid, split_grid, validate_draft

LINES = 2_000
SEED = 20261202


def random_line_across(outline: shapely.Geometry, rng: random.Random) -> shapely.LineString:
    minx, miny, maxx, maxy = outline.bounds
    while True:
        inside = shapely.Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if outline.contains(inside):
            break
    angle = rng.uniform(0, np.pi)
    reach = 2 * max(maxx - minx, maxy - miny)
    dx, dy = reach * np.cos(angle), reach * np.sin(angle)
    return shapely.LineString([(inside.x - dx, inside.y - dy), (inside.x + dx, inside.y + dy)])


def test_every_line_across_a_group_splits_it_and_changes_nothing_else(session):
    villages = current_outlines(session, GridLevel.VILLAGE)
    groups = current_outlines(session, GridLevel.GROUP)
    assert len(groups) == 480
    rng = random.Random(SEED)
    codes = sorted(groups)
    failures = []
    for n in range(LINES):
        code = codes[n % len(codes)]
        village = code[: GridLevel.VILLAGE.code_length]
        siblings = [DraftGrid(c, c, "", g) for c, g in groups.items() if c.startswith(village)]
        line = random_line_across(groups[code], rng)
        new_code = village + "999"
        after = {g.code: g.geometry for g in split_grid(siblings, code, line, new_code, "新组")}

        report = validate_draft(
            list(DraftGrid(c, c, "", g) for c, g in after.items()),
            parent_code=village,
            parent_geometry=villages[village],
            child_level=GridLevel.GROUP,
            sliver_m2=0,
        )
        moved = {
            other: float(area_m2(shapely.symmetric_difference(after[other], groups[other])))
            for other in after
            if other not in (code, new_code)
        }
        halves = shapely.union(after[code], after[new_code])
        lost_or_gained = float(area_m2(shapely.symmetric_difference(halves, groups[code])))
        if report.errors or max(moved.values(), default=0) > 1.0 or lost_or_gained > 1.0:
            failures.append((code, line.wkt, [p.as_dict() for p in report.errors], max(moved.values()), lost_or_gained))
    assert not failures, f"{len(failures)} of {LINES} splits failed, first: {failures[0]}"
