"""The other forces (多元治理力量) on the map: police, rangers, mediators, volunteer teams, at their points."""

from __future__ import annotations

from geo.core.labels import label
from layers import LayerSpec, PopupField, register

FORCES = register(
    LayerSpec(
        id="forces",
        title=label("layer", "多元治理力量（演示）"),
        endpoint="workforce.forces_map",
        demo=True,
        # Points: gridmap.remoteLayer draws them as circle markers of this style (no contact data travels).
        style={"radius": 5, "color": "#fff", "weight": 1, "fillColor": "#1a9850", "fillOpacity": 0.9},
        popup=(
            PopupField("name", label("layer", "名称")),
            PopupField("organisation", label("layer", "单位")),
            PopupField("grid_code", label("layer", "网格编码")),
        ),
        label_prop="name",
    )
)
