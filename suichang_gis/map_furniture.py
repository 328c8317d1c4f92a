"""Map furniture for printed pages: graticule ticks, north arrow, scale bar, inset, table, and
text fitting for mixed Chinese/Latin text. Everything is sized in millimetres on paper, times
the paper factor ``k`` (1 for A4's short side, 4 for A0).
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from functools import lru_cache, wraps
from pathlib import Path

import numpy as np
import shapely
from matplotlib import font_manager, rc_context
from matplotlib.collections import PathCollection
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Polygon as MplPolygon
from matplotlib.patches import Rectangle

from .crs import to_lonlat
from .fonts import register_matplotlib_font
from .mapview import scale_bar_length
from .render import polygon_path
from .text import text_em, wrap_text

PT_PER_MM = 72 / 25.4
COUNTY_NAME = "遂昌县"
STAMP_TEXT = "示意图 · 非正式成果 · 不作为审批依据"
STAMP_PT = 10.0  # × paper factor: 10 pt on A4, above the 9 pt a reader notices
STAMP_COLOUR = "#b2182b"
MIN_TEXT_PT = 6.0  # × paper factor: the smallest legend, label, source or notice text
TABLE_ROWS = 12
PRINT_FAMILY = "SimHei"


def simhei_path() -> Path:
    """The 黑体 (SimHei) TrueType file that mplfonts ships."""
    import mplfonts

    return Path(mplfonts.__file__).parent / "fonts" / "SimHei.ttf"


def heading_font() -> FontProperties:
    """黑体 (SimHei, shipped by mplfonts) for 图名 and headings."""
    return FontProperties(fname=str(simhei_path()))


@lru_cache(maxsize=1)
def _register_print_font() -> None:
    register_matplotlib_font()  # first, so that its global settings outlive print_fonts()
    font_manager.fontManager.addfont(str(simhei_path()))


@contextmanager
def print_fonts():
    """Fonts for printed pages: DejaVu Sans for Latin letters, digits and signs, 黑体 (SimHei)
    for Chinese (matplotlib falls back glyph by glyph along the family list).

    Both are TrueType, so a PDF embeds them as real Type 42 (CID TrueType) fonts. Noto Sans CJK
    is CFF-based: matplotlib writes it as a TrueType font file, which poppler reports as a
    "mismatch between font type and embedded font file" and strict PDF readers may refuse.

    ``ps.fonttype`` 42 too: matplotlib 3.11's PDF writer sizes its font subsets by that setting
    (256 characters for the default Type 3), so a Chinese page embedded 黑体 and DejaVu twice
    or more, each time parsing and subsetting the whole 9.7 MB font with fontTools (about half
    of an A3 print's time); with 42 each font is embedded once, with the same text.
    """
    _register_print_font()
    with rc_context({"font.family": ["DejaVu Sans", PRINT_FAMILY], "pdf.fonttype": 42, "ps.fonttype": 42,
                     "svg.fonttype": "path", "axes.unicode_minus": False}):
        yield


def with_print_fonts(fn):
    """Run ``fn`` (composing or writing a page) inside ``print_fonts()``."""
    @wraps(fn)
    def wrapper(*args, **kwargs):
        with print_fonts():
            return fn(*args, **kwargs)
    return wrapper


def fit_text(paragraphs: list[str], width_mm: float, height_mm: float,
              size_pt: float, min_pt: float) -> tuple[str, float, float]:
    """Wrap and shrink text until it fits; return (text, font size, height in mm)."""
    size = size_pt
    while True:
        width_em = width_mm * PT_PER_MM / size
        lines = [ln for p in paragraphs for ln in wrap_text(p, width_em)]
        height = len(lines) * size * 1.35 / PT_PER_MM
        if height <= height_mm or size <= min_pt:
            return "\n".join(lines), size, height
        size = max(min_pt, size * 0.9)


def _dms(value: float, positive: str, negative: str) -> str:
    minutes_total = round(abs(value) * 60)
    degrees, minutes = divmod(minutes_total, 60)
    return f"{degrees}°{minutes:02d}′{positive if value >= 0 else negative}"


def _graticule_step(span_deg: float) -> float:
    for minutes in (1, 2, 5, 10, 15, 20, 30, 60, 120, 300):
        if span_deg * 60 / minutes <= 5:
            return minutes / 60
    return 10.0


def _edge_crossings(x0, y0, x1, y1, index: int, step: float) -> list[tuple[float, float]]:
    """Where lines of constant lon (index 0) or lat (1) at multiples of ``step`` cross an edge.

    Returns (position along the edge in map metres, lon/lat value) pairs.
    """
    n = 400
    xs = [x0 + (x1 - x0) * i / n for i in range(n + 1)]
    ys = [y0 + (y1 - y0) * i / n for i in range(n + 1)]
    values = to_lonlat(xs, ys)[index]
    along = xs if index == 0 else ys
    crossings = []
    first = math.ceil(min(values[0], values[-1]) / step)
    last = math.floor(max(values[0], values[-1]) / step)
    for k in range(first, last + 1):
        target = k * step
        for i in range(n):
            a, b = values[i], values[i + 1]
            if (a - target) * (b - target) <= 0 and a != b:
                t = (target - a) / (b - a)
                crossings.append((along[i] + t * (along[i + 1] - along[i]), target))
                break
    return crossings


def draw_graticule_ticks(ax, extent, size_pt: float) -> None:
    """Lon ticks on the top/bottom edges and lat ticks on the left/right edges (CGCS2000)."""
    x0, y0, x1, y1 = extent
    lons, lats = to_lonlat([x0, x1, x0, x1], [y0, y0, y1, y1])
    lon_step = _graticule_step(max(lons) - min(lons))
    lat_step = _graticule_step(max(lats) - min(lats))
    tick = {"direction": "in", "length": size_pt * 0.6, "labelsize": size_pt}
    # A label within its own length of a corner would meet the other edge's label there.
    width_pt, height_pt = (ax.get_position().width * ax.figure.get_figwidth() * 72,
                           ax.get_position().height * ax.figure.get_figheight() * 72)
    room_x = (x1 - x0) * size_pt * 4.5 / width_pt
    room_y = (y1 - y0) * size_pt * 4.5 / height_pt

    def clear(crossings, lo, hi, room):
        return [(p, v) for p, v in crossings if lo + room <= p <= hi - room]

    bottom = clear(_edge_crossings(x0, y0, x1, y0, 0, lon_step), x0, x1, room_x)
    top = clear(_edge_crossings(x0, y1, x1, y1, 0, lon_step), x0, x1, room_x)
    left = clear(_edge_crossings(x0, y0, x0, y1, 1, lat_step), y0, y1, room_y)
    right = clear(_edge_crossings(x1, y0, x1, y1, 1, lat_step), y0, y1, room_y)
    ax.set_xticks([p for p, _ in bottom], [_dms(v, "E", "W") for _, v in bottom])
    ax.set_yticks([p for p, _ in left], [_dms(v, "N", "S") for _, v in left], rotation=90, va="center")
    ax.tick_params(**tick)
    top_axis = ax.secondary_xaxis("top", functions=(lambda v: v, lambda v: v))
    top_axis.set_xticks([p for p, _ in top], [_dms(v, "E", "W") for _, v in top])
    top_axis.tick_params(**tick)
    right_axis = ax.secondary_yaxis("right", functions=(lambda v: v, lambda v: v))
    right_axis.set_yticks([p for p, _ in right], [_dms(v, "N", "S") for _, v in right],
                          rotation=90, va="center")
    right_axis.tick_params(**tick)


def furniture_boxes(frame_mm, denominator: int, k: float,
                    stamp: bool = False) -> list[tuple[float, float, float, float]]:
    """Axes-fraction boxes of the north arrow, the scale bar and the 示意 stamp (kept free of labels)."""
    w, h = frame_mm
    arrow = (1 - 16 * k / w, 1 - 26 * k / h, 1.0, 1.0)
    bar_mm = scale_bar_length(w / 5 * denominator / 1e6) * 1e6 / denominator
    bar = (0.0, 0.0, (bar_mm + 26 * k) / w, 24 * k / h)
    boxes = [arrow, bar]
    if stamp:
        sw, sh = stamp_size_mm(k)
        boxes.append((0.0, 1 - (sh + 4 * k) / h, (sw + 4 * k) / w, 1.0))
    return boxes


def stamp_size_mm(k: float) -> tuple[float, float]:
    """Width and height (mm) of the 示意 stamp with its frame."""
    size = STAMP_PT * k
    return (text_em(STAMP_TEXT) + 1.2) * size / PT_PER_MM, 2.0 * size / PT_PER_MM


def draw_stamp(ax, frame_mm, k: float) -> None:
    """The 示意 stamp in the map's top-left corner: red text on a white frame (in-frame, so a
    cropped or copied map keeps it).
    """
    pad = 2.5 * k
    ax.text(pad / frame_mm[0], 1 - pad / frame_mm[1], STAMP_TEXT, transform=ax.transAxes, ha="left", va="top",
            fontsize=STAMP_PT * k, color=STAMP_COLOUR, fontproperties=heading_font(), zorder=2100,
            bbox={"boxstyle": "square,pad=0.3", "facecolor": "white", "edgecolor": STAMP_COLOUR,
                  "linewidth": 1.0 * k, "alpha": 0.9})


def draw_north_arrow(ax, frame_mm, k: float) -> None:
    """A grid-north arrow in the top-right corner of the map frame."""
    w, h = 5 * k / frame_mm[0], 12 * k / frame_mm[1]
    cx, top = 1 - 9 * k / frame_mm[0], 1 - 9 * k / frame_mm[1]
    base, notch = top - h, top - 0.75 * h
    left = MplPolygon([(cx, top), (cx - w / 2, base), (cx, notch)], closed=True,
                      transform=ax.transAxes, facecolor="black", edgecolor="black", lw=0.6, zorder=2000)
    right = MplPolygon([(cx, top), (cx + w / 2, base), (cx, notch)], closed=True,
                       transform=ax.transAxes, facecolor="white", edgecolor="black", lw=0.6, zorder=2000)
    ax.add_patch(left)
    ax.add_patch(right)
    ax.text(cx, top + 1.2 * k / frame_mm[1], "北", transform=ax.transAxes, ha="center", va="bottom",
            fontsize=11 * k, fontproperties=heading_font(), zorder=2000)


def draw_scale_bar(ax, extent, denominator: int, frame_mm, k: float):
    """Alternating black/white bar of a round km length near a fifth of the frame width,
    bottom-left; return its ends (metres).
    """
    length_km = scale_bar_length(frame_mm[0] / 5 * denominator / 1e6)
    metres_per_mm = denominator / 1000
    x0 = extent[0] + 8 * k * metres_per_mm
    y0 = extent[1] + 8 * k * metres_per_mm
    bar_h = 1.6 * k * metres_per_mm
    length = length_km * 1000
    pad = 3 * k * metres_per_mm
    # A translucent panel: the map stays visible under it, the bar and figures stay readable.
    ax.add_patch(Rectangle((x0 - pad, y0 - pad - 4 * k * metres_per_mm), length + 2 * pad + 10 * k * metres_per_mm,
                           bar_h + 2 * pad + 10 * k * metres_per_mm, facecolor=(1, 1, 1, 0.55),
                           edgecolor=(0.4, 0.4, 0.4, 0.6), linewidth=0.4 * k, zorder=1900))
    for i in range(4):
        ax.add_patch(Rectangle((x0 + i * length / 4, y0), length / 4, bar_h, linewidth=0.6 * k,
                               facecolor="black" if i % 2 == 0 else "white", edgecolor="black", zorder=1950))
    size = 7 * k
    for value, x in ((0, x0), (length_km / 2, x0 + length / 2), (length_km, x0 + length)):
        text = f"{value:g}"
        ax.text(x, y0 - 1.0 * k * metres_per_mm, text, ha="center", va="top", fontsize=size, zorder=1960)
    ax.text(x0 + length + 2 * k * metres_per_mm, y0 + bar_h / 2, "千米", ha="left", va="center",
            fontsize=size, zorder=1960)
    ax.text(x0, y0 + bar_h + 1.5 * k * metres_per_mm, f"比例尺 1:{denominator:,}".replace(",", " "),
            ha="left", va="bottom", fontsize=size, zorder=1960)
    return length_km, ((x0, y0), (x0 + length, y0))


def _page_ratio(fig) -> float:
    width, height = fig.get_size_inches()
    return width / height


def draw_inset(fig, rect, inset, extent, k: float, detail: bool) -> None:
    """区位图: 遂昌 among the counties of 丽水市 (``inset``, a MapLayer or FeatureLayer, or None
    for no 区位图), with the printed extent outlined.
    """
    if inset is None:
        return
    ax = fig.add_axes(rect)
    geoms = inset.geometries()
    present = np.flatnonzero(~shapely.is_missing(geoms))
    names = inset.column(inset.spec.style.label_field or "name") or [None] * len(geoms)
    colours = ["#e07b5f" if COUNTY_NAME in str(names[i]) else "#f2efe9" for i in present]
    ax.add_collection(PathCollection([polygon_path(g) for g in geoms[present]], facecolors=colours,
                                     edgecolors="#7a6f78", linewidths=0.4 * k))
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    # Limits with the axes' own aspect ratio, so metres are square without set_aspect.
    half = 0.54 * max(maxx - minx, (maxy - miny) * rect[2] / rect[3] * _page_ratio(fig))
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    ax.set_xlim(cx - half, cx + half)
    half_y = half * rect[3] / rect[2] / _page_ratio(fig)
    ax.set_ylim(cy - half_y, cy + half_y)
    ex_w, ex_h = extent[2] - extent[0], extent[3] - extent[1]
    if detail:  # a detail map: show where it is
        ax.add_patch(Rectangle((extent[0], extent[1]), ex_w, ex_h, fill=False, edgecolor="#c0392b",
                               linewidth=1.0 * k))
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(0.6 * k)
    ax.set_title("区位图（丽水市）", fontsize=8 * k, pad=2 * k)


# --- table ---------------------------------------------------------------------------------



def table_rows(rows: list[list[str]]) -> list[list[str]]:
    """At most TABLE_ROWS rows; the last says how many more parcels the report lists."""
    if len(rows) <= TABLE_ROWS:
        return rows
    more = [f"另有 {len(rows) - TABLE_ROWS + 1} 个地块，见核查报告"] + [""] * (len(rows[0]) - 1)
    return rows[:TABLE_ROWS - 1] + [more]


def table_layout(headers: list[str], rows: list[list[str]], size_pt: float,
                 width_pt: float) -> tuple[list[float], list[list[str]], list[int]]:
    """Column widths (em), the cells with the last column wrapped to its width, and the number
    of lines of each row (header first): nothing is cut.
    """
    widths = [max(text_em(h), *(text_em(r[i]) for r in rows)) + 1.5 for i, h in enumerate(headers[:-1])]
    last_em = max(width_pt / size_pt - sum(widths), 8)
    cells = [[*r[:-1], "\n".join(wrap_text(str(r[-1]), last_em - 1.5))] for r in rows]
    lines = [1] + [max(c.count("\n") + 1 for c in row) for row in cells]
    return [*widths, last_em], cells, lines


def table_height_mm(headers, rows, size_pt: float, width_pt: float) -> float:
    """Height (mm) ``draw_table`` needs for these rows at this size and width."""
    _, _, lines = table_layout(headers, rows, size_pt, width_pt)
    return sum(n * 1.25 + 0.8 for n in lines) * size_pt / PT_PER_MM


def draw_table(fig, rect, headers: list[str], rows: list[list[str]], size_pt: float,
               width_pt: float) -> None:
    """A plain ruled table filling ``rect``; the last column gets the room the others leave
    and wraps (rows grow) instead of cutting its text.
    """
    ax = fig.add_axes(rect)
    ax.axis("off")
    column_em, cells, lines = table_layout(headers, rows, size_pt, width_pt)
    total = sum(column_em)
    table = ax.table(cellText=cells, colLabels=headers, colWidths=[w / total for w in column_em],
                     cellLoc="left", colLoc="left", loc="upper left", bbox=[0, 0, 1, 1])
    table.auto_set_font_size(False)
    table.set_fontsize(size_pt)
    all_lines = sum(n * 1.25 + 0.8 for n in lines)
    for (row, col), cell in table.get_celld().items():
        cell.PAD = 0.5 / column_em[col]  # half an em of padding (the default is 10 % of the cell)
        cell.set_linewidth(0.5)
        cell.set_height((lines[row] * 1.25 + 0.8) / all_lines)
        cell.get_text().set_linespacing(1.1)
        if row == 0:
            cell.set_facecolor("#eeeeee")
            cell.get_text().set_fontproperties(heading_font())
            cell.get_text().set_fontsize(size_pt)
