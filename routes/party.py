"""Party organisation (党建引领): branches, members, activities, 书记领航 projects, indicators (API at /api/party),
the /party console pages and the phone page that records an activity with a photo and the phone's position."""

from __future__ import annotations

import uuid
from datetime import date

from flask import Blueprint as PageBlueprint
from flask import Response, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from marshmallow import EXCLUDE, Schema, fields, validate
from werkzeug.exceptions import HTTPException

from extensions import db, db_session
from geo.accounts.capabilities import Capability
from geo.atlas.outlines import jurisdiction_bounds
from geo.core.calendar import county_day
from geo.core.clock import now_utc
from geo.core.errors import GridError, InvalidInput
from geo.dispatch.attachments import MAX_ATTACHMENT_BYTES
from geo.grid.tickets import TICKET_LENGTH
from geo.party.activities import (
    ActivityInput,
    activities_geojson,
    activity_dict,
    add_photo,
    branch_activities,
    get_activity,
    get_photo,
    month_range,
    record_activity,
    remove_activity,
    update_activity,
)
from geo.party.branches import branch_detail, list_branches, list_temporary_branches, update_branch
from geo.party.indicators import party_indicators
from geo.party.members import Household, MemberInput, add_member, branch_members, member_dict, remove_member
from geo.party.members import update_member as change_member
from geo.party.models import ActivityKind, ProjectStatus, VillageOrganisation
from geo.party.projects import (
    Milestone,
    ProjectInput,
    create_project,
    list_projects,
    project_dict,
    projects_geojson,
    remove_project,
    update_project,
)
from geo.party.villages import (
    create_village_branch,
    list_village_branches,
    update_village_branch,
    village_branch_detail,
    village_branch_of,
    villages_without_organisation,
)
from layers import visible_layers
from layers.grids import COUNTY, NEIGHBOURS, TOWNSHIP
from layers.party import PARTY_LAYERS
from routes.incidents import uploaded_photo
from web import answers
from web.access import accepts_upload, current_principal, require
from web.errors import localized_message, localized_problems
from web.input_rules import ApiBlueprint, Day, Id
from web.maps import page_layers, page_map
from web.page_strings import label_of

blp = ApiBlueprint("party", __name__, url_prefix="/api/party", description="Party branches, members, activities")
pages = PageBlueprint("party_pages", __name__)

#: A photo and the form around it.
UPLOAD_BYTES = MAX_ATTACHMENT_BYTES + 256 * 1024
PHONE = validate.Regexp(r"^[0-9+\- ]{0,20}$")
GRID_CODE = validate.Regexp(r"^[0-9]{6,15}$")


# --- schemas -------------------------------------------------------------------------------------------


class ListArgs(Schema):
    under = fields.String(load_default=None, validate=GRID_CODE, metadata={"description": "a grid code"})
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=100_000))


class VersionArgs(Schema):
    version = Id(required=True, metadata={"description": "the version you read (409 if it changed since)"})


class BranchPatch(Schema):
    version = Id(required=True)
    name = fields.String(validate=validate.Length(min=1, max=100))
    members = fields.Integer(validate=validate.Range(min=0, max=10_000), metadata={"description": "declared count"})


class HouseholdIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    address = fields.String(load_default="", validate=validate.Length(max=200))


class MemberIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    post = fields.String(load_default="", validate=validate.Length(max=50))
    duty = fields.String(load_default="", validate=validate.Length(max=50), metadata={"description": "党内职务"})
    phone = fields.String(load_default="", validate=PHONE)
    household_count = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1000))
    households = fields.List(fields.Nested(HouseholdIn), load_default=list, validate=validate.Length(max=50))


class MemberPatch(MemberIn):
    version = Id(required=True)


class ActivityFields(Schema):
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in ActivityKind]))
    held_on = Day(required=True, metadata={"description": "the county day (China Standard Time)"})
    lon = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-180, max=180))
    lat = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-90, max=90))
    topic = fields.String(required=True, validate=validate.Length(min=1, max=200))
    attendance = fields.Integer(required=True, validate=validate.Range(min=0, max=2000))
    place_name = fields.String(load_default="", validate=validate.Length(max=100))
    minutes = fields.String(load_default="", validate=validate.Length(max=20_000))


