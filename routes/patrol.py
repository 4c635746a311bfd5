"""Patrol: seasonal zones, hotspots, tasks and check-ins (API at /api/patrol), the /patrol pages and briefings."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint as PageBlueprint
from flask import Response, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from geoalchemy2.shape import to_shape
from marshmallow import EXCLUDE, Schema, fields, validate
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from extensions import db, db_session
from geo.accounts.capabilities import Capability
from geo.atlas.outlines import jurisdiction_bounds
from geo.core.calendar import county_day
from geo.core.clock import now_utc
from geo.core.crs import parse_geometry
from geo.core.errors import InvalidInput
from geo.dispatch.models import IncidentCategory
from geo.grid.models import AdminArea, Net
from geo.patrol.briefing import briefing, groups_in_view, incidents_near_active_zones, sites_of
from geo.patrol.hotspots import HotspotQuery, analyse, default_range
from geo.patrol.models import SiteKind, ZoneKind
from geo.patrol.tasks import check_in, create_task, task_summary, tasks, visit_window
from geo.patrol.zones import (
    ZoneInput,
    add_branch,
    add_site,
    add_team,
    create_zone,
    get_zone,
    neighbour_names,
    update_zone,
    zone_summary,
    zones_geojson,
)
from layers import visible_layers
from layers.grids import COUNTY, NEIGHBOURS, TOWNSHIP
from layers.patrol import PATROL_LAYERS
from layers.static_map import briefing_bounds, briefing_png, reference_of
from web import answers
from web.access import current_principal, require
from web.errors import localized_message, localized_problems
from web.input_rules import ApiBlueprint, Day, Id, Moment, day_arg, whole_number_arg
from web.maps import page_layers, page_map
from web.page_strings import label_of

blp = ApiBlueprint("patrol", __name__, url_prefix="/api/patrol", description="Seasonal zones, hotspots, patrol tasks")
pages = PageBlueprint("patrol_pages", __name__)


class DayArgs(Schema):
    on = Day(load_default=None, metadata={"description": "default: today"})


class ZoneIn(Schema):
    name_zh = fields.String(required=True, validate=validate.Length(min=1, max=100))
    name_en = fields.String(load_default="", validate=validate.Length(max=100))
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in ZoneKind]))
    geometry = fields.Dict(required=True, metadata={"description": "GeoJSON Polygon/MultiPolygon, WGS-84"})
    windows = fields.Raw(required=True, metadata={"description": '[{"start": "04-25", "end": "07-05"}]'})
    overrides = fields.Raw(load_default=None, metadata={"description": '{"2026": {"start": ..., "end": ...} | null}'})
    altitude_min_m = fields.Integer(load_default=None, validate=validate.Range(min=0, max=9000))
    altitude_max_m = fields.Integer(load_default=None, validate=validate.Range(min=0, max=9000))


class ZonePatch(Schema):
    version = Id(required=True)
    name_zh = fields.String(validate=validate.Length(min=1, max=100))
    name_en = fields.String(validate=validate.Length(max=100))
    geometry = fields.Dict()
    windows = fields.Raw()
    overrides = fields.Raw()
    altitude_min_m = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=9000))
    altitude_max_m = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=9000))


class BranchIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    secretary = fields.String(required=True, validate=validate.Length(min=1, max=50))
    phone = fields.String(load_default="", validate=validate.Regexp(r"^[0-9+\- ]{0,20}$"))
    members = fields.List(fields.String(validate=validate.Length(max=50)), load_default=list)
    starts = Day(load_default=None)
    ends = Day(load_default=None)


class TeamIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    leader = fields.String(required=True, validate=validate.Length(min=1, max=50))
    phone = fields.String(load_default="", validate=validate.Regexp(r"^[0-9+\- ]{0,20}$"))
    members = fields.List(fields.String(validate=validate.Length(max=50)), load_default=list)


class SiteIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in SiteKind]))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    lon = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-180, max=180))
    lat = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-90, max=90))


class HotspotArgs(Schema):
    since = Day(required=True)
    until = Day(required=True)
    net = fields.String(load_default=None, validate=validate.OneOf([n.value for n in Net]))
    category = fields.String(load_default=None, validate=validate.Length(max=40))


class TaskIn(Schema):
    team_id = Id(required=True)
    title = fields.String(load_default="", validate=validate.Length(max=200))
    zone_id = Id(load_default=None)
    target = fields.Dict(load_default=None, metadata={"description": "GeoJSON polygon of a hotspot, if no zone_id"})
    starts_at = Moment(required=True)
    ends_at = Moment(required=True)
    instructions = fields.String(load_default="", validate=validate.Length(max=2000))


class CheckInIn(Schema):
    lon = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-180, max=180))
    lat = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-90, max=90))
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    at = Moment(
        load_default=None,
        metadata={"description": "when the team was there, if the phone kept the check-in without signal (<= 7 days)"},
    )


def _today() -> date:
    return county_day(now_utc())


def _lang() -> str:
    return str(get_locale())


# --- API -----------------------------------------------------------------------------------------------


@blp.route("/zones", methods=["GET"])
@blp.arguments(DayArgs, location="query")
@blp.response(200, answers.FeatureCollection)
@require(Capability.PATROL_VIEW)
def zone_list(args):
    """Zones with whether each is active on ``on``, their branches, teams, checkpoints and stations (GeoJSON)."""
    day = args["on"] or _today()
    # With the hours a visit to a zone that day is proposed for (the leader's "派出巡逻" on a zone).
    return jsonify({**zones_geojson(db_session(), current_principal(), day), "visit": visit_window(day)})


@blp.route("/zones", methods=["POST"])
@blp.arguments(ZoneIn)
@blp.response(201, answers.ZoneSummary)
def zone_create(body):
    """Draw a zone (planners, patrol leaders, admins); crossing the county line is allowed and flagged."""
    data = ZoneInput(**{**body, "geometry": parse_geometry(body["geometry"])})
    zone = create_zone(
        db_session(),
        current_principal(),
        data,
        now_utc(),
        address=request.remote_addr,
        max_vertices=current_app.config["MAX_VERTICES"],
    )
    db.session.commit()
    return jsonify(zone_summary(zone, _today(), neighbour_names(db_session()))), 201


@blp.route("/zones/<int:zone_id>", methods=["PATCH"])
@blp.arguments(ZonePatch)
@blp.response(200, answers.ZoneSummary)
def zone_update(body, zone_id: int):
    """Change a zone (send the ``version`` you read; 409 if someone changed it first)."""
    version = body.pop("version")
    if "geometry" in body:
        body["geometry"] = parse_geometry(body["geometry"])
    zone = update_zone(
        db_session(),
        current_principal(),
        zone_id,
        version,
        body,
        now_utc(),
        address=request.remote_addr,
        max_vertices=current_app.config["MAX_VERTICES"],
    )
    db.session.commit()
    return jsonify(zone_summary(zone, _today(), neighbour_names(db_session())))


@blp.route("/zones/<int:zone_id>/branches", methods=["POST"])
@blp.arguments(BranchIn)
@blp.response(201, answers.Named)
def zone_branch(body, zone_id: int):
    """Set up a temporary party branch on a zone."""
    branch = add_branch(db_session(), current_principal(), zone_id, body, address=request.remote_addr)
    db.session.commit()
    return jsonify({"id": branch.id, "name": branch.name}), 201


@blp.route("/zones/<int:zone_id>/teams", methods=["POST"])
@blp.arguments(TeamIn)
@blp.response(201, answers.Named)
def zone_team(body, zone_id: int):
    """Add a patrol team to a zone."""
    team = add_team(db_session(), current_principal(), zone_id, body, address=request.remote_addr)
    db.session.commit()
    return jsonify({"id": team.id, "name": team.name}), 201


@blp.route("/zones/<int:zone_id>/sites", methods=["POST"])
@blp.arguments(SiteIn)
@blp.response(201, answers.Named)
def zone_site(body, zone_id: int):
    """Add a checkpoint or a warm-heart station to a zone."""
    site = add_site(db_session(), current_principal(), zone_id, **body, address=request.remote_addr)
    db.session.commit()
    return jsonify({"id": site.id, "name": site.name}), 201


@blp.route("/hotspots", methods=["GET"])
@blp.arguments(HotspotArgs, location="query")
@blp.response(200, answers.Hotspots)
@require(Capability.PATROL_VIEW)
def hotspots(args):
    """Kernel density and Getis-Ord Gi* hot/cold spots for a date range against the same range last year."""
    principal = current_principal()
    query = HotspotQuery(args["since"], args["until"], args["net"], args["category"])
    return jsonify(analyse(db_session(), principal, query, sites=sites_of(db_session(), principal)))


@blp.route("/incidents", methods=["GET"])
@blp.arguments(DayArgs, location="query")
@blp.response(200, answers.BoundedCollection)
@require(Capability.PATROL_VIEW)
def zone_incidents(args):
    """Incidents of the current season inside or within 2 km of each zone active on ``on`` (GeoJSON, at most
    ``limit``; ``more`` says some were left out)."""
    return jsonify(incidents_near_active_zones(db_session(), current_principal(), args["on"] or _today()))


@blp.route("/tasks", methods=["GET"])
@blp.response(200, answers.Task(many=True))
@require(Capability.TASK_LIST)
def task_list():
    """Patrol tasks: team, target, window, check-ins, and whether the target was visited."""
    now = now_utc()
    return jsonify([task_summary(t, now) for t in tasks(db_session(), current_principal())])


@blp.route("/tasks", methods=["POST"])
@blp.arguments(TaskIn)
@blp.response(201, answers.Task)
def task_create(body):
    """Send a team to a zone or a hotspot within a time window (patrol leaders, admins)."""
    target = parse_geometry(body["target"], "target") if body["target"] else None
    task = create_task(
        db_session(),
        current_principal(),
        team_id=body["team_id"],
        title=body["title"],
        starts_at=body["starts_at"],
        ends_at=body["ends_at"],
        zone_id=body["zone_id"],
        target=target,
        instructions=body["instructions"],
        now=now_utc(),
        address=request.remote_addr,
    )
    db.session.commit()
    return jsonify(task_summary(task, now_utc())), 201


@blp.route("/tasks/<int:task_id>/checkins", methods=["POST"])
@blp.arguments(CheckInIn)
@blp.response(201, answers.CheckInAnswer)
@blp.alt_response(200, schema=answers.CheckInAnswer, description="a repeated Idempotency-Key: the first")
def task_checkin(body, task_id: int):
    """A team reports its position and a note; far from the target it is accepted and flagged.

    A phone without signal keeps the check-in and sends it later with ``at``, the
    time the team was there, and an ``Idempotency-Key`` header: sending it again
    answers 200 with the first record instead of recording it twice (422 if the
    check-in differs).
    """
    checkin, created = check_in(
        db_session(),
        current_principal(),
        task_id,
        body["lon"],
        body["lat"],
        body["note"],
        now_utc(),
        at=body["at"],
        key=request.headers.get("Idempotency-Key"),
        address=request.remote_addr,
    )
    db.session.commit()
    answer = {"id": checkin.id, "distance_m": round(checkin.distance_m), "is_far": checkin.is_far}
    return jsonify(answer), 201 if created else 200


# --- pages ---------------------------------------------------------------------------------------------


def _day_arg(name: str, default: date | None) -> date | None:
    raw = request.args.get(name)
    return day_arg(raw, name) if raw else default


@pages.get("/patrol")
@require(Capability.PATROL_VIEW)
def patrol_map():
    """The patrol leader's map: zones active on a date, hotspots, incidents near zones, tasks."""
    principal = current_principal()
    lang = _lang()
    day = _day_arg("date", None) or _today()
    specs = visible_layers([NEIGHBOURS.id, COUNTY.id, TOWNSHIP.id], principal)
    since, until = default_range(db_session(), principal, day)
    can_draw = principal.can(Capability.ZONE_EDIT)
    parts = page_map(specs, jurisdiction_bounds(db_session(), principal), drawing=can_draw)
    categories = db.session.execute(
        select(IncidentCategory.code, IncidentCategory.name_zh, IncidentCategory.name_en)
        .where(IncidentCategory.net.in_(sorted(principal.nets)), IncidentCategory.is_active)
        .order_by(IncidentCategory.net, IncidentCategory.id)
    ).all()
    return render_template(
        "patrol/map.html",
        map=parts,
        day=day,
        lang=lang,
        can_draw=can_draw,
        can_assign=principal.can(Capability.TASK_ASSIGN),
        layers=page_layers(PATROL_LAYERS),
        hotspot_range=(since, until),
        nets=sorted(principal.nets),
        categories=[{"code": c, "name": en if lang == "en" else zh} for c, zh, en in categories],
        kinds=[{"code": k.value, "name": label_of(k)} for k in ZoneKind],
    )


