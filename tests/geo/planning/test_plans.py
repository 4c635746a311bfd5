"""Plans in the database: drafts, refusals, conflicts, approval, activation, re-routing, as-of lookups, export."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import shapely
from geoalchemy2.shape import to_shape
from sqlalchemy import func, select

from geo.accounts.models import Role
from geo.accounts.principal import AccessDenied, Principal
from geo.atlas.lookup import lookup_point
from geo.core.errors import BoundaryImportError, InvalidInput, NotFound
from geo.dispatch.intake import IncidentInput, create_incident
from geo.dispatch.models import IncidentEvent
from geo.grid.boundaries import current_generation, generation_as_of, read_boundary_file
from geo.grid.models import Generation, Grid, GridLevel, GridWorker, PartyBranch
from geo.grid.vector_files import UnsupportedFile
from geo.patrol.models import SeasonalZone
from geo.planning.drafts import TilingError
from geo.planning.editing import create_plan, edit_plan, replace_from_file, update_settings
from geo.planning.export import export_bytes, generation_frame, generation_history, get_generation, plan_frame
from geo.planning.impact import impact
from geo.planning.models import Plan, PlanStatus
from geo.planning.plans import PlanStateError, StalePlan, draft_of
from geo.planning.review import PlanConflict, activate_due_plans, review_plan, submit_plan

ALL = frozenset({"social", "religious", "rural"})
PLANNER = Principal(0, "planner-a", Role.PLANNER, "533422", frozenset({"social", "rural"}))
OTHER_PLANNER = Principal(0, "planner-b", Role.PLANNER, "533422", frozenset({"social", "rural"}))
ADMIN = Principal(0, "admin", Role.ADMIN, "533422", ALL)
VILLAGE = "533422102201"
GROUP = VILLAGE + "005"
NEW_GROUP = VILLAGE + "090"
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
TODAY = date(2026, 11, 26)
SLIVER = 2000.0


def edit(session, plan, op, principal=PLANNER, preview=False, **arguments):
    return edit_plan(
        session,
        principal,
        plan.id,
        version=plan.version,
        operation=op,
        arguments=arguments,
        preview=preview,
        sliver_m2=SLIVER,
        now=NOW,
    )


def split_line(plan, code=GROUP):
    grid = next(g for g in draft_of(plan) if g.code == code)
    minx, _, maxx, _ = grid.geometry.bounds
    y = grid.geometry.centroid.y
    return {"type": "LineString", "coordinates": [[minx - 0.01, y], [maxx + 0.01, y]]}


def split_plan(session, principal=PLANNER, title="拆分五组"):
    plan = create_plan(session, principal, VILLAGE, title, "人口增长", NOW)
    edit(session, plan, "split", principal, code=GROUP, geometry=split_line(plan), new_code=NEW_GROUP, name_zh="新组")
    worker = {"name": "测试网格员", "phone": "13900000000", "nets": ["social", "rural"]}
    edit(session, plan, "appoint", principal, code=NEW_GROUP, worker=worker)
    edit(session, plan, "branch", principal, code=NEW_GROUP, members=7)
    return plan


def moved_point(plan) -> tuple[float, float]:
    carved = next(g for g in draft_of(plan) if g.code == NEW_GROUP)
    point = shapely.point_on_surface(carved.geometry)
    return point.x, point.y


def approve(session, plan, effective_from=None):
    return review_plan(
        session,
        ADMIN,
        plan.id,
        version=plan.version,
        approve=True,
        comment="同意",
        effective_from=effective_from,
        today=TODAY,
        now=NOW,
    )


def submit(session, plan, principal=PLANNER):
    return submit_plan(session, principal, plan.id, version=plan.version, sliver_m2=SLIVER, now=NOW)


def test_a_new_group_needs_a_party_branch_or_a_reason(session):
    plan = create_plan(session, PLANNER, VILLAGE, "拆分", "", NOW)
    edit(session, plan, "split", code=GROUP, geometry=split_line(plan), new_code=NEW_GROUP, name_zh="新组")
    worker = {"name": "新组长", "phone": "", "nets": ["social", "rural"]}
    result = edit(session, plan, "appoint", code=NEW_GROUP, worker=worker)
    todo = [p.as_dict()["message"] for p in result.report.todo]
    assert any("party branch" in m and NEW_GROUP in m for m in todo), todo
    # Only the new group is asked: the village's other groups keep theirs.
    assert sum("party branch" in m for m in todo) == 1
    reason = edit(session, plan, "branch", code=NEW_GROUP, none_reason="党员不足 3 人，并入一组党支部")
    assert not any("party branch" in p.as_dict()["message"] for p in reason.report.todo)
    founded = edit(session, plan, "branch", code=NEW_GROUP, members=5)
    assert founded.report.ok, founded.report.as_dict()
    assert next(g for g in draft_of(plan) if g.code == NEW_GROUP).branch == {
        "name": "新组党支部",
        "members": 5,
        "secretary": "",
    }
    assert any(b.get("new") for b in impact(session, PLANNER, plan)["party_branches"])
    submit(session, plan)
    approve(session, plan)
    branch = session.scalar(
        select(PartyBranch).join(Grid, Grid.id == PartyBranch.grid_id).where(Grid.code == NEW_GROUP)
    )
    # 一肩挑: with no secretary named, the group's leader (its worker) is the branch secretary.
    assert branch is not None and branch.name == "新组党支部" and branch.members == 5
    assert branch.secretary is not None and branch.secretary.name == "新组长"


def test_a_plan_starts_as_a_copy_of_the_children(session):
    plan = create_plan(session, PLANNER, VILLAGE, "t", "", NOW)
    assert plan.child_level == "group" and plan.base_generation == current_generation(session)
    assert len(plan.grids) == 11 and all(g.code.startswith(VILLAGE) for g in plan.grids)
    with pytest.raises(InvalidInput, match="no grids below"):
        create_plan(session, PLANNER, GROUP, "t", "", NOW)


def test_split_submit_approve_moves_lookups_and_keeps_the_old_generation(session):
    plan = split_plan(session)
    old = current_generation(session)
    lon, lat = moved_point(plan)
    assert lookup_point(session, lon, lat, ADMIN, None).chain[-1].code == GROUP
    submit(session, plan)
    activation = approve(session, plan)
    assert plan.status == PlanStatus.ACTIVE and activation.generation == plan.generation_id > old
    assert lookup_point(session, lon, lat, ADMIN, None).chain[-1].code == NEW_GROUP
    assert lookup_point(session, lon, lat, ADMIN, old).chain[-1].code == GROUP
    assert generation_as_of(session, TODAY - timedelta(days=1)) == old
    appointed = session.scalar(select(GridWorker).where(GridWorker.name == "测试网格员"))
    assert appointed.grid.code == NEW_GROUP
    # Untouched siblings keep their boundary rows: only the split grid and the new one got new ones.
    history = generation_history(session, ADMIN)
    assert history[0]["plan"] == plan.id and history[0]["activated_by"] == "admin"


def test_activation_reroutes_open_incidents_with_history(session):
    plan = split_plan(session)
    lon, lat = moved_point(plan)
    desk = Principal(0, "desk", Role.DISPATCHER, "533422", ALL)
    incident = create_incident(
        session, desk, IncidentInput(net="social", category="dispute", title="边界测试", lon=lon, lat=lat), now=NOW
    ).incident
    assert incident.group_code == GROUP
    preview = impact(session, PLANNER, plan)
    moving = {"ticket": incident.ticket, "title": "边界测试", "from": GROUP, "to": NEW_GROUP}
    assert moving in preview["incidents"]["items"]
    assert any(row["code"] == NEW_GROUP and row["status"] == "new" for row in preview["grids"])
    submit(session, plan)
    activation = approve(session, plan)
    assert activation.rerouted >= 1
    session.refresh(incident)
    assert incident.group_code == NEW_GROUP
    assert incident.assignee is not None and incident.assignee.name == "测试网格员"
    event = session.scalars(
        select(IncidentEvent).where(IncidentEvent.incident_id == incident.id, IncidentEvent.action == "reroute")
    ).one()
    assert event.data["from_group"] == GROUP and event.data["to_group"] == NEW_GROUP


def test_a_plan_may_keep_open_incidents_where_they_were(session):
    plan = split_plan(session)
    lon, lat = moved_point(plan)
    desk = Principal(0, "desk", Role.DISPATCHER, "533422", ALL)
    incident = create_incident(
        session, desk, IncidentInput(net="social", category="dispute", title="保留", lon=lon, lat=lat), now=NOW
    ).incident
    update_settings(session, PLANNER, plan.id, version=plan.version, changes={"reroute_open_incidents": False}, now=NOW)
    submit(session, plan)
    assert approve(session, plan).rerouted == 0
    session.refresh(incident)
    assert incident.group_code == GROUP


def test_a_bad_edit_is_refused_with_its_edges_and_the_plan_is_unchanged(session):
    plan = create_plan(session, PLANNER, VILLAGE, "t", "", NOW)
    version = plan.version
    grid = next(g for g in draft_of(plan) if g.code == GROUP)
    grown = shapely.buffer(grid.geometry, 0.003, join_style="mitre")
    with pytest.raises(TilingError) as refused:
        edit(session, plan, "reshape", code=GROUP, geometry=shapely.geometry.mapping(grown))
    details = refused.value.details
    assert isinstance(details, dict)
    assert details["invalid_edges"]["features"] and details["errors"]
    assert plan.version == version
    assert shapely.equals(next(g for g in draft_of(plan) if g.code == GROUP).geometry, grid.geometry)


def test_projected_metres_and_garbage_geometry_are_refused_by_name(session):
    plan = create_plan(session, PLANNER, VILLAGE, "t", "", NOW)
    ring = [[500000, 3100000], [501000, 3100000], [501000, 3101000], [500000, 3100000]]
    metres = {"type": "Polygon", "coordinates": [ring]}
    with pytest.raises(InvalidInput, match="not degrees"):
        edit(session, plan, "reshape", code=GROUP, geometry=metres)
    with pytest.raises(InvalidInput, match="GeoJSON"):
        edit(session, plan, "reshape", code=GROUP, geometry={"type": "Polygon", "coordinates": "x"})
    with pytest.raises(InvalidInput, match="needs geometry"):
        edit(session, plan, "split", code=GROUP, new_code=NEW_GROUP, name_zh="x")


def test_only_the_owner_edits_and_a_stale_version_is_refused(session):
    plan = create_plan(session, PLANNER, VILLAGE, "t", "", NOW)
    with pytest.raises(AccessDenied):
        edit(session, plan, "rename", OTHER_PLANNER, code=GROUP, name_zh="改")
    stale = plan.version
    edit(session, plan, "rename", code=GROUP, name_zh="改名")
    with pytest.raises(StalePlan):
        edit_plan(
            session,
            PLANNER,
            plan.id,
            version=stale,
            operation="rename",
            arguments={"code": GROUP, "name_zh": "又改"},
            preview=False,
            sliver_m2=SLIVER,
            now=NOW,
        )


def test_the_second_planner_to_submit_is_told_which_grids_conflict(session):
    first = split_plan(session, PLANNER)
    second = create_plan(session, OTHER_PLANNER, VILLAGE, "另一方案", "", NOW)
    edit(session, second, "merge", OTHER_PLANNER, codes=[GROUP, VILLAGE + "004"])
    submit(session, first)
    with pytest.raises(PlanConflict) as clash:
        submit(session, second, OTHER_PLANNER)
    assert GROUP in clash.value.message
    assert isinstance(clash.value.details, dict) and clash.value.details["plans"][0]["plan"] == first.id
    # Once the first is in force, the second is stale: its base changed under it.
    approve(session, first)
    with pytest.raises(PlanConflict) as stale:
        submit(session, second, OTHER_PLANNER)
    assert isinstance(stale.value.details, dict) and GROUP in stale.value.details["changed_since_base"]


def test_review_rules(session):
    plan = split_plan(session, ADMIN)
    submit(session, plan, ADMIN)
    with pytest.raises(AccessDenied, match="someone other"):
        approve(session, plan)
    other = split_plan(session, PLANNER, "另一个")
    with pytest.raises(PlanStateError):
        approve(session, other)  # still a draft


def test_scheduled_activation_happens_on_its_day_once(session):
    plan = split_plan(session)
    submit(session, plan)
    with pytest.raises(InvalidInput, match="in the past"):
        approve(session, plan, effective_from=TODAY - timedelta(days=1))
    assert approve(session, plan, effective_from=TODAY + timedelta(days=7)) is None
    assert plan.status == PlanStatus.SCHEDULED
    assert activate_due_plans(session, TODAY, NOW) == []
    done = activate_due_plans(session, TODAY + timedelta(days=7), NOW)
    assert [plan_id for plan_id, _ in done] == [plan.id] and plan.status == PlanStatus.ACTIVE
    assert activate_due_plans(session, TODAY + timedelta(days=8), NOW) == []
    assert generation_as_of(session, TODAY + timedelta(days=7)) == plan.generation_id


def test_rejection_needs_a_reason_and_returns_the_plan_to_its_author(session):
    plan = split_plan(session)
    submit(session, plan)
    review = dict(version=plan.version, approve=False, effective_from=None, today=TODAY, now=NOW)
    with pytest.raises(InvalidInput, match="why"):
        review_plan(session, ADMIN, plan.id, comment="", **review)
    review_plan(session, ADMIN, plan.id, comment="编码不对", **review)
    assert plan.status == PlanStatus.REJECTED
    edit(session, plan, "rename", code=NEW_GROUP, name_zh="五组北")
    assert plan.status == PlanStatus.DRAFT


@pytest.mark.parametrize("file_format", ["gpkg", "geojson"])
def test_export_then_import_gives_back_the_same_grids(session, tmp_path, file_format):
    generation = current_generation(session)
    assert generation is not None
    frame = generation_frame(session, generation, GridLevel.GROUP, ADMIN)
    path = tmp_path / f"groups.{file_format}"
    path.write_bytes(export_bytes({"group": frame}, file_format))
    features = read_boundary_file(path, layer="group" if file_format == "gpkg" else None)
    assert [f.code for f in features] == list(frame["code"])
    for feature, original in zip(features, frame.geometry, strict=True):
        assert shapely.equals_exact(shapely.normalize(feature.geometry), shapely.normalize(original), tolerance=1e-9)
    assert all(f.parent_code == f.code[:12] for f in features)


def test_an_uploaded_layer_replaces_the_draft_or_is_refused_by_name(session, tmp_path):
    plan = create_plan(session, PLANNER, VILLAGE, "t", "", NOW)
    path = tmp_path / "plan.gpkg"
    path.write_bytes(export_bytes({"group": plan_frame(plan)}, "gpkg"))

    def upload(path, layer=None):
        return replace_from_file(
            session,
            PLANNER,
            plan.id,
            version=plan.version,
            path=path,
            layer=layer,
            source_crs="wgs84",
            preview=False,
            sliver_m2=SLIVER,
            now=NOW,
        )

    result = upload(path)
    assert result.saved and result.report.ok
    with pytest.raises(UnsupportedFile, match="layer 'nope' not found"):
        upload(path, "nope")
    empty = tmp_path / "empty.geojson"
    empty.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    with pytest.raises(BoundaryImportError):
        upload(empty)


def test_impact_names_seasonal_zones_over_moved_areas(session):
    zone = session.scalars(select(SeasonalZone).where(func.length(SeasonalZone.area_code) == 12)).first()
    centre = shapely.point_on_surface(to_shape(zone.geom))
    plan = create_plan(session, PLANNER, zone.area_code, "穿过虫草山", "", NOW)
    under = next(g for g in draft_of(plan) if g.geometry.covers(centre))
    west, _, east, _ = under.geometry.bounds
    line = {"type": "LineString", "coordinates": [[west - 0.01, centre.y], [east + 0.01, centre.y]]}
    new_code = zone.area_code + "099"
    edit(session, plan, "split", code=under.code, geometry=line, new_code=new_code, name_zh="山上组")
    found = impact(session, PLANNER, plan)
    assert {"id": zone.id, "name": zone.name_zh} in found["seasonal_zones"]


def test_a_township_planner_sees_no_generation_of_another_township(session):
    """A generation a plan made for 羊拉乡 is none of 奔子栏镇's business; the county sees it."""
    generation = Generation(description="羊拉乡 redrawn", county_code="533422", activated_at=NOW, activated_by="admin")
    session.add(generation)
    session.flush()
    plan = Plan(
        title="羊拉", reason="", parent_code="533422206", child_level="village", owner="admin",
        status=PlanStatus.ACTIVE.value, base_generation=1, created_at=NOW, updated_at=NOW,
        generation_id=generation.id,
    )  # fmt: skip
    session.add(plan)
    session.flush()
    benzilan = Principal(0, "bzl", Role.PLANNER, "533422102", frozenset({"social", "rural"}))
    assert generation.id not in {g["id"] for g in generation_history(session, benzilan)}
    assert 1 in {g["id"] for g in generation_history(session, benzilan)}  # the county-wide import
    with pytest.raises(NotFound):
        get_generation(session, benzilan, generation.id)
    assert generation.id in {g["id"] for g in generation_history(session, PLANNER)}
