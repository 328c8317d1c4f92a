"""A map extract per parcel: the constraint layers around it (catalog styles), the parcel, and
each finding's geometry (overlap, part outside a boundary, distance line) drawn on top.

Matplotlib ``Figure`` + Agg only (never pyplot), with the CJK font registered.
"""

from __future__ import annotations

import io

import shapely
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch

from ..check.model import ParcelResult
from ..fonts import register_matplotlib_font
from ..mapview import format_bar_length, scale_bar_length
from ..palette import STATUS_COLOURS
from ..render import HATCHES, polygon_path

# Layers drawn under the parcel, bottom to top, when they were loaded for the check.
BACKGROUND_LAYERS = ("env_control_units", "urban_development_boundary", "permanent_basic_farmland",
                     "ecological_redline", "drinking_water_sources", "nature_reserves", "roads",
                     "power_lines", "substations", "water_supply")


def _draw(ax, geom, *, fill=None, stroke="#333333", width=0.8, alpha=1.0, hatch=None, dash=None, zorder=1,
          label=None):
    kind = geom.geom_type
    if kind in ("Polygon", "MultiPolygon", "GeometryCollection"):
        path = polygon_path(geom)
        if len(path.vertices):
            ax.add_patch(PathPatch(path, facecolor=fill or "none", edgecolor=stroke, linewidth=width,
                                   alpha=alpha, hatch=hatch, linestyle=dash or "-", zorder=zorder, label=label))
            label = None
    if kind in ("LineString", "MultiLineString", "GeometryCollection"):
        for part in shapely.get_parts(geom):
            if part.geom_type == "LineString":
                x, y = part.xy
                ax.plot(x, y, color=stroke, linewidth=width * 1.5, linestyle=dash or "-", zorder=zorder,
                        label=label)
                label = None
    if kind in ("Point", "MultiPoint"):
        for part in shapely.get_parts(geom):
            ax.plot([part.x], [part.y], marker="o", color=stroke, markersize=5, zorder=zorder, label=label)
            label = None


def draw_parcel_map(fig: Figure, parcel: ParcelResult, layers: dict | None = None,
                    rect=(0.02, 0.02, 0.96, 0.96)) -> None:
    """Draw the extract of ``parcel`` into ``fig`` at ``rect`` (figure fraction)."""
    register_matplotlib_font()
    ax = fig.add_axes(rect)
    geom = parcel.geometry
    minx, miny, maxx, maxy = geom.bounds
    pad = max(maxx - minx, maxy - miny, 200.0) * 0.6
    extent = (minx - pad, miny - pad, maxx + pad, maxy + pad)
    window = shapely.box(*extent)
    schematic = []
    for lid in BACKGROUND_LAYERS:
        layer = (layers or {}).get(lid)
        if layer is None or not len(layer):
            continue
        idx = layer.tree.query(window)
        if not len(idx):
            continue
        style = layer.spec.drawn_style  # with the schematic treatment for a 示意 layer
        first = True
        for i in idx:
            g = shapely.clip_by_rect(layer.geoms[i], *extent)
            if g.is_empty:
                continue
            fill = style.fill_for(layer.value(style.fill_field, i)) if style.fill_field else style.fill
            stroke = style.stroke_for(layer.value(style.stroke_field, i)) if style.stroke_field else style.stroke
            _draw(ax, g, fill=fill, stroke=stroke, width=style.stroke_width, alpha=min(style.opacity, 0.6),
                  hatch=HATCHES.get(style.hatch), zorder=2, label=layer.spec.display_title if first else None)
            first = False
        if not first and layer.spec.schematic:
            schematic.append(layer.spec.title)
    shown = set()
    for f in parcel.findings:
        if f.geometry is None or f.geometry.is_empty or f.status in ("pass", "info"):
            continue
        colour = STATUS_COLOURS[f.status]
        label = None if f.rule in shown else f"{f.rule} {f.title}：{f.geometry_role}".rstrip("：")
        shown.add(f.rule)
        _draw(ax, f.geometry, fill=colour, stroke=colour, width=1.0, alpha=0.55, hatch="///", zorder=4,
              dash="--" if f.geometry.geom_type == "LineString" else None, label=label)
    _draw(ax, geom, stroke="#000000", width=1.6, zorder=5, label=f"地块 {parcel.id}")
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    ax.set_aspect("equal")
    ax.set_xticks([]), ax.set_yticks([])
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, loc="upper left", fontsize=6, framealpha=0.85)
    _scale_bar(ax, extent)
    ax.annotate("N↑", xy=(0.97, 0.95), xycoords="axes fraction", ha="right", va="top", fontsize=9)
    if schematic or parcel.indicative:
        ax.text(0.98, 0.03, "示意：图中含示意图层，仅供参考", transform=ax.transAxes, ha="right", va="bottom",
                fontsize=8, color="#b2182b", bbox={"facecolor": "white", "edgecolor": "#b2182b", "alpha": 0.9})


def _scale_bar(ax, extent) -> None:
    width = extent[2] - extent[0]
    length = scale_bar_length(max(width / 4, 10.0))
    x0 = extent[0] + width * 0.05
    y0 = extent[1] + (extent[3] - extent[1]) * 0.05
    ax.plot([x0, x0 + length], [y0, y0], color="black", linewidth=2.5, zorder=6)
    text = format_bar_length(length)
    ax.text(x0 + length / 2, y0, text, ha="center", va="bottom", fontsize=7, zorder=6)


def parcel_map_png(parcel: ParcelResult, layers: dict | None = None, size=(6.0, 4.5), dpi=120) -> bytes:
    """The parcel's map extract (``draw_parcel_map``) as PNG bytes, ``size`` in inches at ``dpi``."""
    fig = Figure(figsize=size, dpi=dpi)
    draw_parcel_map(fig, parcel, layers)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
