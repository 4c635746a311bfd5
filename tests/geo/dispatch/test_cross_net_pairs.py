"""The cross-net pairs the database keeps as cases are written (migration d06e0e7b0019, ``geo.dispatch.cross_net``).

The trigger writes the rule of ``geo.dispatch.nearness.reported_near`` out in SQL: these tests hold the two
to one answer at the edges of the distance and the window, and follow a pair through closing, reopening and
moving, and through the scheduler's recheck of what two simultaneous reports could not see.
"""

from datetime import timedelta

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.orm import aliased

from geo.dispatch.cross_net import recheck_pairs
from geo.dispatch.models import Incident, IncidentCrossNetPair, is_open
from geo.dispatch.nearness import DUPLICATE_WINDOW, reported_near
from geo.dispatch.queues import Queue, queue_counts
from geo.workforce.duplicates import cross_net_partners
from tests.geo.dispatch.cases import BENZILAN_SEAT, DESK, T0, act, report

# About 98.1 km to a degree of longitude at Benzilan's latitude.
INSIDE = (BENZILAN_SEAT[0] + 0.00499, BENZILAN_SEAT[1])  # about 490 m east
OUTSIDE = (BENZILAN_SEAT[0] + 0.0052, BENZILAN_SEAT[1])  # about 510 m east
HOUR = timedelta(hours=1)


def kept_pairs(session, ids) -> set[tuple[int, int]]:
    rows = session.execute(
        select(IncidentCrossNetPair.incident_id, IncidentCrossNetPair.partner_id).where(
            IncidentCrossNetPair.incident_id.in_(ids)
        )
    )
    return set(map(tuple, rows))


def ruled_pairs(session, ids) -> set[tuple[int, int]]:
    """The pairs by the Python rule, read from the cases themselves."""
    other = aliased(Incident)
    rows = session.execute(
        select(Incident.id, other.id)
        .join(other, and_(other.id != Incident.id, other.net != Incident.net, reported_near(Incident, other)))
        .where(Incident.id.in_(ids), is_open(Incident), is_open(other))
    )
    return set(map(tuple, rows))


def rural(session, key, where, now):
    return report(session, key=key, net="rural", category="infrastructure", where=where, now=now)[0]


def test_the_trigger_pairs_as_the_python_rule_does_at_the_edges_of_distance_and_time(session):
    social, _ = report(session, key="edge-0", now=T0)
    cases = [
        social,
        rural(session, "edge-1", INSIDE, T0 + DUPLICATE_WINDOW - HOUR),  # inside both: a pair
        rural(session, "edge-2", OUTSIDE, T0),  # 510 m away
        rural(session, "edge-3", BENZILAN_SEAT, T0 - DUPLICATE_WINDOW - HOUR),  # 49 hours before
        report(session, key="edge-4", category="safety_hazard", where=INSIDE, now=T0)[0],  # the same net
    ]
    ids = [case.id for case in cases]
    assert kept_pairs(session, ids) == ruled_pairs(session, ids)
    assert kept_pairs(session, [social.id]) == {(social.id, cases[1].id)}
    assert (cases[1].id, social.id) in kept_pairs(session, ids)  # both ways round


def test_a_closed_case_leaves_its_pairs_and_a_reopened_one_finds_them_again(session):
    social, _ = report(session, key="life-0", now=T0)
    partner = rural(session, "life-1", INSIDE, T0)
    assert kept_pairs(session, [social.id, partner.id]) == {(social.id, partner.id), (partner.id, social.id)}
    act(session, partner, "reject")
    session.flush()
    assert kept_pairs(session, [social.id, partner.id]) == set()
    session.execute(update(Incident).where(Incident.id == partner.id).values(status="reported"))
    assert kept_pairs(session, [social.id]) == {(social.id, partner.id)}


def test_a_case_moved_away_or_given_the_other_net_is_paired_anew(session):
    social, _ = report(session, key="move-0", now=T0)
    partner = rural(session, "move-1", INSIDE, T0)
    far = func.ST_SetSRID(func.ST_MakePoint(BENZILAN_SEAT[0] + 0.05, BENZILAN_SEAT[1]), 4326)
    session.execute(update(Incident).where(Incident.id == partner.id).values(location=far))
    assert kept_pairs(session, [social.id, partner.id]) == set()
    near = func.ST_SetSRID(func.ST_MakePoint(*INSIDE), 4326)
    session.execute(update(Incident).where(Incident.id == partner.id).values(location=near))
    assert kept_pairs(session, [social.id]) == {(social.id, partner.id)}
    session.execute(update(Incident).where(Incident.id == partner.id).values(net="social"))
    assert kept_pairs(session, [social.id, partner.id]) == set()


def test_the_recheck_pairs_what_simultaneous_reports_missed_and_forgets_finished_cases(session):
    social, _ = report(session, key="re-0", now=T0)
    partner = rural(session, "re-1", INSIDE, T0)
    closed = rural(session, "re-2", OUTSIDE, T0)
    act(session, closed, "reject")
    session.flush()
    # Two transactions at one moment each miss the other's case: as if the trigger had found nothing.
    session.execute(delete(IncidentCrossNetPair).where(IncidentCrossNetPair.incident_id.in_([social.id, partner.id])))
    before = queue_counts(session, DESK, T0)[Queue.CROSS_NET_DUPLICATES.value]
    # And a pair written as the other case closed: the list checks the partner itself and leaves it out.
    stale = {"partner_group_code": closed.group_code, "partner_net": closed.net}
    session.execute(insert(IncidentCrossNetPair).values(incident_id=social.id, partner_id=closed.id, **stale))
    assert cross_net_partners(session, DESK, social) == []
    done = recheck_pairs(session, T0 + timedelta(minutes=1))
    assert done["forgotten"] >= 1 and done["paired"] >= 2
    assert kept_pairs(session, [social.id, partner.id, closed.id]) == {
        (social.id, partner.id),
        (partner.id, social.id),
    }
    assert queue_counts(session, DESK, T0)[Queue.CROSS_NET_DUPLICATES.value] == before + 2
    assert cross_net_partners(session, DESK, social) == [partner.ticket]
    assert recheck_pairs(session, T0 + timedelta(minutes=2))["paired"] == 0  # idempotent
