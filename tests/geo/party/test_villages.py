"""Village party organisations (党总支/党委): their group branches' figures rolled up in SQL and checked by hand,
seen only inside the jurisdiction, founded and corrected with their version, audited."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete, func, select

from geo.accounts.models import Role
from geo.accounts.principal import AccessDenied, Principal
from geo.core.errors import InvalidInput, NotFound
from geo.core.models import AuditEvent
from geo.grid.models import Grid, PartyBranch
from geo.party.branches import StaleRecord
from geo.party.models import PartyActivity, PartyMember, VillageBranch
from geo.party.villages import (
    VillageBranchExists,
    create_village_branch,
    list_village_branches,
    update_village_branch,
    village_branch_detail,
    village_branch_of,
    villages_without_organisation,
)

TODAY = date(2026, 11, 15)
NOW = datetime(2026, 11, 15, 4, tzinfo=UTC)
BENZILAN = "533422102"
YANGLA = "533422206"
TOWNSHIP_ADMIN = Principal(1, "bzl-admin", Role.ADMIN, BENZILAN, frozenset({"social"}))


@pytest.fixture
def village(session):
    """The first village of 奔子栏镇 with its organisation; its branches hold only what the test writes."""
    code = session.scalar(
        select(Grid.code).where(Grid.level == "village", Grid.code.startswith(BENZILAN)).order_by(Grid.code)
    )
    branches = session.execute(
        select(PartyBranch.id, Grid.code, PartyBranch.members)
        .join(Grid, Grid.id == PartyBranch.grid_id)
        .where(Grid.code.startswith(code))
        .order_by(Grid.code)
    ).all()
    ids = [b for b, _, _ in branches]
    session.execute(delete(PartyActivity).where(PartyActivity.branch_id.in_(ids)))
    session.execute(delete(PartyMember).where(PartyMember.branch_id.in_(ids)))
    organisation = session.scalar(
        select(VillageBranch).join(Grid, Grid.id == VillageBranch.grid_id).where(Grid.code == code)
    )
    assert organisation is not None  # the demo founds one in every village with group branches
    return code, branches, organisation


def held(session, branch, day: date) -> None:
    session.add(
        PartyActivity(
            branch_id=branch[0], area_code=branch[1], kind="theme_day", held_on=day,
            place="SRID=4326;POINT(99.3 28.24)", topic="测试", attendance=10, created_by="test",
            created_at=NOW, updated_at=NOW,
        )
    )  # fmt: skip


def test_a_village_organisation_sums_its_group_branches_as_counted_by_hand(session, village):
    code, branches, organisation = village
    first, second = branches[0], branches[1]
    held(session, first, date(2026, 10, 8))  # this quarter
    held(session, first, date(2026, 11, 3))  # this quarter
    held(session, second, date(2026, 7, 10))  # last quarter, and over three months ago: quiet
    session.add(PartyMember(branch_id=first[0], area_code=first[1], name="测试", household_count=2, updated_at=NOW))
    session.flush()

    detail = village_branch_detail(session, TOWNSHIP_ADMIN, organisation.id, TODAY)
    assert detail["grid_code"] == code and detail["branches"] == len(branches)
    assert detail["members"] == sum(members for _, _, members in branches)  # declared counts
    assert detail["members_entered"] == 1
    assert detail["activities"] == 2
    assert detail["quiet_branches"] == len(branches) - 1  # all but the first
    listed = {v["id"]: v for v in list_village_branches(session, TOWNSHIP_ADMIN, TODAY)}
    assert listed[organisation.id] == detail
    assert all(v["grid_code"].startswith(BENZILAN) for v in listed.values())


def test_only_the_jurisdiction_sees_a_village_organisation_and_a_group_sees_the_one_above(session, village):
    _code, branches, organisation = village
    yangla = Principal(2, "yl-admin", Role.ADMIN, YANGLA, frozenset({"social"}))
    assert organisation.id not in [v["id"] for v in list_village_branches(session, yangla, TODAY)]
    with pytest.raises(NotFound):
        village_branch_detail(session, yangla, organisation.id, TODAY)
    # A group's staff read the organisation above their group by name only: no secretary, no figures.
    group = Principal(3, "group", Role.DISPATCHER, branches[0][1], frozenset({"social"}))
    seen = village_branch_detail(session, group, organisation.id, TODAY)
    assert seen["name_only"] and seen["name"] == organisation.name
    assert not {"secretary", "branches", "members", "members_entered", "quiet_branches", "activities"} & set(seen)
    assert organisation.id not in [v["id"] for v in list_village_branches(session, group, TODAY)]
    above = village_branch_of(session, group, branches[0][1])
    assert above is not None and above["id"] == organisation.id and above["name_only"] and "secretary" not in above
    whole = village_branch_of(session, TOWNSHIP_ADMIN, branches[0][1])
    assert whole is not None and whole["secretary"] == (organisation.secretary or None)
    with pytest.raises(AccessDenied):
        update_village_branch(session, group, organisation.id, organisation.version, {"secretary": "某"}, NOW)


def test_an_edit_keeps_to_its_version_names_a_bad_field_and_is_audited(session, village):
    _code, _branches, organisation = village
    version, kind = organisation.version, organisation.kind
    update_village_branch(
        session, TOWNSHIP_ADMIN, organisation.id, version, {"kind": "committee", "secretary": " 扎西 "}, NOW
    )
    assert (organisation.kind, organisation.secretary, organisation.version) == ("committee", "扎西", version + 1)
    with pytest.raises(StaleRecord) as stale:
        update_village_branch(session, TOWNSHIP_ADMIN, organisation.id, version, {"secretary": "次仁"}, NOW)
    assert "village party organisation" in stale.value.message
    with pytest.raises(InvalidInput) as bad:
        update_village_branch(session, TOWNSHIP_ADMIN, organisation.id, version + 1, {"kind": "cell"}, NOW)
    assert bad.value.field == "kind"
    with pytest.raises(InvalidInput) as blank:
        update_village_branch(session, TOWNSHIP_ADMIN, organisation.id, version + 1, {"name": "  "}, NOW)
    assert blank.value.field == "name"
    audit = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "party.village.update", AuditEvent.entity_id == str(organisation.id)
        )
    ).all()
    assert [(a.before["kind"], a.after["kind"], a.after["secretary"], a.actor) for a in audit] == [
        (kind, "committee", "扎西", "bzl-admin")
    ]


def test_a_village_without_an_organisation_gets_one_once(session, village):
    code, _branches, organisation = village
    session.delete(organisation)
    session.flush()
    assert code in [v["code"] for v in villages_without_organisation(session, TOWNSHIP_ADMIN)]
    founded = create_village_branch(
        session, TOWNSHIP_ADMIN, code, {"name": "中共测试村总支部委员会", "kind": "general_branch"}, NOW, address=None
    )
    assert founded.code == f"V{code}" and founded.secretary == "" and not founded.is_demo
    assert code not in [v["code"] for v in villages_without_organisation(session, TOWNSHIP_ADMIN)]
    with pytest.raises(VillageBranchExists):
        create_village_branch(session, TOWNSHIP_ADMIN, code, {"name": "再来", "kind": "committee"}, NOW, address=None)
    assert session.scalar(select(func.count()).where(AuditEvent.action == "party.village.create")) == 1
    yangla = Principal(2, "yl-admin", Role.ADMIN, YANGLA, frozenset({"social"}))
    with pytest.raises(NotFound):
        create_village_branch(session, yangla, code, {"name": "越界", "kind": "committee"}, NOW, address=None)
