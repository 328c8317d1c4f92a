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
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from .catalog import MapLayer
from .map_furniture import (
    PT_PER_MM,
    draw_graticule_ticks,
    draw_inset,
    draw_north_arrow,
    draw_scale_bar,
    draw_table,
    fit_text,
    furniture_boxes,
    heading_font,
    table_rows,
    with_print_fonts,
)
from .render import DrawnLayer, LegendEntry, draw_layers, fit_label, legend_entries

PAPER_MM = {"A4": (210.0, 297.0), "A3": (297.0, 420.0), "A2": (420.0, 594.0),
            "A1": (594.0, 841.0), "A0": (841.0, 1189.0)}
ORIENTATIONS = ("landscape", "portrait")
FORMATS = (".pdf", ".png", ".svg")
MM_PER_INCH = 25.4
# Labels and legend are fitted at this dpi whatever the output resolution, so a preview and
# the exported file make the same choices.
LAYOUT_DPI = 72
DEFAULT_MAKER = "遂昌县规划工作台"
INSET_LAYER = "lishui_counties"
COUNTY_LAYER = "county_boundary"
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
CRS_NOTE = "坐标系：2000国家大地坐标系（CGCS2000），3°带高斯-克吕格投影，中央经线120°E（EPSG:4549）"
NICE_SCALES = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 8.0)
MIN_INSET_MM = 40  # × paper factor k


class LayoutError(ValueError):
    """A layout that cannot be made; the message is Chinese."""


@dataclass(frozen=True)
class Template:
    id: str
    title: str
    layers: tuple[str, ...]
    extent: str = "county"  # "county" | "parcels"
    subtitle: str = ""


def templates_path() -> Path:
    from resources import RESOURCES_DIR

    return RESOURCES_DIR / "print_templates.toml"


