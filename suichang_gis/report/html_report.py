"""The check report as one self-contained HTML file (map extracts embedded as PNG).

Readable at 1280 px (a centred column of at most 1180 px, tables with set column widths so the
verdict column never collapses) and printable (``@page`` A4 with the GB/T 9704 margins, table
header rows repeated, each parcel on a new page). Line breaking follows the Chinese rules of the
browser (``line-break: strict``) and numbers and identifiers are kept whole (``nowrap`` spans).
"""

from __future__ import annotations

import base64
import re
from html import escape
from pathlib import Path

from ..check.model import CheckResult
from ..palette import STATUS_COLOURS
from . import content
from .map_extract import parcel_map_png
from .settings import ReportSettings

CSS = """
body { margin: 0; color: #222; background: #f4f4f4; line-break: strict; word-break: normal;
       overflow-wrap: break-word; font-size: 15px; line-height: 1.6; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 40px; background: #fff; }
h1 { text-align: center; font-size: 26px; font-weight: normal; margin: 8px 0 16px; }
h2 { font-size: 19px; border-bottom: 1px solid #ccc; padding-bottom: 4px; margin-top: 28px; }
table { border-collapse: collapse; margin: 8px 0 16px; width: 100%; table-layout: fixed; font-size: 13px; }
th, td { border: 1px solid #bbb; padding: 4px 6px; vertical-align: top; text-align: left; }
th { background: #eee; font-weight: bold; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
.nb { white-space: nowrap; }
.num { text-align: right; }
.notice { color: #b2182b; font-weight: bold; }
.header td:first-child { width: 7em; background: #fafafa; }
.signatures { margin: 24px 0 8px; display: flex; gap: 48px; flex-wrap: wrap; }
.blank { display: inline-block; min-width: 8em; border-bottom: 1px solid #333; }
.seal { text-align: right; margin: 40px 2em 24px; }
section.parcel { break-before: page; }
img.map { width: 100%; max-width: 1000px; border: 1px solid #ccc; display: block; margin: 8px 0; }
@media print {
  @page { size: A4; margin: 37mm 26mm 35mm 28mm; }
  body { background: #fff; font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  table { font-size: 8pt; }
  img.map { max-width: 100%; }
  table { width: calc(100% - 1px); }
}
"""
# Numbers, identifiers and codes that must not break across lines.
_KEEP = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-.,:/%²³+×#=°]*[A-Za-z0-9²%)]|\d")


# Verdict colours from the one status palette.
STATUS_CSS = "".join(f".status-{code} {{ color: {colour};{' font-weight: bold;' if code in ('fail', 'warn') else ''} }}"
                     for code, colour in STATUS_COLOURS.items())


def _text(value) -> str:
    """Escaped text with numbers and identifiers in no-break spans."""
    out, last = [], 0
    s = str(value)
    for m in _KEEP.finditer(s):
        out.append(escape(s[last:m.start()]))
        token = m.group(0)
        out.append(f'<span class="nb">{escape(token)}</span>' if len(token) > 3 else escape(token))
        last = m.end()
    out.append(escape(s[last:]))
    return "".join(out)


def _table(columns, rows, widths=None, classes=None, status_column=None) -> str:
    cols = "".join(f'<col style="width:{w}%">' for w in widths) if widths else ""
    head = "".join(f"<th>{escape(h)}</th>" for h, _ in columns)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes else ""
        cells = []
        for k, (cell, (_, kind)) in enumerate(zip(row, columns)):
            attr = ' class="num"' if kind != "text" else ""
            if k == status_column:
                status = {"不符合": "fail", "警示": "warn", "未评估": "not_assessed", "通过": "pass"}.get(cell, "")
                attr = f' class="status-{status}"'
            cells.append(f"<td{attr}>{_text(cell)}</td>")
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return f"<table><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def write_html(result: CheckResult, out: Path, layers: dict | None, settings: ReportSettings) -> None:
    """Write the self-contained HTML report (the same content as the PDF and DOCX)."""
    fields = "".join(f"<tr><td>{escape(k)}</td><td>{_text(v) if v else '<span class=blank></span>'}</td></tr>"
                     for k, v in content.header_fields(result, settings))
    parts = [f"<h1>{escape(content.TITLE)}</h1>", f'<table class="header"><tbody>{fields}</tbody></table>',
             f"<p>{_text(content.summary_line(result))}</p>"]
    for notice in result.notices():
        cls = ' class="notice"' if ("示意" in notice or "示例" in notice) else ""
        parts.append(f"<p{cls}>{_text(notice)}</p>")
    parts += ["<h2>核查汇总</h2>",
              _table(content.SUMMARY_COLUMNS, content.text_rows(content.SUMMARY_COLUMNS, content.summary_values(result)),
                     [9, 12, 8, 10, 10, 7, 38, 6], status_column=5)]
    signatures = "".join(f"<div>{escape(label)}：{escape(name) if name else '<span class=blank></span>'}</div>"
                         for label, name in settings.signatures())
    parts.append(f'<div class="signatures">{signatures}<div>日期：<span class=blank></span></div></div>')
    if settings.seal:
        parts.append(f'<p class="seal">{escape(content.SEAL_TEXT)}</p>')
    for p in result.parcels:
        parts.append(f'<section class="parcel"><h2 class="status-{p.status}">{escape(content.parcel_heading(p))}</h2>')
        facts = [(' class="notice"' if line.startswith("注意") else "", _text(line)) for line in content.parcel_facts(p)]
        parts.append("<ul>" + "".join(f"<li{cls}>{line}</li>" for cls, line in facts) + "</ul>")
        png = base64.b64encode(parcel_map_png(p, layers)).decode("ascii")
        parts.append(f'<img class="map" alt="地块 {escape(p.id)} 核查图" src="data:image/png;base64,{png}">')
        parts.append(_table(content.FINDING_COLUMNS, content.finding_rows(p, result), [8, 10, 6, 42, 15, 19],
                            status_column=2))
        parts.append("</section>")
    parts += ['<section class="parcel"><h2>数据来源与版本</h2>',
              _table(content.LAYER_COLUMNS, content.text_rows(content.LAYER_COLUMNS, content.layer_values(result)),
                     [13, 12, 12, 6, 26, 15, 9, 7]), "</section>"]
    parts += [f"<p>几何修复/导入说明：{_text(line)}</p>" for line in content.repair_lines(result)]
    body = "\n".join(parts)
    # The used glyphs of the CJK font travel with the page: Chinese shows on any machine.
    from ..webmap import WEB_FONT, cjk_font_css

    font = cjk_font_css(content.TITLE + re.sub(r"<[^>]+>", "", body)) + f"body{{font-family:'{WEB_FONT}',sans-serif}}"
    title = escape(f"{content.TITLE} {result.report_number}")
    head = (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>'
            f"<style>{CSS}{STATUS_CSS}{font}</style></head><body><main>")
    Path(out).write_text(head + body + "</main></body></html>", encoding="utf-8")
