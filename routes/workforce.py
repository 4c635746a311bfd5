"""Grid workers' training and points, the other forces, co-handlers and the duty list (API at /api/workforce),
the /workforce page and the co-handler's phone page /co."""

from __future__ import annotations

from flask import Blueprint as PageBlueprint
from flask import Response, jsonify, redirect, render_template, request, url_for
from flask.views import MethodView
from flask_babel import get_locale
from marshmallow import Schema, fields, validate

from extensions import db, db_session
from geo.accounts.capabilities import Capability
from geo.atlas.outlines import jurisdiction_bounds
from geo.core.calendar import county_day
from geo.core.clock import now_utc
from geo.core.errors import InvalidInput
from geo.dispatch.intake import LIMITS
from geo.dispatch.views import get_incident, incident_detail
from geo.evaluation.periods import Period
from geo.grid.models import ForceKind, Net
from geo.grid.tickets import TICKET_LENGTH
from geo.workforce.cohandling import add_co_handler, co_handled, co_handler_note, remove_co_handler
from geo.workforce.duplicates import cross_net_pairs, cross_net_partners, merge_cross_net
from geo.workforce.duty import duty_list, set_duty, support_for
from geo.workforce.forces import ForceInput, add_force, forces, forces_geojson, member_summary, update_force
from geo.workforce.models import Employment, RecognitionKind
from geo.workforce.points import coverage, current_rules, new_rules, ranking, rules_summary
from geo.workforce.profiles import RecognitionInput, add_recognition, set_profile, worker_profile
from geo.workforce.training import (
    TrainingInput,
    add_training,
    delete_training,
    topics,
    training_summary,
    trainings,
    update_training,
)
from geo.workforce.transfer import MAX_FILE_BYTES, check_sheet, export_document, import_sheet
from layers import visible_layers
from layers.grids import COUNTY, TOWNSHIP
from layers.workforce import FORCES
from web import answers
from web.access import accepts_upload, current_principal, require
from web.answers import GEOJSON, Answer, FeatureCollection
from web.errors import localized_details
from web.input_rules import ApiBlueprint, Day, Id, NotJson, whole_number_arg
from web.maps import page_map

blp = ApiBlueprint(
    "workforce",
    __name__,
    url_prefix="/api/workforce",
    description="Grid workers' training and points, the other forces, co-handlers and the duty list",
)
pages = PageBlueprint("workforce_pages", __name__)

_CODE = validate.Length(min=1, max=20)
_TICKET = validate.Length(min=1, max=TICKET_LENGTH)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TrainingIn(Schema):
    worker = fields.String(required=True, validate=_CODE, metadata={"description": "grid worker code"})
    course = fields.String(required=True, validate=validate.Length(min=1, max=100))
    topic = fields.String(required=True, validate=validate.Length(min=1, max=50), metadata={"description": "code"})
    hours = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=0.1, max=200))
    held_on = Day(required=True)
    certificate = fields.String(load_default="", validate=validate.Length(max=60))


class TrainingPatch(TrainingIn):
    version = Id(required=True, metadata={"description": "the version you read (optimistic locking)"})


class VersionIn(Schema):
    version = Id(required=True)


class TrainingArgs(Schema):
    worker = fields.String(load_default=None, validate=_CODE)
    grid = fields.String(load_default=None, validate=validate.Length(max=15))
    since = Day(load_default=None)
    until = Day(load_default=None)
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv", "xlsx"]))


class PeriodArgs(Schema):
    period = fields.String(
        load_default=None, validate=validate.Length(max=20), metadata={"description": "2026, 2026-Q4 or 2026-11"}
    )
    grid = fields.String(load_default=None, validate=validate.Length(max=15))


class ProfileIn(Schema):
    employment = fields.String(required=True, validate=validate.OneOf([e.value for e in Employment]))
    is_local = fields.Boolean(required=True, metadata={"description": "本土化: from the place they serve"})
    started_on = Day(load_default=None, allow_none=True)
    version = Id(load_default=0, metadata={"description": "0 to create the profile"})


class RecognitionIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in RecognitionKind]))
    title = fields.String(required=True, validate=validate.Length(min=1, max=100))
    awarded_on = Day(required=True)
    body = fields.String(load_default="", validate=validate.Length(max=100))


