"""The four grid levels and the neighbouring counties."""

from __future__ import annotations

from geo.core.labels import label
from geo.grid.models import Net
from layers import LayerSpec, PopupField, register

GRID_POPUP = (
    PopupField("name_zh", label("layer", "名称")),
    PopupField("name_en", label("layer", "英文名")),
    PopupField("code", label("layer", "网格编码")),
    PopupField("level", label("layer", "层级")),
    PopupField("area_km2", label("layer", "面积（km²）")),
    PopupField("worker", label("layer", "责任网格员")),
    PopupField("party_branch", label("layer", "党支部")),
    PopupField("party_members", label("layer", "党员人数")),
)

ADMIN_POPUP = (
    PopupField("name_zh", label("layer", "名称")),
    PopupField("name_en", label("layer", "英文名")),
    PopupField("province", label("layer", "省（区）")),
    PopupField("code", label("layer", "区划代码")),
)

COUNTY = register(
    LayerSpec(
        id="county-outline",
        title=label("layer", "县界（真实）"),
        endpoint="api.county",
        style={"color": "#b2182b", "weight": 3, "fill": False},
        popup=ADMIN_POPUP,
    )
)
TOWNSHIP = register(
    LayerSpec(
        id="grid-township",
        title=label("layer", "乡镇网格（演示）"),
        endpoint="api.grids",
        endpoint_args={"level": "township"},
        style={"color": "#2166ac", "weight": 2, "fillColor": "#4393c3", "fillOpacity": 0.08},
        popup=GRID_POPUP,
        label_prop="name_zh",
        permanent_labels=True,
        demo=True,
    )
)
VILLAGE = register(
    LayerSpec(
        id="grid-village",
        title=label("layer", "村（社区）网格（演示）"),
        endpoint="api.grids",
        endpoint_args={"level": "village"},
        style={"color": "#1b7837", "weight": 1.2, "fillColor": "#5aae61", "fillOpacity": 0.06},
        popup=GRID_POPUP,
        label_prop="name_zh",
        show=False,
        demo=True,
    )
)
GROUP = register(
    LayerSpec(
        id="grid-group",
        title=label("layer", "村民小组网格（演示）"),
        endpoint="api.grids",
        endpoint_args={"level": "group"},
        style={"color": "#762a83", "weight": 0.6, "fillColor": "#9970ab", "fillOpacity": 0.05},
        popup=GRID_POPUP,
        label_prop="name_zh",
        show=False,
        demo=True,
    )
)
NEIGHBOURS = register(
    LayerSpec(
        id="neighbours",
        title=label("layer", "相邻县（交界地区）"),
        endpoint="api.neighbours",
        style={"color": "#666666", "weight": 1, "dashArray": "4 4", "fillColor": "#999999", "fillOpacity": 0.15},
        popup=ADMIN_POPUP,
        label_prop="name_zh",
        permanent_labels=True,
    )
)

ATLAS_LAYERS = [NEIGHBOURS.id, COUNTY.id, TOWNSHIP.id, VILLAGE.id, GROUP.id]

NET_LAYERS = [
    register(
        LayerSpec(
            id=f"net-{net.value}",
            title=title,
            endpoint="api.grids",
            endpoint_args={"level": "group", "net": net.value},
            net=net,
            style={"color": colour, "weight": 0.8, "fillColor": colour, "fillOpacity": 0.25},
            popup=GRID_POPUP,
            label_prop="name_zh",
            show=False,
            demo=True,
        )
    )
    for net, colour, title in (
        (Net.SOCIAL, "#d6604d", label("layer", "社会治理网·网格员覆盖（演示）")),
        (Net.RELIGIOUS, "#8073ac", label("layer", "宗教事务网·网格员覆盖（演示）")),
        (Net.RURAL, "#4d9221", label("layer", "乡村振兴网·网格员覆盖（演示）")),
    )
]

ATLAS_LAYERS = [*ATLAS_LAYERS, *(layer.id for layer in NET_LAYERS)]
