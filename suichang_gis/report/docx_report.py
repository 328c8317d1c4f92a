"""The check report as a Word document (python-docx), the form the land bureau files.

A4 with the margins of GB/T 9704-2012 (党政机关公文格式 5.2: 天头 37 mm, 订口 28 mm, 版心
156 mm × 225 mm, so right 26 mm and bottom 35 mm); a page header with the report title and
number; a footer "第 X 页 共 Y 页" from PAGE/NUMPAGES fields; every style's East Asian font set
explicitly (宋体 for text, 黑体 for titles and headings; never left to the theme); table header
rows repeated on every page.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from ..check.model import CheckResult
from . import content
from .map_extract import parcel_map_png
from .settings import ReportSettings

BODY_FONT = "宋体"  # East Asian font of text, as filed documents use
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"
RED = RGBColor(0xB2, 0x18, 0x2B)
# GB/T 9704-2012 5.2.1/5.2.2: A4, 天头 37 mm, 订口 28 mm, 版心 156 × 225 mm.
MARGINS_MM = {"top": 37, "left": 28, "right": 210 - 28 - 156, "bottom": 297 - 37 - 225}
HEADING_STYLES = ("Title", "Heading 1", "Heading 2", "Heading 3")
_RULE_HYPHEN = re.compile(r"(?<=\b[A-Z]{2})-(?=\d)|(?<=\b[A-Z]{3})-(?=\d)")


def _set_fonts(style, east_asian: str) -> None:
    """Name every script's font on the style and drop theme fonts, which would override them."""
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        if fonts.get(qn(attr)) is not None:
            del fonts.attrib[qn(attr)]
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:cs"), LATIN_FONT)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")


