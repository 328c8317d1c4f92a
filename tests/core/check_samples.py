"""A mixed set of parcels with known verdicts for the check report tests (and for looking at the
reports): a pass, a warning with only 未评估 reasons, a red-line failure, a farmland failure, a
parcel across two control units and one overlapping it. EPSG:4549, metres around (X0, Y0)."""

from __future__ import annotations

from shapely.geometry import LineString, Point, box

from suichang_gis.check import parcel_set, run_check
from suichang_gis.check.data import check_layer
from suichang_gis.rules import load_ruleset

X0, Y0 = 430_000.0, 3_163_000.0
OVERLAP_E_F_M2 = 30.0 * 50.0  # parcels E and F


def sq(x0, y0, x1, y1):
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def mixed_layers() -> dict:
    capacity = dict(water_quality_target=["III类"] * 2, water_quality_status=["达标"] * 2,
                    air_quality_target=["二级"] * 2, air_quality_status=["达标"] * 2,
                    cod_headroom_t_a=[50.0] * 2, ammonia_headroom_t_a=[5.0] * 2, so2_headroom_t_a=[50.0] * 2,
                    nox_headroom_t_a=[50.0] * 2, water_use_cap_wan_m3_a=[100.0] * 2,
                    energy_cap_wan_tce_a=[10.0] * 2, land_use_cap_km2=[5.0] * 2)
    far = sq(30_000, 30_000, 30_100, 30_100)
    return {
        "ecological_redline": check_layer("ecological_redline", [sq(2000, 0, 2300, 300)], "生态保护红线",
                                         name=["某山生态保护红线"]),
        "permanent_basic_farmland": check_layer("permanent_basic_farmland", [sq(2600, 0, 2700, 300)],
                                               "永久基本农田", accuracy="示意", name=["某村永久基本农田"]),
        "urban_development_boundary": check_layer("urban_development_boundary", [sq(-500, -500, 4000, 1000)],
                                                 "城镇开发边界", name=["城东片区"]),
        "industrial_blocks": check_layer("industrial_blocks", [sq(-500, -500, 4000, 1000)], "生态工业区区块",
                                        name=["元立区块"]),
        "env_control_units": check_layer(
            "env_control_units", [sq(-500, -500, 1000, 1000), sq(1000, -500, 4000, 1000)], "环境管控单元",
            unit_code=["ZH33112720001", "ZH33112730002"], unit_name=["城东产业集聚重点管控单元", "城郊一般管控单元"],
            manage_class=["重点管控", "一般管控"], subtype=["产业集聚", ""],
            admission_key=["industrial_cluster", "general"], **capacity),
        "drinking_water_sources": check_layer("drinking_water_sources", [far], "饮用水水源保护区", name=["远处水源"]),
        "nature_reserves": check_layer("nature_reserves", [far], "自然保护区", name=["远处保护区"]),
        "roads": check_layer("roads", [LineString([(X0 - 500, Y0 - 100), (X0 + 4000, Y0 - 100)]),
                                      LineString([(X0 + 500, Y0 - 500), (X0 + 500, Y0 + 1000)])], "公路网",
                            name=["县道 X501", "528国道改线"], road_state=["既有", "规划新建"]),
        "substations": check_layer("substations", [Point(X0, Y0 - 300)], "变电站", name=["城东 110kV 变电站"],
                                  status=["现状"]),
        "water_supply": check_layer("water_supply", [Point(X0 + 100, Y0 - 300)], "供水设施", name=["县城水厂"],
                                   status=["现状"]),
        "townships": check_layer("townships", [sq(-500, -500, 1500, 1000), sq(1500, -500, 4000, 1000)], "乡镇",
                                name=["妙高街道", "云峰街道"]),
    }


INDUSTRY = dict(land_use="工业用地", industrial_category="二类", industry_code="C3311", investment_wan=6000.0,
                annual_tax_wan=500.0, floor_area_ratio=1.4, building_coverage=45.0, green_ratio=12.0,
                energy_tce=60.0, emission_cod_t=0.5, emission_nh3n_t=0.05, emission_so2_t=0.3,
                emission_nox_t=0.5, emission_vocs_t=0.2, water_m3=8000.0)
PARCELS = [  # id, name, geometry, attributes
    ("A", "商业配套地块", sq(0, 0, 100, 100), dict(INDUSTRY, land_use="商业用地", industrial_category=None,
                                               industry_code="F5261")),
    ("B", "待补资料地块", sq(200, 0, 300, 100), {"land_use": "工业用地", "industrial_category": "一类",
                                            "industry_code": "C3311"}),
    ("C", "红线内地块", sq(2100, 100, 2200, 200), INDUSTRY),
    ("D", "农田地块", sq(2550, 100, 2650, 200), INDUSTRY),
    ("E", "跨单元地块", sq(950, 0, 1050, 100), INDUSTRY),
    ("F", "与E重叠地块", sq(1020, 50, 1120, 150), INDUSTRY),
]


def mixed_check():
    """(CheckResult, layers) of the mixed set against the shipped rule sets."""
    keys = sorted({k for _, _, _, a in PARCELS for k in a})
    columns = {k: [a.get(k) for _, _, _, a in PARCELS] for k in keys}
    ps = parcel_set([g for _, _, g, _ in PARCELS], ids=[i for i, *_ in PARCELS], names=[n for _, n, *_ in PARCELS],
                    **columns)
    ps.source = "候选地块（测试样例）"
    layers = mixed_layers()
    return run_check(ps, layers, load_ruleset()), layers
