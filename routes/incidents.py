"""The incident API (documented at /api/openapi.json): intake, lists, the live feed, workflow actions."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, current_app, jsonify, request
from flask.views import MethodView
from flask_babel import get_locale
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from extensions import db, db_session, one_statement_outside_transaction
from geo.accounts.capabilities import Capability
from geo.core.audit import record
from geo.core.calendar import county_day
from geo.core.clock import now_utc
from geo.core.errors import InvalidInput, NotFound
from geo.core.spreadsheet import csv_chunks
from geo.dispatch.actions import ACTIONS
from geo.dispatch.attachments import add_attachment, get_attachment
from geo.dispatch.candidates import candidates
from geo.dispatch.categories import add_category, catalogue
from geo.dispatch.export import CSV_COLUMNS, export_rows
from geo.dispatch.intake import LIMITS, IncidentInput, create_incident, routing_preview
from geo.dispatch.models import IncidentCategory
from geo.dispatch.queues import Queue, queue_counts
from geo.dispatch.search import MAX_QUERY, search
from geo.dispatch.statuses import Channel, Priority
from geo.dispatch.views import (
    FEED_PAGE,
    SORTS,
    TOTAL_CAP,
    IncidentFilter,
    feed,
    get_incident,
    incident_detail,
    incident_page,
    incident_summary,
)
from geo.dispatch.workflow import apply_action
from geo.evaluation.callbacks import evaluate, evaluation_summary
from geo.evaluation.record_models import Satisfaction
from geo.grid.counties import county_codes
from geo.grid.models import Net
from geo.grid.tickets import TICKET_LENGTH
from web import answers
from web.access import current_principal, require
from web.downloads import streamed_download
from web.input_rules import ApiBlueprint, Day, Id, NotJson

blp = ApiBlueprint("incidents", __name__, url_prefix="/api", description="Incidents routed through the grid")


class IncidentIn(Schema):
    net = fields.String(required=True, validate=validate.OneOf([n.value for n in Net]))
    category = fields.String(required=True, validate=validate.Length(max=40))
    title = fields.String(required=True, validate=validate.Length(min=1, max=LIMITS["title"]))
    description = fields.String(load_default="", validate=validate.Length(max=LIMITS["description"]))
    lon = fields.Float(required=True, allow_nan=False, metadata={"description": "longitude, decimal degrees"})
    lat = fields.Float(required=True, allow_nan=False, metadata={"description": "latitude, decimal degrees"})
    crs = fields.String(load_default="wgs84", validate=validate.OneOf(["wgs84", "gcj02", "bd09"]))
    address = fields.String(load_default="", validate=validate.Length(max=LIMITS["address"]))
    channel = fields.String(load_default="other", validate=validate.OneOf([c.value for c in Channel]))
    priority = fields.String(load_default="normal", validate=validate.OneOf([p.value for p in Priority]))
    reporter_name = fields.String(load_default="", validate=validate.Length(max=LIMITS["reporter_name"]))
    reporter_phone = fields.String(load_default="", validate=validate.Length(max=30))
    observed_at = fields.AwareDateTime(
        load_default=None,
        metadata={
            "description": "when the report was made, if before now (a phone's outbox sending later): "
            "at most 5 minutes ahead of the server's clock and 7 days old; kept as reported_at"
        },
    )


#: One instance for every report: given the class, webargs builds a schema per request (a twentieth of a report).
INCIDENT_IN = IncidentIn()


class ActionIn(Schema):
    version = Id(required=True, metadata={"description": "the version you read (optimistic locking)"})
    note = fields.String(load_default="", validate=validate.Length(max=LIMITS["note"]))
    worker = fields.String(
        load_default=None,
        validate=validate.Length(max=20),
        metadata={
            "description": "dispatch (else the routed worker), reassign: a worker code from the picker; "
            "one off the case's chain needs a note saying why"
        },
    )
    duplicate_of = fields.String(load_default=None, validate=validate.Length(max=TICKET_LENGTH))
    public = fields.Boolean(
        load_default=False, metadata={"description": "show the note to the residents following the case"}
    )


class EvaluationIn(Schema):
    result = fields.String(required=True, validate=validate.OneOf([s.value for s in Satisfaction]))
    note = fields.String(load_default="", validate=validate.Length(max=LIMITS["note"]))
    reopen = fields.Boolean(load_default=False, metadata={"description": "send a dissatisfied case back (返工)"})
    replaces = Id(
        load_default=None,
        allow_none=True,
        metadata={"description": "the id of the current evaluation this one corrects"},
    )


class ListArgs(Schema):
    net = fields.String(load_default=None)
    status = fields.String(load_default=None, metadata={"description": "comma-separated"})
    category = fields.String(load_default=None, validate=validate.Length(max=40))
    grid = fields.String(load_default=None, validate=validate.Length(max=15), metadata={"description": "grid code"})
    since = Day(load_default=None)
    until = Day(load_default=None)
    overdue = fields.Boolean(load_default=False)
    queue = fields.String(
        load_default=None,
        validate=validate.OneOf([q.value for q in Queue]),
        metadata={"description": "only the incidents in this queue of /api/incidents/queue"},
    )
    assignee = fields.String(load_default=None, validate=validate.Length(max=20))
    page = Id(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))
    sort = fields.String(
        load_default="reported",
        validate=validate.OneOf(list(SORTS)),
        metadata={"description": "reported: newest first; due: soonest deadline first; age: longest waiting first"},
    )
    exact_total = fields.Boolean(
        load_default=False,
        metadata={"description": f"count every match; otherwise the total stops at {TOTAL_CAP} (total_capped)"},
    )


class FeedArgs(Schema):
    since = fields.Integer(load_default=0, validate=validate.Range(min=0))
    closed_since = Day(load_default=None, metadata={"description": "finished cases closed on or after this day too"})
    net = fields.String(load_default=None, validate=validate.OneOf([n.value for n in Net]))


class CategoryIn(Schema):
    net = fields.String(required=True, validate=validate.OneOf([n.value for n in Net]))
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{1,39}$"))
    name_zh = fields.String(required=True, validate=validate.Length(min=1, max=50))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=80))
    sla_hours = fields.Integer(required=True, validate=validate.Range(min=1, max=24 * 90))
    is_public = fields.Boolean(
        metadata={"description": "offered to residents (/report, Open311); by default all but the religious net's"}
    )
    photo_on_resolve = fields.Boolean(
        load_default=False, metadata={"description": "resolving a case needs a photo of the handling (处置前后照片)"}
    )


class CategoryPatch(Schema):
    name_zh = fields.String(validate=validate.Length(min=1, max=50))
    name_en = fields.String(validate=validate.Length(min=1, max=80))
    sla_hours = fields.Integer(validate=validate.Range(min=1, max=24 * 90))
    is_active = fields.Boolean()
    is_public = fields.Boolean(metadata={"description": "offered to residents (/report, Open311)"})
    photo_on_resolve = fields.Boolean(metadata={"description": "resolving a case needs a photo of the handling"})


@blp.before_request
def _json_bodies_only():
    if request.endpoint == "incidents.upload_attachment":
        return  # a photo arrives as multipart/form-data
    if request.method in ("POST", "PATCH") and not request.is_json:
        raise NotJson("send the body as JSON (Content-Type: application/json)")


def _filters(args: dict) -> IncidentFilter:
    return IncidentFilter(
        net=args["net"],
        status=args["status"],
        category=args["category"],
        grid=args["grid"],
        since=args["since"],
        until=args["until"],
        overdue=args["overdue"],
        queue=args["queue"],
        assignee=args["assignee"],
    )


@blp.route("/incidents")
class Incidents(MethodView):
    @blp.arguments(ListArgs, location="query")
    @blp.doc(
        responses={
            "200": {
                "description": "a page of incidents, or all of them as CSV (413 past EXPORT_LIMIT rows)",
                "content": {"application/json": {"schema": answers.IncidentPage}, "text/csv": {"schema": {}}},
            }
        }
    )
    def get(self, args):
        """List incidents in your jurisdiction and nets, newest first (``format=csv`` exports them)."""
        now = now_utc()
        if args["format"] == "csv":
            rows = export_rows(db_session(), current_principal(), _filters(args), now)
            return streamed_download(csv_chunks(CSV_COLUMNS, rows), "text/csv", "incidents.csv")
        page = incident_page(
            db_session(),
            current_principal(),
            _filters(args),
            now,
            page=args["page"],
            per_page=args["per_page"],
            exact_total=args["exact_total"],
            sort=args["sort"],
        )
        return jsonify(
            {
                "items": [incident_summary(i, now) for i in page.incidents],
                "total": page.total,
                "total_capped": page.total_capped,
                "page": args["page"],
                "per_page": args["per_page"],
            }
        )

    @blp.arguments(INCIDENT_IN)
    @blp.response(201, answers.IncidentDetail)
    @blp.alt_response(200, schema=answers.IncidentDetail, description="a repeated Idempotency-Key: the first")
    @one_statement_outside_transaction  # the report is one INSERT (create_incident): no BEGIN/COMMIT around it
    def post(self, body):
        """Report an incident; it is routed to the worker answering for its place and net.

        Send an ``Idempotency-Key`` header to make retries safe: a repeated key
        answers 200 with the incident the first request made (422 if the report differs).
        """
        intake = create_incident(
            db_session(),
            current_principal(),
            IncidentInput(**body),
            idempotency_key=request.headers.get("Idempotency-Key"),
            address=request.remote_addr,
        )
        db.session.commit()
        return jsonify(intake.detail), 201 if intake.created else 200


@blp.route("/incidents/feed")
@blp.arguments(FeedArgs, location="query")
@blp.response(200, answers.FeedCollection)
def incident_feed(args):
    """GeoJSON of the incidents changed since change number ``since`` (0 = all), with the next number.

    At most FEED_PAGE markers (``more``: ask again from ``cursor`` at once). Open incidents,
    and finished ones closed on or after ``closed_since`` (the answer says which
    day; by default CONSOLE_CLOSED_DAYS days ago). Markers carry only status (s), net (n), overdue
    (o), escalation level (e), category (c), group (g), day (d) and queues (q, bit 1 << position in
    /api/incidents/queue); details come from /api/incidents/<ticket> when one is opened.
    """
    now = now_utc()
    closed_since = args["closed_since"] or county_day(now) - timedelta(days=current_app.config["CONSOLE_CLOSED_DAYS"])
    features, cursor = feed(
        db_session(),
        current_principal(),
        args["since"],
        args["net"],
        closed_since=closed_since,
        limit=FEED_PAGE,
        now=now,
    )
    # The features arrive as JSON text from PostgreSQL: joined, not parsed and dumped again.
    more = "true" if len(features) == FEED_PAGE else "false"
    body = (
        f'{{"type":"FeatureCollection","cursor":{cursor},"closed_since":"{closed_since.isoformat()}",'
        f'"more":{more},"features":[{",".join(features)}]}}'
    )
    return Response(body, mimetype="application/json")


class SearchArgs(Schema):
    q = fields.String(required=True, validate=validate.Length(max=MAX_QUERY))
    crs = fields.String(load_default="wgs84", validate=validate.OneOf(["wgs84", "gcj02", "bd09"]))


@blp.route("/search")
@blp.arguments(SearchArgs, location="query")
@blp.response(200, answers.SearchResults)
def place_search(args):
    """Find a place for the maps' search box: grid names and codes, ticket numbers, or coordinates
    (``crs`` says how coordinates pasted from a phone map are meant: gcj02 for AMap/Tencent, bd09 for Baidu)."""
    english = str(get_locale()) == "en"
    found = search(db_session(), current_principal(), args["q"], args["crs"], english=english)
    return jsonify({"results": [f.as_dict() for f in found]})


class RoutingArgs(Schema):
    lon = fields.String(required=True, validate=validate.Length(max=30))
    lat = fields.String(required=True, validate=validate.Length(max=30))
    crs = fields.String(load_default="wgs84", validate=validate.OneOf(["wgs84", "gcj02", "bd09"]))
    net = fields.String(required=True, validate=validate.OneOf([n.value for n in Net]))
    category = fields.String(load_default=None, validate=validate.Length(max=40))


@blp.route("/incidents/routing")
@blp.arguments(RoutingArgs, location="query")
@blp.response(200, answers.RoutingPreview)
def incident_routing(args):
    """Where a report at a point would go (its villager group and grid worker), before it is sent: the same
    rules as ``POST /api/incidents``, and the same refusals (outside the county or the jurisdiction)."""
    principal = current_principal()
    routing = routing_preview(
        db_session(), principal, args["lon"], args["lat"], args["crs"], args["net"], category=args["category"]
    )
    return jsonify(routing.as_dict(principal))


@blp.route("/incidents/<ticket>/candidates")
@blp.response(200, answers.Candidates)
def incident_candidates(ticket: str):
    """The grid workers this case may be dispatched or reassigned to (its net, its chain of grids), with
    their open cases, leave and distance: the console's picker."""
    principal = current_principal()
    principal.require(Capability.CASE_DESK)
    found = candidates(db_session(), principal, ticket, now_utc())
    return jsonify({"ticket": ticket, "workers": [c.as_dict() for c in found]})


