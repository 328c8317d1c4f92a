"""The check engine against hand-made parcels and constraints whose answers are known exactly."""

import math

import pytest
from pyproj import Geod
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from suichang_gis.check import parcel_set, run_check
from suichang_gis.check.data import check_layer
from suichang_gis.crs import to_lonlat
from suichang_gis.rules import load_ruleset
from suichang_gis.units import M2_PER_MU

X0, Y0 = 430_000.0, 3_163_000.0  # inside 遂昌, EPSG:4549


def sq(x0, y0, x1, y1):
    """A box in metres relative to (X0, Y0)."""
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def units(*geoms, keys=None, classes=None):
    n = len(geoms)
    keys = keys or ["industrial_cluster"] * n
    classes = classes or ["重点管控"] * n
    return check_layer("env_control_units", geoms, "环境管控单元",
                      unit_code=[f"ZH{i}" for i in range(n)], unit_name=[f"单元{i}" for i in range(n)],
                      manage_class=classes, subtype=["产业集聚"] * n, admission_key=keys)


def base_layers(**extra):
    far = sq(50_000, 50_000, 50_010, 50_010)
    layers = {
        "ecological_redline": check_layer("ecological_redline", [far], "生态保护红线", name=["远处红线"]),
        "permanent_basic_farmland": check_layer("permanent_basic_farmland", [far], "永久基本农田", name=["远处农田"]),
        "urban_development_boundary": check_layer("urban_development_boundary", [sq(-1000, -1000, 1000, 1000)],
                                                 "城镇开发边界", name=["城东"]),
        "env_control_units": units(sq(-1000, -1000, 1000, 1000)),
    }
    layers.update(extra)
    return layers


def finding(result, rule, parcel=0):
    found = [f for f in result.parcels[parcel].findings if f.rule == rule]
    assert len(found) == 1, [f.message for f in found]
    return found[0]


@pytest.fixture(scope="module")
def ruleset():
    return load_ruleset()


def test_square_half_inside_red_line(ruleset):
    layers = base_layers(ecological_redline=check_layer(
        "ecological_redline", [sq(50, -50, 200, 150)], "生态保护红线", name=["某红线"]))
    result = run_check(parcel_set([sq(0, 0, 100, 100)]), layers, ruleset)
    f = finding(result, "SX-01")
    assert f.status == "fail"
    assert f.overlap_m2 == pytest.approx(5000.0, abs=0.01)
    assert f.overlap_mu == pytest.approx(5000.0 / (10000 / 15), abs=1e-6)  # 7.5 亩
    assert f.overlap_ratio == pytest.approx(0.5, abs=1e-9)
    assert "某红线" in f.message and "7.50 亩" in f.message
    assert result.parcels[0].status == "fail"


def test_touching_is_not_overlapping(ruleset):
    """A parcel sharing an edge with a red line and with a unit does not overlap them."""
    layers = base_layers(
        ecological_redline=check_layer("ecological_redline", [sq(100, 0, 200, 100)], "生态保护红线"),
        env_control_units=units(sq(-100, 0, 0, 100), sq(0, 0, 100, 100),
                                keys=["priority_protection", "industrial_cluster"],
                                classes=["优先保护", "重点管控"]))
    ps = parcel_set([sq(0, 0, 100, 100)], industrial_category=["二类"], land_use=["工业用地"])
    result = run_check(ps, layers, ruleset)
    red = finding(result, "SX-01")
    assert red.status == "pass" and red.overlap_m2 == 0.0
    unit_findings = [f for f in result.parcels[0].findings if f.rule == "SX-04"]
    assert [f.unit_code for f in unit_findings] == ["ZH1"]  # the touching unit ZH0 is not judged
    assert unit_findings[0].status == "pass"


def test_parcel_across_two_units_is_judged_per_unit(ruleset):
    layers = base_layers(env_control_units=units(
        sq(-100, -100, 30, 200), sq(30, -100, 300, 200),
        keys=["priority_protection", "industrial_cluster"], classes=["优先保护", "重点管控"]))
    ps = parcel_set([sq(0, 0, 100, 100)], industrial_category=["二类"], land_use=["工业用地"],
                    industry_code=["C33"])
    result = run_check(ps, layers, ruleset)
    by_unit = {f.unit_code: f for f in result.parcels[0].findings if f.rule == "SX-04"}
    assert set(by_unit) == {"ZH0", "ZH1"}
    assert by_unit["ZH0"].overlap_m2 == pytest.approx(3000.0, abs=0.01)
    assert by_unit["ZH1"].overlap_m2 == pytest.approx(7000.0, abs=0.01)
    assert by_unit["ZH0"].status == "fail"  # 优先保护 forbids 二类
    assert by_unit["ZH1"].status == "pass"  # 产业集聚 admits 二类
    assert result.parcels[0].status == "fail"


