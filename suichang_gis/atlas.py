"""The parcel atlas of ``print parcel_check``: an overview page (the 候选地块核查图 with the
summary table) and one page per parcel (the QGIS atlas idea).

A parcel page shows the parcel at a large scale with its overlaps with each constraint — the
report's map extract (``report.map_extract.draw_parcel_map``), so the printed atlas and the
check report draw a parcel alike — and its findings table with the reason of every finding that
is not 通过 (a 警示 always lists why; 未评估 items included). PDF output is one multi-page file;
PNG/SVG output writes the overview to the given name and each parcel page beside it
(``name_P001.png`` …).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from .layout import (
    FORMATS,
    MM_PER_INCH,
    LayoutError,
    MapLayout,
    maker_text,
    paper_size_mm,
    print_map,
)
from .map_furniture import (
    MIN_TEXT_PT,
    PT_PER_MM,
    STAMP_COLOUR,
    STAMP_TEXT,
    draw_table,
    fit_text,
    heading_font,
    table_height_mm,
    with_print_fonts,
)
from .palette import STATUS_COLOURS, STATUS_LABELS

ATLAS_TEMPLATE = "parcel_check"
FINDING_HEADERS = ["规则", "核查项", "结论", "原因"]
SHOWN_STATUSES = ("fail", "warn", "not_assessed")  # a finding of these lists its reason
STATUS_ORDER = {"fail": 0, "warn": 1, "not_assessed": 2, "info": 3, "pass": 4}
PARCEL_SCALES = (2_000, 10_000)  # the scale range a parcel page aims at (1:N)


@dataclass
class AtlasPage:
    """One parcel page: which parcel, its map scale (1:N, measured on the page) and its rows."""

    parcel_id: str
    figure: Figure
    scale_denominator: int
    rows: list[list[str]]


@dataclass
class Atlas:
    """The overview page, the parcel pages and the files written."""

    overview: MapLayout
    pages: list[AtlasPage] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


def finding_rows(parcel) -> list[list[str]]:
    """Rows (rule, title, conclusion, reason) of the findings that are not 通过, worst first.

    A parcel whose conclusion is 警示 or 不符合 always gets at least one row with a reason.
    """
    findings = sorted((f for f in parcel.findings if f.status in SHOWN_STATUSES),
                      key=lambda f: STATUS_ORDER.get(f.status, 9))
    rows = [[f.rule, f.title, f.status_label, f.message] for f in findings]
    if not rows and parcel.status in ("warn", "fail"):
        rows = [["—", "综合结论", parcel.status_label, "结论来自地块整体判定，详见核查报告各条说明"]]
    return rows


@with_print_fonts
def parcel_page(parcel, layers: dict, paper: str = "A4", orientation: str = "portrait",
                maker: str | None = None, date: dt.date | None = None) -> AtlasPage:
    """The atlas page of one ``ParcelResult``: title, map extract, findings table, notes."""
    from .report.map_extract import draw_parcel_map

    page_w, page_h = paper_size_mm(paper, orientation)
    k = min(page_w, page_h) / 210.0
    fig = Figure(figsize=(page_w / MM_PER_INCH, page_h / MM_PER_INCH), dpi=72)
    FigureCanvasAgg(fig)
    margin = 12 * k
    name = f"地块 {parcel.id}" + (f"　{parcel.name}" if parcel.name else "")
    fig.text(0.5, 1 - (margin + 4 * k) / page_h, f"遂昌县候选地块核查图 · {name}", ha="center", va="center",
             fontsize=16 * k, fontproperties=heading_font())
    fig.text(0.5, 1 - (margin + 12 * k) / page_h, f"核查结论：{parcel.status_label}　面积 {parcel.area_mu:.2f} 亩",
             ha="center", va="center", fontsize=10 * k, color=STATUS_COLOURS.get(parcel.status, "#222222"),
             fontproperties=heading_font())
    width = page_w - 2 * margin
    rows = finding_rows(parcel)
    size = 7.5 * k
    table_h = table_height_mm(FINDING_HEADERS, rows, size, width * PT_PER_MM) if rows else 0.0
    notes = _page_notes(parcel, maker, date)
    notes_text, notes_size, notes_h = fit_text(notes, width, 40 * k, 7 * k, MIN_TEXT_PT * k)
    bottom = margin + notes_h + 4 * k
    if rows:
        draw_table(fig, [margin / page_w, bottom / page_h, width / page_w, table_h / page_h],
                   FINDING_HEADERS, rows, size, width * PT_PER_MM)
    fig.text(margin / page_w, margin / page_h, notes_text, ha="left", va="bottom", fontsize=notes_size,
             linespacing=1.35, color="#222222")
    map_bottom = bottom + table_h + 6 * k
    map_top = page_h - margin - (26 if parcel.indicative else 18) * k
    rect = (margin / page_w, map_bottom / page_h, width / page_w, (map_top - map_bottom) / page_h)
    before = set(fig.axes)
    draw_parcel_map(fig, parcel, layers, rect=rect)
    map_ax = max((ax for ax in fig.axes if ax not in before), key=lambda ax: abs(ax.get_xlim()[1] - ax.get_xlim()[0]))
    x0, x1 = map_ax.get_xlim()
    frame_mm = map_ax.get_position().width * page_w
    denominator = round((x1 - x0) / frame_mm * 1000)
    fig.text(1 - margin / page_w, (map_bottom - 4 * k) / page_h, f"比例尺约 1:{denominator:,}".replace(",", " "),
             ha="right", va="center", fontsize=7 * k)
    if parcel.indicative:
        fig.text(0.5, 1 - (margin + 20 * k) / page_h, STAMP_TEXT, ha="center", va="center",
                 fontsize=9.5 * k, color=STAMP_COLOUR, fontproperties=heading_font(),
                 bbox={"boxstyle": "square,pad=0.3", "facecolor": "white", "edgecolor": STAMP_COLOUR,
                       "linewidth": 0.8 * k})
    return AtlasPage(str(parcel.id), fig, denominator, rows)


def _page_notes(parcel, maker: str | None, date: dt.date | None) -> list[str]:
    date = date or dt.date.today()
    notes = [f"制图单位：{maker_text(maker)}　制图日期：{date.year}年{date.month}月{date.day}日　"
             "坐标系：CGCS2000 3°带高斯-克吕格投影（EPSG:4549），面积为平面面积"]
    if parcel.indicative:
        notes.append("注：核查使用了示意图层（据规划文本或推算绘制），结论仅供参考，不作为用地审批依据。")
    counts = {s: sum(f.status == s for f in parcel.findings) for s in STATUS_LABELS}
    notes.append("本地块核查项：" + "，".join(f"{STATUS_LABELS[s]} {n} 项" for s, n in counts.items() if n))
    return notes


def print_atlas(run, out: Path | None, paper: str = "A4", orientation: str = "portrait",
                title: str | None = None, maker: str | None = None, user_catalog: Path | None = None,
                dpi: float = 300, source: str = "候选地块") -> Atlas:
    """The overview page and one page per parcel of a check ``run`` (``check.CheckRun``),
    written to ``out`` (PDF: one file; PNG/SVG: one file per page).

    Raises ``LayoutError`` (Chinese) for an unknown output format or a missing folder.
    """
    from .parcel_layer import parcel_layer, summary_notes, summary_table

    overview = print_map(ATLAS_TEMPLATE, None, paper=paper, orientation=orientation, title=title,
                         extra_layers=[parcel_layer(run.parcel_frame(), run.result, source=source)],
                         user_catalog=user_catalog, maker=maker, extra_notes=summary_notes(run.result),
                         table=summary_table(run.result))
    atlas = Atlas(overview)
    for parcel in run.result.parcels:
        atlas.pages.append(parcel_page(parcel, run.layers, paper, "portrait", maker))
    if out is not None:
        atlas.files = write_atlas(atlas, Path(out), dpi)
    return atlas


@with_print_fonts
def write_atlas(atlas: Atlas, path: Path, dpi: float = 300) -> list[Path]:
    """Write the atlas: a multi-page PDF, or one PNG/SVG per page."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise LayoutError(f"不支持的输出格式“{path.suffix}”：请用 {'、'.join(FORMATS)}")
    if not path.parent.exists():
        raise LayoutError(f"无法写入 {path}：文件夹 {path.parent} 不存在")
    figures = [atlas.overview.figure, *(p.figure for p in atlas.pages)]
    if suffix == ".pdf":
        with PdfPages(path, metadata={"Title": "遂昌县候选地块核查图", "Creator": "suichang-gis"}) as pdf:
            for figure in figures:
                pdf.savefig(figure)
        return [path]
    files = [path]
    atlas.overview.figure.savefig(path, dpi=dpi)
    for page in atlas.pages:
        target = path.with_name(f"{path.stem}_{page.parcel_id}{suffix}")
        page.figure.savefig(target, dpi=dpi)
        files.append(target)
    return files
