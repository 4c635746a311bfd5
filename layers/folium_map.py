"""Turn layer declarations into a Folium map whose every asset is served from static/vendor/."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import folium
from branca.element import Element, Figure
from folium.elements import JSCSSMixin
from folium.plugins import GeoMan
from jinja2 import Template

from geo.publishing.tiles import MAX_ZOOM
from layers import LayerSpec, Say

#: Folium's asset names -> our vendored copies (paths under static/vendor/).
VENDORED_ASSETS = {
    "leaflet": "leaflet/dist/leaflet.js",
    "jquery": "jquery/dist/jquery.min.js",
    "bootstrap": "bootstrap/dist/js/bootstrap.bundle.min.js",
    "awesome_markers": "leaflet.awesome-markers/dist/leaflet.awesome-markers.js",
    "leaflet_css": "leaflet/dist/leaflet.css",
    "bootstrap_css": "bootstrap/dist/css/bootstrap.min.css",
    "awesome_markers_font_css": "fontawesome-free/css/all.min.css",
    "awesome_markers_css": "leaflet.awesome-markers/dist/leaflet.awesome-markers.css",
    "Leaflet_Realtime_js": "leaflet-realtime/dist/leaflet-realtime.js",
    "markerclusterjs": "leaflet.markercluster/dist/leaflet.markercluster.js",
    "markerclustercss": "leaflet.markercluster/dist/MarkerCluster.css",
    "markerclusterdefaultcss": "leaflet.markercluster/dist/MarkerCluster.Default.css",
    "leaflet_geoman_js": "leaflet-geoman-free/dist/leaflet-geoman.js",
    "leaflet_geoman_css": "leaflet-geoman-free/dist/leaflet-geoman.css",
    "vectorgrid": "leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js",
}
#: Folium defaults we deliberately drop (Bootstrap 3 glyphicons, rotated-marker CSS): no page uses them.
DROPPED_ASSETS = {"glyphicons_css", "awesome_rotate_css"}

COUNTY_BOUNDS = [[27.55, 98.59], [29.23, 99.52]]
LIVE_POLL_MS = 10_000
COUNTY_CENTRE = [28.39, 99.05]
#: Where Folium's "OpenStreetMap" tiles come from (xyzservices' OpenStreetMap.Mapnik).
OSM_TILE_ORIGIN = "https://tile.openstreetmap.org"
TIANDITU_SUBDOMAINS = "01234567"
TIANDITU_TILE_ORIGIN = "https://t{s}.tianditu.gov.cn"


class UnvendoredAsset(RuntimeError):
    """A Folium element wants a JS/CSS file that is not in static/vendor/."""


@dataclass(frozen=True)
class Basemap:
    """Which background tiles to show: none (default), OpenStreetMap, or Tianditu with a key."""

    kind: str = "none"
    tianditu_key: str = ""
    #: Tile packs served by the app itself (geo/publishing/tile_packs.py): (title, URL template, attribution,
    #: min zoom, max zoom), each a base layer; they work without internet.
    packs: tuple[tuple[str, str, str, int, int], ...] = ()

    @classmethod
    def from_config(cls, config: Mapping) -> Basemap:
        """The basemap the app's settings (BASEMAP, TIANDITU_KEY) choose."""
        return cls(config["BASEMAP"], config["TIANDITU_KEY"])

    def tile_origins(self) -> tuple[str, ...]:
        """The origins the browser fetches this basemap's tiles from (the pages' CSP lets images come from them)."""
        if self.kind == "osm":
            return (OSM_TILE_ORIGIN,)
        if self.kind == "tianditu" and self.tianditu_key:
            return tuple(TIANDITU_TILE_ORIGIN.format(s=s) for s in TIANDITU_SUBDOMAINS)
        return ()


