"""The check report as a workbook (openpyxl): 汇总, one row per finding, data sources, notices."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from ..check.model import CheckResult
from ..spreadsheet import keep_as_text
from . import content

HEADER_FILL = PatternFill("solid", fgColor="E8E8E8")
STATUS_FILL = {"fail": "F4B6B6", "warn": "FCE0B8", "not_assessed": "E0E0E0"}


def _sheet(wb, title, header, rows, widths):
    ws = wb.create_sheet(title)
    ws.append(header)
    for cell in ws[1]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
    for row in rows:
        ws.append(row)
    for i, w in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = w
    for row in ws.iter_rows(min_row=2):
        keep_as_text(row)  # a parcel name like "=HYPERLINK(…)" stays text
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    return ws


def write_xlsx(result: CheckResult, out: Path) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    summary = _sheet(wb, "汇总", content.SUMMARY_HEADER, content.summary_rows(result),
                     [12, 20, 12, 14, 16, 10, 8, 8, 8, 8])
    finding_rows, fills = [], []
    for p in result.parcels:
        for f, row in zip(p.findings, content.finding_rows(p)):
            finding_rows.append([p.id, p.name or "", *row[:3],
                                 None if f.overlap_m2 is None else round(f.overlap_m2, 2),
                                 None if f.overlap_mu is None else round(f.overlap_mu, 4),
                                 None if f.overlap_ratio is None else round(f.overlap_ratio, 6),
                                 None if f.distance_m is None else round(f.distance_m, 2),
                                 None if f.value is None else round(f.value, 4), f.threshold or "",
                                 f.layer or "", "是" if f.indicative else "", *row[3:]])
            fills.append(STATUS_FILL.get(f.status))
    ws = _sheet(wb, "核查结果", ["地块编号", "名称", "规则", "事项", "结论", "重叠面积（m²）", "重叠面积（亩）",
                             "占地块比例", "距离（m）", "指标值", "控制值", "图层", "示意", "说明", "依据"],
                finding_rows, [10, 16, 8, 16, 8, 12, 12, 10, 10, 10, 16, 22, 6, 60, 40])
    for row, fill in zip(ws.iter_rows(min_row=2), fills):
        if fill:
            row[4].fill = PatternFill("solid", fgColor=fill)
    _sheet(wb, "数据来源", content.LAYER_HEADER, content.layer_rows(result), [20, 24, 18, 6, 50, 30, 18, 10])
    notes = [[line] for line in (content.summary_line(result), *content.ruleset_lines(result),
                                 *result.notices(), *content.repair_lines(result))]
    _sheet(wb, "说明", ["说明"], notes, [120])
    summary.insert_rows(1, 2)
    summary["A1"] = content.TITLE + ("（示意，仅供参考）" if result.indicative else "")
    summary["A1"].font = Font(bold=True, size=14, color="B2182B" if result.indicative else "000000")
    wb.save(str(out))
