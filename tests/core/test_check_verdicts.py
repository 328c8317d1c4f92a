"""Verdicts that never contradict themselves: one fact one verdict, infrastructure that exists,
candidate parcels overlapping each other, reasons for every non-pass, slivers accounted for."""

import itertools
import re

import pytest
import shapely
from shapely.geometry import LineString, Point, box

from suichang_gis.check import parcel_set, run_check
from suichang_gis.check.data import check_layer
from suichang_gis.rules import load_ruleset

X0, Y0 = 430_000.0, 3_163_000.0


def sq(x0, y0, x1, y1):
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def units(*geoms, keys=None):
    n = len(geoms)
    return check_layer("env_control_units", geoms, "环境管控单元", unit_code=[f"ZH{i}" for i in range(n)],
                      unit_name=[f"单元{i}" for i in range(n)], manage_class=["重点管控"] * n,
                      subtype=["产业集聚"] * n, admission_key=keys or ["industrial_cluster"] * n)


@pytest.fixture(scope="module")
def ruleset():
    return load_ruleset()


def findings(result, rule, parcel=0):
    return [f for f in result.parcels[parcel].findings if f.rule == rule]


# --- one fact, one verdict ---------------------------------------------------------------------
def test_development_boundary_is_judged_once_with_both_bases(ruleset):
    layers = {"urban_development_boundary": check_layer("urban_development_boundary", [sq(0, 0, 60, 100)],
                                                       "城镇开发边界")}
    # industrial: both fail; no land use given: SX-03 warns, BZD-01 fails → one 不符合
    ps = parcel_set([sq(0, 0, 100, 100)] * 3, land_use=["工业用地", None, "商业用地"])
    result = run_check(ps, layers, ruleset)
    for i, expected in enumerate(["fail", "fail", "warn"]):
        judged = [f for f in result.parcels[i].findings if "城镇开发边界" in f.title]
        assert len(judged) == 1, [f.rules_label for f in judged]
        f = judged[0]
        assert f.status == expected
        if i < 2:  # 标准地 applies: both rules cited
            assert {f.rule, *(a.rule for a in f.also)} == {"SX-03", "BZD-01"}
            assert {f.basis.title, *(a.basis.title for a in f.also)} == {
                r.basis.title for r in ruleset.rules if r.id in ("SX-03", "BZD-01")}
            assert f.to_dict()["also"][0]["basis"]["title"]
    assert result.parcels[1].findings and next(
        f for f in result.parcels[1].findings if "城镇开发边界" in f.title).rule == "BZD-01"


# Words that state a fault, and words that state compliance; a message may only use its own.
FAULT_WORDS = ("不符合", "不满足", "超出", "禁止类", "限制类", "部分位于", "完全位于", "待核实", "余量不足",
               "没有现状设施", "只有规划")
PASS_WORDS = ("无重叠", r"(?<!不)满足控制值", "在控制距离", "未禁止或限制", "视为不重叠")


