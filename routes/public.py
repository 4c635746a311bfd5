"""The residents' pages, without an account: report (/report), follow (/track/<code>), my grid worker (/grid)."""

from __future__ import annotations

from datetime import timedelta

import segno
from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale

from extensions import db, db_session, limiter
from geo.atlas.lookup import parse_coordinates
from geo.core.errors import GridError, InvalidInput
from geo.evaluation.record_models import Satisfaction
from geo.public.contacts import group_at, group_board
from geo.public.places import chain_names, children, township_outlines_geojson, townships
from geo.public.rating import rate_case, rateable, rated_since_closure
from geo.public.reports import (
    MAX_PHOTOS,
    OpenCase,
    Receipt,
    ResidentReport,
    new_key,
    public_categories,
    report_for_code,
    submit_report,
)
from geo.public.tracking import followed, public_case
from web.access import accepts_upload, public
from web.errors import localized_message

bp = Blueprint("public", __name__)

#: Three photos of 5 MB each and the form around them.
MAX_REPORT_BYTES = (MAX_PHOTOS * 5 + 1) * 1024 * 1024
#: The form fields a report carries (the offer page hands them on unchanged).
REPORT_FIELDS = ("category", "description", "lon", "lat", "group", "reporter_name", "reporter_phone")


def _lang() -> str:
    return str(get_locale())


def _reporting_phone() -> str:
    # Prefixed so that no phone shares a counter with an address.
    return "phone:" + "".join(ch for ch in request.form.get("reporter_phone", "") if ch.isdigit())[:30]


