"""Map layers, declared once each in a registry (the way pygeoapi registers providers).

A page composes layers by id; it never builds GeoJSON or styles itself. Each
module in this package declares its layers with ``register``; ``folium_map``
turns declarations into Folium elements.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from geo.accounts.principal import Principal
from geo.grid.models import Net


@dataclass(frozen=True)
class PopupField:
    """One line of a popup: a feature property and its label in both languages."""

    prop: str
    label_zh: str
    label_en: str


@dataclass(frozen=True)
class LayerSpec:
    """A map layer: what it is called, where its GeoJSON comes from, how it looks."""

    id: str
    title_zh: str
    title_en: str
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
    # Layers a page's script loads and redraws itself (for a chosen day, filters, editing): Folium leaves
    # them out and the page gets the declaration as data (``page_layer``), so its script styles nothing itself.
    drawn_by_page: bool = False
    # A style per value of one feature property (its JSON text: "true", "hot"), laid over ``style``.
    style_by: str | None = None
    styles: dict[str, dict] = field(default_factory=dict)

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_zh


REGISTRY: dict[str, LayerSpec] = {}


def register(spec: LayerSpec) -> LayerSpec:
    """Add ``spec`` to the registry; ids are unique."""
    if spec.id in REGISTRY:
        raise ValueError(f"layer {spec.id!r} is registered twice")
    REGISTRY[spec.id] = spec
    return spec


def page_layer(spec: LayerSpec, url: str, lang: str) -> dict:
    """The declaration a page's script draws ``spec`` from: title, URL and styles, as JSON-ready data."""
    return {"title": spec.title(lang), "url": url, "style": spec.style, "styleBy": spec.style_by, "styles": spec.styles}


def visible_layers(ids: list[str], principal: Principal) -> list[LayerSpec]:
    """Return the layers named by ``ids``, in that order, less those of nets ``principal`` lacks."""
    return [REGISTRY[i] for i in ids if REGISTRY[i].net is None or principal.has_net(REGISTRY[i].net)]


from layers import grids, incidents, patrol, plan  # noqa: E402,F401  (register their layers)