def _scenarios():
    """Layers and parcels that drive every rule to pass and to its fault status."""
    unit = units(sq(-5000, -5000, 500, 5000), sq(500, -5000, 5000, 5000),
                 keys=["industrial_cluster", "priority_protection"])
    unit.attrs.update({k: [v, v] for k, v in dict(
        water_use_cap_wan_m3_a=0.1, energy_cap_wan_tce_a=0.1, land_use_cap_km2=1.0,
        water_quality_target="III类", water_quality_status="不达标", air_quality_target="二级",
        air_quality_status="达标", cod_headroom_t_a=1.0, ammonia_headroom_t_a=1.0, so2_headroom_t_a=1.0,
        nox_headroom_t_a=1.0).items()})
    layers = {
        "ecological_redline": check_layer("ecological_redline", [sq(3000, 0, 3100, 100)], "生态保护红线", name=["红线"]),
        "permanent_basic_farmland": check_layer("permanent_basic_farmland", [sq(3000, 0, 3100, 100)], "永久基本农田"),
        "urban_development_boundary": check_layer("urban_development_boundary", [sq(-100, -100, 200, 200)],
                                                 "城镇开发边界"),
        "industrial_blocks": check_layer("industrial_blocks", [sq(-100, -100, 200, 200)], "区块"),
        "env_control_units": unit,
        "drinking_water_sources": check_layer("drinking_water_sources", [sq(3000, 0, 3100, 100)], "水源"),
        "nature_reserves": check_layer("nature_reserves", [sq(3000, 0, 3100, 100)], "保护区"),
        "roads": check_layer("roads", [LineString([(X0 - 50, Y0), (X0 - 50, Y0 + 100)]),
                                      LineString([(X0 + 3050, Y0), (X0 + 3050, Y0 + 100)])], "道路",
                            name=["现状路", "规划路"], road_state=["既有", "规划新建"]),
        "substations": check_layer("substations", [Point(X0 - 100, Y0)], "变电站", name=["站"], status=["现状"]),
        "power_lines": check_layer("power_lines", [LineString([(X0 + 3050, Y0), (X0 + 3050, Y0 + 100)])],
                                  "线路", accuracy="示意", name=["规划线"], status=["规划"]),
        "water_supply": check_layer("water_supply", [Point(X0 - 100, Y0), Point(X0 + 3200, Y0)], "供水",
                                   name=["水厂", "乡镇水厂"], status=["现状", "规划"]),
    }
    good = dict(land_use="工业用地", industrial_category="一类", industry_code="C33", investment_wan=6000.0,
                annual_tax_wan=600.0, floor_area_ratio=1.5, building_coverage=40.0, green_ratio=10.0,
                energy_tce=10.0, emission_cod_t=0.0, emission_nh3n_t=0.0, emission_so2_t=0.0,
                emission_nox_t=0.0, emission_vocs_t=0.0, water_m3=10.0)
    bad = dict(good, industrial_category="三类", investment_wan=10.0, annual_tax_wan=1.0, floor_area_ratio=0.2,
               building_coverage=5.0, green_ratio=50.0, energy_tce=5000.0, emission_cod_t=50.0,
               emission_so2_t=50.0, water_m3=1e7)
    geoms = [sq(0, 0, 100, 100), sq(3000, 0, 3100, 100), sq(3020, 0, 3080, 100)]
    rows = [good, bad, bad]
    columns = {k: [r[k] for r in rows] for k in good}
    return parcel_set(geoms, **columns), layers


def test_messages_follow_their_status_for_every_rule(ruleset):
    ps, layers = _scenarios()
    result = run_check(ps, layers, ruleset)
    seen = set()
    for parcel in result.parcels:
        for f in parcel.findings:
            seen.add((f.rule, f.status))
            text = f.message
            if f.status == "pass":
                assert not any(w in text for w in FAULT_WORDS), (f.rule, text)
                assert f"（{'不符合'}）" not in text and "（警示）" not in text
            if f.status in ("fail", "warn"):
                assert not any(re.search(w, text) for w in PASS_WORDS), (f.rule, text)
            # a title names a condition; it never claims an outcome
            assert not any(w in f.title for w in ("位于", "不符合", "通过", "满足")), f.title
    # every rule of both sets was driven to a verdict other than 未评估, and every layer rule to both
    rules = {r.id for r in ruleset.rules if r.kind != "slope"}
    judged = {rule for rule, status in seen if status != "not_assessed"}
    merged = {r.id for r in ruleset.rules if r.same_condition}
    assert rules - merged <= judged
    for rule in ("SX-01", "SX-02", "SX-03", "SX-04", "SX-07", "SX-08", "SX-09", "BZD-02", "BZD-03", "BZD-10"):
        statuses = {status for r, status in seen if r == rule}
        assert "pass" in statuses and statuses & {"fail", "warn"}, (rule, statuses)


# --- infrastructure: 现状 versus 规划/示意 --------------------------------------------------------
def test_planned_road_crossing_the_parcel_never_passes(ruleset):
    parcel = sq(0, 0, 100, 100)
    planned = LineString([(X0 + 50, Y0 - 500), (X0 + 50, Y0 + 500)])  # crosses the parcel
    existing = LineString([(X0 + 900, Y0 - 500), (X0 + 900, Y0 + 500)])  # 800 m east, beyond 500 m
    roads = check_layer("roads", [planned, existing], "公路网", name=["528国道", "县道"],
                       road_state=["规划新建", "既有"])
    f = findings(run_check(parcel_set([parcel], land_use=["工业用地"]), {"roads": roads}, ruleset), "BZD-10")[0]
    assert f.status == "warn"
    assert "规划/示意设施，待核实" in f.message and "528国道" in f.message
    assert f.distance_m == pytest.approx(parcel.distance(existing), abs=0.01)  # 800 m, the 现状 road
    assert f.geometry.length == pytest.approx(800.0, abs=0.01)
    # the same existing road within reach: a pass at its distance
    near = LineString([(X0 + 300, Y0 - 500), (X0 + 300, Y0 + 500)])
    roads = check_layer("roads", [planned, near], "公路网", name=["528国道", "县道"], road_state=["规划新建", "既有"])
    f = findings(run_check(parcel_set([parcel], land_use=["工业用地"]), {"roads": roads}, ruleset), "BZD-10")[0]
    assert f.status == "pass" and f.distance_m == pytest.approx(200.0, abs=0.01)