def _briefing_args() -> tuple[int, date | None, date | None]:
    raw = request.args.get("zone", "")
    if not raw.isdigit():
        raise InvalidInput("choose a zone (zone=<id>)", field="zone")
    return whole_number_arg(raw, "zone"), _day_arg("since", None), _day_arg("until", None)


@pages.get("/patrol/briefing")
@require(Capability.PATROL_VIEW)
def patrol_briefing():
    """A printable briefing for one zone and a date range (default: its season so far)."""
    zone_id, since, until = _briefing_args()
    principal = current_principal()
    data = briefing(db_session(), principal, zone_id, since, until, _today())
    map_url = url_for(
        "patrol_pages.patrol_briefing_map",
        zone=zone_id,
        since=data["since"].isoformat(),
        until=data["until"].isoformat(),
    )
    bounds = briefing_bounds(to_shape(get_zone(db_session(), principal, zone_id).geom))
    return render_template(
        "patrol/briefing.html",
        b=data,
        map_url=map_url,
        lang=_lang(),
        printed=now_utc(),
        ref=lambda lon, lat: reference_of(lon, lat, bounds),  # the map's grid reference of a place ("C3")
    )


@pages.get("/patrol/briefing/map.png")
@require(Capability.PATROL_VIEW)
def patrol_briefing_map():
    """The briefing's map as a PNG (prints without a network)."""
    zone_id, since, until = _briefing_args()
    principal = current_principal()
    data = briefing(db_session(), principal, zone_id, since, until, _today())
    zone = get_zone(db_session(), principal, zone_id)
    county = to_shape(db.session.scalars(select(AdminArea.geom).where(AdminArea.is_home_county)).one())
    demo = "演示数据：生成的区域与事件，非官方 / demo data" if zone.is_demo else ""
    outline = to_shape(zone.geom)
    png = briefing_png(
        outline, county, data["sites"], data["incidents"], data["hotspots"],
        f"{zone.name_zh} {data['since']} – {data['until']}", demo,
        groups=groups_in_view(db_session(), briefing_bounds(outline)),
    )  # fmt: skip
    return Response(png, mimetype="image/png")


