"""A branch moved to another grid by an approved plan, or a zone redrawn, takes its members, activities and projects."""

from __future__ import annotations

from sqlalchemy import select, update

from geo.grid.models import Grid, PartyBranch
from geo.party.models import LeadProject, PartyActivity, PartyMember
from geo.patrol.models import SeasonalZone, TemporaryBranch


def test_a_moved_branch_takes_its_members_activities_and_projects(session):
    branch = session.scalar(
        select(PartyBranch).where(PartyBranch.id.in_(select(LeadProject.branch_id))).order_by(PartyBranch.id).limit(1)
    )
    village = session.scalars(select(Grid).where(Grid.level == "village").order_by(Grid.code)).first()
    assert branch is not None and village is not None
    # As geo/planning/review.py moves branches: a bulk UPDATE, no ORM in between.
    session.execute(update(PartyBranch).where(PartyBranch.id == branch.id).values(grid_id=village.id))
    for model in (PartyMember, PartyActivity, LeadProject):
        codes = set(session.scalars(select(model.area_code).where(model.branch_id == branch.id)))
        assert codes == {village.code}, model.__tablename__


def test_a_redrawn_zones_activities_follow_it(session):
    zone_id = session.scalar(
        select(TemporaryBranch.zone_id)
        .where(TemporaryBranch.id.in_(select(PartyActivity.temporary_branch_id)))
        .limit(1)
    )
    assert zone_id is not None
    session.execute(update(SeasonalZone).where(SeasonalZone.id == zone_id).values(area_code="533422"))
    held = select(PartyActivity.area_code).join(TemporaryBranch).where(TemporaryBranch.zone_id == zone_id)
    assert set(session.scalars(held)) == {"533422"}
