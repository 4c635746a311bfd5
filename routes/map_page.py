"""The county map page."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, url_for
from flask_babel import get_locale

from extensions import db
from geo.atlas import jurisdiction_bounds
from layers import visible_layers
from layers.folium_map import Basemap, build_map, render_map
from layers.grids import ATLAS_LAYERS
from routes.access import current_principal

bp = Blueprint("map", __name__)


@bp.get("/")
def county_map():
    """The atlas of the caller's jurisdiction: outline, grid levels, per-net layers, neighbours."""
    lang = str(get_locale())
    principal = current_principal()
    layers = [(spec, url_for(spec.endpoint, **spec.endpoint_args)) for spec in visible_layers(ATLAS_LAYERS, principal)]
    basemap = Basemap(current_app.config["BASEMAP"], current_app.config["TIANDITU_KEY"])
    folium_map = build_map(layers, lang, basemap, jurisdiction_bounds(db.session, principal))
    parts = render_map(folium_map, url_for("static", filename="vendor/"))
    return render_template("map/county.html", map=parts, lang=lang)
