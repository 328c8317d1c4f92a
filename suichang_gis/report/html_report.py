"""The check report as one self-contained HTML file (map extracts embedded as PNG)."""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path

from ..check.model import CheckResult
from . import content
from .map_extract import parcel_map_png

CSS = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-size: 0.9em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.5em; vertical-align: top; text-align: left; }
th { background: #eee; }
.notice { color: #b2182b; font-weight: bold; }
.status-fail { color: #d7191c; font-weight: bold; } .status-warn { color: #e66101; }
.status-not_assessed { color: #777; } .status-pass { color: #1a9641; }
img.map { max-width: 720px; border: 1px solid #ccc; }
"""


def _table(header, rows, classes=None) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes else ""
        body.append(f"<tr{cls}>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def write_html(result: CheckResult, out: Path, layers: dict | None = None) -> None:
    parts = [f"<p>{escape(content.summary_line(result))}</p>",
             "<ul>" + "".join(f"<li>规则集：{escape(x)}</li>" for x in content.ruleset_lines(result)) + "</ul>"]
    for notice in result.notices():
        cls = ' class="notice"' if ("示意" in notice or "示例" in notice) else ""
        parts.append(f"<p{cls}>{escape(notice)}</p>")
    parts += ["<h2>核查汇总</h2>", _table(content.SUMMARY_HEADER, content.summary_rows(result))]
    for p in result.parcels:
        parts.append(f"<h2 class=\"status-{p.status}\">{escape(content.parcel_heading(p))}</h2>")
        facts = [(' class="notice"' if line.startswith("注意") else "", escape(line))
                 for line in content.parcel_facts(p)]
        parts.append("<ul>" + "".join(f"<li{cls}>{line}</li>" for cls, line in facts) + "</ul>")
        png = base64.b64encode(parcel_map_png(p, layers)).decode("ascii")
        parts.append(f'<img class="map" alt="地块 {escape(p.id)} 范围图" src="data:image/png;base64,{png}">')
        parts.append(_table(content.FINDING_HEADER, content.finding_rows(p),
                            [f"status-{f.status}" for f in p.findings]))
    parts += ["<h2>数据来源与版本</h2>", _table(content.LAYER_HEADER, content.layer_rows(result))]
    parts += [f"<p>几何修复/导入说明：{escape(line)}</p>" for line in content.repair_lines(result)]
    body = "\n".join(parts)
    # The used glyphs of the CJK font travel with the page: Chinese shows on any machine.
    from ..webmap import WEB_FONT, cjk_font_css

    font = cjk_font_css(content.TITLE + body) + f"body{{font-family:'{WEB_FONT}',sans-serif}}"
    head = (f"<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{escape(content.TITLE)}"
            f"</title><style>{CSS}{font}</style></head><body><h1>{escape(content.TITLE)}</h1>")
    Path(out).write_text(head + body + "</body></html>", encoding="utf-8")
