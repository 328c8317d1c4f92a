"""水利 (专栏23) and 能源 (专栏24) layers: plan items with their figures, OSM power data, honesty."""

import pytest

from suichang_gis.catalog import load_catalog, load_layer
from suichang_gis.crs import WORK_CRS

SPECS = {s.id: s for s in load_catalog()}
WATER = ["rivers", "river_works", "water_projects", "water_supply"]
ENERGY = ["substations", "planned_substations", "power_lines", "gas_pipelines"]


def gdf(layer_id):
    return load_layer(SPECS[layer_id]).gdf


def feature(layer_id, name):
    rows = gdf(layer_id)
    rows = rows[rows["name"] == name]
    assert len(rows) == 1, f"{layer_id}: expected one feature named {name}"
    return rows.iloc[0]


@pytest.fixture(scope="module")
def county():
    return gdf("county_boundary").geometry.union_all()


@pytest.mark.parametrize("layer_id", WATER + ENERGY)
def test_layer_group_crs_and_provenance(layer_id):
    spec = SPECS[layer_id]
    assert spec.group == ("水利" if layer_id in WATER else "能源")
    assert gdf(layer_id).crs.to_string() == WORK_CRS
    assert spec.provenance.method.strip()
    # Only the OSM substations are real positions; everything else is placed by reasoning.
    assert spec.provenance.accuracy == ("权威" if layer_id == "substations" else "示意")


@pytest.mark.parametrize("layer_id,count", [
    ("rivers", 4), ("river_works", 2), ("water_projects", 3), ("water_supply", 20),
    ("substations", 6), ("planned_substations", 6), ("power_lines", 4), ("gas_pipelines", 1)])
def test_feature_counts(layer_id, count):
    assert len(gdf(layer_id)) == count


# Figures typed from the plan text (专栏23, 专栏24).
PLAN_FIGURES = [
    ("water_projects", "成屏二级水库扩容工程", "专栏23", 1,
     {"new_storage_wan_m3": 7700, "flood_diversion_m3s": 210}),
    ("water_projects", "清水源水库工程", "专栏23", 2,
     {"new_storage_wan_m3": 2200, "new_annual_supply_wan_m3": 1400}),
    ("river_works", "乌溪江流域综合治理工程", "专栏23", 3,
     {"river_length_km": 177, "dike_repair_km": 21, "revetment_upgrade_km": 120,
      "flood_road_new_km": 86, "wetland_restore_ha": 22}),
    ("river_works", "松阴河流域综合治理工程", "专栏23", 4,
     {"river_length_km": 85, "bank_reinforce_km": 62, "bank_slope_treatment_km": 31,
      "waterfront_trail_km": 10}),
    ("water_projects", "农村供水保障工程", "专栏23", 5,
     {"county_network_single_village_stations": 5, "county_network_township_plants": 1,
      "county_network_multi_village_plants": 1, "new_township_plants": 15,
      "new_single_village_plants": 117}),
    ("power_lines", "新建改造 220 千伏线路", "专栏24", 2, {"voltage_kv": 220, "length_km": 25.6}),
    ("power_lines", "新增 110 千伏线路", "专栏24", 2, {"voltage_kv": 110, "length_km": 45.7}),
    ("power_lines", "新增 10 千伏线路", "专栏24", 2, {"voltage_kv": 10, "length_km": 123.5}),
    ("power_lines", "低压线路", "专栏24", 2, {"length_km": 85.2, "distribution_transformers_units": 324}),
    ("gas_pipelines", "新增中压管道", "专栏24", 3, {"new_length_km": 25, "network_total_length_km": 75}),
]


@pytest.mark.parametrize("layer_id,name,zhuanlan,item_no,figures", PLAN_FIGURES,
                         ids=[f[1] for f in PLAN_FIGURES])
def test_plan_item_carries_its_figures(layer_id, name, zhuanlan, item_no, figures):
    row = feature(layer_id, name)
    assert row["zhuanlan"] == zhuanlan and int(row["item_no"]) == item_no
    for field, value in figures.items():
        assert float(row[field]) == pytest.approx(value), field
    assert name in row["plan_text"]


def test_chengping_names_the_beixi_tunnel():
    assert feature("water_projects", "成屏二级水库扩容工程")["tunnel_name"] == "北溪分洪隧洞"


