"""The one result model of the site check; ``to_dict()`` gives the JSON contract.

A ``CheckResult`` holds the rule sets and data layers used and one ``ParcelResult`` per parcel,
each with its ``Finding``s. Geometry (the parcel, overlaps) stays on the objects for maps and is
not part of the JSON.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from ..palette import STATUS_LABELS
from ..rules import Basis, RuleSetInfo
from ..units import M2_PER_MU

# Parcel status: the worst finding wins; "not assessed" keeps a parcel from passing silently.
_RANK = {"info": 0, "pass": 0, "not_assessed": 1, "warn": 1, "fail": 2}
AREA_CONVENTION = ("面积为 CGCS2000 3度带 CM120E（EPSG:4549）高斯-克吕格投影平面面积，"
                   "与“三线一单”成果的计算口径一致（非椭球面积）。1 亩 = 10000/15 m²。")
INDICATIVE_NOTICE = "本结果使用了示意图层，结论仅供参考（示意），不得作为审批依据。"
BEIJING = timezone(timedelta(hours=8), "北京时间")  # every time a report shows is UTC+08:00
# Statuses a parcel summary gives as reasons (未评估 is a reason: it keeps a parcel from passing).
REASON_STATUSES = ("fail", "warn", "not_assessed")


def beijing_now() -> str:
    """The current time in Beijing, ISO 8601 with +08:00, to the second."""
    return datetime.now(BEIJING).isoformat(timespec="seconds")


def stricter(a: str, b: str) -> bool:
    """Whether status ``a`` is stricter than ``b``: 不符合 > 警示 > 未评估 > 通过/信息."""
    order = {"info": 0, "pass": 0, "not_assessed": 1, "warn": 2, "fail": 3}
    return order[a] > order[b]


@dataclass(frozen=True, slots=True)
class AlsoJudged:
    """Another rule that judged the same fact as a finding (``same_condition`` in the rule files)."""

    rule: str
    ruleset: str  # "id@version"
    status: str
    basis: Basis | None

    def to_dict(self) -> dict:
        """The entry as JSON-ready values."""
        return {"rule": self.rule, "ruleset": self.ruleset, "status": self.status,
                "basis": self.basis.as_dict if self.basis else None}


def _round(value: float | None, scale: float = 100) -> float | None:
    """Round half up to 1/scale (builtin round() is slow over hundreds of thousands of values)."""
    return None if value is None else math.floor(value * scale + 0.5) / scale


@dataclass(slots=True)
class Finding:
    """One rule's verdict on one parcel: status (pass/warn/fail/info/not_assessed), a Chinese
    message, the rule's basis and the measured values (m², share 0–1, m), with the overlap or
    nearest-line geometry (EPSG:4549) for maps.
    """

    rule: str
    title: str
    status: str  # pass | warn | fail | info | not_assessed
    message: str  # Chinese, one or two sentences
    basis: Basis | None = None
    ruleset: str = ""  # "id@version"
    layer: str | None = None
    overlap_m2: float | None = None
    overlap_ratio: float | None = None  # share of the parcel area, 0–1
    distance_m: float | None = None
    value: float | None = None  # indicator value
    threshold: str | None = None  # e.g. "≥ 300 万元/亩"
    unit_code: str | None = None  # 环境管控单元 code for per-unit findings
    indicative: bool = False  # a 示意 layer was used
    example_threshold: bool = False  # the threshold/list entry is an example, not official
    geometry: Any = field(default=None, repr=False, compare=False)  # overlap or nearest line
    geometry_role: str = ""  # what ``geometry`` shows on a map, e.g. "重叠部分"
    also: tuple[AlsoJudged, ...] = ()  # rules of other sets judging the same fact

    @property
    def overlap_mu(self) -> float | None:
        """The overlap in 亩 (1 亩 = 10000/15 m²), or None."""
        return None if self.overlap_m2 is None else self.overlap_m2 / M2_PER_MU

    @property
    def status_label(self) -> str:
        """The status in Chinese (通过/警示/不符合/信息/未评估)."""
        return STATUS_LABELS[self.status]

    def to_dict(self) -> dict:
        """The finding as JSON-ready values, rounded half up (m² to 0.01, 亩 to 0.0001, share to 1e-6)."""
        m2, ratio, dist, value = self.overlap_m2, self.overlap_ratio, self.distance_m, self.value
        floor = math.floor  # rounding half up by hand: builtin round() is slow at this volume
        return {
            "rule": self.rule, "title": self.title, "ruleset": self.ruleset, "layer": self.layer,
            "status": self.status,
            "overlap_m2": None if m2 is None else floor(m2 * 100 + 0.5) / 100,
            "overlap_mu": None if m2 is None else floor(m2 / M2_PER_MU * 1e4 + 0.5) / 1e4,
            "overlap_ratio": None if ratio is None else floor(ratio * 1e6 + 0.5) / 1e6,
            "distance_m": None if dist is None else floor(dist * 100 + 0.5) / 100,
            "value": None if value is None else floor(value * 1e4 + 0.5) / 1e4,
            "threshold": self.threshold, "unit_code": self.unit_code, "message": self.message,
            "basis": self.basis.as_dict if self.basis else None,
            "indicative": self.indicative, "example_threshold": self.example_threshold,
            **({"also": [a.to_dict() for a in self.also]} if self.also else {}),
        }

    @property
    def rules_label(self) -> str:
        """"SX-03" or "SX-03/BZD-01" when another rule judged the same fact."""
        return "/".join([self.rule, *(a.rule for a in self.also)])


@dataclass
class ParcelResult:
    """The check of one parcel: its area (m², EPSG:4549 planar) and findings; the worst finding
    gives its status.
    """

    id: str
    name: str | None
    area_m2: float
    findings: list[Finding] = field(default_factory=list)
    townships: list[str] = field(default_factory=list)
    zones: list[str] = field(default_factory=list)
    projects: list[dict] = field(default_factory=list)  # {"layer", "name", "distance_m"}
    repairs: list[str] = field(default_factory=list)
    geometry: Any = field(default=None, repr=False, compare=False)

    @property
    def area_mu(self) -> float:
        """The parcel area in 亩 (1 亩 = 10000/15 m²)."""
        return self.area_m2 / M2_PER_MU

    @property
    def status(self) -> str:
        """The verdict: "fail" if any finding fails, else "warn" if any warns or is not assessed, else "pass"."""
        worst = max((_RANK[f.status] for f in self.findings), default=0)
        return ("pass", "warn", "fail")[worst]

    @property
    def status_label(self) -> str:
        """The verdict in Chinese (通过/警示/不符合)."""
        return STATUS_LABELS[self.status]

    @property
    def indicative(self) -> bool:
        """Whether any finding rests on a 示意 layer."""
        return any(f.indicative for f in self.findings)

    def reasons(self) -> list[str]:
        """Why the parcel is 警示 or 不符合: each 不符合, 警示 and 未评估 finding, strictest first."""
        order = {s: k for k, s in enumerate(REASON_STATUSES)}
        found = sorted((f for f in self.findings if f.status in order), key=lambda f: order[f.status])
        return [f"{f.rules_label} {f.title}：{f.status_label}" for f in found]

    def to_dict(self) -> dict:
        """The parcel's result as JSON-ready values (the JSON contract of ``suichang-gis check``)."""
        findings = [f.to_dict() for f in self.findings]
        return {
            "id": self.id, "name": self.name, "area_m2": _round(self.area_m2),
            "area_mu": _round(self.area_mu, 1e4), "townships": self.townships, "zones": self.zones,
            "status": self.status, "indicative": any(f["indicative"] for f in findings),
            "reasons": self.reasons() if self.status != "pass" else [],
            "projects_nearby": [{**p, "distance_m": _round(p["distance_m"])} for p in self.projects],
            "repairs": self.repairs,
            "findings": findings,
        }


