"""Plan edits keep the tiling; validation finds what breaks it (pure geometry, no database)."""

import numpy as np
import pytest
import shapely
from shapely import box

from geo.core.errors import InvalidInput
from geo.grid.models import GridLevel
from geo.planning.drafts import (
    DraftGrid,
    carve_grid,
    clean_slivers,
    merge_grids,
    move_area,
    rename_grid,
    reshape_grid,
    split_grid,
    validate_draft,
)

PARENT = "533422102201"
# A 3 x 1 row of groups near Benzilan, each about 1 km wide.
CELL = 0.01
ORIGIN = (99.30, 28.20)


def cell(i: int, width: float = 1.0) -> shapely.Polygon:
    # Rounded so that neighbours share their edge exactly, as real tilings do.
    return box(round(ORIGIN[0] + i * CELL, 6), ORIGIN[1], round(ORIGIN[0] + (i + width) * CELL, 6), ORIGIN[1] + CELL)


ROW = box(ORIGIN[0], ORIGIN[1], round(ORIGIN[0] + 3 * CELL, 6), ORIGIN[1] + CELL)


def draft(n: int = 3) -> list[DraftGrid]:
    return [DraftGrid(f"{PARENT}{i + 1:03d}", f"{i + 1}组", "", shapely.MultiPolygon([cell(i)])) for i in range(n)]


def parent_of(grids) -> shapely.Geometry:
    return shapely.union_all([g.geometry for g in grids])


def check(grids, parent=None, **extra):
    return validate_draft(
        grids,
        parent_code=PARENT,
        parent_geometry=parent if parent is not None else ROW,
        child_level=GridLevel.GROUP,
        **extra,
    )


def total_area(grids) -> float:
    return sum(g.geometry.area for g in grids)


def test_a_plain_row_is_valid():
    assert check(draft()).ok


def test_split_by_a_line_keeps_the_tiling_and_the_area():
    grids = draft()
    y = ORIGIN[1] + CELL * 0.3
    line = shapely.LineString([(ORIGIN[0] - 0.001, y), (ORIGIN[0] + CELL + 0.001, y)])
    result = split_grid(grids, f"{PARENT}001", line, f"{PARENT}004", "四组")
    assert [g.code for g in result] == [f"{PARENT}001", f"{PARENT}002", f"{PARENT}003", f"{PARENT}004"]
    assert check(result).ok
    assert total_area(result) == pytest.approx(total_area(grids))
    kept, carved = result[0].geometry.area, result[3].geometry.area
    assert kept > carved  # the grid keeps its larger piece


def test_a_line_that_does_not_cross_the_grid_is_refused():
    line = shapely.LineString([(ORIGIN[0] + 0.002, ORIGIN[1] + 0.005), (ORIGIN[0] + 0.004, ORIGIN[1] + 0.005)])
    with pytest.raises(InvalidInput, match="does not cross grid"):
        split_grid(draft(), f"{PARENT}001", line, f"{PARENT}004", "四组")


def test_merge_keeps_the_first_code_and_the_tiling():
    result = merge_grids(draft(), [f"{PARENT}002", f"{PARENT}003"])
    assert [g.code for g in result] == [f"{PARENT}001", f"{PARENT}002"]
    assert check(result).ok
    assert result[1].geometry.area == pytest.approx(2 * CELL * CELL)


def test_a_grid_chosen_twice_for_a_merge_counts_once():
    result = merge_grids(draft(), [f"{PARENT}002", f"{PARENT}003", f"{PARENT}002"])
    assert [g.code for g in result] == [f"{PARENT}001", f"{PARENT}002"] and check(result).ok


def test_merging_grids_that_do_not_touch_is_refused():
    with pytest.raises(InvalidInput, match="shares no edge"):
        merge_grids(draft(), [f"{PARENT}001", f"{PARENT}003"])


def test_move_hands_an_area_to_the_neighbour():
    grids = draft()
    area = box(ORIGIN[0] + 0.8 * CELL, ORIGIN[1] - 0.001, ORIGIN[0] + 1.2 * CELL, ORIGIN[1] + CELL + 0.001)
    result = move_area(grids, area, f"{PARENT}001", f"{PARENT}002")
    assert check(result).ok
    assert result[0].geometry.area == pytest.approx(0.8 * CELL * CELL)
    assert result[1].geometry.area == pytest.approx(1.2 * CELL * CELL)