class RulesIn(Schema):
    per_grade = fields.Dict(
        keys=fields.String(validate=validate.OneOf(["A", "B", "C", "D", "E"])),
        values=fields.Float(allow_nan=False, validate=validate.Range(min=0, max=100)),
        load_default=None,
    )
    per_training_hour = fields.Float(load_default=None, allow_nan=False, validate=validate.Range(min=0, max=100))
    per_commendation = fields.Float(load_default=None, allow_nan=False, validate=validate.Range(min=0, max=100))
    per_sanction = fields.Float(load_default=None, allow_nan=False, validate=validate.Range(min=0, max=100))
    note = fields.String(load_default="", validate=validate.Length(max=500))


class ForceIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in ForceKind]))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    grid = fields.String(required=True, validate=validate.Length(min=6, max=15))
    organisation = fields.String(load_default="", validate=validate.Length(max=100))
    phone = fields.String(load_default="", validate=validate.Regexp(r"^[0-9+\- ]{0,20}$"))
    lon = fields.Float(load_default=None, allow_nan=False, validate=validate.Range(min=-180, max=180))
    lat = fields.Float(load_default=None, allow_nan=False, validate=validate.Range(min=-90, max=90))


class ForcePatch(ForceIn):
    version = Id(required=True)


class ForceArgs(Schema):
    grid = fields.String(load_default=None, validate=validate.Length(max=15))
    kind = fields.String(load_default=None, validate=validate.OneOf([k.value for k in ForceKind]))


class DutyIn(Schema):
    lead_post = fields.String(load_default="", validate=validate.Length(max=50))
    supporting_nets = fields.List(fields.String(validate=validate.OneOf([n.value for n in Net])), load_default=list)
    supporting_forces = fields.List(
        fields.String(validate=validate.OneOf([k.value for k in ForceKind])), load_default=list
    )
    note = fields.String(load_default="", validate=validate.Length(max=200))
    version = Id(load_default=0, metadata={"description": "the version you read; 0 to create the entry"})


class CoHandlerIn(Schema):
    member = fields.String(required=True, validate=_CODE, metadata={"description": "force member code"})


class NoteIn(Schema):
    version = Id(required=True)
    note = fields.String(required=True, validate=validate.Length(min=1, max=LIMITS["note"]))


class MergeIn(Schema):
    keep = fields.String(required=True, validate=_TICKET, metadata={"description": "the ticket that stays open"})
    merged = fields.String(required=True, validate=_TICKET, metadata={"description": "the ticket closed as duplicate"})
    keep_version = Id(required=True)
    merged_version = Id(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=LIMITS["note"]))


class GridArgs(Schema):
    grid = fields.String(load_default=None, validate=validate.Length(max=15))


class ImportArgs(Schema):
    dry_run = fields.Boolean(load_default=True, metadata={"description": "check only (default); false imports"})


class Topic(Answer):
    code = fields.String(required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)


class Training(Answer):
    id = fields.Integer(required=True)
    worker = fields.String(required=True)
    course = fields.String(required=True)
    topic = fields.String(required=True)
    hours = fields.Float(required=True)
    held_on = fields.String(required=True)
    version = fields.Integer(required=True)


class TrainingList(Answer):
    items = fields.List(fields.Nested(Training), required=True)


class ImportCheck(Answer):
    rows = fields.Integer(required=True)
    valid = fields.Integer(required=True)
    problems = fields.List(fields.Dict(), required=True, metadata={"description": "row, field (code), message"})
    imported = fields.Integer(metadata={"description": "the rows written (a real import)"})


class Profile(Answer):
    code = fields.String(required=True)
    name = fields.String(required=True)
    post = fields.String(required=True)
    trainings = fields.List(fields.Dict(), required=True)
    recognitions = fields.List(fields.Dict(), required=True)
    grades = fields.List(fields.Dict(), required=True)


class Rules(Answer):
    version = fields.Integer(required=True)
    per_grade = fields.Dict(required=True)
    per_training_hour = fields.Float(required=True)
    per_commendation = fields.Float(required=True)
    per_sanction = fields.Float(required=True)


class Ranking(Answer):
    period = fields.String(required=True)
    rules_version = fields.Integer(required=True)
    townships = fields.List(fields.Dict(), required=True)


