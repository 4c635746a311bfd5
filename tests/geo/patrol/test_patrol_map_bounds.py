"""The patrol map's incidents near zones come bounded, saying when some were left out."""

from datetime import date

import pytest

from geo.accounts.principal import Principal
from geo.patrol.briefing import incidents_near_active_zones

pytestmark = pytest.mark.db

HARVEST_DAY = date(2026, 6, 20)


def test_incidents_near_zones_stop_at_the_limit_and_say_so(session):
    everything = incidents_near_active_zones(session, Principal.everything(), HARVEST_DAY)
    assert len(everything["features"]) > 3 and everything["more"] is False
    bounded = incidents_near_active_zones(session, Principal.everything(), HARVEST_DAY, limit=3)
    assert len(bounded["features"]) == 3 and bounded["more"] is True and bounded["limit"] == 3
    assert [f["id"] for f in bounded["features"]] == [f["id"] for f in everything["features"][:3]]
