"""What the leaders' dashboard shows, computed for one principal: tiles, trends, rankings, the choropleth's figures.

Everything here reads the live indicators (``indicators.compute``) for the caller's
jurisdiction and nets; the web layer only formats it. Figures are handed on as
numerator, denominator and value; a value of None (an empty denominator) is shown as "—".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo.accounts.capabilities import Capability
from geo.accounts.principal import Principal
from geo.atlas.outlines import grid_layer_geojson
from geo.core.calendar import county_day
from geo.core.clock import now_utc
from geo.core.errors import InvalidInput
from geo.evaluation import indicators
from geo.evaluation.assessments import last_month_code, nets_key
from geo.evaluation.models import Assessment, AssessmentFigure
from geo.evaluation.periods import Period
from geo.evaluation.scores import current_scheme, grid_score, rate, worker_score
from geo.grid.boundaries import current_generation, valid_in
from geo.grid.models import Grid, GridBoundary, GridLevel, GridWorker, is_under

SCORE = "score"
#: Quantile classes of a choropleth, worst to best (the layer declares a colour for each, and "none").
QUANTILES = ("q1", "q2", "q3", "q4", "q5")
TREND_MONTHS = 12


@dataclass(frozen=True)
class Filters:
    """The dashboard's question: where (the focus grid), when (the period), which net and category."""

    focus: str
    period: Period
    period_code: str  # as written: "2026-11", "2026-Q4", "2026"
    net: str | None = None
    category: str | None = None


def display_value(indicator_id: str, figure) -> float | None:
    """A figure as the dashboard shows it: percent indicators as 0–100 (from numerator/denominator), others as is."""
    if figure is None:
        return None
    if indicators.INDICATORS[indicator_id].unit == "percent":
        share = rate(figure)
        return None if share is None else round(share * 100, 2)
    return None if figure.value is None else round(figure.value, 2)


def check_focus(session: Session, principal: Principal, code: str) -> Grid:
    """The grid a dashboard looks at: inside the caller's jurisdiction."""
    principal.require(Capability.DASHBOARD)
    grid = session.scalars(select(Grid).where(Grid.code == code)).first()
    if grid is None or not principal.covers(code):
        raise InvalidInput(
            "grid {code} is not in your jurisdiction {jurisdiction}",
            field="grid",
            code=code[:15],
            jurisdiction=principal.jurisdiction_code,
        )
    return grid


def _figures(session, principal, filters: Filters, period: Period, codes: Sequence[str]):
    return indicators.compute(
        session,
        principal,
        grid_codes=list(codes),
        since=period.since,
        until=period.until,
        net=filters.net,
        category=filters.category,
    )


def _issued(session: Session, principal: Principal, filters: Filters, periods: Sequence[Period]) -> dict[str, dict]:
    """The focus grid's frozen figures of those ``periods`` whose assessment was issued, by period code.

    An issued month is read as it was issued (可追溯: the official figures, and one query instead of
    computing the month again, which costs most at a million cases). Only for the reader's own nets
    and without a category: an issued assessment holds no other cut. The newest version counts.
    """
    if filters.net or filters.category:
        return {}
    codes = [p.code for p in periods]
    newest = (
        select(Assessment.period, func.max(Assessment.version).label("version"))
        .where(Assessment.period.in_(codes))
        .group_by(Assessment.period)
        .subquery()
    )
    rows = session.execute(
        select(
            Assessment.period,
            AssessmentFigure.indicator,
            AssessmentFigure.numerator,
            AssessmentFigure.denominator,
            AssessmentFigure.value,
        )
        .join(newest, (newest.c.period == Assessment.period) & (newest.c.version == Assessment.version))
        .join(AssessmentFigure, AssessmentFigure.assessment_id == Assessment.id)
        .where(
            AssessmentFigure.nets == nets_key(principal.nets),
            AssessmentFigure.subject == "grid",
            AssessmentFigure.subject_code == filters.focus,
        )
    ).all()
    found: dict[str, dict] = {}
    for period, indicator, numerator, denominator, value in rows:
        found.setdefault(period, {})[indicator] = indicators.Figure(numerator, denominator, value)
    return found


