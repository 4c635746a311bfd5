"""The plan editor's layers: the grids as they are, the draft, and the edges that break the tiling.

All three come from one answer (``/api/plans/<id>``), which the editor's script reloads after every edit.
"""

from __future__ import annotations

from geo.core.labels import label
from layers import LayerSpec, register

BASE = register(
    LayerSpec(
        id="plan-base",
        title=label("layer", "现行网格"),
        endpoint="plans.plan_state",
        drawn_by_page=True,
        style={
            "color": "#555",
            "weight": 2,
            "dashArray": "6 4",
            "fill": True,
            "fillColor": "#999",
            "fillOpacity": 0.15,
        },
    )
)
DRAFT = register(
    LayerSpec(
        id="plan-draft",
        title=label("layer", "规划草案"),
        endpoint="plans.plan_state",
        drawn_by_page=True,
        demo=True,
        style={"color": "#333", "weight": 1.5, "fillColor": "#2b83ba", "fillOpacity": 0.35},
        style_by="change",
        styles={"new": {"fillColor": "#1a9641"}, "changed": {"fillColor": "#fdae61"}, "unchanged": {}},
    )
)
INVALID_EDGES = register(
    LayerSpec(
        id="plan-invalid-edges",
        title=label("layer", "不吻合的边"),
        endpoint="plans.plan_state",
        drawn_by_page=True,
        style={"color": "#d7191c", "weight": 5},
    )
)
PLAN_LAYERS = (BASE, DRAFT, INVALID_EDGES)
