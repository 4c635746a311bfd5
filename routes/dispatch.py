"""The dispatcher's console and the grid worker's phone page."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from sqlalchemy import select

from extensions import db, db_session
from geo.accounts.capabilities import Capability
from geo.atlas.outlines import jurisdiction_bounds
from geo.core.clock import now_utc
from geo.core.errors import InvalidInput
from geo.dispatch.attachments import add_attachment
from geo.dispatch.categories import catalogue
from geo.dispatch.models import IncidentCategory
from geo.dispatch.queues import Queue, queue_bit
from geo.dispatch.statuses import FINISHED, RUNNING, Channel, Priority, Status
from geo.dispatch.views import IncidentFilter, filtered, incident_detail, latest_change, sees_more_than
from geo.dispatch.workflow import StaleVersion, apply_action
from geo.grid.models import Grid, Net
from layers import visible_layers
from layers.folium_map import LIVE_POLL_MS
from layers.grids import COUNTY, GROUP, NEIGHBOURS, TOWNSHIP, VILLAGE
from layers.incidents import INCIDENT_LAYERS, INCIDENT_TILES
from routes.incidents import uploaded_photo
from web.access import current_principal, public, require
from web.errors import error_page, localized_message
from web.input_rules import whole_number_arg
from web.maps import page_map
from web.offline import OFFLINE_PHOTO_BYTES, deployment_version
from web.page_strings import action_names, label_of

bp = Blueprint("dispatch", __name__)

GRID_LAYERS = [NEIGHBOURS.id, COUNTY.id, TOWNSHIP.id, VILLAGE.id, GROUP.id]
CONSOLE_LAYERS = [*GRID_LAYERS, *(layer.id for layer in INCIDENT_LAYERS)]


@bp.get("/dispatch")
@require(Capability.CASE_CONSOLE)
def console():
    """Map, queue, filters and the selected incident's details and actions."""
    lang = str(get_locale())
    principal = current_principal()
    # Grid outlines without popups here: a popup swallows the click that reports an incident.
    layers = CONSOLE_LAYERS
    # On tiles the map has no feed of markers: it asks the feed what changed since now, and redraws when anything did.
    tiles_follow = None
    if sees_more_than(db_session(), principal, current_app.config["CONSOLE_TILES_ABOVE"]):
        layers = [*GRID_LAYERS, INCIDENT_TILES.id]
        tiles_follow = {
            "feed": url_for("incidents.incident_feed"),
            "since": latest_change(db_session()),
            "interval": LIVE_POLL_MS,
        }
    specs = [spec if spec.live else replace(spec, popup=()) for spec in visible_layers(layers, principal)]
    parts = page_map(specs, jurisdiction_bounds(db_session(), principal))
    categories = db.session.scalars(
        select(IncidentCategory)
        .where(IncidentCategory.net.in_(sorted(principal.nets)), IncidentCategory.is_active)
        .order_by(IncidentCategory.net, IncidentCategory.id)
    ).all()
    areas = db.session.execute(
        select(Grid.code, Grid.name_zh)
        .where(principal.scope(Grid.code), Grid.level.in_(["township", "village"]))
        .order_by(Grid.code)
    ).all()
    return render_template(
        "dispatch/console.html",
        map=parts,
        lang=lang,
        categories=[
            {"code": c.code, "net": c.net, "name": c.name_en if lang == "en" else c.name_zh} for c in categories
        ],
        areas=areas,
        queues=[(queue.value, label_of(queue), queue_bit(queue)) for queue in Queue],
        nets=[net.value for net in Net if principal.has_net(net)],
        statuses=[s.value for s in Status],
        priorities=[p.value for p in Priority],
        channels=[c.value for c in Channel],
        # The statuses the console treats apart, from the one definition (geo/dispatch/statuses.py).
        running=[s.value for s in RUNNING],
        finished=[s.value for s in FINISHED],
        can_act=principal.can(Capability.CASE_DESK),
        tiles_follow=tiles_follow,
    )


#: Cases the phone page carries in full (each with its history), so they open without signal.
MY_PAGE_CASES = 100


@bp.get("/my")
@require(Capability.CASE_MINE)
def my_incidents():
    """A grid worker's cases in full, open ones first by deadline, and the form to report one from the phone."""
    principal = current_principal()
    now = now_utc()
    query = filtered(
        principal, IncidentFilter(status="dispatched,in_progress,resolved", assignee=principal.worker_code), now
    )
    cases = [incident_detail(db_session(), i, principal, now) for i in db.session.scalars(query.limit(MY_PAGE_CASES))]
    cases.sort(key=lambda i: (i["status"] == "resolved", i["due_at"] or "9999"))
    lang = str(get_locale())
    return render_template(
        "dispatch/my.html",
        cases=cases,
        lang=lang,
        categories=[
            {"code": c.code, "net": c.net, "name": c.name_en if lang == "en" else c.name_zh}
            for c in catalogue(db_session(), principal)
            if c.is_active
        ],
        action_names=action_names(),
        channel=Channel.PATROL.value,
        read_at=now.isoformat(),
        service_worker=url_for("dispatch.my_service_worker", v=deployment_version()),
        offline_photo_bytes=OFFLINE_PHOTO_BYTES,
    )


@bp.get("/my/sw.js")
@public
def my_service_worker():
    """The service worker that opens /my without signal (static/js/my_sw.js), for /my alone.

    Served under /my/ with ``Service-Worker-Allowed: /my``: a script's scope may not reach above its own folder,
    so this one can answer for /my and nothing else of the site. Public, as every script is; what it keeps is only
    what the signed-in worker's own requests were answered.
    """
    response = current_app.send_static_file("js/my_sw.js")
    response.headers["Service-Worker-Allowed"] = url_for("dispatch.my_incidents")
    response.cache_control.no_cache = True
    return response


@bp.post("/my/<ticket>")
@require(Capability.CASE_MINE)
def my_action(ticket: str):
    """Accept, note or resolve one of my incidents from a plain form (works without JavaScript).

    A photo chosen in the form is attached first, in the same transaction. A case changed
    meanwhile (a second tab, the dispatcher) answers 409 with a page that keeps the note
    typed, beside the case as it is now, to send again.
    """
    action = request.form.get("action", "")
    if action not in ("accept", "note", "resolve"):
        raise InvalidInput("action must be accept, note or resolve", field="action")
    given_version = request.form.get("version", "")
    if not given_version.isdigit():
        raise InvalidInput("version is missing", field="version")
    version = whole_number_arg(given_version, "version")
    note = request.form.get("note", "")
    principal = current_principal()
    try:
        upload = request.files.get("file")
        if upload is not None and upload.filename:
            add_attachment(db_session(), principal, ticket, *uploaded_photo(), address=request.remote_addr)
            version += 1  # attaching the photo was a change of its own
        apply_action(db_session(), principal, ticket, action, version=version, note=note, address=request.remote_addr)
    except StaleVersion as stale:
        db.session.rollback()
        return error_page(
            409,
            localized_message(stale),
            template="dispatch/my_conflict.html",
            case=stale.details,
            note=note[:2000],
            action_names=action_names(),
        )
    db.session.commit()
    return redirect(url_for("dispatch.my_incidents", _anchor=ticket))
