import numpy as np
import pytest
import shapely

from geo.core.crs import (
    SourceCRS,
    bd09_to_gcj02,
    coordinates_from_metric,
    coordinates_to_metric,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    geometry_to_wgs84,
    parse_source_crs,
    to_metric,
    to_wgs84,
    wgs84_to_gcj02,
)
from geo.core.errors import InvalidInput

BENZILAN = (99.2991, 28.2446)


def metres_between(a, b):
    return shapely.distance(to_metric(shapely.Point(a)), to_metric(shapely.Point(b)))


def test_gcj02_offset_in_deqin_is_about_400_m_mostly_north_south():
    gcj = tuple(float(v) for v in wgs84_to_gcj02(*BENZILAN))
    assert 340 <= metres_between(BENZILAN, gcj) <= 400
    assert abs(gcj[1] - BENZILAN[1]) * 111_000 > 3 * abs(gcj[0] - BENZILAN[0]) * 98_000


def test_bd09_offset_in_deqin_is_about_750_m():
    bd = gcj02_to_bd09(*wgs84_to_gcj02(*BENZILAN))
    assert 720 <= metres_between(BENZILAN, tuple(float(v) for v in bd)) <= 790


@pytest.mark.parametrize("source", [SourceCRS.GCJ02, SourceCRS.BD09])
def test_round_trip_returns_to_wgs84_within_centimetres(source):
    rng = np.random.default_rng(1)
    lon = rng.uniform(98.6, 99.5, 200)
    lat = rng.uniform(27.6, 29.2, 200)
    shifted = wgs84_to_gcj02(lon, lat)
    if source is SourceCRS.BD09:
        shifted = gcj02_to_bd09(*shifted)
    back_lon, back_lat = to_wgs84(*shifted, source)
    assert np.max(np.abs(back_lon - lon)) * 98_000 < 0.05
    assert np.max(np.abs(back_lat - lat)) * 111_000 < 0.05


def test_gcj02_inverse_is_exact_inverse_of_forward():
    lon, lat = gcj02_to_wgs84(*wgs84_to_gcj02(*BENZILAN))
    assert abs(lon - BENZILAN[0]) < 1e-9 and abs(lat - BENZILAN[1]) < 1e-9


def test_bd09_to_gcj02_inverts_gcj02_to_bd09():
    gcj = wgs84_to_gcj02(*BENZILAN)
    back = bd09_to_gcj02(*gcj02_to_bd09(*gcj))
    assert np.allclose(back, gcj, atol=1e-6)


def test_geometry_conversion_moves_every_vertex_and_keeps_wgs84_untouched():
    square = shapely.box(99.0, 28.0, 99.1, 28.1)
    assert geometry_to_wgs84(square, "wgs84") is square
    moved = geometry_to_wgs84(square, "gcj02")
    assert shapely.get_num_coordinates(moved) == shapely.get_num_coordinates(square)
    assert 0.002 < abs(square.bounds[1] - moved.bounds[1]) < 0.005


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, SourceCRS.WGS84),
        ("", SourceCRS.WGS84),
        ("GCJ-02", SourceCRS.GCJ02),
        ("bd09", SourceCRS.BD09),
        ("EPSG:4326", SourceCRS.WGS84),
        ("cgcs2000", SourceCRS.WGS84),
    ],
)
def test_parse_source_crs_accepts_common_spellings(text, expected):
    assert parse_source_crs(text) is expected


def test_parse_source_crs_names_the_choices():
    with pytest.raises(InvalidInput, match="wgs84, gcj02, bd09"):
        parse_source_crs("utm47")


def test_coordinate_arrays_project_as_their_points_do():
    lonlat = np.array([[98.9146, 28.4840], [99.3, 27.9], [98.6, 28.9]])
    through_points = shapely.get_coordinates(to_metric(shapely.points(lonlat)))
    np.testing.assert_allclose(coordinates_to_metric(lonlat), through_points)
    np.testing.assert_allclose(coordinates_from_metric(through_points), lonlat, atol=1e-9)
