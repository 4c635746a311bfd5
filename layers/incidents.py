"""Live incident layers, one per net, for the dispatch console."""

from __future__ import annotations

from geo.grid.models import Net
from layers import LayerSpec, label_in, register

INCIDENT_LAYERS = [
    register(
        LayerSpec(
            id=f"incidents-{net.value}",
            title_zh=f"事件·{label_in(net, 'zh')}",
            title_en=f"Incidents: {label_in(net, 'en')}",
            endpoint="incidents.incident_feed",
            endpoint_args={"net": net.value},
            net=net,
            live=True,
        )
    )
    for net in Net
]
