"""一城五区 layers (plan 第三章, 专栏4–9): every named item present, figures right, placed in the county."""


import pytest

from suichang_gis.catalog import load_catalog, load_layer
from suichang_gis.crs import WORK_CRS

LAYER_IDS = ["zones", "tiangong_bases", "urban_clusters", "renewal_blocks", "industrial_blocks",
             "red_green_clusters", "suisong_demo_zone"]
SPECS = {s.id: s for s in load_catalog()}


def layer(layer_id):
    return load_layer(SPECS[layer_id]).gdf


@pytest.fixture(scope="module")
def county():
    return layer("county_boundary").geometry.union_all()


@pytest.fixture(scope="module")
def plan_text(plan_text_raw):
    # Page breaks split sentences over blank lines; joined, the plan's sentences read whole.
    return plan_text_raw.replace("\n", "")


@pytest.mark.parametrize("layer_id", LAYER_IDS)
def test_layer_is_schematic_one_city_five_zones_in_gk(layer_id, county):
    spec = SPECS[layer_id]
    gdf = load_layer(spec).gdf
    assert spec.group == "一城五区"
    assert spec.provenance.accuracy == "示意" and spec.schematic
    assert spec.provenance.method.strip()
    assert spec.display_title.endswith("（示意）")
    assert gdf.crs.to_string() == WORK_CRS
    assert gdf.geometry.notna().all() and not gdf.geometry.is_empty.any()
    assert gdf.geometry.is_valid.all()
    # Everything lies inside the county (1 m for the centimetre rounding of the file).
    assert gdf.geometry.within(county.buffer(1.0)).all()
    for col in ("name", "zhuanlan", "plan_text"):
        assert gdf[col].notna().all() and (gdf[col].str.len() > 0).all(), col


def test_six_zones_with_their_zhuanlan():
    zones = layer("zones")
    assert dict(zip(zones["name"], zones["zhuanlan"])) == {
        "天工之城": "专栏4", "未来都市区": "专栏5", "有机更新区": "专栏6",
        "生态工业区": "专栏7", "红绿融合区": "专栏8", "乡村富民区": "专栏9"}
    by_name = zones.set_index("name")
    assert by_name.loc["乡村富民区", "spatial_scope"] == "全县。"
    assert by_name.loc["天工之城", "spatial_scope"] == \
        "以仙侠湖为核心，以湖山乡、大柘镇、石练镇、金竹镇、高坪乡等为主体，拓展至全县域。"
    assert by_name.loc["生态工业区", "spatial_scope"] == \
        "包括浙江遂昌工业园区、遂昌—诸暨山海协作产业园、石练健康产业园等。"
    assert by_name.loc["天工之城", "orientation"].startswith("通过自然力、人力、算力相互配合")
    assert bool(by_name.loc["天工之城", "scope_whole_county"]) and bool(by_name.loc["乡村富民区", "scope_whole_county"])
    # The style gives every zone its own translucent fill.
    style = SPECS["zones"].style
    assert style.fill_field == "name" and 0.2 <= style.opacity <= 0.5
    assert len({style.fill_for(n) for n in zones["name"]}) == 6


def test_zones_overlap_and_are_not_a_partition(county):
    zones = layer("zones").set_index("name").geometry
    assert zones["天工之城"].intersection(zones["乡村富民区"]).area > 0
    assert zones["红绿融合区"].intersection(zones["天工之城"]).area > 0
    assert zones.area.sum() > county.area * 1.05  # overlapping, so more than the county


def test_rural_zone_covers_the_county(county):
    rural = layer("zones").set_index("name").geometry["乡村富民区"]
    assert rural.symmetric_difference(county).area < 1e-4 * county.area
    # Every other zone and every 一城五区 feature lies inside it.
    for layer_id in LAYER_IDS:
        assert layer(layer_id).geometry.within(rural.buffer(1.0)).all(), layer_id


def test_zone_cores_contain_their_parts():
    zones = layer("zones").set_index("name").geometry
    assert layer("tiangong_bases").geometry.within(zones["天工之城"]).all()
    assert layer("urban_clusters").geometry.within(zones["未来都市区"].buffer(1.0)).all()
    assert layer("renewal_blocks").geometry.within(zones["有机更新区"].buffer(1.0)).all()
    assert layer("industrial_blocks").geometry.within(zones["生态工业区"].buffer(1.0)).all()
    assert layer("red_green_clusters").geometry.within(zones["红绿融合区"].buffer(1.0)).all()


