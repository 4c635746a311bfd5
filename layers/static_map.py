"""A still PNG map for paper briefings (matplotlib, no tiles: it must print at a checkpoint with no network)."""

from __future__ import annotations

import io
from functools import cache

import shapely

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


def briefing_png(
    zone: shapely.Geometry,
    county: shapely.Geometry,
    sites: list[dict],
    incidents: list[dict],
    hotspots: list[dict],
    title: str,
    demo_note: str,
) -> bytes:
    """Zone, county line, checkpoints and stations, incidents (open in red) and hotspot centres."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(7, 6), dpi=120)
    xmin, ymin, xmax, ymax = zone.buffer(0.04).bounds
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
    axes.set_aspect(1 / 0.88)  # roughly 1 / cos(28°): degrees of longitude are shorter here
    axes.set_title(title, fontsize=11)
    axes.tick_params(labelsize=7)
    figure.text(0.01, 0.01, demo_note, fontsize=7, color="#997404")
    out = io.BytesIO()
    figure.savefig(out, format="png", bbox_inches="tight")
    plt.close(figure)
    return out.getvalue()
