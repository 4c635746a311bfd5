"""Zone placement and border flags, patrol tasks and check-ins, the briefing."""

from datetime import UTC, date, datetime, timedelta

import pytest
import shapely
from sqlalchemy import select

from geo.accounts.models import Role
from geo.accounts.principal import AccessDenied, Principal
from geo.core.crs import from_metric, to_metric
from geo.core.errors import InvalidInput
from geo.patrol.briefing import briefing
from geo.patrol.models import SeasonalZone
from geo.patrol.tasks import check_in, create_task
from geo.patrol.zones import ZoneInput, add_team, create_zone, neighbour_names, zone_summary

HARVEST = [{"start": "04-25", "end": "07-05"}]
WINTER = [{"start": "11-15", "end": "02-15"}]
ALL = frozenset({"social", "religious", "rural"})
LEADER = Principal(0, "yangla-leader", Role.PATROL_LEADER, "533422206", ALL)
COUNTY_LEADER = Principal(0, "county-leader", Role.PATROL_LEADER, "533422", ALL)
NOW = datetime(2026, 6, 1, 8, tzinfo=UTC)


def _hill(lon, lat, radius_m=2500):
    centre = shapely.get_coordinates(to_metric(shapely.Point(lon, lat)))[0]
    return from_metric(shapely.Point(centre).buffer(radius_m))


def zone_input(geometry, windows=HARVEST, name="测试虫草山"):
    return ZoneInput(name, "caterpillar_fungus", geometry, windows, {}, altitude_min_m=4000, altitude_max_m=4800)


def test_a_hill_on_the_sichuan_line_is_a_border_area_named_after_its_neighbour(session):
    # On the Jinsha above 羊拉, where Deqin meets Derong (得荣县, Sichuan).
    county = shapely.get_coordinates(shapely.Point(99.10, 28.93))[0]
    zone = create_zone(session, LEADER, zone_input(_hill(*county)), NOW)
    assert zone.is_border and "得荣县" in zone.border_with
    assert zone.area_code.startswith("533422206")
    summary = zone_summary(zone, names=neighbour_names(session))
    assert {"name_zh": "得荣县", "name_en": "Derong County"} in summary["border_with"]


def test_an_inland_zone_is_not_a_border_area(session):
    seat = _hill(98.91, 28.47, 1500)
    zone = create_zone(session, COUNTY_LEADER, zone_input(seat), NOW)
    assert not zone.is_border and zone.border_with == [] and not zone.crosses_county_line


def test_zones_outside_the_county_broken_or_foreign_are_refused(session):
    with pytest.raises(InvalidInput, match="outside the county"):
        create_zone(session, COUNTY_LEADER, zone_input(_hill(100.5, 29.5)), NOW)
    bowtie = shapely.Polygon([(99.1, 28.9), (99.12, 28.92), (99.12, 28.9), (99.1, 28.92)])
    with pytest.raises(InvalidInput, match="Self-intersection"):
        create_zone(session, COUNTY_LEADER, zone_input(bowtie), NOW)
    with pytest.raises(AccessDenied):
        create_zone(session, LEADER, zone_input(_hill(98.91, 28.47, 1500)), NOW)  # the county seat, not 羊拉


def test_check_ins_far_from_the_target_are_kept_and_flagged(session):
    zone = create_zone(session, LEADER, zone_input(_hill(99.10, 28.93)), NOW)
    team = add_team(session, LEADER, zone.id, {"name": "一队", "leader": "扎西", "phone": "", "members": []})
    with pytest.raises(InvalidInput, match="ends before"):
        create_task(session, LEADER, team_id=team.id, title="x", starts_at=NOW, ends_at=NOW, zone_id=zone.id, now=NOW)
    task = create_task(
        session,
        LEADER,
        team_id=team.id,
        title="巡山",
        starts_at=NOW,
        ends_at=NOW + timedelta(hours=8),
        zone_id=zone.id,
        now=NOW,
    )
    near, _ = check_in(session, LEADER, task.id, 99.10, 28.93, "一切正常", NOW)
    far, _ = check_in(session, LEADER, task.id, 99.00, 28.70, "走错了", NOW)
    assert (near.distance_m, near.is_far) == (0.0, False)
    assert far.is_far and far.distance_m > 20_000

    # Kept on a phone without signal, sent in the evening, and sent again when the answer was lost.
    seen = NOW + timedelta(hours=2)
    evening = NOW + timedelta(hours=9)
    late, created = check_in(session, LEADER, task.id, 99.10, 28.93, "山顶无信号", evening, at=seen, key="p-1")
    again, created_again = check_in(session, LEADER, task.id, 99.10, 28.93, "山顶无信号", evening, at=seen, key="p-1")
    assert created and not created_again and again.id == late.id
    assert (late.at, late.received_at) == (seen, evening)
    with pytest.raises(InvalidInput, match="future"):
        check_in(session, LEADER, task.id, 99.10, 28.93, "", NOW, at=NOW + timedelta(hours=1))
    with pytest.raises(InvalidInput, match="more than 7 days ago"):
        check_in(session, LEADER, task.id, 99.10, 28.93, "", NOW, at=NOW - timedelta(days=8))


def test_a_briefing_before_the_season_covers_last_years(session):
    hill = session.scalars(select(SeasonalZone).where(SeasonalZone.kind == "caterpillar_fungus")).first()
    early = briefing(session, COUNTY_LEADER, hill.id, None, None, today=date(2026, 2, 1))
    assert (early["since"], early["until"]) == (date(2025, 4, 25), date(2025, 7, 5))
    during = briefing(session, COUNTY_LEADER, hill.id, None, None, today=date(2026, 6, 1))
    assert (during["since"], during["until"]) == (date(2026, 4, 25), date(2026, 6, 1))
    assert during["zone"]["active"] and during["teams"] and during["sites"]
