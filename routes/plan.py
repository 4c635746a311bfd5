"""Planning: the plan API (documented at /api/openapi.json) and the /plan pages."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint as PageBlueprint
from flask import Response, current_app, jsonify, render_template, request
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from werkzeug.utils import secure_filename

from extensions import db, db_session
from geo.accounts.capabilities import Capability
from geo.core.calendar import county_day
from geo.core.clock import now_utc
from geo.core.crs import SourceCRS
from geo.core.errors import InvalidInput, one_of
from geo.grid.boundaries import current_generation
from geo.grid.models import Grid, GridLevel, Net
from geo.grid.vector_files import Limits
from geo.planning.editing import (
    OPERATIONS,
    create_plan,
    edit_plan,
    replace_from_file,
    update_settings,
    validate_plan,
    validation_context,
)
from geo.planning.export import (
    EXPORT_FORMATS,
    export_bytes,
    generation_frame,
    generation_history,
    get_generation,
    plan_frame,
)
from geo.planning.impact import impact
from geo.planning.models import PlanStatus
from geo.planning.plans import (
    base_grids,
    draft_geojson,
    draft_of,
    get_plan,
    list_plans,
    may_edit,
    may_review,
    plan_bounds,
    plan_summary,
)
from geo.planning.review import review_plan, submit_plan
from layers import visible_layers
from layers.grids import COUNTY, NEIGHBOURS
from layers.plan import PLAN_LAYERS
from web import answers
from web.access import accepts_upload, current_principal, require
from web.errors import localized_details
from web.input_rules import ApiBlueprint, Day, Id, whole_number_arg
from web.maps import page_layers, page_map
from web.page_strings import label_of

blp = ApiBlueprint("plans", __name__, url_prefix="/api", description="Boundary plans, their review and activation")
pages = PageBlueprint("plan", __name__)

#: Boundary files are larger than photos; anything bigger than this is refused before it is read.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class PlanIn(Schema):
    parent_code = fields.String(required=True, validate=validate.Length(min=6, max=15))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class PlanPatch(Schema):
    version = Id(required=True)
    title = fields.String(validate=validate.Length(min=1, max=200))
    reason = fields.String(validate=validate.Length(max=2000))
    reroute_open_incidents = fields.Boolean()


class WorkerIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    phone = fields.String(load_default="", validate=validate.Regexp(r"^[0-9+\- ]{0,20}$"))
    nets = fields.List(fields.String(validate=validate.OneOf([n.value for n in Net])), required=True)


class EditIn(Schema):
    op = fields.String(required=True, validate=validate.OneOf(list(OPERATIONS)))
    version = Id(required=True, metadata={"description": "the plan version you read"})
    preview = fields.Boolean(load_default=False, metadata={"description": "show the result without keeping it"})
    code = fields.String(validate=validate.Length(max=15))
    codes = fields.List(fields.String(validate=validate.Length(max=15)), validate=validate.Length(max=50))
    new_code = fields.String(validate=validate.Length(max=15))
    target = fields.String(validate=validate.Length(max=15))
    name_zh = fields.String(validate=validate.Length(max=100))
    name_en = fields.String(validate=validate.Length(max=100))
    geometry = fields.Dict(metadata={"description": "GeoJSON geometry, WGS-84"})
    worker = fields.Nested(WorkerIn)
    gap_width_m = fields.Float(validate=validate.Range(min=0.1, max=200))
    then_clean_m = fields.Float(validate=validate.Range(min=0.1, max=200))
    # op "branch": the party branch a new villager group gets, or why it has none.
    name = fields.String(validate=validate.Length(max=100), metadata={"description": "branch name (op branch)"})
    members = fields.Integer(validate=validate.Range(min=0, max=10_000))
    secretary = fields.String(
        validate=validate.Length(max=100), metadata={"description": "a worker's name; empty: the group's leader"}
    )
    none_reason = fields.String(validate=validate.Length(max=500))


class VersionIn(Schema):
    version = Id(required=True)


class ReviewIn(Schema):
    version = Id(required=True)
    approve = fields.Boolean(required=True)
    comment = fields.String(load_default="", validate=validate.Length(max=2000))
    effective_from = Day(load_default=None)


class ExportArgs(Schema):
    format = fields.String(load_default="geojson", validate=validate.OneOf(list(EXPORT_FORMATS)))
    level = fields.String(load_default=None, validate=validate.OneOf([lv.value for lv in GridLevel]))


def _sliver_m2() -> float:
    return current_app.config["PLAN_SLIVER_M2"]


def _plan_state(plan, grids=None, report=None) -> dict:
    """The plan with its draft, the base it started from and the validation of the draft."""
    grids = grids if grids is not None else draft_of(plan)
    base = base_grids(db_session(), plan)
    if report is None:
        report = validate_plan(plan, grids, validation_context(db_session(), plan), _sliver_m2())
    return {
        "plan": plan_summary(plan),
        "draft": draft_geojson(grids, current_principal(), base),
        "base": draft_geojson(list(base.values()), current_principal()),
        "validation": localized_details(report.as_dict()),
        "may": {"edit": may_edit(plan, current_principal()), "review": may_review(plan, current_principal())},
    }


@blp.route("/plans", methods=["GET"])
@blp.response(200, answers.PlanSummary(many=True))
def plans():
    """Plans in your jurisdiction, newest first."""
    return jsonify([plan_summary(p) for p in list_plans(db_session(), current_principal())])


@blp.route("/plans", methods=["POST"])
@blp.arguments(PlanIn)
@blp.response(201, answers.PlanState)
def new_plan(body):
    """Start a plan redrawing the children of ``parent_code`` (a township or a village)."""
    plan = create_plan(
        db_session(),
        current_principal(),
        body["parent_code"],
        body["title"],
        body["reason"],
        now_utc(),
        address=request.remote_addr,
    )
    db.session.commit()
    return jsonify(_plan_state(plan)), 201


@blp.route("/plans/<int:plan_id>", methods=["GET"])
@blp.response(200, answers.PlanState)
def plan_state(plan_id: int):
    """The plan, its draft (each grid marked new/changed/unchanged), its base and the draft's validation."""
    return jsonify(_plan_state(get_plan(db_session(), current_principal(), plan_id)))