def _set_default_fonts(document) -> None:
    """docDefaults and every paragraph, character and table style: explicit fonts, zh-CN."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    fonts.set(qn("w:ascii"), LATIN_FONT), fonts.set(qn("w:hAnsi"), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), BODY_FONT), fonts.set(qn("w:cs"), LATIN_FONT)
    lang = rpr.find(qn("w:lang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")
    for style in document.styles:
        if style.type in (WD_STYLE_TYPE.PARAGRAPH, WD_STYLE_TYPE.CHARACTER, WD_STYLE_TYPE.TABLE):
            _set_fonts(style, HEADING_FONT if style.name in HEADING_STYLES or style.name.startswith("Heading")
                       else BODY_FONT)
    document.styles["Normal"].font.size = Pt(10.5)  # 五号
    for name, size in (("Title", 18), ("Heading 1", 14), ("Heading 2", 12)):
        style = document.styles[name]
        style.font.size, style.font.color.rgb, style.font.bold = Pt(size), RGBColor(0, 0, 0), False
    document.styles["Title"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _field(paragraph, instruction: str, placeholder: str) -> None:
    """A complex field (PAGE, NUMPAGES): Word and LibreOffice compute it when the page is laid out."""
    def run_with(tag, **attrs):
        run = paragraph.add_run()
        el = OxmlElement(tag)
        for k, v in attrs.items():
            el.set(qn(k), v)
        run._r.append(el)
        return run, el

    run_with("w:fldChar", **{"w:fldCharType": "begin"})
    _, instr = run_with("w:instrText", **{"xml:space": "preserve"})
    instr.text = f" {instruction} "
    run_with("w:fldChar", **{"w:fldCharType": "separate"})
    paragraph.add_run(placeholder)
    run_with("w:fldChar", **{"w:fldCharType": "end"})


def _page_setup(document, result: CheckResult) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    section.header_distance, section.footer_distance = Mm(20), Mm(20)
    head = section.header.paragraphs[0]
    head.text = content.running_head(result)
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    foot = section.footer.paragraphs[0]
    foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
    foot.add_run("第 ")
    _field(foot, "PAGE", "1")
    foot.add_run(" 页 共 ")
    _field(foot, "NUMPAGES", "1")
    foot.add_run(" 页")


def _add_text(paragraph, text: str):
    """Add ``text`` as one run; the hyphen of a rule id (SX-01, BZD-13) is Word's non-breaking
    hyphen, so an identifier is never split across lines.
    """
    run = paragraph.add_run()
    pieces = _RULE_HYPHEN.split(text)
    for k, piece in enumerate(pieces):
        if k:
            run._r.append(OxmlElement("w:noBreakHyphen"))
        if piece:
            el = OxmlElement("w:t")
            el.set(qn("xml:space"), "preserve")
            el.text = piece
            run._r.append(el)
    return run


def _repeat_header(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def _table(document, header, rows, widths_mm=None, size=8, status_column=None):
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, header):
        _add_text(cell.paragraphs[0], text).bold = True
    _repeat_header(table.rows[0])
    for row in rows:
        cells = table.add_row().cells
        for k, (cell, text) in enumerate(zip(cells, row)):
            run = _add_text(cell.paragraphs[0], str(text))
            if k == status_column and text in ("不符合", "警示"):
                run.font.color.rgb = RED
                run.bold = True
    if widths_mm:  # the grid (LibreOffice reads it) and every cell (Word reads these)
        table.autofit = False
        for column, w in zip(table.columns, widths_mm):
            column.width = Mm(w)
    for row in table.rows:
        for i, cell in enumerate(row.cells):
            if widths_mm:
                cell.width = Mm(widths_mm[i])
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(size)
    return table


def _para(document, text: str, red: bool = False, size: float | None = None):
    paragraph = document.add_paragraph()
    run = _add_text(paragraph, text)
    if red:
        run.bold = True
        run.font.color.rgb = RED
    if size:
        run.font.size = Pt(size)
    return paragraph


def _signature_block(document, settings: ReportSettings) -> None:
    blank = "＿" * 7
    line = "　".join(f"{label}：{name or blank}" for label, name in settings.signatures())
    signed = [_para(document, line), _para(document, f"日期：{'＿' * 4}年{'＿' * 2}月{'＿' * 2}日")]
    signed[0].paragraph_format.space_before = Pt(12)
    if settings.seal:
        seal = document.add_paragraph(content.SEAL_TEXT)
        seal.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        seal.paragraph_format.space_before = Pt(30)  # room for the seal
        signed.append(seal)
    for paragraph in signed[:-1]:
        paragraph.paragraph_format.keep_with_next = True  # the lines and the seal stay on one page


def write_docx(result: CheckResult, out: Path, layers: dict | None, settings: ReportSettings) -> None:
    """Write the Word report: header, summary and signatures, a page per parcel with its map, data sources."""
    document = Document()
    _set_default_fonts(document)
    _page_setup(document, result)
    document.add_paragraph(content.TITLE, style="Title")
    rows = [(label, value or "＿" * 16) for label, value in content.header_fields(result, settings)]
    _table(document, ["项目", "内容"], rows, [30, 126], size=9)
    _para(document, content.summary_line(result))
    for notice in result.notices():
        _para(document, notice, red="示意" in notice or "示例" in notice, size=9)
    document.add_heading("核查汇总", level=1)
    _table(document, [h for h, _ in content.SUMMARY_COLUMNS],
           content.text_rows(content.SUMMARY_COLUMNS, content.summary_values(result)),
           [13, 19, 13, 17, 16, 14, 54, 10], status_column=5)
    _signature_block(document, settings)
    for p in result.parcels:
        document.add_page_break()
        document.add_heading(content.parcel_heading(p), level=1)
        for line in content.parcel_facts(p):
            _para(document, line, red=line.startswith("注意"), size=9)
        document.add_picture(io.BytesIO(parcel_map_png(p, layers)), width=Mm(156))
        _table(document, [h for h, _ in content.FINDING_COLUMNS], content.finding_rows(p, result),
               [13, 15, 13, 61, 25, 29], size=7.5, status_column=2)
    document.add_page_break()
    document.add_heading("数据来源与版本", level=1)
    _table(document, [h for h, _ in content.LAYER_COLUMNS],
           content.text_rows(content.LAYER_COLUMNS, content.layer_values(result)),
           [22, 20, 20, 10, 40, 22, 12, 10], size=7)
    for line in content.repair_lines(result):
        _para(document, f"几何修复/导入说明：{line}", size=9)
    document.core_properties.title = f"{content.TITLE} {result.report_number}"
    document.save(str(out))