def _no_phone() -> bool:
    return _reporting_phone() == "phone:"


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as inline SVG (no script, no image request)."""
    return segno.make(url, error="m").svg_inline(scale=4, border=2, dark="#111")


def _form_page(status: int = 200, *, error: str | None = None, values: dict | None = None):
    session = db_session()
    values = values or {}
    chosen_group = values.get("group") or request.args.get("group", "")
    chain = chain_names(session, chosen_group) if chosen_group.isdigit() and len(chosen_group) == 15 else []
    return (
        render_template(
            "public/report.html",
            categories=public_categories(session),
            townships=townships(session),
            chain=chain,
            values=values,
            key=values.get("key") or new_key(),
            error=error,
            max_photos=MAX_PHOTOS,
            lang=_lang(),
        ),
        status,
    )


@bp.get("/report")
@public
def report_form():
    """The report form (``?group=<code>`` chooses the villager group, as the boards' QR codes do)."""
    return _form_page()


@bp.get("/report/places/<code>")
@public
@limiter.limit("120 per minute")
def report_places(code: str):
    """The places one level below ``code``, for the form's lists."""
    lang = _lang()
    return jsonify([{"code": p.code, "name": p.name(lang), "demo": p.is_demo} for p in children(db_session(), code)])


@bp.get("/report/outlines.json")
@public
@limiter.limit("30 per minute")
def report_outlines():
    """The townships' outlines for the form's optional map."""
    return Response(township_outlines_geojson(db_session()), mimetype="application/geo+json")


@bp.post("/report")
@public
@accepts_upload(MAX_REPORT_BYTES)
@limiter.limit(lambda: current_app.config["PUBLIC_REPORT_RATE_LIMIT"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["PUBLIC_REPORT_PHONE_RATE_LIMIT"],
    methods=["POST"],
    key_func=_reporting_phone,
    exempt_when=_no_phone,
)
def submit():
    """File a resident's report; offer an open case like it first (并单); answer the ticket and tracking code."""
    form = request.form
    values = {name: form.get(name, "") for name in (*REPORT_FIELDS, "key", "join", "callback_consent")}
    if form.get("website"):  # the honeypot: hidden from people, filled in by bots
        return _form_page(400, error=localized_message(InvalidInput("this report could not be accepted")))
    photos = tuple((upload.filename or "photo", upload.read()) for upload in request.files.getlist("photos") if upload)
    photos = tuple(photo for photo in photos if photo[1])
    report = ResidentReport(
        category=values["category"],
        description=values["description"],
        lon=values["lon"] or None,
        lat=values["lat"] or None,
        group=values["group"],
        reporter_name=values["reporter_name"],
        reporter_phone=values["reporter_phone"],
        callback_consent=bool(values["callback_consent"]),
        photos=photos,
    )
    config = current_app.config
    try:
        answer = submit_report(
            db_session(),
            report,
            secret=config["SECRET_KEY"].encode(),
            key=values["key"] or None,
            join=values["join"],
            radius_m=config["PUBLIC_JOIN_RADIUS_M"],
            window=timedelta(hours=config["PUBLIC_JOIN_HOURS"]),
            address=request.remote_addr,
        )
    except GridError as problem:
        db.session.rollback()
        return _form_page(problem.status, error=localized_message(problem), values=values)
    if isinstance(answer, OpenCase):
        return render_template("public/offer.html", case=answer, values=values, lang=_lang())
    db.session.commit()
    return _receipt(answer)


def _receipt(receipt: Receipt):
    link = url_for("public.track", code=receipt.code, _external=True)
    return render_template("public/receipt.html", receipt=receipt, link=link, qr=qr_svg(link), lang=_lang())


@bp.get("/track/<code>")
@public
@limiter.limit("60 per minute")
def track(code: str):
    """A case as the resident may follow it: plain status, stages, deadline, public notes, refusal reason."""
    session = db_session()
    report = report_for_code(session, code)
    return _track_page(session, report, code)


def _track_page(session, report, code: str, *, error: str | None = None, status: int = 200):
    incident = followed(session, report.incident)
    return (
        render_template(
            "public/track.html",
            case=public_case(session, incident),
            code=code,
            supporting=report.is_supporting,
            rateable=rateable(session, incident),
            rated=rated_since_closure(session, incident),
            satisfactions=list(Satisfaction),
            error=error,
            lang=_lang(),
        ),
        status,
    )


@bp.post("/track/<code>/rating")
@public
@limiter.limit("10 per hour")
def rate(code: str):
    """The resident's rating of the closed case (满意 / 基本满意 / 不满意, a comment; not solved sends it back)."""
    session = db_session()
    report = report_for_code(session, code)
    try:
        rate_case(
            session,
            report,
            request.form.get("result", ""),
            request.form.get("comment", ""),
            not_solved=bool(request.form.get("not_solved")),
            address=request.remote_addr,
        )
    except GridError as problem:
        db.session.rollback()
        return _track_page(session, report, code, error=localized_message(problem), status=problem.status)
    db.session.commit()
    return redirect(url_for("public.track", code=code, lang=_lang() if _lang() == "en" else None))


@bp.get("/grid")
@public
@limiter.limit("60 per minute")
def grid_lookup():
    """My grid worker: from a position (lon, lat) or a chosen villager group."""
    session = db_session()
    board = error = None
    group = request.args.get("group", "").strip()
    try:
        if request.args.get("lon") and request.args.get("lat"):
            lon, lat = parse_coordinates(request.args["lon"], request.args["lat"])
            group = group_at(session, lon, lat)
        if group:
            board = group_board(session, group)
    except GridError as problem:
        error = localized_message(problem)
    return (
        render_template(
            "public/grid.html",
            board=board,
            townships=townships(session),
            error=error,
            lang=_lang(),
        ),
        400 if error else 200,
    )


@bp.get("/grid/<group>/board")
@public
@limiter.limit("60 per minute")
def grid_board(group: str):
    """The printable 网格公示牌 of one villager group, with a QR code opening /report for it."""
    board = group_board(db_session(), group)
    link = url_for("public.report_form", group=board.group.code, _external=True)
    return render_template("public/board.html", board=board, link=link, qr=qr_svg(link), lang=_lang())