def load_templates(path: Path | None = None) -> dict[str, Template]:
    """Templates by id, in file order."""
    path = Path(path) if path else templates_path()
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    return {tid: Template(id=tid, title=t["title"], layers=tuple(t["layers"]),
                          extent=t.get("extent", "county"), subtitle=t.get("subtitle", ""))
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


# --- page geometry ---------------------------------------------------------------------------

def paper_size_mm(paper: str, orientation: str) -> tuple[float, float]:
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
        frames = [m.gdf for m in extra if len(m.gdf)]
        if not frames:
            raise LayoutError(f"模板“{template.title}”需要候选地块：请用 --parcels 指定地块文件")
        bounds = _union_bounds(frames)
        pad = max(0.3 * max(bounds[2] - bounds[0], bounds[3] - bounds[1]), 800.0)
    else:
        source = layers.get(COUNTY_LAYER)
        frames = [source.gdf] if source is not None else [m.gdf for m in layers.values()]
        bounds = _union_bounds(frames)
        pad = 0.03 * max(bounds[2] - bounds[0], bounds[3] - bounds[1])
    return (bounds[0] - pad, bounds[1] - pad, bounds[2] + pad, bounds[3] + pad)


def _union_bounds(frames) -> tuple[float, float, float, float]:
    boxes = [f.total_bounds for f in frames if len(f) and f.geometry.notna().any()]
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
    return lines + attributions


def short_sources(notes: list[str], width: int = 36) -> list[str]:
    """The notes with each source line ("· 图层：来源") cut to its first clause."""
    out = []
    for line in notes:
        if line.startswith("· ") and "：" in line:
            titles, source = line.split("：", 1)
            source = source.split("；")[0]
            line = f"{titles}：{source[:width] + '…' if len(source) > width else source}"
        out.append(line)
    return out


def schematic_note(drawn: list[DrawnLayer]) -> str | None:
    names = [d.spec.title for d in drawn if d.spec.schematic]
    if not names:
        return None
    return f"注：{'、'.join(names)}为示意数据（据规划文本或推算绘制），位置与范围仅供参考，不作为用地审批依据。"


# --- composition -----------------------------------------------------------------------------

@with_print_fonts
def compose_layout(template: Template, layers: dict[str, MapLayer], paper: str = "A3",
                   orientation: str = "landscape", title: str | None = None,
                   extra_layers: list[MapLayer] | None = None,
                   extent: tuple[float, float, float, float] | None = None,
                   maker: str = DEFAULT_MAKER, date: dt.date | None = None,
                   dpi: float = LAYOUT_DPI, extra_notes: list[str] | None = None,
                   table: tuple[list[str], list[list[str]]] | None = None) -> MapLayout:
    """Compose one map page.

    Parameters
    ----------
    template : Template
        Which layers (by id) and which extent; ids missing from ``layers`` are skipped.
    layers : dict of id -> MapLayer
        Loaded catalog layers; ``lishui_counties`` is also used for the inset.
    paper, orientation : str
        "A4" … "A0"; "landscape" or "portrait".
    title : str, optional
        Replaces the template's title.
    extra_layers : list of MapLayer, optional
        Drawn on top (e.g. candidate parcels); listed in the legend and sources like any layer.
    extent : (minx, miny, maxx, maxy), optional
        EPSG:4549 area to show (e.g. the canvas view); by default the template's extent.
    maker, date : 制图单位 and 制图日期 printed on the page.
    dpi : float
        Figure dpi at which labels and legend are fitted (the output dpi is set on export).
    extra_notes : list of str, optional
        Extra lines for the notes block (e.g. the notices of a check).
    table : (headers, rows), optional
        A table printed under the map (e.g. the check summary of the parcels).
    """
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
        panel_h = 0.28 * page_h
        frame = (margin + tick_gap, margin + panel_h + gap + tick_gap,
                 page_w - 2 * margin - 2 * tick_gap,
                 page_h - 2 * margin - 2 * tick_gap - title_h - panel_h - gap)
        panel = (margin, margin, page_w - 2 * margin, panel_h)

    def frac(x, y, w, h):
        return [x / page_w, y / page_h, w / page_w, h / page_h]

    if table:
        shown = table_rows(table[1])
        band_h = (len(shown) + 1) * 5.5 * k
        draw_table(fig, frac(frame[0] - tick_gap, frame[1] - tick_gap, frame[2] + 2 * tick_gap, band_h),
                   table[0], shown, 7 * k, (frame[2] + 2 * tick_gap) * PT_PER_MM)
        frame = (frame[0], frame[1] + band_h + gap, frame[2], frame[3] - band_h - gap)

    map_layers = [layers[i] for i in template.layers if i in layers] + extra_layers
    target = extent or template_extent(template, layers, extra_layers)
    view, denominator = fit_extent(target, (frame[2], frame[3]))

    ax = fig.add_axes(frac(*frame))
    ax.set_facecolor("white")
    drawn = draw_layers(ax, map_layers, view, avoid=furniture_boxes((frame[2], frame[3]), denominator, k),
                        scale=symbol_scale(k))
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

    heading = title or template.title
    fig.text(0.5, 1 - (margin + 8 * k) / page_h, heading, ha="center", va="center",
             fontsize=20 * k, fontproperties=heading_font())
    if template.subtitle:
        fig.text(0.5, 1 - (margin + 16 * k) / page_h, template.subtitle, ha="center", va="center",
                 fontsize=8.5 * k, color="#444444")

    date = date or dt.date.today()
    notes = [f"比例尺 1:{denominator:,}".replace(",", " "), CRS_NOTE, f"制图单位：{maker}",
             f"制图日期：{date.year}年{date.month}月{date.day}日", *(extra_notes or []),
             *source_notes(drawn)]
    warning = schematic_note(drawn)
    if warning:
        notes.append(warning)
    county = layers.get(COUNTY_LAYER)
    detail = county is not None and view[2] - view[0] < _span(county.gdf)
    legend = _draw_panel(fig, panel, frame, drawn, notes, layers.get(INSET_LAYER), view, k,
                         orientation, (page_w, page_h), detail)
    return MapLayout(fig, ax, drawn, legend, denominator, bar_km, bar, (page_w, page_h), notes)


def _span(gdf) -> float:
    minx, _, maxx, _ = gdf.total_bounds
    return maxx - minx


def _draw_panel(fig, panel, frame, drawn, notes, inset, view, k, orientation, page,
                detail: bool) -> list[LegendEntry]:
    """Legend, inset and notes in the side (landscape) or bottom (portrait) panel.

    The legend goes at the top, the notes at the bottom; in landscape the inset takes the
    room between them, or the map's corner when a very long legend leaves none.
    """
    page_w, page_h = page
    px, py, pw, ph = panel
    title_room = 7 * k  # the inset's caption
    if orientation == "landscape":
        inset_side = min(pw * 0.62, ph * 0.25)
        legend_room = ph * 0.75 - inset_side - title_room - 12 * k  # a quarter stays for notes
        entries, legend_h = _draw_legend(fig, drawn, (px, py + ph - legend_room, pw, legend_room), k, page)
        notes_room = ph - legend_h - inset_side - title_room - 12 * k
        in_map = legend_h > legend_room + 1  # a very long legend: the inset goes into the map's corner
        if in_map:
            notes_room = ph - legend_h - 6 * k
        text, size, notes_h = fit_text(notes, pw, notes_room, 6.5 * k, 3.5 * k)
        if notes_h > notes_room:  # many layers: name each source by its first part only
            text, size, notes_h = fit_text(short_sources(notes), pw, notes_room, 6.5 * k, 3.5 * k)
        room = ph - legend_h - notes_h - title_room - 12 * k
        if in_map:
            inset_side = 0.6 * MIN_INSET_MM * k
            inset_rect = (frame[0] + frame[2] - inset_side - 2 * k, frame[1] + 2 * k, inset_side, inset_side)
        else:
            inset_side = min(pw * 0.62, room)
            inset_rect = (px + (pw - inset_side) / 2, py + notes_h + 6 * k + (room - inset_side) / 2,
                          inset_side, inset_side)
    else:
        text, size, notes_h = fit_text(notes, pw, ph * 0.5, 6.5 * k, 4.5 * k)
        top_h = ph - notes_h - 4 * k
        inset_side = min(pw * 0.28, top_h - title_room)
        inset_rect = (px + pw - inset_side, py + notes_h + 4 * k, inset_side, inset_side)
        entries, _ = _draw_legend(fig, drawn, (px, py + notes_h + 4 * k, pw - inset_side - 6 * k, top_h),
                                  k, page)
    fig.text(px / page_w, py / page_h, text, ha="left", va="bottom", fontsize=size,
             linespacing=1.35, color="#222222")
    draw_inset(fig, [inset_rect[0] / page_w, inset_rect[1] / page_h,
                     inset_rect[2] / page_w, inset_rect[3] / page_h], inset, view, k, detail)
    return entries


def legend_columns(entries: list[LegendEntry], ncol: int) -> list[LegendEntry | None]:
    """Entries in column-major order with blank rows (None), so a status heading and its
    lines stay in one column where they fit."""
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


def _draw_legend(fig, drawn, box, k, page) -> tuple[list[LegendEntry], float]:
    """A legend that fits ``box`` (mm), anchored at its top: more columns first, then a
    smaller font (down to ``4 k`` pt, where a very long legend may overflow).

    Returns the entries and the legend's height in mm.
    """
    entries = legend_entries(drawn)
    if not entries:
        return [], 0.0
    renderer = fig.canvas.get_renderer()
    max_cols = max(2, int(box[2] // (32 * k)))
    size = 8 * k
    while True:
        for ncol in range(1, max_cols + 1):
            legend = _legend(fig, entries, box, page, size, ncol)
            extent = legend.get_window_extent(renderer)
            height = extent.height / fig.dpi * MM_PER_INCH
            fits = height <= box[3] and extent.width / fig.dpi * MM_PER_INCH <= box[2]
            if fits or (size <= 4 * k and ncol == max_cols):
                return entries, height
            legend.remove()
        size = max(4 * k, size * 0.9)


def _legend(fig, entries, box, page, size: float, ncol: int):
    page_w, page_h = page
    bx, by, bw, bh = box
    slots = legend_columns(entries, ncol)
    label_em = max(6, int(bw / ncol * PT_PER_MM / size) - 5)  # room beside the symbol
    handles = [e.handle if e is not None and e.handle is not None else Line2D([], [], linestyle="none")
               for e in slots]
    labels = [fit_label(e.label, width=label_em, max_lines=3, drop_brackets=False) if e is not None else ""
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
              maker: str = DEFAULT_MAKER, extra_notes: list[str] | None = None,
              layers: dict[str, MapLayer] | None = None,
              table: tuple[list[str], list[list[str]]] | None = None, model=None) -> MapLayout:
    """Compose the page of a template and write it to ``out`` (PDF/PNG/SVG by extension).

    ``layer_ids`` replaces the template's layer list (the GUI's layer choice or the visible
    layers of the current view); ``layers`` are already loaded layers by id (the GUI's, which
    may hold user data), otherwise they are read from the catalog; ``out`` None only composes
    (for a preview: ``layout_png(layout, dpi)``). A ``map_model.MapModel`` as ``model`` prints
    the map as it is: its layers with their opacity and style, by default its visible ones in
    its order over its extent.
    """
    from dataclasses import replace

    from .catalog import load_catalog, load_layer

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
        layers = {i: load_layer(specs[i]) for i in dict.fromkeys(wanted)}
    missing = [i for i in template.layers if i not in layers]
    layout = compose_layout(template, layers, paper, orientation, title, extra_layers, extent,
                            maker=maker, dpi=LAYOUT_DPI, extra_notes=extra_notes, table=table)
    layout.notes.extend(f"模板图层“{i}”不在图层目录中，已略过" for i in missing)
    if out is not None:
        export_layout(layout, Path(out), dpi=dpi)
    return layout
