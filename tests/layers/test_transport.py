"""交通 layers (专栏20–22): what a planner sees on the 综合交通图 and in the identify panel.

Expected names, classes, periods and figures are typed from the plan text (第十二章（二）,
专栏20、21、22), not taken from the builder.
"""

import math

import pytest

from suichang_gis.catalog import load_catalog, load_layer

TRANSPORT_IDS = ("railways", "roads", "transport_projects", "airport", "bridges")

ZL21 = {
    "六纵": ["G4012（溧阳-宁德）高速公路遂昌段", "义乌至龙泉高速公路遂昌段", "兰（溪）遂（昌）龙（泉）高速公路遂昌段",
           "528 国道遂昌段", "S215 兰溪至龙泉公路遂昌段", "S311 建德至遂昌公路遂昌段"],
    "两横": ["缙云至江山（广丰）高速公路遂昌段", "S324 温岭至常山公路遂昌段"],
    "十连": ["S324 温岭至常山公路遂昌黄沙腰接线工程", "遂昌县峡北线北界至汀溪段", "遂昌县连直线连头至金矿段",
           "遂昌县小金线新路湾至庄山段", "遂昌县大桥至竹山下公路", "遂昌县高坪乡湖连村至龙游梧村乡毛连里村连接线工程",
           "遂昌县左肩至焦滩至王村口段", "X603 石练至上定段", "遂昌县白马山至大柘丁岭头段", "遂昌县北界至苏村至金华界段公路"],
}
ROAD_KIND = {
    "G4012（溧阳-宁德）高速公路遂昌段": "高速公路", "义乌至龙泉高速公路遂昌段": "高速公路",
    "兰（溪）遂（昌）龙（泉）高速公路遂昌段": "高速公路", "缙云至江山（广丰）高速公路遂昌段": "高速公路",
    "528 国道遂昌段": "国道", "S215 兰溪至龙泉公路遂昌段": "省道", "S311 建德至遂昌公路遂昌段": "省道",
    "S324 温岭至常山公路遂昌段": "省道", "S324 温岭至常山公路遂昌黄沙腰接线工程": "省道",
}

# 专栏22: name -> (status_class, period); "" = the plan gives no period
ZL22 = {
    "528 国道遂昌新路湾至石练段改建工程": ("续建", "2020-2023"),
    "S324 温岭至常山公路遂昌湖山至黄沙腰段工程": ("续建", "2020-2024"),
    "遂昌县大桥至洋浩公路工程": ("续建", "2017-2021"),
    "遂昌通用机场": ("新建", "2024-2027"),
    "衢丽铁路衢松段": ("新建", "2022-2025"),
    "义乌至龙泉高速公路遂昌段": ("新建", "2024-2027"),
    "湖山大桥建设工程": ("新建", "2021-2023"),
    "峡北线北界至应村段改建工程": ("新建", "待定"),
    "农村公路提升改造项目": ("新建", ""),
    "528 国道遂昌石练至遂昌龙泉界段改建工程": ("前期", ""),
    "S324 温岭至常山公路遂昌举於口至江山界段改建工程": ("前期", ""),
    "S215 兰溪至龙泉公路遂昌连头至金华界段": ("前期", ""),
    "S215 兰溪至龙泉公路连头至三仁段": ("前期", ""),
    "遂昌县小金线新路湾至庄山段改建工程": ("前期", ""),
    "遂昌县连直线云峰至金矿段改建工程": ("前期", ""),
    "义乌至龙泉城际铁路": ("谋划", ""),
    "缙云至江山(广丰)高速公路遂昌段": ("谋划", ""),
    "兰（溪）遂（昌）龙（泉）高速公路遂昌段": ("谋划", ""),
    "528 国道遂昌龙游界至新路湾段改建工程": ("谋划", ""),
    "S311 建德至遂昌公路遂昌衢州界-高坪-应村-金竹-湖山段": ("谋划", ""),
    "S215 兰溪至龙泉公路遂昌三仁至垵口段": ("谋划", ""),
    "大桥至竹山下公路工程": ("谋划", ""),
    "峡北线应村至汀溪段改建工程(S311 应村连接线)": ("谋划", ""),
    "高坪乡湖连村至龙游庙下乡毛连里村连接线工程": ("谋划", ""),
    "X603(三际线)公路焦滩至上定段改建工程": ("谋划", ""),
    "左肩至甲门潭段改建工程": ("谋划", ""),
    "X603(三际线)公路黄沙腰至际下段改建工程": ("谋划", ""),
    "北界至苏村至金华界改建工程": ("谋划", ""),
    "白马山至大柘丁岭头段公路工程": ("谋划", ""),
    "X614（新汀线）新路湾至白马山森林公园至汀溪村改建工程": ("谋划", ""),
    "石练至南尖岩至黄坛公路改建工程": ("谋划", ""),
}