@blp.route("/plans/<int:plan_id>", methods=["PATCH"])
@blp.arguments(PlanPatch)
@blp.response(200, answers.PlanSummary)
def patch_plan(body, plan_id: int):
    """Change a draft's title, reason, or whether open incidents are re-routed on activation."""
    version = body.pop("version")
    plan = update_settings(
        db_session(),
        current_principal(),
        plan_id,
        version=version,
        changes=body,
        now=now_utc(),
        address=request.remote_addr,
    )
    db.session.commit()
    return jsonify(plan_summary(plan))


@blp.route("/plans/<int:plan_id>/edits", methods=["POST"])
@blp.arguments(EditIn)
@blp.response(200, answers.EditedPlan)
def plan_edit(body, plan_id: int):
    """Apply one edit (split, merge, move, carve, reshape, rename, appoint, clean).

    An edit that breaks the tiling is refused (422) with the problems and the
    offending edges; ``preview: true`` shows any edit's result without keeping it.
    """
    operation, version, preview = body.pop("op"), body.pop("version"), body.pop("preview")
    result = edit_plan(
        db_session(),
        current_principal(),
        plan_id,
        version=version,
        operation=operation,
        arguments=body,
        preview=preview,
        sliver_m2=_sliver_m2(),
        now=now_utc(),
        address=request.remote_addr,
        max_vertices=current_app.config["MAX_VERTICES"],
    )
    return _edited(result)


def _edited(result) -> Response:
    """Keep a saved edit (or an upload preview's audit event), drop a preview, and answer with the resulting state."""
    if result.audited:
        db.session.commit()
    else:
        db.session.rollback()
    return jsonify({**_plan_state(result.plan, result.grids, result.report), "saved": result.saved})


