"""What the patrol map proposes, decided by the server: the hotspot range and a visit's target and hours."""

from datetime import date

import pytest
import shapely

from geo.accounts.principal import Principal
from geo.core.crs import to_metric
from geo.patrol.hotspots import QUIET_LOOKBACK, default_range
from geo.patrol.tasks import VISIT_HALF_SIDE_M, proposed_visit


def test_the_range_starts_with_the_season_of_the_zones_open_that_day(session):
    since, until = default_range(session, Principal.everything(), date(2026, 6, 15))
    assert (since, until) == (date(2026, 4, 25), date(2026, 6, 15))


def test_without_an_open_zone_the_range_looks_back_sixty_days(session):
    day = date(2026, 11, 13)
    assert default_range(session, Principal.everything(), day) == (day - QUIET_LOOKBACK, day)


def test_a_visit_covers_a_square_around_the_hotspot_during_the_county_working_day():
    visit = proposed_visit(98.9, 28.48, date(2026, 6, 15))
    square = to_metric(shapely.geometry.shape(visit["target"]))
    assert square.area == pytest.approx((2 * VISIT_HALF_SIDE_M) ** 2, rel=0.01)
    assert square.centroid.distance(to_metric(shapely.Point(98.9, 28.48))) < 5
    assert visit["starts_at"] == "2026-06-15T00:00:00+00:00"  # 08:00 China Standard Time
    assert visit["ends_at"] == "2026-06-15T10:00:00+00:00"
