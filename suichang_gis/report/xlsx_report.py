"""The check report as a workbook (openpyxl), one sheet per table.

报告信息 (header, signature lines, notices), 汇总 (one row per parcel), 核查结果 (one row per
finding), 数据来源 (layers with versions). Numbers are stored as numbers with number formats
(亩 to 2 decimals, m² and m to 1, ratios as per cent); the header row of every table is frozen
and columns are fitted to their content.
"""

from __future__ import annotations

import math
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..check.model import CheckResult
from ..spreadsheet import keep_as_text
from ..text import text_em
from . import content
from .settings import ReportSettings

HEADER_FILL = PatternFill("solid", fgColor="E8E8E8")
STATUS_FILL = {"不符合": "F4B6B6", "警示": "FCE0B8", "未评估": "E0E0E0"}
NUMBER_FORMATS = {"mu": "#,##0.00", "m2": "#,##0.0", "m": "#,##0.0", "ratio": "0.00%", "number": "#,##0.00##",
                  "int": "#,##0"}
MAX_WIDTH = 60  # characters; longer text wraps


def _width(value, kind: str) -> float:
    """Display width in Excel character units (a CJK character counts two)."""
    text = content.cell_text(value, kind) if not isinstance(value, str) else value
    return 2 * text_em(text)  # an Excel character unit is about half an em


def _sheet(wb, title: str, columns, rows, status_column: int | None = None):
    """A sheet with a bold, frozen header row, typed cells and fitted column widths."""
    ws = wb.create_sheet(title)
    ws.append([h for h, _ in columns])
    for cell in ws[1]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    widths = [_width(h, "text") for h, _ in columns]
    for values in rows:
        ws.append([_value(v, kind) for v, (_, kind) in zip(values, columns)])
        for k, (v, (_, kind)) in enumerate(zip(values, columns)):
            widths[k] = max(widths[k], _width(v, kind) if v is not None else 0)
    for row in ws.iter_rows(min_row=2):
        keep_as_text(row)  # a parcel name like "=HYPERLINK(…)" stays text
        for cell, (_, kind) in zip(row, columns):
            if kind in NUMBER_FORMATS:
                cell.number_format = NUMBER_FORMATS[kind]
            cell.alignment = Alignment(wrap_text=kind == "text", vertical="top")
        if status_column is not None and row[status_column].value in STATUS_FILL:
            row[status_column].fill = PatternFill("solid", fgColor=STATUS_FILL[row[status_column].value])
    fitted = [min(max(w + 2, 6), MAX_WIDTH) for w in widths]
    for k, w in enumerate(fitted, start=1):
        ws.column_dimensions[get_column_letter(k)].width = w
    fit_rows(ws, fitted)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    ws.print_title_rows = "1:1"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return ws


def fit_rows(ws, widths: list[float]) -> None:
    """Row heights for wrapped text (spreadsheet programs do not always compute them on opening):
    15 pt per line, lines estimated from the display width of each cell and its column.
    """
    for row in ws.iter_rows():
        lines = max((math.ceil(_width(c.value, "text") / max(widths[c.column - 1] - 1, 1))
                     for c in row if isinstance(c.value, str)), default=1)
        if lines > 1:
            ws.row_dimensions[row[0].row].height = 15 * lines


def _value(v, kind: str):
    """Numbers stay numbers; text is written as text."""
    if v is None:
        return None
    if kind == "text":
        return str(v)
    return float(v) if kind != "int" else int(v)


def write_xlsx(result: CheckResult, out: Path, settings: ReportSettings) -> None:
    """Write the workbook: 报告信息, 汇总, 核查结果 and 数据来源 sheets."""
    wb = Workbook()
    wb.remove(wb.active)
    info = [[label, value] for label, value in content.header_fields(result, settings)]
    info += [[label, name] for label, name in settings.signatures()]
    info += [["盖章", content.SEAL_TEXT if settings.seal else ""], ["核查结论", content.summary_line(result)]]
    info += [["说明", notice] for notice in result.notices()]
    info += [["几何修复/导入说明", line] for line in content.repair_lines(result)]
    ws = _sheet(wb, "报告信息", [("项目", "text"), (content.TITLE, "text")], info)
    ws.column_dimensions["B"].width = 100
    fit_rows(ws, [ws.column_dimensions["A"].width, 100])
    _sheet(wb, "汇总", content.SUMMARY_COLUMNS, content.summary_values(result), status_column=5)
    _sheet(wb, "核查结果", content.FINDING_TABLE_COLUMNS, content.finding_table_values(result), status_column=4)
    _sheet(wb, "数据来源", content.LAYER_COLUMNS, content.layer_values(result))
    wb.save(str(out))
