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

import numpy as np

from ..palette import STATUS_LABELS
from ..rules import Basis, RuleSetInfo
from ..units import M2_PER_MU
from .messages import Messages

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


def _at(column, k: int):
    """Row ``k`` of a float column (None where NaN or where the column is None)."""
    if column is None:
        return None
    v = column[k]
    return None if v != v else float(v)


@dataclass(eq=False)
class FindingColumns:
    """One rule's findings over the parcels of a run, column by column: row ``k`` is a finding on
    parcel ``parcel[k]`` (rows grouped by parcel, ascending). A pass costs no Python object; a
    ``Finding`` is made only when someone reads ``ParcelResult.findings`` (``row()``).

    Per-row columns are lists (or, for the figures, float arrays with NaN for none, or None when
    no row has one; for the messages, a list or ``Messages`` — templates and their arguments); a
    scalar given for a per-row column holds for every row. Figures as in ``Finding``: m², share
    0–1, m; geometry in EPSG:4549.
    """

    rule: str
    title: str
    ruleset: str
    basis: Basis | None
    example_threshold: bool
    parcel: np.ndarray  # int, ascending
    status: Any  # list of str, or one str
    message: Any  # list of str, Messages, or one str
    layer: Any = None
    indicative: Any = False
    overlap_m2: np.ndarray | None = None
    overlap_ratio: np.ndarray | None = None
    distance_m: np.ndarray | None = None
    value: np.ndarray | None = None
    threshold: Any = None
    unit_code: Any = None
    geometry: Any = None  # object array, or None when no row has one
    geometry_role: Any = ""

    def __post_init__(self):
        n = len(self.parcel)
        for name in ("status", "message", "layer", "indicative", "threshold", "unit_code", "geometry_role"):
            v = getattr(self, name)
            if not isinstance(v, (list, np.ndarray, Messages)):
                setattr(self, name, [v] * n)
        for name in ("overlap_m2", "overlap_ratio", "distance_m", "value"):
            v = getattr(self, name)
            if v is not None:
                setattr(self, name, np.asarray(v, dtype=float))

    def __len__(self) -> int:
        return len(self.parcel)

    def json_figures(self) -> dict[str, list]:
        """The figures of every row as ``Finding.to_dict`` gives them (rounded half up; None where
        a row has none): overlap_m2, overlap_mu, overlap_ratio, distance_m, value; and ``present``,
        a 6 × rows bool array of which of m2, mu, ratio, (unit code: False), distance, value a row has.
        """
        def rounded(values, scale):
            if values is None:
                return [None] * len(self)
            out = np.floor(values * scale + 0.5) / scale
            missing = np.isnan(values)
            if not missing.any():
                return out.tolist()
            if missing.all():
                return [None] * len(self)
            out = out.astype(object)
            out[missing] = None
            return out.tolist()

        m2 = self.overlap_m2
        present = np.zeros((6, len(self)), dtype=bool)
        for j, values in ((0, m2), (1, m2), (2, self.overlap_ratio), (4, self.distance_m), (5, self.value)):
            if values is not None:
                present[j] = ~np.isnan(values)
        return {"present": present, "overlap_m2": rounded(m2, 100), "overlap_mu": rounded(None if m2 is None else m2 / M2_PER_MU, 1e4),
                "overlap_ratio": rounded(self.overlap_ratio, 1e6), "distance_m": rounded(self.distance_m, 100),
                "value": rounded(self.value, 1e4)}

    def row(self, k: int, also: tuple = ()) -> Finding:
        """Row ``k`` as a ``Finding``."""
        return Finding(self.rule, self.title, self.status[k], self.message[k], self.basis, self.ruleset,
                       self.layer[k], _at(self.overlap_m2, k), _at(self.overlap_ratio, k),
                       _at(self.distance_m, k), _at(self.value, k), self.threshold[k], self.unit_code[k],
                       bool(self.indicative[k]), self.example_threshold,
                       None if self.geometry is None else self.geometry[k], self.geometry_role[k], also)