def test_planned_substations_by_voltage():
    planned = gdf("planned_substations")
    assert planned["voltage_kv"].value_counts().to_dict() == {220.0: 1, 110.0: 2, 35.0: 3}
    assert set(planned["name"]) == {"新建 220kV 变电站", "110kV 变电站", "35kV 变电"}
    assert (planned["zhuanlan"] == "专栏24").all() and (planned["item_no"] == 1).all()
    for _, row in planned.iterrows():
        assert row["planned_count_in_class"] == {220.0: 1, 110.0: 2, 35.0: 3}[row["voltage_kv"]]
        assert "站址为假设" in row["site_basis"]


def test_plan_texts_are_quoted_verbatim(plan_text_raw):
    plan = plan_text_raw
    for layer_id in ["river_works", "water_projects", "water_supply", "planned_substations",
                     "power_lines", "gas_pipelines"]:
        layer = gdf(layer_id)
        texts = list(layer["plan_text"]) + list(layer.get("plan_text_body", []))
        for text in texts:
            assert text in plan, f"{layer_id}: {text[:30]} not in the plan"
        for name in layer["name"]:
            assert name in plan, f"{layer_id}: name {name} not in the plan"


def test_unplaceable_items_have_no_geometry_and_say_so():
    rural = feature("water_projects", "农村供水保障工程")
    low = feature("power_lines", "低压线路")
    for row in (rural, low):
        assert row.geometry is None and not row["placed"]
    for layer_id in WATER + ENERGY:
        layer = gdf(layer_id)
        if "placed" in layer.columns:
            assert (layer.geometry.isna() == ~layer["placed"].astype(bool)).all(), layer_id
        else:
            assert layer.geometry.notna().all(), layer_id


def test_drawn_length_is_reported_beside_the_plan_length():
    for layer_id in ["river_works", "power_lines", "gas_pipelines"]:
        layer = gdf(layer_id)
        drawn = layer[layer.geometry.notna()]
        for _, row in drawn.iterrows():
            assert row["drawn_length_km"] == pytest.approx(row.geometry.length / 1000, abs=0.05)
    assert "图上长度不是规划长度" in SPECS["power_lines"].provenance.method


def test_osm_power_features_carry_the_attribution():
    spec = SPECS["substations"]
    assert spec.provenance.attribution == "© OpenStreetMap contributors"
    assert "ODbL" in spec.provenance.licence
    assert "完整" in spec.provenance.method  # completeness unknown is said
    subs = gdf("substations")
    assert (subs["attribution"] == "© OpenStreetMap contributors").all()
    # Layers whose geometry uses OSM positions carry the attribution too.
    for layer_id in ["water_projects", "power_lines"]:
        assert SPECS[layer_id].provenance.attribution == "© OpenStreetMap contributors"


def test_osm_substations_inside_suichang(county):
    subs = gdf("substations")
    assert set(subs["name"].dropna()) == {"遂昌变电站", "清水源一级电站", "清水源二级电站"}
    assert subs["name"].isna().sum() == 3
    assert feature("substations", "遂昌变电站")["voltage_kv"] == 220
    assert (subs["power"] == "substation").sum() == 4
    assert subs.geometry.within(county).all()


def test_rivers_are_an_honest_backdrop():
    spec = SPECS["rivers"]
    rivers = gdf("rivers")
    assert "LGPL-3+" in spec.provenance.licence
    assert rivers["name"].isna().all()  # the source has no names
    assert sorted(rivers["possible_river"].dropna()) == ["乌溪江", "松阴溪"]
    assert rivers["identification"].str.contains("未核实|未识别").all()
    assert "未核实" in SPECS["river_works"].provenance.method


def test_water_supply_points(county):
    supply = gdf("water_supply")
    seats = gdf("township_seats").set_index("name").geometry
    county_plant = feature("water_supply", "县城水厂")
    assert county_plant.geometry.distance(seats["遂昌县"]) < 1
    towns = supply[supply["kind"] == "乡镇水厂"]
    assert len(towns) == 18 and towns["township"].is_unique
    assert not towns["township"].str.endswith("街道").any()
    for _, row in towns.iterrows():
        assert row.geometry.distance(seats[row["township"]]) < 1
    assert supply.geometry.within(county).all()


@pytest.mark.parametrize("layer_id", ["water_projects", "planned_substations"])
def test_points_inside_county(layer_id, county):
    layer = gdf(layer_id)
    assert layer.geometry.dropna().within(county).all()


@pytest.mark.parametrize("layer_id", ["river_works", "power_lines", "gas_pipelines"])
def test_lines_inside_county(layer_id, county):
    lines = gdf(layer_id).geometry.dropna()
    inside = sum(g.intersection(county).length for g in lines)
    assert inside / sum(g.length for g in lines) > 0.99