@pages.get("/patrol/my")
@require(Capability.CHECK_IN)
def patrol_tasks_phone():
    """Phone page: the visits to make, each with a check-in form (position from the phone or typed)."""
    return _phone_page()


def _phone_page(refused: dict | None = None, status: int = 200):
    """The phone page; ``refused`` (task, message, what was typed) shows a refused check-in in place."""
    now = now_utc()
    current = [t for t in tasks(db_session(), current_principal()) if t.ends_at >= now - timedelta(days=1)]
    summaries = [task_summary(t, now) for t in current]
    page = render_template(
        "patrol/my.html",
        tasks=summaries,
        targets={t["id"]: t["target"] for t in summaries},
        lang=_lang(),
        refused=refused or {},
    )
    return page, status


@pages.post("/patrol/my/<int:task_id>")
@require(Capability.CHECK_IN)
def patrol_checkin_form(task_id: int):
    """The phone page's check-in form (plain HTML form with CSRF), checked as the API checks its JSON.

    A refused check-in (coordinates out of range, a time in the future) is shown on the same page,
    next to its task, with what the patrol typed kept in the form.
    """
    typed = {name: request.form.get(name, "")[:2000] for name in ("lon", "lat", "note")}
    try:
        form = ApiBlueprint.ARGUMENTS_PARSER.parse(CheckInIn, request, location="form", unknown=EXCLUDE)
    except HTTPException as error:  # webargs refuses with 400 and the problems by field
        problems = (getattr(error, "data", None) or {}).get("messages", {}).get("form", {})
        if not problems:
            raise
        db.session.rollback()
        return _phone_page({"task": task_id, "message": localized_problems(problems), **typed}, 400)
    try:
        checkin, _ = check_in(
            db_session(),
            current_principal(),
            task_id,
            form["lon"],
            form["lat"],
            form["note"],
            now_utc(),
            at=form["at"],
            address=request.remote_addr,
        )
    except InvalidInput as error:
        db.session.rollback()
        return _phone_page({"task": task_id, "message": localized_message(error), **typed}, 400)
    db.session.commit()
    return redirect(
        url_for(
            "patrol_pages.patrol_tasks_phone",
            far=int(checkin.is_far),
            done=task_id,
            m=round(checkin.distance_m),
        )
    )
