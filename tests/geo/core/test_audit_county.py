"""Every audit event carries the county of what it describes, set by the database from the subject (issue #20)."""

import importlib.util
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import DBAPIError

from geo.accounts.models import Role, User
from geo.accounts.principal import Principal
from geo.accounts.users import create_user
from geo.core.audit import record
from geo.core.models import AuditEvent
from geo.dispatch.models import Incident
from geo.party.members import remove_member
from geo.party.models import PartyMember

MIGRATION = Path(__file__).parents[3] / "migrations" / "versions" / "b46e0e7b0014_audit_event_county.py"
ALL = ["social", "religious", "rural"]


def _migration():
    spec = importlib.util.spec_from_file_location("audit_event_county", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _latest(session) -> AuditEvent:
    return session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()


def test_an_account_made_in_a_township_carries_its_county(session):
    user = create_user(
        session,
        username="audit-county-desk",
        password="audit-county-desk-2026",
        role="dispatcher",
        jurisdiction="533422102",
        nets=ALL,
        actor="test",
    )
    session.flush()
    event = _latest(session)
    assert (event.action, event.entity_id, event.county_code) == ("user.create", str(user.id), "533422")


@pytest.mark.parametrize(
    ("entity", "entity_id"),
    [("user", "-"), ("plan", "99999999999"), ("party_member", "12a"), ("incident", "NO-SUCH-CASE"), ("zone", "")],
)
def test_an_id_that_is_no_number_or_finds_nothing_leaves_the_county_empty_and_the_insert_standing(
    session, entity, entity_id
):
    record(session, actor="test", action="probe", entity=entity, entity_id=entity_id)
    session.flush()
    assert _latest(session).county_code is None


def test_what_every_county_shares_has_no_county(session):
    record(session, actor="test", action="category.update", entity="category", entity_id="dispute")
    session.flush()
    assert _latest(session).county_code is None


def test_a_county_the_writer_gives_is_kept(session):
    admin = session.scalar(select(User).where(User.username == "admin"))
    assert admin is not None and admin.county_code == "533422"
    record(session, actor="test", action="probe", entity="user", entity_id=admin.id, county_code="533423")
    session.flush()
    assert _latest(session).county_code == "533423"


def test_a_removed_party_member_keeps_its_county_on_the_event(session):
    member = session.scalars(select(PartyMember).order_by(PartyMember.id).limit(1)).one()
    secretary = Principal(0, "audit-secretary", Role.ADMIN, "533422", frozenset(ALL))
    remove_member(session, secretary, member.id, member.version)
    session.flush()
    event = _latest(session)
    assert (event.action, event.entity_id, event.county_code) == ("party.member.delete", str(member.id), "533422")


def test_the_migration_fills_the_events_written_before_it_and_keeps_the_trail_append_only(session):
    admin_id = session.scalar(select(User.id).where(User.username == "admin"))
    ticket = session.scalar(select(Incident.ticket).order_by(Incident.id).limit(1))
    subjects = [("user", str(admin_id)), ("incident", ticket), ("category", "dispute"), ("user", "-")]
    session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_county"))  # as before the column
    ids = session.scalars(
        insert(AuditEvent).returning(AuditEvent.id),
        [{"actor": "old", "action": "probe", "entity": entity, "entity_id": key} for entity, key in subjects],
    ).all()
    session.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_county"))

    def codes() -> list[str | None]:
        rows = session.execute(select(AuditEvent.id, AuditEvent.county_code).where(AuditEvent.id.in_(ids)))
        return [code for _, code in sorted(rows)]

    assert codes() == [None, None, None, None]
    for statement in _migration().BACKFILL:
        session.execute(text(statement))
    assert codes() == ["533422", "533422", None, None]
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(update(AuditEvent).where(AuditEvent.id == ids[0]).values(county_code="533423"))
