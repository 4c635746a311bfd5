"""The county map page."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, url_for
from flask_babel import get_locale

from layers import get_layers
from layers.folium_map import Basemap, build_map, render_map
from layers.grids import ATLAS_LAYERS

bp = Blueprint("map", __name__)


@bp.get("/")
def county_map():
    """The county atlas: outline, four grid levels, neighbours."""
    lang = str(get_locale())
    layers = [(spec, url_for(spec.endpoint, **spec.endpoint_args)) for spec in get_layers(ATLAS_LAYERS)]
    basemap = Basemap(current_app.config["BASEMAP"], current_app.config["TIANDITU_KEY"])
    parts = render_map(build_map(layers, lang, basemap), url_for("static", filename="vendor/"))
    return render_template("map/county.html", map=parts, lang=lang)
