"""A page's Folium map from layer declarations: one place for layer URLs, base map, bounds and vendored assets."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import current_app, url_for
from flask_babel import pgettext

from geo.core.labels import Label
from geo.publishing import tile_packs
from layers import LayerSpec, page_layer
from layers.folium_map import Basemap, MapParts, build_map, render_map
from web.security_headers import csp_nonce


def say(text: Label) -> str:
    """A declaration's msgid (a layer's title, a popup's label) in the page's language."""
    return pgettext(text.context, text.text)


def page_map(
    specs: list[LayerSpec], bounds: tuple[float, float, float, float] | None, *, drawing: bool = False
) -> MapParts:
    """Render ``specs`` (already filtered for the caller) as a map fitted to ``bounds``, in the page's language."""
    layers = [(spec, url_for(spec.endpoint, **spec.endpoint_args)) for spec in specs]
    basemap = replace(Basemap.from_config(current_app.config), packs=_tile_packs())
    folium_map = build_map(layers, say, basemap, bounds, drawing=drawing)
    return render_map(folium_map, url_for("static", filename="vendor/"), nonce=csp_nonce())


def _tile_packs() -> tuple[tuple[str, str, str, int, int], ...]:
    """The operator's tile packs as base layers, each at its URL on this app."""
    return tuple(
        (
            pack.title,
            url_for("tiles.pack_tile", pack=pack.name, z=0, x=0, y=0).replace("/0/0/0", "/{z}/{x}/{y}"),
            pack.attribution,
            pack.min_zoom,
            pack.max_zoom,
        )
        for pack in tile_packs.packs(current_app.config["TILE_PACKS"])
    )


def page_layers(specs: tuple[LayerSpec, ...] | list[LayerSpec], **url_args: Any) -> dict[str, dict]:
    """The declarations of layers a page's script draws itself, by id, in the page's language.

    ``url_args`` fill the endpoints' URL parameters (a plan's id).
    """
    return {spec.id: page_layer(spec, url_for(spec.endpoint, **spec.endpoint_args, **url_args), say) for spec in specs}
