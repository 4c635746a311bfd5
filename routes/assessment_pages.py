"""Pages for issued assessments (/dashboard/assessments) and the scoring scheme (/dashboard/scheme).

The API (routes/assessments.py) offers the same; these are for leaders and admins in a browser:
the list of issued periods, one assessment's frozen figures with links to the cases behind
each, issuing a period, and new weights and grade thresholds.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from sqlalchemy import select

from extensions import db, db_session
from geo.accounts.capabilities import Capability
from geo.core.calendar import county_day
from geo.core.clock import now_utc
from geo.core.errors import InvalidInput
from geo.dispatch.views import incident_summary
from geo.evaluation import assessments, scores
from geo.evaluation.dashboard import SCORE
from geo.evaluation.indicators import INDICATORS
from geo.evaluation.periods import Period
from geo.grid.counties import counties_covered
from geo.grid.models import Grid, GridLevel, GridWorker, is_under
from routes.dashboard import indicator_texts
from web.access import current_principal, require
from web.input_rules import whole_number_arg

bp = Blueprint("assessment_pages", __name__)

#: The figures an assessment's table shows, beside the score: the scored ones first.
SHOWN = [i for i in INDICATORS if INDICATORS[i].headline]


def _focus(principal) -> str:
    code = request.args.get("grid", principal.jurisdiction_code)
    if not code.isdigit() or len(code) not in (6, 9, 12, 15):
        raise InvalidInput("a grid code of 6, 9, 12 or 15 digits", field="grid")
    if not principal.covers(code):
        raise InvalidInput("grid {code} is outside your jurisdiction", field="grid", code=code)
    return code


@bp.get("/dashboard/assessments")
@require(Capability.DASHBOARD)
def assessment_list():
    """Every issued assessment; admins issue a period from here."""
    principal = current_principal()
    session = db_session()
    issued = assessments.assessments(session, principal)
    return render_template(
        "dashboard/assessments.html",
        issued=issued,
        issued_counties=assessments.counties_of(session, issued),
        may_issue=principal.can(Capability.ASSESSMENT_ISSUE),
        # A prefecture names the county it issues; the list names the county once it holds several.
        counties=counties_covered(session, principal.jurisdiction_code),
        last_month=assessments.last_month_code(county_day(now_utc())),
    )


@bp.post("/dashboard/assessments")
@require(Capability.ASSESSMENT_ISSUE)
def assessment_issue():
    """Issue (freeze) a period's assessment, or its next version."""
    period = request.form.get("period", "").strip()
    Period.parse(period)  # a month or a quarter, named in the refusal otherwise
    county = request.form.get("county", "").strip()[:6] or None
    assessment = assessments.issue_period(
        db_session(), current_principal(), period, county=county, address=request.remote_addr
    )
    db.session.commit()
    return redirect(url_for("assessment_pages.assessment_page", assessment_id=assessment.id))


@bp.get("/dashboard/assessments/<int:assessment_id>")
@require(Capability.DASHBOARD)
def assessment_page(assessment_id: int):
    """One issued assessment: the frozen figures of the grids one level below the focus, or its workers."""
    principal = current_principal()
    session = db_session()
    assessment = assessments.get(session, principal, assessment_id)
    focus = _focus(principal)
    subject = request.args.get("subject", "grid")
    level = GridLevel.of_code(focus)
    below = list(GridLevel)[min(level.depth + 1, len(GridLevel) - 1)]
    rows = assessments.table(
        session,
        principal,
        assessment,
        subject=subject,
        under=focus,
        code_length=below.code_length if subject == "grid" else None,
    )
    codes = [focus] + [row.grid_code for row in rows]
    names = dict(session.execute(select(Grid.code, Grid.name_zh).where(Grid.code.in_(codes))).all())
    if subject == "worker":
        workers = [row.code for row in rows]
        names |= dict(
            session.execute(select(GridWorker.code, GridWorker.name).where(GridWorker.code.in_(workers))).all()
        )
    rows.sort(key=lambda row: -(row.figures[SCORE].value or -1) if SCORE in row.figures else 1)
    return render_template(
        "dashboard/assessment.html",
        assessment=assessment,
        rows=rows,
        names=names,
        focus=focus,
        subject=subject,
        shown=SHOWN,
        texts=indicator_texts(),
        changes=[c for c in assessment.changes or [] if is_under(c["code"], focus)][:200],
    )


@bp.get("/dashboard/assessments/<int:assessment_id>/cases")
@require(Capability.DASHBOARD)
def assessment_cases(assessment_id: int):
    """The cases frozen behind one figure of an issued assessment."""
    principal = current_principal()
    session = db_session()
    assessment = assessments.get(session, principal, assessment_id)
    indicator = request.args.get("indicator", "")
    part = request.args.get("part", "numerator")
    grid, worker = request.args.get("grid") or None, request.args.get("worker") or None
    page = whole_number_arg(request.args.get("page", "1"), "page", low=1)
    count, cases = assessments.cases_of(
        session, principal, assessment, indicator=indicator, grid_code=grid, worker_code=worker, part=part, page=page
    )
    now = now_utc()
    return render_template(
        "dashboard/assessment_cases.html",
        assessment=assessment,
        indicator=indicator,
        part=part,
        subject_code=grid or worker,
        texts=indicator_texts(),
        cases=[incident_summary(case, now) for case in cases],
        count=count,
        page=page,
        pages=max(1, -(-count // assessments.CASES_PAGE)),
    )


@bp.get("/dashboard/scheme")
@require(Capability.DASHBOARD)
def scheme_page():
    """The scoring scheme in force and every earlier version; admins write the next one here."""
    principal = current_principal()
    session = db_session()
    return render_template(
        "dashboard/scheme.html",
        schemes=scores.schemes(session),
        current=scores.current_scheme(session),
        may_change=principal.can(Capability.SCHEME_MANAGE),
        texts=indicator_texts(),
        grades=scores.GRADES[:-1],
    )


@bp.post("/dashboard/scheme")
@require(Capability.SCHEME_MANAGE)
def scheme_new():
    """The next version of the scheme from the form: each weight, each grade's lowest score, a note."""
    session = db_session()
    current = scores.current_scheme(session)
    form = request.form

    def number(name: str) -> float:
        raw = form.get(name, "").strip()
        try:
            return float(raw)
        except ValueError:
            raise InvalidInput("{field} must be a number", field=name) from None

    def components(kind: str, existing: list[dict]) -> list[dict]:
        return [
            {"indicator": c["indicator"], "weight": number(f"{kind}:{c['indicator']}"), "inverted": c["inverted"]}
            for c in existing
        ]

    scheme = scores.new_scheme(
        session,
        actor=current_principal().username,
        grid_components=components("grid", current.grid_components),
        worker_components=components("worker", current.worker_components),
        grade_thresholds={grade: number(f"grade:{grade}") for grade in scores.GRADES[:-1]},
        note=form.get("note", "")[:500],
        known_indicators=frozenset(INDICATORS),
        address=request.remote_addr,
    )
    db.session.commit()
    return redirect(url_for("assessment_pages.scheme_page", saved=scheme.version))