class ActivityIn(ActivityFields):
    branch_id = Id(load_default=None)
    temporary_branch_id = Id(load_default=None, metadata={"description": "a harvest hill's temporary branch"})
    village_branch_id = Id(
        load_default=None,
        metadata={"description": "a village organisation (党总支/党委) itself, for the whole village"},
    )


#: How the record form names a branch (``<letter>:<id>``): the field of the activity it fills.
BRANCH_LETTERS = {"b": "branch_id", "t": "temporary_branch_id", "v": "village_branch_id"}


class RecordForm(ActivityFields):
    """The phone page's form: the branch as ``b:<id>`` (a group's), ``t:<id>`` (a harvest hill's) or ``v:<id>`` (a
    village organisation), its own key."""

    branch = fields.String(required=True, validate=validate.Regexp(rf"^[{''.join(BRANCH_LETTERS)}]:[0-9]{{1,9}}$"))
    key = fields.String(load_default=None, validate=validate.Length(min=1, max=100))


class ActivityPatch(Schema):
    version = Id(required=True)
    kind = fields.String(validate=validate.OneOf([k.value for k in ActivityKind]))
    held_on = Day()
    lon = fields.Float(allow_nan=False, validate=validate.Range(min=-180, max=180))
    lat = fields.Float(allow_nan=False, validate=validate.Range(min=-90, max=90))
    topic = fields.String(validate=validate.Length(min=1, max=200))
    attendance = fields.Integer(validate=validate.Range(min=0, max=2000))
    place_name = fields.String(validate=validate.Length(max=100))
    minutes = fields.String(validate=validate.Length(max=20_000))


class MonthArgs(Schema):
    month = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-\d{2}$"), metadata={"example": "2026-11"})


class MilestoneIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    due = Day(load_default=None)
    done = fields.Boolean(load_default=False)
    done_on = Day(load_default=None)


class ProjectIn(Schema):
    branch_id = Id(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    goal = fields.String(load_default="", validate=validate.Length(max=5000))
    status = fields.String(load_default="planned", validate=validate.OneOf([s.value for s in ProjectStatus]))
    progress = fields.Integer(load_default=0, validate=validate.Range(min=0, max=100))
    grid_codes = fields.List(fields.String(validate=GRID_CODE), load_default=list, validate=validate.Length(max=50))
    milestones = fields.List(fields.Nested(MilestoneIn), load_default=list, validate=validate.Length(max=30))
    incident_tickets = fields.List(
        fields.String(validate=validate.Length(min=1, max=TICKET_LENGTH)),
        load_default=list,
        validate=validate.Length(max=100),
    )


class ProjectPatch(ProjectIn):
    version = Id(required=True)
    branch_id = Id(load_default=None, metadata={"description": "ignored: a project stays with its branch"})


class IndicatorArgs(Schema):
    code = fields.String(required=True, validate=GRID_CODE)


class BranchAnswer(answers.Answer):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    grid_code = fields.String(required=True)
    secretary = fields.String(allow_none=True)
    members = fields.Integer(required=True)
    members_entered = fields.Integer(required=True)
    last_activity = fields.String(allow_none=True)
    quiet = fields.Boolean(required=True, metadata={"description": "no activity in the last 3 months"})
    version = fields.Integer(required=True)


class VillageBranchAnswer(answers.Answer):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "general_branch (党总支) or committee (党委)"})
    secretary = fields.String(allow_none=True)
    grid_code = fields.String(required=True, metadata={"description": "the village's grid code"})
    branches = fields.Integer(required=True, metadata={"description": "group branches under it in your jurisdiction"})
    members = fields.Integer(required=True, metadata={"description": "their declared members"})
    members_entered = fields.Integer(required=True)
    quiet_branches = fields.Integer(required=True, metadata={"description": "of them, no activity in 3 months"})
    activities = fields.Integer(required=True, metadata={"description": "their activities this quarter"})
    own_activities = fields.Integer(required=True, metadata={"description": "its own activities this quarter"})
    last_activity = fields.String(allow_none=True, metadata={"description": "its own last activity"})
    quiet = fields.Boolean(required=True, metadata={"description": "no activity of its own in the last 3 months"})
    version = fields.Integer(required=True)


