"""Every change leaves an audit event: who, what, before and after, and the client address it came from."""

from datetime import UTC, datetime, timedelta

import pytest
import shapely
from sqlalchemy import func, select

from geo.accounts.models import Role
from geo.accounts.principal import Principal
from geo.core.audit import audit_query
from geo.core.calendar import county_day
from geo.core.models import AuditEvent
from geo.dispatch.attachments import add_attachment
from geo.dispatch.intake import IncidentInput, create_incident
from geo.dispatch.routing import route_worker
from geo.dispatch.workflow import apply_action, escalate_overdue
from geo.patrol.tasks import check_in, create_task
from geo.patrol.zones import ZoneInput, add_branch, add_site, add_team, create_zone
from geo.planning.editing import create_plan, edit_plan, replace_from_file
from geo.planning.export import export_bytes, plan_frame

ALL = frozenset({"social", "religious", "rural"})
DESK = Principal(0, "audit-desk", Role.DISPATCHER, "533422", ALL)
LEADER = Principal(0, "audit-leader", Role.PATROL_LEADER, "533422206", ALL)
PLANNER = Principal(0, "audit-planner", Role.PLANNER, "533422", frozenset({"social", "rural"}))
T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
HERE = "203.0.113.7"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def trail(session):
    """Events of one entity written during the test (the trail outlives the reloads of earlier runs)."""
    mark = session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))

    def events(entity_id, action=None) -> list[AuditEvent]:
        query = audit_query(action=action).where(AuditEvent.entity_id == str(entity_id), AuditEvent.id > mark)
        return list(session.scalars(query.order_by(None).order_by(AuditEvent.id)))

    return events


def test_every_incident_action_is_audited_with_actor_address_before_and_after(session, trail):
    data = IncidentInput(net="social", category="public_order", title="审计测试", lon=99.2991, lat=28.2446)
    incident = create_incident(session, DESK, data, address=HERE, now=T0).incident
    (reported,) = trail(incident.ticket)
    assert (reported.actor, reported.action, reported.entity, reported.address) == (
        "audit-desk",
        "incident.report",
        "incident",
        HERE,
    )
    assert reported.after["status"] == "reported" and reported.after["group"] == incident.group_code

    def act(action, **extra):
        apply_action(session, DESK, incident.ticket, action, version=incident.version, address=HERE, now=T0, **extra)

    village_worker = route_worker(session, "social", incident.group_code, county_day(T0), from_depth=2)
    assert village_worker is not None
    act("register")
    act("dispatch")
    act("reassign", worker=village_worker.code, note="本组网格员请假")
    act("escalate", note="须村级协调")
    act("resolve", note="已调解")
    act("verify")
    act("reopen")
    add_attachment(session, DESK, incident.ticket, "photo.png", PNG, address=HERE, now=T0)
    history = trail(incident.ticket)
    assert [e.action for e in history] == [
        "incident.report",
        *(f"incident.{a}" for a in ("register", "dispatch", "reassign", "escalate", "resolve", "verify", "reopen")),
        "incident.attach",
    ]
    assert all(e.actor == "audit-desk" and e.address == HERE for e in history)
    register, dispatch, reassign = history[1:4]
    assert (register.before["status"], register.after["status"]) == ("reported", "registered")
    assert dispatch.before["due_at"] is None and dispatch.after["due_at"]
    assert reassign.after["assignee"] == village_worker.code != reassign.before["assignee"]
    assert reassign.after["note"] == "本组网格员请假"
    assert history[-1].after["file"] == "photo.png"


def test_the_escalation_job_is_audited_as_system(session, trail):
    data = IncidentInput(net="social", category="public_order", title="逾期审计", lon=99.2991, lat=28.2446)
    incident = create_incident(session, DESK, data, now=T0).incident
    for action in ("register", "dispatch"):
        apply_action(session, DESK, incident.ticket, action, version=incident.version, now=T0)
    assert incident.ticket in escalate_overdue(session, now=T0 + timedelta(hours=13))
    (escalated,) = trail(incident.ticket, "incident.escalate")
    assert escalated.actor == "system" and escalated.address is None
    assert escalated.after["escalation_level"] == 1 > escalated.before["escalation_level"]


def test_zones_their_teams_branches_sites_tasks_and_check_ins_are_audited(session, trail):
    hill = shapely.Point(99.10, 28.93).buffer(0.01)
    zone_input = ZoneInput("审计山", "caterpillar_fungus", hill, [{"start": "04-25", "end": "07-05"}], {})
    zone = create_zone(session, LEADER, zone_input, T0, address=HERE)
    team = add_team(session, LEADER, zone.id, {"name": "一队", "leader": "扎西", "members": []}, address=HERE)
    branch = {"name": "临时党支部", "secretary": "卓玛", "starts": T0.date(), "ends": None}
    add_branch(session, LEADER, zone.id, branch, address=HERE)
    add_site(session, LEADER, zone.id, "checkpoint", "卡点", 99.10, 28.93, address=HERE)
    task = create_task(
        session,
        LEADER,
        team_id=team.id,
        title="巡山",
        starts_at=T0,
        ends_at=T0 + timedelta(hours=8),
        zone_id=zone.id,
        now=T0,
        address=HERE,
    )
    checkin, _ = check_in(session, LEADER, task.id, 99.10, 28.93, "到达", T0, address=HERE)
    on_zone = [e for e in trail(zone.id) if e.entity == "zone"]
    assert [e.action for e in on_zone] == ["zone.create", "zone.team", "zone.branch", "zone.site"]
    assert all(e.actor == "audit-leader" and e.address == HERE for e in on_zone)
    assert on_zone[2].after["starts"] == T0.date().isoformat() and on_zone[3].after["name"] == "卡点"
    task_events = [e for e in trail(task.id) if e.entity == "patrol_task"]
    assert [e.action for e in task_events] == ["patrol.task", "patrol.checkin"]
    assert task_events[1].address == HERE and task_events[1].after["checkin"] == checkin.id


def test_plan_records_carry_the_address_and_an_upload_preview_is_audited(session, trail, tmp_path):
    plan = create_plan(session, PLANNER, "533422102201", "审计", "", T0, address=HERE)
    path = tmp_path / "plan.geojson"
    path.write_bytes(export_bytes({"group": plan_frame(plan)}, "geojson"))
    result = replace_from_file(
        session,
        PLANNER,
        plan.id,
        version=plan.version,
        path=path,
        layer=None,
        source_crs="wgs84",
        preview=True,
        sliver_m2=2000.0,
        now=T0,
        address=HERE,
    )
    assert not result.saved and result.audited
    on_plan = [e for e in trail(plan.id) if e.entity == "plan"]
    assert [e.action for e in on_plan] == ["plan.create", "plan.upload_preview"]
    assert all(e.address == HERE for e in on_plan)
    assert on_plan[1].after["file"] == "plan.geojson" and len(on_plan[1].after["grids"]) == len(plan.grids)


def test_an_edit_preview_is_not_audited(session, trail):
    plan = create_plan(session, PLANNER, "533422102201", "审计", "", T0)
    code = plan.grids[0].code
    result = edit_plan(
        session,
        PLANNER,
        plan.id,
        version=plan.version,
        operation="rename",
        arguments={"code": code, "name_zh": "预览"},
        preview=True,
        sliver_m2=2000.0,
        now=T0,
    )
    assert not result.audited
    assert trail(plan.id) and all(e.action == "plan.create" for e in trail(plan.id) if e.entity == "plan")