def test_tiangong_five_bases():
    bases = layer("tiangong_bases")
    assert list(bases["name"]) == ["创业创新保障基地", "数字生态产业培训基地", "户外运动基地",
                                   "文化艺术创作基地", "农业星创基地"]
    assert list(bases["item_no"]) == [1, 2, 3, 4, 5]
    assert set(bases.geom_type) == {"Point"}
    assert "环湖绿道" in bases.set_index("name").loc["户外运动基地", "plan_text"]


def test_urban_five_clusters_around_the_county_town():
    clusters = layer("urban_clusters")
    assert list(clusters["name"]) == ["古院组团", "梅溪组团", "吴乐畈—源口组团", "东峰组团", "关雎组团"]
    assert (clusters["zhuanlan"] == "专栏5").all()
    seat = layer("township_seats").set_index("name").geometry["遂昌县"]
    assert (clusters.geometry.distance(seat) < 5000).all()
    assert ((clusters.area > 0.3e6) & (clusters.area < 3e6)).all()


def test_renewal_blocks_and_their_settlements():
    blocks = layer("renewal_blocks").set_index("name")
    assert blocks["settlement"].to_dict() == {
        "城中区块": "文化记忆型城市聚落", "城北区块": "文化记忆型城市聚落",
        "城东区块": "亲水生态型城市聚落",
        "城南区块": "文教休闲型城市聚落", "城西区块": "文教休闲型城市聚落"}
    # The five blocks tile the old town without overlapping.
    geoms = list(blocks.geometry)
    for i, a in enumerate(geoms):
        for b in geoms[i + 1:]:
            assert a.intersection(b).area < 1.0
    seat = layer("township_seats").set_index("name").geometry["遂昌县"]
    assert blocks.geometry["城中区块"].contains(seat)
    north, south = blocks.geometry["城北区块"].centroid, blocks.geometry["城南区块"].centroid
    east, west = blocks.geometry["城东区块"].centroid, blocks.geometry["城西区块"].centroid
    assert north.y > seat.y > south.y and east.x > seat.x > west.x


# 专栏7, typed from the plan: 区块 → (片区, 重点布局).
BLOCKS = {
    "连头区块": ("城东片区", "绿色建材"),
    "龙板山区块": ("城东片区", "智能装备、精细化工、新材料"),
    "毛田洋浩区块": ("城东片区", "智能装备、金属制品"),
    "庄山长濂区块": ("城东片区", "精细化工、金属制品"),
    "上江区块": ("城东片区", "新材料"),
    "大桥区块": ("城东片区", "智能装备、金属制品、精细化工及新材料"),
    "二都街区块": ("城东片区", "智能装备、金属制品"),
    "金岸区块": ("城东片区", "智能装备、金属制品"),
    "源口区块": ("城西片区", "特种纸"),
    "三仁区块": ("城西片区", "化工炸药"),
    "石练健康产业园": ("石练片区", "绿色食品加工、中药材深加工、生物医药"),
}


def test_every_industrial_block_with_its_industries():
    gdf = layer("industrial_blocks")
    blocks = gdf[gdf["kind"] == "区块"].set_index("name")
    assert set(blocks.index) == set(BLOCKS)
    for name, (parent, industries) in BLOCKS.items():
        assert blocks.loc[name, "parent_area"] == parent, name
        assert blocks.loc[name, "industries"] == industries, name
        assert industries in blocks.loc[name, "plan_text"], name
    # Plausible industrial-estate sizes.
    assert ((blocks.area > 0.3e6) & (blocks.area < 3e6)).all()
    # No two 区块 overlap.
    geoms = list(blocks.geometry)
    for i, a in enumerate(geoms):
        for b in geoms[i + 1:]:
            assert a.intersection(b).area == 0


