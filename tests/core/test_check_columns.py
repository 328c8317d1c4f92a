"""The column form of the check's findings (``FindingColumns`` in a ``FindingStore``) against an
independent shapely computation, parcel by parcel, and against the ``Finding`` objects it makes.

Random irregular constraint features (overlapping each other, with holes, two-part, a bowtie)
and random parcels: every overlap area, share, status and outside area the vectorised rules give
is recomputed here one parcel at a time with plain shapely (``make_valid``, ``union_all``,
``intersection``), and the compact JSON written from the columns must expand to exactly what
the ``Finding`` objects give.
"""

import numpy as np
import orjson
import pytest
import shapely
import shapely.affinity
from shapely.geometry import box

from suichang_gis.check import parcel_set, run_check
from suichang_gis.check.data import check_layer
from suichang_gis.report.json_report import CompactWriter, expand
from suichang_gis.rules import load_ruleset

X0, Y0 = 430_000.0, 3_163_000.0  # inside 遂昌, EPSG:4549


def _stars(rng, n, spread=3000.0, r=(30.0, 160.0)):
    """Irregular star polygons around (X0, Y0): every 5th with a hole, every 7th two-part, one bowtie."""
    out = []
    for k in range(n):
        cx, cy = X0 + rng.uniform(0, spread), Y0 + rng.uniform(0, spread)
        radius = rng.uniform(*r)
        angles = np.sort(rng.uniform(0, 2 * np.pi, 12))
        rad = radius * rng.uniform(0.5, 1.0, 12)
        ring = np.column_stack([cx + rad * np.cos(angles), cy + rad * np.sin(angles)])
        if k == 3:  # self-intersecting: the engine repairs it before any overlay
            ring[[1, 6]] = ring[[6, 1]]
        hole = None
        if k % 5 == 1:
            hole = [np.column_stack([cx + radius * 0.2 * np.cos(a), cy + radius * 0.2 * np.sin(a)])
                    for a in [np.linspace(2 * np.pi, 0, 8, endpoint=False)]]
        poly = shapely.Polygon(ring, holes=hole)
        if k % 7 == 2:
            poly = shapely.MultiPolygon([poly, shapely.affinity.translate(poly, 3 * radius, 0)])
        out.append(poly)
    return out


@pytest.fixture(scope="module")
def case():
    rng = np.random.default_rng(7)
    red = _stars(rng, 60)
    farm = _stars(rng, 60)
    boundary = [box(X0 + 200, Y0 + 200, X0 + 1800, Y0 + 2600), box(X0 + 1800, Y0 + 200, X0 + 2900, Y0 + 1200)]
    units = [box(X0 + x, Y0 + y, X0 + x + 1000, Y0 + y + 1000) for x in (0, 1000, 2000) for y in (0, 1000, 2000)]
    x, y = rng.uniform(0, 2900, 80), rng.uniform(0, 2900, 80)
    w, h = rng.uniform(40, 250, 80), rng.uniform(40, 250, 80)
    parcels = [box(X0 + a, Y0 + b, X0 + a + c, Y0 + b + d) for a, b, c, d in zip(x, y, w, h)]
    layers = {
        "ecological_redline": check_layer("ecological_redline", red, "生态保护红线",
                                          name=[f"红线{i}" for i in range(len(red))]),
        "permanent_basic_farmland": check_layer("permanent_basic_farmland", farm, "永久基本农田",
                                                name=[f"农田{i}" for i in range(len(farm))]),
        "urban_development_boundary": check_layer("urban_development_boundary", boundary, "城镇开发边界",
                                                  name=["城东", "城西"]),
        "env_control_units": check_layer(
            "env_control_units", units, "环境管控单元", unit_code=[f"ZH{i}" for i in range(len(units))],
            unit_name=[f"单元{i}" for i in range(len(units))], manage_class=["重点管控"] * len(units),
            subtype=["产业集聚"] * len(units), admission_key=["industrial_cluster"] * len(units)),
    }
    uses = ["工业用地" if k % 3 else "商业用地" for k in range(len(parcels))]
    ps = parcel_set(parcels, land_use=uses, industrial_category=["二类" if u == "工业用地" else None for u in uses],
                    investment_wan=rng.uniform(1000, 20000, len(parcels)).tolist())
    ruleset = load_ruleset()
    return ps, layers, ruleset, {"red": red, "farm": farm, "boundary": boundary, "units": units}


def _union_overlap(parcel, features):
    """Independent: the parcel's overlap with the union of the (repaired) features it meets."""
    fixed = [shapely.make_valid(f) for f in features]
    hit = [f for f in fixed if parcel.intersects(f)]
    if not hit:
        return 0.0
    return shapely.intersection(parcel, shapely.union_all(hit)).area


