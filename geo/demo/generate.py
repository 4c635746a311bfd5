"""Deterministic generator of the demonstration grid hierarchy inside the real county.

Only the county outline, the township and village names and the statistical
codes are real; every boundary below the county line is generated and must be
labelled as demonstration data wherever it is shown.

How it works: the county is cut once into a few thousand small "atomic" cells
(the Voronoi cells of jittered grid points, clipped to the outline). Every grid
at every level is a union of atomic cells, so neighbours share edges exactly and
each level tiles its parent by construction:

1. townships: each cell goes to the township seed nearest in an additively
   weighted distance; the weights are tuned until the areas hit the targets;
2. villages and groups: k-means on cell centroids inside the parent;
3. stray disconnected pieces are handed to the neighbour they share most edge with;
4. group edges are smoothed with coverage simplification that keeps the county
   outline fixed, and each parent is the coverage union of its children.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from geo.core.crs import from_metric, to_metric

COUNTY_CODE = "533422"
COUNTY_NAME = "德钦县"


@dataclass(frozen=True)
class TownshipSpec:
    """A real township: code, name, a rough seat position and a target area share."""

    code: str
    name: str
    name_en: str
    seed_lon: float
    seed_lat: float
    target_km2: float
    villages: tuple[str, ...]


# Real codes and names; seed positions follow the geography (Lancang in the west,
# Jinsha on the east border); target areas are the published ones where known.
TOWNSHIPS: tuple[TownshipSpec, ...] = (
    TownshipSpec("101", "升平镇", "Shengping", 98.91, 28.52, 765, ("阿敦子社区", "敦和社区", "巨水村", "阿东村")),
    TownshipSpec(
        "102",
        "奔子栏镇",
        "Benzilan",
        99.22,
        28.28,
        1164,
        ("奔子栏社区", "玉杰村", "书松村", "叶日村", "夺通村", "达日村", "叶央村"),
    ),
    TownshipSpec("201", "佛山乡", "Foshan", 98.72, 28.78, 914, ("纳古村", "巴美村", "江坡村", "鲁瓦村", "溜洞江村")),
    TownshipSpec("202", "云岭乡", "Yunling", 98.76, 28.38, 908, ("果念村", "斯农村", "西当村", "红坡村", "查里通村")),
    TownshipSpec(
        "203",
        "燕门乡",
        "Yanmen",
        98.86,
        28.08,
        581,
        ("拖拉村", "巴东村", "茨中村", "春多乐村", "谷扎村", "禹功村", "石底村"),
    ),
    TownshipSpec(
        "204",
        "拖顶傈僳族乡",
        "Tuoding",
        99.30,
        28.00,
        950,
        ("金珠嘎尺社区", "拖顶村", "洛沙村", "左力村", "大村", "洛玉村", "普通农村", "念萨村", "德吉村"),
    ),
    TownshipSpec(
        "205",
        "霞若傈僳族乡",
        "Xiaruo",
        99.28,
        27.72,
        900,
        ("得觉屯社区", "霞若村", "石茸村", "夺松村", "月仁村", "施坝村", "各么茸村", "粗卡通村"),
    ),
    TownshipSpec("206", "羊拉乡", "Yangla", 99.05, 29.00, 1145, ("雅瑞安和社区", "甲功村", "羊拉村", "茂顶村")),
)

GROUP_TOTAL = 480
SEED = 533422
_CN_DIGITS = "零一二三四五六七八九"


@dataclass
class GeneratedGrid:
    """One generated grid: its code, name, level, parent code and WGS-84 geometry."""

    code: str
    name: str
    level: str
    parent_code: str | None
    geometry: shapely.Geometry
    name_en: str = ""
    extra: dict = field(default_factory=dict)


def chinese_ordinal(number: int) -> str:
    """Return 1..99 written in Chinese numerals (一, 十二, 二十)."""
    if number < 10:
        return _CN_DIGITS[number]
    tens, ones = divmod(number, 10)
    prefix = "" if tens == 1 else _CN_DIGITS[tens]
    return prefix + "十" + (_CN_DIGITS[ones] if ones else "")


def village_code(index_in_township: int, name: str, community_index: int) -> str:
    """Return the 3-digit village code: communities 001-199, village committees 200+."""
    if name.endswith("社区"):
        return f"{community_index:03d}"
    return f"{200 + index_in_township:03d}"


class _Cells:
    """Atomic cells in a metric CRS, with their areas, centroids and adjacency."""

    def __init__(self, county_metric: shapely.Geometry, count: int, rng: np.random.Generator):
        xmin, ymin, xmax, ymax = county_metric.bounds
        spacing = np.sqrt(county_metric.area / count)
        xs = np.arange(xmin, xmax + spacing, spacing)
        ys = np.arange(ymin, ymax + spacing, spacing)
        gx, gy = np.meshgrid(xs, ys)
        jitter = rng.uniform(-0.35, 0.35, size=(2, *gx.shape)) * spacing
        points = shapely.points(gx.ravel() + jitter[0].ravel(), gy.ravel() + jitter[1].ravel())
        shapely.prepare(county_metric)
        points = points[shapely.intersects(county_metric, points)]
        cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(points), extend_to=county_metric))
        inside = shapely.contains_properly(county_metric, cells)
        clipped = cells.copy()
        clipped[~inside] = shapely.intersection(cells[~inside], county_metric)
        polygons: list[shapely.Geometry] = []
        for cell in clipped:
            polygons.extend(p for p in shapely.get_parts(cell) if p.geom_type == "Polygon" and p.area > 0)
        self.geoms = np.array(polygons)  # shapely geometries make an object array
        self.area = shapely.area(self.geoms)
        centroids = shapely.centroid(self.geoms)
        self.xy = np.column_stack([shapely.get_x(centroids), shapely.get_y(centroids)])
        self.adjacency = self._adjacency()

    def _adjacency(self):
        tree = shapely.STRtree(self.geoms)
        left, right = tree.query(self.geoms, predicate="intersects")
        keep = left < right
        left, right = left[keep], right[keep]
        shared = shapely.length(shapely.intersection(shapely.boundary(self.geoms[left]), self.geoms[right]))
        keep = shared > 1.0
        n = len(self.geoms)
        rows = np.concatenate([left[keep], right[keep]])
        cols = np.concatenate([right[keep], left[keep]])
        data = np.concatenate([shared[keep], shared[keep]])
        return coo_matrix((data, (rows, cols)), shape=(n, n)).tocsr()


def _assign_weighted(
    xy: NDArray, area: NDArray, seeds: NDArray, targets: NDArray, iterations: int = 400
) -> NDArray[np.intp]:
    """Assign points to seeds by additively weighted distance, tuning weights to hit target areas."""
    distances = np.hypot(xy[:, None, 0] - seeds[None, :, 0], xy[:, None, 1] - seeds[None, :, 1])
    weights = np.zeros(len(seeds))
    step = distances.mean() * 0.05
    for _ in range(iterations):
        labels = np.argmin(distances - weights[None, :], axis=1)
        achieved = np.bincount(labels, weights=area, minlength=len(seeds))
        weights += step * (targets - achieved) / targets
        step *= 0.99
    return np.argmin(distances - weights[None, :], axis=1)


def _kmeans(xy: NDArray, area: NDArray, k: int, rng: np.random.Generator, iterations: int = 60) -> NDArray[np.intp]:
    """Area-weighted k-means labels of ``xy`` into ``k`` non-empty clusters."""
    if k >= len(xy):
        return np.arange(len(xy)) % k
    centres = xy[rng.choice(len(xy), size=k, replace=False)]
    labels = np.zeros(len(xy), dtype=np.intp)
    for _ in range(iterations):
        distances = np.hypot(xy[:, None, 0] - centres[None, :, 0], xy[:, None, 1] - centres[None, :, 1])
        labels = np.argmin(distances, axis=1)
        for cluster in range(k):
            members = labels == cluster
            if not members.any():
                # An empty cluster restarts at the point farthest from its centre.
                far = np.argmax(distances[np.arange(len(xy)), labels])
                centres[cluster] = xy[far]
                labels[far] = cluster
                continue
            centres[cluster] = np.average(xy[members], axis=0, weights=area[members])
    return labels


def _make_contiguous(cells: _Cells, members: NDArray[np.intp], labels: NDArray[np.intp]) -> NDArray[np.intp]:
    """Hand every detached piece of a region to the neighbour it shares most edge with."""
    labels = labels.copy()
    sub = cells.adjacency[members][:, members].tocoo()
    for _ in range(20):
        same = labels[sub.row] == labels[sub.col]
        graph = coo_matrix((np.ones(same.sum()), (sub.row[same], sub.col[same])), shape=(len(members),) * 2)
        _, component = connected_components(graph, directed=False)
        moved = False
        for region in np.unique(labels):
            in_region = labels == region
            parts = np.unique(component[in_region])
            if len(parts) == 1:
                continue
            main = parts[np.argmax([cells.area[members][component == p].sum() for p in parts])]
            for part in parts[parts != main]:
                piece = component == part
                border = piece[sub.row] & ~piece[sub.col]
                if not border.any():
                    continue
                shared = np.bincount(labels[sub.col[border]], weights=sub.data[border])
                labels[piece] = int(np.argmax(shared))
                moved = True
        if not moved:
            break
    return labels


def _split_groups(total: int, areas: NDArray, rng: np.random.Generator, minimum: int = 4) -> NDArray[np.intp]:
    """Share ``total`` groups among villages, roughly by area, at least ``minimum`` each."""
    share = areas / areas.sum() * (total - minimum * len(areas))
    share = share * rng.uniform(0.7, 1.3, size=len(areas))
    share = share / share.sum() * (total - minimum * len(areas))
    counts = np.floor(share).astype(int)
    remainder = total - minimum * len(areas) - counts.sum()
    counts[np.argsort(-(share - counts))[:remainder]] += 1
    return counts + minimum


def generate_hierarchy(
    county_outline: shapely.Geometry, cell_count: int = 16000, smoothing_m: float = 900.0
) -> list[GeneratedGrid]:
    """Generate the county > township > village > group demo hierarchy.

    Parameters
    ----------
    county_outline : shapely.Geometry
        The real county outline in WGS-84.
    cell_count : int
        Number of atomic cells; more cells give finer boundaries.
    smoothing_m : float
        Tolerance in metres for smoothing interior edges (the outline is kept).

    Returns
    -------
    list of GeneratedGrid
        One county, 8 townships, 49 villages and 480 groups; every level tiles its parent.
    """
    if not isinstance(county_outline, (shapely.Polygon, shapely.MultiPolygon)):
        raise TypeError("county_outline must be a shapely Polygon or MultiPolygon")
    rng = np.random.default_rng(SEED)
    county_metric = to_metric(county_outline)
    cells = _Cells(county_metric, cell_count, rng)
    everything = np.arange(len(cells.geoms))

    seed_points = to_metric(shapely.points([(t.seed_lon, t.seed_lat) for t in TOWNSHIPS]))
    seeds = shapely.get_coordinates(seed_points)
    targets = np.array([t.target_km2 for t in TOWNSHIPS], dtype=float)
    targets = targets / targets.sum() * cells.area.sum()
    township_of = _assign_weighted(cells.xy, cells.area, seeds, targets)
    township_of = _make_contiguous(cells, everything, township_of)

    village_cells: list[tuple[int, int, NDArray[np.intp]]] = []  # (township, village index, cell ids)
    for t_index, township in enumerate(TOWNSHIPS):
        members = np.flatnonzero(township_of == t_index)
        labels = _kmeans(cells.xy[members], cells.area[members], len(township.villages), rng)
        labels = _make_contiguous(cells, members, labels)
        # Communities (社区) sit at the township seat: give them the clusters nearest the seed.
        centres = np.array([cells.xy[members][labels == v].mean(axis=0) for v in range(len(township.villages))])
        order = np.argsort(np.hypot(*(centres - seeds[t_index]).T))
        names_by_seat = sorted(range(len(township.villages)), key=lambda i: not township.villages[i].endswith("社区"))
        for rank, cluster in enumerate(order):
            village_cells.append((t_index, names_by_seat[rank], members[labels == cluster]))
    village_cells.sort(key=lambda entry: (entry[0], entry[1]))

    group_counts = _split_groups(GROUP_TOTAL, np.array([cells.area[c].sum() for _, _, c in village_cells]), rng)
    group_geoms: list[shapely.Geometry] = []
    group_keys: list[tuple[int, int, int]] = []
    for (t_index, v_index, members), count in zip(village_cells, group_counts, strict=True):
        labels = _kmeans(cells.xy[members], cells.area[members], int(count), rng)
        labels = _make_contiguous(cells, members, labels)
        # Number groups from north-west to south-east, as a reader scans a map.
        centres = np.array([cells.xy[members][labels == g].mean(axis=0) for g in range(count)])
        order = np.lexsort((centres[:, 0], -centres[:, 1]))
        for g_number, cluster in enumerate(order, start=1):
            group_geoms.append(shapely.coverage_union_all(cells.geoms[members[labels == cluster]]))
            group_keys.append((t_index, v_index, g_number))

    smoothed = shapely.coverage_simplify(np.array(group_geoms, dtype=object), smoothing_m, simplify_boundary=False)
    groups_wgs84 = shapely.set_precision(from_metric(smoothed), 1e-7)
    return _assemble(groups_wgs84, group_keys)


def _assemble(groups: NDArray, keys: list[tuple[int, int, int]]) -> list[GeneratedGrid]:
    """Build the four levels from the group geometries; parents are unions of children."""
    result: list[GeneratedGrid] = []
    township_parts: dict[int, list] = {}
    village_parts: dict[tuple[int, int], list] = {}
    for geometry, (t_index, v_index, _) in zip(groups, keys, strict=True):
        township_parts.setdefault(t_index, []).append(geometry)
        village_parts.setdefault((t_index, v_index), []).append(geometry)

    all_townships = []
    villages: dict[tuple[int, int], GeneratedGrid] = {}
    for t_index, township in enumerate(TOWNSHIPS):
        township_code = COUNTY_CODE + township.code
        geometry = shapely.coverage_union_all(township_parts[t_index])
        all_townships.append(geometry)
        result.append(
            GeneratedGrid(township_code, township.name, "township", COUNTY_CODE, geometry, name_en=township.name_en)
        )
        community_index = 0
        for v_index, village_name in enumerate(township.villages):
            if village_name.endswith("社区"):
                community_index += 1
            villages[(t_index, v_index)] = GeneratedGrid(
                township_code + village_code(v_index, village_name, community_index),
                village_name,
                "village",
                township_code,
                shapely.coverage_union_all(village_parts[(t_index, v_index)]),
            )
            result.append(villages[(t_index, v_index)])
    for geometry, (t_index, v_index, g_number) in zip(groups, keys, strict=True):
        village = villages[(t_index, v_index)]
        result.append(
            GeneratedGrid(
                f"{village.code}{g_number:03d}",
                f"{village.name}{chinese_ordinal(g_number)}组",
                "group",
                village.code,
                geometry,
            )
        )
    county = GeneratedGrid(
        COUNTY_CODE, COUNTY_NAME, "county", None, shapely.coverage_union_all(all_townships), name_en="Deqin County"
    )
    return [county, *result]


NETS_ALL = ("social", "religious", "rural")
# Villages with well-known religious sites (Dongzhulin Monastery, Cizhong church,
# Feilai Temple near the seat, Mingyong/Kawagebo pilgrim routes) always serve the religious net.
_RELIGIOUS_VILLAGES = {"书松村", "茨中村", "阿东村", "明永村", "西当村", "斯农村", "巴美村", "奔子栏社区"}
_TIBETAN_NAMES = (
    "扎西",
    "次仁",
    "卓玛",
    "拉姆",
    "格桑",
    "达瓦",
    "尼玛",
    "央宗",
    "此里",
    "农布",
    "都吉",
    "白玛",
    "鲁茸",
    "斯那",
    "吹批",
    "阿称",
    "七林",
    "永宗",
    "品初",
    "取追",
)
_LISU_HAN_SURNAMES = ("余", "和", "李", "王", "杨", "熊", "蜂", "胡", "张", "赵")
_LISU_HAN_GIVEN = ("建华", "永明", "春花", "学文", "光荣", "秀英", "志强", "金花", "国庆", "玉兰", "文军", "红梅")


@dataclass(frozen=True)
class GeneratedWorker:
    """A demo grid worker bound to one grid."""

    code: str
    name: str
    phone: str
    level: str
    grid_code: str
    nets: tuple[str, ...]
    post: str


@dataclass(frozen=True)
class GeneratedBranch:
    """A demo standing party branch of a villager group; its secretary leads the group too."""

    code: str
    name: str
    grid_code: str
    secretary_code: str
    members: int


def _person_name(rng: np.random.Generator, lisu_area: bool) -> str:
    if lisu_area and rng.random() < 0.6:
        return str(rng.choice(_LISU_HAN_SURNAMES)) + str(rng.choice(_LISU_HAN_GIVEN))
    first, second = rng.choice(len(_TIBETAN_NAMES), size=2, replace=False)
    return _TIBETAN_NAMES[first] + _TIBETAN_NAMES[second]


def _phone(serial: int) -> str:
    # 170-0xxx is a virtual-operator block; clearly synthetic for demo data.
    return f"1700{serial:07d}"


def generate_staff(grids: list[GeneratedGrid]) -> tuple[list[GeneratedWorker], list[GeneratedBranch]]:
    """Generate the 545 demo grid workers and 479 party branches for ``grids``.

    County 4 (a grid chief plus one lead per net), township 13 (one per township,
    a second in the five townships with most groups), village 49, group 479: the
    one group without a standing party branch has no group-level worker either,
    because in every other group the branch secretary is the group leader (一肩挑).
    """
    rng = np.random.default_rng(SEED + 1)
    by_level: dict[str, list[GeneratedGrid]] = {}
    for grid in grids:
        by_level.setdefault(grid.level, []).append(grid)
    township_of = {g.code: g.code[:9] for g in grids if g.level in ("village", "group")}
    lisu = {COUNTY_CODE + "204", COUNTY_CODE + "205"}
    workers: list[GeneratedWorker] = []

    def add(level: str, grid_code: str, nets: tuple[str, ...], post: str) -> GeneratedWorker:
        worker = GeneratedWorker(
            code=f"W{len(workers) + 1:04d}",
            name=_person_name(rng, township_of.get(grid_code, grid_code[:9]) in lisu),
            phone=_phone(len(workers) + 1),
            level=level,
            grid_code=grid_code,
            nets=nets,
            post=post,
        )
        workers.append(worker)
        return worker

    add("county", COUNTY_CODE, NETS_ALL, "县级网格长")
    add("county", COUNTY_CODE, ("social",), "社会治理网专职网格员")
    add("county", COUNTY_CODE, ("religious",), "宗教事务网专职网格员")
    add("county", COUNTY_CODE, ("rural",), "乡村振兴网专职网格员")

    groups_per_township = {
        t.code: sum(1 for g in by_level["group"] if g.code[:9] == t.code) for t in by_level["township"]
    }
    busiest = sorted(groups_per_township, key=lambda code: (-groups_per_township[code], code))[:5]
    for township in by_level["township"]:
        add("township", township.code, NETS_ALL, "乡镇网格长")
    for code in busiest:
        add("township", code, ("social", "rural"), "乡镇专职网格员")

    village_names = {g.code: g.name for g in by_level["village"]}
    for village in by_level["village"]:
        add("village", village.code, NETS_ALL, "村（社区）网格员")

    # The one group without a branch: the last-numbered group of the largest village.
    largest_village = max(
        by_level["village"], key=lambda v: sum(1 for g in by_level["group"] if g.parent_code == v.code)
    )
    without_branch = max(g.code for g in by_level["group"] if g.parent_code == largest_village.code)
    branches: list[GeneratedBranch] = []
    for group in by_level["group"]:
        if group.code == without_branch:
            continue
        religious = village_names[str(group.parent_code)] in _RELIGIOUS_VILLAGES or rng.random() < 0.3
        nets = NETS_ALL if religious else ("social", "rural")
        leader = add("group", group.code, nets, "村民小组长兼党支部书记")
        branches.append(
            GeneratedBranch(
                code=f"B{group.code}",
                name=f"中共{group.name}支部",
                grid_code=group.code,
                secretary_code=leader.code,
                members=int(rng.integers(5, 36)),
            )
        )
    return workers, branches
