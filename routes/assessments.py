"""Issued assessments and scoring schemes (API at /api/evaluation): issue, list, read, drill down to cases."""

from __future__ import annotations

from flask import jsonify, request
from marshmallow import Schema, fields, validate

from extensions import db, db_session
from geo.accounts.capabilities import Capability
from geo.core.clock import now_utc
from geo.dispatch.views import incident_summary
from geo.evaluation import assessments, scores
from geo.evaluation.indicators import INDICATORS
from web import answers
from web.access import current_principal
from web.input_rules import ApiBlueprint

blp = ApiBlueprint(
    "assessments", __name__, url_prefix="/api/evaluation", description="Issued assessments and scoring schemes"
)

PERIOD = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$", error="a month (2026-11) or a quarter (2026-Q4)")
CODE = validate.Regexp(r"^\d{6}(\d{3}){0,3}$", error="a grid code of 6, 9, 12 or 15 digits")


class IssueIn(Schema):
    period = fields.String(required=True, validate=PERIOD, metadata={"description": "2026-11 or 2026-Q4"})
    county = fields.String(
        load_default=None,
        validate=validate.Regexp(r"^[0-9]{6}$"),
        metadata={"description": "the county, e.g. 533422; default: the one your jurisdiction lies in"},
    )


class CasesArgs(Schema):
    indicator = fields.String(required=True, validate=validate.Length(min=1, max=40))
    grid = fields.String(load_default=None, validate=CODE)
    worker = fields.String(load_default=None, validate=validate.Length(min=1, max=20))
    part = fields.String(load_default="numerator", validate=validate.OneOf(assessments.PARTS))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))


class ComponentIn(Schema):
    indicator = fields.String(required=True, validate=validate.Length(min=1, max=40))
    weight = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=0, max=100))
    inverted = fields.Boolean(load_default=False)


class SchemeIn(Schema):
    grid_components = fields.List(fields.Nested(ComponentIn), load_default=None, validate=validate.Length(max=20))
    worker_components = fields.List(fields.Nested(ComponentIn), load_default=None, validate=validate.Length(max=20))
    grade_thresholds = fields.Dict(
        keys=fields.String(validate=validate.OneOf(scores.GRADES[:-1])),
        values=fields.Float(allow_nan=False),
        load_default=None,
    )
    note = fields.String(load_default="", validate=validate.Length(max=500))


@blp.route("/assessments", methods=["GET"])
@blp.response(200, answers.AssessmentSummary(many=True))
def assessment_list():
    """Issued assessments, newest period and version first."""
    session = db_session()
    found = assessments.assessments(session, current_principal())
    counties = assessments.counties_of(session, found)
    return jsonify([assessments.summary(a, counties) for a in found])


@blp.route("/assessments", methods=["POST"])
@blp.arguments(IssueIn)
@blp.response(201, answers.AssessmentSummary)
def assessment_issue(body):
    """Issue (freeze) a period's assessment; again for the same period: a new version with what changed."""
    issued = assessments.issue_period(
        db_session(), current_principal(), body["period"], county=body["county"], address=request.remote_addr
    )
    db.session.commit()
    return jsonify(assessments.summary(issued, assessments.counties_of(db_session(), [issued]))), 201


@blp.route("/assessments/<int:assessment_id>", methods=["GET"])
@blp.response(200, answers.AssessmentDetail)
def assessment_detail(assessment_id: int):
    """An issued assessment: every frozen figure of your jurisdiction and nets, and what changed."""
    principal = current_principal()
    assessment = assessments.get(db_session(), principal, assessment_id)
    figures = assessments.figures_for(db_session(), principal, assessment)
    mine = {assessments.nets_key(principal.nets)}
    changed = None
    if assessment.changes is not None:
        codes = {(f.subject, f.subject_code) for f in figures}
        changed = [c for c in assessment.changes if c["nets"] in mine and (c["subject"], c["code"]) in codes]
    return jsonify(
        {
            **assessments.summary(assessment, assessments.counties_of(db_session(), [assessment])),
            "figures": [assessments.figure_summary(f) for f in figures],
            "changed": changed,
        }
    )


@blp.route("/assessments/<int:assessment_id>/cases", methods=["GET"])
@blp.arguments(CasesArgs, location="query")
@blp.response(200, answers.FrozenCases)
def assessment_cases(args, assessment_id: int):
    """The exact cases behind one frozen figure (``grid=`` or ``worker=``; ``part=numerator|denominator``)."""
    principal = current_principal()
    assessment = assessments.get(db_session(), principal, assessment_id)
    count, cases = assessments.cases_of(
        db_session(),
        principal,
        assessment,
        indicator=args["indicator"],
        grid_code=args["grid"],
        worker_code=args["worker"],
        part=args["part"],
        page=args["page"],
    )
    now = now_utc()
    return jsonify(
        {
            "indicator": args["indicator"],
            "part": args["part"],
            "count": count,
            "page": args["page"],
            "page_size": assessments.CASES_PAGE,
            "items": [incident_summary(case, now) for case in cases],
        }
    )


@blp.route("/schemes", methods=["GET"])
@blp.response(200, answers.Scheme(many=True))
def scheme_list():
    """Every version of the scoring scheme (weights and grade thresholds), newest first."""
    current_principal().require(Capability.DASHBOARD)
    return jsonify([scores.scheme_summary(s) for s in scores.schemes(db_session())])


@blp.route("/schemes", methods=["POST"])
@blp.arguments(SchemeIn)
@blp.response(201, answers.Scheme)
def scheme_new(body):
    """New weights or thresholds (admins): the next version; what is not given stays as it was."""
    principal = current_principal()
    principal.require(Capability.SCHEME_MANAGE)
    scheme = scores.new_scheme(
        db_session(),
        actor=principal.username,
        grid_components=body["grid_components"],
        worker_components=body["worker_components"],
        grade_thresholds=body["grade_thresholds"],
        note=body["note"],
        known_indicators=frozenset(INDICATORS),
        address=request.remote_addr,
    )
    db.session.commit()
    return jsonify(scores.scheme_summary(scheme)), 201
