"""A map extract per parcel — the one function the check report and the parcel atlas share.

``draw_parcel_map(fig, parcel, layers, rect)`` draws, inside ``rect`` of a matplotlib ``Figure``:
the constraint layers around the parcel as outlines (catalog stroke colours), the parcel, each
failing or warning finding's geometry on top (不符合 over 警示), every overlap labelled with its area,
the infrastructure distance lines in a colour no catalog layer uses, a scale bar, a north arrow
and the 示意 mark where schematic data is shown; the legend sits to the right, outside the map
frame. ``parcel_map_png`` renders one extract to PNG bytes.

Matplotlib ``Figure`` + Agg only (never pyplot), with the CJK font registered.
"""

from __future__ import annotations

import io

import shapely
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrow, PathPatch, Rectangle

from ..check.model import ParcelResult
from ..fonts import register_matplotlib_font
from ..mapview import format_bar_length, scale_bar_length
from ..palette import STATUS_COLOURS
from ..render import MARKERS, polygon_path
from ..units import M2_PER_MU
from .linebreak import break_lines

# Layers drawn under the parcel, bottom to top, when they were loaded for the check.
BACKGROUND_LAYERS = ("env_control_units", "urban_development_boundary", "permanent_basic_farmland",
                     "ecological_redline", "drinking_water_sources", "nature_reserves", "roads",
                     "power_lines", "substations", "planned_substations", "water_supply")
_DRAWN = ("fail", "warn", "not_assessed")
FINDING_COLOURS = {status: STATUS_COLOURS[status] for status in _DRAWN}  # the one status palette
# The nearest-facility lines of 通路/通电/通水: a colour no catalog layer uses (a test keeps it so).
DISTANCE_COLOUR = "#00c2ff"
LEGEND_SHARE = 0.34  # of the extract's width, to the right of the map frame


def _draw(ax, geom, *, fill=None, stroke="#333333", width=0.8, alpha=1.0, hatch=None, dash=None, zorder=1,
          marker="o"):
    """Draw any geometry; return a legend handle for it (or None when nothing was drawn)."""
    handle = None
    kind = geom.geom_type
    if kind in ("Polygon", "MultiPolygon", "GeometryCollection"):
        path = polygon_path(geom)
        if len(path.vertices):
            handle = PathPatch(path, facecolor=fill or "none", edgecolor=stroke, linewidth=width, alpha=alpha,
                               hatch=hatch, linestyle=dash or "-", zorder=zorder)
            ax.add_patch(handle)
    if kind in ("LineString", "MultiLineString", "GeometryCollection"):
        for part in shapely.get_parts(geom):
            if part.geom_type == "LineString":
                x, y = part.xy
                handle = ax.plot(x, y, color=stroke, linewidth=width * 1.5, linestyle=dash or "-", zorder=zorder)[0]
    if kind in ("Point", "MultiPoint", "GeometryCollection"):
        for part in shapely.get_parts(geom):
            if part.geom_type == "Point":
                handle = ax.plot([part.x], [part.y], marker=marker, color=fill or stroke, markeredgecolor=stroke,
                                 markersize=5, linestyle="none", zorder=zorder)[0]
    return handle


def _extent(parcel: ParcelResult) -> tuple[float, float, float, float]:
    """The parcel and its failing/warning overlaps, padded; a square-ish window of ≥ 200 m."""
    geoms = [parcel.geometry] + [f.geometry for f in parcel.findings
                                 if f.status in _DRAWN and f.geometry is not None
                                 and f.geometry.geom_type in ("Polygon", "MultiPolygon")]
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    pad = max(maxx - minx, maxy - miny, 200.0) * 0.35
    return minx - pad, miny - pad, maxx + pad, maxy + pad


def _area_label(m2: float) -> str:
    return f"{m2 / M2_PER_MU:,.2f} 亩（{m2:,.1f} m²）"


