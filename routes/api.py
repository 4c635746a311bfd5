"""The JSON API: grid outlines, grid details and point lookups, all within the caller's jurisdiction."""

from __future__ import annotations

from flask import Response, current_app, jsonify, request
from marshmallow import Schema, fields

from extensions import db, db_session, limiter, reads_outside_transaction
from geo.accounts.capabilities import Capability
from geo.atlas.lookup import lookup_point, parse_coordinates
from geo.atlas.outlines import (
    admin_areas_geojson,
    grid_detail,
    grid_layer_geojson,
    jurisdiction_summary,
    parse_bbox,
    parse_level,
    parse_net,
)
from geo.core.clock import now_utc
from geo.core.crs import parse_source_crs, to_wgs84
from geo.core.errors import InvalidInput
from geo.core.jobs import status
from geo.grid.boundaries import generation_as_of
from geo.public.contacts import published_fields, set_published
from ops.scheduler import JOBS
from web import answers
from web.access import current_principal, public, require
from web.answers import GEOJSON, FeatureCollection
from web.errors import DATABASE_DOWN, database_unavailable
from web.input_rules import ApiBlueprint, Day, Id
from web.replica import reads_primary, replica_of

blp = ApiBlueprint("api", __name__, url_prefix="/api", description="Grid outlines, grid details and point lookups")


class AsOfArgs(Schema):
    at = Day(metadata={"description": "the generation in force on this day"})
    generation = Id(metadata={"description": "a generation by id"})


class GridArgs(AsOfArgs):
    level = fields.String(required=True, metadata={"description": "county, township, village or group"})
    bbox = fields.String(metadata={"description": "minlon,minlat,maxlon,maxlat"})
    net = fields.String(metadata={"description": "social, religious or rural: only grids with that net's workers"})


class ContactFields(Schema):
    name = fields.Boolean(metadata={"description": "publish grid workers' names"})
    post = fields.Boolean(metadata={"description": "publish their posts"})
    phone = fields.Boolean(metadata={"description": "publish their phone numbers"})


class LookupArgs(AsOfArgs):
    lon = fields.String(required=True, metadata={"description": "longitude, decimal degrees"})
    lat = fields.String(required=True, metadata={"description": "latitude, decimal degrees"})
    crs = fields.String(metadata={"description": "wgs84 (default), gcj02 or bd09"})


#: One instance for every lookup: given the class, webargs builds a schema per request (0.05 ms of 1).
LOOKUP_ARGS = LookupArgs()


def _generation_arg(args: dict) -> int | None:
    """The generation asked for: ``generation=<id>``, or the one in force on ``at=<YYYY-MM-DD>``."""
    day = args.get("at")
    if day:
        generation = generation_as_of(db_session(), day)
        if generation is None:
            raise InvalidInput("no grid boundaries were in force on {day}", field="at", day=day)
        return generation
    return args.get("generation")


@blp.route("/health", methods=["GET"])
@blp.response(200, answers.Health)
@public
@reads_primary
@limiter.limit("120 per minute")
def health():
    """200 when the app and its (primary) database respond, with each scheduled job's last and next run and
    the read replica's state (reachable, replay lag; reads fall back to the primary without it); else 503."""
    try:
        jobs = status(db_session(), JOBS, now_utc())
    except DATABASE_DOWN:
        db.session.rollback()
        return database_unavailable(status="unavailable")
    scheduler = [{key: job[key] for key in ("job", "last_run", "ok", "next_run")} for job in jobs]
    replica = replica_of(current_app)
    return jsonify(
        {
            "status": "ok",
            "database": "ok",
            "scheduler": scheduler,
            "replica": None if replica is None else replica.health(),
        }
    )


@blp.route("/grids", methods=["GET"])
@blp.arguments(GridArgs, location="query")
@blp.response(200, FeatureCollection, content_type=GEOJSON)
def grids(args):
    """Grid outlines of one level as GeoJSON, optionally within a bbox or for one net."""
    level = parse_level(args["level"])
    bbox = parse_bbox(args.get("bbox"))
    net = parse_net(args.get("net"))
    body = grid_layer_geojson(db_session(), level, current_principal(), bbox, _generation_arg(args), net)
    return Response(body, mimetype=GEOJSON)


@blp.route("/grids/<code>", methods=["GET"])
@blp.response(200, answers.GridDetail)
def grid(code: str):
    """One grid with its workers (contact data included) and party branch."""
    return jsonify(grid_detail(db_session(), code, current_principal()))


@blp.route("/summary", methods=["GET"])
@blp.response(200, answers.Summary)
def summary():
    """Counts of grids, workers per net and branches in the caller's jurisdiction."""
    return jsonify(jurisdiction_summary(db_session(), current_principal()))


@blp.route("/county", methods=["GET"])
@blp.response(200, FeatureCollection, content_type=GEOJSON)
def county():
    """The real outlines of the counties served (Deqin in the demo) as GeoJSON."""
    return Response(admin_areas_geojson(db_session(), home=True), mimetype=GEOJSON)


@blp.route("/neighbours", methods=["GET"])
@blp.response(200, FeatureCollection, content_type=GEOJSON)
def neighbours():
    """Real outlines of the counties bordering those served (Deqin's eight in the demo) as GeoJSON."""
    return Response(admin_areas_geojson(db_session(), home=False), mimetype=GEOJSON)


@blp.route("/lookup", methods=["GET"])
@blp.arguments(LOOKUP_ARGS, location="query")
@blp.response(200, answers.Lookup)
@reads_outside_transaction
def lookup(args):
    """The grid chain covering a point (``lon``, ``lat``; ``crs`` = wgs84|gcj02|bd09; ``at`` or ``generation``)."""
    source = parse_source_crs(args.get("crs"))
    lon, lat = parse_coordinates(args["lon"], args["lat"])
    lon, lat = (float(v) for v in to_wgs84(lon, lat, source))
    principal = current_principal()
    result = lookup_point(db_session(), lon, lat, principal, _generation_arg(args))
    return jsonify(result.as_dict(principal))


@blp.route("/public/contact-fields", methods=["GET"])
@blp.response(200, ContactFields)
@require(Capability.PUBLIC_CONTACTS)
def contact_fields():
    """Which grid workers' fields the public pages (/grid, the boards) show; by default name and post."""
    return jsonify(published_fields(db_session()))


@blp.route("/public/contact-fields", methods=["PATCH"])
@blp.arguments(ContactFields)
@blp.response(200, ContactFields)
@require(Capability.PUBLIC_CONTACTS)
def change_contact_fields(body):
    """Publish or withdraw grid workers' fields on the public pages (county admins); audited."""
    chosen = set_published(db_session(), current_principal(), body, address=request.remote_addr)
    db.session.commit()
    return jsonify(chosen)
