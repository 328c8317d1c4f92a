"""What every report says, as Chinese text and typed values; the format writers only lay it out.

Tables are given as columns (header, kind) and rows of raw values: the XLSX stores numbers as
numbers with a number format per kind, the other formats show ``cell_text(value, kind)``.
"""

from __future__ import annotations

from datetime import datetime

from ..check.model import BEIJING, CheckResult, Finding, ParcelResult
from ..units import M2_PER_MU, format_length
from .settings import ReportSettings

TITLE = "地块“三线一单”与“标准地”核查报告"
SEAL_TEXT = "（核查单位盖章）"
# Column kinds: text, mu (亩, 2 decimals), m2 (m², 1 decimal), m (metres, 1 decimal), ratio (%),
# number (4 significant decimals), int.
SUMMARY_COLUMNS = [("地块编号", "text"), ("名称", "text"), ("面积（亩）", "mu"), ("面积（m²）", "m2"),
                   ("所在乡镇", "text"), ("结论", "text"), ("原因（不符合、警示、未评估事项）", "text"),
                   ("示意", "text")]
FINDING_COLUMNS = [("规则", "text"), ("事项", "text"), ("结论", "text"), ("说明", "text"),
                   ("数据（版本）", "text"), ("依据", "text")]
FINDING_TABLE_COLUMNS = [("地块编号", "text"), ("名称", "text"), ("规则", "text"), ("事项", "text"),
                         ("结论", "text"), ("重叠面积（m²）", "m2"), ("重叠面积（亩）", "mu"), ("占地块比例", "ratio"),
                         ("距离（m）", "m"), ("指标值", "number"), ("控制值", "text"), ("数据（版本）", "text"),
                         ("示意", "text"), ("说明", "text"), ("依据", "text")]
LAYER_COLUMNS = [("图层", "text"), ("编号", "text"), ("版本", "text"), ("精度", "text"), ("来源", "text"),
                 ("许可", "text"), ("文件", "text"), ("读取要素数", "int")]


def cell_text(value, kind: str) -> str:
    """A table value as report text: 亩 to 2 decimals, m² and m to 1, ratios as per cent."""
    if value is None or value == "":
        return ""
    if kind == "mu":
        return f"{value:,.2f}"
    if kind in ("m2", "m"):
        return f"{value:,.1f}"
    if kind == "ratio":
        return f"{value * 100:.2f}%"
    if kind == "number":
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.1f}"
    if kind == "int":
        return f"{int(value):,d}"
    return str(value)


def text_rows(columns, rows) -> list[list[str]]:
    """Rows of raw values as report text, column by column (``cell_text``)."""
    return [[cell_text(v, kind) for v, (_, kind) in zip(row, columns)] for row in rows]


# --- header ------------------------------------------------------------------------------------
def report_time(result: CheckResult) -> str:
    """生成时间 in Beijing time, e.g. "2026-12-01 07:49:06（北京时间 UTC+08:00）"."""
    t = datetime.fromisoformat(result.generated).astimezone(BEIJING)
    return f"{t:%Y-%m-%d %H:%M:%S}（北京时间 UTC+08:00）"


def header_fields(result: CheckResult, settings: ReportSettings) -> list[tuple[str, str]]:
    """(label, value) lines under the title; an empty value is a blank line to fill in by hand."""
    return [("报告编号", result.report_number), ("核查单位", settings.unit), ("生成时间", report_time(result)),
            ("地块来源", result.parcel_source or "—"),
            ("规则集", "；".join(ruleset_lines(result)))]


def running_head(result: CheckResult) -> str:
    """The page header line: title and report number (and 示意 when it applies)."""
    return f"{TITLE}　{result.report_number}" + ("　（示意，仅供参考）" if result.indicative else "")


def summary_line(result: CheckResult) -> str:
    """The one-sentence verdict count of the run."""
    c = result.counts()
    return f"共核查 {len(result.parcels)} 个地块：通过 {c['pass']}，警示 {c['warn']}，不符合 {c['fail']}。"


def ruleset_lines(result: CheckResult) -> list[str]:
    """Each rule set with its id, version and whether its thresholds are official or examples."""
    return [f"{r.title}（{r.id}，版本 {r.version}，{'正式阈值' if r.official else '示例阈值'}）"
            for r in result.rulesets]


# --- summary -----------------------------------------------------------------------------------
def summary_values(result: CheckResult) -> list[list]:
    """One row per parcel (``SUMMARY_COLUMNS``): areas as numbers, verdict and its reasons."""
    return [[p.id, p.name or "", p.area_mu, p.area_m2, "、".join(p.townships) or "—", p.status_label,
             "；".join(p.reasons()) if p.status != "pass" else "", "示意" if p.indicative else ""]
            for p in result.parcels]