@blp.route("/plans/<int:plan_id>/upload", methods=["POST"])
@blp.response(200, answers.EditedPlan)
@accepts_upload(MAX_UPLOAD_BYTES)
def plan_upload(plan_id: int):
    """Replace the draft with a file's grids (multipart: file, version, optional layer, crs, preview)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput("choose a GeoJSON, GeoPackage or zipped Shapefile in the field 'file'", field="file")
    version = request.form.get("version", "")
    if not version.isdigit():
        raise InvalidInput("send the plan version you read in the field 'version'", field="version")
    crs = request.form.get("crs") or SourceCRS.WGS84.value
    crs = one_of(SourceCRS, crs, "crs").value
    with tempfile.TemporaryDirectory(prefix="gridmap-upload-") as folder:
        path = Path(folder) / (secure_filename(upload.filename) or "upload")
        upload.save(path)
        result = replace_from_file(
            db_session(),
            current_principal(),
            plan_id,
            version=whole_number_arg(version, "version"),
            path=path,
            layer=request.form.get("layer") or None,
            source_crs=crs,
            preview=request.form.get("preview") == "true",
            sliver_m2=_sliver_m2(),
            now=now_utc(),
            address=request.remote_addr,
            limits=Limits(max_vertices=current_app.config["MAX_VERTICES"]),
        )
    return _edited(result)


@blp.route("/plans/<int:plan_id>/impact", methods=["GET"])
@blp.response(200, answers.Impact)
def plan_impact(plan_id: int):
    """What activation would change: areas per grid, incidents, party branches and workers changing grid."""
    principal = current_principal()
    return jsonify(impact(db_session(), principal, get_plan(db_session(), principal, plan_id)))


@blp.route("/plans/<int:plan_id>/submit", methods=["POST"])
@blp.arguments(VersionIn)
@blp.response(200, answers.PlanSummary)
def plan_submit(body, plan_id: int):
    """Submit a valid, complete draft for approval; 409 names the grids another change also touches."""
    plan = submit_plan(
        db_session(),
        current_principal(),
        plan_id,
        version=body["version"],
        sliver_m2=_sliver_m2(),
        now=now_utc(),
        address=request.remote_addr,
    )
    db.session.commit()
    return jsonify(plan_summary(plan))


@blp.route("/plans/<int:plan_id>/review", methods=["POST"])
@blp.arguments(ReviewIn)
@blp.response(200, answers.Review)
def plan_review(body, plan_id: int):
    """Approve (activating today or on ``effective_from``) or reject (with a comment) a submitted plan."""
    now = now_utc()
    activation = review_plan(
        db_session(),
        current_principal(),
        plan_id,
        version=body["version"],
        approve=body["approve"],
        comment=body["comment"],
        effective_from=body["effective_from"],
        today=county_day(now),
        now=now,
        address=request.remote_addr,
    )
    db.session.commit()
    plan = get_plan(db_session(), current_principal(), plan_id)
    answer = {"plan": plan_summary(plan), "activation": None}
    if activation:
        answer["activation"] = {
            "generation": activation.generation,
            "rerouted_incidents": activation.rerouted,
            "party_branches_left_on_retired_grids": activation.branches_left,
        }
    return jsonify(answer)


@blp.route("/plans/<int:plan_id>/export", methods=["GET"])
@blp.arguments(ExportArgs, location="query")
@blp.doc(**answers.file_answer(*(mimetype for _, mimetype in EXPORT_FORMATS.values())))
def plan_export(args, plan_id: int):
    """The plan's draft as GeoJSON or GeoPackage."""
    plan = get_plan(db_session(), current_principal(), plan_id)
    return _file(export_bytes({plan.child_level: plan_frame(plan)}, args["format"]), f"plan-{plan.id}", args["format"])


@blp.route("/generations", methods=["GET"])
@blp.response(200, answers.GenerationEntry(many=True))
def generations():
    """Every activated generation: when it was activated, from when it is in force, by whom, from which plan."""
    return jsonify(generation_history(db_session(), current_principal()))


@blp.route("/generations/<int:generation_id>/export", methods=["GET"])
@blp.arguments(ExportArgs, location="query")
@blp.doc(**answers.file_answer(*(mimetype for _, mimetype in EXPORT_FORMATS.values())))
def generation_export(args, generation_id: int):
    """A generation's outlines: GeoPackage with one layer per level, or GeoJSON of one level (default group)."""
    principal = current_principal()
    get_generation(db_session(), principal, generation_id)
    levels = [GridLevel(args["level"])] if args["level"] else list(GridLevel)
    if args["format"] == "geojson" and not args["level"]:
        levels = [GridLevel.GROUP]
    frames = {level.value: generation_frame(db_session(), generation_id, level, principal) for level in levels}
    return _file(export_bytes(frames, args["format"]), f"generation-{generation_id}", args["format"])


def _file(content: bytes, stem: str, file_format: str) -> Response:
    _, mimetype = EXPORT_FORMATS[file_format]
    return Response(
        content, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={stem}.{file_format}"}
    )


# --- pages ---------------------------------------------------------------------------------------------


@pages.get("/plan")
@require(Capability.PLAN_EDIT)
def plan_list():
    """Plans with their status, a form to start one, and the history of activated generations."""
    principal = current_principal()
    parents = db.session.execute(
        select(Grid.code, Grid.name_zh)
        .where(principal.scope(Grid.code), Grid.level.in_([GridLevel.TOWNSHIP.value, GridLevel.VILLAGE.value]))
        .order_by(Grid.code)
    ).all()
    return render_template(
        "plan/list.html",
        plans=list_plans(db_session(), principal),
        parents=parents,
        history=generation_history(db_session(), principal),
        generation=current_generation(db_session()),
        status_labels={s.value: label_of(s) for s in PlanStatus},
    )


@pages.get("/plan/<int:plan_id>")
@require(Capability.PLAN_EDIT)
def plan_editor(plan_id: int):
    """The plan editor: current and draft layers, drawing tools, validation, impact, submit and review."""
    principal = current_principal()
    plan = get_plan(db_session(), principal, plan_id)
    specs = visible_layers([NEIGHBOURS.id, COUNTY.id], principal)
    parts = page_map(specs, plan_bounds(plan), drawing=may_edit(plan, principal))
    return render_template(
        "plan/editor.html",
        map=parts,
        plan=plan,
        layers=page_layers(PLAN_LAYERS, plan_id=plan.id),
        nets=sorted(principal.nets),
        today=county_day(now_utc()).isoformat(),
    )