def test_move_to_a_grid_that_does_not_touch_is_refused():
    area = box(ORIGIN[0] + 0.1 * CELL, ORIGIN[1], ORIGIN[0] + 0.2 * CELL, ORIGIN[1] + CELL)
    with pytest.raises(InvalidInput, match="does not touch"):
        move_area(draft(), area, f"{PARENT}001", f"{PARENT}003")


def test_carve_takes_the_area_from_every_sibling_it_overlaps():
    area = box(ORIGIN[0] + 0.5 * CELL, ORIGIN[1] + 0.5 * CELL, ORIGIN[0] + 2.5 * CELL, ORIGIN[1] + 2 * CELL)
    result = carve_grid(draft(), area, f"{PARENT}004", "四组")
    assert check(result).ok
    # Clipped to the parent: the part above it is not taken.
    assert result[-1].geometry.area == pytest.approx(2 * CELL * 0.5 * CELL)


def test_an_overlapping_reshape_is_reported_with_its_edges_and_cleaned_in_one_step():
    bulging = box(ORIGIN[0], ORIGIN[1], ORIGIN[0] + 1.0005 * CELL, ORIGIN[1] + CELL)  # 5 m into the neighbour
    result = reshape_grid(draft(), f"{PARENT}001", bulging)
    report = check(result)
    assert report.errors and report.invalid_edges
    assert {code for code, _ in report.invalid_edges} >= {f"{PARENT}001"}
    assert any(p.where for p in report.errors)
    cleaned = clean_slivers(result, gap_width_m=10)
    assert check(cleaned).ok
    assert shapely.coverage_is_valid(np.array([g.geometry for g in cleaned]))


def test_a_gap_is_reported_where_it_is():
    shrunk = box(ORIGIN[0], ORIGIN[1], ORIGIN[0] + 0.7 * CELL, ORIGIN[1] + CELL)
    report = check(reshape_grid(draft(), f"{PARENT}001", shrunk))
    gap = [p for p in report.errors if "gap" in p.message]
    assert gap and gap[0].where[0] == pytest.approx(ORIGIN[0] + 0.85 * CELL, abs=0.002)


def test_outside_the_parent_is_reported():
    grown = box(ORIGIN[0] - CELL, ORIGIN[1], ORIGIN[0] + CELL, ORIGIN[1] + CELL)
    report = check(reshape_grid(draft(), f"{PARENT}001", grown))
    assert any("outside parent" in p.message for p in report.errors)


def test_slivers_codes_and_names_are_checked():
    tiny = DraftGrid(f"{PARENT}009", "碎片", "", shapely.MultiPolygon([box(99.4, 28.2, 99.4001, 28.2001)]))
    report = check([*draft(), tiny], parent=shapely.union_all([parent_of(draft()), tiny.geometry]))
    assert any("sliver" in p.message for p in report.errors)
    renamed = rename_grid(draft(), f"{PARENT}001", new_code="99", name_zh="", name_en=None)
    messages = " ".join(p.message for p in check(renamed).errors)
    assert "must be 15 digits" in messages and "has no name" in messages
    duplicate = rename_grid(draft(), f"{PARENT}001", new_code=f"{PARENT}002", name_zh=None, name_en=None)
    assert any("more than once" in p.message for p in check(duplicate).errors)


def test_every_grid_needs_a_worker_for_each_net_before_submission():
    served = {f"{PARENT}001": {"social", "rural"}, f"{PARENT}002": {"social", "rural"}, f"{PARENT}003": {"social"}}
    report = check(draft(), nets_needed={"social", "rural"}, nets_served=served)
    assert not report.errors
    assert [p.message for p in report.todo] == [f"grid {PARENT}003 has no worker for the rural net"]


def test_self_intersecting_geometry_is_refused_with_its_place():
    bowtie = shapely.Polygon([(99.30, 28.20), (99.31, 28.21), (99.31, 28.20), (99.30, 28.21)])
    with pytest.raises(InvalidInput, match="Self-intersection"):
        reshape_grid(draft(), f"{PARENT}001", bowtie)