class _Labels:
    """Place text without overlapping earlier labels (moves a label down until it is free)."""

    def __init__(self, ax):
        self.ax, self.boxes = ax, []
        canvas = ax.figure.canvas
        if not hasattr(canvas, "get_renderer"):
            from matplotlib.backends.backend_agg import FigureCanvasAgg

            canvas = FigureCanvasAgg(ax.figure)
        self.renderer = canvas.get_renderer()

    def add(self, x, y, text, colour):
        t = self.ax.annotate(text, (x, y), xytext=(0, 0), textcoords="offset points", ha="center", va="center",
                             fontsize=6.5, color="black", zorder=30,
                             bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": colour,
                                   "alpha": 0.92})
        for step in range(16):  # below, above, further below, further above …
            box = t.get_window_extent(self.renderer).expanded(1.08, 1.7)  # with the bbox pad
            if not any(box.overlaps(b) for b in self.boxes):
                break
            shift = (step // 2 + 1) * box.height * 72 / self.ax.figure.dpi
            t.set_position((0, -shift if step % 2 == 0 else shift))
        self.boxes.append(t.get_window_extent(self.renderer).expanded(1.08, 1.7))


def _north_arrow(ax) -> None:
    """A north arrow (grid north, EPSG:4549) on a white ground in the top-right corner."""
    ax.add_patch(Rectangle((0.895, 0.70), 0.07, 0.235, transform=ax.transAxes, facecolor="white",
                           edgecolor="none", alpha=0.85, zorder=39))
    ax.add_patch(FancyArrow(0.93, 0.80, 0, 0.12, width=0.012, head_width=0.045, head_length=0.06,
                            length_includes_head=True, transform=ax.transAxes, color="black", zorder=40))
    ax.text(0.93, 0.77, "北", transform=ax.transAxes, ha="center", va="top", fontsize=8, zorder=40)


def _scale_bar(ax, extent) -> None:
    width = extent[2] - extent[0]
    length = scale_bar_length(max(width / 4, 10.0))
    x0 = extent[0] + width * 0.05
    y0 = extent[1] + (extent[3] - extent[1]) * 0.05
    h = (extent[3] - extent[1]) * 0.012
    ax.add_patch(Rectangle((x0 - width * 0.02, y0 - h * 2.5), length + width * 0.04, h * 7.5, facecolor="white",
                           edgecolor="none", alpha=0.85, zorder=38))
    for k in range(2):
        ax.add_patch(Rectangle((x0 + k * length / 2, y0), length / 2, h, facecolor="black" if k == 0 else "white",
                               edgecolor="black", linewidth=0.6, zorder=39))
    text = format_bar_length(length)
    ax.text(x0 + length / 2, y0 + h * 1.6, text, ha="center", va="bottom", fontsize=6.5, zorder=40)


def draw_parcel_map(fig: Figure, parcel: ParcelResult, layers: dict | None = None,
                    rect=(0.02, 0.02, 0.96, 0.96), legend: bool = True) -> None:
    """Draw the extract of ``parcel`` (EPSG:4549 geometry and findings) into ``fig`` at ``rect``
    (figure fraction). With ``legend`` the map frame takes the left part of ``rect`` and the legend
    the right ``LEGEND_SHARE``; ``layers`` (id → CheckLayer) adds the constraint layers as outlines.
    """
    register_matplotlib_font()
    x, y, w, h = rect
    map_w = w * (1 - LEGEND_SHARE) if legend else w
    ax = fig.add_axes((x, y, map_w, h))
    extent = _extent(parcel)
    # the map frame keeps the data aspect: widen the extent to the frame's shape
    fw, fh = fig.get_size_inches()
    frame_ratio = (map_w * fw) / (h * fh)
    ex_w, ex_h = extent[2] - extent[0], extent[3] - extent[1]
    cx, cy = (extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2
    if ex_w / ex_h < frame_ratio:
        ex_w = ex_h * frame_ratio
    else:
        ex_h = ex_w / frame_ratio
    extent = (cx - ex_w / 2, cy - ex_h / 2, cx + ex_w / 2, cy + ex_h / 2)
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    ax.set_aspect("equal", adjustable="box")
    ax.apply_aspect()  # final data → pixel transform before labels are placed
    window = shapely.box(*extent)
    handles: list = []
    schematic = []
    for lid in BACKGROUND_LAYERS:
        layer = (layers or {}).get(lid)
        if layer is None or not len(layer):
            continue
        idx = layer.tree.query(window)
        style, drawn = layer.spec.drawn_style, None  # with the schematic treatment of a 示意 layer
        dash = (0, style.dash) if style.dash else None
        for i in idx:
            g = shapely.clip_by_rect(layer.geoms[i], *extent)
            if g.is_empty:
                continue
            stroke = style.stroke_for(layer.value(style.stroke_field, i)) if style.stroke_field else style.stroke
            fill = style.fill_for(layer.value(style.fill_field, i)) if style.fill_field else style.fill
            # overlays as outlines only: nothing hides the parcel or the failing overlap
            drawn = _draw(ax, g, fill=fill if g.geom_type.endswith("Point") else None, stroke=stroke,
                          width=max(style.stroke_width, 0.8), zorder=2, dash=dash,
                          marker=MARKERS.get(style.marker, "o")) or drawn
        if drawn is not None:
            handles.append((drawn, layer.spec.display_title))
            if layer.spec.schematic:
                schematic.append(layer.spec.title)
    labels = _Labels(ax)
    seen: set[str] = set()
    # warnings first, failures last, overlaps after other parts: the failing overlap is on top
    order = {"not_assessed": 0, "warn": 1, "fail": 2}
    for f in sorted((f for f in parcel.findings if f.geometry is not None and not f.geometry.is_empty),
                    key=lambda f: ("重叠" in f.geometry_role, order.get(f.status, -1))):
        line = f.geometry.geom_type in ("LineString", "MultiLineString")
        if line:  # a distance line (nearest facility, protected area within the buffer)
            colour = DISTANCE_COLOUR
            handle = _draw(ax, f.geometry, stroke=colour, width=1.6, zorder=20,
                           dash="--" if "待核实" in f.geometry_role else None)
            length = f.geometry.length
            end = shapely.get_point(f.geometry, -1) if f.geometry.geom_type == "LineString" else None
            if end is not None:
                ax.plot([end.x], [end.y], marker="o", color=colour, markersize=3.5, zorder=21)
            key = f"{f.rules_label} {f.title}：{f.geometry_role} {length:,.0f} m"
        elif f.status in _DRAWN:
            colour = FINDING_COLOURS[f.status]
            key = f"{f.rules_label} {f.title}：{f.geometry_role}（{f.status_label}）"
            area = shapely.area(f.geometry)
            if "重叠" in f.geometry_role:  # an overlap: filled, failures over warnings, on top
                handle = _draw(ax, f.geometry, fill=colour, stroke=colour, width=1.0,
                               alpha=0.6 if f.status == "fail" else 0.4,
                               hatch="////" if f.status == "fail" else None, zorder=14 + order[f.status])
            else:  # a part outside a boundary, a part in a unit: outlined so the overlap stays visible
                handle = _draw(ax, f.geometry, stroke=colour, width=1.3, dash="--", zorder=10 + order[f.status])
            if area > 0 and f.status == "fail" or "重叠" in f.geometry_role and area > 0:
                p = shapely.point_on_surface(f.geometry)
                labels.add(p.x, p.y, f"{f.rules_label} {_area_label(area)}", colour)
        else:
            continue
        if handle is not None and key not in seen:
            seen.add(key)
            handles.append((handle, key))
    parcel_handle = _draw(ax, parcel.geometry, stroke="#000000", width=1.8, zorder=25)
    handles.append((parcel_handle, f"地块 {parcel.id}（{_area_label(parcel.area_m2)}）"))
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    ax.set_xticks([]), ax.set_yticks([])
    _scale_bar(ax, extent)
    _north_arrow(ax)
    if schematic or parcel.indicative:
        ax.text(0.98, 0.02, "示意：图中含示意图层，仅供参考", transform=ax.transAxes, ha="right", va="bottom",
                fontsize=7, color="#b2182b", zorder=40,
                bbox={"facecolor": "white", "edgecolor": "#b2182b", "alpha": 0.9})
    if legend:
        lax = fig.add_axes((x + map_w, y, w - map_w, h))
        lax.axis("off")
        items = [(Line2D([], [], color=hd.get_edgecolor(), linewidth=2) if isinstance(hd, PathPatch)
                  and hd.get_facecolor()[3] == 0 else hd, text) for hd, text in handles]
        lax.legend([i for i, _ in items], [_wrap(t) for _, t in items], loc="upper left", fontsize=6,
                   frameon=False, borderaxespad=0.3, handlelength=1.6, title="图例", title_fontsize=7,
                   alignment="left")


def _wrap(text: str, width: float = 18) -> str:
    """A legend entry in lines of ``width`` em, broken by the 禁则 rules (numbers kept whole)."""
    return "\n".join(break_lines(text, width))


def parcel_map_png(parcel: ParcelResult, layers: dict | None = None, size=(7.0, 4.2), dpi=150) -> bytes:
    """The extract of ``parcel`` as PNG bytes (``size`` in inches at ``dpi``)."""
    fig = Figure(figsize=size, dpi=dpi)
    draw_parcel_map(fig, parcel, layers, rect=(0.01, 0.02, 0.98, 0.96))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
