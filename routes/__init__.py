"""Blueprints and the error handlers shared by them."""

from __future__ import annotations

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from extensions import LANGUAGE_COOKIE
from geo.errors import GridError
from routes import api, map_page


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _grid_error(error: GridError) -> tuple[Response, int]:
    body: dict = {"error": error.message}
    if error.field:
        body["field"] = error.field
    if error.details is not None:
        body["details"] = error.details
    return jsonify(body), error.status


def _http_error(error: HTTPException):
    if not _wants_json():
        return error
    return jsonify({"error": error.description}), error.code


def _remember_language(response: Response) -> Response:
    chosen = request.args.get("lang")
    if chosen in ("zh", "en"):
        response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def init_app(app: Flask) -> None:
    """Register every blueprint and the JSON error handlers."""
    app.register_blueprint(map_page.bp)
    app.register_blueprint(api.bp)
    app.register_error_handler(GridError, _grid_error)
    app.register_error_handler(HTTPException, _http_error)
    app.after_request(_remember_language)
