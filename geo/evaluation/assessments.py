"""Issued assessments (月度/季度考核): a period's figures frozen with the cases behind them.

Issuing computes every indicator of every grid and grid worker of one county for
the period (each county issues its own: freezing Deqin's month leaves Weixi's
open), scores them under the scheme in force, and stores copies: numerator,
denominator, value, grade and the ids of the incidents behind the numerator and
the denominator. Nothing is recomputed when it is read, so later changes to the
cases leave an issued assessment as it was; re-issuing the period adds the next
version with the list of figures that changed (``changes``).

Figures are frozen once per combination of nets that an active account holds (and
for all nets), because a reader must see the figures of their own nets and no
others (religious-net cases count only for those holding that net).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import ARRAY, Integer, and_, any_, bindparam, func, or_, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import Session

from geo.accounts.capabilities import Capability
from geo.accounts.models import User
from geo.accounts.principal import Principal
from geo.core import audit
from geo.core.errors import InvalidInput, NotFound
from geo.core.sql import copy_rows
from geo.dispatch.models import Incident
from geo.dispatch.scope import visible
from geo.evaluation import indicators
from geo.evaluation.models import Assessment, AssessmentFigure
from geo.evaluation.periods import Period
from geo.evaluation.scores import current_scheme, grid_score, worker_score
from geo.grid.counties import counties_covered, county_codes
from geo.grid.models import Grid, GridLevel, GridWorker, Net, code_prefix, codes_under, county_of

PARTS = indicators.PARTS
SCORE = "score"
#: The frozen cases one page of ``cases_of`` lists.
CASES_PAGE = 200


def nets_key(nets: Iterable[str]) -> str:
    return ",".join(sorted(nets))


def issue(
    session: Session, principal: Principal, *, county: str, period: str, since: date, until: date, address=None
) -> Assessment:
    """Issue (or re-issue) ``county``'s assessment of ``period`` (``since``–``until``, China Standard Time days)."""
    principal.require(Capability.ASSESSMENT_ISSUE)
    if county not in county_codes(session):
        raise InvalidInput("there is no county {code}", field="county", code=county)
    principal.require_change(county)  # the county's own staff, or the prefecture over it
    if since > until:
        raise InvalidInput("the period must start before it ends", field="period")
    scheme = current_scheme(session)
    previous = latest(session, period, county)
    assessment = Assessment(
        county_code=county,
        period=period,
        version=(previous.version + 1) if previous else 1,
        since=since,
        until=until,
        scheme_id=scheme.id,
        jurisdiction_code=principal.jurisdiction_code,
        issued_by=principal.username,
    )
    session.add(assessment)
    session.flush()
    rows: list[dict] = []
    for nets in _net_views(session):
        reader = replace(Principal.everything(principal.username), jurisdiction_code=county, nets=frozenset(nets))
        rows.extend(_frozen_figures(session, reader, nets_key(nets), since, until, scheme))
    # Tens of thousands of rows: COPY, not INSERTs (5.4 s of a demo month's 16 s before).
    copy_rows(
        session.connection(), AssessmentFigure.__table__, [{**row, "assessment_id": assessment.id} for row in rows]
    )
    assessment.changes = diff(session, previous, assessment) if previous else None
    audit.record(
        session,
        actor=principal.username,
        action="assessment.issue",
        entity="assessment",
        entity_id=assessment.id,
        after={
            "county": county,
            "period": period,
            "version": assessment.version,
            "since": since.isoformat(),
            "until": until.isoformat(),
            "scheme_version": scheme.version,
            "figures": len(rows),
            "changes": len(assessment.changes or []),
        },
        address=address,
    )
    return assessment


def last_month_code(today: date) -> str:
    """The month before ``today``'s, written as periods are ("2026-11")."""
    last_month = today.replace(day=1) - timedelta(days=1)
    return f"{last_month.year}-{last_month.month:02d}"


def issue_month_before(session: Session, principal: Principal, today: date, *, address=None) -> list[Assessment]:
    """Issue the assessment of the month before ``today`` for every county the caller covers, one each
    (for the monthly job and the CLI's default)."""
    return [
        issue_period(session, principal, last_month_code(today), county=county, address=address)
        for county in county_codes(session)
        if principal.covers(county)
    ]


