"""The site check: every parcel against the 三线一单 and 标准地 rule sets.

Vectorised: each rule runs once for all parcels (STRtree candidate pairs, then
``shapely.intersection`` on arrays). Conventions the tests pin:

- geometry is repaired with ``make_valid`` before any overlay (parcels here, constraint
  features lazily in ``CheckLayer.ensure_valid``) and the result says so;
- areas are planar in EPSG:4549; touching is not overlapping (an overlap needs area > 0), and
  overlaps up to the rule's ``sliver_tolerance_m2`` are reported but do not fail;
- a missing layer, attribute or DEM gives "not_assessed" (未评估), never a silent pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely

from ..rules import Rule, RuleSet
from ..units import M2_PER_MU, format_area, format_length
from .data import CheckLayer, ParcelSet
from .messages import Messages, template
from .model import AlsoJudged, CheckResult, FindingColumns, FindingStore, ParcelResult, beijing_now, stricter

CATEGORY_FIELD = "industrial_category"
INDUSTRY_CODE_FIELD = "industry_code"
LAND_USE_FIELD = "land_use"
SPECIAL_VALUES = {"area_m2": lambda area: area, "area_mu": lambda area: area / M2_PER_MU}


def _empty(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip())


def _number(v) -> float | None:
    if _empty(v):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _field_label(name: str) -> str:
    from ..parcel import FIELD_BY_NAME

    f = FIELD_BY_NAME.get(name)
    return f.label if f else name


def _first(pair: tuple):
    return pair[0]


def _pct(x: float) -> str:
    return f"{x * 100:.2f}%"


@dataclass
class _Overlaps:
    """Parcel × feature pairs with an overlap of positive area."""

    pi: np.ndarray
    li: np.ndarray
    geoms: np.ndarray
    areas: np.ndarray
    _groups: list[np.ndarray] | None = None

    def by_parcel(self, n: int) -> list[np.ndarray]:
        """Rows of each parcel's pairs (computed once)."""
        if self._groups is None:
            order = np.argsort(self.pi, kind="stable")
            bounds = np.searchsorted(self.pi[order], np.arange(n + 1)).tolist()
            self._groups = [order[bounds[i]:bounds[i + 1]] for i in range(n)]
        return self._groups


@dataclass
class _Context:
    parcels: ParcelSet
    geoms: np.ndarray
    areas: np.ndarray
    layers: dict[str, CheckLayer]
    ruleset: RuleSet
    results: list[ParcelResult]
    industrial: list[bool | None]
    store: FindingStore
    dem: object = None
    others: ParcelSet | None = None  # other candidate parcels of the project (compared, not checked)
    used: set[str] = field(default_factory=set)
    cache: dict = field(default_factory=dict)

    def layer(self, layer_id: str) -> CheckLayer | None:
        layer = self.layers.get(layer_id)
        if layer is not None:
            self.used.add(layer_id)
        return layer

    def overlaps(self, layer: CheckLayer) -> _Overlaps:
        if layer.id not in self.cache:
            pi, li = layer.tree.query(self.geoms)  # envelope candidates only
            # By parcel, then feature number: the tree's own order depends on which features were
            # read (a chunk, a bounding box), and feature names are listed in this order.
            order = np.lexsort((layer.fids[li], pi))
            pi, li = pi[order], li[order]
            layer.ensure_valid(li)  # repair before the predicate and the overlay
            hit = shapely.intersects(self.geoms[pi], layer.geoms[li])
            pi, li = pi[hit], li[hit]
            # No overlay where one side holds the other (prepared parcel tests): a feature wholly
            # inside the parcel is its own overlap, a parcel wholly inside a feature (a unit, a
            # township, the development boundary) is the overlap itself.
            inside = shapely.contains_properly(self.geoms[pi], layer.geoms[li])
            inter = layer.geoms[li].copy()
            rest = np.flatnonzero(~inside)
            covered = shapely.covered_by(self.geoms[pi[rest]], layer.geoms[li[rest]])
            inter[rest[covered]] = self.geoms[pi[rest[covered]]]
            rest = rest[~covered]
            inter[rest] = shapely.intersection(self.geoms[pi[rest]], layer.geoms[li[rest]])
            areas = shapely.area(inter)
            keep = areas > 0  # touching is not overlapping
            self.cache[layer.id] = _Overlaps(pi[keep], li[keep], inter[keep], areas[keep])
        return self.cache[layer.id]

    def union_overlap(self, layer: CheckLayer) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        """Per parcel: area of the union of its overlaps with the layer, that geometry (None where
        none; an object array), pair rows.

        Features of one layer may overlap each other. Pieces of one parcel whose interiors meet
        (one vectorised relate over the pairs with touching envelopes) are unioned; for the rest,
        which are most, the pieces are disjoint and their areas simply add up.
        """
        key = ("union", layer.id)
        if key not in self.cache:
            ov = self.overlaps(layer)
            n = len(self.geoms)
            groups = ov.by_parcel(n)
            areas = np.bincount(ov.pi, weights=ov.areas, minlength=n)
            geoms = np.full(n, None, dtype=object)
            single = np.bincount(ov.pi, minlength=n)[ov.pi] == 1
            geoms[ov.pi[single]] = ov.geoms[single]  # one piece: the piece itself, whatever its type
            rows = np.flatnonzero(~single)  # pieces of parcels with several
            if len(rows):
                pieces, owner = ov.geoms[rows], ov.pi[rows]
                first, second = shapely.STRtree(pieces).query(pieces)
                pair = (first < second) & (owner[first] == owner[second])
                first, second = first[pair], second[pair]
                shared = shapely.relate_pattern(pieces[first], pieces[second], "2********")
                # (masks rather than np.unique/isin, which import numpy.ma: start-up of a small check)
                overlapping = np.zeros(n, dtype=bool)
                overlapping[owner[first[shared]]] = True
                to_union = np.flatnonzero(overlapping)
                # Disjoint pieces: one MultiPolygon of their polygon parts per parcel.
                parts, piece = shapely.get_parts(pieces, return_index=True)
                part_owner = owner[piece]
                keep = (shapely.get_type_id(parts) == 3) & ~overlapping[part_owner]
                order = np.argsort(part_owner[keep], kind="stable")
                merged = np.full(n, None, dtype=object)
                shapely.multipolygons(parts[keep][order], indices=part_owner[keep][order], out=merged)
                several = np.zeros(n, dtype=bool)
                several[owner] = True
                disjoint = np.flatnonzero(several & ~overlapping)
                geoms[disjoint] = merged[disjoint]
                for i in to_union.tolist():
                    geoms[i] = shapely.union_all(ov.geoms[groups[i]])
                    areas[i] = shapely.area(geoms[i])
            self.cache[key] = (areas, geoms, groups)
        return self.cache[key]


