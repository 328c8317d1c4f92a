"""The check report as an A4 PDF built with reportlab's platypus.

Page templates carry the header (title and report number) and the footer "第 X 页 共 Y 页";
tables split across pages and repeat their header row; Paragraphs wrap with ``wordWrap='CJK'``
after ``linebreak.break_lines`` has chosen the breaks by the Chinese line-breaking rules (禁则): no line
starts with closing punctuation, none ends with opening punctuation, and a number or identifier
(``1,234.5``, ``EPSG:4549``, ``ZH33112720001``) is never split.

The font is the Noto Sans CJK SC that mplfonts ships. Its outlines are CFF (PostScript), which
reportlab's TrueType embedding cannot read, so the glyphs the report uses are cut out with
fontTools' subsetter and converted to TrueType outlines (cu2qu) — a few kB, embedded as a subset.
"""

from __future__ import annotations

import hashlib
import io
from functools import lru_cache
from html import escape
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    Image,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from ..check.model import CheckResult
from ..palette import LABEL_COLOURS
from . import content
from .linebreak import break_lines
from .map_extract import parcel_map_png
from .settings import ReportSettings

# GB/T 9704-2012 page: 天头 37 mm, 订口 28 mm, 版心 156 × 225 mm (as the DOCX).
LEFT, RIGHT, TOP, BOTTOM = 28 * mm, 26 * mm, 37 * mm, 35 * mm
FRAME_WIDTH = A4[0] - LEFT - RIGHT
CELL_PAD = 3.0  # points, left and right in table cells
RED = colors.HexColor("#b2182b")


# --- font --------------------------------------------------------------------------------------
@lru_cache(maxsize=8)
def _truetype_subset(chars: str) -> bytes:
    """The shipped Noto Sans CJK SC cut down to ``chars``, with TrueType (quadratic) outlines."""
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    from ..fonts import cjk_font_path

    options = subset.Options()
    options.layout_features, options.hinting = [], False
    options.name_IDs = ["*"]
    font = TTFont(str(cjk_font_path()), lazy=True)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    order, glyph_set = font.getGlyphOrder(), font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    glyf = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = order, glyphs
    font["loca"], font["glyf"] = newTable("loca"), glyf
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, glyph in glyphs.items():
        hmtx[name] = (hmtx[name][0], getattr(glyph, "xMin", 0))
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attr in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                 "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, attr, 1 if attr == "maxZones" else 0)
    font["maxp"] = maxp
    font["post"].formatType = 3.0
    font.sfntVersion = "\x00\x01\x00\x00"
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


def register_cjk_font(text: str) -> str:
    """Register a font holding the characters of ``text``; return its reportlab name."""
    from reportlab.pdfbase.ttfonts import TTFont

    chars = "".join(sorted(set(text) | set("0123456789 第页共—")))
    name = "NotoSansCJKsc-" + hashlib.sha1(chars.encode("utf-8")).hexdigest()[:10]
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, io.BytesIO(_truetype_subset(chars))))
    return name


# --- document ----------------------------------------------------------------------------------
class _Styles:
    def __init__(self, font: str):
        self.font = font
        self.title = ParagraphStyle("title", fontName=font, fontSize=18, leading=26, alignment=1, spaceAfter=8,
                                    wordWrap="CJK")
        self.h1 = ParagraphStyle("h1", fontName=font, fontSize=13, leading=19, spaceBefore=6, spaceAfter=4,
                                 wordWrap="CJK")
        self.body = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=14, spaceAfter=2, wordWrap="CJK")
        self.notice = ParagraphStyle("notice", parent=self.body, textColor=RED)
        self.cell = ParagraphStyle("cell", fontName=font, fontSize=7.5, leading=10, wordWrap="CJK")
        self.head_cell = ParagraphStyle("head_cell", parent=self.cell, textColor=colors.black)
        self.seal = ParagraphStyle("seal", parent=self.body, alignment=2)


def _para(text: str, style: ParagraphStyle, width: float = FRAME_WIDTH, colour: str | None = None) -> Paragraph:
    font, size = style.fontName, style.fontSize
    lines = break_lines(text, width - 1.0, lambda s: pdfmetrics.stringWidth(s, font, size))
    markup = "<br/>".join(escape(line) for line in lines)
    if colour:
        markup = f'<font color="{colour}">{markup}</font>'
    return Paragraph(markup, style)


def _table(header: list[str], rows: list[list[str]], widths_mm: list[float], st: _Styles,
           status_column: int | None = None) -> Table:
    widths = [w / sum(widths_mm) * FRAME_WIDTH for w in widths_mm]

    def cells(row, head=False):
        out = []
        for k, (text, w) in enumerate(zip(row, widths)):
            colour = None
            if not head and k == status_column:
                colour = LABEL_COLOURS.get(text) if text != "通过" else None
            out.append(_para(str(text), st.head_cell if head else st.cell, w - 2 * CELL_PAD, colour))
        return out

    table = Table([cells(header, True), *(cells(r) for r in rows)], colWidths=widths, repeatRows=1,
                  splitByRow=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD), ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    return table


