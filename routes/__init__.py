"""Blueprints and the error handlers shared by them."""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import urlencode

from flask import Flask, Response, current_app, jsonify, request
from flask_babel import get_locale, gettext
from werkzeug.exceptions import HTTPException

from extensions import LANGUAGE_COOKIE, db, openapi
from geo.accounts.models import Role
from geo.core.calendar import COUNTY_TZ
from geo.core.errors import GridError
from geo.dispatch.statuses import Status
from geo.grid.models import Grid, Net
from routes import (
    admin,
    api,
    assessment_pages,
    assessments,
    auth,
    dashboard,
    dispatch,
    evaluation,
    incidents,
    map_page,
    ogcapi,
    open311,
    party,
    patrol,
    plan,
    tiles,
    workforce,
)
from routes import public as public_pages
from web import access, input_rules, request_log, security_headers
from web.errors import (
    DATABASE_DOWN,
    RequestTooLarge,
    TooManyRequests,
    database_unavailable,
    error_page,
    localized_details,
    localized_message,
    localized_problems,
    wants_json,
)
from web.maps import say
from web.page_strings import LABELLED, hotspot_note, label_of, page_strings
from web.titles import served_name

#: An error answer never echoes megabytes back: longer messages are cut, larger details left out.
MAX_ERROR_MESSAGE_CHARS = 2000
MAX_ERROR_DETAILS_CHARS = 2_000_000


def _grid_error(error: GridError):
    message = localized_message(error)[:MAX_ERROR_MESSAGE_CHARS]
    if not wants_json():
        return error_page(error.status, message)
    body: dict = {"error": message}
    if error.field:
        body["field"] = error.field
    if error.details is not None and len(json.dumps(error.details, default=str)) <= MAX_ERROR_DETAILS_CHARS:
        body["details"] = localized_details(error.details)
    return jsonify(body), error.status


def _database_down(error: Exception) -> Response:
    # One line, no traceback: an outage would otherwise fill the log with identical stacks.
    current_app.logger.warning("database unavailable: %s", str(getattr(error, "orig", error)).splitlines()[0])
    db.session.rollback()
    return database_unavailable()


def _http_error(error: HTTPException):
    if isinstance(error, input_rules.PathValueError):
        return _grid_error(error.problem)
    # The exception's own headers (Allow on a 405), less the HTML content type the JSON answer replaces.
    headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
    body: dict = {"error": error.description}
    if error.code == 429:
        body["error"] = localized_message(
            TooManyRequests("too many attempts ({limit}); wait a little and try again", limit=error.description)
        )
        if not wants_json():
            return _with_headers(error_page(429, body["error"]), headers)
    if error.code == 413 and request.max_content_length:
        body["error"] = localized_message(
            RequestTooLarge(
                "the request is larger than the {megabytes} MB accepted here",
                megabytes=request.max_content_length // (1024 * 1024),
            )
        )
    data = getattr(error, "data", None)
    messages = data.get("messages") if isinstance(data, dict) else None
    if messages:
        # Validation errors from webargs: {"json": {"title": ["Missing data for required field."]}}.
        problems: dict = {}
        for location, found in messages.items():
            # Per field ({"title": [...]}) or for the whole body (["Invalid JSON body."]).
            problems.update(found if isinstance(found, dict) else {location: found})
        body["error"] = localized_problems(problems)
        body["field"] = next(iter(problems))
        body["details"] = problems
    if not wants_json():
        message = body["error"] if messages or error.code == 413 else _http_message(error.code or 500)
        return _with_headers(error_page(error.code or 500, message), headers)
    return jsonify(body), error.code, headers


def _with_headers(response: Response, headers: list[tuple[str, str]]) -> Response:
    for name, value in headers:
        response.headers[name] = value
    return response


def _http_message(code: int) -> str:
    """What a page says of an HTTP error werkzeug raised (its own descriptions are English only)."""
    messages = {
        400: gettext("请求的内容不完整或格式不对，请返回修改后再试。"),
        401: gettext("请先登录再访问此页面。"),
        403: gettext("您的账号无权进行此操作；如有需要，请联系管理员。"),
        404: gettext("您要找的页面或记录不存在，或不在您的管辖范围内。"),
        405: gettext("此页面不支持该操作。"),
        409: gettext("内容已被他人修改，请刷新后再试。"),
    }
    return messages.get(code, gettext("出了点问题，请稍后再试。"))


def _remember_language(response: Response) -> Response:
    chosen = request.args.get("lang")
    if chosen in ("zh", "en"):
        response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def _template_helpers() -> dict:
    lang = str(get_locale())

    def query_with(**changes) -> str:
        """The current query string with some parameters replaced (for pagers)."""
        args = request.args.to_dict()
        args.update({key: str(value) for key, value in changes.items()})
        return urlencode(args)

    return {
        "lang": lang,  # base.html's <html lang>, which our scripts read to pick their language
        "role_label": lambda role: label_of(Role(role)),
        "status_label": lambda status: label_of(Status(status)),
        "page_strings": page_strings,
        "hotspot_note": hotspot_note,
        "query_with": query_with,
        "say": say,
        "served_name": served_name,  # the header's county (or prefecture), from the data
    }


def _local_time(value: str | datetime | None) -> str:
    """An ISO time as the county reads it (China Standard Time), ``YYYY-MM-DD HH:MM``; empty for none."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(COUNTY_TZ).strftime("%Y-%m-%d %H:%M")


def _net_label(net: str) -> str:
    return label_of(Net(net))


def _grid_name(grid: Grid) -> str:
    """A grid's name in the page's language: ``{{ county | grid_name }}`` (its Chinese name where it has no other)."""
    return grid.name_en if str(get_locale()) == "en" and grid.name_en else grid.name_zh


def _label(code: str, kind: str) -> str:
    """A code's name in the page's language: ``{{ zone.kind | label("zone_kind") }}``."""
    return label_of(LABELLED[kind](code))


def init_app(app: Flask) -> None:
    """Register every blueprint, the security headers and the JSON error handlers."""
    request_log.init_app(app)  # first, so its clock starts before any other check
    access.init_app(app)
    security_headers.init_app(app)
    input_rules.init_app(app)  # after access, which sets the body size limit before anything reads the body
    openapi.init_app(app)
    openapi.register_blueprint(incidents.blp)
    openapi.register_blueprint(plan.blp)
    openapi.register_blueprint(evaluation.blp)
    openapi.register_blueprint(patrol.blp)
    openapi.register_blueprint(api.blp)
    openapi.register_blueprint(assessments.blp)
    openapi.register_blueprint(tiles.blp)
    openapi.register_blueprint(party.blp)
    openapi.register_blueprint(workforce.blp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(map_page.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(dispatch.bp)
    app.register_blueprint(plan.pages)
    app.register_blueprint(patrol.pages)
    app.register_blueprint(public_pages.bp)
    app.register_blueprint(open311.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(assessment_pages.bp)
    app.register_blueprint(ogcapi.bp)
    app.register_blueprint(party.pages)
    app.register_blueprint(workforce.pages)
    # After flask-smorest's own handlers, so these answer for every blueprint alike.
    app.register_error_handler(GridError, _grid_error)
    app.register_error_handler(HTTPException, _http_error)
    for database_down in DATABASE_DOWN:
        app.register_error_handler(database_down, _database_down)
    app.after_request(_remember_language)
    app.context_processor(_template_helpers)
    app.add_template_filter(_net_label, "net_label")
    app.add_template_filter(_label, "label")
    app.add_template_filter(_grid_name, "grid_name")
    app.add_template_filter(_local_time, "local_time")