def _emit(ctx: _Context, rule: Rule, parcel, status, message, layer: CheckLayer | None = None, *,
          layer_id=None, indicative=None, **columns) -> None:
    """Add a rule's findings to the run as columns (``FindingColumns``): row k on parcel
    ``parcel[k]``; a scalar column holds for every row. The layer gives the layer id and 示意 flag
    unless ``layer_id``/``indicative`` are given (per row where the rows use several layers).
    """
    ctx.store.add(FindingColumns(
        rule.id, rule.title, rule.ruleset.tag, rule.basis, rule.example, np.asarray(parcel, dtype=np.intp),
        status, message, layer=layer.id if layer is not None else layer_id,
        indicative=(layer is not None and layer.spec.schematic) if indicative is None else indicative,
        **columns))


def _every(ctx: _Context) -> np.ndarray:
    return np.arange(len(ctx.geoms))


def _shares(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """part / whole, 0 where whole is 0."""
    return np.divide(part, whole, out=np.zeros(len(whole)), where=whole != 0)


def _missing_layer(ctx: _Context, rule: Rule, layer_id: str) -> None:
    _emit(ctx, rule, _every(ctx), "not_assessed", f"未加载图层“{layer_id}”，{rule.title}未评估", layer_id=layer_id)


def _names(layer: CheckLayer, rows, column: str | None) -> str:
    column = column or "name"
    names = []
    for li in rows:
        v = layer.value(column, int(li))
        names.append(str(v) if v is not None else f"要素 {layer.fids[li]}")
    return "、".join(dict.fromkeys(names))


class _Rows:
    """A rule's findings collected row by row (rules with any number of rows per parcel), handed
    to ``_emit`` by ``emit``; figures are NaN where a row has none; messages as ``Messages``.
    """

    def __init__(self):
        self.parcel, self.status, self.message = [], [], Messages()
        self.overlap_m2, self.overlap_ratio, self.distance_m, self.value = [], [], [], []
        self.threshold, self.unit_code, self.geometry, self.geometry_role = [], [], [], []

    def add(self, i: int, status: str, message: str, *args: str, overlap_m2=math.nan, overlap_ratio=math.nan,
            distance_m=math.nan, value=math.nan, threshold=None, unit_code=None, geometry=None,
            geometry_role: str = "") -> None:
        """One finding on parcel ``i`` (parcels in ascending order); its message is the template
        ``message`` filled with ``args`` (``Messages``), or the sentence ``message`` without ``args``.
        """
        self.parcel.append(i)
        self.status.append(status)
        self.message.append(message, *args)
        self.overlap_m2.append(overlap_m2)
        self.overlap_ratio.append(overlap_ratio)
        self.distance_m.append(distance_m)
        self.value.append(value)
        self.threshold.append(threshold)
        self.unit_code.append(unit_code)
        self.geometry.append(geometry)
        self.geometry_role.append(geometry_role)

    def fill(self, n: int, status: str, message: str) -> None:
        """Give each of parcels 0…n-1 that has no row one with ``status`` and ``message`` (no
        figures), keeping the rows in parcel order.
        """
        have = np.zeros(n, dtype=bool)
        have[self.parcel] = True
        rest = np.flatnonzero(~have).tolist()
        k = len(rest)
        pads = {"parcel": rest, "status": [status] * k, "threshold": [None] * k,
                "unit_code": [None] * k, "geometry": [None] * k, "geometry_role": [""] * k,
                **{name: [math.nan] * k for name in ("overlap_m2", "overlap_ratio", "distance_m", "value")}}
        order = np.argsort(np.asarray(self.parcel + rest, dtype=np.intp), kind="stable").tolist()
        for name, pad in pads.items():
            column = getattr(self, name) + pad
            setattr(self, name, [column[j] for j in order])
        for _ in range(k):
            self.message.append(message)
        self.message = self.message.take(order)

    def emit(self, ctx: _Context, rule: Rule, layer: CheckLayer | None = None, **kw) -> None:
        """Add the rows to the run."""
        geometry = np.empty(len(self.geometry), dtype=object)
        geometry[:] = self.geometry
        _emit(ctx, rule, self.parcel, self.status, self.message, layer, overlap_m2=self.overlap_m2,
              overlap_ratio=self.overlap_ratio, distance_m=self.distance_m, value=self.value,
              threshold=self.threshold, unit_code=self.unit_code, geometry=geometry,
              geometry_role=self.geometry_role, **kw)


# --- rule kinds ------------------------------------------------------------------------------
def _overlap_forbidden(ctx: _Context, rule: Rule, layer: CheckLayer) -> None:
    areas, geoms, groups = ctx.union_overlap(layer)
    ov = ctx.overlaps(layer)
    tol, title, n = rule.sliver_tolerance_m2, layer.spec.title, len(ctx.geoms)
    ratios = _shares(areas, ctx.areas)
    status, message = ["pass"] * n, Messages(n, f"与{title}无重叠")
    hits = np.flatnonzero(areas > tol)
    centres = shapely.centroid(geoms[hits])
    overlap = template("与{title}重叠 {}，占地块面积 {}；涉及：{}；重叠部分中心位于 X={}，Y={}（EPSG:4549）",
                       title=title)
    for i, x, y in zip(hits.tolist(), shapely.get_x(centres).tolist(), shapely.get_y(centres).tolist()):
        names = _names(layer, ov.li[groups[i]], rule.get("name_field"))
        status[i] = rule.severity
        message.put(i, overlap, format_area(float(areas[i])), _pct(float(ratios[i])), names, f"{x:.1f}", f"{y:.1f}")
    sliver = template("与{title}仅有 {} m² 的细碎重叠，不超过容差 {tol} m²，视为不重叠（多为边界数字化误差）",
                      title=title, tol=f"{tol:g}")
    for i in np.flatnonzero((areas > 0) & (areas <= tol)).tolist():
        message.put(i, sliver, f"{float(areas[i]):.2f}")
    _emit(ctx, rule, _every(ctx), status, message, layer, overlap_m2=areas, overlap_ratio=ratios,
          geometry=np.where(areas > 0, geoms, None), geometry_role="重叠部分")


def _inside(ctx: _Context, rule: Rule, layer: CheckLayer, industrial_aware: bool) -> None:
    areas, geoms, groups = ctx.union_overlap(layer)
    ov = ctx.overlaps(layer)
    tol, title, n = rule.sliver_tolerance_m2, layer.spec.title, len(ctx.geoms)
    outside = np.maximum(ctx.areas - areas, 0.0)
    status, message = ["pass"] * n, Messages(n, "")
    labels = {"fail": "不符合", "warn": "警示", "info": "信息"}
    within = {(named, sliver): template("位于{title}内" + ("（{}）" if named else "")
                                        + ("；边界外仅 {} m²，不超过容差 {tol} m²" if sliver else ""),
                                        title=title, tol=f"{tol:g}")
              for named in (False, True) for sliver in (False, True)}
    beyond: dict[tuple, str] = {}  # (part, note, named) → template
    for i in range(n):
        where = _names(layer, ov.li[groups[i]], rule.get("name_field")) if len(groups[i]) else ""
        named = [where] if where else []
        out = float(outside[i])
        if out <= tol:
            message.put(i, within[bool(where), out > 0], *named, *([f"{out:.2f}"] if out > 0 else []))
            continue
        status[i] = rule.severity
        note = ""
        if industrial_aware and "severity_industrial" in rule.params:
            use = ctx.industrial[i]
            if use:
                status[i], note = rule.params["severity_industrial"], "（工业用途）"
            elif use is None:
                note = (f"（未填写用地性质，按非工业用途判定；若为工业用途则为"
                        f"“{labels[rule.params['severity_industrial']]}”）")
        part = "完全位于" if areas[i] <= 0 else "部分位于"
        if (part, note, bool(where)) not in beyond:
            beyond[part, note, bool(where)] = template(
                "{part}{title}外：边界外 {}，占地块面积 {}{note}" + ("；边界内部分属于：{}" if where else ""),
                part=part, title=title, note=note)
        message.put(i, beyond[part, note, bool(where)], format_area(out), _pct(out / ctx.areas[i]), *named)
    # The part outside, for the map: the parcel less the inside (pieces sharing an edge unioned).
    geometry = np.full(n, None, dtype=object)
    failed = np.flatnonzero(outside > tol)
    whole = failed[shapely.is_missing(geoms[failed])]
    geometry[whole] = ctx.geoms[whole]
    cut = failed[~shapely.is_missing(geoms[failed])]
    inside = geoms[cut].copy()
    for j in np.flatnonzero(~shapely.is_valid(inside)).tolist():
        inside[j] = shapely.union_all(shapely.get_parts(inside[j]))
    geometry[cut] = shapely.difference(ctx.geoms[cut], inside)
    _emit(ctx, rule, _every(ctx), status, message, layer, overlap_m2=areas, overlap_ratio=_shares(areas, ctx.areas),
          geometry=geometry, geometry_role="边界外部分")


def _admission_entry(rule: Rule, key) -> dict | None:
    return next((e for e in rule.params["admission"] if str(e["key"]) == str(key)), None)


def _admission_verdict(entry: dict, category, code) -> tuple[str, str]:
    """(status, reason) of one 准入清单 entry for the parcel's 工业项目类别 and 行业代码."""
    code = "" if _empty(code) else str(code).strip().upper()
    if code and any(code.startswith(str(p).upper()) for p in entry.get("forbid_industries", ())):
        return "fail", f"行业代码 {code} 属于禁止类行业"
    if not _empty(category) and category in entry.get("forbid_categories", ()):
        return "fail", f"{category}工业项目属于禁止类"
    if code and any(code.startswith(str(p).upper()) for p in entry.get("restrict_industries", ())):
        return "warn", f"行业代码 {code} 属于限制类行业"
    if not _empty(category) and category in entry.get("restrict_categories", ()):
        return "warn", f"{category}工业项目属于限制类（须满足附加条件）"
    return "pass", "准入清单未禁止或限制"


def _control_units(ctx: _Context, rule: Rule, layer: CheckLayer) -> None:
    ov = ctx.overlaps(layer)
    groups = ov.by_parcel(len(ctx.geoms))
    tol = rule.sliver_tolerance_m2
    p = rule.params
    units: dict[int, tuple] = {}  # li → (code, name, message head, 准入清单 entry, key)
    verdicts: dict[tuple, tuple[str, str]] = {}  # (key, category, code, industrial) → (status, text)
    out = _Rows()
    sliver_sentences = [template("与 {} 个{title}的细碎重叠共 {} m²（每处不超过容差 {tol} m²，多为边界数字化误差），"
                                 "不作判定；面积核算：各单元内 {} m² + 细碎重叠 {} m²" + outside + " = 地块面积 {} m²",
                                 title=layer.spec.title, tol=f"{tol:g}")
                        for outside in ("", " + 未落入任何单元 {} m²")]  # without, with an area outside every unit
    piece_areas, features = ov.areas.tolist(), ov.li.tolist()
    for i in range(len(ctx.geoms)):
        attrs = ctx.parcels.attrs[i]
        category, code = attrs.get(CATEGORY_FIELD), attrs.get(INDUSTRY_CODE_FIELD)
        mine = groups[i].tolist()
        rows = [k for k in mine if piece_areas[k] > tol]
        slivers = [k for k in mine if piece_areas[k] <= tol]
        if slivers:  # not judged, but counted: unit pieces + slivers add up to the parcel
            a, judged = float(ov.areas[slivers].sum()), float(ov.areas[rows].sum())
            rest = float(ctx.areas[i]) - a - judged
            outside = [f"{rest:,.2f}"] if abs(rest) >= 0.005 else []
            out.add(
                i, "info", sliver_sentences[bool(outside)], str(len(slivers)), f"{a:.2f}", f"{judged:,.2f}", f"{a:.2f}",
                *outside, f"{float(ctx.areas[i]):,.2f}", overlap_m2=a,
                overlap_ratio=a / float(ctx.areas[i]),
                unit_code="、".join(str(layer.value(p.get("code_field", "unit_code"), int(ov.li[k])))
                                    for k in slivers))
        if not rows:
            out.add(i, "not_assessed", f"地块未落入任何{layer.spec.title}（数据可能不完整），准入清单未评估")
            continue
        for k in sorted(rows, key=lambda k: -piece_areas[k]):
            li = features[k]
            if li not in units:
                unit_code = layer.value(p.get("code_field", "unit_code"), li)
                unit_name = layer.value(p.get("name_field", "name"), li) or f"要素 {layer.fids[li]}"
                klass = layer.value(p["class_field"], li) or "类别未知"
                subtype = layer.value(p.get("subtype_field", ""), li)
                key = layer.value(p["key_field"], li)
                head = f"{unit_name}（{unit_code or '无编码'}，{klass}{'·' + subtype if subtype else ''}）"
                units[li] = (unit_code, unit_name, head, _admission_entry(rule, key) if key is not None else None, key)
            unit_code, unit_name, head, entry, key = units[li]
            vkey = (key, category, code, ctx.industrial[i])
            if vkey not in verdicts:
                if entry is None:
                    verdicts[vkey] = ("not_assessed", f"单元准入清单编号“{key}”在规则集中没有条目，准入结论未评估")
                elif _empty(category) and _empty(code):
                    verdicts[vkey] = ("not_assessed", "地块未填写工业项目类别和行业代码，准入结论未评估")
                else:
                    status, reason = _admission_verdict(entry, category, code)
                    if status == "pass" and _empty(category) and ctx.industrial[i] is not False:
                        status, reason = "not_assessed", "未填写工业项目类别，类别准入未评估"
                    text = f"准入清单（{entry.get('label', key)}）：{reason}。{entry.get('message', '')}"
                    verdicts[vkey] = (status, text)
            status, tail = verdicts[vkey]
            a = piece_areas[k]
            ratio = a / float(ctx.areas[i])
            out.add(i, status, "{}内 {}，占地块 {}；{}", head, format_area(a), _pct(ratio), tail, overlap_m2=a,
                    overlap_ratio=ratio, unit_code=unit_code, geometry=ov.geoms[k],
                    geometry_role=f"位于{unit_name}的部分")
    out.emit(ctx, rule, layer)


def _parcel_value(ctx: _Context, i: int, name: str) -> float | None:
    if name in SPECIAL_VALUES:
        return SPECIAL_VALUES[name](float(ctx.areas[i]))
    return _numbers(ctx, name)[i]


def _column_values(ctx: _Context, name: str) -> list[float | None]:
    """``_parcel_value`` of every parcel."""
    if name in SPECIAL_VALUES:
        return [SPECIAL_VALUES[name](a) for a in ctx.areas.tolist()]
    return _numbers(ctx, name)


def _numbers(ctx: _Context, name: str) -> list[float | None]:
    """A parcel attribute as numbers (None where empty or not a number), parsed once per check."""
    key = ("numbers", name)
    if key not in ctx.cache:
        ctx.cache[key] = [_number(attrs.get(name)) for attrs in ctx.parcels.attrs]
    return ctx.cache[key]


def _item_data(item: dict) -> str:
    """What unit data an item needs, for a short message when the unit has none."""
    return f"{item.get('label', '')}{'现状' if 'target_field' in item else ''}"


def _capacity_unit_side(layer: CheckLayer, li: int, item: dict) -> tuple[tuple | None, tuple]:
    """(verdict, unit values) for one item: the verdict is set, independent of the parcel, when
    the unit's data is missing.
    """
    label = item.get("label", "")
    if "target_field" in item:
        target = layer.value(item["target_field"], li)
        status = layer.value(item.get("status_field", ""), li)
        if target is None:
            return ("not_assessed", f"{label}：单元无质量目标数据，未评估"), ()
        if status is None:
            return ("not_assessed", f"{label}：目标 {target}，单元现状达标情况无数据，未评估"), ()
        return None, (target, status)
    headroom = _number(layer.value(item["headroom_field"], li))
    if headroom is None:
        return ("not_assessed", f"{label}：单元余量无数据，未评估"), ()
    return None, (headroom,)


def _capacity_item(ctx: _Context, i: int, item: dict, unit_values: tuple) -> tuple[str, str]:
    label = item.get("label", "")
    if "target_field" in item:
        target, status = unit_values
        emissions = [_parcel_value(ctx, i, f) for f in item.get("parcel_fields", ())]
        if any(e is None for e in emissions):
            return "not_assessed", f"{label}：目标 {target}，现状 {status}；地块排放量未填写，未评估"
        if status in item.get("bad_status", ()) and sum(emissions) > 0:
            return "warn", f"{label}：目标 {target}，现状 {status}，新增排放须区域削减替代"
        return "pass", f"{label}：目标 {target}，现状 {status}"
    (headroom,) = unit_values
    demand = _parcel_value(ctx, i, item["parcel_field"])
    unit = item.get("unit", "")
    if demand is None:
        return "not_assessed", f"{label}：地块“{_field_label(item['parcel_field'])}”未填写，未评估"
    demand *= float(item.get("factor", 1.0))
    if demand > headroom:
        return "warn", f"{label}：需 {demand:.4g} {unit}，单元余量 {headroom:.4g} {unit}，余量不足"
    return "pass", f"{label}：需 {demand:.4g} {unit}，单元余量 {headroom:.4g} {unit}"


def _item_columns(item: dict) -> list[str]:
    return [item["target_field"], item.get("status_field", "")] if "target_field" in item else [item["headroom_field"]]


def _unit_capacity(ctx: _Context, rule: Rule, layer: CheckLayer) -> None:
    """环境质量底线 / 资源利用上线 per unit. Units without any of the data the items need are named
    together in one 未评估 finding per parcel; units with data get one finding each.
    """
    ov = ctx.overlaps(layer)
    groups = ov.by_parcel(len(ctx.geoms))
    order = {"pass": 0, "not_assessed": 1, "warn": 2}
    items = rule.params["items"]
    empty_columns = {c for item in items for c in _item_columns(item) if not layer.has_values(c)}
    no_data = all(set(_item_columns(item)) & empty_columns for item in items)  # true for every unit
    missing = template("{}：单元缺少{data}数据，{title}未评估", data="、".join(_item_data(item) for item in items),
                       title=rule.title)
    units: dict[int, tuple] = {}  # li → (name, code, unit side per item or None when it has no data)
    out = _Rows()
    piece_areas, features = ov.areas.tolist(), ov.li.tolist()
    for i in range(len(ctx.geoms)):
        rows = [k for k in groups[i].tolist() if piece_areas[k] > rule.sliver_tolerance_m2]
        if not rows:
            out.add(i, "not_assessed", f"地块未落入任何{layer.spec.title}，{rule.title}未评估")
            continue
        without: list[int] = []
        for k in sorted(rows, key=lambda k: -piece_areas[k]):
            li = features[k]
            if li not in units:
                name = layer.value(rule.get("name_field", "name"), li) or f"要素 {layer.fids[li]}"
                sides = None if no_data else [_capacity_unit_side(layer, li, item) for item in items]
                if sides is not None and all(verdict is not None for verdict, _ in sides):
                    sides = None
                units[li] = (name, layer.value("unit_code", li), sides)
            unit_name, unit_code, sides = units[li]
            if sides is None:
                without.append(k)
                continue
            verdicts = [verdict or _capacity_item(ctx, i, item, values)
                        for item, (verdict, values) in zip(items, sides)]
            worst = max((s for s, _ in verdicts), key=order.get)
            status = rule.severity if worst == "warn" else worst
            out.add(i, status, "{}：{}", unit_name, "；".join(m for _, m in verdicts), overlap_m2=float(ov.areas[k]),
                    overlap_ratio=float(ov.areas[k] / ctx.areas[i]), unit_code=unit_code)
        if without:
            names = "、".join(units[int(ov.li[k])][0] for k in without)
            a = float(ov.areas[without].sum())
            out.add(i, "not_assessed", missing, names, overlap_m2=a,
                    overlap_ratio=a / float(ctx.areas[i]),
                    unit_code="、".join(str(units[int(ov.li[k])][1]) for k in without))
    out.emit(ctx, rule, layer)


def _proximity(ctx: _Context, rule: Rule, layer: CheckLayer) -> None:
    buffer_m = float(rule.params["buffer_m"])
    areas, geoms, groups = ctx.union_overlap(layer)
    ov = ctx.overlaps(layer)
    pi, li = layer.tree.query(ctx.geoms, predicate="dwithin", distance=buffer_m)
    layer.ensure_valid(li)
    dist = shapely.distance(ctx.geoms[pi], layer.geoms[li])
    # Each parcel's nearest feature within the distance (the first pair on a tie).
    order = np.lexsort((dist, pi))
    first = order[np.r_[True, pi[order][1:] != pi[order][:-1]]] if len(order) else order
    near_d, near_li = np.full(len(ctx.geoms), np.nan), np.zeros(len(ctx.geoms), dtype=np.intp)
    near_d[pi[first]], near_li[pi[first]] = dist[first], li[first]
    lines = np.full(len(ctx.geoms), None, dtype=object)
    close = np.flatnonzero(~np.isnan(near_d) & ~(areas > rule.sliver_tolerance_m2))
    lines[close] = shapely.shortest_line(ctx.geoms[close], layer.geoms[near_li[close]])
    n = len(ctx.geoms)
    title, limit = layer.spec.title, format_length(buffer_m)
    status, message, role = ["pass"] * n, Messages(n, f"{limit} 范围内无{title}"), [""] * n
    inside = np.flatnonzero(areas > rule.sliver_tolerance_m2)
    within = template("位于{title}内：重叠 {}，占地块 {}；涉及：{}", title=title)
    for i in inside.tolist():
        names = _names(layer, ov.li[groups[i]], rule.get("name_field"))
        status[i], role[i] = rule.get("inside_severity", rule.severity), "重叠部分"
        message.put(i, within, format_area(areas[i]), _pct(areas[i] / ctx.areas[i]), names)
    near = template("距{} {}，在 {limit} 控制距离内", limit=limit)
    for i in close.tolist():
        name = _names(layer, [int(near_li[i])], rule.get("name_field"))
        status[i], role[i] = rule.severity, "最近距离"
        message.put(i, near, name, format_length(float(near_d[i])))
    shares = _shares(areas, ctx.areas)
    lines[inside] = geoms[inside]
    distance = near_d.copy()
    distance[inside] = 0.0
    _emit(ctx, rule, _every(ctx), status, message, layer, overlap_m2=np.where(areas > rule.sliver_tolerance_m2,
          areas, np.nan), overlap_ratio=np.where(areas > rule.sliver_tolerance_m2, shares, np.nan),
          distance_m=distance, geometry=lines, geometry_role=role)


def _indicator(ctx: _Context, rule: Rule) -> None:
    p = rule.params
    unit = p.get("unit", "")
    example = "（示例阈值）" if rule.example else ""
    thresholds: dict[tuple, tuple[str, str, str]] = {}  # (min, max) → threshold, templates if met / not met
    columns = [_numbers(ctx, name) for name in p["numerator"]]
    n = len(ctx.geoms)
    status, message, found, limits = ["not_assessed"] * n, Messages(n, ""), np.full(n, np.nan), [None] * n
    missing: dict[tuple, str] = {}  # which numerator fields are empty → the message
    # Each parcel's (min, max): the rule's, or those of the first override its attributes match.
    limits_of = [(p.get("min"), p.get("max"))] * n
    for o in reversed(p.get("overrides", ())):
        lo, hi = o.get("min", p.get("min")), o.get("max", p.get("max"))
        value = str(o["value"])
        for i, attrs in enumerate(ctx.parcels.attrs):
            if str(attrs.get(o["field"])) == value:
                limits_of[i] = (lo, hi)
    denominators = _column_values(ctx, p["denominator"]) if "denominator" in p else None
    for i, values in enumerate(zip(*columns)):
        if None in values:
            key = tuple(v is None for v in values)
            if key not in missing:
                names = "、".join(_field_label(f) for f, empty in zip(p["numerator"], key) if empty)
                missing[key] = f"地块未填写“{names}”，{rule.title}未评估"
            message.put(i, missing[key])
            continue
        value = sum(values)
        if denominators is not None:
            value /= denominators[i]
        lo, hi = limits_of[i]
        if (lo, hi) not in thresholds:
            bounds = [b for b in (f"≥ {lo:g}{unit}" if lo is not None else "",
                                  f"≤ {hi:g}{unit}" if hi is not None else "") if b]
            text = "，".join(bounds) + example
            thresholds[lo, hi] = (text, *(template("{title} {}{unit}，{verdict}控制值 {threshold}", title=rule.title,
                                                   unit=unit, verdict=verdict, threshold=text)
                                          for verdict in ("满足", "不满足")))
        threshold, met, unmet = thresholds[lo, hi]
        ok = (lo is None or value >= lo) and (hi is None or value <= hi)
        status[i] = "pass" if ok else rule.severity
        message.put(i, met if ok else unmet, f"{value:,.2f}")
        found[i], limits[i] = value, threshold
    _emit(ctx, rule, _every(ctx), status, message, value=found, threshold=limits)


def _qualifying(layer: CheckLayer, rule: Rule) -> np.ndarray:
    """Features that can satisfy an infrastructure rule: 现状 (by the rule's state field and
    ``existing_states``) in a layer that is not 示意. A feature with no state is not 现状.
    """
    if layer.spec.schematic:
        return np.zeros(len(layer), dtype=bool)
    column = rule.params.get("state_fields", {}).get(layer.id, rule.params.get("state_field", "status"))
    existing = {str(s) for s in rule.params.get("existing_states", ("现状",))}
    key = ("qualifying", column, frozenset(existing))
    if key not in layer.memo:  # the window re-checks against the same layers on every edit
        layer.memo[key] = np.array([str(layer.value(column, i)).strip() in existing
                                    if layer.value(column, i) is not None else False
                                    for i in range(len(layer))], dtype=bool)
    return layer.memo[key]


def _nearest_among(ctx: _Context, layers: list[CheckLayer], masks: list[np.ndarray]):
    """Per parcel: (distance, layer index, feature index) of the nearest feature where ``masks``
    is True; distance is inf where no such feature exists.
    """
    n = len(ctx.geoms)
    best, best_layer, best_li = np.full(n, np.inf), np.zeros(n, dtype=int), np.zeros(n, dtype=int)
    for k, (layer, mask) in enumerate(zip(layers, masks)):
        idx = np.flatnonzero(mask)
        if not len(idx):
            continue
        tree = layer.tree if len(idx) == len(layer) else layer.subset_tree(idx)
        (pi, j), dist = tree.query_nearest(ctx.geoms, return_distance=True, all_matches=False)
        closer = dist < best[pi]
        best[pi[closer]], best_layer[pi[closer]], best_li[pi[closer]] = dist[closer], k, idx[j[closer]]
    return best, best_layer, best_li


def _facility_label(rule: Rule, layer: CheckLayer, li: int) -> str:
    """‘道路“S215”（现状）’, with 示意 when the layer is schematic."""
    column = rule.params.get("state_fields", {}).get(layer.id, rule.params.get("state_field", "status"))
    state = layer.value(column, li) or "状态不详"
    tags = "，".join([str(state), *(["示意"] if layer.spec.schematic else [])])
    return f"{layer.spec.title}“{_names(layer, [li], 'name')}”（{tags}）"


def _nearest(ctx: _Context, rule: Rule) -> None:
    """通路/通电/通水: only a 现状 feature of authoritative data passes. A 规划 or 示意 feature
    within the control distance gives at best 警示 (待核实). ``distance_m`` is to the nearest
    qualifying feature (None when the layers hold none), and that line is the finding's geometry.
    """
    layers = [layer for lid in rule.params["layers"] if (layer := ctx.layer(lid)) is not None and len(layer)]
    max_m = float(rule.params["max_m"])
    if not layers:
        _emit(ctx, rule, _every(ctx), "not_assessed", f"未加载{'、'.join(rule.params['layers'])}图层，{rule.title}未评估")
        return
    ok_masks = [_qualifying(layer, rule) for layer in layers]
    real = _nearest_among(ctx, layers, ok_masks)
    other = _nearest_among(ctx, layers, [~m for m in ok_masks])
    threshold = f"≤ {max_m:g} m"
    limit = f"控制距离 {format_length(max_m)}{'（示例阈值）' if rule.example else ''}"
    labels: dict[tuple[int, int], str] = {}  # many parcels share their nearest facility

    def label(k: int, li: int) -> str:
        if (k, li) not in labels:
            labels[k, li] = _facility_label(rule, layers[k], li)
        return labels[k, li]

    # The line to the feature each finding shows, one vectorised call per layer.
    has_real_all = np.isfinite(real[0])
    target_k = np.where(has_real_all, real[1], other[1])
    target_li = np.where(has_real_all, real[2], other[2])
    lines = np.full(len(ctx.geoms), None, dtype=object)
    for k, layer in enumerate(layers):
        mine = np.flatnonzero((has_real_all | np.isfinite(other[0])) & (target_k == k))
        lines[mine] = shapely.shortest_line(ctx.geoms[mine], layer.geoms[target_li[mine]])
    n = len(ctx.geoms)
    status, message, role, cited = [rule.severity] * n, Messages(n, ""), [""] * n, [0] * n  # cited: layer index
    passed = template("距最近的现状设施{} {}，在{limit}内", limit=limit)
    real_part = ("最近的现状设施为{}，距 {}", "核查图层中没有现状且非示意的设施")  # with, without a 现状 facility
    planned_only = [template("{limit}内只有规划/示意设施：{}，距 {}——规划/示意设施，待核实；" + part, limit=limit)
                    for part in real_part]
    none_within = [[template("{limit}内没有现状设施，" + part + tail, limit=limit)
                    for tail in ("", "；最近的规划/示意设施为{}，距 {}")] for part in real_part]
    reals, others = [x.tolist() for x in real], [x.tolist() for x in other]
    for i in range(n):
        d, k, li = reals[0][i], reals[1][i], reals[2][i]
        d2, k2, li2 = others[0][i], others[1][i], others[2][i]
        has_real = math.isfinite(d)
        real_args = (label(k, li), format_length(d)) if has_real else ()
        if has_real and d <= max_m:
            status[i] = "pass"
            message.put(i, passed, *real_args)
        elif math.isfinite(d2) and d2 <= max_m:
            status[i] = "warn"
            message.put(i, planned_only[not has_real], label(k2, li2), format_length(d2), *real_args)
        else:
            other_args = (label(k2, li2), format_length(d2)) if math.isfinite(d2) else ()
            message.put(i, none_within[not has_real][bool(other_args)], *real_args, *other_args)
        if has_real:
            role[i], cited[i] = "至最近现状设施", k
        elif math.isfinite(d2):
            role[i], cited[i] = "至最近规划/示意设施（待核实）", k2
    ids, schematic = [layer.id for layer in layers], [layer.spec.schematic for layer in layers]
    _emit(ctx, rule, _every(ctx), status, message, layer_id=[ids[k] for k in cited],
          indicative=[schematic[k] for k in cited], distance_m=np.where(has_real_all, real[0], np.nan),
          threshold=threshold, geometry=lines, geometry_role=role)


def _slope(ctx: _Context, rule: Rule) -> None:
    if ctx.dem is None:
        _emit(ctx, rule, _every(ctx), "not_assessed", "未加载数字高程模型（DEM），土地平整未评估")
        return
    from .slope import parcel_slopes

    stats = parcel_slopes(ctx.dem, ctx.geoms)
    max_mean, max_max = rule.get("max_mean_deg"), rule.get("max_max_deg")
    out = _Rows()
    sentences = {}  # ok → template
    for i, (mean, top) in enumerate(stats):
        if mean is None:
            out.add(i, "not_assessed", "地块不在 DEM 范围内，土地平整未评估")
            continue
        ok = (max_mean is None or mean <= max_mean) and (max_max is None or top <= max_max)
        if ok not in sentences:
            sentences[ok] = template(
                "平均坡度 {}°，最大坡度 {}°，{verdict}控制值（平均 ≤ {mean}°，最大 ≤ {top}°{example}）",
                verdict="满足" if ok else "超出", mean=f"{max_mean:g}", top=f"{max_max:g}",
                example="，示例阈值" if rule.example else "")
        out.add(i, "pass" if ok else rule.severity, sentences[ok], f"{mean:.1f}", f"{top:.1f}", value=mean,
                threshold=f"平均 ≤ {max_mean:g}°，最大 ≤ {max_max:g}°")
    out.emit(ctx, rule)


def _parcel_overlap(ctx: _Context, rule: Rule) -> None:
    """Candidate parcels that overlap each other (this run, plus ``ctx.others`` of the project)."""
    others = ctx.others
    pool, ids, names = ctx.geoms, list(ctx.parcels.ids), list(ctx.parcels.names)
    if others is not None and len(others):
        pool = np.concatenate([pool, shapely.make_valid(np.asarray(others.geoms, dtype=object))])
        ids, names = ids + list(others.ids), names + list(others.names)
    a, b = shapely.STRtree(pool).query(ctx.geoms, predicate="intersects")
    keep = a != b  # not the parcel itself
    a, b = a[keep], b[keep]
    inner = shapely.relate_pattern(ctx.geoms[a], pool[b], "T********")  # interiors meet: not touching
    a, b = a[inner], b[inner]
    inter = shapely.intersection(ctx.geoms[a], pool[b])
    areas = shapely.area(inter)
    tol = rule.sliver_tolerance_m2
    hits: list[list[int]] = [[] for _ in range(len(ctx.geoms))]
    # each parcel's overlaps in the order of the other parcels' ids, whichever chunk holds them
    other_ids = [str(ids[j]) for j in b.tolist()]
    for k in sorted(np.flatnonzero(areas > tol).tolist(), key=other_ids.__getitem__):
        hits[int(a[k])].append(k)
    out = _Rows()
    for i in [i for i, h in enumerate(hits) if h]:
        parts = [f"{ids[b[k]]}{'（' + names[b[k]] + '）' if names[b[k]] else ''} {format_area(float(areas[k]))}"
                 for k in hits[i]]
        if len(hits[i]) == 1:
            total, area = inter[hits[i][0]], float(areas[hits[i][0]])
        else:  # other parcels may overlap each other too: their union, counted once
            total = shapely.union_all(inter[hits[i]])
            area = float(shapely.area(total))
        out.add(i, rule.severity, "与候选地块重叠：{}；合计 {}，占本地块 {}，重叠部分的面积与指标被重复计算",
                "；".join(parts), format_area(area), _pct(area / ctx.areas[i]), overlap_m2=area,
                overlap_ratio=area / float(ctx.areas[i]), geometry=total, geometry_role="与其他候选地块重叠部分")
    out.fill(len(ctx.geoms), "pass", "与其他候选地块无重叠")
    out.emit(ctx, rule)


def _single_rows(store: FindingStore, rule_id: str) -> tuple[np.ndarray, np.ndarray]:
    """Per parcel (block, row) of its one finding of ``rule_id``; block -1 where it has none or several."""
    count = np.zeros(store.n, dtype=np.intp)
    block, row = np.full(store.n, -1, dtype=np.intp), np.zeros(store.n, dtype=np.intp)
    for b, columns in enumerate(store.blocks):
        if columns.rule != rule_id:
            continue
        rows = np.flatnonzero(store.alive[b])
        count += np.bincount(columns.parcel[rows], minlength=store.n)
        block[columns.parcel[rows]], row[columns.parcel[rows]] = b, rows
    block[count != 1] = -1
    return block, row


def _merge_same_conditions(ctx: _Context) -> None:
    """One fact, one verdict: a rule declaring ``same_condition`` and the rule it names give one
    finding per parcel — the stricter one (the named rule on a tie), citing the other's basis.
    """
    store = ctx.store
    judged: dict[tuple, AlsoJudged] = {}  # (block, status) → the entry (frozen: shared by the parcels)
    for dup_id, main_id in [(r.id, r.same_condition) for r in ctx.ruleset.rules if r.same_condition]:
        main, dup = _single_rows(store, main_id), _single_rows(store, dup_id)
        both = np.flatnonzero((main[0] >= 0) & (dup[0] >= 0))
        for mb, mk, db, dk in zip(main[0][both].tolist(), main[1][both].tolist(), dup[0][both].tolist(),
                                  dup[1][both].tolist()):
            (keep, drop) = ((db, dk), (mb, mk)) if stricter(store.blocks[db].status[dk], store.blocks[mb].status[mk]) \
                else ((mb, mk), (db, dk))
            gone, status = store.blocks[drop[0]], store.blocks[drop[0]].status[drop[1]]
            if (drop[0], status) not in judged:
                judged[drop[0], status] = AlsoJudged(gone.rule, gone.ruleset, status, gone.basis)
            store.also[keep] = (*store.also.get(keep, ()), judged[drop[0], status])
            store.drop(drop[0], drop[1])


_LAYER_KINDS = {
    "overlap_forbidden": _overlap_forbidden,
    "inside_required": lambda ctx, rule, layer: _inside(ctx, rule, layer, True),
    "inside_any": lambda ctx, rule, layer: _inside(ctx, rule, layer, False),
    "control_units": _control_units,
    "unit_capacity": _unit_capacity,
    "proximity": _proximity,
}
_PLAIN_KINDS = {"indicator": _indicator, "nearest": _nearest, "slope": _slope, "parcel_overlap": _parcel_overlap}


# --- context -----------------------------------------------------------------------------------
def _overlapping_names(ctx: _Context, layer_id: str, column: str) -> list[list[str]]:
    layer = ctx.layer(layer_id)
    if layer is None or not len(layer):
        return [[] for _ in ctx.results]
    ov = ctx.overlaps(layer)
    label = {li: _names(layer, [li], column) for li in dict.fromkeys(ov.li.tolist())}  # each feature once
    return [list(dict.fromkeys(label[li] for li in ov.li[rows].tolist())) for rows in ov.by_parcel(len(ctx.geoms))]


def project_layer_ids(layers: dict[str, CheckLayer], ruleset: RuleSet) -> list[str]:
    """Layers holding plan projects: catalog 专栏 in the context's ``project_zhuanlan``."""
    wanted = set(ruleset.context.get("project_zhuanlan", ()))
    zones = set(ruleset.context.get("zone_layers", ()))
    return [lid for lid, layer in layers.items()
            if lid not in zones and wanted & set(layer.spec.zhuanlan)]


def _context(ctx: _Context, project_ids: list[str]) -> None:
    c = ctx.ruleset.context
    townships = _overlapping_names(ctx, c.get("township_layer", "townships"), c.get("township_field", "name"))
    zones = [[] for _ in ctx.results]
    for lid in c.get("zone_layers", ()):
        for i, names in enumerate(_overlapping_names(ctx, lid, c.get("zone_field", "name"))):
            zones[i].extend(names)
    distance = float(c.get("project_distance_m", 1000.0))
    projects: list[list[tuple]] = [[] for _ in ctx.results]  # (distance, layer, project name)
    for lid in project_ids:
        layer = ctx.layer(lid)
        if layer is None or not len(layer):
            continue
        pi, li = layer.tree.query(ctx.geoms, predicate="dwithin", distance=distance)
        layer.ensure_valid(li)
        dist = shapely.distance(ctx.geoms[pi], layer.geoms[li])
        label = {k: _names(layer, [k], "name") for k in dict.fromkeys(li.tolist())}
        for p_, l_, d in zip(pi.tolist(), li.tolist(), dist.tolist()):
            projects[p_].append((d, layer, label[l_]))
    for r, t, z, p in zip(ctx.results, townships, zones, projects):
        r.townships, r.zones = t, z
        nearest: dict = {}  # one entry per project (a project may have several features)
        for d, layer, name in sorted(p, key=_first):
            if (layer.id, name) not in nearest:
                nearest[layer.id, name] = {"layer": layer.id, "layer_title": layer.spec.title, "name": name,
                                           "distance_m": d, "indicative": layer.spec.schematic}
        r.projects = list(nearest.values())


def _is_industrial(attrs: dict, land_uses: frozenset[str]) -> bool | None:
    """True/False from 用地性质 or 工业项目类别; None when neither is given."""
    category, use = attrs.get(CATEGORY_FIELD), attrs.get(LAND_USE_FIELD)
    if not _empty(category):
        return True
    if _empty(use):
        return None
    return str(use).strip() in land_uses


def run_check(parcels: ParcelSet, layers: dict[str, CheckLayer], ruleset: RuleSet, *, dem=None,
              project_layers: list[str] | None = None, progress=None,
              others: ParcelSet | None = None) -> CheckResult:
    """Check every parcel against every rule; layers are keyed by catalog id (EPSG:4549).

    ``dem`` is an optional elevation raster (see ``check.slope``); without it 土地平整 is 未评估.
    ``project_layers`` defaults to the layers whose 专栏 the rule set's context names.
    ``progress(rule_id)`` is called after each rule (all parcels at once, vectorised).
    ``others`` are the project's other candidate parcels (not among ``parcels``): compared for
    overlaps (``parcel_overlap``) but not checked.
    """
    geoms = parcels.geoms.copy()
    store = FindingStore(len(geoms))
    results = [ParcelResult(id=pid, name=name, area_m2=0.0, store=store, index=i)
               for i, (pid, name) in enumerate(zip(parcels.ids, parcels.names))]
    invalid = np.flatnonzero(~shapely.is_valid(geoms))
    if len(invalid):
        geoms[invalid] = shapely.make_valid(geoms[invalid])
        for i in invalid:
            results[i].repairs.append("地块几何无效（如自相交），已用 make_valid 修复后核查")
    stray = np.flatnonzero(~np.isin(shapely.get_type_id(geoms), (3, 6)))  # make_valid may leave lines
    for i in stray:
        parts = shapely.get_parts(geoms[i])
        geoms[i] = shapely.union_all(parts[np.isin(shapely.get_type_id(parts), (3, 6))])
    shapely.prepare(geoms)
    areas = shapely.area(geoms)
    for r, g, a in zip(results, geoms, areas):
        r.area_m2, r.geometry = float(a), g
    industrial = [_is_industrial(a, ruleset.industrial_land_uses) for a in parcels.attrs]
    ctx = _Context(parcels, geoms, areas, layers, ruleset, results, industrial, store, dem, others)
    for rule in ruleset.rules:
        if rule.kind in _LAYER_KINDS:
            layer = ctx.layer(rule.params["layer"])
            if layer is None:
                _missing_layer(ctx, rule, rule.params["layer"])
            else:
                _LAYER_KINDS[rule.kind](ctx, rule, layer)
        else:
            _PLAIN_KINDS[rule.kind](ctx, rule)
        if progress:
            progress(rule.id)
    _not_applicable(ctx)
    _merge_same_conditions(ctx)
    _context(ctx, project_layers if project_layers is not None else project_layer_ids(layers, ruleset))
    return CheckResult(rulesets=list(ruleset.infos), layers=[layers[lid].use() for lid in sorted(ctx.used)],
                       parcels=results, generated=beijing_now(),
                       parcel_source=parcels.source, notes=list(parcels.notes))


def _not_applicable(ctx: _Context) -> None:
    """Replace the findings of industrial-only rule sets by one note on non-industrial parcels."""
    store = ctx.store
    other = np.array([use is False for use in ctx.industrial], dtype=bool)
    if not other.any():
        return
    for info in ctx.ruleset.infos:
        if info.applies_to != "industrial":
            continue
        tag = f"{info.id}@{info.version}"
        for b, columns in enumerate(store.blocks):
            if columns.ruleset == tag:
                store.drop(b, np.flatnonzero(other[columns.parcel]))
        store.add(FindingColumns(info.id, info.title, tag, None, False, np.flatnonzero(other), "info",
                                 f"拟用地性质不是工业用地，{info.title}不适用"))
