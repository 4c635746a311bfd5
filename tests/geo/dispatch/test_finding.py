"""Finding places (the maps' search), where a report will go before it is sent, and whom a case may go to."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from geo.accounts.models import Role
from geo.accounts.principal import AccessDenied, Principal
from geo.core.crs import SourceCRS, gcj02_to_bd09, wgs84_to_gcj02
from geo.core.errors import InvalidInput
from geo.dispatch.candidates import candidates
from geo.dispatch.intake import routing_preview
from geo.dispatch.queues import queue_counts
from geo.dispatch.search import search
from geo.dispatch.views import IncidentFilter, incident_page
from geo.dispatch.workflow import apply_action
from geo.grid.models import Grid, GridWorker
from tests.geo.dispatch.cases import BENZILAN_DESK, BENZILAN_SEAT, DESK, T0, act, report

YANMEN = Principal(0, "yanmen-desk", Role.DISPATCHER, "533422203", frozenset({"social", "rural"}))


def test_a_grid_is_found_by_its_name_or_code_with_where_it_lies(session):
    by_name = search(session, DESK, "奔子栏")
    assert by_name[0].code == "533422102" and by_name[0].kind == "grid" and by_name[0].bounds
    assert {f.level for f in by_name} >= {"township", "village"}
    village = next(f for f in by_name if f.level == "village")
    assert village.detail == "奔子栏镇"  # the grid above it
    by_code = search(session, DESK, "533422102001")
    assert by_code[0].code == "533422102001" and all(f.code.startswith("533422102001") for f in by_code)
    assert by_code[0].bounds is not None
    west, south, east, north = by_code[0].bounds
    assert west < by_code[0].lon < east and south < by_code[0].lat < north


def test_grids_outside_the_jurisdiction_are_not_found(session):
    assert search(session, YANMEN, "奔子栏") == []
    assert search(session, YANMEN, "533422102") == []
    assert all(f.code.startswith("533422203") for f in search(session, YANMEN, "5334222"))


def test_coordinates_in_either_order_and_from_phone_maps(session):
    lon, lat = BENZILAN_SEAT
    (found,) = search(session, DESK, f"{lon}, {lat}")
    assert (found.kind, found.lon, found.lat) == ("point", lon, lat)
    (swapped,) = search(session, DESK, f"{lat},{lon}")
    assert (swapped.lon, swapped.lat) == (lon, lat)
    gcj = wgs84_to_gcj02(lon, lat)
    for source, (shifted_lon, shifted_lat) in ((SourceCRS.GCJ02, gcj), (SourceCRS.BD09, gcj02_to_bd09(*gcj))):
        (back,) = search(session, DESK, f"{shifted_lon:.6f}，{shifted_lat:.6f}", source.value)
        # Pasted from AMap or Baidu, the point lands within a couple of metres of the WGS-84 one.
        assert abs(back.lon - lon) < 3e-5 and abs(back.lat - lat) < 3e-5
        assert (shifted_lon - lon) ** 2 + (shifted_lat - lat) ** 2 > 1e-7  # and the shift was real


def test_a_ticket_is_found_only_where_the_caller_may_see_it(session):
    incident, _ = report(session)
    (found,) = search(session, DESK, incident.ticket.lower())
    assert found.kind == "incident" and found.code == incident.ticket
    assert search(session, YANMEN, incident.ticket) == []


def test_bad_searches_are_refused_by_name(session):
    assert search(session, DESK, "   ") == []
    with pytest.raises(InvalidInput, match="coordinates"):
        search(session, DESK, "1, 2")
    with pytest.raises(InvalidInput, match="60"):
        search(session, DESK, "x" * 61)
    with pytest.raises(InvalidInput):
        search(session, DESK, "奔子栏", "utm")
    assert search(session, DESK, "%_\\") == []  # wildcards are matched as themselves


def test_the_routing_preview_names_the_group_and_worker_intake_then_uses(session):
    preview = routing_preview(session, DESK, *BENZILAN_SEAT, "wgs84", "social", T0)
    incident, _ = report(session)
    assert preview.group.code == incident.group_code
    assert preview.assignee is not None and preview.assignee.id == incident.assignee_id
    assert preview.as_dict(DESK)["assignee"]["grid_code"] == incident.group_code


def test_the_routing_preview_refuses_what_intake_refuses(session):
    with pytest.raises(InvalidInput, match="outside"):
        routing_preview(session, DESK, 98.0, 25.0, "wgs84", "social", T0)
    with pytest.raises(InvalidInput, match="jurisdiction"):
        routing_preview(session, YANMEN, *BENZILAN_SEAT, "wgs84", "social", T0)
    with pytest.raises(AccessDenied):
        routing_preview(session, BENZILAN_DESK, *BENZILAN_SEAT, "wgs84", "religious", T0)


def test_the_picker_lists_the_chains_workers_of_the_net_and_reassigning_to_one_works(session):
    incident, _ = report(session)
    act(session, incident, "register")
    act(session, incident, "dispatch")
    found = [c for c in candidates(session, DESK, incident.ticket, T0) if c.on_chain]
    assert found[0].assigned and found[0].grid_code == incident.group_code
    assert {len(c.grid_code) for c in found} == {15, 12, 9, 6}
    assert all("social" in session.scalar(select(GridWorker.nets).where(GridWorker.code == c.code)) for c in found)
    assert all(c.distance_m is not None and c.distance_m >= 0 for c in found)
    chosen = next(c for c in found if not c.assigned)
    apply_action(
        session, DESK, incident.ticket, "reassign", version=incident.version, worker=chosen.code, note="就近", now=T0
    )
    assert incident.assignee.code == chosen.code
    after = candidates(session, DESK, incident.ticket, T0)
    moved = next(c for c in after if c.code == chosen.code)
    assert moved.assigned and moved.open_cases >= 1


def test_a_worker_on_leave_is_listed_last_with_the_day_they_return(session):
    incident, _ = report(session)
    back = date(2026, 6, 10)
    session.execute(
        update(GridWorker)
        .where(GridWorker.id == incident.assignee_id)
        .values(unavailable_from=date(2026, 5, 20), unavailable_until=back)
    )
    found = [c for c in candidates(session, DESK, incident.ticket, T0) if c.on_chain]
    away = next(c for c in found if c.code == incident.assignee.code)
    assert not away.available and away.away_until == back and found[-1] == away
    assert candidates(session, DESK, incident.ticket, T0 + timedelta(days=20))[0].available


def test_the_open_queue_lists_open_cases_soonest_deadline_first(session):
    first, _ = report(session)
    second, _ = report(session, where=(BENZILAN_SEAT[0] - 0.01, BENZILAN_SEAT[1] + 0.01), category="safety_hazard")
    for case, hours in ((first, 30), (second, 2)):
        act(session, case, "register")
        act(session, case, "dispatch")
        case.due_at = T0 + timedelta(hours=hours)
    session.flush()
    page = incident_page(session, BENZILAN_DESK, IncidentFilter(queue="open"), T0, sort="due", per_page=500)
    tickets = [i.ticket for i in page.incidents]
    assert tickets.index(second.ticket) < tickets.index(first.ticket)
    dues = [i.due_at for i in page.incidents if i.due_at is not None]
    assert dues == sorted(dues)
    assert page.total == queue_counts(session, BENZILAN_DESK, T0)["open"]
    assert all(i.status not in ("closed", "rejected", "duplicate") for i in page.incidents)
    with pytest.raises(InvalidInput, match="sort"):
        incident_page(session, DESK, IncidentFilter(), T0, sort="random")
    assert session.scalar(select(Grid.code).where(Grid.code == first.group_code))