def issue_period(
    session: Session, principal: Principal, period: str, *, county: str | None = None, address=None
) -> Assessment:
    """Issue ``county``'s assessment of ``period`` as written ("2026-11", "2026-Q4").

    Without ``county``: the one county the caller's jurisdiction lies in; a prefecture must name it.
    """
    parsed = Period.parse(period)
    if county is None:
        county = _own_county(principal)
    return issue(
        session, principal, county=county, period=period, since=parsed.since, until=parsed.until, address=address
    )


def _own_county(principal: Principal) -> str:
    if len(code_prefix(principal.jurisdiction_code)) < GridLevel.COUNTY.code_length:
        raise InvalidInput("name the county whose assessment to issue", field="county")
    return county_of(principal.jurisdiction_code)


def _net_views(session: Session) -> list[tuple[str, ...]]:
    """Every combination of nets an active account holds, and all nets."""
    held = session.scalars(select(User.nets).where(User.is_active).distinct())
    views = {tuple(sorted(nets)) for nets in held if nets} | {tuple(sorted(net.value for net in Net))}
    return sorted(views)


def _frozen_figures(session: Session, reader: Principal, nets: str, since: date, until: date, scheme) -> list[dict]:
    grid_figures = indicators.compute(session, reader, since=since, until=until)
    worker_figures = indicators.compute_workers(
        session, reader, grid_code=reader.jurisdiction_code, since=since, until=until
    )
    grid_ids = _grid_case_ids(session, reader, since, until, grid_figures)
    rows = []
    for code, figures in grid_figures.items():
        for indicator, figure in figures.items():
            ids = grid_ids.get((indicator, code), {})
            rows.append(_row(nets, "grid", code, code, indicator, figure, ids))
        score = grid_score(figures, scheme)
        rows.append(_score_row(nets, "grid", code, code, score))
    workers = dict(session.execute(select(GridWorker.id, GridWorker.code)).all())
    worker_grid = dict(
        session.execute(select(GridWorker.id, Grid.code).join(Grid, Grid.id == GridWorker.grid_id)).all()
    )
    scored = {component["indicator"] for component in scheme.worker_components}
    # The cases behind the scored figures, for every worker at once (one query per indicator and part).
    worker_ids = {
        (indicator, part): indicators.cases_behind_workers(
            session,
            reader,
            indicator=indicator,
            grid_code=reader.jurisdiction_code,
            since=since,
            until=until,
            part=part,
        )
        for indicator in sorted(scored)
        for part in PARTS
    }
    for worker_id, figures in worker_figures.items():
        for indicator, figure in figures.items():
            ids = (
                {part: worker_ids[(indicator, part)].get(worker_id, []) for part in PARTS}
                if indicator in scored and (figure.numerator or figure.denominator)
                else {}
            )
            rows.append(_row(nets, "worker", workers[worker_id], worker_grid[worker_id], indicator, figure, ids))
        rows.append(
            _score_row(nets, "worker", workers[worker_id], worker_grid[worker_id], worker_score(figures, scheme))
        )
    return rows


def _grid_case_ids(session, reader, since, until, grid_figures) -> dict[tuple[str, str], dict[str, list[int]]]:
    """The ids behind every grid's figures: the county's cases of each indicator and part, split by group code.

    One ``cases_behind`` call per indicator and part (not per grid): a grid's cases are those of
    the county whose group lies under it, as codes nest by prefix.
    """
    codes = list(grid_figures)
    lengths = sorted({len(code) for code in codes})
    found: dict[tuple[str, str], dict[str, list[int]]] = defaultdict(dict)
    for indicator in indicators.INDICATORS:
        for part in PARTS:
            # With their group codes in the same read: at 10,000,000 incidents a county's month is 385,000
            # cases, past what one statement may bind as a list of ids.
            cases = indicators.cases_behind_by_group(
                session,
                reader,
                indicator=indicator,
                grid_code=reader.jurisdiction_code,
                since=since,
                until=until,
                part=part,
            )
            by_grid: dict[str, list[int]] = defaultdict(list)
            for incident_id, group_code in cases:
                # A group's case counts for the group and each grid above it (codes nest by prefix).
                for length in lengths:
                    by_grid[group_code[:length]].append(incident_id)
            for code in codes:
                found[(indicator, code)][part] = by_grid.get(code, [])
    return found