def _numbered_canvas(head: str, font: str):
    """A canvas that draws the running head and "第 X 页 共 Y 页" once the page count is known."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):  # noqa: N802 (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(font, 8)
                self.setFillColor(colors.HexColor("#444444"))
                self.drawCentredString(A4[0] / 2, A4[1] - TOP + 14 * mm, head)
                self.setStrokeColor(colors.HexColor("#999999"))
                self.setLineWidth(0.5)
                self.line(LEFT, A4[1] - TOP + 11 * mm, A4[0] - RIGHT, A4[1] - TOP + 11 * mm)
                self.drawCentredString(A4[0] / 2, BOTTOM - 14 * mm, f"第 {self._pageNumber} 页 共 {total} 页")
                super().showPage()
            super().save()

    return NumberedCanvas


def _report_text(result: CheckResult, settings: ReportSettings) -> str:
    """Every character the PDF shows (for the font subset)."""
    parts = [content.TITLE, content.running_head(result), content.summary_line(result), content.SEAL_TEXT,
             "项目内容核查汇总数据来源与版本几何修复/导入说明：日期年月日＿",
             *(f"{k}{v}" for k, v in content.header_fields(result, settings)),
             *(f"{k}{v}" for k, v in settings.signatures()), *result.notices(),
             *(h for h, _ in content.SUMMARY_COLUMNS + content.FINDING_COLUMNS + content.LAYER_COLUMNS),
             *(str(c) for row in content.text_rows(content.SUMMARY_COLUMNS, content.summary_values(result))
               for c in row),
             *(str(c) for row in content.text_rows(content.LAYER_COLUMNS, content.layer_values(result))
               for c in row), *content.repair_lines(result)]
    for p in result.parcels:
        parts += [content.parcel_heading(p), *content.parcel_facts(p)]
        parts += [c for row in content.finding_rows(p, result) for c in row]
    return "".join(parts)


def write_pdf(result: CheckResult, out: Path, layers: dict | None, settings: ReportSettings) -> None:
    """Write the A4 PDF: header, summary and signatures, a page per parcel with its map, data sources."""
    font = register_cjk_font(_report_text(result, settings))
    st = _Styles(font)
    story = [_para(content.TITLE, st.title)]
    header = [(label, value or "＿" * 16) for label, value in content.header_fields(result, settings)]
    story.append(_table(["项目", "内容"], [list(r) for r in header], [30, 126], st))
    story += [Spacer(1, 4), _para(content.summary_line(result), st.body)]
    for notice in result.notices():
        story.append(_para(notice, st.notice if ("示意" in notice or "示例" in notice) else st.body))
    story.append(_para("核查汇总", st.h1))
    story.append(_table([h for h, _ in content.SUMMARY_COLUMNS],
                        content.text_rows(content.SUMMARY_COLUMNS, content.summary_values(result)),
                        [14, 20, 14, 18, 16, 12, 52, 10], st, status_column=5))
    blank = "＿" * 8
    signatures = "　　".join(f"{label}：{name or blank}" for label, name in settings.signatures())
    block = [Spacer(1, 10), _para(signatures, st.body), _para(f"日期：{'＿' * 4}年{'＿' * 2}月{'＿' * 2}日", st.body)]
    if settings.seal:
        block += [Spacer(1, 30), _para(content.SEAL_TEXT, st.seal)]
    story.append(KeepTogether(block))
    for p in result.parcels:
        story += [PageBreak(), _para(content.parcel_heading(p), st.h1)]
        for line in content.parcel_facts(p):
            story.append(_para(line, st.notice if line.startswith("注意") else st.body))
        png = parcel_map_png(p, layers, size=(7.0, 4.2), dpi=170)
        story += [Spacer(1, 3), Image(io.BytesIO(png), width=FRAME_WIDTH, height=FRAME_WIDTH * 4.2 / 7.0),
                  Spacer(1, 4)]
        story.append(_table([h for h, _ in content.FINDING_COLUMNS], content.finding_rows(p, result),
                            [13, 14, 12, 60, 27, 30], st, status_column=2))
    story += [PageBreak(), _para("数据来源与版本", st.h1),
              _table([h for h, _ in content.LAYER_COLUMNS],
                     content.text_rows(content.LAYER_COLUMNS, content.layer_values(result)),
                     [20, 18, 18, 9, 40, 24, 14, 12], st)]
    for line in content.repair_lines(result):
        story.append(_para(f"几何修复/导入说明：{line}", st.body))
    doc = BaseDocTemplate(str(out), pagesize=A4, leftMargin=LEFT, rightMargin=RIGHT, topMargin=TOP,
                          bottomMargin=BOTTOM, title=f"{content.TITLE} {result.report_number}",
                          author=settings.unit or "", subject=content.summary_line(result))
    frame = Frame(LEFT, BOTTOM, FRAME_WIDTH, A4[1] - TOP - BOTTOM, id="body", leftPadding=0, rightPadding=0,
                  topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    doc.build(story, canvasmaker=_numbered_canvas(content.running_head(result), font))
