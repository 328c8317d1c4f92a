"""What every report says, as Chinese text rows; the format writers only lay it out."""

from __future__ import annotations

from ..check.model import CheckResult, Finding, ParcelResult
from ..units import format_length

TITLE = "地块“三线一单”与“标准地”核查报告"
SUMMARY_HEADER = ["地块编号", "名称", "面积（亩）", "面积（m²）", "所在乡镇", "结论", "不符合", "警示", "未评估", "示意"]
FINDING_HEADER = ["规则", "事项", "结论", "说明", "依据"]
LAYER_HEADER = ["图层", "编号", "版本", "精度", "来源", "许可", "文件", "读取要素数"]
STATUS_MARK = {"pass": "✓ 通过", "warn": "! 警示", "fail": "✗ 不符合", "info": "i 信息", "not_assessed": "? 未评估"}


def _count(p: ParcelResult, status: str) -> int:
    return sum(f.status == status for f in p.findings)


def summary_rows(result: CheckResult) -> list[list[str]]:
    return [[p.id, p.name or "", f"{p.area_mu:,.2f}", f"{p.area_m2:,.1f}", "、".join(p.townships) or "—",
             p.status_label, str(_count(p, "fail")), str(_count(p, "warn")), str(_count(p, "not_assessed")),
             "示意" if p.indicative else ""] for p in result.parcels]


def basis_text(f: Finding) -> str:
    return f.basis.cite() if f.basis else ""


def finding_rows(p: ParcelResult) -> list[list[str]]:
    rows = []
    for f in p.findings:
        notes = []
        if f.indicative:
            notes.append("（示意图层）")
        if f.example_threshold and f.status != "not_assessed" and "示例" not in f.message:
            notes.append("（示例阈值）")
        rows.append([f.rule, f.title, f.status_label, f.message + "".join(notes), basis_text(f)])
    return rows


def parcel_heading(p: ParcelResult) -> str:
    name = f" {p.name}" if p.name else ""
    return f"地块 {p.id}{name}：{p.status_label}"


def parcel_facts(p: ParcelResult) -> list[str]:
    lines = [f"面积：{p.area_mu:,.2f} 亩（{p.area_m2:,.1f} m²，{p.area_m2 / 10000:,.2f} 公顷，EPSG:4549 平面面积）",
             f"所在乡镇：{'、'.join(p.townships) or '—'}",
             f"所在“一城五区”分区及区块：{'、'.join(p.zones) or '—'}"]
    if p.projects:
        near = "；".join(f"{x['name']}（{x['layer_title']}，{format_length(x['distance_m'])}）"
                        for x in p.projects[:8])
        more = f" 等 {len(p.projects)} 项" if len(p.projects) > 8 else ""
        lines.append(f"附近规划项目：{near}{more}")
    else:
        lines.append("附近规划项目：无")
    lines.extend(f"几何修复：{r}" for r in p.repairs)
    if p.indicative:
        lines.append("注意：本地块的核查使用了示意图层，结论为示意性，仅供参考。")
    return lines


def layer_rows(result: CheckResult) -> list[list[str]]:
    return [[u.title, u.id, u.version, u.accuracy, u.source, u.licence, u.file, str(u.features_read)]
            for u in result.layers]


def repair_lines(result: CheckResult) -> list[str]:
    return [note for u in result.layers for note in u.repairs] + list(result.notes)


def ruleset_lines(result: CheckResult) -> list[str]:
    return [f"{r.title}（{r.id}，版本 {r.version}，{'正式阈值' if r.official else '示例阈值'}）"
            for r in result.rulesets]


def summary_line(result: CheckResult) -> str:
    c = result.counts()
    return (f"共核查 {len(result.parcels)} 个地块：通过 {c['pass']}，警示 {c['warn']}，不符合 {c['fail']}。"
            f"地块来源：{result.parcel_source or '—'}；生成时间：{result.generated}。")