def _row(nets, subject, code, grid_code, indicator, figure, ids) -> dict:
    return {
        "nets": nets,
        "subject": subject,
        "subject_code": str(code),
        "grid_code": grid_code,
        "indicator": indicator,
        "numerator": figure.numerator,
        "denominator": figure.denominator,
        "value": figure.value,
        "grade": None,
        "numerator_ids": sorted(ids.get("numerator", [])),
        "denominator_ids": sorted(ids.get("denominator", [])),
    }


def _score_row(nets, subject, code, grid_code, score) -> dict:
    return {
        "nets": nets,
        "subject": subject,
        "subject_code": str(code),
        "grid_code": grid_code,
        "indicator": SCORE,
        "numerator": score.value or 0,
        "denominator": None,
        "value": score.value,
        "grade": score.grade,
        "numerator_ids": [],
        "denominator_ids": [],
    }


def latest(session: Session, period: str, county: str) -> Assessment | None:
    """The newest version of ``county``'s assessment of ``period``, if one was issued."""
    return session.scalars(
        select(Assessment)
        .where(Assessment.period == period, Assessment.county_code == county)
        .order_by(Assessment.version.desc())
        .limit(1)
    ).first()


def latest_of_each_county(session: Session, period: str) -> list[Assessment]:
    """The newest version of every county's assessment of ``period`` that was issued."""
    return list(
        session.scalars(
            select(Assessment)
            .where(Assessment.period == period)
            .ext(distinct_on(Assessment.county_code))
            .order_by(Assessment.county_code, Assessment.version.desc())
        )
    )


def issued_by_county(session: Session, period: str, under: str) -> list[tuple[Grid, Assessment | None]]:
    """Each county ``under`` covers (a prefecture's counties, or the county itself) with its newest assessment of
    ``period``, or None where the county has not issued it: the prefecture's marker, as each county issues its own."""
    newest = {assessment.county_code: assessment for assessment in latest_of_each_county(session, period)}
    return [(county, newest.get(county.code)) for county in counties_covered(session, under)]


def _readable(principal: Principal):
    """SQL condition: an assessment of a county in the caller's jurisdiction, or of the county holding it."""
    return or_(principal.scope(Assessment.county_code), principal.above(Assessment.county_code))


def assessments(session: Session, principal: Principal) -> list[Assessment]:
    """Every issued assessment the caller may read, newest period and version first."""
    principal.require(Capability.DASHBOARD)
    return list(
        session.scalars(
            select(Assessment)
            .where(_readable(principal))
            .order_by(Assessment.period.desc(), Assessment.county_code, Assessment.version.desc())
        )
    )


def get(session: Session, principal: Principal, assessment_id: int) -> Assessment:
    principal.require(Capability.DASHBOARD)
    assessment = session.scalars(select(Assessment).where(Assessment.id == assessment_id, _readable(principal))).first()
    if assessment is None:
        raise NotFound("there is no assessment {id}", id=assessment_id)
    return assessment


def figures_for(
    session: Session, principal: Principal, assessment: Assessment, *, subject: str | None = None
) -> list[AssessmentFigure]:
    """The frozen figures a reader sees: of their own nets, for grids and workers in their jurisdiction."""
    principal.require(Capability.DASHBOARD)
    key = _reader_view(session, principal, assessment)
    query = (
        select(AssessmentFigure)
        .where(
            AssessmentFigure.assessment_id == assessment.id,
            AssessmentFigure.nets == key,
            principal.scope(AssessmentFigure.grid_code),
        )
        .order_by(AssessmentFigure.grid_code, AssessmentFigure.subject_code, AssessmentFigure.id)
    )
    if subject:
        query = query.where(AssessmentFigure.subject == subject)
    return list(session.scalars(query))