_KINDS = validate.OneOf([kind.value for kind in VillageOrganisation])


class VillageCreate(Schema):
    village = fields.String(required=True, validate=GRID_CODE, metadata={"description": "the village's grid code"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(required=True, validate=_KINDS, metadata={"description": "general_branch or committee"})
    secretary = fields.String(load_default="", validate=validate.Length(max=50))


class VillagePatch(Schema):
    version = Id(required=True)
    name = fields.String(validate=validate.Length(min=1, max=100))
    kind = fields.String(validate=_KINDS, metadata={"description": "general_branch or committee"})
    secretary = fields.String(validate=validate.Length(max=50))


class VillageArgs(Schema):
    under = fields.String(load_default=None, validate=GRID_CODE, metadata={"description": "a grid code"})


class BranchList(answers.Answer):
    total = fields.Integer(required=True)
    branches = fields.List(fields.Nested(BranchAnswer), required=True)


class MemberAnswer(answers.Answer):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    phone = fields.String(allow_none=True, metadata={"description": "only inside your jurisdiction"})
    household_count = fields.Integer(required=True)
    households = fields.List(fields.Dict(), allow_none=True)
    version = fields.Integer(required=True)


class ActivityAnswer(answers.Answer):
    """An activity as geo/party/activities.activity_dict answers it: exactly one of the three branch ids is set."""

    id = fields.Integer(required=True)
    branch_id = fields.Integer(required=True, allow_none=True, metadata={"description": "a villager group's branch"})
    temporary_branch_id = fields.Integer(
        required=True, allow_none=True, metadata={"description": "a harvest season's temporary branch"}
    )
    village_branch_id = fields.Integer(
        required=True, allow_none=True, metadata={"description": "a village's 党总支/党委 itself"}
    )
    area_code = fields.String(required=True)
    kind = fields.String(required=True)
    held_on = fields.String(required=True)
    lon = fields.Float(required=True)
    lat = fields.Float(required=True)
    place_name = fields.String(required=True)
    topic = fields.String(required=True)
    attendance = fields.Integer(required=True)
    minutes = fields.String(required=True)
    photos = fields.List(fields.Dict(), required=True)
    created_by = fields.String(required=True)
    demo = fields.Boolean(required=True)
    version = fields.Integer(required=True)


class ProjectAnswer(answers.Answer):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    status = fields.String(required=True)
    progress = fields.Integer(required=True)
    milestones = fields.List(fields.Dict(), required=True)
    version = fields.Integer(required=True)


class IndicatorAnswer(answers.Answer):
    code = fields.String(required=True)
    branches = fields.Integer(required=True)
    activities_per_quarter = fields.List(fields.Dict(), required=True)
    quiet_branches = fields.Integer(required=True)
    members_per_group = fields.Float(allow_none=True)
    households_per_member = fields.Float(allow_none=True)


# --- helpers -------------------------------------------------------------------------------------------


def _today() -> date:
    return county_day(now_utc())


def _member_input(body: dict) -> MemberInput:
    households = tuple(Household(h["name"], h["address"]) for h in body["households"])
    fields_ = {k: body[k] for k in ("name", "post", "duty", "phone", "household_count")}
    return MemberInput(**fields_, households=households)


def _project_input(body: dict) -> ProjectInput:
    return ProjectInput(
        title=body["title"],
        goal=body["goal"],
        status=body["status"],
        progress=body["progress"],
        grid_codes=tuple(body["grid_codes"]),
        milestones=tuple(Milestone(**m) for m in body["milestones"]),
        incident_tickets=tuple(body["incident_tickets"]),
    )


@blp.before_request
def _json_bodies_only():
    if request.endpoint == "party.upload_photo":
        return  # a photo arrives as multipart/form-data
    if request.method in ("POST", "PATCH") and not request.is_json:
        raise InvalidInput("send the body as JSON (Content-Type: application/json)")


# --- API -----------------------------------------------------------------------------------------------


@blp.route("/branches", methods=["GET"])
@blp.arguments(ListArgs, location="query")
@blp.response(200, BranchList)
@require(Capability.PARTY_VIEW)
def branches(args):
    """The jurisdiction's standing branches (below ``under``), with members entered, last activity and quiet flag."""
    rows, total = list_branches(
        db_session(), current_principal(), _today(), args["under"], limit=args["limit"], offset=args["offset"]
    )
    return jsonify({"total": total, "branches": rows})


@blp.route("/village-branches", methods=["GET"])
@blp.arguments(VillageArgs, location="query")
@blp.response(200, VillageBranchAnswer(many=True))
@require(Capability.PARTY_VIEW)
def village_branches(args):
    """The villages' and communities' party organisations (党总支/党委), their group branches' figures rolled up."""
    return jsonify(list_village_branches(db_session(), current_principal(), _today(), args["under"]))


@blp.route("/village-branches", methods=["POST"])
@blp.arguments(VillageCreate)
@blp.response(201, VillageBranchAnswer)
@require(Capability.PARTY_EDIT)
def village_branch_create(body):
    """Found a village's party organisation (one per village, inside your jurisdiction; 409 if it has one)."""
    principal = current_principal()
    village = body.pop("village")
    branch = create_village_branch(db_session(), principal, village, body, now_utc(), address=request.remote_addr)
    db.session.commit()
    return jsonify(village_branch_detail(db_session(), principal, branch.id, _today())), 201


@blp.route("/village-branches/<int:branch_id>", methods=["PATCH"])
@blp.arguments(VillagePatch)
@blp.response(200, VillageBranchAnswer)
@require(Capability.PARTY_EDIT)
def village_branch_update(body, branch_id: int):
    """Rename a village organisation, change its kind or secretary (send the ``version`` read; 409 if it changed)."""
    principal = current_principal()
    version = body.pop("version")
    update_village_branch(db_session(), principal, branch_id, version, body, now_utc(), address=request.remote_addr)
    db.session.commit()
    return jsonify(village_branch_detail(db_session(), principal, branch_id, _today()))


@blp.route("/village-branches/<int:branch_id>", methods=["GET"])
@blp.response(200, VillageBranchAnswer)
@require(Capability.PARTY_VIEW)
def village_branch(branch_id: int):
    """One village organisation with its group branches' figures."""
    return jsonify(village_branch_detail(db_session(), current_principal(), branch_id, _today()))


@blp.route("/village-branches/<int:branch_id>/activities", methods=["GET"])
@blp.response(200, ActivityAnswer(many=True))
@require(Capability.PARTY_VIEW)
def village_activities(branch_id: int):
    """A village organisation's own activities, newest first (the village's staff and those above; not a group's)."""
    found = branch_activities(db_session(), current_principal(), village_branch_id=branch_id)
    return jsonify([activity_dict(a) for a in found])


@blp.route("/branches/<int:branch_id>", methods=["GET"])
@blp.response(200, BranchAnswer)
@require(Capability.PARTY_VIEW)
def branch(branch_id: int):
    """One branch."""
    return jsonify(branch_detail(db_session(), current_principal(), branch_id, _today()))


@blp.route("/branches/<int:branch_id>", methods=["PATCH"])
@blp.arguments(BranchPatch)
@blp.response(200, BranchAnswer)
@require(Capability.PARTY_EDIT)
def branch_update(body, branch_id: int):
    """Rename a branch or change its declared member count (send the ``version`` you read; 409 if it changed)."""
    principal = current_principal()
    version = body.pop("version")
    update_branch(db_session(), principal, branch_id, version, body, now_utc(), address=request.remote_addr)
    db.session.commit()
    return jsonify(branch_detail(db_session(), principal, branch_id, _today()))


@blp.route("/branches/<int:branch_id>/members", methods=["GET"])
@blp.response(200, MemberAnswer(many=True))
@require(Capability.PARTY_VIEW)
def members(branch_id: int):
    """A branch's members; phones and linked households only inside your jurisdiction."""
    principal = current_principal()
    return jsonify([member_dict(m, principal) for m in branch_members(db_session(), principal, branch_id)])


@blp.route("/branches/<int:branch_id>/members", methods=["POST"])
@blp.arguments(MemberIn)
@blp.response(201, MemberAnswer)
@require(Capability.PARTY_EDIT)
def member_create(body, branch_id: int):
    """Enter a member with their linked households (党员联系户); audited."""
    principal = current_principal()
    member = add_member(db_session(), principal, branch_id, _member_input(body), now_utc(), address=request.remote_addr)
    db.session.commit()
    return jsonify(member_dict(member, principal)), 201


@blp.route("/members/<int:member_id>", methods=["PATCH"])
@blp.arguments(MemberPatch)
@blp.response(200, MemberAnswer)
@require(Capability.PARTY_EDIT)
def member_update(body, member_id: int):
    """Replace a member's fields and households (send the ``version`` you read; 409 if it changed)."""
    principal = current_principal()
    member = change_member(
        db_session(), principal, member_id, body["version"], _member_input(body), now_utc(), address=request.remote_addr
    )
    db.session.commit()
    return jsonify(member_dict(member, principal))


@blp.route("/members/<int:member_id>", methods=["DELETE"])
@blp.arguments(VersionArgs, location="query")
@blp.response(204)
@require(Capability.PARTY_EDIT)
def member_delete(args, member_id: int):
    """Remove a member (``?version=`` you read; 409 if it changed)."""
    remove_member(db_session(), current_principal(), member_id, args["version"], address=request.remote_addr)
    db.session.commit()
    return Response(status=204)


@blp.route("/branches/<int:branch_id>/activities", methods=["GET"])
@blp.response(200, ActivityAnswer(many=True))
@require(Capability.PARTY_VIEW)
def activities(branch_id: int):
    """A standing branch's activities, newest first."""
    found = branch_activities(db_session(), current_principal(), branch_id=branch_id)
    return jsonify([activity_dict(a) for a in found])


@blp.route("/temporary-branches/<int:branch_id>/activities", methods=["GET"])
@blp.response(200, ActivityAnswer(many=True))
@require(Capability.PARTY_VIEW)
def temporary_activities(branch_id: int):
    """A harvest hill's temporary branch's activities, newest first."""
    found = branch_activities(db_session(), current_principal(), temporary_branch_id=branch_id)
    return jsonify([activity_dict(a) for a in found])


@blp.route("/activities", methods=["POST"])
@blp.arguments(ActivityIn)
@blp.response(201, ActivityAnswer)
@blp.alt_response(200, schema=ActivityAnswer, description="a repeated Idempotency-Key: the first record")
@require(Capability.PARTY_EDIT)
def activity_create(body):
    """Record an activity of a branch (``branch_id``), a temporary branch (``temporary_branch_id``) or a village
    organisation itself (``village_branch_id``): name exactly one.

    Send an ``Idempotency-Key`` header to make a retry safe: the same key answers 200 with the first
    record (422 if the activity differs).
    """
    activity, created = record_activity(
        db_session(),
        current_principal(),
        ActivityInput(**body),
        now_utc(),
        key=request.headers.get("Idempotency-Key"),
        address=request.remote_addr,
    )
    db.session.commit()
    return jsonify(activity_dict(activity)), 201 if created else 200


@blp.route("/activities/<int:activity_id>", methods=["GET"])
@blp.response(200, ActivityAnswer)
@require(Capability.PARTY_VIEW)
def activity(activity_id: int):
    """One activity with its photos' ids."""
    return jsonify(activity_dict(get_activity(db_session(), current_principal(), activity_id)))


@blp.route("/activities/<int:activity_id>", methods=["PATCH"])
@blp.arguments(ActivityPatch)
@blp.response(200, ActivityAnswer)
@require(Capability.PARTY_EDIT)
def activity_update(body, activity_id: int):
    """Correct an activity (send the ``version`` you read; 409 if it changed)."""
    version = body.pop("version")
    activity = update_activity(
        db_session(), current_principal(), activity_id, version, body, now_utc(), address=request.remote_addr
    )
    db.session.commit()
    return jsonify(activity_dict(activity))


@blp.route("/activities/<int:activity_id>", methods=["DELETE"])
@blp.arguments(VersionArgs, location="query")
@blp.response(204)
@require(Capability.PARTY_EDIT)
def activity_delete(args, activity_id: int):
    """Delete an activity recorded by mistake, with its photos (``?version=``; 409 if it changed)."""
    remove_activity(db_session(), current_principal(), activity_id, args["version"], address=request.remote_addr)
    db.session.commit()
    return Response(status=204)


@blp.route("/activities/<int:activity_id>/photos", methods=["POST"])
@blp.response(201, answers.Attachment)
@blp.alt_response(200, schema=answers.Attachment, description="the same photo sent again: the one attached")
@accepts_upload(UPLOAD_BYTES)
@require(Capability.PARTY_EDIT)
def upload_photo(activity_id: int):
    """Attach a photo (multipart field ``file``; JPEG, PNG or WebP, at most 5 MB, ten per activity).

    The same bytes sent again (a retry after a lost answer) answer 200 with the photo already attached.
    """
    photo, created = add_photo(
        db_session(), current_principal(), activity_id, *uploaded_photo(), now_utc(), address=request.remote_addr
    )
    db.session.commit()
    return jsonify({"id": photo.id, "filename": photo.filename, "size": photo.size}), 201 if created else 200


@blp.route("/activities/<int:activity_id>/photos/<int:photo_id>", methods=["GET"])
@require(Capability.PARTY_VIEW)
def photo(activity_id: int, photo_id: int):
    """One photo of an activity, as it was sent."""
    found = get_photo(db_session(), current_principal(), activity_id, photo_id)
    return Response(
        found.data,
        mimetype=found.content_type,
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


@blp.route("/activities.geojson", methods=["GET"])
@blp.arguments(MonthArgs, location="query")
@blp.response(200, answers.FeatureCollection)
@require(Capability.PARTY_VIEW)
def activity_layer(args):
    """The jurisdiction's activities of one month (``month=YYYY-MM``) as GeoJSON points."""
    return jsonify(activities_geojson(db_session(), current_principal(), args["month"]))


@blp.route("/projects", methods=["GET"])
@blp.response(200, ProjectAnswer(many=True))
@require(Capability.PARTY_VIEW)
def projects():
    """The jurisdiction's 书记领航 projects with their secretary."""
    return jsonify(list_projects(db_session(), current_principal()))


@blp.route("/projects", methods=["POST"])
@blp.arguments(ProjectIn)
@blp.response(201, ProjectAnswer)
@require(Capability.PARTY_EDIT)
def project_create(body):
    """Start a 书记领航 project of a branch, led by its secretary (grids default to the branch's group)."""
    project = create_project(
        db_session(), current_principal(), body["branch_id"], _project_input(body), now_utc(),
        address=request.remote_addr,
    )  # fmt: skip
    db.session.commit()
    return jsonify(project_dict(project)), 201


@blp.route("/projects/<int:project_id>", methods=["PATCH"])
@blp.arguments(ProjectPatch)
@blp.response(200, ProjectAnswer)
@require(Capability.PARTY_EDIT)
def project_update(body, project_id: int):
    """Replace a project's fields: progress, milestones ticked off, status (``version``; 409 if it changed)."""
    project = update_project(
        db_session(), current_principal(), project_id, body["version"], _project_input(body), now_utc(),
        address=request.remote_addr,
    )  # fmt: skip
    db.session.commit()
    return jsonify(project_dict(project))


@blp.route("/projects/<int:project_id>", methods=["DELETE"])
@blp.arguments(VersionArgs, location="query")
@blp.response(204)
@require(Capability.PARTY_EDIT)
def project_delete(args, project_id: int):
    """Delete a project (``?version=``; 409 if it changed)."""
    remove_project(db_session(), current_principal(), project_id, args["version"], address=request.remote_addr)
    db.session.commit()
    return Response(status=204)


@blp.route("/projects.geojson", methods=["GET"])
@blp.response(200, answers.FeatureCollection)
@require(Capability.PARTY_VIEW)
def project_layer():
    """The jurisdiction's projects as points on their branch's group, with status and progress."""
    return jsonify(projects_geojson(db_session(), current_principal()))


@blp.route("/indicators", methods=["GET"])
@blp.arguments(IndicatorArgs, location="query")
@blp.response(200, IndicatorAnswer)
@require(Capability.PARTY_VIEW)
def indicators(args):
    """Activities per branch per quarter, quiet branches, members per group, households per member for a grid."""
    return jsonify(party_indicators(db_session(), current_principal(), args["code"], _today()))


# --- pages ---------------------------------------------------------------------------------------------


def _month_arg() -> str:
    """The month asked for (``YYYY-MM``, refused with 400 if malformed), else this month in the county."""
    raw = request.args.get("month", "")
    if not raw:
        return _today().isoformat()[:7]
    month_range(raw)
    return raw


@pages.get("/party")
@require(Capability.PARTY_VIEW)
def party_page():
    """Branches of the jurisdiction with their flags, and the month's activities and the projects on a map."""
    principal = current_principal()
    month = _month_arg()
    page = max(1, min(1000, int(request.args.get("page", "1")) if request.args.get("page", "").isdigit() else 1))
    rows, total = list_branches(db_session(), principal, _today(), limit=100, offset=(page - 1) * 100)
    specs = visible_layers([NEIGHBOURS.id, COUNTY.id, TOWNSHIP.id], principal)
    return render_template(
        "party/index.html",
        map=page_map(specs, jurisdiction_bounds(db_session(), principal)),
        branches=rows,
        temporary=list_temporary_branches(db_session(), principal),
        villages=list_village_branches(db_session(), principal, _today()),
        unfounded=villages_without_organisation(db_session(), principal)
        if principal.can(Capability.PARTY_EDIT)
        else [],
        kinds=[(kind.value, label_of(kind)) for kind in VillageOrganisation],
        total=total,
        page=page,
        pages=(total + 99) // 100,
        month=month,
        indicators=party_indicators(db_session(), principal, principal.jurisdiction_code, _today()),
        layers=page_layers(PARTY_LAYERS),
        can_edit=principal.can(Capability.PARTY_EDIT),
        lang=str(get_locale()),
    )


@pages.get("/party/branches/<int:branch_id>")
@require(Capability.PARTY_VIEW)
def branch_page(branch_id: int):
    """One branch: its members and households, activities, projects and its indicators."""
    principal = current_principal()
    detail = branch_detail(db_session(), principal, branch_id, _today())
    return render_template(
        "party/branch.html",
        branch=detail,
        village=village_branch_of(db_session(), principal, detail["grid_code"]),
        members=[
            {**member_dict(m, principal), "url": url_for("party.member_update", member_id=m.id)}
            for m in branch_members(db_session(), principal, branch_id)
        ],
        activities=[activity_dict(a) for a in branch_activities(db_session(), principal, branch_id=branch_id)],
        projects=[
            {**p, "url": url_for("party.project_update", project_id=p["id"])}
            for p in list_projects(db_session(), principal, branch_id=branch_id)
        ],
        statuses=[(s.value, label_of(s)) for s in ProjectStatus],
        indicators=party_indicators(db_session(), principal, detail["grid_code"], _today()),
        can_edit=principal.can(Capability.PARTY_EDIT),
        lang=str(get_locale()),
    )


@pages.get("/party/villages/<int:branch_id>")
@require(Capability.PARTY_VIEW)
def village_page(branch_id: int):
    """A village's organisation: its group branches with their flags, and the village's indicators rolled up."""
    principal = current_principal()
    detail = village_branch_detail(db_session(), principal, branch_id, _today())
    if detail.get("name_only"):  # a group's staff: the organisation above them by name, no figures
        return render_template("party/village.html", village=detail, branches=[], indicators=None, can_edit=False)
    rows, _total = list_branches(db_session(), principal, _today(), detail["grid_code"], limit=500)
    return render_template(
        "party/village.html",
        village=detail,
        branches=rows,
        activities=[activity_dict(a) for a in branch_activities(db_session(), principal, village_branch_id=branch_id)],
        indicators=party_indicators(db_session(), principal, detail["grid_code"], _today()),
        can_edit=principal.can(Capability.PARTY_EDIT) and principal.may_change(detail["grid_code"]),
        kinds=[(kind.value, label_of(kind)) for kind in VillageOrganisation],
        activity_kinds=[(k.value, label_of(k)) for k in ActivityKind],
        branch_fields=BRANCH_LETTERS,
        today=_today(),
        key=uuid.uuid4().hex,
        lang=str(get_locale()),
    )


def _record_page(refused: str | None = None, typed: dict | None = None, status: int = 200):
    principal = current_principal()
    rows, _total = list_branches(db_session(), principal, _today(), limit=500)
    page = render_template(
        "party/record.html",
        branches=rows,
        temporary=list_temporary_branches(db_session(), principal),
        villages=list_village_branches(db_session(), principal, _today()),
        kinds=[(k.value, label_of(k)) for k in ActivityKind],
        branch_fields=BRANCH_LETTERS,
        today=_today(),
        key=uuid.uuid4().hex,
        refused=refused,
        typed=typed or {},
        lang=str(get_locale()),
    )
    return page, status


@pages.get("/party/record")
@require(Capability.PARTY_EDIT)
def record_page():
    """Phone page: record an activity (主题党日 …) with a photo, the place taken from the phone's position."""
    return _record_page()


@pages.post("/party/record")
@accepts_upload(UPLOAD_BYTES)
@require(Capability.PARTY_EDIT)
def record_form():
    """The phone page's form (multipart with CSRF): the activity and its photo are saved together or not at all."""
    names = ("branch", "kind", "held_on", "lon", "lat", "topic", "attendance", "place_name", "minutes")
    typed = {name: request.form.get(name, "")[:2000] for name in names}
    try:
        form = ApiBlueprint.ARGUMENTS_PARSER.parse(RecordForm, request, location="form", unknown=EXCLUDE)
    except HTTPException as error:
        problems = (getattr(error, "data", None) or {}).get("messages", {}).get("form", {})
        if not problems:
            raise
        return _record_page(localized_problems(problems), typed, 400)
    key = form.pop("key")
    letter, branch_id = form.pop("branch").split(":")
    form[BRANCH_LETTERS[letter]] = int(branch_id)
    upload = request.files.get("file")
    try:
        activity, created = record_activity(
            db_session(), current_principal(), ActivityInput(**form), now_utc(), key=key, address=request.remote_addr
        )
        if created and upload is not None and upload.filename:
            add_photo(db_session(), current_principal(), activity.id, *uploaded_photo(), now_utc(),
                      address=request.remote_addr)  # fmt: skip
    except GridError as error:
        db.session.rollback()
        if error.status == 403:
            raise
        return _record_page(localized_message(error), typed, error.status)
    db.session.commit()
    if activity.village_branch_id is not None:  # recorded from the village's page: back to its list
        return redirect(url_for("party_pages.village_page", branch_id=activity.village_branch_id, recorded=activity.id))
    return redirect(url_for("party_pages.party_page", month=activity.held_on.isoformat()[:7], recorded=activity.id))