@dataclass
class UsedLayer:
    """A data layer the check read, with what a report must say about it."""

    id: str
    title: str
    version: str
    accuracy: str  # 权威 | 示意
    source: str
    licence: str
    file: str
    features_read: int
    repairs: list[str] = field(default_factory=list)

    @property
    def schematic(self) -> bool:
        """Whether the layer is 示意 (schematic) data."""
        return self.accuracy == "示意"

    def to_dict(self) -> dict:
        """The layer record as JSON-ready values."""
        return {"id": self.id, "title": self.title, "version": self.version,
                "accuracy": self.accuracy, "source": self.source, "licence": self.licence,
                "file": self.file, "features_read": self.features_read, "repairs": self.repairs}


@dataclass
class CheckResult:
    """One check run: the rule sets and layers used, one ``ParcelResult`` per parcel, the time and
    the notes a report must carry; ``to_dict()`` is the JSON contract.
    """

    rulesets: list[RuleSetInfo]
    layers: list[UsedLayer]
    parcels: list[ParcelResult]
    generated: str  # ISO time, Beijing (+08:00)
    parcel_source: str = ""
    report_number: str = ""  # 报告编号, given when a report is written (report.settings)
    notes: list[str] = field(default_factory=list)  # e.g. missing layers, parcel repairs

    @property
    def indicative(self) -> bool:
        """Whether any parcel's verdict rests on a 示意 layer."""
        return any(p.indicative for p in self.parcels)

    @property
    def example_thresholds(self) -> bool:
        """Whether any rule set used has example (non-official) thresholds."""
        return any(not r.official for r in self.rulesets)

    def counts(self) -> dict[str, int]:
        """Number of parcels per verdict: {"pass": n, "warn": n, "fail": n}."""
        counts = {"pass": 0, "warn": 0, "fail": 0}
        for p in self.parcels:
            counts[p.status] += 1
        return counts

    def notices(self) -> list[str]:
        """Chinese notices every report shows at the top."""
        out = [AREA_CONVENTION]
        if self.indicative:
            schematic = "、".join(layer.title for layer in self.layers if layer.schematic)
            out.append(f"{INDICATIVE_NOTICE}示意图层：{schematic}。")
        out.extend(r.notice for r in self.rulesets if not r.official)
        return out

    def to_dict(self, include_parcels: bool = True) -> dict:
        """The result as JSON-ready values; without the parcels when ``include_parcels`` is False."""
        d = {
            "generated": self.generated,
            "report_number": self.report_number,
            "parcel_source": self.parcel_source,
            "rulesets": [r.to_dict() for r in self.rulesets],
            "area_convention": AREA_CONVENTION,
            "indicative": self.indicative,
            "notices": self.notices(),
            "notes": self.notes,
            "layers": [layer.to_dict() for layer in self.layers],
            "summary": self.counts(),
        }
        if include_parcels:
            d["parcels"] = [p.to_dict() for p in self.parcels]
        return d
