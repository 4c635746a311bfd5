"""How much geometry one request may bring, counted before any work is done on it."""

import pytest
import shapely

from geo.core.limits import TooManyVertices, geojson_vertex_count, require_vertices_within, vertex_count

SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}


def test_geojson_positions_are_counted_in_every_kind_of_geometry():
    assert geojson_vertex_count({"type": "Point", "coordinates": [99.3, 28.3]}) == 1
    assert geojson_vertex_count({"type": "Point", "coordinates": [99.3, 28.3, 4200]}) == 1
    assert geojson_vertex_count(SQUARE) == 5
    assert geojson_vertex_count({"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"]] * 3}) == 15
    collection = {"type": "GeometryCollection", "geometries": [SQUARE, {"type": "Point", "coordinates": [0, 0]}]}
    assert geojson_vertex_count(collection) == 6


@pytest.mark.parametrize("junk", [None, "polygon", 7, {}, {"coordinates": []}, [[], []], {"coordinates": "x"}])
def test_junk_counts_nothing_rather_than_failing(junk):
    assert geojson_vertex_count(junk) == 0


def test_a_huge_geometry_is_counted_without_being_built():
    ring = [[float(i), 0.0] for i in range(200_000)]
    assert geojson_vertex_count({"type": "LineString", "coordinates": ring}) == 200_000


def test_shapely_vertices_are_counted_for_one_geometry_or_many_with_gaps():
    square = shapely.geometry.shape(SQUARE)
    assert vertex_count(square) == 5
    assert vertex_count([square, None, shapely.Point(0, 0)]) == 6
    assert vertex_count([]) == 0


def test_the_limit_is_inclusive_and_the_refusal_names_the_field():
    require_vertices_within(20_000, 20_000, "geometry")
    with pytest.raises(TooManyVertices) as refused:
        require_vertices_within(20_001, 20_000, "geometry")
    assert refused.value.status == 413 and refused.value.field == "geometry"
    assert "20001" in refused.value.message and "20000" in refused.value.message