# 专栏20: item_no -> (name, plan_class, status_class from the matching 专栏22 item)
ZL20 = {
    1: ("衢丽铁路衢松段", "实施类", "新建"),
    2: ("义金龙城际铁路", "谋划类", "谋划"),
    3: ("山地轨道交通项目", "谋划类", "谋划"),
    4: ("义乌至龙泉高速公路遂昌段", "规划类", "新建"),
    5: ("缙云至江山（广丰）高速公路", "规划类", "谋划"),
    6: ("遂昌县通用机场", "前期类", "新建"),
}


@pytest.fixture(scope="module")
def specs():
    return {s.id: s for s in load_catalog()}


@pytest.fixture(scope="module")
def layers(specs):
    return {i: load_layer(specs[i]).gdf for i in TRANSPORT_IDS}


@pytest.fixture(scope="module")
def outline(specs):
    return load_layer(specs["county_boundary"]).gdf.geometry.union_all()


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _rows(gdf, zhuanlan):
    return {r["name"]: r for _, r in gdf[gdf["zhuanlan"] == zhuanlan].iterrows()}


def test_catalog_entries(specs, layers):
    for layer_id in TRANSPORT_IDS:
        spec = specs[layer_id]
        assert spec.group == "交通"
        assert spec.provenance.accuracy == "示意" and spec.schematic
        assert spec.provenance.method.strip()
        assert spec.display_title.endswith("（示意）")
        assert layers[layer_id].crs.to_string() == "EPSG:4549"
    for layer_id in ("railways", "roads", "transport_projects"):
        assert specs[layer_id].geometry_type == "LineString"
    for layer_id in ("airport", "bridges"):
        assert specs[layer_id].geometry_type == "Point"


def test_osm_attribution_where_osm_used(specs):
    for layer_id in ("railways", "transport_projects"):
        assert specs[layer_id].provenance.attribution == "© OpenStreetMap contributors"
        assert "ODbL" in specs[layer_id].provenance.licence


def test_every_zhuanlan21_road(layers):
    roads = layers["roads"]
    assert len(roads) == 18
    assert (roads["zhuanlan"] == "专栏21").all()
    assert roads["name"].is_unique
    by_name = {r["name"]: r for _, r in roads.iterrows()}
    for role, names in ZL21.items():
        assert len(names) == {"六纵": 6, "两横": 2, "十连": 10}[role]
        for name in names:
            assert name in by_name, name
            assert by_name[name]["network_role"] == role
            assert by_name[name]["kind"] == ROAD_KIND.get(name, "县乡道"), name
    assert set(by_name) == {n for names in ZL21.values() for n in names}


def test_zhuanlan20_highway_standard_on_roads(layers):
    by_name = {r["name"]: r for _, r in layers["roads"].iterrows()}
    for name in ("义乌至龙泉高速公路遂昌段", "缙云至江山（广丰）高速公路遂昌段"):
        road = by_name[name]
        assert road["lanes"] == 4
        assert road["design_speed_kmh"] == 100
        assert road["subgrade_width_m"] == 26
    # roads not in 专栏20 carry no invented standard
    assert _blank(by_name["528 国道遂昌段"]["design_speed_kmh"])


def test_every_zhuanlan22_item_once_with_status_and_period(layers):
    frames = [layers[i] for i in ("transport_projects", "airport", "bridges")]
    found = {}
    for gdf in frames:
        for name, row in _rows(gdf, "专栏22").items():
            assert name not in found, f"{name} twice"
            found[name] = row
    assert len(ZL22) == 31
    assert set(found) == set(ZL22)
    for name, (status, period) in ZL22.items():
        assert found[name]["status_class"] == status, name
        assert (found[name]["period"] or "") == period, name
    counts = {}
    for status, _ in ZL22.values():
        counts[status] = counts.get(status, 0) + 1
    assert counts == {"续建": 3, "新建": 6, "前期": 6, "谋划": 16}
    assert found["衢丽铁路衢松段"]["start_year"] == 2022 and found["衢丽铁路衢松段"]["end_year"] == 2025


def test_every_zhuanlan20_item(layers):
    found = {}
    for layer_id in ("transport_projects", "airport"):
        found.update(_rows(layers[layer_id], "专栏20"))
    assert len(found) == 6
    for no, (name, plan_class, status) in ZL20.items():
        row = found[name]
        assert row["item_no"] == no
        assert row["plan_class"] == plan_class
        assert row["status_class"] == status
        assert row["plan_text"].startswith(f"专栏20：{no}.{name}：{plan_class}项目")
    assert found["衢丽铁路衢松段"]["design_speed_kmh"] == 250
    assert found["衢丽铁路衢松段"]["track"] == "双线"
    assert "250 公里/小时及以上" in found["衢丽铁路衢松段"]["standard_text"]
    assert found["义金龙城际铁路"]["design_speed_kmh"] == 350
    assert found["义金龙城际铁路"]["track"] == "双线"
    assert found["义金龙城际铁路"]["same_project"] == "义乌至龙泉城际铁路"
    for name in ("义乌至龙泉高速公路遂昌段", "缙云至江山（广丰）高速公路"):
        assert (found[name]["lanes"], found[name]["design_speed_kmh"], found[name]["subgrade_width_m"]) == (4, 100, 26)
    airport = found["遂昌县通用机场"]
    assert airport["airport_class"] == "A1 型通用机场"
    assert airport["min_aircraft_seats"] == 10
    assert airport["period"] == "2024-2027"