@blp.route("/incidents/queue")
@blp.response(200, answers.QueueCounts)
def incident_queue():
    """How many incidents each of the dispatcher's queues holds (``/api/incidents?queue=<name>`` lists them)."""
    return jsonify(queue_counts(db_session(), current_principal(), now_utc()))


@blp.route("/incidents/<ticket>")
@blp.response(200, answers.IncidentDetail)
def incident(ticket: str):
    """One incident: fields, stage times, history, the responsible chain, the actions possible now."""
    principal = current_principal()
    return jsonify(incident_detail(db_session(), get_incident(db_session(), principal, ticket), principal))


@blp.route("/incidents/<ticket>/<action>", methods=["POST"])
@blp.arguments(ActionIn)
@blp.response(200, answers.IncidentDetail)
def incident_action(body, ticket: str, action: str):
    """Apply a workflow action (register, dispatch, accept, resolve, verify, reopen, reject, duplicate,
    reassign, escalate, note); 409 with the current state if someone changed it first.

    Reject, escalate, reassign and resolve need a ``note``; resolving a case whose category has
    ``photo_on_resolve`` needs a photo attached first (422). The detail's ``actions`` are the steps
    open to you. Send an ``Idempotency-Key`` header to make retries safe: a step already taken
    under that key is not taken again (the answer is the case as it is)."""
    if action not in ACTIONS:
        raise NotFound("unknown action {action!r}", action=action[:30])
    incident = apply_action(
        db_session(),
        current_principal(),
        ticket,
        action,
        version=body["version"],
        note=body["note"],
        worker=body["worker"],
        duplicate_of=body["duplicate_of"],
        public=body["public"],
        idempotency_key=request.headers.get("Idempotency-Key"),
        address=request.remote_addr,
    )
    db.session.commit()
    return jsonify(incident_detail(db_session(), incident, current_principal()))