def test_forbidden_industry_code_fails_in_urban_living_unit(ruleset):
    layers = base_layers(env_control_units=units(sq(-1000, -1000, 1000, 1000), keys=["urban_living"]))
    ps = parcel_set([sq(0, 0, 100, 100)], industrial_category=["一类"], industry_code=["C2614"],
                    land_use=["工业用地"])
    f = finding(run_check(ps, layers, ruleset), "SX-04")
    assert f.status == "fail" and "C2614" in f.message


def test_l_shaped_parcel_with_hole(ruleset):
    outer = sq(0, 0, 200, 100).union(sq(0, 100, 100, 200))
    hole = sq(20, 20, 40, 40)
    parcel = Polygon(outer.exterior.coords, [hole.exterior.coords])
    layers = base_layers(ecological_redline=check_layer("ecological_redline", [sq(0, 0, 100, 100)], "生态保护红线"))
    result = run_check(parcel_set([parcel]), layers, ruleset)
    assert result.parcels[0].area_m2 == pytest.approx(30000.0 - 400.0, abs=0.01)
    f = finding(result, "SX-01")
    assert f.overlap_m2 == pytest.approx(10000.0 - 400.0, abs=0.01)
    assert f.overlap_ratio == pytest.approx(9600.0 / 29600.0, abs=1e-9)


def test_multipolygon_parcel(ruleset):
    parcel = MultiPolygon([sq(0, 0, 100, 100), sq(500, 0, 600, 100)])
    layers = base_layers(ecological_redline=check_layer("ecological_redline", [sq(550, -10, 700, 110)], "生态保护红线"))
    result = run_check(parcel_set([parcel]), layers, ruleset)
    assert result.parcels[0].area_m2 == pytest.approx(20000.0, abs=0.01)
    f = finding(result, "SX-01")
    assert f.overlap_m2 == pytest.approx(5000.0, abs=0.01)
    assert f.overlap_ratio == pytest.approx(0.25, abs=1e-9)


def test_parcel_exactly_on_a_boundary_edge(ruleset):
    """Edges lying along the constraint boundary: the overlap is the parcel, no more, no less."""
    layers = base_layers(ecological_redline=check_layer("ecological_redline", [sq(0, 0, 100, 300)], "生态保护红线"),
                         urban_development_boundary=check_layer("urban_development_boundary",
                                                               [sq(0, 0, 100, 100)], "城镇开发边界"))
    result = run_check(parcel_set([sq(0, 0, 100, 100)], land_use=["工业用地"]), layers, ruleset)
    assert finding(result, "SX-01").overlap_m2 == pytest.approx(10000.0, abs=0.01)
    inside = finding(result, "SX-03")
    assert inside.status == "pass" and inside.overlap_ratio == pytest.approx(1.0)


def test_outside_development_boundary_fails_for_industry_warns_otherwise(ruleset):
    layers = base_layers(urban_development_boundary=check_layer(
        "urban_development_boundary", [sq(0, 0, 60, 100)], "城镇开发边界"))
    ps = parcel_set([sq(0, 0, 100, 100)] * 2, land_use=["工业用地", "商业用地"])
    result = run_check(ps, layers, ruleset)
    assert finding(result, "SX-03", 0).status == "fail"
    assert finding(result, "SX-03", 1).status == "warn"
    assert "4,000.0 m²" in finding(result, "SX-03", 0).message  # 40 % outside


def test_sliver_below_the_rule_file_tolerance(ruleset, tmp_path):
    # 0.005 m × 100 m = 0.5 m² of red line inside the parcel: below the 1 m² tolerance.
    layers = base_layers(ecological_redline=check_layer(
        "ecological_redline", [sq(99.995, 0, 200, 100)], "生态保护红线"))
    f = finding(run_check(parcel_set([sq(0, 0, 100, 100)]), layers, ruleset), "SX-01")
    assert f.status == "pass"
    assert f.overlap_m2 == pytest.approx(0.5, abs=0.01)
    # The tolerance comes from the rule file: lower it there and the same sliver fails.
    from suichang_gis.rules import default_rule_files

    text = default_rule_files()[0].read_text(encoding="utf-8")
    strict = tmp_path / "strict.toml"
    strict.write_text(text.replace("sliver_tolerance_m2 = 1.0", "sliver_tolerance_m2 = 0.1"), encoding="utf-8")
    layers["ecological_redline"] = check_layer("ecological_redline", [sq(99.995, 0, 200, 100)], "生态保护红线")
    f = finding(run_check(parcel_set([sq(0, 0, 100, 100)]), layers, load_ruleset([strict])), "SX-01")
    assert f.status == "fail"


