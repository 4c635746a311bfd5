"""A hotspot answer is kept until an incident changes, and never outlives the change."""

from datetime import UTC, date, datetime

import pytest

from geo.accounts.principal import Principal
from geo.dispatch.intake import IncidentInput, create_incident
from geo.patrol.hotspots import HotspotQuery, analyse

pytestmark = pytest.mark.db

SEASON = HotspotQuery(date(2026, 4, 25), date(2026, 7, 5))


def test_the_same_question_is_answered_from_memory_until_an_incident_changes(session):
    county = Principal.everything()
    first = analyse(session, county, SEASON, permutations=99)
    assert analyse(session, county, SEASON, permutations=99) is first
    assert (
        analyse(session, county, HotspotQuery(SEASON.since, SEASON.until, net="social"), permutations=99) is not first
    )
    report = IncidentInput(net="social", category="dispute", title="热点缓存", lon=98.9146, lat=28.4840)
    create_incident(session, county, report, now=datetime(2026, 5, 1, 4, 0, tzinfo=UTC))
    again = analyse(session, county, SEASON, permutations=99)
    assert again is not first and again["stats"]["incidents"] == first["stats"]["incidents"] + 1