def test_three_areas_contain_their_blocks():
    gdf = layer("industrial_blocks")
    assert set(gdf["kind"]) == {"片区", "区块"}
    areas = gdf[gdf["kind"] == "片区"].set_index("name")
    assert areas["positioning"].to_dict() == {
        "城东片区": "新兴产业引领区", "城西片区": "传统产业提升区", "石练片区": "三产融合试验区"}
    assert areas["industries"].to_dict() == {
        "城东片区": "智能装备、新材料和金属制品", "城西片区": "特种纸、精细化工",
        "石练片区": "绿色食品加工、中药材深加工、生物医药"}
    assert areas["parent_area"].isna().all()
    blocks = gdf[gdf["kind"] == "区块"]
    for _, b in blocks.iterrows():
        assert b.geometry.within(areas.geometry[b["parent_area"]].buffer(1.0)), b["name"]


def test_industrial_blocks_sit_by_their_named_places():
    blocks = layer("industrial_blocks").set_index("name").geometry
    seats = layer("township_seats").set_index("name").geometry
    town, yunfeng = seats["遂昌县"], seats["云峰街道"]
    assert blocks["三仁区块"].distance(seats["三仁畲族乡"]) < 2000
    assert blocks["石练健康产业园"].distance(seats["石练镇"]) < 2000
    assert blocks["大桥区块"].distance(yunfeng) < 1500
    assert blocks["连头区块"].centroid.y > town.y + 3000  # north of the county town
    assert blocks["源口区块"].centroid.x < town.x - 3000  # west of the county town
    for name in ("龙板山区块", "毛田洋浩区块", "庄山长濂区块", "上江区块", "二都街区块", "金岸区块"):
        c = blocks[name].centroid
        assert town.x < c.x < yunfeng.x + 1000, name  # east of the county seat, toward 云峰


RED_GREEN = {
    "王村口、龙洋、焦滩、蔡源组团": ("王村口镇", "龙洋乡", "焦滩乡", "蔡源乡"),
    "金竹镇、湖山、高坪组团": ("金竹镇", "湖山乡", "高坪乡"),
    "大柘、石练、三仁组团": ("大柘镇", "石练镇", "三仁畲族乡"),
    "云峰、濂竹组团": ("云峰街道", "濂竹乡"),
}


def test_red_green_clusters_cover_their_seats_and_carry_the_samples():
    clusters = layer("red_green_clusters").set_index("name")
    seats = layer("township_seats").set_index("name").geometry
    assert set(clusters.index) == set(RED_GREEN)
    for name, names in RED_GREEN.items():
        for s in names:
            assert clusters.geometry[name].contains(seats[s]), (name, s)
    assert clusters["yangban"].to_dict() == {
        "王村口、龙洋、焦滩、蔡源组团": "“红色文化+特色旅游”融合发展样板",
        "云峰、濂竹组团": "“红色文化+特色旅游”融合发展样板",
        "金竹镇、湖山、高坪组团": "“红色文化+生态康养”融合发展样板",
        "大柘、石练、三仁组团": "“红色文化+美丽乡村”融合发展样板"}
    assert set(clusters["yangban"]) <= set(SPECS["red_green_clusters"].style.fill_by)


def test_suisong_demo_zone_is_yunfeng_with_the_plan_figures():
    zone = layer("suisong_demo_zone")
    assert len(zone) == 1
    row = zone.iloc[0]
    assert row["name"] == "遂松乡村振兴示范区" and row["zhuanlan"] == "专栏9"
    assert row["metal_products_output_yi_yuan"] == 180
    assert row["target_year"] == 2025
    assert "古市镇" in row["continues_into"] and "赤寿乡" in row["continues_into"]
    seats = layer("township_seats").set_index("name").geometry
    assert zone.geometry.iloc[0].contains(seats["云峰街道"])
    assert not zone.geometry.iloc[0].contains(seats["遂昌县"])
    towns = layer("townships").set_index("name").geometry
    assert zone.geometry.iloc[0].symmetric_difference(towns["云峰街道"]).area < 1.0


@pytest.mark.parametrize("layer_id", LAYER_IDS)
def test_names_and_quotes_are_verbatim_from_the_plan(layer_id, plan_text):
    gdf = layer(layer_id)
    for _, row in gdf.iterrows():
        assert row["name"] in plan_text, row["name"]
        for col in ("plan_text", "spatial_scope", "orientation", "industries", "yangban"):
            if col in gdf.columns and isinstance(row[col], str):
                if col == "plan_text" and layer_id == "zones":
                    continue  # composed of the two quoted sentences checked here
                assert row[col] in plan_text, (row["name"], col)