def test_railways(layers, specs):
    rail = layers["railways"]
    assert list(rail["name"]) == ["衢丽铁路衢松段", "义金龙城际铁路", "山地轨道交通项目"]
    by_name = {r["name"]: r for _, r in rail.iterrows()}
    assert by_name["衢丽铁路衢松段"]["design_speed_kmh"] == 250
    assert by_name["义金龙城际铁路"]["design_speed_kmh"] == 350
    assert "未核实" in by_name["衢丽铁路衢松段"]["placement"]
    mountain = by_name["山地轨道交通项目"]
    assert mountain.geometry is None and not mountain["placed"]
    style = specs["railways"].style
    assert style.dash_field == "status_class"
    assert set(rail["status_class"]) <= set(style.dash_by)


def test_status_dashes_distinct(specs, layers):
    style = specs["transport_projects"].style
    assert style.dash_field == "status_class"
    dashes = {k: style.dash_by[k] for k in ("续建", "新建", "前期", "谋划")}
    assert dashes["续建"] == ()
    assert len(set(dashes.values())) == 4
    assert len(dashes["前期"]) == 4  # dash-dot
    assert dashes["新建"][0] > dashes["谋划"][0]  # long dash vs dots
    assert set(layers["transport_projects"]["status_class"]) <= set(style.dash_by)


def test_unplaced_items_kept_with_attributes(layers):
    for layer_id in ("roads", "transport_projects", "railways"):
        gdf = layers[layer_id]
        for _, row in gdf.iterrows():
            if row.geometry is None or row.geometry.is_empty:
                assert not row["placed"], row["name"]
                assert row["placement"], row["name"]
            else:
                assert row["placed"], row["name"]
    projects = layers["transport_projects"]
    rural = projects[projects["name"] == "农村公路提升改造项目"].iloc[0]
    assert rural.geometry is None and rural["scope"] == "全县"
    assert projects.geometry.notna().sum() >= 18
    # A 专栏20 item drawn by its 专栏22 twin has no line of its own and names the twin.
    twins = projects[projects["drawn_with"] != ""]
    assert len(twins) == 4 and twins.geometry.isna().all()
    assert set(twins["drawn_with"]) <= set(projects[projects["zhuanlan"] == "专栏22"]["name"])


def test_lines_inside_county(layers, outline):
    zone = outline.buffer(10)
    for layer_id in ("railways", "roads", "transport_projects"):
        for _, row in layers[layer_id].iterrows():
            geom = row.geometry
            if geom is None:
                continue
            assert geom.geom_type in ("LineString", "MultiLineString")
            assert geom.length > 1000, row["name"]
            assert geom.intersection(zone).length / geom.length > 0.99, row["name"]


def test_points_placed_as_described(layers, specs, outline):
    seats = load_layer(specs["township_seats"]).gdf.set_index("name").geometry
    airport = layers["airport"]
    assert set(airport["name"]) == {"遂昌县通用机场", "遂昌通用机场"}
    # The plan gives no site: the airport is kept as attributes, not drawn on the county seat.
    assert airport.geometry.isna().all()
    assert all("选址" in p for p in airport["placement"])
    bridge = layers["bridges"].iloc[0]
    assert bridge["name"] == "湖山大桥建设工程" and bridge["period"] == "2021-2023"
    assert 300 <= bridge.geometry.distance(seats["湖山乡"]) < 3000
    assert layers["bridges"].geometry.within(outline).all()


def test_road_through_named_seats(layers, specs):
    """A line drawn from the plan's place names passes through those seats."""
    seats = load_layer(specs["township_seats"]).gdf.set_index("name").geometry
    projects = {r["name"]: r for _, r in layers["transport_projects"].iterrows()}
    line = projects["528 国道遂昌新路湾至石练段改建工程"].geometry
    assert line.distance(seats["新路湾镇"]) < 1.0 and line.distance(seats["石练镇"]) < 1.0
    s311 = projects["S311 建德至遂昌公路遂昌衢州界-高坪-应村-金竹-湖山段"].geometry
    for town in ("高坪乡", "应村乡", "金竹镇", "湖山乡"):
        assert s311.distance(seats[town]) < 1.0, town


def test_labels_not_doubled(layers):
    """Projects listed in both 专栏20 and 专栏22 are labelled once on the map."""
    for layer_id in ("transport_projects", "airport"):
        labels = [v for v in layers[layer_id]["label"] if v]
        assert len(labels) == len(set(labels))
    projects = layers["transport_projects"]
    twins = projects[(projects["zhuanlan"] == "专栏20") & (projects["same_project"] != "")]
    assert len(twins) == 4 and (twins["label"] == "").all()
