"""Point lookups against the demo atlas in PostGIS."""

import pytest
import shapely
from geoalchemy2.shape import to_shape
from sqlalchemy import select

from geo.accounts.principal import Principal
from geo.atlas.lookup import lookup_point, parse_coordinates
from geo.core.errors import InvalidInput
from geo.grid.models import Grid, GridBoundary

EVERYTHING = Principal.everything()


def names(result):
    return [link.name_zh for link in result.chain]


def test_benzilan_seat_resolves_to_benzilan_township(session):
    result = lookup_point(session, 99.2991, 28.2446, EVERYTHING)
    assert result.inside_county
    assert [link.level for link in result.chain] == ["county", "township", "village", "group"]
    assert names(result)[:2] == ["德钦县", "奔子栏镇"]
    assert result.chain[-1].code.startswith(result.chain[2].code)


def test_county_seat_resolves_to_shengping(session):
    assert names(lookup_point(session, 98.91, 28.49, EVERYTHING))[1] == "升平镇"


def test_chain_carries_workers_and_the_party_branch(session):
    result = lookup_point(session, 99.2991, 28.2446, EVERYTHING)
    county, township, village, group = result.chain
    assert len(county.workers) == 4
    assert 1 <= len(township.workers) <= 2
    assert len(village.workers) == 1
    assert len(group.workers) == 1 and group.party_branch is not None
    assert group.workers[0].post == "村民小组长兼党支部书记"


def test_point_on_a_shared_edge_resolves_to_the_lower_code_every_time(session):
    rows = session.execute(
        select(Grid.code, GridBoundary.geom).join(GridBoundary).where(Grid.level == "group").order_by(Grid.code)
    ).all()
    first_code, first_geom = rows[0]
    first = to_shape(first_geom)
    code, shared = next(
        (code, shared)
        for code, geom in rows[1:]
        if (shared := shapely.intersection(first.boundary, to_shape(geom).boundary)).length > 0
    )
    # A vertex both outlines contain is exactly representable, so both cover it.
    vertex = shapely.get_coordinates(shared)[0]
    answers = {lookup_point(session, float(vertex[0]), float(vertex[1]), EVERYTHING).chain[-1].code for _ in range(3)}
    assert answers == {min(first_code, code)}


def test_point_outside_names_the_neighbour_and_nearest_grid(session):
    result = lookup_point(session, 99.35, 29.05, EVERYTHING)  # across the Jinsha, in Sichuan
    assert not result.inside_county
    assert result.chain == []
    assert result.neighbour_county is not None and result.neighbour_county["province"] == "四川省"
    assert result.nearest_grid is not None and result.nearest_grid.level == "group"
    assert result.nearest_distance_m is not None and result.nearest_distance_m > 0


def test_point_far_away_has_no_neighbour_but_a_nearest_grid(session):
    result = lookup_point(session, 116.4, 39.9, EVERYTHING)  # Beijing
    assert not result.inside_county and result.neighbour_county is None
    assert result.nearest_distance_m is not None and result.nearest_distance_m > 1_000_000


@pytest.mark.parametrize(
    ("lon", "lat", "message"),
    [
        (None, "28.2", "lon is required"),
        ("99.3", "", "lat is required"),
        ("abc", "28.2", "lon must be a number"),
        ("99.3", "nan", "finite"),
        ("inf", "28.2", "finite"),
        ("28.2446", "99.2991", "look swapped"),
        ("200", "28", "between -180 and 180"),
        ("99", "-91", "between -90 and 90"),
        ("500000", "3100000", "between -180 and 180"),
        ("99.3'; DROP TABLE grid; --", "28.2", "must be a number"),
    ],
)
def test_bad_coordinates_are_named(lon, lat, message):
    with pytest.raises(InvalidInput, match=message):
        parse_coordinates(lon, lat)
