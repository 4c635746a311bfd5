"""Map layers, declared once each in a registry (the way pygeoapi registers providers).

A page composes layers by id; it never builds GeoJSON or styles itself. Each
module in this package declares its layers with ``register``; ``folium_map``
turns declarations into Folium elements.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

from geo.accounts.principal import Principal
from geo.core.labels import Labelled
from geo.grid.models import Net

TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"


def label_in(member: Labelled, lang: str) -> str:
    """A code's name in ``lang`` from the page catalogue, for titles declared at import, before any request.

    Pages name codes in the request's language with ``web.page_strings.label_of``.
    """
    return _catalogue(lang).pgettext(member.label.context, member.label.text)


@cache
def _catalogue(lang: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS), [lang], domain="messages")


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

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_zh


REGISTRY: dict[str, LayerSpec] = {}


def register(spec: LayerSpec) -> LayerSpec:
    """Add ``spec`` to the registry; ids are unique."""
    if spec.id in REGISTRY:
        raise ValueError(f"layer {spec.id!r} is registered twice")
    REGISTRY[spec.id] = spec
    return spec


def visible_layers(ids: list[str], principal: Principal) -> list[LayerSpec]:
    """Return the layers named by ``ids``, in that order, less those of nets ``principal`` lacks."""
    return [REGISTRY[i] for i in ids if REGISTRY[i].net is None or principal.has_net(REGISTRY[i].net)]


from layers import grids, incidents  # noqa: E402,F401  (register their layers)