def test_bowtie_constraint_is_repaired_before_the_overlay(ruleset):
    """A self-intersecting red line: the overlap of the repaired geometry, and the repair reported."""
    bowtie = Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])
    assert not bowtie.is_valid
    layers = base_layers(ecological_redline=check_layer("ecological_redline", [bowtie], "生态保护红线"))
    result = run_check(parcel_set([sq(0, 0, 50, 100)]), layers, ruleset)
    # make_valid keeps both lobes; the left lobe is the triangle (0,0)-(50,50)-(0,100): 2500 m².
    assert finding(result, "SX-01").overlap_m2 == pytest.approx(2500.0, abs=0.01)
    used = {u.id: u for u in result.layers}
    assert any("make_valid" in note for note in used["ecological_redline"].repairs)
    # buffer(0) would have dropped a lobe: the other triangle (50..100) overlaps a parcel there too.
    right = run_check(parcel_set([sq(50, 0, 100, 100)]), base_layers(ecological_redline=check_layer(
        "ecological_redline", [bowtie], "生态保护红线")), ruleset)
    assert finding(right, "SX-01").overlap_m2 == pytest.approx(2500.0, abs=0.01)


def test_invalid_parcel_is_repaired_and_reported(ruleset):
    bowtie = Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])
    result = run_check(parcel_set([bowtie]), base_layers(), ruleset)
    assert result.parcels[0].area_m2 == pytest.approx(5000.0, abs=0.01)
    assert any("make_valid" in note for note in result.parcels[0].repairs)


def test_area_is_planar_gauss_kruger_not_ellipsoidal(ruleset):
    """A 1 km square: 1,000,000 m² planar; the CGCS2000 ellipsoidal area is 0.012–0.028 % smaller.

    Placed 100 km west of the central meridian (western 遂昌), where the Gauss-Krüger scale
    factor k ≈ 1 + x²/2R² enlarges planar areas by k² ≈ 1 + x²/R².
    """
    parcel = sq(-30_000, 0, -29_000, 1000)
    result = run_check(parcel_set([parcel]), base_layers(), ruleset)
    assert result.parcels[0].area_m2 == pytest.approx(1_000_000.0, abs=0.01)
    assert result.parcels[0].area_mu == pytest.approx(1500.0, abs=1e-6)
    dense = parcel.segmentize(10.0)
    lon, lat = to_lonlat(*dense.exterior.xy)
    geod = Geod(ellps="GRS80")  # CGCS2000 ellipsoid (GRS80 to within 0.1 mm)
    ellipsoidal = abs(geod.polygon_area_perimeter(lon, lat)[0])
    shrink = 1 - ellipsoidal / result.parcels[0].area_m2
    assert 0.00012 < shrink < 0.00028
    x = (X0 - 29_500) - 500_000.0
    assert shrink == pytest.approx(x * x / 6_371_000.0**2, rel=0.03)


def test_indicators_computed_from_attributes_and_area(ruleset):
    ps = parcel_set([sq(0, 0, 100, 100)] * 2, land_use=["工业用地"] * 2, industrial_category=["二类", "一类"],
                    investment_wan=[4200.0, 4200.0], annual_tax_wan=[300.0, 450.0],
                    floor_area_ratio=[1.2, 0.8], building_coverage=[45.0, 45.0], green_ratio=[25.0, 10.0],
                    energy_tce=[60.0, 60.0])
    result = run_check(ps, base_layers(), ruleset)
    mu = 10000.0 / M2_PER_MU  # 15 亩
    inv = finding(result, "BZD-03", 0)
    assert inv.value == pytest.approx(4200.0 / mu)  # 280 万元/亩
    assert inv.status == "fail"  # below 300 for 二类
    assert finding(result, "BZD-03", 1).status == "pass"  # 一类 override: ≥ 250
    assert finding(result, "BZD-04", 0).value == pytest.approx(20.0)
    assert finding(result, "BZD-04", 0).status == "fail"
    assert finding(result, "BZD-04", 1).status == "pass"  # 30 万元/亩
    assert finding(result, "BZD-05", 1).status == "fail"  # 容积率 0.8 < 1.0
    assert finding(result, "BZD-07", 0).status == "fail"  # 绿地率 25 % > 20 %
    assert finding(result, "BZD-08", 0).value == pytest.approx(4.0)  # 60 吨标煤 / 15 亩
    assert "示例阈值" in inv.threshold and inv.example_threshold