def _focus_figures(
    session, principal, filters: Filters, periods: Sequence[Period], today: date | None
) -> dict[str, tuple[dict, bool]]:
    """The focus grid's figures in each of ``periods``, by code, and whether they are an issued month's, frozen.

    Those ended and issued are read frozen; the others are computed now, the months among them in one
    grouped pass per run of consecutive months (``indicators.compute_months``), not one computation each.
    """
    issued = _issued(session, principal, filters, periods)
    today = today or county_day(now_utc())
    found: dict[str, tuple[dict, bool]] = {
        p.code: (issued[p.code], True) for p in periods if p.code in issued and p.until < today
    }
    months = sorted({p.since for p in periods if p.kind == "month" and p.code not in found})
    for run in _consecutive(months):
        computed = indicators.compute_months(
            session, principal, grid_code=filters.focus, months=run, net=filters.net, category=filters.category
        )
        found |= {Period.month(first.year, first.month).code: (figures, False) for first, figures in computed.items()}
    for p in periods:
        if p.code not in found:
            found[p.code] = (_figures(session, principal, filters, p, [filters.focus]).get(filters.focus, {}), False)
    return found


def _consecutive(firsts: Sequence[date]) -> list[list[date]]:
    """Months (their first days, in order) as runs of consecutive months: a gap is not read."""
    runs: list[list[date]] = []
    for first in firsts:
        if runs and (runs[-1][-1] + timedelta(days=31)).replace(day=1) == first:
            runs[-1].append(first)
        else:
            runs.append([first])
    return runs


def summary(
    session: Session, principal: Principal, filters: Filters, today: date | None = None, now: Mapping | None = None
) -> tuple[list, dict]:
    """The tiles and the trend together, their months read in one pass (``tiles`` and ``trend`` each give one).

    ``now`` is the focus grid's figures of the period as they stand, if the caller has computed them.
    """
    months = _trend_months(filters)
    comparisons = (filters.period.previous(), filters.period.same_last_year())
    found = _focus_figures(
        session, principal, filters, list(dict.fromkeys([filters.period, *comparisons, *months])), today
    )
    if now is None:
        now, frozen = found[filters.period.code]
        if frozen:  # the tiles show the period as it stands now, issued or not
            now = _figures(session, principal, filters, filters.period, [filters.focus]).get(filters.focus, {})
    tiles = _tiles(now, found[comparisons[0].code][0], found[comparisons[1].code][0])
    scheme = current_scheme(session)
    series: dict[str, list[float | None]] = {indicator_id: [] for indicator_id in [*indicators.INDICATORS, SCORE]}
    for month in months:
        figures = found[month.code][0]
        for indicator_id in indicators.INDICATORS:
            series[indicator_id].append(display_value(indicator_id, figures.get(indicator_id)))
        # An issued month keeps the score it was issued with (its scheme); a live one is scored now.
        kept = figures.get(SCORE)
        series[SCORE].append(kept.value if kept is not None else grid_score(figures, scheme).value)
    return tiles, {"months": [p.code for p in months], "series": series}


def tiles(session: Session, principal: Principal, filters: Filters, today: date | None = None) -> list[dict]:
    """Each indicator of the focus grid now, in the previous period and in the same period last year."""
    return summary(session, principal, filters, today)[0]


def trend(session: Session, principal: Principal, filters: Filters, today: date | None = None) -> dict:
    """The focus grid's indicators and score month by month, the twelve months up to the period's last one."""
    return summary(session, principal, filters, today)[1]