@dataclass(frozen=True)
class FrozenRow:
    """One grid's or worker's frozen figures as a table row: indicator id → figure, and the score."""

    subject: str
    code: str
    grid_code: str
    figures: dict[str, FrozenFigure]


@dataclass(frozen=True)
class FrozenFigure:
    numerator: float
    denominator: float | None
    value: float | None
    grade: str | None
    #: How many cases are frozen behind each part (the ids stay in the database until asked for).
    numerator_cases: int
    denominator_cases: int


def table(
    session: Session, principal: Principal, assessment: Assessment, *, subject: str, under: str, code_length: int | None
) -> list[FrozenRow]:
    """The frozen figures of the grids (of one code length) or workers under ``under``, one row each.

    For the assessment's pages: counts of the cases behind each figure, not the ids themselves.
    """
    principal.require(Capability.DASHBOARD)
    if subject not in ("grid", "worker"):
        raise InvalidInput("subject must be grid or worker", field="subject")
    key = _reader_view(session, principal, assessment)
    query = select(
        AssessmentFigure.subject_code,
        AssessmentFigure.grid_code,
        AssessmentFigure.indicator,
        AssessmentFigure.numerator,
        AssessmentFigure.denominator,
        AssessmentFigure.value,
        AssessmentFigure.grade,
        func.cardinality(AssessmentFigure.numerator_ids),
        func.cardinality(AssessmentFigure.denominator_ids),
    ).where(
        AssessmentFigure.assessment_id == assessment.id,
        AssessmentFigure.nets == key,
        AssessmentFigure.subject == subject,
        principal.scope(AssessmentFigure.grid_code),
        codes_under(AssessmentFigure.grid_code, under),
    )
    if code_length is not None:
        query = query.where(func.length(AssessmentFigure.subject_code) == code_length)
    rows: dict[str, FrozenRow] = {}
    for code, grid_code, indicator, numerator, denominator, value, grade, n_cases, d_cases in session.execute(
        query.order_by(AssessmentFigure.subject_code)
    ):
        row = rows.setdefault(code, FrozenRow(subject, code, grid_code, {}))
        row.figures[indicator] = FrozenFigure(numerator, denominator, value, grade, n_cases or 0, d_cases or 0)
    return list(rows.values())


def _reader_view(session: Session, principal: Principal, assessment: Assessment) -> str:
    key = nets_key(principal.nets)
    frozen = session.scalar(
        select(func.count())
        .select_from(AssessmentFigure)
        .where(AssessmentFigure.assessment_id == assessment.id, AssessmentFigure.nets == key)
    )
    if not frozen:
        raise InvalidInput(
            "assessment {id} was issued before your account held the nets {nets}; ask an admin to re-issue it",
            id=assessment.id,
            nets=key,
        )
    return key


def cases_of(
    session: Session,
    principal: Principal,
    assessment: Assessment,
    *,
    indicator: str,
    grid_code: str | None = None,
    worker_code: str | None = None,
    part: str = "numerator",
    page: int = 1,
) -> tuple[int, list[Incident]]:
    """How many incidents are frozen behind one figure of ``assessment`` (a grid's, or a worker's with
    ``worker_code``) that the caller may see, and page ``page`` of them (``CASES_PAGE`` each, by id)."""
    principal.require(Capability.DASHBOARD)
    if part not in PARTS:
        raise InvalidInput("part must be numerator or denominator", field="part")
    if indicator not in indicators.INDICATORS:
        raise InvalidInput("unknown indicator {indicator}", field="indicator", indicator=indicator[:40])
    if (grid_code is None) == (worker_code is None):
        raise InvalidInput("give a grid or a worker", field="grid")
    subject, code = ("grid", grid_code) if grid_code is not None else ("worker", worker_code)
    figure = session.scalars(
        select(AssessmentFigure).where(
            AssessmentFigure.assessment_id == assessment.id,
            AssessmentFigure.nets == _reader_view(session, principal, assessment),
            AssessmentFigure.subject == subject,
            AssessmentFigure.subject_code == code,
            AssessmentFigure.indicator == indicator,
            principal.scope(AssessmentFigure.grid_code),
        )
    ).first()
    if figure is None:
        raise NotFound(
            "assessment {id} has no figure {indicator} for {code}", id=assessment.id, indicator=indicator, code=code
        )
    ids = figure.numerator_ids if part == "numerator" else figure.denominator_ids
    if not ids:
        return 0, []
    # One array parameter, not a list of ids: a county's figure can hold more cases than a statement binds.
    frozen = and_(Incident.id == any_(bindparam("frozen", ids, type_=ARRAY(Integer))), visible(principal))
    total = session.scalar(select(func.count()).where(frozen)) or 0
    shown = select(Incident).where(frozen).order_by(Incident.id).limit(CASES_PAGE).offset((page - 1) * CASES_PAGE)
    return total, list(session.scalars(shown))