class RemoteGeoJson(folium.map.Layer):
    """A GeoJSON overlay fetched by the browser from our API (never inlined in the page)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = gridmap.remoteLayer({{ this.config|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, spec: LayerSpec, url: str, say: Say):
        super().__init__(name=say(spec.title), overlay=True, control=True, show=spec.show)
        self._name = "RemoteGeoJson"
        self.config = {
            "id": spec.id,
            "url": url,
            "style": spec.style,
            "popup": [{"prop": f.prop, "label": say(f.label)} for f in spec.popup],
            "labelProp": spec.label_prop,
            "permanentLabels": spec.permanent_labels,
            "demo": spec.demo,
        }


def _add_basemap(m: folium.Map, basemap: Basemap) -> None:
    for n, (title, url, attribution, min_zoom, max_zoom) in enumerate(basemap.packs):
        folium.TileLayer(
            tiles=url,
            name=title,
            attr=attribution or title,
            overlay=False,
            show=n == 0,  # one base layer at a time; the others wait in the layer control
            min_zoom=min_zoom,
            max_native_zoom=max_zoom,
        ).add_to(m)
    if basemap.kind == "osm":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap", overlay=False).add_to(m)
    elif basemap.kind == "tianditu" and basemap.tianditu_key:
        for layer, name in (("vec_w", "天地图矢量"), ("img_w", "天地图影像")):
            folium.TileLayer(
                tiles=f"{TIANDITU_TILE_ORIGIN}/DataServer?T={layer}&x={{x}}&y={{y}}&l={{z}}&tk={basemap.tianditu_key}",
                subdomains=TIANDITU_SUBDOMAINS,
                attr="天地图 Tianditu",
                name=name,
                overlay=False,
            ).add_to(m)


class LiveLayer(JSCSSMixin, folium.map.Layer):
    """Incident markers that poll for what changed and cluster when zoomed out (see gridmap.liveLayer)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = gridmap.liveLayer({{ this.config|tojson }});
        {% endmacro %}
        """
    )
    # Names only: _vendorize points them at static/vendor/.
    default_js = [("Leaflet_Realtime_js", ""), ("markerclusterjs", "")]  # noqa: RUF012 (Folium's attribute)
    default_css = [("markerclustercss", ""), ("markerclusterdefaultcss", "")]  # noqa: RUF012

    def __init__(self, spec: LayerSpec, url: str, say: Say):
        super().__init__(name=say(spec.title), overlay=True, control=True, show=spec.show)
        self._name = "LiveLayer"
        self.config = {"id": spec.id, "url": url, "interval": LIVE_POLL_MS}


class IncidentTiles(JSCSSMixin, folium.map.Layer):
    """Incidents drawn from vector tiles (see gridmap.incidentTileLayer), for more cases than markers can carry."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = gridmap.incidentTileLayer({{ this.config|tojson }});
        {% endmacro %}
        """
    )
    default_js = [("vectorgrid", "")]  # noqa: RUF012 (Folium's attribute)

    def __init__(self, spec: LayerSpec, url: str, say: Say):
        super().__init__(name=say(spec.title), overlay=True, control=True, show=spec.show)
        self._name = "IncidentTiles"
        # ``url`` names tile 0/0/0; Leaflet fills in the others.
        self.config = {"id": spec.id, "url": url.replace("/0/0/0.mvt", "/{z}/{x}/{y}.mvt"), "maxZoom": MAX_ZOOM}


def _layer_of(spec: LayerSpec, url: str, say: Say) -> folium.map.Layer:
    if spec.live:
        return LiveLayer(spec, url, say)
    return IncidentTiles(spec, url, say) if spec.tiled else RemoteGeoJson(spec, url, say)


def build_map(
    layers: list[tuple[LayerSpec, str]],
    say: Say,
    basemap: Basemap,
    bounds: tuple[float, float, float, float] | None = None,
    *,
    drawing: bool = False,
) -> folium.Map:
    """Return a Folium map with ``layers`` (spec, GeoJSON URL), a layer control, fitted to ``bounds``.

    ``bounds`` is (west, south, east, north); the whole county when omitted.
    ``drawing`` adds the Leaflet-Geoman toolbar (lines and polygons, snapping, vertex editing).
    """
    # maxZoom on the map itself (Folium's max_zoom goes to tile layers): marker clustering needs it.
    m = folium.Map(location=COUNTY_CENTRE, zoom_start=9, tiles=None, control_scale=True, maxZoom=18)
    _add_basemap(m, basemap)
    for spec, url in layers:
        if spec.drawn_by_page:
            continue
        _layer_of(spec, url, say).add_to(m)
    if drawing:
        GeoMan(
            position="topleft",
            drawMarker=False,
            drawCircleMarker=False,
            drawCircle=False,
            drawText=False,
            drawRectangle=False,
            cutPolygon=False,
            rotateMode=False,
            dragMode=False,
            removalMode=False,
        ).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]] if bounds else COUNTY_BOUNDS)
    return m


def _vendorize(element: Element, static_url: str) -> None:
    for attribute in ("default_js", "default_css"):
        assets = getattr(element, attribute, None)
        if not assets:
            continue
        replaced = []
        for name, url in assets:
            if name in DROPPED_ASSETS:
                continue
            if name not in VENDORED_ASSETS:
                raise UnvendoredAsset(f"{type(element).__name__} needs {name} ({url}); vendor it first")
            replaced.append((name, static_url + VENDORED_ASSETS[name]))
        # Set on the instance: the class attribute stays Folium's own.
        setattr(element, attribute, replaced)
    for child in element._children.values():
        _vendorize(child, static_url)


@dataclass(frozen=True)
class MapParts:
    """A rendered map, split for embedding in our own page layout."""

    header: str
    html: str
    script: str
    name: str  # the map's JavaScript variable, for page scripts to take it from window


def _with_nonce(html: str, nonce: str) -> str:
    # Folium writes its inline scripts as a bare <script> tag (those with a src have attributes).
    return html.replace("<script>", f'<script nonce="{nonce}">')


def render_map(m: folium.Map, static_url: str, nonce: str) -> MapParts:
    """Render ``m`` with every asset repointed at ``static_url`` (the static/vendor/ URL prefix).

    Inline scripts Folium puts in the header or body carry ``nonce``, the page's CSP nonce;
    ``script`` is bare JavaScript for the page to wrap in a script tag with that nonce.
    """
    _vendorize(m, static_url)
    root = m.get_root()
    assert isinstance(root, Figure)  # a Map's root is always its Figure
    root.render()
    return MapParts(
        header=_with_nonce(root.header.render(), nonce),
        html=_with_nonce(root.html.render(), nonce),
        script=root.script.render(),
        name=m.get_name(),
    )
