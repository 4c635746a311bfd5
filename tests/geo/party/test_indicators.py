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
from geo.party.models import PartyActivity, PartyMember

TODAY = date(2026, 11, 15)
NOW = datetime(2026, 11, 15, 4, tzinfo=UTC)


@pytest.fixture
def village(session):
    """A village of 奔子栏镇 whose branches hold only what this test writes: (village code, [(branch id, group)])."""
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
    session.execute(delete(PartyActivity).where(PartyActivity.branch_id.in_(ids)))
    session.execute(delete(PartyMember).where(PartyMember.branch_id.in_(ids)))
    return code, branches


def held(session, branch: tuple[int, str], *days: date) -> None:
    for day in days:
        session.add(
            PartyActivity(
                branch_id=branch[0], area_code=branch[1], kind="theme_day", held_on=day,
                place="SRID=4326;POINT(99.3 28.24)", topic="测试", attendance=10, created_by="test",
                created_at=NOW, updated_at=NOW,
            )
        )  # fmt: skip


def member(session, branch: tuple[int, str], households: int) -> None:
    session.add(PartyMember(branch_id=branch[0], area_code=branch[1], name="测试", household_count=households,
                            updated_at=NOW))  # fmt: skip


def test_the_four_indicators_of_a_village(session, village):
    code, branches = village
    assert len(branches) >= 3
    first, second = branches[0], branches[1]
    held(session, first, date(2026, 10, 8), date(2026, 11, 3), date(2026, 8, 1), date(2025, 12, 30))
    held(session, second, date(2026, 7, 10))  # four months ago: quiet
    member(session, first, 3)
    member(session, first, 5)
    member(session, second, 4)
    session.flush()

    figures = party_indicators(session, Principal.everything(), code, TODAY)

    n = len(branches)
    assert figures["branches"] == n
    assert [(q["quarter"], q["activities"]) for q in figures["activities_per_quarter"]] == [
        ("2026Q1", 0), ("2026Q2", 0), ("2026Q3", 2), ("2026Q4", 2),
    ]  # fmt: skip
    assert figures["activities_per_quarter"][3]["per_branch"] == round(2 / n, 2)
    # Every branch but the first has had nothing since 15 August.
    assert figures["quiet_since"] == quiet_since(TODAY).isoformat() == "2026-08-15"
    assert figures["quiet_branches"] == n - 1
    assert first[0] not in [q["id"] for q in figures["quiet"]]
    assert {"id": second[0], "grid_code": second[1], "name": figures["quiet"][0]["name"], "last_activity": "2026-07-10"} in figures["quiet"]  # fmt: skip  # noqa: E501
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
