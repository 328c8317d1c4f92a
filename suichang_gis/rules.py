"""Rule sets for the site check (三线一单, 标准地) read from TOML files under ``resources/rules``.

Every threshold, layer id and attribute name the check engine uses comes from these files, so a
bureau edits a threshold without touching code. A malformed file is rejected with a Chinese
``RuleError`` that names the file and the line.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

SEVERITIES = ("fail", "warn", "info")

# kind → keys a rule of that kind must have (besides id, title, kind, checks, basis).
REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    "overlap_forbidden": ("layer", "severity"),
    "inside_required": ("layer", "severity"),
    "inside_any": ("layer", "severity"),
    "control_units": ("layer", "class_field", "key_field", "admission"),
    "unit_capacity": ("layer", "items", "severity"),
    "proximity": ("layer", "buffer_m", "severity"),
    "indicator": ("numerator", "severity"),
    "nearest": ("layers", "max_m", "severity"),
    "slope": ("severity",),
    "parcel_overlap": ("severity",),
}
NUMBER_KEYS = ("buffer_m", "max_m", "min", "max", "sliver_tolerance_m2", "max_mean_deg", "max_max_deg")
DEFAULT_SLIVER_TOLERANCE_M2 = 1.0


class RuleError(ValueError):
    """A rule file that cannot be used; the message is Chinese and names the file and line."""


@dataclass(frozen=True)
class Basis:
    """The document a rule comes from."""

    title: str
    issuer: str = ""
    year: int | None = None
    article: str = ""
    note: str = ""

    def to_dict(self) -> dict:
        """The basis as a new JSON-ready dict (a copy of ``as_dict``)."""
        return dict(self.as_dict)

    @cached_property
    def as_dict(self) -> dict:
        """The JSON form, built once and shared by every finding citing this basis (read-only)."""
        return {"title": self.title, "issuer": self.issuer, "year": self.year, "article": self.article or None}

    def cite(self) -> str:
        """One line for reports: 《title》（issuer, year）article."""
        parts = [f"《{self.title}》"]
        tail = "，".join(p for p in (self.issuer, str(self.year) if self.year else "") if p)
        if tail:
            parts.append(f"（{tail}）")
        if self.article:
            parts.append(self.article)
        return "".join(parts)


@dataclass(frozen=True)
class RuleSetInfo:
    """What a rule file says about itself: id, title, version, whether its thresholds are
    official, the notice reports show, its file and to what land it applies.
    """

    id: str
    title: str
    version: str
    official: bool
    notice: str
    path: Path
    applies_to: str = "all"  # "all" | "industrial" (标准地 applies to industrial land only)

    @cached_property
    def tag(self) -> str:
        """"id@version", as findings cite their rule set."""
        return f"{self.id}@{self.version}"

    def to_dict(self) -> dict:
        """The rule-set header as JSON-ready values."""
        return {"id": self.id, "title": self.title, "version": self.version,
                "official": self.official, "notice": self.notice, "file": self.path.name,
                "applies_to": self.applies_to}


@dataclass(frozen=True)
class Rule:
    """One rule of a rule file: id, title, kind (which check it runs), its basis and parameters
    (layer ids, thresholds, attribute names) as written in the TOML.
    """

    id: str
    title: str
    kind: str
    checks: str
    severity: str
    basis: Basis
    ruleset: RuleSetInfo
    example: bool  # the threshold is an example, not an official value
    sliver_tolerance_m2: float
    params: dict = field(default_factory=dict, compare=False, hash=False)
    line: int = 0

    def get(self, key: str, default=None):
        """The parameter ``key`` of the rule, or ``default``."""
        return self.params.get(key, default)

    @property
    def same_condition(self) -> str | None:
        """Id of a rule (of another set) that judges the same fact, from ``same_condition``."""
        return self.params.get("same_condition")

    @property
    def layer_ids(self) -> tuple[str, ...]:
        """The catalog layer ids the rule reads (``layer`` or ``layers`` parameters)."""
        if "layers" in self.params:
            return tuple(self.params["layers"])
        return (self.params["layer"],) if "layer" in self.params else ()


@dataclass(frozen=True)
class RuleSet:
    """One or more rule files merged: their rules in file order plus the shared context settings."""

    infos: tuple[RuleSetInfo, ...]
    rules: tuple[Rule, ...]
    context: dict
    industrial_land_uses: frozenset[str]

    @property
    def official(self) -> bool:
        """Whether every merged rule file has official thresholds."""
        return all(i.official for i in self.infos)

    @property
    def layer_ids(self) -> set[str]:
        """Every layer id the rules and the context (乡镇, zones) read."""
        ids = {lid for r in self.rules for lid in r.layer_ids}
        ids.add(self.context.get("township_layer", "townships"))
        ids.update(self.context.get("zone_layers", ()))
        return ids


def default_rule_files() -> list[Path]:
    """The shipped rule files (``resources/rules/*.toml``), 三线一单 first."""
    from resources import RESOURCES_DIR

    return sorted((RESOURCES_DIR / "rules").glob("*.toml"), key=lambda p: (p.stem != "sanxian_yidan", p.stem))


def _rule_lines(text: str) -> list[int]:
    """1-based line numbers of each ``[[rules]]`` header, in order."""
    return [n for n, line in enumerate(text.splitlines(), 1)
            if re.match(r"^\s*\[\[\s*rules\s*\]\]\s*(#.*)?$", line)]


def _parse_basis(raw, documents: dict, where: str) -> Basis:
    if isinstance(raw, str):
        if raw not in documents:
            raise RuleError(f"{where}：依据文件“{raw}”未在 [documents] 中定义")
        raw = documents[raw]
    if not isinstance(raw, dict) or not raw.get("title"):
        raise RuleError(f"{where}：依据文件缺少 title")
    return Basis(title=str(raw["title"]), issuer=str(raw.get("issuer", "")), year=raw.get("year"),
                 article=str(raw.get("article", "")), note=str(raw.get("note", "")))


def _check_rule(raw: dict, where: str) -> None:
    missing = [k for k in ("id", "title", "kind", "checks", "basis") if k not in raw]
    if missing:
        raise RuleError(f"{where}：缺少 {'、'.join(missing)}")
    kind = raw["kind"]
    if kind not in REQUIRED_KEYS:
        raise RuleError(f"{where}：未知的规则类型 kind = “{kind}”，应为 {'、'.join(REQUIRED_KEYS)} 之一")
    missing = [k for k in REQUIRED_KEYS[kind] if k not in raw]
    if missing:
        raise RuleError(f"{where}：{kind} 类规则缺少 {'、'.join(missing)}")
    if "severity" in raw and raw["severity"] not in SEVERITIES:
        raise RuleError(f"{where}：severity 应为 fail、warn、info 之一，而不是“{raw['severity']}”")
    for key in ("severity_industrial", "inside_severity"):
        if key in raw and raw[key] not in SEVERITIES:
            raise RuleError(f"{where}：{key} 应为 fail、warn、info 之一，而不是“{raw[key]}”")
    for key in NUMBER_KEYS:
        if key in raw and (isinstance(raw[key], bool) or not isinstance(raw[key], (int, float))):
            raise RuleError(f"{where}：{key} 应为数字，而不是“{raw[key]}”")
    if kind == "indicator" and "min" not in raw and "max" not in raw:
        raise RuleError(f"{where}：indicator 类规则须给出 min 或 max 阈值")
    if kind == "control_units":
        for entry in raw["admission"]:
            if "key" not in entry:
                raise RuleError(f"{where}：[[rules.admission]] 条目缺少 key")


def parse_rule_file(path: Path) -> tuple[RuleSetInfo, list[Rule], dict, list[str]]:
    """Read one rule file; return its header, rules, [context] table and industrial land uses."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"规则文件 {path} 无法读取：{exc}") from exc
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib says "(at line N, column M)"; repeat it in Chinese.
        m = re.search(r"line (\d+), column (\d+)", str(exc))
        where = f"第 {m.group(1)} 行第 {m.group(2)} 列" if m else "某处"
        raise RuleError(f"规则文件 {path.name} {where}格式错误（TOML）：{exc}") from exc
    head = raw.get("ruleset")
    if not isinstance(head, dict) or not all(k in head for k in ("id", "title", "version")):
        raise RuleError(f"规则文件 {path.name}：缺少 [ruleset] 表（id、title、version）")
    info = RuleSetInfo(id=str(head["id"]), title=str(head["title"]), version=str(head["version"]),
                       official=bool(head.get("official", False)), notice=str(head.get("notice", "")),
                       path=path, applies_to=str(head.get("applies_to", "all")))
    if info.applies_to not in ("all", "industrial"):
        raise RuleError(f"规则文件 {path.name}：[ruleset] applies_to 应为 all 或 industrial")
    if not info.official and not info.notice:
        raise RuleError(f"规则文件 {path.name}：official = false 时须在 notice 中说明阈值为示例")
    documents = raw.get("documents", {})
    lines = _rule_lines(text)
    rules, seen = [], set()
    for i, r in enumerate(raw.get("rules", [])):
        line = lines[i] if i < len(lines) else 0
        where = f"规则文件 {path.name} 第 {line} 行起的规则“{r.get('id', '?')}”"
        _check_rule(r, where)
        if r["id"] in seen:
            raise RuleError(f"{where}：规则编号重复")
        seen.add(r["id"])
        basis = _parse_basis(r["basis"], documents, where)
        if r.get("article"):
            basis = Basis(basis.title, basis.issuer, basis.year, str(r["article"]), basis.note)
        rules.append(Rule(
            id=str(r["id"]), title=str(r["title"]), kind=r["kind"], checks=str(r["checks"]),
            severity=r.get("severity", "fail"), basis=basis, ruleset=info,
            example=bool(r.get("example", False)),
            sliver_tolerance_m2=float(r.get("sliver_tolerance_m2", DEFAULT_SLIVER_TOLERANCE_M2)),
            params=r, line=line))
    return info, rules, raw.get("context", {}), list(head.get("industrial_land_uses", ()))


def _check_same_conditions(rules: list[Rule]) -> None:
    """``same_condition`` must name a loaded rule of the same kind family, not itself."""
    by_id = {r.id: r for r in rules}
    for rule in rules:
        other = rule.same_condition
        if other is None:
            continue
        where = f"规则文件 {rule.ruleset.path.name} 第 {rule.line} 行起的规则“{rule.id}”"
        if other == rule.id or other not in by_id:
            raise RuleError(f"{where}：same_condition 指向的规则“{other}”不存在（或为其自身）")
        if by_id[other].kind != rule.kind or by_id[other].same_condition:
            raise RuleError(f"{where}：same_condition 指向的规则“{other}”须为同类规则且本身不再指向其他规则")


def load_ruleset(paths: list[Path] | None = None) -> RuleSet:
    """Merge rule files (default: every file in ``resources/rules``); rule ids must be unique."""
    paths = [Path(p) for p in paths] if paths else default_rule_files()
    if not paths:
        raise RuleError("没有找到规则文件")
    infos, rules, context, industrial = [], [], {}, set()
    for path in paths:
        info, file_rules, file_context, land_uses = parse_rule_file(path)
        if any(i.id == info.id for i in infos):
            raise RuleError(f"规则文件 {path.name}：规则集编号“{info.id}”重复")
        infos.append(info)
        clash = {r.id for r in rules} & {r.id for r in file_rules}
        if clash:
            raise RuleError(f"规则文件 {path.name}：规则编号与其他规则文件重复：{'、'.join(sorted(clash))}")
        rules.extend(file_rules)
        context.update(file_context)
        industrial.update(land_uses)
    _check_same_conditions(rules)
    return RuleSet(tuple(infos), tuple(rules), context, frozenset(industrial))
