"""The dispatcher's queues: each button's count, the list it opens and the map markers it lights agree."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from geo.accounts.models import Role
from geo.accounts.principal import Principal
from geo.dispatch.models import Incident
from geo.dispatch.queues import Queue, queue_bit, queue_counts
from geo.dispatch.statuses import FINISHED, RUNNING, Status
from geo.dispatch.views import IncidentFilter, feed, filtered

ALL = frozenset({"social", "religious", "rural"})
COUNTY_DESK = Principal(0, "desk", Role.DISPATCHER, "533422", ALL)
BENZILAN_DESK = Principal(0, "benzilan-desk", Role.DISPATCHER, "533422102", frozenset({"social", "rural"}))
#: Late in the demo's harvest season, when some of its incidents are overdue.
NOW = datetime(2026, 7, 1, 4, 0, tzinfo=UTC)


@pytest.fixture
def every_queue_filled(session):
    """The demo's open incidents, with a few in 奔子栏 moved into each queue (the demo leaves some empty)."""
    in_benzilan = (
        select(Incident)
        .where(Incident.group_code.startswith(BENZILAN_DESK.jurisdiction_code), Incident.net.in_(BENZILAN_DESK.nets))
        .where(Incident.status.not_in([s.value for s in FINISHED]))
        .order_by(Incident.id)
    )
    running = session.scalars(in_benzilan.where(Incident.status.in_([s.value for s in RUNNING]))).first()
    reported = session.scalars(in_benzilan.where(Incident.status == Status.REPORTED.value).limit(2)).all()
    assert running is not None and len(reported) == 2
    running.due_at = NOW - timedelta(hours=1)
    # One problem reported in both nets: a rural case at the same place and time as the running one.
    other_net = session.scalars(
        in_benzilan.where(Incident.net != running.net, Incident.status.in_([s.value for s in RUNNING]))
    ).first()
    assert other_net is not None
    other_net.location, other_net.reported_at = running.location, running.reported_at + timedelta(hours=1)
    reported[0].assignee_id = None
    reported[0].suspected_duplicate_id = reported[1].id
    reported[1].escalation_level = 1
    session.flush()
    return session


@pytest.mark.parametrize("principal", [COUNTY_DESK, BENZILAN_DESK], ids=["county", "benzilan"])
def test_each_queue_count_is_the_length_of_the_list_it_opens(every_queue_filled, principal):
    session = every_queue_filled
    counts = queue_counts(session, principal, NOW)
    assert set(counts) == {queue.value for queue in Queue}
    for queue in Queue:
        listed = session.scalars(filtered(principal, IncidentFilter(queue=queue.value), NOW)).all()
        assert counts[queue.value] == len(listed), queue


@pytest.mark.parametrize("principal", [COUNTY_DESK, BENZILAN_DESK], ids=["county", "benzilan"])
def test_each_queue_count_is_the_number_of_markers_it_lights(every_queue_filled, principal):
    session = every_queue_filled
    counts = queue_counts(session, principal, NOW)
    markers = [json.loads(feature) for feature in feed(session, principal, since=0, now=NOW)[0]]
    for queue in Queue:
        lit = {marker["id"] for marker in markers if marker["properties"]["q"] & queue_bit(queue)}
        listed = {i.ticket for i in session.scalars(filtered(principal, IncidentFilter(queue=queue.value), NOW))}
        assert lit == listed and len(lit) == counts[queue.value], queue


@pytest.mark.parametrize("principal", [COUNTY_DESK, BENZILAN_DESK], ids=["county", "benzilan"])
def test_every_queue_holds_some_so_the_comparisons_above_mean_something(every_queue_filled, principal):
    counts = queue_counts(every_queue_filled, principal, NOW)
    assert all(counts[queue.value] > 0 for queue in Queue), counts


def test_a_township_desk_counts_no_more_than_the_county_desk(every_queue_filled):
    session = every_queue_filled
    county, township = queue_counts(session, COUNTY_DESK, NOW), queue_counts(session, BENZILAN_DESK, NOW)
    assert all(township[queue.value] <= county[queue.value] for queue in Queue)
    assert sum(township.values()) < sum(county.values())


def test_each_queue_has_a_bit_of_its_own():
    bits = [queue_bit(queue) for queue in Queue]
    assert len(set(bits)) == len(bits) and all(bit & (bit - 1) == 0 for bit in bits)
    assert Queue.OVERDUE.label.text == "逾期"  # its English is checked with every code's in tests/test_messages.py
