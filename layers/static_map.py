"""A still PNG map for paper briefings (matplotlib, no tiles: it must print at a checkpoint with no network)."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from functools import cache
from itertools import pairwise

import shapely

#: Columns (letters) and rows (numbers) of the grid references printed on the map, as on a topographic sheet.
REFERENCE_COLUMNS = "ABCDEF"
REFERENCE_ROWS = 5
#: Lengths a scale bar may take, in km: the longest that fits in a quarter of the map's width.
SCALE_STEPS_KM = (0.5, 1, 2, 5, 10, 20, 50)

STATUS_COLOURS = {"closed": "#9e9e9e", "rejected": "#bdbdbd", "duplicate": "#bdbdbd"}
OPEN_COLOUR = "#d7191c"


@cache
def _pyplot():
    """matplotlib, set up on first use: importing it (and listing fonts) would slow every app start."""
    import matplotlib

    matplotlib.use("Agg")  # no display on a server
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    # Noto Sans CJK (Debian fonts-noto-cjk, installed by ./dev) so that Chinese labels render.
    cjk = [f.name for f in font_manager.fontManager.ttflist if "CJK" in f.name]
    if cjk:
        plt.rcParams["font.family"] = [cjk[0], "DejaVu Sans"]
    return plt


def _draw_polygon(axes, geometry: shapely.Geometry, **style) -> None:
    for polygon in shapely.get_parts(geometry):
        if polygon.geom_type != "Polygon":
            continue
        x, y = polygon.exterior.xy
        axes.fill(x, y, **style)


def _outline(axes, geometry: shapely.Geometry, **style) -> None:
    for line in shapely.get_parts(shapely.boundary(geometry)):
        for part in shapely.get_parts(line):
            x, y = part.xy
            axes.plot(x, y, **style)


def _scale_bar(axes, xmin: float, xmax: float, ymin: float, ymax: float) -> None:
    """A bar of a round length in km at the lower left, measured at the map's middle latitude."""
    km_per_degree = 111.32 * math.cos(math.radians((ymin + ymax) / 2))
    width_km = (xmax - xmin) * km_per_degree
    length = max([s for s in SCALE_STEPS_KM if s <= width_km / 4], default=SCALE_STEPS_KM[0])
    x0, y0 = xmin + (xmax - xmin) * 0.04, ymin + (ymax - ymin) * 0.04
    x1 = x0 + length / km_per_degree
    axes.plot([x0, x1], [y0, y0], color="black", linewidth=3, solid_capstyle="butt")
    axes.plot([x0, x0], [y0, y0 + (ymax - ymin) * 0.012], color="black", linewidth=1)
    axes.plot([x1, x1], [y0, y0 + (ymax - ymin) * 0.012], color="black", linewidth=1)
    axes.annotate(
        f"{length:g} km", ((x0 + x1) / 2, y0), xytext=(0, 4), textcoords="offset points", ha="center", fontsize=8
    )


def _north_arrow(axes) -> None:
    axes.annotate(
        "N", xy=(0.95, 0.95), xytext=(0.95, 0.85), xycoords="axes fraction", ha="center", va="center", fontsize=11,
        fontweight="bold", arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1.5},
    )  # fmt: skip


def _grid_references(axes, xmin: float, xmax: float, ymin: float, ymax: float) -> None:
    """Light lines dividing the map into lettered columns and numbered rows, named at the edges (e.g. "C3")."""
    columns, rows = len(REFERENCE_COLUMNS), REFERENCE_ROWS
    xs = [xmin + (xmax - xmin) * i / columns for i in range(columns + 1)]
    ys = [ymax - (ymax - ymin) * i / rows for i in range(rows + 1)]
    for x in xs[1:-1]:
        axes.axvline(x, color="#999", linewidth=0.5, linestyle=":")
    for y in ys[1:-1]:
        axes.axhline(y, color="#999", linewidth=0.5, linestyle=":")
    axes.set_xticks([(a + b) / 2 for a, b in pairwise(xs)], list(REFERENCE_COLUMNS))
    axes.set_yticks([(a + b) / 2 for a, b in pairwise(ys)], [str(r + 1) for r in range(rows)])
    axes.tick_params(length=0, labelsize=9, top=True, labeltop=True, right=True, labelright=True)


