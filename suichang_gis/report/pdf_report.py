"""The check report as an A4 PDF (matplotlib ``PdfPages``; the CJK font embedded as a subset).

Text flows down the page and onto new pages; tables wrap their cells by display width (a CJK
character counts twice a Latin one).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from ..check.model import CheckResult
from ..fonts import register_matplotlib_font
from ..text import wrap_text
from . import content
from .map_extract import draw_parcel_map

A4 = (8.27, 11.69)  # inches
MARGIN = 0.07  # figure fraction, left/right
TOP, BOTTOM = 0.95, 0.06
PAGE_PT = A4[0] * 72 * (1 - 2 * MARGIN)


class _Pages:
    def __init__(self, pdf: PdfPages, footer: str):
        self.pdf, self.footer, self.page = pdf, footer, 0
        self.fig: Figure | None = None
        self.y = TOP

    def _line_height(self, size: float) -> float:
        return size * 1.45 / (A4[1] * 72)

    def new_page(self) -> None:
        self.finish()
        self.page += 1
        self.fig = Figure(figsize=A4)
        self.y = TOP
        self.fig.text(0.5, 0.025, f"{self.footer}　第 {self.page} 页", ha="center", fontsize=7, color="#555555")

    def need(self, height: float) -> None:
        if self.fig is None or self.y - height < BOTTOM:
            self.new_page()

    def text(self, s: str, size: float = 9.0, color: str = "black", gap: float = 0.2) -> None:
        units = int(PAGE_PT / (size / 2) * 0.97)
        for line in wrap_text(str(s), units / 2):
            h = self._line_height(size)
            self.need(h)
            # The CJK font has no bold face: emphasis is by size and colour.
            self.fig.text(MARGIN, self.y - h * 0.8, line, fontsize=size, color=color, va="baseline")
            self.y -= h
        self.y -= self._line_height(size) * gap

    def table(self, header: list[str], rows: list[list[str]], widths: list[float], size: float = 7.0) -> None:
        total = sum(widths)
        fracs = [w / total * (1 - 2 * MARGIN) for w in widths]
        lh = self._line_height(size)

        def cells(row):
            return [wrap_text(str(c), max(int(f * A4[0] * 72 / (size / 2) * 0.92), 4) / 2) for c, f in zip(row, fracs)]

        def draw(row_cells, shade):
            height = max(len(c) for c in row_cells) * lh + lh * 0.4
            self.need(height)
            if shade:
                self.fig.patches.append(matplotlib.patches.Rectangle(
                    (MARGIN, self.y - height), 1 - 2 * MARGIN, height, transform=self.fig.transFigure,
                    facecolor=shade, edgecolor="none", zorder=0))
            x = MARGIN
            for lines, f in zip(row_cells, fracs):
                for k, line in enumerate(lines):
                    self.fig.text(x + 0.004, self.y - lh * (k + 0.95), line, fontsize=size, va="baseline")
                x += f
            self.y -= height
            self.fig.add_artist(matplotlib.lines.Line2D([MARGIN, 1 - MARGIN], [self.y, self.y], linewidth=0.3,
                                                        color="#999999", transform=self.fig.transFigure))

        draw(cells(header), "#e8e8e8")
        for row in rows:
            if self.fig is None or self.y - lh * 2 < BOTTOM:
                self.new_page()
                draw(cells(header), "#e8e8e8")
            draw(cells(row), None)
        self.y -= lh * 0.6

    def map(self, parcel, layers, height: float = 0.42) -> None:
        self.need(height)
        draw_parcel_map(self.fig, parcel, layers, rect=(MARGIN, self.y - height, 1 - 2 * MARGIN, height))
        self.y -= height + 0.01

    def finish(self) -> None:
        if self.fig is not None:
            self.pdf.savefig(self.fig)
            self.fig = None


def write_pdf(result: CheckResult, out: Path, layers: dict | None = None) -> None:
    register_matplotlib_font()
    footer = content.TITLE + ("（示意，仅供参考）" if result.indicative else "")
    with matplotlib.rc_context({"pdf.fonttype": 3}), PdfPages(out, metadata={"Title": content.TITLE}) as pdf:
        pages = _Pages(pdf, footer)
        pages.text(content.TITLE, size=16, gap=0.6)
        pages.text(content.summary_line(result), size=9)
        for line in content.ruleset_lines(result):
            pages.text(f"规则集：{line}", size=8.5, gap=0.1)
        pages.text("", size=4)
        for notice in result.notices():
            colour = "#b2182b" if ("示意" in notice or "示例" in notice) else "black"
            pages.text(f"■ {notice}", size=8.5, color=colour, gap=0.3)
        pages.text("核查汇总", size=12)
        pages.table(content.SUMMARY_HEADER, content.summary_rows(result), [8, 14, 8, 10, 12, 7, 6, 5, 6, 5])
        for parcel in result.parcels:
            pages.new_page()
            pages.text(content.parcel_heading(parcel), size=13, gap=0.4)
            for line in content.parcel_facts(parcel):
                red = line.startswith("注意")
                pages.text(line, size=8.5, color="#b2182b" if red else "black", gap=0.1)
            pages.map(parcel, layers)
            pages.table(content.FINDING_HEADER, content.finding_rows(parcel), [6, 12, 7, 45, 30])
        pages.new_page()
        pages.text("数据来源与版本", size=12)
        pages.table(content.LAYER_HEADER, content.layer_rows(result), [12, 14, 10, 5, 30, 16, 10, 6])
        for line in content.repair_lines(result):
            pages.text(f"几何修复/导入说明：{line}", size=8)
        pages.finish()
