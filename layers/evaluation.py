"""The dashboard's choropleth: grids of one level coloured by an indicator's quantile or by their score's grade.

The dashboard's script loads it for the chosen indicator, level and filters (``drawn_by_page``);
every colour is decided here: grades A–E, and quantiles q1 (worst) to q5 (best), grey for no figure.
"""

from __future__ import annotations

from geo.core.labels import label
from layers import LayerSpec, PopupField, register

# Red (worst) to green (best), colour-blind safe (ColorBrewer RdYlGn, 5 classes).
WORST_TO_BEST = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")

CHOROPLETH = register(
    LayerSpec(
        id="evaluation-choropleth",
        title=label("layer", "考核指标分级图（演示）"),
        endpoint="dashboard.choropleth",
        drawn_by_page=True,
        demo=True,
        style={"color": "#555", "weight": 1, "fillOpacity": 0.7, "fillColor": "#bdbdbd"},
        style_by="class",
        styles={
            **{grade: {"fillColor": colour} for grade, colour in zip("EDCBA", WORST_TO_BEST, strict=True)},
            **{f"q{k}": {"fillColor": colour} for k, colour in enumerate(WORST_TO_BEST, 1)},
            "none": {"fillColor": "#bdbdbd", "fillOpacity": 0.35},
        },
        popup=(
            PopupField("name_zh", label("layer", "名称")),
            PopupField("code", label("layer", "网格编码")),
            PopupField("score", label("layer", "综合评分")),
            PopupField("grade", label("layer", "等级")),
            PopupField("rank", label("layer", "排名")),
            PopupField("worker", label("layer", "责任网格员")),
        ),
    )
)
