"""The patrol map's layers: seasonal zones and their sites, incidents near open zones, hotspots, tasks.

The patrol page's script loads these for the chosen day and filters, so they are
``drawn_by_page``; every colour and symbol is decided here.
"""

from __future__ import annotations

from geo.core.labels import label
from layers import LayerSpec, register

ZONES = register(
    LayerSpec(
        id="patrol-zones",
        title=label("layer", "季节性区域"),
        endpoint="patrol.zone_list",
        drawn_by_page=True,
        demo=True,
        style_by="active",
        styles={
            "true": {"color": "#b35806", "weight": 2, "fillColor": "#fdae61", "fillOpacity": 0.4},
            "false": {"color": "#777", "weight": 1, "dashArray": "4 4", "fillOpacity": 0.05},
        },
    )
)
SITES = register(
    LayerSpec(
        id="patrol-sites",
        title=label("layer", "卡点与暖心驿站"),
        endpoint="patrol.zone_list",
        drawn_by_page=True,
        style_by="kind",
        styles={"checkpoint": {"symbol": "▲"}, "station": {"symbol": "■"}},
    )
)
INCIDENTS = register(
    LayerSpec(
        id="patrol-incidents",
        title=label("layer", "开放区域附近的事件"),
        endpoint="patrol.zone_incidents",
        drawn_by_page=True,
        style={"radius": 4, "weight": 1, "color": "#fff", "fillOpacity": 0.9},
        style_by="open",
        styles={"true": {"fillColor": "#d7191c"}, "false": {"fillColor": "#9e9e9e"}},
    )
)
DENSITY = register(
    LayerSpec(
        id="patrol-density",
        title=label("layer", "事件密度"),
        endpoint="patrol.hotspots",
        drawn_by_page=True,
        # One heat point per density cell; a max above 1 keeps overlapping cells from saturating the surface.
        style={"radius": 20, "blur": 18, "max": 3},
    )
)
CELLS = register(
    LayerSpec(
        id="patrol-cells",
        title=label("layer", "热点与冷点（Gi*）"),
        endpoint="patrol.hotspots",
        drawn_by_page=True,
        style={"stroke": False, "fillOpacity": 0.45},
        style_by="kind",
        styles={
            "hot": {"fillColor": "#d7191c"},
            "cold": {"fillColor": "#2166ac"},
            "was_hot": {"fillColor": "#f4a582", "fillOpacity": 0.15},
        },
    )
)
TASKS = register(
    LayerSpec(
        id="patrol-tasks",
        title=label("layer", "巡逻任务"),
        endpoint="patrol.task_list",
        drawn_by_page=True,
        style={"radius": 9, "weight": 3, "fillOpacity": 0.1},
        style_by="state",
        styles={"visited": {"color": "#1a9641"}, "pending": {"color": "#fdae61"}, "missed": {"color": "#d7191c"}},
    )
)
PATROL_LAYERS = (ZONES, SITES, INCIDENTS, DENSITY, CELLS, TASKS)
