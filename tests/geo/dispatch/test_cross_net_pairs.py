"""Who has a cross-net partner, as the database keeps it (migration d06e0e7b0019, ``geo.dispatch.cross_net``).

The triggers write the rule of ``geo.dispatch.nearness.reported_near`` out in SQL: these tests hold the two to
one answer at the edges of the distance and the window, and follow the rows through closing, reopening, moving,
deleting a witness, and the scheduler's recheck of what two simultaneous reports could not see.
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


def kept(session, ids) -> set[tuple[int, str, str]]:
    """The rows kept for these cases, each checked to name a true partner as its witness."""
    pair, witness = IncidentCrossNetPair, aliased(Incident)
    rows = session.execute(
        select(pair.incident_id, pair.partner_group_code, pair.partner_net, witness.group_code, witness.net)
        .outerjoin(witness, witness.id == pair.partner_id)
        .where(pair.incident_id.in_(ids))
    ).all()
    assert all((grid, net) == (witness_grid, witness_net) for _, grid, net, witness_grid, witness_net in rows)
    return {(case, grid, net) for case, grid, net, _, _ in rows}


def ruled(session, ids) -> set[tuple[int, str, str]]:
    """The rows by the Python rule, read from the cases themselves."""
    other = aliased(Incident)
    return set(
        map(
            tuple,
            session.execute(
                select(Incident.id, other.group_code, other.net)
                .join(other, and_(other.id != Incident.id, other.net != Incident.net, reported_near(Incident, other)))
                .where(Incident.id.in_(ids), is_open(Incident), is_open(other))
                .distinct()
            ),
        )
    )


def rural(session, key, where=INSIDE, now=T0):
    return report(session, key=key, net="rural", category="infrastructure", where=where, now=now)[0]


def row(case, partner):
    return (case.id, partner.group_code, partner.net)


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
    assert kept(session, ids) == ruled(session, ids)
    assert kept(session, [social.id]) == {row(social, cases[1])}  # and not 2, 3 or 4
    assert row(cases[1], social) in kept(session, ids)  # both ways round


def test_a_closed_case_leaves_and_a_reopened_one_comes_back(session):
    social, _ = report(session, key="life-0", now=T0)
    partner = rural(session, "life-1")
    assert kept(session, [social.id, partner.id]) == {row(social, partner), row(partner, social)}
    act(session, partner, "reject")
    session.flush()
    assert kept(session, [social.id, partner.id]) == set()
    session.execute(update(Incident).where(Incident.id == partner.id).values(status="reported"))
    assert kept(session, [social.id, partner.id]) == {row(social, partner), row(partner, social)}


def test_a_closing_witness_hands_its_row_to_another_partner_of_its_grid_and_net(session):
    social, _ = report(session, key="hand-0", now=T0)
    first, second = rural(session, "hand-1"), rural(session, "hand-2")
    witness = session.scalar(
        select(IncidentCrossNetPair.partner_id).where(IncidentCrossNetPair.incident_id == social.id)
    )
    assert witness in {first.id, second.id}
    session.execute(update(Incident).where(Incident.id == witness).values(status="closed"))
    left = second if witness == first.id else first
    assert session.scalar(
        select(IncidentCrossNetPair.partner_id).where(IncidentCrossNetPair.incident_id == social.id)
    ) == (left.id)
    session.execute(delete(Incident).where(Incident.id == left.id))  # a deleted witness as well
    assert kept(session, [social.id]) == set()


def test_a_case_moved_away_or_given_the_other_net_is_paired_anew(session):
    social, _ = report(session, key="move-0", now=T0)
    partner = rural(session, "move-1")
    far = func.ST_SetSRID(func.ST_MakePoint(BENZILAN_SEAT[0] + 0.05, BENZILAN_SEAT[1]), 4326)
    session.execute(update(Incident).where(Incident.id == partner.id).values(location=far))
    assert kept(session, [social.id, partner.id]) == set()
    near = func.ST_SetSRID(func.ST_MakePoint(*INSIDE), 4326)
    session.execute(update(Incident).where(Incident.id == partner.id).values(location=near))
    assert kept(session, [social.id, partner.id]) == {row(social, partner), row(partner, social)}
    session.execute(update(Incident).where(Incident.id == partner.id).values(net="social"))
    assert kept(session, [social.id, partner.id]) == set()


def test_the_recheck_pairs_what_simultaneous_reports_missed_and_drops_closed_witnesses(session):
    social, _ = report(session, key="re-0", now=T0)
    partner = rural(session, "re-1")
    ids = [social.id, partner.id]
    before = queue_counts(session, DESK, T0)[Queue.CROSS_NET_DUPLICATES.value]
    # Two transactions at one moment each miss the other's case: as if the trigger had found nothing.
    session.execute(delete(IncidentCrossNetPair).where(IncidentCrossNetPair.incident_id.in_(ids)))
    assert queue_counts(session, DESK, T0)[Queue.CROSS_NET_DUPLICATES.value] == before - 2
    assert cross_net_partners(session, DESK, social) == [partner.ticket]  # partners are found when asked
    done = recheck_pairs(session, T0 + timedelta(minutes=1))
    assert done["paired"] >= 2 and kept(session, ids) == ruled(session, ids)
    assert queue_counts(session, DESK, T0)[Queue.CROSS_NET_DUPLICATES.value] == before
    # And a witness closing as a new report named it.
    session.execute(update(Incident).where(Incident.id == partner.id).values(status="closed"))
    session.execute(
        insert(IncidentCrossNetPair).values(
            incident_id=social.id, partner_group_code=partner.group_code, partner_net="rural", partner_id=partner.id
        )
    )
    assert recheck_pairs(session, T0 + timedelta(minutes=2))["rewitnessed"] == 1
    assert kept(session, ids) == set()
    assert recheck_pairs(session, T0 + timedelta(minutes=3)) == {"forgotten": 0, "rewitnessed": 0, "paired": 0}
