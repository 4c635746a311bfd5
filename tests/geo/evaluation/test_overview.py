"""The organisation computed from the demo atlas: the paper's figures, and the caller's share of them."""

from sqlalchemy import select

from geo.accounts.models import Role
from geo.accounts.principal import Principal
from geo.evaluation.overview import organisation
from geo.grid.models import Grid, PartyBranch

ALL = frozenset({"social", "religious", "rural"})


def test_the_county_as_the_paper_describes_it(session):
    found = organisation(session, Principal(0, "leader", Role.VIEWER, "533422", ALL))
    assert found["grids"] == {"county": 1, "township": 8, "village": 49, "group": 480}
    assert found["workers"] == {"county": 4, "township": 13, "village": 49, "group": 479}
    assert (found["grids_total"], found["workers_total"]) == (538, 545)
    assert (found["groups"], found["groups_with_branch"], found["groups_secretary_leads"]) == (480, 479, 479)


def test_a_secretary_from_elsewhere_is_not_一肩挑_and_a_township_sees_its_own(session):
    branch = session.scalars(select(PartyBranch).order_by(PartyBranch.id)).first()
    other = session.scalars(select(PartyBranch).where(PartyBranch.id != branch.id)).first()
    branch.secretary_id = other.secretary_id
    session.flush()
    county = organisation(session, Principal(0, "leader", Role.VIEWER, "533422", ALL))
    assert county["groups_secretary_leads"] == 478
    township = session.scalar(select(Grid.code).where(Grid.level == "township").order_by(Grid.code))
    mine = organisation(session, Principal(0, "t", Role.VIEWER, township, ALL))
    assert mine["grids"]["county"] == 0 and mine["grids"]["township"] == 1
    assert mine["groups"] < 480
