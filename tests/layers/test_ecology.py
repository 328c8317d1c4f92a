"""生态与三线一单 layers: schematic 三线一单 constraints and the plan's 专栏18/专栏19 projects."""

import re

import pytest
from shapely.ops import unary_union

from suichang_gis.catalog import load_catalog, load_layer
from suichang_gis.crs import WORK_CRS

SPECS = {s.id: s for s in load_catalog()}
LAYER_IDS = ["ecological_redline", "env_control_units", "permanent_basic_farmland",
             "urban_development_boundary", "nature_reserves", "drinking_water_sources",
             "eco_projects", "eod_pilot"]
CONSTRAINTS = LAYER_IDS[:6]

# 遂昌县《“三线一单”生态环境分区管控方案》: 27 units (notes/anchors-features.md §2.3).
PUBLISHED_KM2 = {"优先保护": 2131.65, "产业集聚": 68.41, "城镇生活": 29.53, "一般管控": 310.24}
PUBLISHED_TOTAL_KM2 = 2539.82


def gdf(layer_id):
    return load_layer(SPECS[layer_id]).gdf


@pytest.fixture(scope="module")
def county():
    return unary_union(gdf("county_boundary").geometry)


@pytest.fixture(scope="module")
def units():
    return gdf("env_control_units")


def seat(name):
    seats = gdf("township_seats")
    return seats[seats["name"] == name].geometry.iloc[0]


@pytest.mark.parametrize("layer_id", LAYER_IDS)
def test_layer_is_schematic_and_in_the_group(layer_id, county):
    spec = SPECS[layer_id]
    assert spec.group == "生态与三线一单"
    assert spec.provenance.accuracy == "示意"
    assert spec.display_title.endswith("（示意）")
    assert spec.provenance.method.strip()
    layer = gdf(layer_id)
    assert layer.crs.to_string() == WORK_CRS
    assert layer["name"].notna().all()
    geoms = layer.geometry.dropna()
    assert len(geoms) > 0
    assert all(g.within(county.buffer(1.0)) for g in geoms)


@pytest.mark.parametrize("layer_id", CONSTRAINTS)
def test_constraint_layers_say_they_are_stand_ins(layer_id):
    method = SPECS[layer_id].provenance.method
    assert "示意替代图层" in method and "不是官方" in method


def test_control_unit_counts(units):
    assert len(units) == 27
    counts = units["manage_class"].value_counts().to_dict()
    assert counts == {"优先保护": 19, "重点管控": 7, "一般管控": 1}
    key = units[units["manage_class"] == "重点管控"]["subtype"].value_counts().to_dict()
    assert key == {"产业集聚": 4, "城镇生活": 3}
    assert set(units["admission_key"]) == {"priority_protection", "industrial_cluster",
                                           "urban_living", "general"}


def test_control_unit_areas_match_the_published_scheme(units):
    area = units.geometry.area / 1e6
    by_class = {
        "优先保护": area[units["manage_class"] == "优先保护"].sum(),
        "产业集聚": area[units["subtype"] == "产业集聚"].sum(),
        "城镇生活": area[units["subtype"] == "城镇生活"].sum(),
        "一般管控": area[units["manage_class"] == "一般管控"].sum(),
    }
    for cls, published in PUBLISHED_KM2.items():
        assert by_class[cls] == pytest.approx(published, rel=0.02), cls
    assert by_class["产业集聚"] + by_class["城镇生活"] == pytest.approx(97.93, rel=0.02)
    assert area.sum() == pytest.approx(PUBLISHED_TOTAL_KM2, rel=0.005)
    assert units["area_km2"].sum() == pytest.approx(area.sum(), abs=0.5)


def test_control_units_partition_the_county(units, county):
    geoms = list(units.geometry)
    assert units.geometry.area.sum() == pytest.approx(county.area, rel=0.005)
    assert unary_union(geoms).symmetric_difference(county).area < 0.005 * county.area
    overlap = sum(geoms[i].intersection(geoms[j]).area
                  for i in range(len(geoms)) for j in range(i + 1, len(geoms)))
    assert overlap < 1.0  # m²: a clean tiling; a parcel on a unit edge is judged against one unit


def test_control_unit_codes_and_fields(units):
    digit = {"优先保护": "1", "重点管控": "2", "一般管控": "3"}
    assert units["unit_code"].is_unique
    for code, cls in zip(units["unit_code"], units["manage_class"]):
        assert re.fullmatch(r"ZH331123[123]\d{4}", code)
        assert code[8] == digit[cls]
    assert units["unit_name"].str.endswith("单元").all()
    assert set(units["water_quality_target"]) <= {"II类", "III类"}
    assert set(units["air_quality_target"]) <= {"一级", "二级"}
    for field in ("water_quality_status", "air_quality_status", "cod_headroom_t_a",
                  "ammonia_headroom_t_a", "water_use_cap_wan_m3_a",
                  "energy_cap_wan_tce_a"):
        assert units[field].isna().all(), f"{field} must stay empty: no public figures"
    industrial = units[units["subtype"] == "产业集聚"]["unit_name"]
    for place in ("城东片区", "源口", "三仁", "石练"):
        assert industrial.str.contains(place).any(), place


def test_redline_lies_in_priority_units_and_covers_about_a_third(units, county):
    red = gdf("ecological_redline")
    assert len(red) >= 4
    assert set(red["type"]) <= {"生物多样性维护", "水源涵养", "水土保持"}
    red_union = unary_union(red.geometry)
    priority = unary_union(units[units["manage_class"] == "优先保护"].geometry)
    assert red_union.difference(priority).area < 1_000
    assert 0.25 < red_union.area / county.area < 0.40
    assert red["name"].str.contains("九龙山").any() and red["name"].str.contains("仙侠湖").any()


