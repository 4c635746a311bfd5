"""Open311 GeoReport v2 at /open311/v2/: each route reads the specification's parameters and answers its fields."""

from __future__ import annotations

from flask import Blueprint, current_app, request, url_for
from flask_babel import get_locale, gettext

from extensions import db, db_session, limiter
from geo.core.errors import GridError, InvalidInput
from geo.dispatch.models import IncidentCategory
from geo.grid.models import Net
from geo.public import open311
from geo.public.reports import Receipt, ResidentReport, submit_report
from geo.public.tracking import PublicCase
from web.access import keyed, public
from web.errors import localized_message
from web.maps import say
from web.open311 import answer, errors, iso
from web.titles import served_name

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
FORMAT = "<any(xml,json):fmt>"
#: The attribute a client may send instead of a position: the villager group's code.
GROUP_ATTRIBUTE = "group"


def _fmt() -> str:
    return (request.view_args or {}).get("fmt") or ("json" if request.path.endswith(".json") else "xml")


@bp.errorhandler(GridError)
def _refused(problem: GridError):
    db.session.rollback()
    status = problem.status if problem.status in (403, 404) else 400
    return errors(status, localized_message(problem), _fmt())


def _params() -> dict[str, str]:
    """Query and form parameters; an empty one is the same as an absent one."""
    merged = {**request.args.to_dict(), **request.form.to_dict()}
    return {name: value.strip() for name, value in merged.items() if value.strip()}


@bp.before_request
def _jurisdiction():
    open311.check_jurisdiction(db_session(), _params().get("jurisdiction_id"))


def _contact() -> str:
    """Who answers for the endpoint: as configured, or the grid centre of the county (or prefecture) served."""
    return current_app.config["OPEN311_CONTACT"] or gettext("%(area)s网格化服务管理中心", area=served_name())


