"""The party indicators, computed in SQL, against figures worked out by hand on a village made for the test."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete, select

from geo.accounts.models import Role
from geo.accounts.principal import AccessDenied, Principal
from geo.core.errors import NotFound
from geo.grid.models import Grid, PartyBranch
from geo.party.branches import quiet_since
from geo.party.indicators import party_indicators
from geo.party.models import PartyActivity, PartyMember, VillageBranch

TODAY = date(2026, 11, 15)
NOW = datetime(2026, 11, 15, 4, tzinfo=UTC)


@pytest.fixture
def village(session):
    """A village of 奔子栏镇 whose branches and organisation hold only what this test writes: (village code,
    [(branch id, group)], the village organisation's id)."""
    code = session.scalar(
        select(Grid.code).where(Grid.level == "village", Grid.code.startswith("533422102")).order_by(Grid.code)
    )
    branches = session.execute(
        select(PartyBranch.id, Grid.code)
        .join(Grid, Grid.id == PartyBranch.grid_id)
        .where(Grid.code.startswith(code))
        .order_by(Grid.code)
    ).all()
    ids = [b for b, _ in branches]
    organisation = session.scalar(
        select(VillageBranch.id).join(Grid, Grid.id == VillageBranch.grid_id).where(Grid.code == code)
    )
    assert organisation is not None  # the demo founds one in every village with group branches
    session.execute(
        delete(PartyActivity).where(
            PartyActivity.branch_id.in_(ids) | (PartyActivity.village_branch_id == organisation)
        )
    )
    session.execute(delete(PartyMember).where(PartyMember.branch_id.in_(ids)))
    return code, branches, organisation


def held(session, branch: tuple[int, str], *days: date, field: str = "branch_id") -> None:
    for day in days:
        session.add(
            PartyActivity(
                **{field: branch[0]}, area_code=branch[1], kind="theme_day", held_on=day,
                place="SRID=4326;POINT(99.3 28.24)", topic="测试", attendance=10, created_by="test",
                created_at=NOW, updated_at=NOW,
            )
        )  # fmt: skip


def member(session, branch: tuple[int, str], households: int) -> None:
    session.add(PartyMember(branch_id=branch[0], area_code=branch[1], name="测试", household_count=households,
                            updated_at=NOW))  # fmt: skip


def test_the_four_indicators_of_a_village(session, village):
    code, branches, organisation = village
    assert len(branches) >= 3
    first, second = branches[0], branches[1]
    held(session, first, date(2026, 10, 8), date(2026, 11, 3), date(2026, 8, 1), date(2025, 12, 30))
    held(session, second, date(2026, 7, 10))  # four months ago: quiet
    # The village organisation's own 主题党日 (the whole village): one branch more, not quiet.
    held(session, (organisation, code), date(2026, 11, 1), field="village_branch_id")
    member(session, first, 3)
    member(session, first, 5)
    member(session, second, 4)
    session.flush()

    figures = party_indicators(session, Principal.everything(), code, TODAY)

    n = len(branches)
    assert (figures["branches"], figures["village_branches"], figures["groups"]) == (n + 1, 1, n)
    assert [(q["quarter"], q["activities"]) for q in figures["activities_per_quarter"]] == [
        ("2026Q1", 0), ("2026Q2", 0), ("2026Q3", 2), ("2026Q4", 3),
    ]  # fmt: skip
    assert figures["activities_per_quarter"][3]["per_branch"] == round(3 / (n + 1), 2)
    # Every group branch but the first has had nothing since 15 August; the organisation held one on 1 November.
    assert figures["quiet_since"] == quiet_since(TODAY).isoformat() == "2026-08-15"
    assert figures["quiet_branches"] == n - 1
    assert not {(first[0], False), (organisation, True)} & {(q["id"], q["village"]) for q in figures["quiet"]}
    assert {"id": second[0], "grid_code": second[1], "name": figures["quiet"][0]["name"], "village": False, "last_activity": "2026-07-10"} in figures["quiet"]  # fmt: skip  # noqa: E501
    assert figures["members"] == 3 and figures["members_per_group"] == round(3 / n, 2)
    assert figures["households"] == 12 and figures["households_per_member"] == 4.0

    # The same figures for one group; a township's account asked about the county gets its township only.
    group = party_indicators(session, Principal.everything(), first[1], TODAY)
    assert (group["branches"], group["members"], group["households_per_member"], group["quiet_branches"]) == (
        1,
        2,
        4.0,
        0,
    )
    township = Principal(1, "t", Role.ADMIN, "533422102", frozenset({"social"}))
    assert party_indicators(session, township, "533422", TODAY)["code"] == "533422102"


def test_outside_the_jurisdiction_there_are_no_figures(session):
    township = Principal(1, "t", Role.ADMIN, "533422102", frozenset({"social"}))
    with pytest.raises(NotFound):
        party_indicators(session, township, "533422206", TODAY)
    worker = Principal(2, "w", Role.GRID_WORKER, "533422102001001", frozenset({"social"}))
    with pytest.raises(AccessDenied):
        party_indicators(session, worker, "533422102001001", TODAY)


def test_a_village_organisation_without_an_activity_of_its_own_is_flagged_quiet(session, village):
    code, branches, organisation = village
    for branch in branches:
        held(session, branch, date(2026, 10, 1))
    held(session, (organisation, code), date(2026, 8, 1), field="village_branch_id")  # before 15 August
    session.flush()

    figures = party_indicators(session, Principal.everything(), code, TODAY)

    assert figures["quiet_branches"] == 1
    assert [(q["id"], q["grid_code"], q["village"], q["last_activity"]) for q in figures["quiet"]] == [
        (organisation, code, True, "2026-08-01")
    ]
    # Its activities count beside the groups': one in 2026Q3, one per group in 2026Q4.
    assert [q["activities"] for q in figures["activities_per_quarter"]][2:] == [1, len(branches)]
    # A group's own figures know nothing of the village organisation above it.
    group = party_indicators(session, Principal.everything(), branches[0][1], TODAY)
    assert (group["branches"], group["village_branches"], group["quiet_branches"]) == (1, 0, 0)
