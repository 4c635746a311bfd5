"""The OGC API – Features answers: the standard's documents, links, media types and exception JSON.

The blueprint (routes/ogcapi.py) calls the domain (geo/publishing/features.py) and hands the
result here, which turns it into the JSON the standard describes or the same as an HTML page.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from flask import Response, jsonify, render_template, request, url_for
from flask_babel import gettext

from geo.core.errors import GridError, InvalidInput
from geo.publishing.features import (
    COLLECTIONS,
    CRS84,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    SUPPORTED_CRS,
    Collection,
    FeaturePage,
)
from web.errors import localized_message
from web.maps import say
from web.titles import served_name

GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
)
GREGORIAN = "http://www.opengis.net/def/uri/ISO-8601/0/Gregorian"


def wants_html() -> bool:
    """``f=html`` or ``f=json`` decide; without ``f``, a browser (preferring HTML) gets HTML."""
    chosen = request.args.get("f", "")
    if chosen not in ("", "json", "html"):
        raise InvalidInput("{field} must be json or html, got {value!r}", field="f", value=chosen[:20])
    if chosen:
        return chosen == "html"
    return request.accept_mimetypes.best_match([JSON, GEOJSON, HTML]) == HTML


def here(**changes: object) -> str:
    """The current URL with some query parameters replaced (None removes one)."""
    args = request.args.to_dict()
    for name, value in changes.items():
        if value is None:
            args.pop(name, None)
        else:
            args[name] = str(value)
    query = urlencode(args)
    return request.base_url + (f"?{query}" if query else "")


def self_links(json_type: str = JSON) -> list[dict]:
    """``self`` and ``alternate`` for the document being answered, in whichever form was asked."""
    html = wants_html()
    return [
        {"href": here(f="html" if html else "json"), "rel": "self", "type": HTML if html else json_type},
        {"href": here(f="json" if html else "html"), "rel": "alternate", "type": json_type if html else HTML},
    ]


def service_title() -> str:
    """The service's name, after the county (or prefecture) the data serves, in the caller's language."""
    name = served_name()
    return gettext("%(area)s网格开放数据服务", area=name) if name else gettext("网格开放数据服务")


def answer(document: dict, template_kind: str, *, media_type: str = JSON, headers: Mapping[str, str] | None = None):
    """The document as JSON of ``media_type``, or rendered in the page template for ``f=html``."""
    if wants_html():
        page = render_template("ogcapi/page.html", kind=template_kind, doc=document, service=service_title())
        response = Response(page)
    else:
        response = jsonify(document)
        response.mimetype = media_type
    response.headers.update(headers or {})
    return response


def landing() -> dict:
    return {
        "title": service_title(),
        "description": gettext("按 OGC API – Features 标准提供您辖区内的网格、季节性区域和事件"),
        "links": [
            *self_links(),
            {"href": url_for("ogcapi.conformance", _external=True), "rel": "conformance", "type": JSON},
            {
                "href": url_for("ogcapi.conformance", _external=True),
                "rel": "http://www.opengis.net/def/rel/ogc/1.0/conformance",
                "type": JSON,
            },
            {"href": url_for("ogcapi.api", _external=True), "rel": "service-desc", "type": OPENAPI},
            {"href": url_for("ogcapi.collections", _external=True), "rel": "data", "type": JSON},
            {
                "href": url_for("ogcapi.collections", _external=True),
                "rel": "http://www.opengis.net/def/rel/ogc/1.0/data",
            },
        ],
    }


def conformance() -> dict:
    return {"conformsTo": list(CONFORMANCE), "links": self_links()}


def _collection_url(collection: Collection) -> str:
    return url_for("ogcapi.collection", collection_id=collection.id, _external=True)


def collection_document(
    collection: Collection,
    bbox: tuple[float, float, float, float] | None,
    interval: tuple[str | None, str | None] | None,
) -> dict:
    items = url_for("ogcapi.items", collection_id=collection.id, _external=True)
    extent: dict = {"spatial": {"bbox": [list(bbox)] if bbox else [[-180, -90, 180, 90]], "crs": CRS84}}
    if interval is not None:
        extent["temporal"] = {"interval": [list(interval)], "trs": GREGORIAN}
    return {
        "id": collection.id,
        "title": say(collection.title),
        "description": say(collection.description),
        "itemType": "feature",
        "extent": extent,
        "crs": list(SUPPORTED_CRS),
        "storageCrs": CRS84,
        "links": [
            {"href": _collection_url(collection), "rel": "self", "type": JSON},
            {"href": items, "rel": "items", "type": GEOJSON},
            {"href": items + "?f=html", "rel": "items", "type": HTML},
        ],
    }


def items_document(collection: Collection, page: FeaturePage, offset: int, limit: int) -> dict:
    links = [
        *self_links(GEOJSON),
        {"href": _collection_url(collection), "rel": "collection", "type": JSON},
    ]
    if offset + page.number_returned < page.number_matched:
        links.append({"href": here(offset=offset + limit), "rel": "next", "type": GEOJSON})
    if offset > 0:
        links.append({"href": here(offset=max(offset - limit, 0) or None), "rel": "prev", "type": GEOJSON})
    return {
        "type": "FeatureCollection",
        "id": collection.id,
        "title": say(collection.title),
        "features": page.features,
        "numberMatched": page.number_matched,
        "numberReturned": page.number_returned,
        "links": links,
    }


def item_document(collection: Collection, feature: dict) -> dict:
    return {
        **feature,
        "links": [
            *self_links(GEOJSON),
            {"href": _collection_url(collection), "rel": "collection", "type": JSON},
        ],
    }


def content_crs(crs: str) -> dict[str, str]:
    return {"Content-Crs": f"<{crs}>"}


def exception(error: GridError) -> Response:
    """The standard's exception JSON (``code``, ``description``), in the request's language."""
    response = jsonify({"code": type(error).__name__, "description": localized_message(error)})
    response.status_code = error.status
    return response


def openapi_document() -> dict:
    """The service's OpenAPI 3.0 document (oas30 conformance class)."""
    collection_ids = list(COLLECTIONS)

    def parameter(name: str, description: str, schema: dict, where: str = "query", required: bool = False) -> dict:
        return {"name": name, "in": where, "description": description, "required": required, "schema": schema}

    f = parameter("f", "json or html", {"type": "string", "enum": ["json", "html"]})
    collection_id = parameter("collectionId", "a collection", {"type": "string", "enum": collection_ids}, "path", True)
    items_parameters = [
        collection_id,
        f,
        parameter(
            "limit",
            f"features per page (above {MAX_LIMIT} taken as {MAX_LIMIT})",
            {"type": "integer", "minimum": 1, "default": DEFAULT_LIMIT},
        ),
        parameter("offset", "features to skip (the next link carries it)", {"type": "integer", "minimum": 0}),
        {
            **parameter("bbox", "west,south,east,north (in bbox-crs)", {"type": "array", "items": {"type": "number"}}),
            "style": "form",
            "explode": False,
        },
        parameter("bbox-crs", "the bbox's CRS", {"type": "string", "enum": list(SUPPORTED_CRS)}),
        parameter("crs", "the answer's CRS", {"type": "string", "enum": list(SUPPORTED_CRS)}),
        parameter("datetime", "an RFC 3339 instant or interval (start/end, '..' open)", {"type": "string"}),
    ]
    geojson = {GEOJSON: {"schema": {"type": "object"}}, HTML: {"schema": {"type": "string"}}}
    exception_answer = {
        "description": "an exception (code, description)",
        "content": {
            JSON: {
                "schema": {
                    "type": "object",
                    "required": ["code"],
                    "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
                }
            }
        },
    }

    def operation(summary: str, parameters: list[dict], content: dict, operation_id: str) -> dict:
        return {
            "get": {
                "summary": summary,
                "operationId": operation_id,
                "parameters": parameters,
                "responses": {
                    "200": {"description": summary, "content": content},
                    "400": exception_answer,
                    "401": exception_answer,
                    "404": exception_answer,
                },
            }
        }

    json_content = {JSON: {"schema": {"type": "object"}}, HTML: {"schema": {"type": "string"}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Deqin grid OGC API – Features", "version": "1.0.0"},
        "servers": [{"url": url_for("ogcapi.landing", _external=True).rstrip("/")}],
        "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
        "security": [{"token": []}],
        "paths": {
            "/": operation("landing page", [f], json_content, "getLandingPage"),
            "/conformance": operation("conformance classes", [f], json_content, "getConformanceDeclaration"),
            "/api": operation("this document", [], {OPENAPI: {"schema": {"type": "object"}}}, "getAPI"),
            "/collections": operation("the collections", [f], json_content, "getCollections"),
            "/collections/{collectionId}": operation(
                "one collection", [collection_id, f], json_content, "describeCollection"
            ),
            "/collections/{collectionId}/items": operation("features", items_parameters, geojson, "getFeatures"),
            "/collections/{collectionId}/items/{featureId}": operation(
                "one feature",
                [
                    collection_id,
                    parameter("featureId", "the feature's id", {"type": "string"}, "path", True),
                    f,
                    parameter("crs", "the answer's CRS", {"type": "string", "enum": list(SUPPORTED_CRS)}),
                ],
                geojson,
                "getFeature",
            ),
        },
    }
