"""Co-handlers (协办): added from the forces of the case's grid, seeing only their cases, noting into the history."""

import pytest
from sqlalchemy import select

from geo.accounts.models import Role
from geo.accounts.principal import AccessDenied
from geo.accounts.sessions import caller_for_token, create_token
from geo.accounts.users import create_user
from geo.core.errors import InvalidInput, NotFound
from geo.core.models import AuditEvent
from geo.dispatch.views import IncidentFilter, filtered, get_incident, incident_detail
from geo.dispatch.workflow import StaleVersion, apply_action
from geo.workforce.cohandling import add_co_handler, co_handled, co_handler_note, co_handlers_of
from tests.geo.dispatch.cases import BENZILAN_SEAT, DESK, T0, report
from tests.geo.workforce.cases import co_handler_of, ranger_in, village_of


@pytest.fixture
def two_cases(session):
    first, _ = report(session, key="co-1")
    second, _ = report(session, key="co-2", where=(BENZILAN_SEAT[0] + 0.001, BENZILAN_SEAT[1]))
    return first, second


def test_a_co_handler_sees_only_the_cases_it_co_handles(session, two_cases):
    first, second = two_cases
    ranger = ranger_in(session, village_of(first.group_code))
    co = co_handler_of(ranger)
    assert session.scalars(filtered(co, IncidentFilter(), T0)).all() == []
    add_co_handler(session, DESK, first.ticket, ranger.code, now=T0)
    seen = session.scalars(filtered(co, IncidentFilter(), T0)).all()
    assert [i.ticket for i in seen] == [first.ticket]
    assert [i["ticket"] for i in co_handled(session, co, now=T0)] == [first.ticket]
    assert get_incident(session, co, first.ticket).id == first.id
    with pytest.raises(NotFound):
        get_incident(session, co, second.ticket)  # the same village, not co-handled: as if absent


def test_the_co_handlers_note_goes_into_the_history_the_dispatcher_reads(session, two_cases):
    first, _ = two_cases
    ranger = ranger_in(session, village_of(first.group_code))
    co = co_handler_of(ranger)
    incident = add_co_handler(session, DESK, first.ticket, ranger.code, now=T0)
    co_handler_note(session, co, first.ticket, "已到现场，山林无火情", version=incident.version, now=T0)
    history = incident_detail(session, get_incident(session, DESK, first.ticket), DESK)["history"]
    assert [h["action"] for h in history] == ["report", "co_handler_add", "note"]
    assert history[-1]["note"] == "已到现场，山林无火情"
    assert history[-1]["data"]["co_handler"] == ranger.code
    assert history[-1]["actor"] == co.username
    audited = session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_id == first.ticket).order_by(AuditEvent.id)
    ).all()
    assert audited[-2:] == ["incident.co_handler_add", "incident.co_handler_note"]
    assert co_handlers_of(session, incident)[0]["code"] == ranger.code


def test_a_stale_note_is_refused(session, two_cases):
    first, _ = two_cases
    ranger = ranger_in(session, village_of(first.group_code))
    incident = add_co_handler(session, DESK, first.ticket, ranger.code, now=T0)
    with pytest.raises(StaleVersion):
        co_handler_note(session, co_handler_of(ranger), first.ticket, "迟到的备注", version=incident.version - 1)


def test_adding_a_co_handler_twice_changes_nothing(session, two_cases):
    first, _ = two_cases
    ranger = ranger_in(session, village_of(first.group_code))
    once = add_co_handler(session, DESK, first.ticket, ranger.code, now=T0)
    version = once.version
    twice = add_co_handler(session, DESK, first.ticket, ranger.code, now=T0)
    assert twice.version == version
    assert len(co_handlers_of(session, twice)) == 1


def test_only_forces_of_the_cases_grid_co_handle(session, two_cases):
    first, _ = two_cases
    elsewhere = ranger_in(session, "533422206001")  # 羊拉乡
    with pytest.raises(InvalidInput, match="not a force of the incident's grid"):
        add_co_handler(session, DESK, first.ticket, elsewhere.code, now=T0)


def test_a_co_handler_takes_no_desk_step_and_adds_no_co_handlers(session, two_cases):
    first, _ = two_cases
    ranger = ranger_in(session, village_of(first.group_code))
    co = co_handler_of(ranger)
    add_co_handler(session, DESK, first.ticket, ranger.code, now=T0)
    incident = get_incident(session, co, first.ticket)
    with pytest.raises(AccessDenied):
        apply_action(session, co, first.ticket, "register", version=incident.version)
    with pytest.raises(AccessDenied):
        add_co_handler(session, co, first.ticket, ranger.code)


def test_a_co_handler_account_is_its_force_members_and_its_principal_carries_the_member(session, two_cases):
    first, _ = two_cases
    ranger = ranger_in(session, village_of(first.group_code))
    with pytest.raises(InvalidInput, match="must name its force member"):
        create_user(
            session,
            username="no-member",
            password="x" * 12,
            role="co_handler",
            jurisdiction="533422",
            nets=["social"],
            actor="test",
        )
    user = create_user(
        session,
        username="ranger-two",
        password="x" * 12,
        role="co_handler",
        jurisdiction="533422",
        nets=["social", "rural"],
        force_member_code=ranger.code,
        actor="test",
    )
    assert user.jurisdiction.code == ranger.grid.code  # the member's grid, whatever was asked
    token = create_token(session, "ranger-two", "phone", actor="test")
    caller = caller_for_token(session.get_bind().engine, lambda: session, token)
    assert caller is not None
    assert caller.principal.role is Role.CO_HANDLER and caller.principal.force_member_id == ranger.id
