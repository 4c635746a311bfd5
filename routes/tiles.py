"""Vector tiles (Mapbox Vector Tile) of the grid levels and the incidents, for layers too big for GeoJSON."""

from __future__ import annotations

import hashlib

from flask import Response, current_app, request
from marshmallow import fields, validate

from extensions import db_session
from geo.core.clock import now_utc
from geo.core.errors import NotFound
from geo.dispatch.views import IncidentFilter
from geo.publishing import tile_packs
from geo.publishing.tiles import check_tile, grid_tile, incident_tile
from routes.incidents import ListArgs
from web.access import current_principal
from web.input_rules import ApiBlueprint, Day

MVT = "application/vnd.mapbox-vector-tile"
#: Outlines change only when a plan is activated; cases change all the time. Private: each caller's view differs.
CACHE_SECONDS = {"grids": 300, "incidents": 30}

blp = ApiBlueprint("tiles", __name__, url_prefix="/tiles", description="Vector tiles of grid levels and incidents")


class TileArgs(ListArgs):
    """The console's incident filters, and for the grid layers the day whose outlines to show."""

    class Meta:
        exclude = ("page", "per_page", "format", "exact_total", "sort")

    date = Day(load_default=None, metadata={"description": "grid layers: the outlines in force on this day"})
    v = fields.Integer(
        load_default=None,
        validate=validate.Range(min=0),
        metadata={"description": "incidents: the change number the map has seen (a new one asks past its cache)"},
    )


@blp.route("/<layer>/<int:z>/<int:x>/<int:y>.mvt", methods=["GET"])
@blp.arguments(TileArgs, location="query")
@blp.response(200, content_type=MVT)
def tile(args, layer: str, z: int, x: int, y: int):
    """One tile of ``townships``, ``villages``, ``groups`` (as of ``date``) or ``incidents`` (the console's filters)."""
    check_tile(layer, z, x, y)
    session, principal = db_session(), current_principal()
    if layer == "incidents":
        filters = IncidentFilter(**{name: args[name] for name in IncidentFilter.__dataclass_fields__})
        body = incident_tile(session, principal, filters, z, x, y, now_utc())
    else:
        body = grid_tile(session, principal, layer, z, x, y, args["date"])
    response = Response(body, mimetype=MVT)
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    response.cache_control.private = True
    response.cache_control.max_age = CACHE_SECONDS["incidents" if layer == "incidents" else "grids"]
    response.vary.update(("Authorization", "Cookie"))
    return response.make_conditional(request)


@blp.route("/<pack>/<int:z>/<int:x>/<int:y>", methods=["GET"])
@blp.response(200, content_type="image/png")
def pack_tile(pack: str, z: int, x: int, y: int):
    """One raster tile of a base-map pack the operator put in GRIDMAP_TILE_PACKS (MBTiles), for signed-in users."""
    current_principal()  # signed in: the county's licensed tiles are not for anyone on the internet
    found = tile_packs.tile(current_app.config["TILE_PACKS"], pack, z, x, y)
    if found is None:
        raise NotFound("no tile {z}/{x}/{y} in base map {pack}", z=z, x=x, y=y, pack=pack[:40])
    body, mimetype = found
    response = Response(body, mimetype=mimetype)
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    response.cache_control.private = True
    response.cache_control.max_age = 86400  # a pack changes when the operator replaces the file
    return response.make_conditional(request)
