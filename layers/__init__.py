"""Map layers, declared once each in a registry (the way pygeoapi registers providers).

A page composes layers by id; it never builds GeoJSON or styles itself. Each
module in this package declares its layers with ``register``; ``folium_map``
turns declarations into Folium elements.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from geo.accounts.principal import Principal
from geo.core.labels import Label
from geo.grid.models import Net


@dataclass(frozen=True)
class PopupField:
    """One line of a popup: a feature property and its label (a msgid of the page catalogue)."""

    prop: str
    label: Label


@dataclass(frozen=True)
class LayerSpec:
    """A map layer: what it is called, where its GeoJSON comes from, how it looks."""

    id: str
    title: Label  # a msgid of the page catalogue (context "layer"), said in the page's language by the web layer
    endpoint: str
    endpoint_args: dict = field(default_factory=dict)
    net: Net | None = None
    style: dict = field(default_factory=dict)
    popup: tuple[PopupField, ...] = ()
    label_prop: str | None = None
    permanent_labels: bool = False
    show: bool = True
    demo: bool = False
    # Live layers poll their endpoint for what changed and cluster their markers.
    live: bool = False
    # Tiled layers are drawn from vector tiles (``endpoint`` names one tile; the page asks for the others).
    tiled: bool = False
    # Layers a page's script loads and redraws itself (for a chosen day, filters, editing): Folium leaves
    # them out and the page gets the declaration as data (``page_layer``), so its script styles nothing itself.
    drawn_by_page: bool = False
    # A style per value of one feature property (its JSON text: "true", "hot"), laid over ``style``.
    style_by: str | None = None
    styles: dict[str, dict] = field(default_factory=dict)


REGISTRY: dict[str, LayerSpec] = {}


def register(spec: LayerSpec) -> LayerSpec:
    """Add ``spec`` to the registry; ids are unique."""
    if spec.id in REGISTRY:
        raise ValueError(f"layer {spec.id!r} is registered twice")
    REGISTRY[spec.id] = spec
    return spec


#: Says a msgid in the page's language (the web layer passes gettext's).
Say = Callable[[Label], str]


def page_layer(spec: LayerSpec, url: str, say: Say) -> dict:
    """The declaration a page's script draws ``spec`` from: title, URL and styles, as JSON-ready data."""
    return {"title": say(spec.title), "url": url, "style": spec.style, "styleBy": spec.style_by, "styles": spec.styles}


def visible_layers(ids: list[str], principal: Principal) -> list[LayerSpec]:
    """Return the layers named by ``ids``, in that order, less those of nets ``principal`` lacks."""
    specs = [REGISTRY[i] for i in ids]
    return [spec for spec in specs if spec.net is None or principal.has_net(spec.net)]


from layers import evaluation, grids, incidents, party, patrol, plan, workforce  # noqa: E402,F401  (register their layers)