@bp.get(f"/discovery.{FORMAT}")
@public
@limiter.limit("120 per minute")
def discovery(fmt: str):
    """Where this endpoint is and what it speaks."""
    endpoint = url_for("open311.discovery", fmt=fmt, _external=True).rsplit("/", 1)[0] + "/"
    return answer(
        {
            "changeset": "2026-12-02T00:00:00+08:00",
            "contact": _contact(),
            "key_service": current_app.config["OPEN311_KEY_SERVICE"],
            "endpoints": [
                {
                    "specification": "http://wiki.open311.org/GeoReport_v2",
                    "url": endpoint,
                    "changeset": "2026-12-02T00:00:00+08:00",
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
        fmt,
        root="discovery",
    )


def _service(category: IncidentCategory) -> dict:
    en = str(get_locale()) == "en"
    return {
        "service_code": category.code,
        "service_name": category.name_en if en else category.name_zh,
        "description": category.name_zh if en else category.name_en,
        "metadata": True,
        "type": "realtime",
        "keywords": f"{category.net},{category.code}",
        "group": say(Net(category.net).label),
    }


@bp.get(f"/services.{FORMAT}")
@public
@limiter.limit("120 per minute")
def services(fmt: str):
    """The public categories, one service each; group = the net's name."""
    return answer([_service(c) for c in open311.services(db_session())], fmt, root="services", item="service")


@bp.get(f"/services/<code>.{FORMAT}")
@public
@limiter.limit("120 per minute")
def service_definition(code: str, fmt: str):
    """A service's attributes: the villager group, for a client that has no position."""
    category = open311.service(db_session(), code)
    return answer(
        {
            "service_code": category.code,
            "attributes": [
                {
                    "variable": True,
                    "code": GROUP_ATTRIBUTE,
                    "datatype": "string",
                    "required": False,
                    "datatype_description": "villager group code, 15 digits (e.g. 533422101001001); "
                    "instead of lat/long",
                    "order": 1,
                    "description": "村民小组 villager group",
                    "values": [],
                }
            ],
        },
        fmt,
        root="service_definition",
    )


def _request(case: PublicCase, notes: bool) -> dict:
    en = str(get_locale()) == "en"
    record: dict[str, object] = {
        "service_request_id": case.ticket,
        "status": open311.open311_status(case),
        "status_notes": say(case.plain_status) + (f": {case.refusal}" if case.refusal else ""),
        "service_name": case.category.name_en if en else case.category.name_zh,
        "service_code": case.category.code,
        "description": None,
        "agency_responsible": case.place_name("en" if en else "zh"),
        "service_notice": None,
        "requested_datetime": iso(case.reported_at),
        "updated_datetime": iso(case.updated_at),
        "expected_datetime": iso(case.due_at),
        "address": case.place_name("en" if en else "zh"),
        "address_id": None,
        "zipcode": None,
        "lat": case.lat,
        "long": case.lon,
        "media_url": None,
    }
    if notes:
        record["notes"] = [{"datetime": iso(n.at), "description": n.note} for n in case.notes]
    return record


def _wants_notes(params: dict[str, str]) -> bool:
    value = params.get("extensions", "false").lower()
    if value not in ("true", "false"):
        raise InvalidInput("extensions must be true or false", field="extensions")
    return value == "true"


@bp.get(f"/requests.{FORMAT}")
@public
@limiter.limit("120 per minute")
def list_requests(fmt: str):
    """Requests by id, or by service, dates (at most 90 days; the last 90 by default) and status; paged."""
    params = _params()
    query = open311.request_query(params)
    cases = open311.find_requests(db_session(), query)
    notes = _wants_notes(params)
    return answer([_request(c, notes) for c in cases], fmt, root="service_requests", item="request")


@bp.get(f"/requests/<ticket>.{FORMAT}")
@public
@limiter.limit("120 per minute")
def one_request(ticket: str, fmt: str):
    """One request."""
    params = _params()
    case = open311.find_request(db_session(), ticket)
    return answer([_request(case, _wants_notes(params))], fmt, root="service_requests", item="request")


@bp.get(f"/tokens/<token>.{FORMAT}")
@public
@limiter.limit("120 per minute")
def token(token: str, fmt: str):
    """The request id behind a token a POST answered."""
    ticket, given = open311.request_for_token(db_session(), token)
    return answer([{"service_request_id": ticket, "token": given}], fmt, root="service_requests", item="request")


@bp.post(f"/requests.{FORMAT}")
@keyed
@limiter.limit(lambda: current_app.config["PUBLIC_REPORT_RATE_LIMIT"])
def post_request(fmt: str):
    """A new request from a client application holding an api_key; at a position or a villager group."""
    params = _params()
    session = db_session()
    client = open311.client_for_key(session, params.get("api_key"))
    if "service_code" not in params:
        raise InvalidInput("service_code is required", field="service_code")
    open311.service(session, params["service_code"])
    name = " ".join(part for part in (params.get("first_name"), params.get("last_name")) if part)
    receipt = submit_report(
        session,
        ResidentReport(
            category=params["service_code"],
            description=params.get("description", ""),
            lon=params.get("long"),
            lat=params.get("lat"),
            group=params.get(f"attribute[{GROUP_ATTRIBUTE}]", ""),
            reporter_name=name[:50],
            reporter_phone=params.get("phone", ""),
        ),
        secret=current_app.config["SECRET_KEY"].encode(),
        key=request.headers.get("Idempotency-Key"),
        join="new",
        reporter=f"open311:{client.name}"[:50],
        client_id=client.id,
        address=request.remote_addr,
    )
    db.session.commit()
    if not isinstance(receipt, Receipt):  # join="new" files a case without offering one like it
        raise InvalidInput("an open case like this exists")
    return answer(
        [
            {
                "service_request_id": receipt.ticket,
                "token": receipt.open311_token,
                "service_notice": None,
                "account_id": None,
            }
        ],
        fmt,
        root="service_requests",
        item="request",
        status=201,
    )


@bp.route("/<path:anything>", methods=["GET", "POST"])
@keyed  # writes nothing: a client's POST to a wrong path answers 404, not a CSRF refusal
def unknown(anything: str):
    """Anything else under /open311/v2/ answers the specification's 404."""
    return errors(404, "no such Open311 resource; see discovery.xml", "json" if anything.endswith(".json") else "xml")
