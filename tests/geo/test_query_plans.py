"""The hot queries are answered from indexes on a table where a full scan would lose (issue #13).

Sixty thousand incidents (the demo's ten thousand and five synthetic copies, analysed) are
enough for the planner to prefer an index wherever one applies; the statements explained are
the ones the real functions send, captured as they run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from extensions import db
from geo.accounts.models import Role
from geo.accounts.principal import Principal
from geo.demo.synthetic import add_synthetic_incidents
from geo.dispatch.intake import IncidentInput, create_incident
from geo.dispatch.models import Incident
from geo.dispatch.queues import queue_counts
from geo.dispatch.views import IncidentFilter, feed, incident_page

pytestmark = pytest.mark.db

ALL = frozenset({"social", "religious", "rural"})
COUNTY_DESK = Principal(0, "desk", Role.DISPATCHER, "533422", ALL)
SEAT_DESK = Principal(0, "seat-desk", Role.DISPATCHER, "533422101", ALL)
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def big(app) -> Iterator[Session]:
    """A session over sixty thousand analysed incidents, all rolled back at the end."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        try:
            add_synthetic_incidents(session, 5, history=False)
            session.execute(text("ANALYZE incident"))
            yield session
        finally:
            session.close()
            outer.rollback()
            connection.close()


def incident_scans(session: Session, run: Callable[[], object]) -> list[str]:
    """Run ``run`` and return how each statement it sent reads ``incident`` (one entry per scan)."""
    sent: list[tuple[str, Any]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith("EXPLAIN"):
            sent.append((statement, parameters))

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(connection, "before_cursor_execute", capture)
    scans = []
    for statement, parameters in sent:
        if "incident" not in statement:
            continue
        plan = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar()
        scans += list(_scans_of_incident(json.loads(plan) if isinstance(plan, str) else plan))
    assert scans, "no statement read the incident table"
    return scans


def _scans_of_incident(node, parent: str = "") -> Iterator[str]:
    """ "<node type> <index names>" of each plan node reading ``incident`` (a bitmap scan's from its children),
    with "ordered by distance" where an index scan walks outward from a point (``ORDER BY ... <->``).

    A sequential scan right under a Limit (no sort between) stops after that many rows: it is
    reported as "Limited Seq Scan", the planner's choice for a capped total on small tables.
    """
    if isinstance(node, list):
        for child in node:
            yield from _scans_of_incident(child, parent)
    elif isinstance(node, dict):
        if node.get("Relation Name") == "incident":
            kind = "Limited Seq Scan" if node["Node Type"] == "Seq Scan" and parent == "Limit" else node["Node Type"]
            order = ["ordered by distance"] if "<->" in node.get("Order By", "") else []
            yield " ".join([kind, *_index_names(node), *order])
        for key in ("Plan", "Plans"):
            if key in node:
                yield from _scans_of_incident(node[key], node.get("Node Type", ""))


def _index_names(node: dict) -> list[str]:
    names = [node["Index Name"]] if "Index Name" in node else []
    for child in node.get("Plans", []):
        if child["Node Type"].startswith("Bitmap"):
            names += _index_names(child)
    return names


def assert_indexed(scans: list[str]) -> None:
    assert not [scan for scan in scans if scan.startswith("Seq Scan")], scans


@pytest.mark.parametrize("principal", [COUNTY_DESK, SEAT_DESK], ids=["county", "township"])
def test_the_first_page_of_the_list_and_its_total_use_indexes(big, principal):
    # The total stops at TOTAL_CAP: at a million rows it is an index-only scan of ix_incident_group_code.
    assert_indexed(incident_scans(big, lambda: incident_page(big, principal, IncidentFilter(), NOW)))


def test_a_grid_filter_uses_the_code_index(big):
    scans = incident_scans(big, lambda: incident_page(big, COUNTY_DESK, IncidentFilter(grid="533422102001"), NOW))
    assert_indexed(scans)


@pytest.mark.parametrize("principal", [COUNTY_DESK, SEAT_DESK], ids=["county", "township"])
def test_queue_counts_read_only_an_index_of_open_cases(big, principal):
    scans = incident_scans(big, lambda: queue_counts(big, principal, NOW))
    # One scan of the open cases' index, the cross-net queue's included: its rows are read apart
    # (incident_cross_net), no case is probed for a partner nearby.
    assert len(scans) == 1 and "ix_incident_open_" in scans[0], scans


def test_the_duplicate_check_at_intake_walks_the_open_cases_outward_from_the_point(big):
    report = IncidentInput(net="social", category="dispute", title="测试事件", lon=98.9146, lat=28.4840)
    scans = incident_scans(big, lambda: create_incident(big, SEAT_DESK, report, now=NOW))
    assert_indexed(scans)
    # The nearest first (an index scan ordered by distance), then only the few inside its distance:
    # never every open case near the county seat sorted.
    assert "Index Scan ix_incident_open_location ordered by distance" in scans, scans


def test_the_console_feed_reads_recent_cases_by_index(big):
    assert_indexed(incident_scans(big, lambda: feed(big, COUNTY_DESK, 0, now=NOW)))
    newest = big.scalar(select(Incident.change_seq).order_by(Incident.change_seq.desc()).limit(1))
    assert_indexed(incident_scans(big, lambda: feed(big, COUNTY_DESK, newest - 10, now=NOW)))


@pytest.mark.parametrize("column", ["duplicate_of_id", "suspected_duplicate_id"])
def test_deleting_a_case_finds_the_cases_pointing_at_it_by_index(big, column):
    # What the foreign key's trigger asks for each deleted row (EXPLAIN DELETE does not show it).
    referencing = f"SELECT 1 FROM ONLY incident x WHERE {column} = %(id)s FOR KEY SHARE OF x"
    scans = incident_scans(big, lambda: big.connection().exec_driver_sql(referencing, {"id": 1}))
    assert_indexed(scans)
