"""OGC API – Features (Part 1 Core with GeoJSON and HTML, Part 2 CRS) at /ogcapi/, for desktop GIS.

QGIS, ArcGIS Pro, GDAL and OWSLib read it with the same bearer tokens as the JSON API (a
signed-in browser session works too); without either, only the landing page and the
conformance declaration answer.

We serve the standard ourselves rather than through pygeoapi, the reference implementation
whose shape this follows: pygeoapi's providers are configured once per collection and query
a table for every caller alike, with no way to carry the caller into the query. Our reads
differ per request — the jurisdiction (``Principal.scope``), the religious net seen only by
those holding it, phones and reporters never — and those rules live in the domain's queries.
A provider that re-implemented them would be a second place for each rule; calling the
domain (geo/publishing) keeps one.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from extensions import db_session
from geo.core.errors import GridError, InvalidInput
from geo.publishing.features import (
    COLLECTIONS,
    get_collection,
    item,
    items,
    items_request,
    parse_crs,
    spatial_extent,
    temporal_extent,
)
from web import ogcapi
from web.access import current_principal, public

bp = Blueprint("ogcapi", __name__, url_prefix="/ogcapi")


@bp.errorhandler(GridError)
def _exception(error: GridError):
    return ogcapi.exception(error)


@bp.get("/")
@public
def landing():
    return ogcapi.answer(ogcapi.landing(), "landing")


@bp.get("/conformance")
@public
def conformance():
    return ogcapi.answer(ogcapi.conformance(), "conformance")


@bp.get("/api")
def api():
    response = jsonify(ogcapi.openapi_document())
    response.mimetype = "application/vnd.oai.openapi+json"
    return response


@bp.get("/collections")
def collections():
    session, principal = db_session(), current_principal()
    bbox = spatial_extent(session, principal)
    documents = [ogcapi.collection_document(c, bbox, temporal_extent(session, c)) for c in COLLECTIONS.values()]
    return ogcapi.answer({"collections": documents, "links": ogcapi.self_links()}, "collections")


@bp.get("/collections/<collection_id>")
def collection(collection_id: str):
    session, principal = db_session(), current_principal()
    chosen = get_collection(collection_id)
    document = ogcapi.collection_document(chosen, spatial_extent(session, principal), temporal_extent(session, chosen))
    document["links"] = [*ogcapi.self_links(), *document["links"][1:]]
    return ogcapi.answer(document, "collection")


@bp.get("/collections/<collection_id>/items", endpoint="items")
def features(collection_id: str):
    chosen = get_collection(collection_id)
    asked = items_request(chosen, request.args.to_dict())
    page = items(db_session(), current_principal(), chosen, asked)
    return ogcapi.answer(
        ogcapi.items_document(chosen, page, asked.offset, asked.limit),
        "items",
        media_type=ogcapi.GEOJSON,
        headers=ogcapi.content_crs(asked.crs),
    )


@bp.get("/collections/<collection_id>/items/<feature_id>")
def feature(collection_id: str, feature_id: str):
    chosen = get_collection(collection_id)
    unknown = sorted(set(request.args) - {"f", "lang", "crs"})
    if unknown:
        raise InvalidInput("unknown parameter {names}", field=unknown[0], names=unknown[:5])
    crs = parse_crs(request.args.get("crs"))
    found = item(db_session(), current_principal(), chosen, feature_id, crs)
    return ogcapi.answer(
        ogcapi.item_document(chosen, found), "item", media_type=ogcapi.GEOJSON, headers=ogcapi.content_crs(crs)
    )