def test_overlap_and_outside_areas_equal_plain_shapely(case):
    ps, layers, ruleset, raw = case
    result = run_check(ps, layers, ruleset)
    assert result.parcels[0].store is not None  # findings are held as columns
    checked = {"SX-01": raw["red"], "SX-02": raw["farm"]}
    for i, (parcel, r) in enumerate(zip(ps.geoms, result.parcels)):
        assert r.area_m2 == pytest.approx(parcel.area, abs=1e-6)
        by_rule = {}
        for f in r.findings:
            by_rule.setdefault(f.rule, []).append(f)
        for rule, features in checked.items():
            (f,) = by_rule[rule]
            expected = _union_overlap(parcel, features)
            assert f.overlap_m2 == pytest.approx(expected, abs=0.01), (i, rule)
            assert f.overlap_ratio == pytest.approx(expected / parcel.area, abs=1e-9)
            tol = next(x for x in ruleset.rules if x.id == rule).sliver_tolerance_m2
            if abs(expected - tol) > 0.01:
                assert (f.status == "pass") == (expected < tol), (i, rule)
            if expected > 0:
                assert f.geometry.area == pytest.approx(expected, abs=0.01)
            else:
                assert f.geometry is None
        boundary = [f for f in r.findings if f.rule == "SX-03"]
        if boundary:  # SX-03 or the 标准地 rule it was merged with
            (f,) = boundary
            inside = _union_overlap(parcel, raw["boundary"])
            assert f.overlap_m2 == pytest.approx(inside, abs=0.01)
            if f.status != "pass":
                assert f.geometry.area == pytest.approx(parcel.area - inside, abs=0.01)
        units = sorted((f for f in by_rule.get("SX-04", []) if f.unit_code and f.status != "info"),
                       key=lambda f: f.unit_code)
        expected_units = sorted((f"ZH{k}", parcel.intersection(u).area) for k, u in enumerate(raw["units"])
                                if parcel.intersection(u).area > 1.0)
        assert [(f.unit_code, round(f.overlap_m2, 2)) for f in units] == \
            [(code, round(a, 2)) for code, a in expected_units]


def test_parcel_status_from_columns_equals_status_from_findings(case):
    ps, layers, ruleset, _ = case
    result = run_check(ps, layers, ruleset)
    fast = [(r.status, r.indicative) for r in result.parcels]  # read from the store's columns
    for r in result.parcels:
        r.findings  # made into Finding objects
        assert not r.in_store
    slow = [(r.status, r.indicative) for r in result.parcels]
    assert fast == slow
    assert {s for s, _ in fast} >= {"fail", "warn"}


def test_compact_json_from_columns_equals_the_finding_objects(case, tmp_path):
    ps, layers, ruleset, _ = case
    result = run_check(ps, layers, ruleset)
    writer = CompactWriter(tmp_path / "columns.json")
    writer.add(result.parcels)  # from the columns
    writer.close(result)
    objects = run_check(ps, layers, ruleset)
    plain = objects.to_dict()  # from Finding objects, one by one
    doc = expand(orjson.loads((tmp_path / "columns.json").read_bytes()))
    doc.pop("generated"), plain.pop("generated")
    assert doc == plain
    # a non-industrial parcel: 标准地 not applicable, one info finding instead
    other = next(p for p in plain["parcels"] if any(f["status"] == "info" and f["rule"] == "biaozhundi"
                                                    for f in p["findings"]))
    assert not any(f["rule"].startswith("BZD") for f in other["findings"])
    merged = [f for p in plain["parcels"] for f in p["findings"] if f.get("also")]
    assert merged and all(f["rule"] == "SX-03" or f["also"][0]["rule"] == "SX-03" for f in merged)


def test_findings_can_be_replaced(case):
    ps, layers, ruleset, _ = case
    result = run_check(ps, layers, ruleset)
    r = next(p for p in result.parcels if p.status == "fail")
    r.findings = [f for f in r.findings if f.status != "fail"]
    assert r.status != "fail" and not r.in_store


def test_result_table_rows_from_columns_equal_the_finding_objects(case):
    from suichang_gis.report.result_table import rows

    ps, layers, ruleset, _ = case
    result = run_check(ps, layers, ruleset)
    columns, geoms = rows(result.parcels)  # non-pass findings straight from the store
    assert all(p.in_store for p in result.parcels)
    for p in result.parcels:
        p.findings
    again, geoms_again = rows(result.parcels)  # from Finding objects
    assert columns == again
    assert all(shapely.equals_exact(a, b) if a is not None else b is None for a, b in zip(geoms, geoms_again))
    assert "finding" in columns["record"] and all(s != "pass" for r, s in zip(columns["record"], columns["status"])
                                                  if r == "finding")
