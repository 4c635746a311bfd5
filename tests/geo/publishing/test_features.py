"""The OGC API collections in the domain: "as of" outlines, parameters refused by name."""

from __future__ import annotations

from datetime import timedelta

import pytest

from geo.core.errors import InvalidInput
from geo.publishing.features import (
    CGCS2000,
    COLLECTIONS,
    MAX_LIMIT,
    ItemsRequest,
    items,
    items_request,
    parse_bbox,
    parse_datetime,
)
from tests.geo.planning.test_plans import ADMIN, GROUP, NEW_GROUP, TODAY, approve, split_plan, submit

GROUPS = COLLECTIONS["groups"]


def codes(session, when: str | None, **filters: str) -> set[str]:
    asked = items_request(GROUPS, {"limit": str(MAX_LIMIT), **({"datetime": when} if when else {}), **filters})
    return {feature["id"] for feature in items(session, ADMIN, GROUPS, asked).features}


def test_an_old_date_returns_the_group_as_it_was_before_a_plan(session):
    plan = split_plan(session)
    submit(session, plan)
    approve(session, plan)
    before, after = str(TODAY - timedelta(days=1)), str(TODAY)
    assert NEW_GROUP not in codes(session, before) and GROUP in codes(session, before)
    assert NEW_GROUP in codes(session, after) and GROUP in codes(session, after)
    assert len(codes(session, before)) == 480 and len(codes(session, None)) == 481
    old = items(session, ADMIN, GROUPS, items_request(GROUPS, {"datetime": before, "code": GROUP})).features[0]
    new = items(session, ADMIN, GROUPS, items_request(GROUPS, {"code": GROUP})).features[0]
    assert old["properties"]["area_km2"] > new["properties"]["area_km2"]
    assert old["properties"]["generation"] < new["properties"]["generation"]


def test_a_date_before_any_outline_returns_none(session):
    assert codes(session, "1999-01-01") == set()


def test_cgcs2000_lists_latitude_first(session):
    request = ItemsRequest(limit=1, crs=CGCS2000)
    latitude_first = items(session, ADMIN, COLLECTIONS["incidents"], request).features[0]["geometry"]["coordinates"]
    assert 27 < latitude_first[0] < 30 and 98 < latitude_first[1] < 100
    assert parse_bbox("28.0,99.0,28.5,99.5", CGCS2000) == (99.0, 28.0, 99.5, 28.5)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "100,30,99,28"}, "bbox"),
        ({"bbox": "nan,1,2,3"}, "bbox"),
        ({"bbox-crs": "EPSG:3857"}, "bbox-crs"),
        ({"crs": "http://www.opengis.net/def/crs/EPSG/0/3857"}, "crs"),
        ({"datetime": "yesterday"}, "datetime"),
        ({"datetime": "2026-01-01T00:00:00"}, "datetime"),
        ({"datetime": "2026-02-01/2026-01-01"}, "datetime"),
        ({"datetime": "2026-01-01/2026-02-01"}, "datetime"),  # groups are shown as of one day
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_parameters_are_refused_by_name(args, field):
    with pytest.raises(InvalidInput) as refused:
        items_request(GROUPS, args)
    assert refused.value.field == field


def test_limit_above_the_maximum_is_taken_as_the_maximum():
    assert items_request(GROUPS, {"limit": "99999"}).limit == MAX_LIMIT


def test_intervals_open_at_either_end():
    interval = parse_datetime("../2026-05-01")
    assert interval is not None and interval.start is None and interval.end is not None
    assert not interval.is_instant


def test_zones_in_season_at_any_day_of_an_interval(session):
    zones = COLLECTIONS["zones"]

    def found(when: str) -> set:
        return {f["id"] for f in items(session, ADMIN, zones, items_request(zones, {"datetime": when})).features}

    fungus = found("2026-06-01")
    assert fungus and fungus <= found("2026-03-01/2026-09-01")  # in season in the middle only
    assert found("2026-01-10/2026-01-20") < found("../..")