def test_schematic_layer_gives_at_best_a_warning(ruleset):
    # An "existing" water plant in a 示意 layer is no proof: 警示, distance None (nothing qualifies).
    water = check_layer("water_supply", [Point(X0 + 150, Y0 + 50)], "供水设施", accuracy="示意",
                       name=["乡镇水厂"], status=["现状"])
    line = check_layer("power_lines", [LineString([(X0 + 200, Y0), (X0 + 200, Y0 + 100)])], "规划供电网线路",
                      accuracy="示意", name=["110kV"], status=["规划"])
    result = run_check(parcel_set([sq(0, 0, 100, 100)], land_use=["工业用地"]),
                       {"water_supply": water, "power_lines": line}, ruleset)
    for rule in ("BZD-11", "BZD-12"):
        f = findings(result, rule)[0]
        assert f.status == "warn" and "规划/示意设施，待核实" in f.message and f.indicative
        assert f.distance_m is None and "没有现状且非示意" in f.message


# --- candidate parcels overlapping each other ------------------------------------------------
def test_two_overlapping_candidates_get_the_overlap_area(ruleset):
    a, b = sq(0, 0, 100, 100), sq(70, 40, 170, 140)  # overlap 30 × 60 = 1,800 m²
    result = run_check(parcel_set([a, b, sq(500, 0, 600, 100)], ids=["A", "B", "C"]), {}, ruleset)
    for i, other in ((0, "B"), (1, "A")):
        f = findings(result, "SX-09", i)[0]
        assert f.status == "warn" and other in f.message
        assert f.overlap_m2 == pytest.approx(a.intersection(b).area, abs=0.01) == pytest.approx(1800.0)
        assert f.geometry.area == pytest.approx(1800.0, abs=0.01)
    assert findings(result, "SX-09", 2)[0].status == "pass"


def test_project_parcels_are_compared_but_not_checked(ruleset):
    drawn = parcel_set([sq(0, 0, 100, 100)], ids=["NEW"])
    project = parcel_set([sq(90, 0, 190, 100), sq(500, 0, 600, 100)], ids=["P1", "P2"])
    result = run_check(drawn, {}, ruleset, others=project)
    assert len(result.parcels) == 1
    f = findings(result, "SX-09")[0]
    assert f.overlap_m2 == pytest.approx(1000.0, abs=0.01) and "P1" in f.message


# --- reasons -------------------------------------------------------------------------------
def test_warn_lists_its_not_assessed_reasons(ruleset):
    result = run_check(parcel_set([sq(0, 0, 100, 100)], land_use=["工业用地"]), {}, ruleset)
    p = result.parcels[0]
    assert p.status == "warn"
    assert p.reasons() and all(r.endswith("未评估") for r in p.reasons())
    assert p.to_dict()["reasons"] == p.reasons()
    assert len(p.reasons()) == sum(f.status == "not_assessed" for f in p.findings)


# --- slivers --------------------------------------------------------------------------------
def test_unit_pieces_and_slivers_add_up_to_the_parcel_over_a_tiling(ruleset):
    # A 10 × 10 tiling of 100 m cells with jittered interior edges; parcels cross many cells and
    # some edges pass within millimetres of a parcel edge, leaving slivers under 1 m².
    xs = [0, 100.0004, 200, 300.003, 400, 500, 600, 700, 800, 900, 1000]
    cells = [sq(x0, y0, x1, y1) for (x0, x1), (y0, y1) in
             itertools.product(zip(xs, xs[1:]), zip(xs, xs[1:]))]
    layer = units(*cells)
    parcels = [sq(100, 100, 300, 300), sq(250.5, 30, 620.25, 410.75), sq(0, 0, 1000, 1000),
               shapely.Polygon([(X0 + 10, Y0 + 10), (X0 + 990, Y0 + 500), (X0 + 400, Y0 + 990)])]
    result = run_check(parcel_set(parcels, industrial_category=["一类"] * 4), {"env_control_units": layer},
                       ruleset)
    sliver_seen = False
    for p, geom in zip(result.parcels, parcels):
        pieces = findings(result, "SX-04", result.parcels.index(p))
        slivers = [f for f in pieces if f.status == "info"]
        sliver_seen |= bool(slivers)
        total = sum(f.overlap_m2 for f in pieces)
        expected = sum(c.intersection(geom).area for c in cells)  # independent: shapely per cell
        assert total == pytest.approx(expected, abs=1e-6) == pytest.approx(geom.area, abs=1e-6)
    assert sliver_seen
