"""The JSON API: grid outlines, grid details and point lookups, all within the caller's jurisdiction."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import text

from extensions import db, limiter
from geo.atlas import (
    admin_areas_geojson,
    grid_detail,
    grid_layer_geojson,
    jurisdiction_summary,
    parse_bbox,
    parse_level,
    parse_net,
)
from geo.boundaries import generation_as_of
from geo.crs import parse_source_crs, to_wgs84
from geo.errors import InvalidInput
from geo.lookup import lookup_point, parse_coordinates
from routes.access import current_principal, public
from routes.errors import DATABASE_DOWN, database_unavailable

bp = Blueprint("api", __name__, url_prefix="/api")

GEOJSON = "application/geo+json"


def _generation_arg() -> int | None:
    """The generation asked for: ``generation=<id>``, or the one in force on ``at=<YYYY-MM-DD>``."""
    day = request.args.get("at")
    if day:
        try:
            parsed = date.fromisoformat(day)
        except ValueError:
            raise InvalidInput(
                "{field} must be a date like 2026-06-01, got {value!r}", field="at", value=day[:40]
            ) from None
        generation = generation_as_of(db.session, parsed)
        if generation is None:
            raise InvalidInput("no grid boundaries were in force on {day}", field="at", day=parsed)
        return generation
    raw = request.args.get("generation")
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise InvalidInput("{field} must be a positive integer, got {value!r}", field="generation", value=raw[:40])
    return int(raw)


@bp.get("/health")
@public
@limiter.limit("120 per minute")
def health():
    """Answer 200 when the app and its database respond, else 503 with ``status: unavailable``."""
    try:
        db.session.execute(text("SELECT 1"))
    except DATABASE_DOWN:
        db.session.rollback()
        return database_unavailable(status="unavailable")
    return jsonify({"status": "ok"})


@bp.get("/grids")
def grids():
    """Grid outlines of one level as GeoJSON, optionally within a bbox or for one net."""
    level = parse_level(request.args.get("level"))
    bbox = parse_bbox(request.args.get("bbox"))
    net = parse_net(request.args.get("net"))
    body = grid_layer_geojson(db.session, level, current_principal(), bbox, _generation_arg(), net)
    return Response(body, mimetype=GEOJSON)


@bp.get("/grids/<code>")
def grid(code: str):
    """One grid with its workers (contact data included) and party branch."""
    return jsonify(grid_detail(db.session, code, current_principal()))


@bp.get("/summary")
def summary():
    """Counts of grids, workers per net and branches in the caller's jurisdiction."""
    return jsonify(jurisdiction_summary(db.session, current_principal()))


@bp.get("/county")
def county():
    """The real outline of Deqin County as GeoJSON."""
    return Response(admin_areas_geojson(db.session, home=True), mimetype=GEOJSON)


@bp.get("/neighbours")
def neighbours():
    """Real outlines of the eight neighbouring counties as GeoJSON."""
    return Response(admin_areas_geojson(db.session, home=False), mimetype=GEOJSON)


@bp.get("/lookup")
def lookup():
    """The grid chain covering a point (``lon``, ``lat``; ``crs`` = wgs84|gcj02|bd09; ``at`` or ``generation``)."""
    try:
        source = parse_source_crs(request.args.get("crs"))
    except ValueError as error:
        raise InvalidInput(str(error), field="crs") from None
    lon, lat = parse_coordinates(request.args.get("lon"), request.args.get("lat"))
    lon, lat = (float(v) for v in to_wgs84(lon, lat, source))
    principal = current_principal()
    result = lookup_point(db.session, lon, lat, principal, _generation_arg())
    return jsonify(result.as_dict(principal))
