"""Domain errors and request-validation messages in the page's language.

The domain raises English templates with their values (``geo.core.errors.GridError``);
marshmallow and webargs word their own (``VALIDATION``, matched back to templates).
Their Chinese lives in the gettext domain ``errors`` (English msgids, unlike the
page catalogue ``messages``, whose msgids are Chinese): see docs/operations.md
for the commands. A template with no translation yet is answered in English.
"""

from __future__ import annotations

import re
import string
from urllib.parse import urlsplit

from flask import Response, g, jsonify, render_template, request, url_for
from flask_babel import Domain, get_locale, gettext
from flask_login import AnonymousUserMixin, current_user
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from geo.accounts.models import Role
from geo.core.errors import GridError, Problem
from geo.core.labels import Labelled
from geo.grid.models import Net
from web.page_strings import LABELLED, label_of

ERRORS = Domain(domain="errors")

#: Seconds a client is told to wait (``Retry-After``) while the database does not answer: a restart takes about this.
RETRY_AFTER_SECONDS = 30


class DatabaseUnavailable(GridError):
    """The database does not answer (stopped, restarting, unreachable or out of connections)."""

    status = 503


class RequestTooLarge(GridError):
    """A request body over the size the app accepts (werkzeug refuses it before any view runs)."""

    status = 413


#: What SQLAlchemy raises when the database cannot be reached or lost the connection (psycopg files
#: refused connections, closed sockets and admin shutdowns under OperationalError), and when every
#: pooled connection stays busy past the pool's timeout.
DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeoutError)


#: Paths read by GIS clients: JSON answers unless a browser asks for HTML (``f=html`` or its Accept header).
GIS_CLIENT_PATHS = ("/ogcapi/", "/tiles/")


def wants_json() -> bool:
    """True for API paths and clients that prefer JSON."""
    if request.path.startswith(GIS_CLIENT_PATHS):
        asked = request.args.get("f") or request.accept_mimetypes.best_match(["application/json", "text/html"])
        return asked not in ("html", "text/html")
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


class TooManyRequests(GridError):
    """A rate limit was reached (sign-in attempts, reports)."""

    status = 429


def database_unavailable(**extra: str) -> Response:
    """503 with ``Retry-After``: JSON for API clients, else a page that renders without the database."""
    message = localized_message(
        DatabaseUnavailable(
            "the database is not answering; please try again in {seconds} seconds", seconds=RETRY_AFTER_SECONDS
        )
    )
    if wants_json():
        response = jsonify({**extra, "error": message})
    else:
        # base.html asks for current_user; loading one needs the database, so a caller not yet
        # loaded (the failure may have been that load) is shown the page as anonymous.
        g.setdefault("_login_user", AnonymousUserMixin())
        response = error_page(503, message, template="errors/unavailable.html")
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _headings() -> dict[int, str]:
    return {
        400: gettext("请求有误"),
        401: gettext("请先登录"),
        403: gettext("无权访问"),
        404: gettext("找不到该页面"),
        405: gettext("不支持该操作"),
        409: gettext("内容已被他人修改"),
        413: gettext("内容过大"),
        415: gettext("文件类型不受支持"),
        422: gettext("无法完成该操作"),
        429: gettext("操作过于频繁"),
        503: gettext("服务暂时不可用"),
    }


def _same_site_referrer() -> str | None:
    """The page the caller came from, when it is one of ours (never an open redirect elsewhere)."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc != request.host or (parts.path == request.path and request.method == "GET"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def error_page(status: int, message: str, template: str = "errors/error.html", **values: object) -> Response:
    """A styled HTML error page in the page's language, scaled for phones, with a way back."""
    heading = _headings().get(status) or (gettext("请求有误") if status < 500 else gettext("服务暂时不可用"))
    home = "/" if current_user.is_authenticated else url_for("public.report_form")
    body = render_template(
        template, status=status, heading=heading, message=message, back=_same_site_referrer(), home=home, **values
    )
    return Response(body, status=status, mimetype="text/html")


