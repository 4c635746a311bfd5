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
from geo.dispatch.models import IncidentCategory
from geo.dispatch.queues import Queue, queue_bit
from geo.dispatch.statuses import Channel, Priority, Status
from geo.dispatch.views import IncidentFilter, filtered, incident_summary, sees_more_than
from geo.dispatch.workflow import apply_action
from geo.grid.models import Grid, Net
from layers import visible_layers
from layers.grids import COUNTY, GROUP, NEIGHBOURS, TOWNSHIP, VILLAGE
from layers.incidents import INCIDENT_LAYERS, INCIDENT_TILES
from routes.incidents import uploaded_photo
from web.access import current_principal, require
from web.input_rules import whole_number_arg
from web.maps import page_map
from web.page_strings import label_of

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
    if sees_more_than(db_session(), principal, current_app.config["CONSOLE_TILES_ABOVE"]):
        layers = [*GRID_LAYERS, INCIDENT_TILES.id]
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
        can_act=principal.can(Capability.CASE_DESK),
    )


@bp.get("/my")
@require(Capability.CASE_MINE)
def my_incidents():
    """A grid worker's open incidents, nearest deadline first: small enough for a slow phone link."""
    principal = current_principal()
    now = now_utc()
    query = filtered(
        principal, IncidentFilter(status="dispatched,in_progress,resolved", assignee=principal.worker_code), now
    )
    incidents = [incident_summary(i, now) for i in db.session.scalars(query.limit(200))]
    incidents.sort(key=lambda i: (i["status"] == "resolved", i["due_at"] or "9999"))
    return render_template("dispatch/my.html", incidents=incidents, lang=str(get_locale()))


@bp.post("/my/<ticket>")
@require(Capability.CASE_MINE)
def my_action(ticket: str):
    """Accept, note or resolve one of my incidents from a plain form (works without JavaScript)."""
    action = request.form.get("action", "")
    if action not in ("accept", "note", "resolve"):
        raise InvalidInput("action must be accept, note or resolve", field="action")
    given_version = request.form.get("version", "")
    if not given_version.isdigit():
        raise InvalidInput("version is missing", field="version")
    version = whole_number_arg(given_version, "version")
    apply_action(
        db_session(),
        current_principal(),
        ticket,
        action,
        version=version,
        note=request.form.get("note", ""),
        address=request.remote_addr,
    )
    db.session.commit()
    return redirect(url_for("dispatch.my_incidents"))


@bp.post("/my/<ticket>/photo")
@require(Capability.CASE_MINE)
def my_photo(ticket: str):
    """Attach a photo from the phone's camera to one of my incidents."""
    add_attachment(db_session(), current_principal(), ticket, *uploaded_photo(), address=request.remote_addr)
    db.session.commit()
    return redirect(url_for("dispatch.my_incidents"))