@blp.route("/incidents/<ticket>/evaluate", methods=["POST"])
@blp.arguments(EvaluationIn)
@blp.response(201, answers.EvaluationRecord)
def evaluate_incident(body, ticket: str):
    """Record a closed case's call-back (回访): 满意, 基本满意 or 不满意, once per closure (dispatchers, admins).

    A second evaluation must correct the current one (``replaces``; 409 otherwise).
    ``reopen`` with 不满意 sends the case back to 任务派遣 (返工), counted."""
    principal = current_principal()
    incident = get_incident(db_session(), principal, ticket)
    evaluation = evaluate(
        db_session(),
        principal,
        incident.id,
        body["result"],
        body["note"],
        reopen=body["reopen"],
        replaces=body["replaces"],
        address=request.remote_addr,
    )
    db.session.commit()
    detail = incident_detail(db_session(), incident, principal)
    return jsonify(evaluation_summary(evaluation) | {"incident": detail}), 201


def uploaded_photo() -> tuple[str, bytes]:
    """The file name and bytes of the photo in the multipart field ``file``."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput("choose a photo to send as multipart/form-data in the field 'file'", field="file")
    try:
        return upload.filename, upload.read()
    finally:
        upload.close()  # a large upload is spooled to a temporary file


@blp.route("/incidents/<ticket>/attachments", methods=["POST"])
@blp.response(201, answers.Attachment)
def upload_attachment(ticket: str):
    """Attach a photo (multipart field ``file``; JPEG, PNG or WebP, at most 5 MB).

    Send an ``Idempotency-Key`` header to make retries safe: the same photo under the same key is kept once."""
    attachment = add_attachment(
        db_session(),
        current_principal(),
        ticket,
        *uploaded_photo(),
        idempotency_key=request.headers.get("Idempotency-Key"),
        address=request.remote_addr,
    )
    db.session.commit()
    return jsonify({"id": attachment.id, "filename": attachment.filename, "size": attachment.size}), 201


@blp.route("/incidents/<ticket>/attachments/<int:attachment_id>")
@blp.doc(**answers.file_answer("image/jpeg", "image/png", "image/webp"))
def download_attachment(ticket: str, attachment_id: int):
    """One photo of an incident you may see."""
    attachment = get_attachment(db_session(), current_principal(), ticket, attachment_id)
    return Response(
        attachment.data,
        mimetype=attachment.content_type,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=86400"},
    )


def _category_json(category: IncidentCategory) -> dict:
    return {
        "net": category.net,
        "code": category.code,
        "name_zh": category.name_zh,
        "name_en": category.name_en,
        "sla_hours": category.sla_hours,
        "is_active": category.is_active,
        "is_public": category.is_public,
        "photo_on_resolve": category.photo_on_resolve,
    }


@blp.route("/categories")
class Categories(MethodView):
    @blp.response(200, answers.Category(many=True))
    def get(self):
        """The incident category catalogue (of the nets you hold)."""
        return jsonify([_category_json(c) for c in catalogue(db_session(), current_principal())])

    @blp.arguments(CategoryIn)
    @blp.response(201, answers.Category)
    @require(Capability.CATEGORY_MANAGE)
    def post(self, body):
        """Add a category (county admins holding its net); 409 if the code is taken."""
        principal = current_principal()
        principal.require_shared_change(county_codes(db_session()))  # one catalogue for every county
        principal.require_net(body["net"])
        category = add_category(db_session(), {"is_public": body["net"] != Net.RELIGIOUS.value, **body})
        _audit_category(None, category)
        db.session.commit()
        return jsonify(_category_json(category)), 201


@blp.route("/categories/<code>", methods=["PATCH"])
@blp.arguments(CategoryPatch)
@blp.response(200, answers.Category)
@require(Capability.CATEGORY_MANAGE)
def patch_category(body, code: str):
    """Change a category's names, deadline, whether it is offered or needs a photo on resolving.

    For county admins holding its net."""
    principal = current_principal()
    principal.require_shared_change(county_codes(db_session()))  # one catalogue for every county
    category = db.session.scalar(select(IncidentCategory).where(IncidentCategory.code == code))
    if category is None or not principal.has_net(category.net):
        raise NotFound("no category {category!r}", category=code[:40])
    before = _category_json(category)
    for key, value in body.items():
        setattr(category, key, value)
    _audit_category(before, category)
    db.session.commit()
    return jsonify(_category_json(category))


def _audit_category(before: dict | None, category: IncidentCategory) -> None:
    record(
        db_session(),
        actor=current_principal().username,
        action="category.create" if before is None else "category.update",
        entity="category",
        entity_id=category.code,
        before=before,
        after=_category_json(category),
        address=request.remote_addr,
    )
