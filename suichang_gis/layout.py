"""Print layouts for meeting maps: a map page with 图名, 图例, 比例尺, 指北针, 经纬度格网, 区位图,
制图单位, 制图日期, 数据来源 and a 示意 notice, from templates in ``resources/print_templates.toml``.

``compose_layout`` builds the page as a matplotlib ``Figure`` (Agg, no pyplot) and
``export_layout`` writes it as PDF (vector, CJK font embedded as Type 42/CID), PNG or SVG.
The map scale is a round 1:N chosen so the extent fits the frame; the scale bar is drawn in map
units, so its printed length is exactly N times smaller than the distance it names.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import threading
import tomllib
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from matplotlib import rc_context, rcParams
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from shapely import box

from .catalog import MapLayer
from .map_furniture import (
    MIN_TEXT_PT,
    PT_PER_MM,
    STAMP_COLOUR,
    draw_graticule_ticks,
    draw_inset,
    draw_north_arrow,
    draw_scale_bar,
    draw_stamp,
    draw_table,
    fit_text,
    furniture_boxes,
    heading_font,
    stamp_size_mm,
    table_height_mm,
    table_rows,
    with_print_fonts,
)
from .render import DrawnLayer, LegendEntry, draw_layers, fit_label, is_missing_value, legend_entries

PAPER_MM = {"A4": (210.0, 297.0), "A3": (297.0, 420.0), "A2": (420.0, 594.0),
            "A1": (594.0, 841.0), "A0": (841.0, 1189.0)}
ORIENTATIONS = ("landscape", "portrait")
FORMATS = (".pdf", ".png", ".svg")
# zlib level of a PDF's streams: an A3 zone map is 10 % larger than at matplotlib's default 6
# and compressed in a quarter of the time (about 0.1 s less per page).
PDF_COMPRESSION = 3
MM_PER_INCH = 25.4
# Labels and legend are fitted at this dpi whatever the output resolution, so a preview and
# the exported file make the same choices.
LAYOUT_DPI = 72
MAKER_BLANK = "＿" * 10  # 制图单位 not set: a line to fill in by hand, as the reports leave it
INSET_LAYER = "lishui_counties"
SCHEMATIC_TITLE = "（示意）"
UNPLACED_HEADING = "未上图项目（位置未定）："
NUMBERED_HEADING = "图上编号："
COUNTY_LAYER = "county_boundary"
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
CRS_NOTE = "坐标系：2000国家大地坐标系（CGCS2000），3°带高斯-克吕格投影，中央经线120°E（EPSG:4549）"
NICE_SCALES = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 8.0)
MIN_INSET_MM = 40  # × paper factor k
PORTRAIT_PANEL = 0.31  # share of a portrait page's height for legend and notes, at first


class LayoutError(ValueError):
    """A layout that cannot be made; the message is Chinese."""


@dataclass(frozen=True)
class Template:
    """A print template of ``resources/print_templates.toml``: title, layers (bottom first),
    extent, subtitle and the layers an enlargement inset shows.
    """

    id: str
    title: str
    layers: tuple[str, ...]
    extent: str = "county"  # "county" | "parcels"
    subtitle: str = ""
    detail: tuple[str, ...] = ()  # layers whose features an enlargement inset shows
    detail_title: str = ""


def templates_path() -> Path:
    """The shipped template file, ``resources/print_templates.toml``."""
    from resources import RESOURCES_DIR

    return RESOURCES_DIR / "print_templates.toml"


def load_templates(path: Path | None = None) -> dict[str, Template]:
    """Templates by id, in file order."""
    path = Path(path) if path else templates_path()
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    return {tid: Template(id=tid, title=t["title"], layers=tuple(t["layers"]),
                          extent=t.get("extent", "county"), subtitle=t.get("subtitle", ""),
                          detail=tuple(t.get("detail", ())), detail_title=t.get("detail_title", "放大图"))
            for tid, t in raw.get("templates", {}).items()}


@dataclass
class MapLayout:
    """A composed page and what is on it (tests and the GUI read these)."""

    figure: Figure
    map_ax: object
    drawn: list[DrawnLayer]
    legend: list[LegendEntry]
    scale_denominator: int
    scale_bar_km: float
    scale_bar: tuple[tuple[float, float], tuple[float, float]]  # bar ends, map metres
    paper_mm: tuple[float, float]
    notes: list[str] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)  # the 未上图项目 box's items
    schematic: bool = False  # a 示意 layer is drawn: stamp and （示意） title


# --- page geometry ---------------------------------------------------------------------------

def maker_text(maker: str | None = None) -> str:
    """The 制图单位 a page prints: ``maker``, else the unit of ``resources/report_settings.toml``
    (the 核查单位 the reports print; the software never names itself), else a blank line
    (``MAKER_BLANK``) to fill in by hand. A broken settings file raises ``ValueError`` (Chinese).
    """
    if maker is None:
        from .report.settings import load_report_settings

        maker = load_report_settings().unit
    return maker.strip() or MAKER_BLANK


def paper_size_mm(paper: str, orientation: str) -> tuple[float, float]:
    """(width, height) of the page in mm; ``LayoutError`` for an unknown paper or orientation."""
    if paper not in PAPER_MM:
        raise LayoutError(f"不支持的纸张“{paper}”：可用 {'、'.join(PAPER_MM)}")
    if orientation not in ORIENTATIONS:
        raise LayoutError(f"纸张方向应为 landscape（横向）或 portrait（纵向），而不是“{orientation}”")
    short, long_ = PAPER_MM[paper]
    return (long_, short) if orientation == "landscape" else (short, long_)


def nice_scale(metres_per_mm: float) -> int:
    """The smallest round denominator 1:N (1, 1.2, 1.5, 2, 2.5 … × 10^k) at least as small-scale."""
    needed = metres_per_mm * 1000.0
    exponent = math.floor(math.log10(needed))
    for step in (*NICE_SCALES, 10.0):
        if step * 10 ** exponent >= needed - 1e-9:
            return round(step * 10 ** exponent)
    raise AssertionError("unreachable")


def symbol_scale(k: float) -> float:
    """Symbols and labels in points suit A4/A3; wall maps (A2–A0) get them larger."""
    return max(1.0, math.sqrt(k / math.sqrt(2)))


# --- extent ----------------------------------------------------------------------------------

def template_extent(template: Template, layers: dict[str, MapLayer],
                    extra: list[MapLayer]) -> tuple[float, float, float, float]:
    """The area a template shows: the county with a margin, or the parcels with a margin."""
    if template.extent == "parcels":
        frames = [m for m in extra if len(m.geometries())]
        if not frames:
            raise LayoutError(f"模板“{template.title}”需要候选地块：请用 --parcels 指定地块文件")
        bounds = _union_bounds(frames)
        pad = max(0.3 * max(bounds[2] - bounds[0], bounds[3] - bounds[1]), 800.0)
    else:
        source = layers.get(COUNTY_LAYER)
        bounds = _union_bounds([source] if source is not None else list(layers.values()))
        pad = 0.03 * max(bounds[2] - bounds[0], bounds[3] - bounds[1])
    return (bounds[0] - pad, bounds[1] - pad, bounds[2] + pad, bounds[3] + pad)


def _union_bounds(layers) -> tuple[float, float, float, float]:
    """The bounds of the layers' geometries together (``LayoutError`` when none has any)."""
    boxes = [shapely.total_bounds(g) for g in (layer.geometries() for layer in layers)
             if (~shapely.is_missing(g)).any()]
    if not boxes:
        raise LayoutError("没有可绘制的要素，无法确定制图范围")
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def fit_extent(extent, frame_mm: tuple[float, float]) -> tuple[tuple[float, float, float, float], int]:
    """Grow ``extent`` around its centre to fill the frame at a round scale; return it and N."""
    width, height = extent[2] - extent[0], extent[3] - extent[1]
    denominator = nice_scale(max(width / frame_mm[0], height / frame_mm[1]))
    half_w = frame_mm[0] * denominator / 1000 / 2
    half_h = frame_mm[1] * denominator / 1000 / 2
    cx, cy = (extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2
    return (cx - half_w, cy - half_h, cx + half_w, cy + half_h), denominator


# --- notes -----------------------------------------------------------------------------------

def source_notes(drawn: list[DrawnLayer]) -> list[str]:
    """数据来源 naming every drawn layer's source, grouped by source, plus required attributions."""
    by_source: dict[str, list[str]] = {}
    attributions: list[str] = []
    for d in drawn:
        prov = d.spec.provenance
        by_source.setdefault(prov.source, []).append(d.spec.title)
        if prov.attribution and prov.attribution not in attributions:
            attributions.append(prov.attribution)
        if ("OpenStreetMap" in prov.source or "OSM" in prov.source) and OSM_ATTRIBUTION not in attributions:
            attributions.append(OSM_ATTRIBUTION)
    lines = ["数据来源："] + [f"· {'、'.join(titles)}：{source}" for source, titles in by_source.items()]
    return _abbreviate_plan(lines) + attributions


PLAN_TITLE = "《遂昌县国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要》"
PLAN_SHORT = "《纲要》"


def _abbreviate_plan(lines: list[str]) -> list[str]:
    """The plan's full title once, then "《纲要》" (defined where first written)."""
    out, defined = [], False
    for line in lines:
        if PLAN_TITLE in line:
            head, rest = line.split(PLAN_TITLE, 1)
            first = PLAN_SHORT if defined else f"{PLAN_TITLE}（下称{PLAN_SHORT}）"
            line = head + first + rest.replace(PLAN_TITLE, PLAN_SHORT)
            defined = True
        out.append(line)
    return out


def short_sources(notes: list[str]) -> list[str]:
    """The notes with each source line ("· 图层：来源") abbreviated to its first clause (no
    text is cut mid-word); a last line says where the full sources are.
    """
    out, shortened = [], False
    for line in notes:
        if line.startswith("· ") and "：" in line:
            titles, source = line.split("：", 1)
            first = re.split(r"[；;(]|（(?!下称)", source)[0].strip() or source
            shortened |= first != source
            line = f"{titles}：{first}"
        out.append(line)
    if shortened:
        out.append(SOURCES_IN_FULL)
    return out


SOURCES_IN_FULL = "（来源只列首项；各图层完整来源、许可与精度见图层目录：suichang-gis layers）"


def schematic_note(drawn: list[DrawnLayer]) -> str | None:
    """The notice explaining the （示意） mark, when a drawn layer is schematic."""
    if not any(d.spec.schematic for d in drawn):
        return None
    return ("注：图例中标“（示意）”的图层为示意数据（据规划文本或推算绘制），"
            "位置与范围仅供参考，不作为用地审批依据。")


def zhuanlan_numbers(text: str) -> set[int]:
    """The 专栏 numbers a subtitle names: "专栏4–9" → 4…9, "专栏20、专栏22" → {20, 22}."""
    numbers: set[int] = set()
    for match in re.finditer(r"专栏([\d–—\-－、，,\s专栏]+)", text):
        for piece in re.split(r"[、，,\s]+", match.group(1).replace("专栏", " ")):
            ends = re.split(r"[–—\-－]", piece)
            if len(ends) == 2 and all(e.isdigit() for e in ends):
                numbers.update(range(int(ends[0]), int(ends[1]) + 1))
            elif piece.isdigit():
                numbers.add(int(piece))
    return numbers


def unplaced_items(template: Template, layers: dict[str, MapLayer]) -> list[str]:
    """Items of the 专栏 the template's subtitle names that its layers hold without geometry
    ("name（专栏N）"), once each; an item drawn by another feature (``drawn_with``) is drawn.
    """
    wanted = zhuanlan_numbers(template.subtitle)
    if not wanted:
        return []
    items: dict[str, str] = {}
    for layer_id in template.layers:
        layer = layers.get(layer_id)
        if layer is None:
            continue
        geoms = layer.geometries()
        columns = {c: layer.column(c) or [None] * len(geoms) for c in ("drawn_with", "zhuanlan", "name", "plan_item")}
        for i in np.flatnonzero(shapely.is_missing(geoms) | shapely.is_empty(geoms)):
            row = {c: None if is_missing_value(v[i]) else v[i] for c, v in columns.items()}
            if str(row["drawn_with"] or ""):
                continue
            zl = str(row["zhuanlan"] or (layer.spec.zhuanlan[0] if layer.spec.zhuanlan else ""))
            number = re.search(r"\d+", zl)
            if number is None or int(number.group()) not in wanted:
                continue
            name = str(row["name"] or row["plan_item"] or "")
            key = str(row["plan_item"] or name)
            if name and key not in items:
                items[key] = f"{name}（{zl}）"
    return list(items.values())


# --- composition -----------------------------------------------------------------------------

@with_print_fonts
def compose_layout(template: Template, layers: dict[str, MapLayer], paper: str = "A3",
                   orientation: str = "landscape", title: str | None = None,
                   extra_layers: list[MapLayer] | None = None,
                   extent: tuple[float, float, float, float] | None = None,
                   maker: str | None = None, date: dt.date | None = None,
                   dpi: float = LAYOUT_DPI, extra_notes: list[str] | None = None,
                   table: tuple[list[str], list[list[str]]] | None = None,
                   panel_share: float = PORTRAIT_PANEL) -> MapLayout:
    """Compose one map page.

    Parameters
    ----------
    template : Template
        Which layers (by id) and which extent; ids missing from ``layers`` are skipped.
    layers : dict of id -> MapLayer (or ``feature_layer.FeatureLayer``)
        Loaded catalog layers; ``lishui_counties`` is also used for the inset.
    paper, orientation : str
        "A4" … "A0"; "landscape" or "portrait".
    title : str, optional
        Replaces the template's title.
    extra_layers : list of MapLayer, optional
        Drawn on top (e.g. candidate parcels); listed in the legend and sources like any layer.
    extent : (minx, miny, maxx, maxy), optional
        EPSG:4549 area to show (e.g. the canvas view); by default the template's extent.
    maker, date : 制图单位 (None: ``maker_text``'s default from the report settings) and 制图日期.
    dpi : float
        Figure dpi at which labels and legend are fitted (the output dpi is set on export).
    extra_notes : list of str, optional
        Extra lines for the notes block (e.g. the notices of a check).
    table : (headers, rows), optional
        A table printed under the map (e.g. the check summary of the parcels).
    panel_share : float
        Share of a portrait page's height the legend and notes panel gets at first; a page whose
        legend and notes need more is composed once more with a taller panel.
    """
    args = (template, layers, paper, orientation, title, extra_layers, extent, maker, date, dpi,
            extra_notes, table)
    layout, overflow_mm = _compose(*args, panel_share)
    if overflow_mm > 0 and orientation == "portrait":
        layout, _ = _compose(*args, panel_share + (overflow_mm + 4) / paper_size_mm(paper, orientation)[1])
    return layout


def _compose(template, layers, paper, orientation, title, extra_layers, extent, maker, date, dpi,
             extra_notes, table, panel_share) -> tuple[MapLayout, float]:
    """The page and how many mm the panel's content overflows it by (0 when it fits)."""
    extra_layers = list(extra_layers or [])
    page_w, page_h = paper_size_mm(paper, orientation)
    k = min(page_w, page_h) / 210.0  # furniture grows with the paper
    fig = Figure(figsize=(page_w / MM_PER_INCH, page_h / MM_PER_INCH), dpi=dpi)
    FigureCanvasAgg(fig)
    margin, title_h, tick_gap, gap = 8 * k, 20 * k, 9 * k, 6 * k

    if orientation == "landscape":
        panel_w = 0.24 * page_w
        frame = (margin + tick_gap, margin + tick_gap,
                 page_w - 2 * margin - 2 * tick_gap - panel_w - gap,
                 page_h - 2 * margin - 2 * tick_gap - title_h)
        panel = (page_w - margin - panel_w, margin, panel_w, page_h - 2 * margin - title_h)
    else:
        panel_h = panel_share * page_h
        frame = (margin + tick_gap, margin + panel_h + gap + tick_gap,
                 page_w - 2 * margin - 2 * tick_gap,
                 page_h - 2 * margin - 2 * tick_gap - title_h - panel_h - gap)
        panel = (margin, margin, page_w - 2 * margin, panel_h)

    def frac(x, y, w, h):
        return [x / page_w, y / page_h, w / page_w, h / page_h]

    if table:
        shown = table_rows(table[1])
        table_w = (frame[2] + 2 * tick_gap) * PT_PER_MM
        band_h = table_height_mm(table[0], shown, 7 * k, table_w)
        draw_table(fig, frac(frame[0] - tick_gap, frame[1] - tick_gap, frame[2] + 2 * tick_gap, band_h),
                   table[0], shown, 7 * k, table_w)
        frame = (frame[0], frame[1] + band_h + gap, frame[2], frame[3] - band_h - gap)

    map_layers = [layers[i] for i in template.layers if i in layers] + extra_layers
    target = extent or template_extent(template, layers, extra_layers)
    view, denominator = fit_extent(target, (frame[2], frame[3]))
    schematic = any(layer.spec.schematic and _in_view(layer, view) for layer in map_layers)

    ax = fig.add_axes(frac(*frame))
    ax.set_facecolor("white")
    avoid = furniture_boxes((frame[2], frame[3]), denominator, k, stamp=schematic)
    detail_extent = _detail_extent(template, layers, view) if extent is None else None
    detail_rect = _detail_rect(detail_extent, frame, k) if detail_extent else None
    if detail_rect:
        avoid.append(_axes_box(detail_rect, frame, 8 * k))
    inset_at = None  # where the 区位图 goes into the map, if it does
    if orientation == "portrait":
        inset_at = _map_inset_rect(frame, k, "upper-left" if detail_rect else "lower-right", schematic)
    elif detail_rect:
        inset_at = _map_inset_rect(frame, k, "upper-left", schematic)
    if inset_at:
        avoid.append(_axes_box(inset_at, frame, 8 * k))
    numbered: list[str] = []  # names with no room on the map, shown by a number
    drawn = draw_layers(ax, map_layers, view, avoid=avoid, scale=symbol_scale(k), numbered=numbered)
    for spine in ax.spines.values():
        spine.set_linewidth(0.8 * k)
    draw_graticule_ticks(ax, view, 6.5 * k)
    # Outer neat line (图廓) outside the graticule labels.
    fig.add_artist(Rectangle(((frame[0] - tick_gap) / page_w, (frame[1] - tick_gap) / page_h),
                             (frame[2] + 2 * tick_gap) / page_w, (frame[3] + 2 * tick_gap) / page_h,
                             transform=fig.transFigure, fill=False, linewidth=1.6 * k,
                             edgecolor="black"))
    draw_north_arrow(ax, (frame[2], frame[3]), k)
    bar_km, bar = draw_scale_bar(ax, view, denominator, (frame[2], frame[3]), k)
    if schematic:
        draw_stamp(ax, (frame[2], frame[3]), k)
    if detail_rect:
        _draw_detail(fig, ax, map_layers, detail_extent, detail_rect, template.detail_title, k, (page_w, page_h))

    heading = title or template.title
    if schematic and "示意" not in heading:
        heading += SCHEMATIC_TITLE
    fig.text(0.5, 1 - (margin + 8 * k) / page_h, heading, ha="center", va="center",
             fontsize=20 * k, fontproperties=heading_font())
    if template.subtitle:
        fig.text(0.5, 1 - (margin + 16 * k) / page_h, template.subtitle, ha="center", va="center",
                 fontsize=8.5 * k, color="#444444")

    date = date or dt.date.today()
    notes = [f"比例尺 1:{denominator:,}".replace(",", " "), CRS_NOTE, f"制图单位：{maker_text(maker)}",
             f"制图日期：{date.year}年{date.month}月{date.day}日", *(extra_notes or []),
             *([NUMBERED_HEADING + "；".join(numbered)] if numbered else []),
             *source_notes(drawn)]
    warning = schematic_note(drawn)
    if warning:
        notes.append(warning)
    unplaced = unplaced_items(template, layers)
    county = layers.get(COUNTY_LAYER)
    detail = county is not None and view[2] - view[0] < _span(county)
    legend, overflow = _draw_panel(fig, panel, frame, drawn, notes, unplaced, layers.get(INSET_LAYER), view, k,
                         orientation, (page_w, page_h), detail, inset_at)
    layout = MapLayout(fig, ax, drawn, legend, denominator, bar_km, bar, (page_w, page_h), notes)
    layout.unplaced = unplaced
    layout.schematic = schematic
    return layout, overflow


DETAIL_PAD_M = 1500.0
DETAIL_SHARE = 0.36  # of the map frame's width


def _detail_extent(template: Template, layers: dict[str, MapLayer], view):
    """The area of the template's ``detail`` layers with a margin, if it is small on the map."""
    frames = [layers[i] for i in template.detail if i in layers and len(layers[i].geometries())]
    if not frames:
        return None
    x0, y0, x1, y1 = _union_bounds(frames)
    if max(x1 - x0, y1 - y0) > 0.3 * (view[2] - view[0]):
        return None  # big enough on the main map
    return (x0 - DETAIL_PAD_M, y0 - DETAIL_PAD_M, x1 + DETAIL_PAD_M, y1 + DETAIL_PAD_M)


def _detail_rect(extent, frame, k: float) -> tuple[float, float, float, float]:
    """Page rectangle (mm) of the enlargement inset in the map frame's lower-right corner."""
    ratio = (extent[3] - extent[1]) / (extent[2] - extent[0])
    width = DETAIL_SHARE * frame[2]
    height = min(width * ratio, 0.45 * frame[3])
    width = height / ratio
    return (frame[0] + frame[2] - width - 2 * k, frame[1] + 2 * k, width, height)


def _axes_box(rect, frame, caption_mm: float) -> tuple[float, float, float, float]:
    """A page rectangle (mm) with room for its caption above, as an axes-fraction box."""
    return ((rect[0] - frame[0] - 2) / frame[2], (rect[1] - frame[1]) / frame[3],
            (rect[0] + rect[2] - frame[0]) / frame[2], (rect[1] + rect[3] + caption_mm - frame[1]) / frame[3])


def _draw_detail(fig, ax, map_layers, extent, rect, title: str, k: float, page) -> None:
    """The enlargement inset: the same layers at a larger round scale, labelled, with its
    area outlined on the main map.
    """
    page_w, page_h = page
    view, denominator = fit_extent(extent, (rect[2], rect[3]))
    detail_ax = fig.add_axes([rect[0] / page_w, rect[1] / page_h, rect[2] / page_w, rect[3] / page_h])
    detail_ax.set_facecolor("white")
    draw_layers(detail_ax, map_layers, view, scale=symbol_scale(k))
    detail_ax.set_xticks([])
    detail_ax.set_yticks([])
    detail_ax.set_zorder(2500)
    for spine in detail_ax.spines.values():
        spine.set_linewidth(1.0 * k)
    detail_ax.set_title(f"{title}（1:{denominator:,}）".replace(",", " "), fontsize=8 * k, pad=2 * k,
                        fontproperties=heading_font())
    ax.add_patch(Rectangle((view[0], view[1]), view[2] - view[0], view[3] - view[1], fill=False,
                           edgecolor="#333333", linewidth=0.8 * k, zorder=1800))


def _in_view(layer, view) -> bool:
    return bool(shapely.intersects(layer.geometries(), box(*view)).any())


def _span(layer) -> float:
    minx, _, maxx, _ = shapely.total_bounds(layer.geometries())
    return maxx - minx


def _notes_blocks(notes, unplaced, width_mm, room_mm, k, box_width_mm=None):
    """The 未上图项目 box and the notes wrapped at one size between 7 k and MIN_TEXT_PT k;
    sources are abbreviated (never cut) when the full ones do not fit ``room_mm``.

    The box is stacked above the notes (``box_width_mm`` None: both ``width_mm`` wide) or
    beside them, ``box_width_mm`` wide. Returns (box text, notes text, size, box height, notes
    height), heights in mm, the box's with its frame.
    """
    box_lines = [UNPLACED_HEADING + "；".join(f"{i}. {item}" for i, item in enumerate(unplaced, 1))] \
        if unplaced else []
    floor = MIN_TEXT_PT * k
    beside = box_width_mm is not None
    for paragraphs in (notes, short_sources(notes)):
        size = 7 * k
        while True:
            notes_text, _, notes_h = fit_text(paragraphs, width_mm - 2 * k, 1e9, size, size)
            box_text, _, box_h = fit_text(box_lines, (box_width_mm or width_mm) - 3 * k, 1e9, size, size)
            box_h = box_h + 4 * k if box_lines else 0.0
            height = max(notes_h, box_h) if beside else notes_h + box_h
            if height <= room_mm or size <= floor:
                break
            size = max(floor, size * 0.93)
        if height <= room_mm:
            break
    return box_text if box_lines else "", notes_text, size, box_h, notes_h


def _draw_notes(fig, x, y, box_xy, notes_text, box_text, size, page) -> None:
    """Notes bottom-left at (x, y) mm and the 未上图项目 box bottom-left at ``box_xy`` mm."""
    page_w, page_h = page
    fig.text(x / page_w, y / page_h, notes_text, ha="left", va="bottom", fontsize=size,
             linespacing=1.35, color="#222222")
    if box_text:
        fig.text((box_xy[0] + 1.2) / page_w, (box_xy[1] + 1.2) / page_h, box_text, ha="left", va="bottom",
                 fontsize=size, linespacing=1.35, color="#222222",
                 bbox={"boxstyle": "square,pad=0.4", "facecolor": "#fff8f0", "edgecolor": STAMP_COLOUR,
                       "linewidth": 0.6})


def _map_inset_rect(frame, k: float, where: str, stamp: bool = False) -> tuple[float, float, float, float]:
    """The 区位图 inside the map frame (mm on the page): "lower-right" corner, or "upper-left"
    under the 示意 stamp.
    """
    side = 0.6 * MIN_INSET_MM * k
    if where == "lower-right":
        return (frame[0] + frame[2] - side - 2 * k, frame[1] + 2 * k, side, side)
    top = frame[1] + frame[3] - (stamp_size_mm(k)[1] + 6 * k if stamp else 0.0) - 10 * k
    return (frame[0] + 3 * k, top - side, side, side)


def _draw_panel(fig, panel, frame, drawn, notes, unplaced, inset, view, k, orientation, page,
                detail: bool, inset_at=None) -> list[LegendEntry]:
    """Legend, inset, the 未上图项目 box and notes in the side (landscape) or bottom (portrait)
    panel.

    Landscape: legend at the top, notes at the bottom with the box above them, the inset in
    between (or in the map's corner when the text leaves it too little room). Portrait: legend
    and inset on top, notes and the box side by side below.
    """
    page_w, page_h = page
    px, py, pw, ph = panel
    overflow = 0.0
    title_room = 7 * k  # the inset's caption
    min_inset = 0.6 * MIN_INSET_MM * k
    if orientation == "landscape":
        inset_side = min(pw * 0.62, ph * 0.25)
        legend_room = ph * 0.75 - inset_side - title_room - 12 * k  # a quarter stays for notes
        entries, legend_h = _draw_legend(fig, drawn, (px, py + ph - legend_room, pw, legend_room), k, page)
        below = ph - legend_h - 6 * k
        box_text, notes_text, size, box_h, notes_h = _notes_blocks(
            notes, unplaced, pw, below - inset_side - title_room - 6 * k, k)
        room = below - box_h - notes_h - title_room - 6 * k
        if room < min_inset or inset_at:  # the inset goes into the map (see compose_layout)
            box_text, notes_text, size, box_h, notes_h = _notes_blocks(notes, unplaced, pw, below, k)
            inset_rect = inset_at or _map_inset_rect(frame, k, "lower-right")
        else:
            inset_side = min(pw * 0.62, room)
            inset_rect = (px + (pw - inset_side) / 2, py + box_h + notes_h + 6 * k + (room - inset_side) / 2,
                          inset_side, inset_side)
        _draw_notes(fig, px, py, (px, py + notes_h + 3 * k), notes_text, box_text, size, page)
    else:
        # The inset sits in the map's lower-right corner (kept free of labels), the legend takes
        # the panel's width first (it cannot shrink below MIN_TEXT_PT), the text what is left.
        inset_rect = inset_at or _map_inset_rect(frame, k, "lower-right")
        box_w = 0.42 * pw if unplaced else None
        notes_w = pw - box_w - 4 * k if unplaced else pw
        least = _notes_blocks(notes, unplaced, notes_w, 0.0, k, box_w)  # the text at its smallest
        legend_room = max(ph - max(least[3], least[4]) - 4 * k, ph * 0.3)
        entries, legend_h = _draw_legend(fig, drawn, (px, py + ph - legend_room, pw, legend_room), k, page)
        box_text, notes_text, size, box_h, notes_h = _notes_blocks(
            notes, unplaced, notes_w, ph - legend_h - 4 * k, k, box_w)
        _draw_notes(fig, px, py, (px + pw - box_w if unplaced else px, py), notes_text, box_text, size, page)
        overflow = legend_h + 4 * k + max(box_h if box_w is not None else 0.0, notes_h) - ph
    draw_inset(fig, [inset_rect[0] / page_w, inset_rect[1] / page_h,
                     inset_rect[2] / page_w, inset_rect[3] / page_h], inset, view, k, detail)
    return entries, max(overflow, 0.0)


def legend_columns(entries: list[LegendEntry], ncol: int) -> list[LegendEntry | None]:
    """Entries in column-major order with blank rows (None), so a status heading and its
    lines stay in one column where they fit.
    """
    if ncol == 1:
        return list(entries)
    blocks: list[list[LegendEntry]] = []
    for entry in entries:
        if entry.value is not None and blocks:
            blocks[-1].append(entry)
        else:
            blocks.append([entry])
    rows = math.ceil(len(entries) / ncol)
    while True:
        columns, current = [], []
        for block in blocks:
            if current and len(current) + len(block) > rows:
                columns.append(current)
                current = []
            current.extend(block)
        columns.append(current)
        if len(columns) <= ncol and all(len(c) <= rows for c in columns):
            break
        rows += 1
    columns += [[] for _ in range(ncol - len(columns))]
    return [e for column in columns for e in column + [None] * (rows - len(column))]


LEGEND_SIZES_KEPT = 512  # measured legend sizes kept (a print dialog tries a few per page)
_legend_sizes: OrderedDict = OrderedDict()  # _legend_key → (width, height) in mm
_legend_lock = threading.Lock()


def _draw_legend(fig, drawn, box, k, page) -> tuple[list[LegendEntry], float]:
    """A legend that fits ``box`` (mm), anchored at its top: more columns first, then a
    smaller font (down to MIN_TEXT_PT × k, where a very long legend may overflow).

    Measuring a trial legend (matplotlib lays out every text) is the slow part of a page, so
    a trial whose floor (``_legend_height_floor``) is already taller than the box is not built,
    and the size of each trial measured is kept (``_legend_sizes``): a page composed again with
    the same legend rows (another title, maker or export resolution) builds and measures only
    the legend it keeps. Returns the entries and the legend's height in mm.
    """
    entries = legend_entries(drawn)
    if not entries:
        return [], 0.0
    max_cols = max(2, int(box[2] // (32 * k)))
    size = 8 * k
    while True:
        for ncol in range(1, max_cols + 1):
            key, _ = _legend_key(entries, box, size, ncol, fig.dpi)
            with _legend_lock:
                known = _legend_sizes.get(key)
            last = size <= MIN_TEXT_PT * k and ncol == max_cols
            if known:
                width, height = known
            elif not last and _legend_height_floor(fig, entries, box, size, ncol) > box[3]:
                continue  # it cannot fit: not worth measuring
            else:
                legend = _legend(fig, entries, box, page, size, ncol)
                width, height = _measure_legend(fig, key, legend)
            if (height <= box[3] and width <= box[2]) or last:
                if known:  # the legend kept is built, and measured, once
                    _, height = _measure_legend(fig, key, _legend(fig, entries, box, page, size, ncol))
                return entries, height
            if not known:
                legend.remove()
        size = max(MIN_TEXT_PT * k, size * 0.9)


def _legend_key(entries, box, size: float, ncol: int, dpi: float) -> tuple[tuple, list[str]]:
    """What a trial legend's size depends on: its rows (text, heading or not) in their
    columns, the font size and the dpi it is measured at; and its label texts.
    """
    slots = legend_columns(entries, ncol)
    label_em = max(6, int(box[2] / ncol * PT_PER_MM / size) - 5)  # room beside the symbol
    labels = [fit_label(e.label, width=label_em, drop_brackets=False) if e is not None else "" for e in slots]
    rows = tuple((label, e is not None and e.handle is None) for label, e in zip(labels, slots))
    return (rows, ncol, round(size, 6), float(dpi)), labels


def _measure_legend(fig, key, legend) -> tuple[float, float]:
    """Width and height (mm) of a legend drawn on ``fig``, remembered under ``key``."""
    extent = legend.get_window_extent(fig.canvas.get_renderer())
    measured = (extent.width / fig.dpi * MM_PER_INCH, extent.height / fig.dpi * MM_PER_INCH)
    with _legend_lock:
        _legend_sizes[key] = measured
        while len(_legend_sizes) > LEGEND_SIZES_KEPT:
            _legend_sizes.popitem(last=False)
    return measured


def _legend_height_floor(fig, entries, box, size: float, ncol: int) -> float:
    """A floor (mm) under the height of the trial legend ``_legend`` builds, without building it.

    matplotlib's legend stacks each column's rows ``legend.labelspacing`` font sizes apart
    (title and frame padding come on top), a row is at least as tall as its label, and each
    line of a label at least as tall as the font's ascent and descent, whatever its glyphs. So
    the tallest column of blank labels with as many lines (laid out with no glyph to measure,
    once per line count and font) is a floor that costs a few text layouts instead of a legend.
    """
    slots = legend_columns(entries, ncol)
    _, labels = _legend_key(entries, box, size, ncol, fig.dpi)
    renderer = fig.canvas.get_renderer()
    heights: dict[tuple[int, bool], float] = {}

    def blank_height(lines: int, heading: bool) -> float:
        if (lines, heading) not in heights:
            font = heading_font() if heading else FontProperties()
            font.set_size(size)
            text = Text(0, 0, "\n" * (lines - 1) or " ", fontproperties=font)
            text.set_figure(fig)
            heights[lines, heading] = text.get_window_extent(renderer).height
        return heights[lines, heading]

    rows = len(slots) // ncol
    gap = rcParams["legend.labelspacing"] * size * fig.dpi / 72
    columns = [[blank_height(label.count("\n") + 1, entry is not None and entry.handle is None)
                for entry, label in zip(slots[c * rows:(c + 1) * rows], labels[c * rows:(c + 1) * rows])]
               for c in range(ncol)]
    tallest = max(sum(column) + gap * (len(column) - 1) for column in columns if column)
    return tallest / fig.dpi * MM_PER_INCH


def _legend(fig, entries, box, page, size: float, ncol: int):
    """The trial legend of ``entries`` at ``size`` pt in ``ncol`` columns, its top-left at the box's."""
    page_w, page_h = page
    bx, by, bw, bh = box
    slots = legend_columns(entries, ncol)
    _, labels = _legend_key(entries, box, size, ncol, fig.dpi)
    handles = [e.handle if e is not None and e.handle is not None else Line2D([], [], linestyle="none")
               for e in slots]
    legend = fig.legend(handles, labels, loc="upper left", bbox_to_anchor=(bx / page_w, (by + bh) / page_h),
                        ncol=ncol, fontsize=size, title="图  例", title_fontsize=size * 1.25, frameon=True,
                        handlelength=3.0, handleheight=1.4, borderaxespad=0.0, edgecolor="black",
                        fancybox=False, columnspacing=1.0)
    for entry, text in zip(slots, legend.get_texts()):
        if entry is not None and entry.handle is None:  # a heading of status lines
            text.set_fontproperties(heading_font())
            text.set_fontsize(size)
    return legend


# --- export ----------------------------------------------------------------------------------

@with_print_fonts
def export_layout(layout: MapLayout, path: Path, dpi: float = 300) -> Path:
    """Write the page as PDF (vector, fonts embedded), PNG (``dpi``) or SVG, by extension."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise LayoutError(f"不支持的输出格式“{path.suffix}”：请用 {'、'.join(FORMATS)}")
    if not path.parent.exists():
        raise LayoutError(f"无法写入 {path}：文件夹 {path.parent} 不存在")
    metadata = {"Title": layout.figure.texts[0].get_text() if layout.figure.texts else "",
                "Creator": "suichang-gis"}
    if suffix == ".png":
        metadata = {"Title": metadata["Title"], "Software": "suichang-gis"}
    with rc_context({"pdf.compression": PDF_COMPRESSION}):
        layout.figure.savefig(path, dpi=dpi, format=suffix[1:], metadata=metadata)
    return path


@with_print_fonts
def layout_png(layout: MapLayout, dpi: float) -> bytes:
    """The page as PNG bytes (the print dialog's preview: the very figure that is exported)."""
    import io

    buffer = io.BytesIO()
    layout.figure.savefig(buffer, dpi=dpi, format="png")
    return buffer.getvalue()


# --- one call for the CLI and the GUI ----------------------------------------------------------

def print_map(template: Template | str, out: Path | None = None, paper: str = "A3",
              orientation: str = "landscape", title: str | None = None,
              extra_layers: list[MapLayer] | None = None, layer_ids: list[str] | None = None,
              extent=None, user_catalog: Path | None = None, dpi: float = 300,
              maker: str | None = None, extra_notes: list[str] | None = None,
              layers: dict[str, MapLayer] | None = None,
              table: tuple[list[str], list[list[str]]] | None = None, model=None) -> MapLayout:
    """Compose the page of a template and write it to ``out`` (PDF/PNG/SVG by extension).

    ``layer_ids`` replaces the template's layer list (the GUI's layer choice or the visible
    layers of the current view); ``layers`` are already loaded layers by id (the GUI's, which
    may hold user data), otherwise they are read from the catalog (GeoJSON layers without
    pandas: ``feature_layer.load_print_layer``); ``out`` None only composes
    (for a preview: ``layout_png(layout, dpi)``). A ``map_model.MapModel`` as ``model`` prints
    the map as it is: its layers with their opacity and style, by default its visible ones in
    its order over its extent.
    """
    from dataclasses import replace

    from .catalog import load_catalog
    from .feature_layer import load_print_layer

    if model is not None:
        layers = {layer.id: layer for layer in model.drawn_layers(visible_only=False)}
        layer_ids = [state.id for state in model.visible()] if layer_ids is None else layer_ids
        extent = model.extent if extent is None else extent

    if isinstance(template, str):
        templates = load_templates()
        if template not in templates:
            raise LayoutError(f"没有编号为“{template}”的制图模板。可用的模板：{'、'.join(templates)}")
        template = templates[template]
    if layer_ids is not None:
        template = replace(template, layers=tuple(layer_ids))
    if layers is None:
        specs = {s.id: s for s in load_catalog(user_catalog=user_catalog)}
        wanted = [i for i in (*template.layers, INSET_LAYER, COUNTY_LAYER) if i in specs]
        layers = {i: load_print_layer(specs[i]) for i in dict.fromkeys(wanted)}
    missing = [i for i in template.layers if i not in layers]
    layout = compose_layout(template, layers, paper, orientation, title, extra_layers, extent,
                            maker=maker, dpi=LAYOUT_DPI, extra_notes=extra_notes, table=table)
    layout.notes.extend(f"模板图层“{i}”不在图层目录中，已略过" for i in missing)
    if out is not None:
        export_layout(layout, Path(out), dpi=dpi)
    return layout