class Coverage(Answer):
    period = fields.String(required=True)
    total = fields.Dict(required=True)
    townships = fields.List(fields.Dict(), required=True)


class Force(Answer):
    code = fields.String(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    grid_code = fields.String(required=True)
    phone = fields.String(allow_none=True, metadata={"description": "only inside your jurisdiction"})
    version = fields.Integer(required=True)


class Duty(Answer):
    category = fields.String(required=True)
    lead_net = fields.String(required=True)
    lead_post = fields.String(required=True)
    supporting_nets = fields.List(fields.String(), required=True)
    supporting_forces = fields.List(fields.String(), required=True)
    version = fields.Integer(required=True)


class Support(Duty):
    co_handlers = fields.List(fields.Dict(), required=True)
    forces = fields.List(fields.Dict(), required=True)
    cross_net_duplicates = fields.List(fields.String(), required=True)


class Pair(Answer):
    first = fields.Dict(required=True)
    second = fields.Dict(required=True)
    distance_m = fields.Float(required=True)


@blp.before_request
def _json_bodies_only():
    if request.endpoint == "workforce.import_trainings":
        return  # a spreadsheet arrives as multipart/form-data
    if request.method in ("POST", "PATCH", "PUT") and not request.is_json:
        raise NotJson("send the body as JSON (Content-Type: application/json)")


def _period(raw: str | None) -> Period:
    return Period.parse(raw) if raw else Period.parse(str(county_day(now_utc()).year))


@blp.route("/topics")
@blp.response(200, Topic(many=True))
@require(Capability.WORKFORCE_VIEW)
def training_topics():
    """The training catalogue's topics (法律政策, 信息化应用, 矛盾调解, 民族宗教政策, 应急处置 …)."""
    return jsonify([{"code": t.code, "name_zh": t.name_zh, "name_en": t.name_en} for t in topics(db_session())])


@blp.route("/trainings")
class Trainings(MethodView):
    @blp.arguments(TrainingArgs, location="query")
    @blp.doc(
        responses={
            "200": {
                "description": "the records, or all of them as CSV or XLSX (the import's columns)",
                "content": {
                    "application/json": {"schema": TrainingList},
                    "text/csv": {"schema": {}},
                    XLSX: {"schema": {}},
                },
            }
        }
    )
    @require(Capability.WORKFORCE_VIEW)
    def get(self, args):
        """Training records of the workers you see, newest first (``format=csv|xlsx`` exports them for the import)."""
        filters = {key: args[key] for key in ("worker", "grid", "since", "until")}
        if args["format"] != "json":
            body = export_document(db_session(), current_principal(), args["format"], **filters)
            mimetype = "text/csv" if args["format"] == "csv" else XLSX
            return Response(
                body,
                mimetype=mimetype,
                headers={"Content-Disposition": f"attachment; filename=trainings.{args['format']}"},
            )
        found = trainings(db_session(), current_principal(), **filters)
        return jsonify({"items": [training_summary(t) for t in found]})

    @blp.arguments(TrainingIn)
    @blp.response(201, Training)
    @require(Capability.WORKFORCE_EDIT)
    def post(self, body):
        """Record a course a worker of your jurisdiction attended; 409 if that course and day are recorded."""
        training = add_training(db_session(), current_principal(), TrainingInput(**body), address=request.remote_addr)
        db.session.commit()
        return jsonify(training_summary(training)), 201


@blp.route("/trainings/<int:training_id>")
class TrainingOne(MethodView):
    @blp.arguments(TrainingPatch)
    @blp.response(200, Training)
    @require(Capability.WORKFORCE_EDIT)
    def patch(self, body, training_id: int):
        """Change a training record at the version you read (409 if someone changed it first)."""
        version = body.pop("version")
        training = update_training(
            db_session(),
            current_principal(),
            training_id,
            TrainingInput(**body),
            version=version,
            address=request.remote_addr,
        )
        db.session.commit()
        return jsonify(training_summary(training))

    @blp.arguments(VersionIn, location="query")
    @blp.response(204)
    @require(Capability.WORKFORCE_EDIT)
    def delete(self, args, training_id: int):
        """Remove a record entered by mistake, at the version you read (``?version=``)."""
        delete_training(
            db_session(), current_principal(), training_id, version=args["version"], address=request.remote_addr
        )
        db.session.commit()
        return Response(status=204)


@blp.route("/trainings/import", methods=["POST"])
@blp.arguments(ImportArgs, location="query")
@blp.response(200, ImportCheck)
@accepts_upload(MAX_FILE_BYTES)
@require(Capability.WORKFORCE_EDIT)
def import_trainings(args):
    """Check (``dry_run``, the default) or import an XLSX or CSV of training records (multipart field ``file``).

    The dry run names each bad row (its row number, the header being row 1, and the problem). The import
    writes every row or none: with any bad row it answers 422 listing them."""
    data = uploaded_file()
    principal = current_principal()
    if args["dry_run"]:
        check = check_sheet(db_session(), principal, data)
        return jsonify(localized_details(check.as_dict()))
    imported = import_sheet(db_session(), principal, data, address=request.remote_addr)
    db.session.commit()
    return jsonify({"rows": imported, "valid": imported, "problems": [], "imported": imported})


def uploaded_file() -> bytes:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput(
            "choose an XLSX or CSV file to send as multipart/form-data in the field 'file'", field="file"
        )
    try:
        return upload.read()
    finally:
        upload.close()


@blp.route("/workers/<code>")
@blp.response(200, Profile)
@require(Capability.WORKFORCE_VIEW)
def profile(code: str):
    """A worker's profile: post, 专职/兼职, 本土化, start date, nets, training, commendations and sanctions, grades."""
    return jsonify(worker_profile(db_session(), current_principal(), code[:20]))


@blp.route("/workers/<code>/profile", methods=["PUT"])
@blp.arguments(ProfileIn)
@blp.response(200, Profile)
@require(Capability.WORKFORCE_EDIT)
def put_profile(body, code: str):
    """Set a worker's 专职/兼职, 本土化 and start date (``version`` 0 creates it; 409 if someone changed it)."""
    set_profile(db_session(), current_principal(), code[:20], **body, address=request.remote_addr)
    db.session.commit()
    return jsonify(worker_profile(db_session(), current_principal(), code[:20]))


@blp.route("/workers/<code>/recognitions", methods=["POST"])
@blp.arguments(RecognitionIn)
@blp.response(201, Profile)
@require(Capability.WORKFORCE_EDIT)
def post_recognition(body, code: str):
    """Record a commendation (表彰) or a sanction (问责) of a worker of your jurisdiction."""
    add_recognition(db_session(), current_principal(), code[:20], RecognitionInput(**body), address=request.remote_addr)
    db.session.commit()
    return jsonify(worker_profile(db_session(), current_principal(), code[:20])), 201


@blp.route("/points")
@blp.arguments(PeriodArgs, location="query")
@blp.response(200, Ranking)
@require(Capability.WORKFORCE_VIEW)
def points(args):
    """Workers' points (积分) over a period (default: this year), ranked within each township."""
    return jsonify(ranking(db_session(), current_principal(), _period(args["period"]), grid=args["grid"]))


@blp.route("/coverage")
@blp.arguments(PeriodArgs, location="query")
@blp.response(200, Coverage)
@require(Capability.WORKFORCE_VIEW)
def training_coverage(args):
    """培训覆盖率 (workers trained in the period ÷ all workers) and 人均学时, per township and in all."""
    return jsonify(coverage(db_session(), current_principal(), _period(args["period"]), grid=args["grid"]))


@blp.route("/points-rules")
class PointsRulesView(MethodView):
    @blp.response(200, Rules)
    @require(Capability.WORKFORCE_VIEW)
    def get(self):
        """The points rules in force."""
        return jsonify(rules_summary(current_rules(db_session())))

    @blp.arguments(RulesIn)
    @blp.response(201, Rules)
    @require(Capability.POINTS_MANAGE)
    def post(self, body):
        """A new version of the points rules, changing what is given (county admins); audited."""
        rules = new_rules(db_session(), current_principal(), **body, address=request.remote_addr)
        db.session.commit()
        return jsonify(rules_summary(rules)), 201


@blp.route("/forces")
class Forces(MethodView):
    @blp.arguments(ForceArgs, location="query")
    @blp.response(200, Force(many=True))
    @require(Capability.WORKFORCE_VIEW)
    def get(self, args):
        """The forces registered in your jurisdiction (police, rangers, mediators, volunteers…), with contacts."""
        principal = current_principal()
        found = forces(db_session(), principal, grid=args["grid"], kind=args["kind"])
        return jsonify([member_summary(m, principal) for m in found])

    @blp.arguments(ForceIn)
    @blp.response(201, Force)
    @require(Capability.WORKFORCE_EDIT)
    def post(self, body):
        """Register a force member in a grid of your jurisdiction."""
        principal = current_principal()
        member = add_force(db_session(), principal, ForceInput(**body), address=request.remote_addr)
        db.session.commit()
        return jsonify(member_summary(member, principal)), 201


@blp.route("/forces/<code>", methods=["PATCH"])
@blp.arguments(ForcePatch)
@blp.response(200, Force)
@require(Capability.WORKFORCE_EDIT)
def patch_force(body, code: str):
    """Change a force member at the version you read (409 if someone changed it first)."""
    principal = current_principal()
    version = body.pop("version")
    member = update_force(
        db_session(), principal, code[:20], ForceInput(**body), version=version, address=request.remote_addr
    )
    db.session.commit()
    return jsonify(member_summary(member, principal))


@blp.route("/forces/map")
@blp.arguments(ForceArgs, location="query")
@blp.response(200, FeatureCollection, content_type=GEOJSON)
@require(Capability.WORKFORCE_VIEW)
def forces_map(args):
    """The located force members of your jurisdiction as GeoJSON (the map layer; no contact data)."""
    return Response(forces_geojson(db_session(), current_principal(), args["kind"]), mimetype=GEOJSON)


@blp.route("/duty")
@blp.response(200, Duty(many=True))
@require(Capability.WORKFORCE_VIEW)
def duty():
    """The duty list (责任清单): per category of your nets, the lead net and post and who supports."""
    return jsonify(duty_list(db_session(), current_principal()))


@blp.route("/duty/<category>", methods=["PUT"])
@blp.arguments(DutyIn)
@blp.response(200, Duty)
@require(Capability.POINTS_MANAGE)
def put_duty(body, category: str):
    """Set a category's lead post and supporting nets and forces (county admins; ``version`` 0 creates it)."""
    entry = set_duty(db_session(), current_principal(), category[:40], **body, address=request.remote_addr)
    db.session.commit()
    return jsonify(entry)


@blp.route("/incidents/<ticket>/support")
@blp.response(200, Support)
@require(Capability.CASE_CONSOLE)
def incident_support(ticket: str):
    """Who leads and supports a case: its duty entry, its co-handlers, the forces of its grid, and open cases of
    other nets at the same place and time (a cross-net duplicate)."""
    principal = current_principal()
    incident = get_incident(db_session(), principal, ticket[:30])
    found = support_for(db_session(), principal, incident)
    return jsonify(found | {"cross_net_duplicates": cross_net_partners(db_session(), principal, incident)})


@blp.route("/incidents/<ticket>/co-handlers", methods=["POST"])
@blp.arguments(CoHandlerIn)
@blp.response(200, answers.IncidentDetail)
@require(Capability.CASE_DESK)
def post_co_handler(body, ticket: str):
    """Add a force member of the case's grid as co-handler (协办); adding them twice changes nothing."""
    incident = add_co_handler(
        db_session(), current_principal(), ticket[:30], body["member"], address=request.remote_addr
    )
    db.session.commit()
    return jsonify(incident_detail(db_session(), incident, current_principal()))


@blp.route("/incidents/<ticket>/co-handlers/<member>", methods=["DELETE"])
@blp.response(200, answers.IncidentDetail)
@require(Capability.CASE_DESK)
def delete_co_handler(ticket: str, member: str):
    """Take a co-handler off the case; their notes stay in its history."""
    incident = remove_co_handler(
        db_session(), current_principal(), ticket[:30], member[:20], address=request.remote_addr
    )
    db.session.commit()
    return jsonify(incident_detail(db_session(), incident, current_principal()))


@blp.route("/co-handled")
@blp.response(200, answers.IncidentSummary(many=True))
@require(Capability.CASE_CO_HANDLE)
def co_handled_cases():
    """A co-handler's open cases (only those it was added to), nearest deadline first."""
    return jsonify(co_handled(db_session(), current_principal()))


@blp.route("/co-handled/<ticket>/note", methods=["POST"])
@blp.arguments(NoteIn)
@blp.response(200, answers.IncidentSummary)
@require(Capability.CASE_CO_HANDLE)
def post_co_note(body, ticket: str):
    """A co-handler's note on a case it co-handles, into the history the dispatcher reads."""
    incident = co_handler_note(
        db_session(),
        current_principal(),
        ticket[:30],
        body["note"],
        version=body["version"],
        address=request.remote_addr,
    )
    db.session.commit()
    return jsonify({"ticket": incident.ticket, "version": incident.version, "status": incident.status})


@blp.route("/duplicates")
@blp.arguments(GridArgs, location="query")
@blp.response(200, Pair(many=True))
@require(Capability.CASE_CONSOLE)
def duplicates(args):
    """Open cases of different nets reported at the same place and time: one problem reported twice."""
    return jsonify(cross_net_pairs(db_session(), current_principal(), grid=args["grid"]))


@blp.route("/duplicates/merge", methods=["POST"])
@blp.arguments(MergeIn)
@blp.response(200, answers.IncidentDetail)
@require(Capability.CASE_DESK)
def merge(body):
    """Merge a cross-net duplicate into the case that stays open (409 if either changed since you read it)."""
    kept = merge_cross_net(
        db_session(),
        current_principal(),
        body["keep"],
        body["merged"],
        keep_version=body["keep_version"],
        merged_version=body["merged_version"],
        note=body["note"],
        address=request.remote_addr,
    )
    db.session.commit()
    return jsonify(incident_detail(db_session(), kept, current_principal()))


@pages.get("/workforce")
@require(Capability.WORKFORCE_VIEW)
def workforce_page():
    """Training coverage, the points ranking, the duty list and the forces of the jurisdiction."""
    return _workforce_page(_period(request.args.get("period")))


@pages.post("/workforce/import")
@accepts_upload(MAX_FILE_BYTES)
@require(Capability.WORKFORCE_EDIT)
def workforce_import():
    """The training sheet from the page's form: checked (the dry run) or imported, with each bad row named."""
    principal = current_principal()
    data = uploaded_file()
    check = check_sheet(db_session(), principal, data)
    imported = None
    if request.form.get("commit") == "1" and not check.problems:
        imported = import_sheet(db_session(), principal, data, address=request.remote_addr)
        db.session.commit()
    result = localized_details(check.as_dict())
    assert isinstance(result, dict)  # a dict's details are a dict
    return _workforce_page(_period(None), result | {"imported": imported})


def _workforce_page(period: Period, imported: dict | None = None) -> str:
    principal = current_principal()
    return render_template(
        "workforce/index.html",
        period=period.code,
        coverage=coverage(db_session(), principal, period),
        ranking=ranking(db_session(), principal, period),
        duty=duty_list(db_session(), principal),
        forces=[member_summary(m, principal) for m in forces(db_session(), principal)],
        can_import=principal.can(Capability.WORKFORCE_EDIT),
        imported=imported,
        map=page_map(
            visible_layers([COUNTY.id, TOWNSHIP.id, FORCES.id], principal), jurisdiction_bounds(db_session(), principal)
        ),
        lang=str(get_locale()),
    )


@pages.get("/co")
@require(Capability.CASE_CO_HANDLE)
def co_handler_page():
    """The co-handler's phone page: the cases it co-handles, each with a note form (works without JavaScript)."""
    return render_template("workforce/co.html", incidents=co_handled(db_session(), current_principal()))


@pages.post("/co/<ticket>")
@require(Capability.CASE_CO_HANDLE)
def co_handler_post(ticket: str):
    """A note from the co-handler's phone page."""
    given_version = request.form.get("version", "")
    if not given_version.isdigit():
        raise InvalidInput("version is missing", field="version")
    co_handler_note(
        db_session(),
        current_principal(),
        ticket[:30],
        request.form.get("note", ""),
        version=whole_number_arg(given_version, "version"),
        address=request.remote_addr,
    )
    db.session.commit()
    return redirect(url_for("workforce_pages.co_handler_page"))
