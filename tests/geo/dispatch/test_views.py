"""Reading cases: county days, and lists and feeds that hold only the jurisdiction and nets."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from geo.core.errors import InvalidInput, NotFound
from geo.dispatch.models import Incident
from geo.dispatch.queues import Queue, queue_bit, queue_counts
from geo.dispatch.views import IncidentFilter, feed, filtered
from geo.dispatch.workflow import apply_action, escalate_overdue
from tests.geo.dispatch.cases import BENZILAN_DESK, DESK, T0, act, report


def test_days_are_the_county_days(session):
    # 20:00 UTC on 15 June is 04:00 on 16 June in Deqin: the report belongs to the 16th.
    night = datetime(2026, 6, 15, 20, 0, tzinfo=UTC)
    incident, _ = report(session, now=night)
    features, _ = feed(session, DESK, incident.change_seq - 1, now=night)
    assert [json.loads(f)["properties"]["d"] for f in features] == ["2026-06-16"]

    def reported_on(day):
        return session.scalars(filtered(DESK, IncidentFilter(since=day, until=day), night)).all()

    assert incident in reported_on(date(2026, 6, 16)) and incident not in reported_on(date(2026, 6, 15))
    # A worker on leave on the 16th is passed over at that hour, though UTC still says the 15th.
    worker = incident.assignee
    worker.unavailable_from = worker.unavailable_until = date(2026, 6, 16)
    session.flush()
    stand_in, _ = report(session, now=night)
    assert stand_in.group_code == incident.group_code and stand_in.assignee.id != worker.id


def test_lists_and_feeds_hold_only_the_jurisdiction_and_nets(session):
    mine, _ = report(session)
    elsewhere, _ = report(session, where=(98.91, 28.49))
    religious, _ = report(session, net="religious", category="religious_site_safety")
    tickets = set(session.scalars(filtered(BENZILAN_DESK, IncidentFilter(), T0)).all())
    assert mine in tickets and elsewhere not in tickets and religious not in tickets
    features, cursor = feed(session, BENZILAN_DESK, mine.change_seq - 1)
    fed = [json.loads(feature)["id"] for feature in features]
    assert mine.ticket in fed and elsewhere.ticket not in fed and religious.ticket not in fed
    assert feed(session, BENZILAN_DESK, cursor) == ([], cursor)
    with pytest.raises(NotFound):
        apply_action(session, BENZILAN_DESK, elsewhere.ticket, "register", version=elsewhere.version)


def test_each_queue_counts_what_its_list_holds_and_marks_its_markers(session):
    first, _ = report(session)
    duplicate, _ = report(session)  # at the same place: a suspected duplicate of the first
    unassigned, _ = report(session)
    unassigned.assignee = None
    report(session, net="rural", category="infrastructure")  # the same place in another net: a cross-net pair each
    late, _ = report(session)
    act(session, act(session, late, "register"), "dispatch")
    escalate_overdue(session, T0 + timedelta(days=30))  # past its deadline: one level up
    later = T0 + timedelta(days=60)  # and past the new one: overdue too
    session.flush()
    mine = {first.id, duplicate.id, unassigned.id, late.id}
    expected = {
        Queue.OPEN: mine,
        Queue.NEW: {first.id, duplicate.id, unassigned.id},
        Queue.UNASSIGNED: {unassigned.id},
        Queue.OVERDUE: {late.id},
        Queue.ESCALATED: {late.id},
        Queue.SUSPECTED_DUPLICATES: {duplicate.id, unassigned.id},
        Queue.CROSS_NET_DUPLICATES: mine,
    }
    counts = queue_counts(session, BENZILAN_DESK, later)
    features, _ = feed(session, BENZILAN_DESK, first.change_seq - 1, now=later)
    markers = [json.loads(feature) for feature in features]
    masks = {
        session.scalar(select(Incident.id).where(Incident.ticket == m["id"])): m["properties"]["q"] for m in markers
    }
    for queue in Queue:
        listed = set(session.scalars(filtered(BENZILAN_DESK, IncidentFilter(queue=queue.value), later)).all())
        assert counts[queue.value] == len(listed), queue
        assert {i.id for i in listed} & mine == expected[queue], queue
        assert {id_ for id_ in mine if masks[id_] & queue_bit(queue)} == expected[queue], queue


def test_an_unknown_queue_is_refused_naming_the_field(session):
    with pytest.raises(InvalidInput) as refused:
        filtered(DESK, IncidentFilter(queue="later"), T0)
    assert refused.value.field == "queue"
