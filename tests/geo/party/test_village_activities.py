"""A village organisation's own activities (a 党总支's meeting, the whole village's 主题党日): recorded, listed,
corrected and photographed like a branch's, inside the village's jurisdiction only, audited; and its fields'
refusals naming the field and what is wrong with it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from geo.accounts.models import Role
from geo.accounts.principal import AccessDenied, Principal
from geo.core.errors import InvalidInput, NotFound
from geo.core.models import AuditEvent
from geo.grid.models import Grid, PartyBranch
from geo.party.activities import (
    ActivityInput,
    activities_geojson,
    add_photo,
    branch_activities,
    get_activity,
    record_activity,
    update_activity,
)
from geo.party.models import PartyActivity, VillageBranch
from geo.party.villages import update_village_branch, village_branch_detail

TODAY = date(2026, 11, 15)
NOW = datetime(2026, 11, 15, 4, tzinfo=UTC)
BENZILAN = "533422102"
YANGLA = "533422206"
SEAT = {"lon": 99.2991, "lat": 28.2446}  # 奔子栏镇's seat, inside the county
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
TOWNSHIP_ADMIN = Principal(1, "bzl-admin", Role.ADMIN, BENZILAN, frozenset({"social"}))


@pytest.fixture
def village(session):
    """The first village of 奔子栏镇: (its organisation, its code, its first group's code); the organisation holds
    only the activities the test records."""
    organisation, code = session.execute(
        select(VillageBranch, Grid.code)
        .join(Grid, Grid.id == VillageBranch.grid_id)
        .where(Grid.code.startswith(BENZILAN))
        .order_by(Grid.code)
        .limit(1)
    ).one()
    session.execute(delete(PartyActivity).where(PartyActivity.village_branch_id == organisation.id))
    group = session.scalar(
        select(Grid.code)
        .join(PartyBranch, PartyBranch.grid_id == Grid.id)
        .where(Grid.code.startswith(code))
        .order_by(Grid.code)
        .limit(1)
    )
    return organisation, code, group


def theme_day(organisation_id: int, **changes) -> ActivityInput:
    fields = {"kind": "theme_day", "held_on": date(2026, 11, 5), "topic": "全村主题党日", "attendance": 60, **SEAT}
    return ActivityInput(**{**fields, "village_branch_id": organisation_id, **changes})


def test_a_village_organisation_records_its_own_activity_like_a_branch(session, village):
    organisation, code, _group = village
    activity, created = record_activity(session, TOWNSHIP_ADMIN, theme_day(organisation.id), NOW, key="v-1")
    assert created and activity.area_code == code and activity.county_code == code[:6]
    assert (activity.village_branch_id, activity.branch_id, activity.temporary_branch_id) == (
        organisation.id,
        None,
        None,
    )
    again, created_again = record_activity(session, TOWNSHIP_ADMIN, theme_day(organisation.id), NOW, key="v-1")
    assert again.id == activity.id and not created_again  # a phone's retry records it once

    listed = branch_activities(session, TOWNSHIP_ADMIN, village_branch_id=organisation.id)
    assert [a.id for a in listed] == [activity.id]
    corrected = update_activity(session, TOWNSHIP_ADMIN, activity.id, activity.version, {"attendance": 72}, NOW)
    assert corrected.attendance == 72
    photo, _ = add_photo(session, TOWNSHIP_ADMIN, activity.id, "day.png", PNG, NOW)
    assert photo.activity_id == activity.id
    drawn = [f for f in activities_geojson(session, TOWNSHIP_ADMIN, "2026-11")["features"] if f["id"] == activity.id]
    assert drawn and drawn[0]["properties"]["village_branch_id"] == organisation.id

    detail = village_branch_detail(session, TOWNSHIP_ADMIN, organisation.id, TODAY)
    assert (detail["own_activities"], detail["last_activity"], detail["quiet"]) == (1, "2026-11-05", False)
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity == "party_activity", AuditEvent.entity_id == str(activity.id))
    ).all()
    assert sorted(actions) == ["party.activity.create", "party.activity.photo", "party.activity.update"]


def test_without_an_activity_of_its_own_the_organisation_is_quiet(session, village):
    organisation, _code, _group = village
    detail = village_branch_detail(session, TOWNSHIP_ADMIN, organisation.id, TODAY)
    assert (detail["own_activities"], detail["last_activity"], detail["quiet"]) == (0, None, True)


def test_only_the_villages_jurisdiction_records_and_sees_them_not_a_groups_staff(session, village):
    organisation, code, group = village
    activity, _ = record_activity(session, TOWNSHIP_ADMIN, theme_day(organisation.id), NOW)
    village_admin = Principal(2, "v-admin", Role.ADMIN, code, frozenset({"social"}))
    mine, _ = record_activity(session, village_admin, theme_day(organisation.id, topic="党总支委员会会议"), NOW)
    assert mine.area_code == code
    assert {a.id for a in branch_activities(session, village_admin, village_branch_id=organisation.id)} == {
        activity.id,
        mine.id,
    }
    county_viewer = Principal(3, "viewer", Role.VIEWER, "533422", frozenset({"social"}))
    assert get_activity(session, county_viewer, activity.id).id == activity.id
    with pytest.raises(AccessDenied):
        record_activity(session, county_viewer, theme_day(organisation.id), NOW)

    # A group's staff see the organisation above them by name only: none of its activities, nor may they record one.
    group_admin = Principal(4, "g-admin", Role.ADMIN, group, frozenset({"social"}))
    group_dispatcher = Principal(5, "g-disp", Role.DISPATCHER, group, frozenset({"social"}))
    assert village_branch_detail(session, group_dispatcher, organisation.id, TODAY)["name_only"]
    for staff in (group_admin, group_dispatcher):
        with pytest.raises(NotFound):
            branch_activities(session, staff, village_branch_id=organisation.id)
        with pytest.raises(NotFound):
            get_activity(session, staff, activity.id)
        assert activity.id not in [f["id"] for f in activities_geojson(session, staff, "2026-11")["features"]]
    with pytest.raises(NotFound):
        record_activity(session, group_admin, theme_day(organisation.id), NOW)
    yangla = Principal(6, "yl-admin", Role.ADMIN, YANGLA, frozenset({"social"}))
    with pytest.raises(NotFound):
        record_activity(session, yangla, theme_day(organisation.id), NOW)
    with pytest.raises(NotFound):
        update_activity(session, yangla, activity.id, activity.version, {"attendance": 1}, NOW)


def test_an_activity_belongs_to_exactly_one_branch(session, village):
    organisation, code, _group = village
    branch = session.scalar(
        select(PartyBranch.id).join(Grid, Grid.id == PartyBranch.grid_id).where(Grid.code.startswith(code)).limit(1)
    )
    with pytest.raises(InvalidInput) as both:
        record_activity(session, TOWNSHIP_ADMIN, theme_day(organisation.id, branch_id=branch), NOW)
    assert both.value.field == "branch_id" and "village_branch_id" in both.value.message
    with pytest.raises(InvalidInput):
        record_activity(session, TOWNSHIP_ADMIN, theme_day(organisation.id, village_branch_id=None), NOW)
    # The database holds to it whatever path writes: a row naming two branches is refused.
    with pytest.raises(IntegrityError, match="ck_party_activity_one_branch"), session.begin_nested():
        session.add(
            PartyActivity(
                branch_id=branch, village_branch_id=organisation.id, area_code=code, kind="theme_day",
                held_on=TODAY, place="SRID=4326;POINT(99.3 28.24)", topic="两个支部", attendance=1,
                created_by="test", created_at=NOW, updated_at=NOW,
            )
        )  # fmt: skip
        session.flush()


def test_its_activities_follow_the_organisation_to_another_village_grid(session, village):
    organisation, _code, _group = village
    activity, _ = record_activity(session, TOWNSHIP_ADMIN, theme_day(organisation.id), NOW)
    other = session.scalar(select(VillageBranch).where(VillageBranch.id != organisation.id).limit(1))
    assert other is not None
    spare = session.get_one(Grid, other.grid_id)
    session.delete(other)  # its village is free for this one
    session.flush()
    session.execute(update(VillageBranch).where(VillageBranch.id == organisation.id).values(grid_id=spare.id))
    assert session.scalar(select(PartyActivity.area_code).where(PartyActivity.id == activity.id)) == spare.code


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"secretary": 5}, "secretary", "must be text"),
        ({"secretary": ["扎西"]}, "secretary", "must be text"),
        ({"secretary": "扎" * 51}, "secretary", "at most 50 characters"),
        ({"name": 5}, "name", "must be text"),
        ({"name": {"zh": "某村"}}, "name", "must be text"),
        ({"name": "  "}, "name", "is required"),
        ({"name": "村" * 101}, "name", "at most 100 characters"),
        ({"kind": 5}, "kind", "must be text"),
        ({"kind": "cell"}, "kind", "must be one of"),
        ({"members": 3}, "members", "is not a field"),
    ],
)
def test_a_bad_field_is_refused_naming_it_and_what_is_wrong(session, village, changes, field, reason):
    organisation, _code, _group = village
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(InvalidInput) as refused:
        update_village_branch(session, TOWNSHIP_ADMIN, organisation.id, organisation.version, changes, NOW)
    assert refused.value.field == field and reason in refused.value.message
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == before