def diff(session: Session, before: Assessment, after: Assessment) -> list[dict]:
    """The figures that differ between two issues of a period: each with its values before and after."""
    old = _keyed(session, before.id)
    new = _keyed(session, after.id)
    changes = []
    for key in sorted(old.keys() | new.keys()):
        was, now = old.get(key), new.get(key)
        if not _same_figure(was, now):
            nets, subject, code, indicator = key
            changes.append(
                {"nets": nets, "subject": subject, "code": code, "indicator": indicator, "before": was, "after": now}
            )
    return changes


def _same_figure(was: dict | None, now: dict | None) -> bool:
    """Whether two issues' figures agree: hours and ratios summed in another order differ in their last bits."""
    if was is None or now is None:
        return was is now
    return all(
        math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) if isinstance(a, float) and isinstance(b, float) else a == b
        for a, b in ((was[name], now[name]) for name in was.keys() | now.keys())
    )


def _keyed(session: Session, assessment_id: int) -> dict[tuple, dict]:
    rows = session.execute(
        select(
            AssessmentFigure.nets,
            AssessmentFigure.subject,
            AssessmentFigure.subject_code,
            AssessmentFigure.indicator,
            AssessmentFigure.numerator,
            AssessmentFigure.denominator,
            AssessmentFigure.value,
            AssessmentFigure.grade,
        ).where(AssessmentFigure.assessment_id == assessment_id)
    )
    return {
        (r.nets, r.subject, r.subject_code, r.indicator): {
            "numerator": r.numerator,
            "denominator": r.denominator,
            "value": r.value,
            "grade": r.grade,
        }
        for r in rows
    }


def counties_of(session: Session, issued: Iterable[Assessment]) -> dict[str, Grid]:
    """The county grids of ``issued`` by code, in one query, so a list can name each assessment's county."""
    codes = {assessment.county_code for assessment in issued}
    return {grid.code: grid for grid in session.scalars(select(Grid).where(Grid.code.in_(codes)))} if codes else {}


def figure_summary(figure: AssessmentFigure) -> dict:
    return {
        "subject": figure.subject,
        "code": figure.subject_code,
        "grid_code": figure.grid_code,
        "indicator": figure.indicator,
        "numerator": figure.numerator,
        "denominator": figure.denominator,
        "value": figure.value,
        "grade": figure.grade,
        "cases": {"numerator": len(figure.numerator_ids), "denominator": len(figure.denominator_ids)},
    }


def summary(assessment: Assessment, counties: Mapping[str, Grid]) -> dict:
    """An assessment as the API lists it, its county named from ``counties`` (``counties_of``)."""
    county = counties.get(assessment.county_code)
    return {
        "id": assessment.id,
        "county": assessment.county_code,
        "county_name_zh": county.name_zh if county else None,
        "county_name_en": county.name_en if county else None,
        "period": assessment.period,
        "version": assessment.version,
        "since": assessment.since.isoformat(),
        "until": assessment.until.isoformat(),
        "scheme_version": assessment.scheme.version,
        "issued_by": assessment.issued_by,
        "issued_at": assessment.issued_at.isoformat() if assessment.issued_at else None,
        "changes": len(assessment.changes) if assessment.changes is not None else None,
    }