class FindingStore:
    """The findings of one run (``run_check``) over ``n`` parcels: one ``FindingColumns`` block per
    rule, in rule order, with which rows are still in (``alive``: a rule not applicable or judged
    by another rule drops rows) and the ``also`` of rows another rule's verdict was merged into.

    A parcel's findings are its rows of every block in block order, as the rules made them.
    """

    def __init__(self, n: int):
        self.n = n
        self.blocks: list[FindingColumns] = []
        self.alive: list[np.ndarray] = []
        self.also: dict[tuple[int, int], tuple[AlsoJudged, ...]] = {}  # (block, row) → also
        self._bounds: dict[int, list[int]] = {}
        self._worst: np.ndarray | None = None
        self._indicative: np.ndarray | None = None

    def add(self, block: FindingColumns) -> None:
        """Append one rule's rows."""
        self.blocks.append(block)
        self.alive.append(np.ones(len(block), dtype=bool))
        self._worst = self._indicative = None

    def drop(self, b: int, rows: np.ndarray) -> None:
        """Take rows of block ``b`` out."""
        self.alive[b][rows] = False
        self._worst = self._indicative = None

    def bounds(self, b: int) -> list[int]:
        """Row bounds of each parcel in block ``b``: parcel i has rows bounds[i]:bounds[i + 1]."""
        if b not in self._bounds:
            self._bounds[b] = np.searchsorted(self.blocks[b].parcel, np.arange(self.n + 1)).tolist()
        return self._bounds[b]

    def findings(self, i: int, passes: bool = True) -> list[Finding]:
        """Parcel ``i``'s findings as ``Finding`` objects (without the passes if not ``passes``)."""
        out = []
        for b, block in enumerate(self.blocks):
            bounds, alive = self.bounds(b), self.alive[b]
            for k in range(bounds[i], bounds[i + 1]):
                if alive[k] and (passes or block.status[k] != "pass"):
                    out.append(block.row(k, self.also.get((b, k), ())))
        return out

    def worst(self) -> np.ndarray:
        """Per parcel the rank of its worst finding (0 pass/info, 1 警示/未评估, 2 不符合)."""
        if self._worst is None:
            worst = np.zeros(self.n, dtype=np.int8)
            for block, alive in zip(self.blocks, self.alive):
                ranks = np.array([_RANK[s] for s in block.status], dtype=np.int8)
                np.maximum.at(worst, block.parcel[alive], ranks[alive])
            self._worst = worst
        return self._worst

    def indicative(self) -> np.ndarray:
        """Per parcel whether any of its findings rests on a 示意 layer."""
        if self._indicative is None:
            out = np.zeros(self.n, dtype=bool)
            for block, alive in zip(self.blocks, self.alive):
                flags = np.asarray(block.indicative, dtype=bool) & alive
                out[block.parcel[flags]] = True
            self._indicative = out
        return self._indicative


@dataclass
class ParcelResult:
    """The check of one parcel: its area (m², EPSG:4549 planar) and findings; the worst finding
    gives its status.

    The findings of a run stay in the run's ``FindingStore`` (``store`` and this parcel's
    ``index`` in it) until ``findings`` is read; setting ``findings`` replaces them.
    """

    id: str
    name: str | None
    area_m2: float
    townships: list[str] = field(default_factory=list)
    zones: list[str] = field(default_factory=list)
    projects: list[dict] = field(default_factory=list)  # {"layer", "name", "distance_m"}
    repairs: list[str] = field(default_factory=list)
    geometry: Any = field(default=None, repr=False, compare=False)
    store: FindingStore | None = field(default=None, repr=False, compare=False)
    index: int = field(default=0, repr=False, compare=False)
    _findings: list[Finding] | None = field(default=None, repr=False, compare=False)

    @property
    def findings(self) -> list[Finding]:
        """Every finding on the parcel, in rule order."""
        if self._findings is None:
            self._findings = self.store.findings(self.index) if self.store is not None else []
        return self._findings

    @findings.setter
    def findings(self, value: list[Finding]) -> None:
        self._findings = list(value)

    @property
    def in_store(self) -> bool:
        """Whether the findings are still only the store's columns (not read or replaced)."""
        return self._findings is None and self.store is not None

    @property
    def area_mu(self) -> float:
        """The parcel area in 亩 (1 亩 = 10000/15 m²)."""
        return self.area_m2 / M2_PER_MU

    @property
    def status(self) -> str:
        """The verdict: "fail" if any finding fails, else "warn" if any warns or is not assessed, else "pass"."""
        if self.in_store:
            worst = int(self.store.worst()[self.index])
        else:
            worst = max((_RANK[f.status] for f in self.findings), default=0)
        return ("pass", "warn", "fail")[worst]

    @property
    def status_label(self) -> str:
        """The verdict in Chinese (通过/警示/不符合)."""
        return STATUS_LABELS[self.status]

    @property
    def indicative(self) -> bool:
        """Whether any finding rests on a 示意 layer."""
        if self.in_store:
            return bool(self.store.indicative()[self.index])
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
