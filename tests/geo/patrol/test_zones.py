"""Seasonal windows, zone placement and border flags, patrol tasks and check-ins, Gi* on synthetic data."""

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
import shapely
from sqlalchemy import select

from geo.accounts.models import Role
from geo.accounts.principal import AccessDenied, Principal
from geo.core.crs import from_metric, to_metric
from geo.core.errors import InvalidInput
from geo.patrol.briefing import briefing
from geo.patrol.hotspots import HotspotQuery, analyse, hotspot_surface
from geo.patrol.models import SeasonalZone
from geo.patrol.seasons import active_range, parse_overrides, parse_windows
from geo.patrol.tasks import check_in, create_task
from geo.patrol.zones import ZoneInput, add_team, create_zone, neighbour_names, zone_summary

HARVEST = [{"start": "04-25", "end": "07-05"}]
WINTER = [{"start": "11-15", "end": "02-15"}]
ALL = frozenset({"social", "religious", "rural"})
LEADER = Principal(0, "yangla-leader", Role.PATROL_LEADER, "533422206", ALL)
COUNTY_LEADER = Principal(0, "county-leader", Role.PATROL_LEADER, "533422", ALL)
NOW = datetime(2026, 6, 1, 8, tzinfo=UTC)


def active(windows, day, overrides=None) -> bool:
    return active_range(parse_windows(windows), parse_overrides(overrides), day) is not None


@pytest.mark.parametrize(
    ("day", "expected"),
    [(date(2026, 4, 24), False), (date(2026, 4, 25), True), (date(2026, 7, 5), True), (date(2026, 7, 6), False)],
)
def test_a_window_includes_its_first_and_last_day(day, expected):
    assert active(HARVEST, day) is expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 14), False),
        (date(2026, 11, 15), True),
        (date(2026, 12, 31), True),
        (date(2027, 1, 1), True),
        (date(2027, 2, 15), True),
        (date(2027, 2, 16), False),
        (date(2026, 6, 1), False),
    ],
)
def test_a_window_across_the_new_year(day, expected):
    assert active(WINTER, day) is expected


def test_an_override_moves_one_year_only():
    late = {"2026": {"start": "2026-05-10", "end": "2026-07-05"}}
    assert not active(HARVEST, date(2026, 5, 1), late)
    assert active(HARVEST, date(2026, 5, 10), late)
    assert active(HARVEST, date(2025, 5, 1), late)
    assert active(HARVEST, date(2027, 5, 1), late)
    closed = {"2026": None}
    assert not active(HARVEST, date(2026, 6, 1), closed) and active(HARVEST, date(2027, 6, 1), closed)


def test_an_override_of_a_season_across_the_new_year_belongs_to_the_year_it_starts():
    closed_2026 = {"2026": None}
    assert not active(WINTER, date(2027, 1, 10), closed_2026)  # the 2026-27 winter is closed
    assert active(WINTER, date(2026, 1, 10), closed_2026)  # the 2025-26 winter is not
    extended = {"2026": {"start": "2026-11-01", "end": "2027-03-01"}}
    assert active(WINTER, date(2027, 2, 28), extended) and not active(WINTER, date(2027, 3, 2), extended)


def test_29_february_ends_a_window_in_every_year():
    assert active([{"start": "02-01", "end": "02-29"}], date(2027, 2, 28))
    assert active([{"start": "02-01", "end": "02-29"}], date(2028, 2, 29))


@pytest.mark.parametrize(
    ("windows", "overrides", "field"),
    [
        ([{"start": "02-30", "end": "07-05"}], None, "windows.start"),
        ([{"start": "04-25", "end": "13-01"}], None, "windows.end"),
        ([{"start": "4-25", "end": "07-05"}], None, "windows.start"),
        ([], None, "windows"),
        (HARVEST, {"2026": {"start": "2026-07-05", "end": "2026-05-01"}}, "overrides"),
        (HARVEST, {"26": None}, "overrides"),
        (HARVEST, {"2026": {"start": "2025-05-01", "end": "2026-05-01"}}, "overrides"),
    ],
)
def test_impossible_windows_are_refused_by_name(windows, overrides, field):
    with pytest.raises(InvalidInput) as refused:
        parse_windows(windows)
        parse_overrides(overrides)
    assert refused.value.field == field


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
    assert "Derong County" in zone_summary(zone, lang="en", names=neighbour_names(session, "en"))["border_with"]


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


def test_gi_star_finds_a_planted_cluster_and_nothing_in_uniform_noise():
    area = shapely.box(0, 0, 80_000, 60_000)
    rng = np.random.default_rng(11)
    noise = rng.uniform((0, 0), (80_000, 60_000), (4000, 2))
    quiet = hotspot_surface(area, noise, noise[:2000], permutations=199)
    assert quiet.this.hot.sum() == 0 and quiet.this.cold.sum() == 0 and quiet.clusters == []
    planted = np.vstack([noise, rng.normal((30_000, 20_000), 1500, (300, 2))])
    found = hotspot_surface(area, planted, noise[:2000], permutations=199)
    assert len(found.clusters) == 1
    centres = found.grid.centres[found.clusters[0]]
    assert np.all(np.hypot(*(centres - (30_000, 20_000)).T) < 6000)


def test_an_area_smaller_than_a_cell_gives_an_empty_surface():
    tiny = shapely.box(100, 100, 600, 600)  # no cell centre falls inside
    surface = hotspot_surface(tiny, np.array([[300.0, 300.0]]), np.empty((0, 2)), permutations=9)
    assert surface.counts.size == 0 and surface.clusters == []


def test_gi_star_is_repeatable_with_its_seed():
    area = shapely.box(0, 0, 40_000, 40_000)
    rng = np.random.default_rng(3)
    points = np.vstack([rng.uniform((0, 0), (40_000, 40_000), (800, 2)), rng.normal((10_000, 10_000), 1000, (100, 2))])
    first = hotspot_surface(area, points, points, permutations=99)
    again = hotspot_surface(area, points, points, permutations=99)
    assert np.array_equal(first.this.p, again.this.p)


def test_a_range_with_no_incidents_answers_with_a_note(session):
    answer = analyse(session, LEADER, HotspotQuery(date(2001, 1, 1), date(2001, 3, 1)), lang="en")
    assert (
        answer["note"] == "no incidents in this range"
        and answer["hotspots"] == []
        and answer["stats"]["incidents"] == 0
    )
    with pytest.raises(InvalidInput, match="before it starts"):
        analyse(session, LEADER, HotspotQuery(date(2026, 3, 1), date(2026, 1, 1)))


def test_a_briefing_before_the_season_covers_last_years(session):
    hill = session.scalars(select(SeasonalZone).where(SeasonalZone.kind == "caterpillar_fungus")).first()
    early = briefing(session, COUNTY_LEADER, hill.id, None, None, today=date(2026, 2, 1))
    assert (early["since"], early["until"]) == (date(2025, 4, 25), date(2025, 7, 5))
    during = briefing(session, COUNTY_LEADER, hill.id, None, None, today=date(2026, 6, 1))
    assert (during["since"], during["until"]) == (date(2026, 4, 25), date(2026, 6, 1))
    assert during["zone"]["active"] and during["teams"] and during["sites"]
