"""The leaders' dashboard (/dashboard): indicators, choropleth, trends, rankings, exports and the printable report."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_babel import get_locale, pgettext
from sqlalchemy import select

from extensions import db_session
from geo.accounts.capabilities import Capability
from geo.accounts.users import demo_accounts_exist
from geo.atlas.outlines import parse_net
from geo.core.calendar import county_day
from geo.core.clock import now_utc
from geo.core.errors import InvalidInput, one_of
from geo.core.labels import Label
from geo.core.spreadsheet import Sheet, csv_document, xlsx_document
from geo.dispatch.models import IncidentCategory
from geo.evaluation import assessments, dashboard
from geo.evaluation.dashboard import SCORE, Filters
from geo.evaluation.indicators import INDICATORS
from geo.evaluation.overview import organisation
from geo.evaluation.scores import current_scheme
from geo.grid.models import Grid, GridLevel, chain_codes, county_of, is_prefecture
from layers.evaluation import CHOROPLETH
from web.access import current_principal, require
from web.maps import page_layers, page_map, say

bp = Blueprint("dashboard", __name__)

TABLES = ("grids", "workers")
FORMATS = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _filters() -> Filters:
    principal = current_principal()
    focus = request.args.get("grid") or principal.jurisdiction_code
    dashboard.check_focus(db_session(), principal, focus[:15])
    net = parse_net(request.args.get("net"))
    if net is not None:
        principal.require_net(net)
    category = request.args.get("category") or None
    if category is not None and len(category) > 40:
        raise InvalidInput("category: at most 40 characters", field="category")
    code, period = dashboard.period_of(request.args.get("period"), county_day(now_utc()))
    return Filters(focus=focus, period=period, period_code=code, net=net.value if net else None, category=category)


def _level(filters: Filters) -> GridLevel:
    raw = request.args.get("level")
    if not raw:
        return dashboard.child_level(filters.focus)
    level = one_of(GridLevel, raw, "level")
    if level is GridLevel.COUNTY or level.depth < GridLevel.of_code(filters.focus).depth:
        raise InvalidInput(
            "level must be a level at or below the grid shown (township, village or group)", field="level"
        )
    return level


def _indicator() -> str:
    chosen = request.args.get("indicator") or SCORE
    if chosen != SCORE and chosen not in INDICATORS:
        raise InvalidInput("unknown indicator {indicator}", field="indicator", indicator=chosen[:40])
    return chosen


def _say(text) -> str:
    """An indicator's name or formula text (a msgid of the page catalogue, context "indicator")."""
    return say(text) if isinstance(text, Label) else pgettext("indicator", text)


def score_formula(components: list[dict]) -> str:
    """A scheme's score as its formula, in the page's language: 按期处置率 × 60 + … + (1 − 返工率) × 10."""
    terms = []
    for component in components:
        name = (
            _say(INDICATORS[component["indicator"]].name)
            if component["indicator"] in INDICATORS
            else component["indicator"]
        )
        terms.append(f"{'(1 − ' + name + ')' if component['inverted'] else name} × {component['weight']:g}")
    return " + ".join(terms)


def indicator_texts() -> dict[str, dict]:
    """Each indicator's name, formula and unit in the page's language, from the registry (never copied by hand).

    The score's formula is the scheme in force, written out from its weights.
    """
    scheme = current_scheme(db_session())
    answer = {
        indicator_id: {
            "name": _say(indicator.name),
            "formula": f"{_say(indicator.numerator)} ÷ {_say(indicator.denominator)}"
            if indicator.denominator
            else _say(indicator.numerator),
            "unit": indicator.unit,
            "higher_is_better": indicator.higher_is_better,
        }
        for indicator_id, indicator in INDICATORS.items()
    }
    answer[SCORE] = {
        "name": pgettext("indicator", "综合评分"),
        "formula": score_formula(scheme.grid_components),
        "worker_formula": score_formula(scheme.worker_components),
        "scheme_version": scheme.version,
        "unit": "score",
        "higher_is_better": True,
    }
    return answer


def _categories() -> list[dict]:
    lang = str(get_locale())
    rows = db_session().execute(
        select(IncidentCategory.code, IncidentCategory.name_zh, IncidentCategory.name_en)
        .where(IncidentCategory.net.in_(sorted(current_principal().nets)), IncidentCategory.is_active)
        .order_by(IncidentCategory.net, IncidentCategory.id)
    )
    return [{"code": code, "name": en if lang == "en" else zh} for code, zh, en in rows]


def _breadcrumb(code: str) -> list[dict]:
    principal = current_principal()
    names = dict(db_session().execute(select(Grid.code, Grid.name_zh).where(Grid.code.in_(chain_codes(code)))).all())
    return [{"code": c, "name": names.get(c, c)} for c in chain_codes(code) if principal.covers(c) or c == code]


