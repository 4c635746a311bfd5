"""The tiling rule on plain outlines: children cover their parent exactly, no gap, no overlap, nothing outside."""

import pytest
import shapely

from geo.grid.tiling import geometry_problems, validate_tiling

PARENT = shapely.box(99.0, 28.0, 99.02, 28.02)
WEST, EAST = shapely.box(99.0, 28.0, 99.01, 28.02), shapely.box(99.01, 28.0, 99.02, 28.02)
CODES = ["533422102001001", "533422102001002"]


def test_halves_that_share_their_edge_tile_the_parent():
    assert validate_tiling([WEST, EAST], CODES, PARENT, "533422102001") == []


def test_an_overlap_names_the_children_that_overlap():
    wider_west = shapely.box(99.0, 28.0, 99.012, 28.02)
    problems = validate_tiling([wider_west, EAST], CODES, PARENT, "533422102001")
    overlapping = [p for p in problems if "overlaps" in p.message]
    assert {p.code for p in overlapping} == set(CODES)
    assert all(p.where is not None and PARENT.covers(shapely.Point(p.where)) for p in overlapping)


def test_a_gap_is_found_with_its_area_and_place():
    narrower_west = shapely.box(99.0, 28.0, 99.009, 28.02)
    [gap] = [p for p in validate_tiling([narrower_west, EAST], CODES, PARENT, "533422102001") if "gap" in p.message]
    assert gap.code == "533422102001" and gap.where is not None
    assert 99.009 < gap.where[0] < 99.01
    assert "km²" in gap.message and "0.0000" not in gap.message  # about 0.2 km², not float noise


def test_a_child_reaching_outside_the_parent_is_found():
    spilling_east = shapely.box(99.01, 28.0, 99.03, 28.02)
    problems = validate_tiling([WEST, spilling_east], CODES, PARENT, "533422102001")
    [outside] = [p for p in problems if "outside parent" in p.message]
    assert outside.where is not None and outside.where[0] > 99.02


def test_float_noise_below_the_tolerance_is_no_problem():
    nudged_east = shapely.box(99.01 + 1e-9, 28.0, 99.02, 28.02)  # a sliver of well under 1 m²
    assert [p for p in validate_tiling([WEST, nudged_east], CODES, PARENT, "533422102001") if "gap" in p.message] == []


def test_no_children_is_a_problem_and_mismatched_codes_a_programming_error():
    assert [p.message for p in validate_tiling([], [], PARENT, "533422102001")] == ["grid 533422102001 has no children"]
    with pytest.raises(ValueError, match="same length"):
        validate_tiling([WEST, EAST], CODES[:1], PARENT, "533422102001")


def test_one_outline_is_checked_for_emptiness_type_and_validity():
    assert geometry_problems(WEST, CODES[0]) == []
    assert geometry_problems(None, CODES[0])[0].message == "geometry is empty"
    assert geometry_problems(shapely.Polygon(), CODES[0])[0].message == "geometry is empty"
    assert "LineString" in geometry_problems(shapely.LineString([(99, 28), (99.1, 28.1)]), CODES[0])[0].message
    bowtie = shapely.Polygon([(99.0, 28.0), (99.01, 28.01), (99.01, 28.0), (99.0, 28.01)])
    [invalid] = geometry_problems(bowtie, CODES[0])
    assert invalid.message.startswith("invalid geometry") and invalid.where == pytest.approx((99.005, 28.005))