def test_missing_data_is_not_assessed_never_a_silent_pass(ruleset):
    layers = base_layers()
    del layers["permanent_basic_farmland"]
    result = run_check(parcel_set([sq(0, 0, 100, 100)], land_use=["工业用地"]), layers, ruleset)
    assert finding(result, "SX-02").status == "not_assessed"  # layer missing
    assert finding(result, "BZD-03").status == "not_assessed"  # no 拟投资额
    assert "拟投资额" in finding(result, "BZD-03").message
    assert finding(result, "SX-04").status == "not_assessed"  # no 工业项目类别 / 行业代码
    assert finding(result, "SX-06").status == "not_assessed"  # unit has no quota fields
    assert finding(result, "BZD-13").status == "not_assessed"  # no DEM
    assert finding(result, "BZD-10").status == "not_assessed"  # no road layer
    assert result.parcels[0].status != "pass"


def test_unit_headroom_warns_when_demand_exceeds_it(ruleset):
    layer = units(sq(-1000, -1000, 1000, 1000))
    layer.attrs.update(water_use_cap_wan_m3_a=[1.0], energy_cap_wan_tce_a=[0.05], land_use_cap_km2=[1.0])
    ps = parcel_set([sq(0, 0, 100, 100)], water_m3=[5000.0], energy_tce=[600.0], land_use=["工业用地"])
    f = finding(run_check(ps, base_layers(env_control_units=layer), ruleset), "SX-06")
    assert f.status == "warn"
    assert "能源消费余量：需 0.06 万吨标煤/年，单元余量 0.05 万吨标煤/年，余量不足" in f.message


def test_distances_to_water_source_and_nearest_road(ruleset):
    layers = base_layers(
        drinking_water_sources=check_layer("drinking_water_sources", [sq(400, 0, 500, 100)], "饮用水水源保护区",
                                          name=["某水库一级保护区"]),
        roads=check_layer("roads", [LineString([(X0 - 50, Y0 - 1000), (X0 - 50, Y0 + 1000)])], "道路",
                         name=["S215"], road_state=["既有"]),
        water_supply=check_layer("water_supply", [Point(X0 + 100, Y0 + 3100)], "供水设施", name=["水厂"],
                                status=["现状"]))
    result = run_check(parcel_set([sq(0, 0, 100, 100)], land_use=["工业用地"]), layers, ruleset)
    water = finding(result, "SX-07")
    assert water.status == "warn" and water.distance_m == pytest.approx(300.0, abs=0.01)
    road = finding(result, "BZD-10")
    assert road.status == "pass" and road.distance_m == pytest.approx(50.0, abs=0.01)
    supply = finding(result, "BZD-12")
    assert supply.distance_m == pytest.approx(3000.0, abs=0.01) and supply.status == "pass"


def test_inside_a_water_source_zone_fails(ruleset):
    layers = base_layers(drinking_water_sources=check_layer(
        "drinking_water_sources", [sq(-10, -10, 50, 110)], "饮用水水源保护区"))
    f = finding(run_check(parcel_set([sq(0, 0, 100, 100)]), layers, ruleset), "SX-07")
    assert f.status == "fail" and f.overlap_m2 == pytest.approx(5000.0, abs=0.01)


def test_standard_land_does_not_apply_to_non_industrial_parcels(ruleset):
    result = run_check(parcel_set([sq(0, 0, 100, 100)], land_use=["居住用地"]), base_layers(), ruleset)
    rules = {f.rule for f in result.parcels[0].findings}
    assert "BZD-03" not in rules and "biaozhundi" in rules


