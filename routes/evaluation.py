"""The evaluation API (documented at /api/openapi.json): indicators of grids and grid workers, the organisation."""

from __future__ import annotations

from datetime import date

from flask import jsonify
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from extensions import db_session
from geo.accounts.capabilities import Capability
from geo.core.calendar import county_day
from geo.core.clock import now_utc
from geo.core.errors import InvalidInput
from geo.evaluation.indicators import INDICATORS, Figure, compute, compute_workers, grids_asked
from geo.evaluation.overview import organisation
from geo.evaluation.periods import Period
from geo.grid.models import Grid, GridLevel, GridWorker, Net
from web import answers
from web.access import current_principal, require
from web.input_rules import ApiBlueprint, Day
from web.maps import say

blp = ApiBlueprint(
    "evaluation", __name__, url_prefix="/api/evaluation", description="Indicators with their formulas (考核监督)"
)

GRID_CODE = validate.Regexp(r"^\d{6}(\d{3}){0,3}$")


class PeriodArgs(Schema):
    period = fields.String(
        load_default=None,
        validate=validate.Length(max=20),
        metadata={"description": "2026-11, 2026-Q4 or 2026 (default: this month); or since and until"},
    )
    since = Day(load_default=None, metadata={"description": "first China Standard Time day, with until"})
    until = Day(load_default=None, metadata={"description": "last China Standard Time day (included)"})
    net = fields.String(load_default=None, validate=validate.OneOf([net.value for net in Net]))
    category = fields.String(load_default=None, validate=validate.Length(max=40), metadata={"description": "code"})


class IndicatorArgs(PeriodArgs):
    grid = fields.String(load_default=None, validate=GRID_CODE, metadata={"description": "default: your jurisdiction"})
    level = fields.String(
        load_default=None,
        validate=validate.OneOf([level.value for level in GridLevel]),
        metadata={"description": "the grid's descendants of this level instead of the grid itself"},
    )


class WorkerArgs(PeriodArgs):
    grid = fields.String(load_default=None, validate=GRID_CODE, metadata={"description": "workers at or below it"})


def period_of(args: dict) -> Period:
    """The period a request asks for: ``period``, or ``since`` and ``until`` together, else this month."""
    since, until = args["since"], args["until"]
    if args["period"] is not None:
        if since is not None or until is not None:
            raise InvalidInput("give either period or since and until, not both", field="period")
        return Period.parse(args["period"])
    if (since is None) != (until is None):
        raise InvalidInput(
            "give since and until together ({field} is missing)", field="until" if until is None else "since"
        )
    if since is not None and until is not None:
        return Period.days(since, until)
    today: date = county_day(now_utc())
    return Period.month(today.year, today.month)


def figure_json(figure: Figure) -> dict:
    return {"value": figure.value, "numerator": figure.numerator, "denominator": figure.denominator}


def indicators_json() -> list[dict]:
    """The registry in the request's language: each indicator's name and formula."""
    return [
        {
            "id": indicator.id,
            "name": say(indicator.name),
            "numerator": say(indicator.numerator),
            "denominator": say(indicator.denominator) if indicator.denominator else None,
            "unit": indicator.unit,
            "higher_is_better": indicator.higher_is_better,
            "headline": indicator.headline,
        }
        for indicator in INDICATORS.values()
    ]


def _asked(period: Period, args: dict) -> dict:
    return {
        "period": period.code,
        "since": period.since.isoformat(),
        "until": period.until.isoformat(),
        "net": args["net"],
        "category": args["category"],
    }


@blp.route("/indicators")
@blp.arguments(IndicatorArgs, location="query")
@blp.response(200, answers.GridIndicators)
@require(Capability.CASE_CONSOLE)
def grid_indicators(args):
    """Every indicator of a grid (default: your jurisdiction), or of its grids of ``level``, over a period.

    Counts only the cases of your jurisdiction and nets; ``value`` is null when the
    denominator is 0 (shown as "—"). Each figure is keyed by its indicator's id,
    whose formula is in ``indicators``."""
    principal = current_principal()
    period = period_of(args)
    grids = grids_asked(db_session(), principal, grid=args["grid"], level=args["level"])
    figures = compute(
        db_session(),
        principal,
        grid_codes=[grid.code for grid in grids],
        since=period.since,
        until=period.until,
        net=args["net"],
        category=args["category"],
    )
    items = [
        {
            "code": grid.code,
            "level": grid.level,
            "name_zh": grid.name_zh,
            "name_en": grid.name_en,
            "figures": {key: figure_json(figure) for key, figure in figures[grid.code].items()},
        }
        for grid in grids
    ]
    return jsonify(_asked(period, args) | {"indicators": indicators_json(), "items": items})


@blp.route("/workers")
@blp.arguments(WorkerArgs, location="query")
@blp.response(200, answers.WorkerIndicators)
@require(Capability.CASE_CONSOLE)
def worker_indicators(args):
    """Every indicator of each grid worker at or below a grid (default: your jurisdiction), over a period."""
    principal = current_principal()
    period = period_of(args)
    (root,) = grids_asked(db_session(), principal, grid=args["grid"], level=None)
    figures = compute_workers(
        db_session(),
        principal,
        grid_code=root.code,
        since=period.since,
        until=period.until,
        net=args["net"],
        category=args["category"],
    )
    workers = db_session().execute(
        select(GridWorker.id, GridWorker.code, GridWorker.name, GridWorker.post, GridWorker.nets, Grid.code)
        .join(Grid, Grid.id == GridWorker.grid_id)
        .where(GridWorker.id.in_(list(figures)))
        .order_by(Grid.code, GridWorker.code)
    )
    items = [
        {
            "code": code,
            "name": name,
            "post": post,
            "nets": principal.shown_nets(nets),
            "grid_code": grid_code,
            "figures": {key: figure_json(figure) for key, figure in figures[worker_id].items()},
        }
        for worker_id, code, name, post, nets, grid_code in workers
    ]
    return jsonify(_asked(period, args) | {"grid": root.code, "indicators": indicators_json(), "items": items})


@blp.route("/overview")
@blp.response(200, answers.Organisation)
@require(Capability.CASE_CONSOLE)
def overview():
    """The organisation of your jurisdiction: grids and grid workers per level, party branches, 一肩挑."""
    return jsonify(organisation(db_session(), current_principal()))
