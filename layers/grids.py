"""The four grid levels and the neighbouring counties."""

from __future__ import annotations

from geo.grid.models import Net
from layers import LayerSpec, PopupField, label_in, register

GRID_POPUP = (
    PopupField("name_zh", "名称", "Name"),
    PopupField("name_en", "英文名", "English name"),
    PopupField("code", "网格编码", "Grid code"),
    PopupField("level", "层级", "Level"),
    PopupField("area_km2", "面积（km²）", "Area (km²)"),
    PopupField("worker", "责任网格员", "Grid worker"),
    PopupField("party_branch", "党支部", "Party branch"),
    PopupField("party_members", "党员人数", "Party members"),
)

ADMIN_POPUP = (
    PopupField("name_zh", "名称", "Name"),
    PopupField("name_en", "英文名", "English name"),
    PopupField("province", "省（区）", "Province"),
    PopupField("code", "区划代码", "Code"),
)

COUNTY = register(
    LayerSpec(
        id="county-outline",
        title_zh="县界（真实）",
        title_en="County boundary (real)",
        endpoint="api.county",
        style={"color": "#b2182b", "weight": 3, "fill": False},
        popup=ADMIN_POPUP,
    )
)
TOWNSHIP = register(
    LayerSpec(
        id="grid-township",
        title_zh="乡镇网格（演示）",
        title_en="Township grids (demo)",
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
        title_zh="村（社区）网格（演示）",
        title_en="Village grids (demo)",
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
        title_zh="村民小组网格（演示）",
        title_en="Villager group grids (demo)",
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
        title_zh="相邻县（交界地区）",
        title_en="Neighbouring counties (border areas)",
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
            title_zh=f"{label_in(net, 'zh')}·网格员覆盖（演示）",
            title_en=f"{label_in(net, 'en')} net: grids with a worker (demo)",
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
    for net, colour in ((Net.SOCIAL, "#d6604d"), (Net.RELIGIOUS, "#8073ac"), (Net.RURAL, "#4d9221"))
]

ATLAS_LAYERS = [*ATLAS_LAYERS, *(layer.id for layer in NET_LAYERS)]