def test_farmland_avoids_redline_and_development_boundary():
    farm = gdf("permanent_basic_farmland")
    assert len(farm) >= 100
    farm_union = unary_union(farm.geometry)
    assert farm_union.intersection(unary_union(gdf("ecological_redline").geometry)).area < 1.0
    assert farm_union.intersection(unary_union(gdf("urban_development_boundary").geometry)).area < 1.0
    # Patches do not overlap each other: the layer's total area is the farmland's area.
    assert farm.geometry.area.sum() == pytest.approx(farm_union.area, abs=1.0)


def test_industrial_units_lie_inside_the_development_boundary(units):
    udb = unary_union(gdf("urban_development_boundary").geometry)
    for geom, name in zip(units[units["subtype"] == "产业集聚"].geometry,
                          units[units["subtype"] == "产业集聚"]["unit_name"]):
        assert geom.intersection(udb).area / geom.area > 0.99, name
    assert udb.intersection(unary_union(gdf("ecological_redline").geometry)).area < 1.0
    assert seat("遂昌县").within(udb)


def test_jiulongshan_reserve(units):
    reserve = gdf("nature_reserves")
    assert list(reserve["name"]) == ["九龙山国家级自然保护区"]
    geom = reserve.geometry.iloc[0]
    c = geom.centroid
    county_seat = seat("遂昌县")
    assert c.x < county_seat.x - 25_000 and c.y < county_seat.y - 20_000  # south-west
    assert c.distance(seat("龙洋乡")) < 10_000
    assert geom.difference(unary_union(gdf("ecological_redline").geometry)).area < 1_000
    unit = units[units["subtype"] == "自然保护区"]
    assert len(unit) == 1 and unit["manage_class"].iloc[0] == "优先保护"
    assert bool(reserve["area_is_schematic"].iloc[0])


def test_drinking_water_sources_are_in_priority_units(units):
    water = gdf("drinking_water_sources")
    assert set(water["water_body"]) == {"成屏水库", "清水源水库"}
    assert set(water["level"]) == {"一级保护区", "二级保护区"}
    priority = unary_union(units[units["manage_class"] == "优先保护"].geometry)
    assert unary_union(water.geometry).difference(priority).area < 1_000
    chengping = unary_union(water[water["water_body"] == "成屏水库"].geometry).centroid
    assert chengping.x < seat("遂昌县").x - 5_000  # west of the county town


def test_eco_projects_zhuanlan18():
    eco = gdf("eco_projects").set_index("item_no")
    assert list(eco.index) == [1, 2, 3, 4, 5]
    assert (eco["zhuanlan"] == "专栏18").all()
    assert list(eco["name"]) == ["石练镇集镇、健康产业园污水处理厂", "遂昌黄铁矿地下水污染治理试点工程",
                                 "湖山污水厂及污水管网提升改造", "城市生活垃圾收运及焚烧发电一体化项目",
                                 "湖南镇水库岸线保护及水生态修复工程"]
    assert eco.loc[1, "capacity_t_per_day"] == 1500
    assert eco.loc[3, "capacity_t_per_day"] == 2000
    five = eco.loc[5]
    assert five["eco_corridor_km"] == 61
    assert five["interception_ditch_km"] == 46
    assert five["drawdown_zone_mu"] == 6200
    assert five["convenience_facilities_count"] == 15
    assert five["landscape_nodes_count"] == 26
    assert "61km" in five["plan_text"] and "6200 亩" in five["plan_text"]
    # The plan names no site for the 黄铁矿 project: kept, without geometry.
    assert eco.loc[2, "geometry"] is None and not bool(eco.loc[2, "placed"])
    assert eco.loc[1, "geometry"].distance(seat("石练镇")) < 2_000
    assert eco.loc[3, "geometry"].distance(seat("湖山乡")) < 2_000


def test_eod_pilot_zhuanlan19():
    eod = gdf("eod_pilot")
    assert len(eod) == 1
    row = eod.iloc[0]
    assert row["name"] == "仙侠湖流域生态环境导向的开发（EOD）模式试点"
    assert row["zhuanlan"] == "专栏19"
    assert (row["start_year"], row["end_year"]) == (2020, 2026)
    contents = [row[f"content_{i}"] for i in range(1, 6)]
    assert contents[0].startswith("1.全面提升水生态环境质量")
    assert contents[1].startswith("2.高质量打造“天工之城”")
    assert contents[4].startswith("5.构建生态环境治理与产业发展的反哺机制")
    assert seat("湖山乡").within(row.geometry)
    assert row.geometry.centroid.x < seat("遂昌县").x - 15_000  # south-west of the county seat


@pytest.mark.parametrize("layer_id", ["industrial_blocks", "urban_clusters", "renewal_blocks"])
def test_zone_polygons_lie_inside_the_development_boundary(layer_id, units):
    """The 一城五区 专栏7 区块 and county-town 组团 are inside 城镇开发边界 (and 区块 inside 产业集聚)."""
    if layer_id not in SPECS:
        pytest.skip(f"{layer_id} not in the catalog")
    udb = unary_union(gdf("urban_development_boundary").geometry)
    industrial = unary_union(units[units["subtype"] == "产业集聚"].geometry)
    for name, geom in zip(gdf(layer_id)["name"], gdf(layer_id).geometry):
        assert geom.intersection(udb).area / geom.area > 0.99, name
        if layer_id == "industrial_blocks":
            assert geom.intersection(industrial).area / geom.area > 0.99, name
