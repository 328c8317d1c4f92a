"""Check reports: JSON, HTML, PDF, DOCX and XLSX from one ``CheckResult``.

``write_report`` picks the format from the file extension. Every format shows the area
convention, the rule set versions, the data provenance and, where a 示意 layer or an example
threshold was used, a visible notice that the result is indicative. Every format carries the same
header: 报告编号, 核查单位, the time in Beijing (+08:00), and the 制表人/核查人/审核人 lines with a
seal space (``settings``).
"""

from __future__ import annotations

from pathlib import Path

from ..check.model import CheckResult
from .settings import ReportSettings, assign_report_number, load_report_settings

FORMATS = (".json", ".html", ".pdf", ".docx", ".xlsx")


def write_report(result: CheckResult, out: Path, layers: dict | None = None, settings: ReportSettings | None = None,
                 history: list[str] = ()) -> Path:
    """Write ``result`` to ``out``; ``layers`` (id → CheckLayer) lets map extracts show context.

    ``settings`` gives the header (报告编号 pattern, 核查单位, signature lines; default: the shipped
    ``resources/report_settings.toml``); ``history`` holds the report numbers already in the
    project's check history, so the run's number is new. The number is kept on ``result``.
    """
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"不支持的报告格式“{out.suffix}”：请用 {'、'.join(FORMATS)}")
    if not out.parent.exists():
        raise ValueError(f"无法写入 {out}：文件夹 {out.parent} 不存在")
    settings = settings or load_report_settings()
    assign_report_number(result, settings, list(history))
    if suffix == ".json":
        from .json_report import write_json

        write_json(result, out)
    elif suffix == ".html":
        from .html_report import write_html

        write_html(result, out, layers, settings)
    elif suffix == ".pdf":
        from .pdf_report import write_pdf

        write_pdf(result, out, layers, settings)
    elif suffix == ".docx":
        from .docx_report import write_docx

        write_docx(result, out, layers, settings)
    else:
        from .xlsx_report import write_xlsx

        write_xlsx(result, out, settings)
    return out
