"""Live incident layers, one per net, for the dispatch console, and the tiled layer replacing them for many cases."""

from __future__ import annotations

from geo.core.labels import label
from geo.grid.models import Net
from layers import LayerSpec, register

TITLES = {
    Net.SOCIAL: label("layer", "事件·社会治理网"),
    Net.RELIGIOUS: label("layer", "事件·宗教事务网"),
    Net.RURAL: label("layer", "事件·乡村振兴网"),
}

INCIDENT_LAYERS = [
    register(
        LayerSpec(
            id=f"incidents-{net.value}",
            title=TITLES[net],
            endpoint="incidents.incident_feed",
            endpoint_args={"net": net.value},
            net=net,
            live=True,
        )
    )
    for net in Net
]
#: The console's incidents above ``CONSOLE_TILES_ABOVE`` cases: every net the caller holds, as vector tiles.
INCIDENT_TILES = register(
    LayerSpec(
        id="incidents-tiles",
        title=label("layer", "事件（矢量瓦片）"),
        endpoint="tiles.tile",
        endpoint_args={"layer": "incidents", "z": 0, "x": 0, "y": 0},
        tiled=True,
    )
)
