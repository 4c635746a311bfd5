"""The party pages' layers: branch activities of one month, and 书记领航 projects coloured by their status.

The party page's script loads the activities for the chosen month (``drawn_by_page``); every colour
is decided here.
"""

from __future__ import annotations

from geo.core.labels import label
from layers import LayerSpec, register

ACTIVITIES = register(
    LayerSpec(
        id="party-activities",
        title=label("layer", "党支部活动（当月）"),
        endpoint="party.activity_layer",
        drawn_by_page=True,
        demo=True,
        style={"radius": 7, "weight": 2, "color": "#fff", "fillOpacity": 0.9, "fillColor": "#c51b1b"},
        style_by="kind",
        styles={
            "theme_day": {"fillColor": "#c51b1b"},
            "six_ones": {"fillColor": "#e66101"},
            "meeting": {"fillColor": "#b2182b"},
            "volunteer": {"fillColor": "#fdb863"},
            "front_line": {"fillColor": "#8c510a"},
            "other": {"fillColor": "#878787"},
        },
    )
)
PROJECTS = register(
    LayerSpec(
        id="party-projects",
        title=label("layer", "书记领航项目"),
        endpoint="party.project_layer",
        drawn_by_page=True,
        demo=True,
        style={"radius": 10, "weight": 3, "fillOpacity": 0.2},
        style_by="status",
        styles={
            "planned": {"color": "#878787"},
            "under_way": {"color": "#2166ac"},
            "stalled": {"color": "#d7191c"},
            "done": {"color": "#1a9641"},
        },
    )
)
PARTY_LAYERS = (ACTIVITIES, PROJECTS)