@bp.get("/dashboard")
@require(Capability.DASHBOARD)
def dashboard_page():
    """The leaders' dashboard of the jurisdiction (or a grid in it), for a period, net and category."""
    principal = current_principal()
    session = db_session()
    filters = _filters()
    level = _level(filters)
    focus = session.scalars(select(Grid).where(Grid.code == filters.focus)).one()
    shown = dashboard.page(session, principal, filters, level)
    specs = [CHOROPLETH]
    parts = page_map([], dashboard.bounds_of(session, filters.focus))
    issued = assessments.latest(session, filters.period_code, county_of(filters.focus))
    return render_template(
        "dashboard/index.html",
        # A prefecture's counties issue their own assessments: the page says which have issued the period.
        issued_by_county=assessments.issued_by_county(session, filters.period_code, filters.focus)
        if is_prefecture(filters.focus)
        else [],
        map=parts,
        filters=filters,
        focus=focus,
        # The county's outline is real, but its grids below and the cases counted are generated.
        demo=focus.is_demo or demo_accounts_exist(session),
        level=level,
        levels=[lv for lv in GridLevel if lv.depth > 0 and lv.depth >= GridLevel.of_code(filters.focus).depth],
        indicator=_indicator(),
        texts=indicator_texts(),
        tiles=shown["tiles"],
        trend=shown["trend"],
        grids=shown["grids"],
        workers=shown["workers"],
        overview=organisation(session, principal),
        breadcrumb=_breadcrumb(filters.focus),
        nets=sorted(principal.nets),
        categories=_categories(),
        layers=page_layers(specs),
        popup=[{"prop": f.prop, "label": say(f.label)} for f in CHOROPLETH.popup],
        issued=issued,
        query=request.args.to_dict(),
    )


@bp.get("/dashboard/choropleth.json")
@require(Capability.DASHBOARD)
def choropleth():
    """The choropleth's grids (GeoJSON) with their figures, score, grade and colour class for one indicator."""
    filters = _filters()
    body = dashboard.choropleth(db_session(), current_principal(), filters, _level(filters), _indicator())
    return Response(body, mimetype="application/geo+json")


def _table(filters: Filters, table: str) -> tuple[list[str], list[list], list[int]]:
    """A ranking table as header and rows, in the page's language; and which columns are percentages."""
    session = db_session()
    principal = current_principal()
    texts = indicator_texts()
    head = [pgettext("dashboard", "排名"), pgettext("dashboard", "编码"), pgettext("dashboard", "名称")]
    if table == "workers":
        head.append(pgettext("dashboard", "所在网格"))
        found = dashboard.worker_ranking(session, principal, filters)
    else:
        found = dashboard.grid_ranking(session, principal, filters, _level(filters))
    head += [texts[SCORE]["name"], pgettext("dashboard", "等级"), pgettext("dashboard", "评分方案版本")]
    head += [texts[i]["name"] for i in INDICATORS]
    first_figure = len(head) - len(INDICATORS)
    rows = []
    for row in found:
        line = [row["rank"], row["code"], row["name"]]
        if table == "workers":
            line.append(row["grid_code"])
        line += [row["score"].value, row["score"].grade, row["score"].scheme_version]
        line += [row["values"][i] for i in INDICATORS]
        rows.append(line)
    percent = [first_figure + k for k, i in enumerate(INDICATORS) if INDICATORS[i].unit == "percent"]
    return head, rows, percent


def _formula_rows() -> list[list]:
    texts = indicator_texts()
    return [[i, texts[i]["name"], texts[i]["formula"], texts[i]["unit"]] for i in [*INDICATORS, SCORE]]


@bp.get("/dashboard/export.<fmt>")
@require(Capability.DASHBOARD)
def export(fmt: str):
    """A ranking table (``table=grids|workers``) as CSV or XLSX; the XLSX holds the formulas in a second sheet."""
    if fmt not in FORMATS:
        raise InvalidInput("the format must be csv or xlsx", field="format")
    table = request.args.get("table", "grids")
    if table not in TABLES:
        raise InvalidInput("table must be grids or workers", field="table")
    filters = _filters()
    head, rows, percent = _table(filters, table)
    filename = f"assessment-{filters.focus}-{filters.period_code}-{table}.{fmt}"
    headers = {"Content-Disposition": f"attachment; filename={filename}"}
    if fmt == "csv":
        return Response(csv_document(head, rows), mimetype=FORMATS["csv"], headers=headers)
    formulas = Sheet(
        pgettext("dashboard", "指标公式"),
        [
            pgettext("dashboard", "指标"),
            pgettext("dashboard", "名称"),
            pgettext("dashboard", "公式"),
            pgettext("dashboard", "单位"),
        ],
        _formula_rows(),
        widths=(24, 18, 70, 10),
    )
    figures = Sheet(
        pgettext("dashboard", "考核结果"), head, rows, widths=(6, 18, 16, *([14] * (len(head) - 3))),
        percent_columns=frozenset(percent),
    )  # fmt: skip
    return Response(xlsx_document([figures, formulas]), mimetype=FORMATS["xlsx"], headers=headers)


@bp.get("/dashboard/report")
@require(Capability.DASHBOARD)
def report():
    """The printable monthly assessment report: the issued (frozen) figures of the period, or a note that none is."""
    principal = current_principal()
    session = db_session()
    filters = _filters()
    issued = assessments.latest(session, filters.period_code, county_of(filters.focus))
    figures = assessments.figures_for(session, principal, issued) if issued else []
    return render_template(
        "dashboard/report.html",
        filters=filters,
        issued=issued,
        report=dashboard.report_tables(session, filters.focus, figures),
        texts=indicator_texts(),
        overview=organisation(session, principal),
        printed=now_utc(),
    )