def reference_of(lon: float, lat: float, bounds: tuple[float, float, float, float]) -> str:
    """The grid reference ("C3") of a point on a briefing map drawn over ``bounds`` (west, south, east, north)."""
    xmin, ymin, xmax, ymax = bounds
    column = min(int((lon - xmin) / (xmax - xmin) * len(REFERENCE_COLUMNS)), len(REFERENCE_COLUMNS) - 1)
    row = min(int((ymax - lat) / (ymax - ymin) * REFERENCE_ROWS), REFERENCE_ROWS - 1)
    return f"{REFERENCE_COLUMNS[max(column, 0)]}{max(row, 0) + 1}"


def briefing_bounds(zone: shapely.Geometry) -> tuple[float, float, float, float]:
    """The extent a zone's briefing map shows (the zone and a margin), shared by the map and its reference list."""
    xmin, ymin, xmax, ymax = zone.buffer(0.04).bounds
    return (xmin, ymin, xmax, ymax)


def briefing_png(
    zone: shapely.Geometry,
    county: shapely.Geometry,
    sites: list[dict],
    incidents: list[dict],
    hotspots: list[dict],
    title: str,
    demo_note: str,
    groups: Sequence[tuple[str, shapely.Geometry]] = (),
) -> bytes:
    """A map a team can use on the hill: county and zone outlines, villager groups with names, checkpoints
    and stations, incidents (open in red), hotspot centres, a scale bar, a north arrow and grid references."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(7, 6), dpi=120)
    xmin, ymin, xmax, ymax = briefing_bounds(zone)
    view = shapely.box(xmin, ymin, xmax, ymax)
    for name, outline in groups:
        _outline(axes, outline, color="#8c8c8c", linewidth=0.6)
        inside = shapely.intersection(outline, view)
        if not inside.is_empty:
            point = shapely.point_on_surface(inside)
            axes.annotate(name, (point.x, point.y), ha="center", fontsize=6, color="#555")
    _draw_polygon(axes, county, facecolor="none", edgecolor="#7a1f1f", linewidth=1.5)
    _draw_polygon(axes, zone, facecolor="#fdae61", edgecolor="#b35806", alpha=0.45, linewidth=1.5)
    for incident in incidents:
        colour = STATUS_COLOURS.get(incident["status"], OPEN_COLOUR)
        axes.plot(incident["lon"], incident["lat"], "o", color=colour, markersize=3)
    for site in sites:
        marker = "^" if site["kind"] == "checkpoint" else "s"
        axes.plot(site["lon"], site["lat"], marker, color="#2166ac", markersize=9)
        axes.annotate(site["name"], (site["lon"], site["lat"]), xytext=(5, 5), textcoords="offset points", fontsize=8)
    for hotspot in hotspots:
        axes.plot(hotspot["lon"], hotspot["lat"], "*", color="#7b3294", markersize=14)
        axes.annotate(
            f"#{hotspot['rank']}", (hotspot["lon"], hotspot["lat"]), xytext=(6, -10), textcoords="offset points"
        )
    axes.set_xlim(xmin, xmax)
    axes.set_ylim(ymin, ymax)
    axes.set_aspect(1 / math.cos(math.radians((ymin + ymax) / 2)))  # degrees of longitude are shorter here
    _grid_references(axes, xmin, xmax, ymin, ymax)
    _scale_bar(axes, xmin, xmax, ymin, ymax)
    _north_arrow(axes)
    axes.set_title(title, fontsize=11, pad=18)
    corners = f"{xmin:.3f}°E {ymax:.3f}°N – {xmax:.3f}°E {ymin:.3f}°N · WGS-84"
    figure.text(0.01, 0.01, f"{demo_note}  {corners}".strip(), fontsize=7, color="#997404")
    out = io.BytesIO()
    figure.savefig(out, format="png", bbox_inches="tight")
    plt.close(figure)
    return out.getvalue()
