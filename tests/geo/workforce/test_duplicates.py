"""Cross-net duplicates: one problem reported in two nets at the same place and time, flagged and merged."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from geo.core.errors import InvalidInput
from geo.core.models import AuditEvent
from geo.dispatch.intake import DUPLICATE_WINDOW
from geo.dispatch.queues import Queue, queue_counts
from geo.dispatch.views import IncidentFilter, filtered, get_incident, incident_detail
from geo.dispatch.workflow import StaleVersion
from geo.workforce.duplicates import cross_net_pairs, cross_net_partners, merge_cross_net
from tests.geo.dispatch.cases import BENZILAN_DESK, BENZILAN_SEAT, DESK, T0, report

NEAR = (BENZILAN_SEAT[0] + 0.002, BENZILAN_SEAT[1])  # about 200 m east
FAR = (BENZILAN_SEAT[0] - 0.02, BENZILAN_SEAT[1])  # about 2 km west


def pairs_of(session, principal, ticket):
    return [p for p in cross_net_pairs(session, principal) if ticket in (p["first"]["ticket"], p["second"]["ticket"])]


def test_two_nets_reporting_one_place_are_flagged_once(session):
    social, _ = report(session, key="x-1", now=T0)
    rural, _ = report(
        session, key="x-2", net="rural", category="infrastructure", where=NEAR, now=T0 + timedelta(hours=5)
    )
    found = pairs_of(session, DESK, social.ticket)
    assert len(found) == 1
    assert (found[0]["first"]["ticket"], found[0]["second"]["ticket"]) == (social.ticket, rural.ticket)
    assert 150 < found[0]["distance_m"] < 250
    assert cross_net_partners(session, DESK, social) == [rural.ticket]
    assert social.suspected_duplicate_id is None and rural.suspected_duplicate_id is None  # intake's is per category


def test_far_apart_or_days_apart_or_one_net_is_not_a_cross_net_duplicate(session):
    social, _ = report(session, key="y-1", now=T0)
    report(session, key="y-2", net="rural", category="infrastructure", where=FAR, now=T0)
    report(session, key="y-3", net="rural", category="infrastructure", where=NEAR, now=T0 + DUPLICATE_WINDOW * 2)
    report(session, key="y-4", category="safety_hazard", where=NEAR, now=T0)
    assert pairs_of(session, DESK, social.ticket) == []


def test_religious_cases_pair_only_for_those_holding_that_net(session):
    social, _ = report(session, key="z-1", now=T0)
    report(session, key="z-2", net="religious", category="religious_site_safety", where=NEAR, now=T0)
    assert len(pairs_of(session, DESK, social.ticket)) == 1
    assert pairs_of(session, BENZILAN_DESK, social.ticket) == []  # social and rural only


def cross_net_queue(session, principal) -> set[str]:
    query = filtered(principal, IncidentFilter(queue=Queue.CROSS_NET_DUPLICATES.value), T0)
    return {incident.ticket for incident in session.scalars(query)}


def test_the_dispatchers_queue_holds_both_cases_of_each_pair_as_the_desk_sees_them(session):
    social, _ = report(session, key="q-1", now=T0)
    rural, _ = report(session, key="q-2", net="rural", category="infrastructure", where=NEAR, now=T0)
    religious, _ = report(session, key="q-3", net="religious", category="religious_site_safety", where=FAR, now=T0)
    beside_religious, _ = report(session, key="q-4", category="dispute", where=(FAR[0] + 0.001, FAR[1]), now=T0)
    for principal in (DESK, BENZILAN_DESK):
        paired = {p[side]["ticket"] for p in cross_net_pairs(session, principal) for side in ("first", "second")}
        listed = cross_net_queue(session, principal)
        assert listed == paired and {social.ticket, rural.ticket} <= listed
        assert queue_counts(session, principal, T0)[Queue.CROSS_NET_DUPLICATES.value] == len(listed)
    assert {religious.ticket, beside_religious.ticket} <= cross_net_queue(session, DESK)
    # Without the religious net the desk neither sees that case nor learns its own case has a partner there.
    assert not {religious.ticket, beside_religious.ticket} & cross_net_queue(session, BENZILAN_DESK)


def test_a_merged_pair_leaves_the_queue(session):
    social, _ = report(session, key="r-1", now=T0)
    rural, _ = report(session, key="r-2", net="rural", category="infrastructure", where=NEAR, now=T0)
    assert {social.ticket, rural.ticket} <= cross_net_queue(session, DESK)
    merge_cross_net(
        session, DESK, social.ticket, rural.ticket, keep_version=social.version, merged_version=rural.version, now=T0
    )
    assert not {social.ticket, rural.ticket} & cross_net_queue(session, DESK)


def test_merging_closes_one_as_the_others_duplicate_audited(session):
    social, _ = report(session, key="m-1", now=T0)
    rural, _ = report(session, key="m-2", net="rural", category="infrastructure", where=NEAR, now=T0)
    kept = merge_cross_net(
        session,
        DESK,
        social.ticket,
        rural.ticket,
        keep_version=social.version,
        merged_version=rural.version,
        note="同一处塌方",
        now=T0 + timedelta(hours=1),
    )
    merged = get_incident(session, DESK, rural.ticket)
    assert merged.status == "duplicate" and merged.duplicate_of_id == kept.id
    assert pairs_of(session, DESK, social.ticket) == []
    assert incident_detail(session, kept, DESK)["history"][-1]["data"] == {"from": rural.ticket, "net": "rural"}
    assert incident_detail(session, merged, DESK)["duplicate_of"] == social.ticket
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "incident.merge", AuditEvent.entity_id == rural.ticket)
    ).one()
    assert event.after["duplicate_of"] == social.ticket


def test_a_merge_is_refused_when_stale_or_of_one_net_or_apart(session):
    social, _ = report(session, key="r-1", now=T0)
    rural, _ = report(session, key="r-2", net="rural", category="infrastructure", where=NEAR, now=T0)
    same_net, _ = report(session, key="r-3", category="safety_hazard", where=NEAR, now=T0)
    far, _ = report(session, key="r-4", net="rural", category="infrastructure", where=FAR, now=T0)
    with pytest.raises(StaleVersion):
        merge_cross_net(session, DESK, social.ticket, rural.ticket, keep_version=social.version + 1, merged_version=1)
    with pytest.raises(InvalidInput, match="mark one a duplicate"):
        merge_cross_net(session, DESK, social.ticket, same_net.ticket, keep_version=1, merged_version=1)
    with pytest.raises(InvalidInput, match="not reported at the same place"):
        merge_cross_net(session, DESK, social.ticket, far.ticket, keep_version=1, merged_version=1)
    assert get_incident(session, DESK, rural.ticket).status == "reported"


def test_the_list_stops_at_its_limit_newest_pair_first(session, monkeypatch):
    from geo.workforce import duplicates

    late = datetime(2031, 1, 1, 8, 0, tzinfo=UTC)  # after every demo case
    social, _ = report(session, key="lim-1", now=late)
    rural, _ = report(
        session, key="lim-2", net="rural", category="infrastructure", where=NEAR, now=late + timedelta(hours=1)
    )
    monkeypatch.setattr(duplicates, "PAIR_LIMIT", 1)
    (newest,) = cross_net_pairs(session, DESK)
    assert (newest["first"]["ticket"], newest["second"]["ticket"]) == (social.ticket, rural.ticket)
    monkeypatch.setattr(duplicates, "PAIR_LIMIT", 3)
    found = cross_net_pairs(session, DESK)
    assert found[0] == newest and len(found) == len({(p["first"]["ticket"], p["second"]["ticket"]) for p in found})