def validation(message: str) -> str:
    """Mark a message of marshmallow's or webargs' own (request validation) for the ``errors`` catalogue."""
    return message


def term(context: str, word: str) -> str:
    """Mark a field or action name that error values use, for extraction into the ``errors`` catalogue."""
    return word


# What marshmallow and webargs say of a request body or query that does not fit its schema, as they word it.
VALIDATION = (
    validation("Missing data for required field."),
    validation("Field may not be null."),
    validation("Invalid value."),
    validation("Not a valid string."),
    validation("Not a valid integer."),
    validation("Not a valid number."),
    validation("Number too large."),
    validation("Special numeric values (nan or infinity) are not permitted."),
    validation("Not a valid boolean."),
    validation("Not a valid datetime."),
    validation("Not a valid aware datetime."),
    validation("Not a valid date."),
    validation("Not a valid mapping type."),
    validation("Not a valid list."),
    validation("Unknown field."),
    validation("Invalid input type."),
    validation("Invalid JSON body."),
    validation("Length must be between {min} and {max}."),
    validation("Longer than maximum length {max}."),
    validation("Shorter than minimum length {min}."),
    validation("Must be greater than or equal to {min} and less than or equal to {max}."),
    validation("Must be greater than or equal to {min}."),
    validation("Must be less than or equal to {max}."),
    validation("Must be greater than {min}."),
    validation("Must be one of: {choices}."),
    validation("String does not match expected pattern."),
)


def _pattern(template: str) -> re.Pattern:
    """A regular expression matching ``template`` once formatted, capturing its values by name."""
    parts = string.Formatter().parse(template)
    return re.compile("".join(re.escape(text) + (f"(?P<{name}>.+?)" if name else "") for text, name, _, _ in parts))


_VALIDATION_PATTERNS = [(_pattern(template), template) for template in VALIDATION]

# Field and action names as they appear in error values ("note" is both).
TERMS = (
    term("field", "title"),
    term("field", "description"),
    term("field", "address"),
    term("field", "reporter_name"),
    term("field", "reporter_phone"),
    term("field", "note"),
    term("field", "net"),
    term("field", "nets"),
    term("field", "category"),
    term("field", "channel"),
    term("field", "priority"),
    term("field", "crs"),
    term("field", "lon"),
    term("field", "lat"),
    term("field", "worker"),
    term("field", "duplicate_of"),
    term("field", "file"),
    term("field", "action"),
    term("field", "grid"),
    term("field", "level"),
    term("field", "bbox"),
    term("field", "at"),
    term("field", "generation"),
    term("field", "since"),
    term("field", "until"),
    term("field", "period"),
    term("field", "result"),
    term("field", "reopen"),
    term("field", "replaces"),
    term("field", "on"),
    term("field", "date"),
    term("field", "role"),
    term("field", "username"),
    term("field", "password"),
    term("field", "jurisdiction"),
    term("field", "geometry"),
    term("field", "target"),
    term("field", "kind"),
    term("field", "windows"),
    term("field", "windows.start"),
    term("field", "windows.end"),
    term("field", "overrides"),
    term("field", "name_zh"),
    term("field", "altitude_min_m"),
    term("field", "ends"),
    term("field", "ends_at"),
    term("field", "team_id"),
    term("field", "zone"),
    term("field", "version"),
    term("field", "page"),
    term("field", "json"),
    term("field", "per_page"),
    term("field", "format"),
    term("field", "status"),
    term("field", "overdue"),
    term("field", "assignee"),
    term("field", "sla_hours"),
    term("field", "name_en"),
    term("field", "code"),
    term("field", "is_active"),
    term("field", "parent_code"),
    term("field", "reason"),
    term("field", "effective_from"),
    term("field", "zone_id"),
    term("field", "starts_at"),
    term("field", "held_on"),
    term("field", "topic"),
    term("field", "attendance"),
    term("field", "place"),
    term("field", "branch_id"),
    term("field", "temporary_branch_id"),
    term("field", "village_branch_id"),
    term("field", "village"),
    term("field", "secretary"),
    term("field", "household_count"),
    term("field", "households"),
    term("field", "incident_tickets"),
    term("field", "grid_codes"),
    term("field", "milestones"),
    term("field", "progress"),
    term("field", "month"),
    term("field", "name"),
    term("field", "phone"),
    term("field", "under"),
    term("field", "course"),
    term("field", "hours"),
    term("field", "certificate"),
    term("field", "member"),
    term("field", "merged"),
    term("field", "lead_post"),
    term("field", "supporting_nets"),
    term("field", "supporting_forces"),
    term("field", "employment"),
    term("field", "started_on"),
    term("field", "awarded_on"),
    term("field", "organisation"),
    term("field", "per_grade"),
    term("field", "per_training_hour"),
    term("field", "per_commendation"),
    term("field", "per_sanction"),
    term("field", "force_member"),
    term("field", "body"),
    term("action", "register"),
    term("action", "dispatch"),
    term("action", "accept"),
    term("action", "resolve"),
    term("action", "verify"),
    term("action", "reopen"),
    term("action", "reject"),
    term("action", "duplicate"),
    term("action", "reassign"),
    term("action", "escalate"),
    term("action", "note"),
    term("action", "attach"),
)