def test_context_townships_zones_and_projects_within_distance(ruleset):
    layers = base_layers(
        townships=check_layer("townships", [sq(-1000, -1000, 50, 1000), sq(50, -1000, 1000, 1000)], "乡镇",
                             name=["妙高街道", "云峰街道"]),
        zones=check_layer("zones", [sq(-5000, -5000, 5000, 5000), sq(0, 0, 10, 10)], "一城五区",
                         name=["乡村富民区", "生态工业区"]),
        railways=check_layer("railways", [LineString([(X0 + 1300, Y0 - 500), (X0 + 1300, Y0 + 500)])],
                            "铁路", zhuanlan=("专栏20",), name=["衢丽铁路衢松段"]))
    result = run_check(parcel_set([sq(0, 0, 100, 100)]), layers, ruleset)
    p = result.parcels[0]
    assert p.townships == ["妙高街道", "云峰街道"]
    assert p.zones == ["乡村富民区", "生态工业区"]
    assert [(x["name"], round(x["distance_m"], 2)) for x in p.projects] == [("衢丽铁路衢松段", 1200.0)]


def test_indicative_when_a_schematic_layer_is_used(ruleset):
    layers = base_layers(ecological_redline=check_layer("ecological_redline", [sq(50, 0, 150, 100)],
                                                       "生态保护红线", accuracy="示意"))
    result = run_check(parcel_set([sq(0, 0, 100, 100)]), layers, ruleset)
    assert finding(result, "SX-01").indicative and result.parcels[0].indicative
    assert any("示意" in n for n in result.notices())
    assert not finding(result, "SX-02").indicative


def test_json_contract_keys(ruleset):
    result = run_check(parcel_set([sq(0, 0, 100, 100)], names=["甲地块"]), base_layers(), ruleset)
    d = result.to_dict()
    assert {"rulesets", "layers", "parcels", "notices", "area_convention"} <= set(d)
    assert {(r["id"], r["version"]) for r in d["rulesets"]} == {
        (i.id, i.version) for i in ruleset.infos}
    assert {"id", "title", "version", "accuracy"} <= set(d["layers"][0])
    parcel = d["parcels"][0]
    assert {"id", "name", "area_m2", "area_mu", "townships", "zones", "status", "findings"} <= set(parcel)
    assert parcel["name"] == "甲地块" and parcel["status"] in ("pass", "warn", "fail")
    keys = {"rule", "layer", "status", "overlap_m2", "overlap_mu", "overlap_ratio", "distance_m",
            "message", "basis", "indicative"}
    for f in parcel["findings"]:
        assert keys <= set(f)
    red = next(f for f in parcel["findings"] if f["rule"] == "SX-01")
    assert red["basis"]["title"] and red["basis"]["issuer"]
    assert math.isclose(parcel["area_mu"], 15.0)


def test_red_line_feature_wholly_inside_the_parcel(ruleset):
    layers = base_layers(ecological_redline=check_layer(
        "ecological_redline", [sq(20, 20, 30, 30), sq(40, 40, 60, 50)], "生态保护红线"))
    f = finding(run_check(parcel_set([sq(0, 0, 100, 100)]), layers, ruleset), "SX-01")
    assert f.overlap_m2 == pytest.approx(100.0 + 200.0, abs=0.01)
    assert f.overlap_ratio == pytest.approx(0.03)


def test_overlapping_constraint_features_are_counted_once(ruleset):
    # Two red-line squares that overlap each other by 50 × 100 m, both inside a 300 × 100 m parcel:
    # the overlap is their union (150 × 100 = 15,000 m²), not the sum (20,000 m²). A third square
    # apart from both adds its full 50 × 100 m; a fourth crosses the parcel's edge by half.
    second = sq(1000, 0, 1100, 100)  # a second parcel with two disjoint pieces only
    redline = check_layer("ecological_redline",
                         [sq(0, 0, 100, 100), sq(50, 0, 150, 100), sq(200, 0, 250, 100), sq(280, 50, 320, 100),
                          sq(1000, 0, 1020, 100), sq(1050, 0, 1060, 100)],
                         "生态保护红线", name=["甲", "乙", "丙", "丁", "戊", "己"])
    result = run_check(parcel_set([sq(0, 0, 300, 100), second]), base_layers(ecological_redline=redline),
                       ruleset)
    first = finding(result, "SX-01", 0)
    assert first.overlap_m2 == pytest.approx(15_000 + 5_000 + 20 * 50, abs=0.01)
    assert first.geometry.area == pytest.approx(first.overlap_m2, abs=0.01)
    other = finding(result, "SX-01", 1)
    assert other.overlap_m2 == pytest.approx(2_000 + 1_000, abs=0.01)
    assert other.geometry.area == pytest.approx(3_000, abs=0.01)
