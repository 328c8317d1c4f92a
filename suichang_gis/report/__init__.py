"""Check reports: JSON, HTML, PDF, DOCX and XLSX from one ``CheckResult``.

``write_report`` picks the format from the file extension. Every format shows the area
convention, the rule set versions, the data provenance and, where a 示意 layer or an example
threshold was used, a visible notice that the result is indicative.
"""

from __future__ import annotations

from pathlib import Path

from ..check.model import CheckResult

FORMATS = (".json", ".html", ".pdf", ".docx", ".xlsx")


def write_report(result: CheckResult, out: Path, layers: dict | None = None) -> Path:
    """Write ``result`` to ``out``; ``layers`` (id → CheckLayer) lets map extracts show context."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"不支持的报告格式“{out.suffix}”：请用 {'、'.join(FORMATS)}")
    if not out.parent.exists():
        raise ValueError(f"无法写入 {out}：文件夹 {out.parent} 不存在")
    if suffix == ".json":
        from .json_report import write_json

        write_json(result, out)
    elif suffix == ".html":
        from .html_report import write_html

        write_html(result, out, layers)
    elif suffix == ".pdf":
        from .pdf_report import write_pdf

        write_pdf(result, out, layers)
    elif suffix == ".docx":
        from .docx_report import write_docx

        write_docx(result, out, layers)
    else:
        from .xlsx_report import write_xlsx

        write_xlsx(result, out)
    return out