# Values named like these are codes with a name of their own in each language.
_LABELLED: dict[str, type[Labelled]] = {**LABELLED, "other": Net, "roles": Role}
_TERM_CONTEXTS = {"field": "field", "action": "action", "allowed": "action"}


def localized_message(error: GridError | Problem) -> str:
    """``error``'s message in the request's language (Chinese unless English was chosen)."""
    return _localized(error.template, error.params, error.message, _lang())


def localized_details(details: object) -> object:
    """``details`` with the message of every problem in it (``Problem.as_dict``) in the request's language."""
    if isinstance(details, list):
        return [localized_details(item) for item in details]
    if not isinstance(details, dict):
        return details
    if "template" in details and "params" in details and "message" in details:
        return {**details, "message": _localized(details["template"], details["params"], details["message"], _lang())}
    return {key: localized_details(value) for key, value in details.items()}


def _lang() -> str:
    return str(get_locale())


def _localized(template: str, params: dict, english: str, lang: str) -> str:
    translated = ERRORS.gettext(template) if lang != "en" else template
    if translated == template:  # English, or no translation yet
        return english
    if not params:
        return translated
    try:
        return translated.format(**{name: _word(name, value, lang) for name, value in params.items()})
    except (KeyError, IndexError, ValueError):  # a translation naming a value the error lacks: say it in English
        return english


def _word(name: str, value: object, lang: str) -> object:
    if isinstance(value, Problem):
        return _localized(value.template, value.params, value.message, lang)
    if isinstance(value, list | tuple):
        words = [str(_word(name, item, lang)) for item in value]
        return ("；" if any(isinstance(item, Problem) for item in value) else "、").join(words)
    if name in _LABELLED and isinstance(value, str):
        try:
            return label_of(_LABELLED[name](value))
        except ValueError:
            return value
    if name in _TERM_CONTEXTS and isinstance(value, str):
        return ERRORS.pgettext(_TERM_CONTEXTS[name], value)
    return value


def localized_problems(problems: dict) -> str:
    """webargs' problems ({field: [messages]} or nested) as one line in the request's language."""
    english = str(get_locale()) == "en"
    colon, separator = (": ", "; ") if english else ("：", "；")

    def say(problem: object) -> str:
        if isinstance(problem, list):
            return " ".join(say(item) for item in problem)
        if isinstance(problem, dict):
            return separator.join(f"{name}{colon}{say(value)}" for name, value in problem.items())
        return str(problem) if english else _localized_validation(str(problem))

    return separator.join(
        f"{name if english else ERRORS.pgettext('field', name)}{colon}{say(problem)}"
        for name, problem in problems.items()
    )


def _localized_validation(message: str) -> str:
    for pattern, template in _VALIDATION_PATTERNS:
        found = pattern.fullmatch(message)
        if found:
            return ERRORS.gettext(template).format(**found.groupdict())
    return message