# --- findings ----------------------------------------------------------------------------------
def dataset_text(f: Finding, result: CheckResult) -> str:
    """The dataset behind a finding with its version, and 示意 where it is schematic."""
    if not f.layer:
        return "地块几何与申报属性"
    use = next((u for u in result.layers if u.id == f.layer), None)
    if use is None:
        return f"{f.layer}（未加载）"
    return f"{use.title}（{use.version}{'，示意' if use.schematic else ''}）"


def basis_text(f: Finding) -> str:
    """The document(s) behind a finding; a fact judged by two rules cites both."""
    own = f.basis.cite() if f.basis else ""
    if not f.also:
        return own
    return "；".join([f"{f.rule}：{own}", *(f"{a.rule}：{a.basis.cite() if a.basis else ''}" for a in f.also)])


def _message(f: Finding) -> str:
    notes = []
    if f.indicative:
        notes.append("（示意图层）")
    if f.example_threshold and f.status != "not_assessed" and "示例" not in f.message:
        notes.append("（示例阈值）")
    if f.also:
        notes.append("（" + "、".join(f"{a.rule} 同一事项判为{_label(a.status)}" for a in f.also) + "，取较严结论）")
    return f.message + "".join(notes)


def _label(status: str) -> str:
    from ..check.model import STATUS_LABELS

    return STATUS_LABELS[status]


def finding_rows(p: ParcelResult, result: CheckResult) -> list[list[str]]:
    """One text row per finding of ``p`` (``FINDING_COLUMNS``): rule(s), verdict, text, data, basis."""
    return [[f.rules_label, f.title, f.status_label, _message(f), dataset_text(f, result), basis_text(f)]
            for f in p.findings]


def finding_table_values(result: CheckResult) -> list[list]:
    """One row per finding of every parcel, numbers as numbers (the XLSX 核查结果 sheet)."""
    rows = []
    for p in result.parcels:
        for f in p.findings:
            rows.append([p.id, p.name or "", f.rules_label, f.title, f.status_label, f.overlap_m2,
                         None if f.overlap_m2 is None else f.overlap_m2 / M2_PER_MU, f.overlap_ratio,
                         f.distance_m, f.value, f.threshold or "", dataset_text(f, result),
                         "是" if f.indicative else "", _message(f), basis_text(f)])
    return rows


def parcel_heading(p: ParcelResult) -> str:
    """"地块 id 名称：结论"."""
    name = f" {p.name}" if p.name else ""
    return f"地块 {p.id}{name}：{p.status_label}"


def parcel_facts(p: ParcelResult) -> list[str]:
    """The lines under a parcel's heading: area, township, zones, reasons, nearby projects, repairs."""
    lines = [f"面积：{p.area_mu:,.2f} 亩（{p.area_m2:,.1f} m²，{p.area_m2 / 10000:,.2f} 公顷，EPSG:4549 平面面积）",
             f"所在乡镇：{'、'.join(p.townships) or '—'}",
             f"所在“一城五区”分区及区块：{'、'.join(p.zones) or '—'}"]
    if p.status != "pass":
        lines.append(f"{p.status_label}的原因：{'；'.join(p.reasons())}")
    if p.projects:
        near = "；".join(f"{x['name']}（{x['layer_title']}{'，示意' if x.get('indicative') else ''}，"
                        f"{format_length(x['distance_m'])}）" for x in p.projects[:8])
        more = f" 等 {len(p.projects)} 项" if len(p.projects) > 8 else ""
        lines.append(f"附近规划项目：{near}{more}")
    else:
        lines.append("附近规划项目：无")
    lines.extend(f"几何修复：{r}" for r in p.repairs)
    if p.indicative:
        lines.append("注意：本地块的核查使用了示意图层，结论为示意性，仅供参考。")
    return lines


# --- data sources ------------------------------------------------------------------------------
def layer_values(result: CheckResult) -> list[list]:
    """One row per data layer used (``LAYER_COLUMNS``), with version, accuracy and source."""
    return [[u.title, u.id, u.version, u.accuracy, u.source, u.licence, u.file, u.features_read]
            for u in result.layers]


def repair_lines(result: CheckResult) -> list[str]:
    """Geometry repairs of the layers and the import notes of the parcels."""
    return [note for u in result.layers for note in u.repairs] + list(result.notes)
