"""The check report as a Word document (python-docx), the form the land bureau files."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from ..check.model import CheckResult
from . import content
from .map_extract import parcel_map_png

EAST_ASIAN_FONT = "宋体"  # what Word uses for Chinese in filed documents; any CJK font renders it
RED = RGBColor(0xB2, 0x18, 0x2B)


def _set_east_asian_font(document) -> None:
    for name in ("Normal", "Heading 1", "Heading 2", "Table Grid"):
        style = document.styles[name]
        rpr = style.element.get_or_add_rPr()
        rpr.get_or_add_rFonts().set(qn("w:eastAsia"), EAST_ASIAN_FONT)


def _table(document, header, rows, widths_cm=None, size=8):
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row):
            cell.text = str(text)
    for row in table.rows:
        for i, cell in enumerate(row.cells):
            if widths_cm:
                cell.width = Cm(widths_cm[i])
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(size)
    return table


def _notice(document, text: str, red: bool) -> None:
    run = document.add_paragraph().add_run(text)
    if red:
        run.bold = True
        run.font.color.rgb = RED


def write_docx(result: CheckResult, out: Path, layers: dict | None = None) -> None:
    document = Document()
    _set_east_asian_font(document)
    section = document.sections[0]
    section.left_margin = section.right_margin = Cm(2.0)
    document.add_heading(content.TITLE, level=0)
    document.add_paragraph(content.summary_line(result))
    for line in content.ruleset_lines(result):
        document.add_paragraph(f"规则集：{line}", style="List Bullet")
    for notice in result.notices():
        _notice(document, notice, "示意" in notice or "示例" in notice)
    document.add_heading("核查汇总", level=1)
    _table(document, content.SUMMARY_HEADER, content.summary_rows(result))
    for p in result.parcels:
        document.add_page_break()
        document.add_heading(content.parcel_heading(p), level=1)
        for line in content.parcel_facts(p):
            _notice(document, line, line.startswith("注意"))
        document.add_picture(io.BytesIO(parcel_map_png(p, layers)), width=Cm(15))
        _table(document, content.FINDING_HEADER, content.finding_rows(p), [1.5, 2.5, 1.5, 7.0, 4.5])
    document.add_heading("数据来源与版本", level=1)
    _table(document, content.LAYER_HEADER, content.layer_rows(result), size=7)
    for line in content.repair_lines(result):
        document.add_paragraph(f"几何修复/导入说明：{line}")
    document.save(str(out))
