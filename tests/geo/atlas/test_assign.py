import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.atlas.assign import PointAssigner

SQUARES = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(0, 1, 2, 2)]


def reference(polygons, x, y):
    """First polygon (in order) that covers each point, the slow obvious way."""
    result = np.full(len(x), -1)
    for index in reversed(range(len(polygons))):
        result[shapely.intersects_xy(polygons[index], x, y)] = index
    return result


def test_matches_the_obvious_answer_on_the_demo_groups():
    groups = gpd.read_file("data/boundaries/grids_group.geojson", engine="pyogrio").sort_values("code")
    polygons = list(groups.geometry)
    rng = np.random.default_rng(3)
    xmin, ymin, xmax, ymax = shapely.total_bounds(polygons)
    x = rng.uniform(xmin - 0.1, xmax + 0.1, 20_000)
    y = rng.uniform(ymin - 0.1, ymax + 0.1, 20_000)
    got = PointAssigner(polygons, cells=4096).assign(x, y)
    assert (got == reference(polygons, x, y)).all()
    assert (got == -1).any() and (got >= 0).any()


def test_shared_edges_and_corners_go_to_the_first_polygon():
    assigner = PointAssigner(SQUARES, cells=16)
    x = np.array([1.0, 1.0, 0.5, 2.0, 0.0, 3.0])
    y = np.array([0.5, 1.0, 1.0, 2.0, 0.0, 0.5])
    assert assigner.assign(x, y).tolist() == [0, 0, 0, 2, 0, -1]


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="non-empty"):
        PointAssigner([])
    with pytest.raises(TypeError, match="Polygons"):
        PointAssigner([shapely.Point(0, 0)])
    with pytest.raises(ValueError, match="same shape"):
        PointAssigner(SQUARES).assign([0.5], [0.5, 0.6])
