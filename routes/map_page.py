"""The county map page."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import get_locale

from extensions import db_session
from geo.atlas.outlines import jurisdiction_bounds
from layers import visible_layers
from layers.grids import ATLAS_LAYERS
from web.access import current_principal
from web.maps import page_map

bp = Blueprint("map", __name__)


@bp.get("/")
def county_map():
    """The atlas of the caller's jurisdiction: outline, grid levels, per-net layers, neighbours."""
    lang = str(get_locale())
    principal = current_principal()
    parts = page_map(visible_layers(ATLAS_LAYERS, principal), jurisdiction_bounds(db_session(), principal))
    return render_template("map/county.html", map=parts, lang=lang)