def _trend_months(filters: Filters) -> list[Period]:
    last = filters.period.until
    months = []
    year, month = last.year, last.month
    for _ in range(TREND_MONTHS):
        months.append(Period.month(year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def _tiles(now: Mapping, before: Mapping, last_year: Mapping) -> list[dict]:
    answer = []
    for indicator_id, indicator in indicators.INDICATORS.items():
        value = display_value(indicator_id, now.get(indicator_id))
        answer.append(
            {
                "indicator": indicator_id,
                "headline": indicator.headline,
                "unit": indicator.unit,
                "higher_is_better": indicator.higher_is_better,
                "figure": now.get(indicator_id),
                "value": value,
                "previous": _change(value, display_value(indicator_id, before.get(indicator_id))),
                "last_year": _change(value, display_value(indicator_id, last_year.get(indicator_id))),
            }
        )
    return answer


def _change(value: float | None, other: float | None) -> dict:
    """The change against another period: its value, the difference and its direction (up, down, same, none)."""
    if value is None or other is None:
        return {"value": other, "difference": None, "direction": "none"}
    difference = round(value - other, 2)
    direction = "up" if difference > 0 else "down" if difference < 0 else "same"
    return {"value": other, "difference": difference, "direction": direction}


def child_level(code: str) -> GridLevel:
    """The level below a grid (a group's own level: it has none below)."""
    level = GridLevel.of_code(code)
    return list(GridLevel)[min(level.depth + 1, len(GridLevel) - 1)]


def page(session: Session, principal: Principal, filters: Filters, level: GridLevel, today: date | None = None) -> dict:
    """What ``/dashboard`` shows of the indicators: the tiles, the trend and both rankings.

    The focus grid's figures for the tiles are computed in the same statements as the grids ranked
    below it and the workers under it (``indicators.compute_with_workers``: the period's cases read
    once for all three), rather than each on their own.
    """
    codes = _ranked_codes(session, principal, filters, level)
    figures, worker_figures = indicators.compute_with_workers(
        session,
        principal,
        grid_codes=list(dict.fromkeys([filters.focus, *codes])),
        grid_code=filters.focus,
        since=filters.period.since,
        until=filters.period.until,
        net=filters.net,
        category=filters.category,
    )
    tiles, trend = summary(session, principal, filters, today, now=figures.get(filters.focus, {}))
    return {
        "tiles": tiles,
        "trend": trend,
        "grids": _grid_rows(session, {code: figures[code] for code in codes}),
        "workers": _worker_rows(session, principal, worker_figures),
    }


def _ranked_codes(session: Session, principal: Principal, filters: Filters, level: GridLevel) -> list[str]:
    """The codes of the grids of ``level`` in force under the focus, in the caller's jurisdiction."""
    return [row.code for row in indicators.grids_asked(session, principal, grid=filters.focus, level=level.value)]


def grid_ranking(session: Session, principal: Principal, filters: Filters, level: GridLevel) -> list[dict]:
    """The grids of ``level`` under the focus, best score first (unscored last), with every figure."""
    codes = _ranked_codes(session, principal, filters, level)
    return _grid_rows(session, _figures(session, principal, filters, filters.period, codes))


def _grid_rows(session: Session, figures: Mapping[str, dict]) -> list[dict]:
    """The ranking's rows of grids with their figures: score, grade, every value."""
    scheme = current_scheme(session)
    names = dict(session.execute(select(Grid.code, Grid.name_zh).where(Grid.code.in_(list(figures)))).all())
    rows = []
    for code, found in figures.items():
        score = grid_score(found, scheme)
        rows.append(
            {
                "code": code,
                "name": names.get(code, code),
                "score": score,
                "figures": found,
                "values": {i: display_value(i, found.get(i)) for i in indicators.INDICATORS},
            }
        )
    return _ranked(rows)


def worker_ranking(session: Session, principal: Principal, filters: Filters) -> list[dict]:
    """The grid workers under the focus the caller may see, best score first, with every figure."""
    figures = indicators.compute_workers(
        session,
        principal,
        grid_code=filters.focus,
        since=filters.period.since,
        until=filters.period.until,
        net=filters.net,
        category=filters.category,
    )
    return _worker_rows(session, principal, figures)


def _worker_rows(session: Session, principal: Principal, figures: Mapping[int, dict]) -> list[dict]:
    """The ranking's rows of workers with their figures: score, grade, every value."""
    scheme = current_scheme(session)
    workers = {
        row.id: row
        for row in session.execute(
            select(GridWorker.id, GridWorker.code, GridWorker.name, GridWorker.nets, Grid.code.label("grid_code"))
            .join(Grid, Grid.id == GridWorker.grid_id)
            .where(GridWorker.id.in_(list(figures)))
        )
    }
    rows = []
    for worker_id, found in figures.items():
        worker = workers.get(worker_id)
        if worker is None or not principal.sees_worker(worker.nets):
            continue
        rows.append(
            {
                "id": worker_id,
                "code": worker.code,
                "name": worker.name,
                "grid_code": worker.grid_code,
                "score": worker_score(found, scheme),
                "figures": found,
                "values": {i: display_value(i, found.get(i)) for i in indicators.INDICATORS},
            }
        )
    return _ranked(rows)


def _ranked(rows: list[dict]) -> list[dict]:
    rows.sort(key=lambda row: (row["score"].value is None, -(row["score"].value or 0), row["code"]))
    for place, row in enumerate(rows, 1):
        row["rank"] = place if row["score"].value is not None else None
    return rows


def quantile_classes(values: Mapping[str, float | None], higher_is_better: bool) -> tuple[dict[str, str], list[float]]:
    """Each grid's quantile class of ``values`` (q1 worst … q5 best; "none" without a value), and the class breaks."""
    known = sorted(v for v in values.values() if v is not None)
    if not known:
        return {code: "none" for code in values}, []
    breaks = [known[min(len(known) - 1, (len(known) * k) // len(QUANTILES))] for k in range(1, len(QUANTILES))]
    classes = {}
    for code, value in values.items():
        if value is None:
            classes[code] = "none"
            continue
        bucket = sum(value >= b for b in breaks) if known[0] != known[-1] else len(QUANTILES) // 2
        classes[code] = QUANTILES[bucket if higher_is_better else len(QUANTILES) - 1 - bucket]
    return classes, breaks


def choropleth(session: Session, principal: Principal, filters: Filters, level: GridLevel, indicator: str) -> str:
    """The outlines of ``level`` under the focus as GeoJSON, each with its figures, score, grade and class.

    ``indicator`` is an indicator id (coloured by quantiles) or ``score`` (coloured by grade).
    """
    if indicator != SCORE and indicator not in indicators.INDICATORS:
        raise InvalidInput("unknown indicator {indicator}", field="indicator", indicator=indicator[:40])
    ranking = {row["code"]: row for row in grid_ranking(session, principal, filters, level)}
    if indicator == SCORE:
        classes = {code: row["score"].grade or "none" for code, row in ranking.items()}
        breaks: list[float] = []
    else:
        values = {code: row["values"][indicator] for code, row in ranking.items()}
        classes, breaks = quantile_classes(values, indicators.INDICATORS[indicator].higher_is_better)
    outlines = json.loads(grid_layer_geojson(session, level, principal))
    features = []
    for feature in outlines["features"]:
        row = ranking.get(feature["properties"]["code"])
        if row is None:
            continue
        feature["properties"].update(
            {
                "class": classes[row["code"]],
                "score": row["score"].value,
                "grade": row["score"].grade,
                "rank": row["rank"],
                "values": row["values"],
            }
        )
        features.append(feature)
    return json.dumps(
        {
            "type": "FeatureCollection",
            "indicator": indicator,
            "breaks": breaks,
            "level": level.value,
            "features": features,
        },
        ensure_ascii=False,
    )


def period_of(text: str | None, today: date) -> tuple[str, Period]:
    """The period a dashboard asks about, as written and parsed: by default the last full month."""
    code = text or last_month_code(today)
    return code, Period.parse(code)


def bounds_of(session: Session, code: str) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of a grid's current outline."""
    generation = current_generation(session)
    if generation is None:
        return None
    extent = session.execute(
        select(
            func.ST_XMin(func.ST_Extent(GridBoundary.geom)),
            func.ST_YMin(func.ST_Extent(GridBoundary.geom)),
            func.ST_XMax(func.ST_Extent(GridBoundary.geom)),
            func.ST_YMax(func.ST_Extent(GridBoundary.geom)),
        )
        .join(Grid, Grid.id == GridBoundary.grid_id)
        .where(Grid.code == code, *valid_in(GridBoundary, generation))
    ).first()
    return tuple(extent) if extent and extent[0] is not None else None  # type: ignore[return-value]


def report_tables(session: Session, focus: str, figures: Sequence[AssessmentFigure]) -> dict:
    """An issued assessment's frozen figures under ``focus``, as the report's tables.

    Grids of the level below the focus and the workers under it, best score first; each figure keeps
    its numerator and denominator, so the report links each to the cases behind it.
    """
    level = child_level(focus)
    subjects: dict[tuple[str, str], dict] = {}
    for figure in figures:
        if not is_under(figure.grid_code, focus):
            continue
        if figure.subject == "grid" and len(figure.subject_code) != level.code_length:
            continue
        row = subjects.setdefault(
            (figure.subject, figure.subject_code),
            {"code": figure.subject_code, "grid_code": figure.grid_code, "figures": {}, "values": {}},
        )
        if figure.indicator == SCORE:
            row["score"], row["grade"] = figure.value, figure.grade
        elif figure.indicator in indicators.INDICATORS:
            row["figures"][figure.indicator] = figure
            row["values"][figure.indicator] = display_value(figure.indicator, figure)
    grid_names = dict(
        session.execute(
            select(Grid.code, Grid.name_zh).where(Grid.code.in_([c for s, c in subjects if s == "grid"]))
        ).all()
    )
    worker_names = dict(
        session.execute(
            select(GridWorker.code, GridWorker.name).where(
                GridWorker.code.in_([c for s, c in subjects if s == "worker"])
            )
        ).all()
    )
    tables: dict[str, list[dict]] = {"grid": [], "worker": []}
    for (subject, code), row in subjects.items():
        row["name"] = (grid_names if subject == "grid" else worker_names).get(code, code)
        tables[subject].append(row)
    for rows in tables.values():
        rows.sort(key=lambda row: (row.get("score") is None, -(row.get("score") or 0), row["code"]))
    return {"level": level.value, "grids": tables["grid"], "workers": tables["worker"]}
