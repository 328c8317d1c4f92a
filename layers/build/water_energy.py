"""水利 (专栏23) and 能源 (专栏24): water works, rivers, water supply, power and gas.

Layers written:

- ``rivers``               GSHHG/WDB-II river lines (unnamed, very generalised), schematic backdrop.
- ``river_works``          专栏23 items 3–4 (流域综合治理) drawn on the GSHHG lines.
- ``water_projects``       专栏23 items 1, 2, 5 (reservoirs, 农村供水保障工程) as points.
- ``water_supply``         water works used for 通水 distances (县城水厂, 乡镇水厂), schematic.
- ``substations``          existing OSM substations and power plants inside 遂昌 (centroids).
- ``planned_substations``  专栏24 item 1: the planned 220/110/35 kV substations, schematic.
- ``power_lines``          专栏24 item 2: planned lines, schematic; plan lengths in attributes.
- ``gas_pipelines``        专栏24 item 3: 新增中压管道, schematic.

Existing (OSM) and planned substations are split into two layers because one layer carries one
accuracy: ``substations`` is OSM geometry (权威 as to position, completeness unknown) and is
what a 通电 check measures to; ``planned_substations`` is placed by reasoning from the plan text.
No plan feature here has a surveyed position; every plan layer is 示意 and says how it was placed.
"""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import LineString, MultiLineString, Point

from common import (WORK_CRS, chengping_reservoir, county_outline, qingshuiyuan_reservoir, read_source,
                    seat, write_layer)

RIVERS_SOURCE = ("GSHHG 2.3.7 所附 World Data Bank II 河流线（Debian gmt-gshhg-full 2.3.7-6 的 "
                 "binned_river_f.nc，GMT 6.4.0 gmt coast -Ia -Df -M 导出）")
OSM_POWER_SOURCE = ("OpenStreetMap power=substation/plant 面（经 github:OpenQGIS/OMap-GeoDB "
                    "commit 8f3082b 的 oData-power，2025-02-11）")
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
PLAN = "《遂昌县国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要》"

# Plan sentences, quoted exactly (专栏23, 专栏24 and the paragraphs before them).
ZL23 = {
    1: "1.成屏二级水库扩容工程：提升县城主城区洪水防御能力，兼顾供水、灌溉、生态改善及发电等综合利用，"
       "新增总库容 7700 万 m³，新建北溪分洪隧洞，设计分洪量 210m³/s。",
    2: "2.清水源水库工程：提升县城云峰城区洪水防御能力、优化县城供水格局、增强县城水资源保障能力，"
       "修复濂溪流域水生态环境、提升发电效益，新增总库容 2200 万 m³，新增年供水能力 1400 万 m³。",
    3: "3.乌溪江流域综合治理工程：综合治理河长 177km，修复堤防 21km，改造加固护岸 120km，"
       "新建防汛抢险道路 86km，修复湿地 22 公顷。",
    4: "4.松阴河流域综合治理工程：综合治理河长 85km，加固堤岸 62km，治理岸坡 31km，美化滨水游步道 10km。",
    5: "5.农村供水保障工程：新建龙井坑、石笋头等小型供水水库和山塘；县城水厂管网延伸覆盖 5 个单村供水站，"
       "1 个乡镇水厂，1 个联村水厂；新扩建乡镇（联村）水厂 15 个；新扩建单村水厂 117 个；"
       "开展在线监控和常规水质指标检测设施等信息化建设。",
}
WATER_BODY_SUPPLY = ("新建龙井坑、金竹坑、上旦源等小型水源工程，增强湖山、大柘、高坪等重要区域水源保障能力，"
                     "新扩建乡镇（联村）水厂和单村水厂，继续提升农村饮用水安全保障水平。")
WATER_BODY_FLOOD = "加快成屏二级水库扩容工程前期工作，完成清水源水库工程建设"
ZL24 = {
    1: "1.输变电站：新建 220kV 变电站 1 座、110kV 变电站 2 座、35kV 变电 3 座。",
    2: "2.供电网线路：新建改造 220 千伏线路 25.6 公里，新增 110 千伏线路 45.7 公里。推进农村配电网优化提升，"
       "新增 10 千伏线路 123.5 公里、低压线路 85.2 公里，新增更换配变 324 台。",
    3: "3.油气工程：新增中压管道 25 公里，建设燃气管道总里程达 75 公里。",
}
POWER_BODY = ("优化用电网架结构，完善 220 千伏电网主骨架，重点加大“天工之城”、中心城区、浙江遂昌工业园区等"
              "核心区域供电保障力度，优化完善输变电工程。")
GAS_BODY = "提升城区及工业园区天然气管网覆盖率，进一步提高天然气使用普及率。"

# Offset of a schematic facility from the seat point it is placed by, so that its symbol does
# not hide the seat symbol (metres east, north).
SITE_OFFSET = (600.0, 600.0)


def _offset(point: Point, dx: float = SITE_OFFSET[0], dy: float = SITE_OFFSET[1]) -> Point:
    return Point(point.x + dx, point.y + dy)


def _km(geom) -> float | None:
    return None if geom is None else round(geom.length / 1000, 1)


def _short_of(drawn_km: float, plan_km: float, what: str, why: str) -> str:
    """The ``site_basis`` sentence of a line drawn shorter than the plan's figure."""
    return (f"图上长 {drawn_km:g} km，短于规划{what} {plan_km:g} km：{why}；"
            f"其余 {plan_km - drawn_km:.1f} km 走向未定，未画")


def _gdf(rows: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=WORK_CRS)


# ---------------------------------------------------------------- sources

def _rivers() -> gpd.GeoDataFrame:
    """The four GSHHG lines with a note on which plan river each may be (unverified)."""
    rivers = read_source("gshhg_wdbii_rivers_suichang_bbox.geojson").reset_index(drop=True)
    wangcunkou, county_seat = seat("王村口镇"), seat("遂昌县")
    outline = county_outline()
    guesses = []
    for geom in rivers.geometry:
        inside = geom.intersection(outline)
        if inside.is_empty:
            guesses.append(None)
        elif inside.distance(wangcunkou) < 2000 and _northing_span(inside) > 30000:
            guesses.append("乌溪江")
        elif inside.distance(county_seat) < 2000:
            guesses.append("松阴溪")
        else:
            guesses.append(None)
    rivers["possible_river"] = guesses
    assert sorted(g for g in guesses if g) == ["乌溪江", "松阴溪"], guesses
    return rivers


def _northing_span(geom) -> float:
    minx, miny, maxx, maxy = geom.bounds
    return maxy - miny


def _osm_power_inside() -> gpd.GeoDataFrame:
    power = read_source("osm_power_polygons_suichang_bbox.geojson")
    inside = power[power.representative_point().within(county_outline())].copy()
    return inside.sort_values(["power", "name"], na_position="last").reset_index(drop=True)


def _site(polygon) -> Point:
    centroid = polygon.centroid
    return centroid if centroid.within(polygon) else polygon.representative_point()


# ---------------------------------------------------------------- 水利

def build_rivers(rivers: gpd.GeoDataFrame) -> None:
    level_name = {3: "WDB-II 3 级（additional rivers）", 4: "WDB-II 4 级（minor rivers）"}
    rows = []
    for _, r in rivers.iterrows():
        guess = r["possible_river"] if isinstance(r["possible_river"], str) else None
        rows.append({
            "name": None,  # the source has no names
            "wdb_level": int(r["wdb_level"]),
            "wdb_class": level_name[int(r["wdb_level"])],
            "possible_river": guess,
            "identification": (f"走向与{guess}一致，源数据无名称，未核实" if guess else "未识别"),
            "length_km": _km(r.geometry),
            "geometry": r.geometry,
        })
    write_layer("rivers", _gdf(rows), f"""
id = "rivers"
title = "河流（概化底图）"
group = "水利"
geometry_type = "LineString"
data = "data.geojson"
version = "gshhg-2.3.7-wdb2"
zorder = 10
description = "GSHHG/WDB-II 概化河流线，仅作底图；源数据无河名，“可能为乌溪江/松阴溪”的判断未经核实。"
[style]
stroke = "#74a9cf"
stroke_width = 1.2
opacity = 0.9
[provenance]
source = "{RIVERS_SOURCE}"
licence = "LGPL-3+（GSHHG，Debian 版权文件）；WDB-II 一般认为属美国政府公有领域"
accuracy = "示意"
method = "取 GSHHG 中 WDB-II 3、4 级河流线在研究窗口内的 4 条，投影到 EPSG:4549；源数据约为 1:100 万–1:400 万概化线、无河名，位置误差可达数百米至千米级"
""")


def build_river_works(rivers: gpd.GeoDataFrame) -> None:
    outline = county_outline()
    line_of = {g: geom.intersection(outline) for g, geom in zip(rivers["possible_river"], rivers.geometry)
               if isinstance(g, str)}
    common = {"zhuanlan": "专栏23", "status": "规划", "placed": True}
    wuxi = line_of["乌溪江"]
    songyin = line_of["松阴溪"]
    rows = [
        {**common, "name": "乌溪江流域综合治理工程", "item_no": 3, "river": "乌溪江",
         "river_length_km": 177.0, "dike_repair_km": 21.0, "revetment_upgrade_km": 120.0,
         "flood_road_new_km": 86.0, "wetland_restore_ha": 22.0,
         "bank_reinforce_km": None, "bank_slope_treatment_km": None, "waterfront_trail_km": None,
         "drawn_length_km": _km(wuxi), "site_basis": _short_of(_km(wuxi), 177.0, "综合治理河长",
                                                               "含支流，图上只画干流"),
         "plan_text": ZL23[3], "geometry": wuxi},
        {**common, "name": "松阴河流域综合治理工程", "item_no": 4, "river": "松阴溪（专栏写作松阴河）",
         "river_length_km": 85.0, "dike_repair_km": None, "revetment_upgrade_km": None,
         "flood_road_new_km": None, "wetland_restore_ha": None,
         "bank_reinforce_km": 62.0, "bank_slope_treatment_km": 31.0, "waterfront_trail_km": 10.0,
         "drawn_length_km": _km(songyin), "site_basis": _short_of(_km(songyin), 85.0, "综合治理河长",
                                                                   "含支流，图上只画干流"),
         "plan_text": ZL23[4], "geometry": songyin},
    ]
    write_layer("river_works", _gdf(rows), f"""
id = "river_works"
title = "流域综合治理工程"
group = "水利"
geometry_type = "LineString"
data = "data.geojson"
version = "plan14-zl23-v1"
zhuanlan = ["专栏23"]
zorder = 40
description = "规划数字（综合治理河长等）含支流，远大于图上所画干流长度（drawn_length_km）。"
[style]
stroke = "#08519c"
stroke_width = 3.0
opacity = 0.8
label_field = "name"
label_color = "#08306b"
[provenance]
source = "{PLAN}专栏23第3、4项；线形取自{RIVERS_SOURCE}"
licence = "规划文本；线形 LGPL-3+（GSHHG）"
accuracy = "示意"
method = "两项治理工程画在 GSHHG 无名概化河线上（经王村口南北向的一条视为乌溪江、经县城向松阳的一条视为松阴溪，识别未核实），裁剪到县界；治理范围含支流，图上长度不是规划长度"
""")


def build_water_projects() -> None:
    rows = [
        {"name": "成屏二级水库扩容工程", "zhuanlan": "专栏23", "item_no": 1, "kind": "水库扩容",
         "stage": "前期工作", "new_storage_wan_m3": 7700.0, "tunnel_name": "北溪分洪隧洞",
         "flood_diversion_m3s": 210.0, "new_annual_supply_wan_m3": None,
         "county_network_single_village_stations": None, "county_network_township_plants": None,
         "county_network_multi_village_plants": None, "new_township_plants": None,
         "new_single_village_plants": None, "named_small_reservoirs": None, "placed": True,
         "site_basis": "县城以西约 10.5 km 示意落点，与饮用水水源保护区图层的成屏水库同点（公开资料称成屏二级水库在县城上游松阴溪上、成屏里步口村），坝址未核实",
         "plan_text": ZL23[1], "plan_text_body": WATER_BODY_FLOOD,
         "geometry": chengping_reservoir()},
        {"name": "清水源水库工程", "zhuanlan": "专栏23", "item_no": 2, "kind": "新建水库",
         "stage": "完成建设", "new_storage_wan_m3": 2200.0, "tunnel_name": None,
         "flood_diversion_m3s": None, "new_annual_supply_wan_m3": 1400.0,
         "county_network_single_village_stations": None, "county_network_township_plants": None,
         "county_network_multi_village_plants": None, "new_township_plants": None,
         "new_single_village_plants": None, "named_small_reservoirs": None, "placed": True,
         "site_basis": "在同名 OSM“清水源一级电站”上游约 2 km 示意落点，与饮用水水源保护区图层的清水源水库同点；规划称该工程修复濂溪流域水生态环境，水库坝址与库区范围未核实",
         "plan_text": ZL23[2], "plan_text_body": WATER_BODY_FLOOD,
         "geometry": qingshuiyuan_reservoir()},
        {"name": "农村供水保障工程", "zhuanlan": "专栏23", "item_no": 5, "kind": "农村供水",
         "stage": "规划", "new_storage_wan_m3": None, "tunnel_name": None,
         "flood_diversion_m3s": None, "new_annual_supply_wan_m3": None,
         "county_network_single_village_stations": 5, "county_network_township_plants": 1,
         "county_network_multi_village_plants": 1, "new_township_plants": 15,
         "new_single_village_plants": 117, "named_small_reservoirs": "龙井坑、石笋头", "placed": False,
         "site_basis": "全县性项目，规划未给位置（龙井坑、石笋头等小型水库地点不详），不落图；乡镇水厂见“供水设施”图层",
         "plan_text": ZL23[5], "plan_text_body": WATER_BODY_SUPPLY,
         "geometry": None},
    ]
    write_layer("water_projects", _gdf(rows), f"""
id = "water_projects"
title = "重大水利工程"
group = "水利"
geometry_type = "Point"
data = "data.geojson"
version = "plan14-zl23-v1"
zhuanlan = ["专栏23"]
zorder = 60
description = "专栏23第1、2、5项；第5项“农村供水保障工程”无位置，几何为空（placed = false）。"
[style]
fill = "#2171b5"
stroke = "#08306b"
stroke_width = 1.0
marker = "square"
marker_size = 10.0
label_field = "name"
label_color = "#08306b"
[provenance]
source = "{PLAN}专栏23第1、2、5项；清水源位置参考 {OSM_POWER_SOURCE}"
licence = "规划文本；清水源落点取自 OSM（ODbL 1.0）"
accuracy = "示意"
method = "水库以点示意：成屏二级水库放在县城以西约 10.5 km，清水源水库放在同名 OSM 清水源一级电站上游约 2 km（与饮用水水源保护区图层同点），坝址均未核实；农村供水保障工程无位置，几何为空"
attribution = "{OSM_ATTRIBUTION}"
""")


def build_water_supply() -> None:
    body_towns = {"湖山乡", "大柘镇", "高坪乡"}  # “增强湖山、大柘、高坪等重要区域水源保障能力”
    rows = [
        {"name": "县城水厂", "kind": "县城水厂", "township": "妙高街道", "zhuanlan": "专栏23", "item_no": 5,
         "status": "现状", "basis": "专栏23第5项“县城水厂管网延伸覆盖……”；点取县城驻地，水厂实际位置未知",
         "plan_text": ZL23[5], "geometry": seat("遂昌县")},
        {"name": "县城水厂管网", "kind": "县城水厂管网", "township": "云峰街道", "zhuanlan": "专栏23", "item_no": 2,
         "status": "现状", "basis": "专栏23第2项“优化县城供水格局”，云峰城区属县城；点取云峰街道驻地",
         "plan_text": ZL23[2], "geometry": seat("云峰街道")},
    ]
    seats = read_source("suichang_admin_seats.geojson")
    towns = seats[(seats["level"] == "town") & ~seats["name"].str.endswith("街道")].sort_values("code12")
    for _, town in towns.iterrows():
        named = town["name"] in body_towns
        rows.append({
            "name": "乡镇水厂", "kind": "乡镇水厂", "township": town["name"], "zhuanlan": "专栏23", "item_no": 5,
            "status": "现状",
            "basis": ("规划正文“增强湖山、大柘、高坪等重要区域水源保障能力”“提质增效乡镇水厂”；点取乡镇驻地"
                      if named else
                      "规划正文“提质增效乡镇水厂”、专栏23第5项“新扩建乡镇（联村）水厂 15 个”（未点名乡镇），"
                      "推定集镇有供水设施；点取乡镇驻地"),
            "plan_text": WATER_BODY_SUPPLY if named else ZL23[5],
            "geometry": town.geometry,
        })
    write_layer("water_supply", _gdf(rows), f"""
id = "water_supply"
title = "供水设施"
group = "水利"
geometry_type = "Point"
data = "data.geojson"
version = "plan14-zl23-v1"
zhuanlan = ["专栏23"]
zorder = 55
description = "用于标准地“通水”距离的示意供水点：县城水厂（县城驻地）、县城水厂管网（云峰城区）、18 个乡镇驻地的乡镇水厂。没有公开的水厂位置和管网数据，距离仅供参考。"
[style]
fill = "#6baed6"
stroke = "#08519c"
stroke_width = 0.8
marker = "circle"
marker_size = 6.0
fill_field = "kind"
[style.fill_by]
"县城水厂" = "#08519c"
"县城水厂管网" = "#3182bd"
"乡镇水厂" = "#9ecae1"
[provenance]
source = "{PLAN}第十二章（三）水资源段落与专栏23第2、5项；点位取自 Vonng/adcode 驻地点"
licence = "规划文本；驻地点 CC BY 4.0（署名 Vonng/adcode）"
accuracy = "示意"
method = "规划只说“县城水厂管网”“提质增效乡镇水厂”而不给位置：县城水厂取县城驻地点，县城水厂管网取云峰街道驻地点，乡镇水厂取 18 个乡镇驻地点（推定集镇有供水），实际水厂与管网位置未知"
""")


# ---------------------------------------------------------------- 能源

def build_substations(power: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    rows = []
    for _, p in power.iterrows():
        kv = p["MAX_kv"]
        rows.append({
            "name": p["name"] if isinstance(p["name"], str) else None,
            "power": p["power"],
            "kind": "变电站" if p["power"] == "substation" else "电站",
            "voltage_kv": float(kv) if kv == kv else None,
            "status": "现状",
            "osm_area_m2": round(p.geometry.area, 0),
            "source": "OpenStreetMap（OMap-GeoDB 2025-02-11）",
            "attribution": OSM_ATTRIBUTION,
            "geometry": _site(p.geometry),
        })
    gdf = _gdf(rows)
    write_layer("substations", gdf, f"""
id = "substations"
title = "现状变电站与电站（OSM）"
group = "能源"
geometry_type = "Point"
data = "data.geojson"
version = "omap-geodb-8f3082b"
zorder = 60
description = "OSM 中遂昌县境内的 4 个变电站（遂昌变电站 220 kV 与 3 个未命名站）和 2 个电站（清水源一级、二级电站）；OSM 完整性未知，很可能缺站。电力设施数据在国内可能敏感，发布前须确认。"
[style]
fill = "#7a0177"
stroke = "#3f007d"
stroke_width = 0.8
marker = "square"
marker_size = 8.0
fill_field = "kind"
label_field = "name"
label_color = "#49006a"
[style.fill_by]
"变电站" = "#7a0177"
"电站" = "#c51b8a"
[provenance]
source = "{OSM_POWER_SOURCE}"
licence = "ODbL 1.0"
accuracy = "权威"
method = "取代表点落在天地图县界内的 6 个 OSM 电力面，以面的质心（不在面内时取代表点）为点，投影到 EPSG:4549；位置来自 OSM，但 OSM 收录是否完整未知"
attribution = "{OSM_ATTRIBUTION}"
""")
    return gdf


PLANNED_SUBSTATIONS = [
    # (voltage class, kV, seq, seat, area named by the plan sentence POWER_BODY)
    ("220kV", 220.0, 1, "云峰街道", "浙江遂昌工业园区（城东片区，专栏7）"),
    ("110kV", 110.0, 1, "遂昌县", "中心城区"),
    ("110kV", 110.0, 2, "湖山乡", "“天工之城”（以仙侠湖为核心，湖山乡为主体）"),
    ("35kV", 35.0, 1, "石练镇", "“天工之城”主体乡镇、浙江遂昌工业园区石练片区"),
    ("35kV", 35.0, 2, "大柘镇", "“天工之城”主体乡镇"),
    ("35kV", 35.0, 3, "金竹镇", "“天工之城”主体乡镇"),
]
PLANNED_COUNTS = {"220kV": 1, "110kV": 2, "35kV": 3}


def build_planned_substations() -> gpd.GeoDataFrame:
    rows = []
    for cls, kv, seq, place, area in PLANNED_SUBSTATIONS:
        name = {"220kV": "新建 220kV 变电站", "110kV": "110kV 变电站", "35kV": "35kV 变电"}[cls]
        rows.append({
            "name": name, "zhuanlan": "专栏24", "item_no": 1, "voltage_class": cls, "voltage_kv": kv,
            "planned_count_in_class": PLANNED_COUNTS[cls], "seq_in_class": seq, "status": "规划",
            "placed": True, "site_town": place,
            "site_basis": f"规划未给站址；按“重点加大……核心区域供电保障力度”示意放在{area}，即{place}驻地东北约 0.8 km，站址为假设",
            "plan_text": ZL24[1], "plan_text_body": POWER_BODY,
            "geometry": _offset(seat(place)),
        })
    gdf = _gdf(rows)
    write_layer("planned_substations", gdf, f"""
id = "planned_substations"
title = "规划变电站"
group = "能源"
geometry_type = "Point"
data = "data.geojson"
version = "plan14-zl24-v1"
zhuanlan = ["专栏24"]
zorder = 65
description = "专栏24第1项：新建 220kV 变电站 1 座、110kV 变电站 2 座、35kV 变电 3 座，每座一个示意点；站址均为假设，不参与“通电”现状判断。"
[style]
fill = "#ae017e"
stroke = "#49006a"
stroke_width = 0.8
marker = "triangle"
marker_size = 9.0
fill_field = "voltage_class"
label_field = "name"
label_color = "#49006a"
[style.fill_by]
"220kV" = "#49006a"
"110kV" = "#ae017e"
"35kV" = "#f768a1"
[provenance]
source = "{PLAN}专栏24第1项及第十二章（四）电网段落；点位取自 Vonng/adcode 驻地点"
licence = "规划文本；驻地点 CC BY 4.0（署名 Vonng/adcode）"
accuracy = "示意"
method = "规划只给座数不给站址：按规划点名的供电保障重点区域，把 220kV 站放在工业园区城东片区（云峰）、110kV 站放在中心城区与天工之城（湖山）、35kV 站放在天工之城主体乡镇石练、大柘、金竹，各取驻地东北约 0.8 km 的示意点"
""")
    return gdf


LINE_10KV_KM = 123.5


def build_power_lines(existing: gpd.GeoDataFrame, planned: gpd.GeoDataFrame) -> None:
    suichang_220 = existing[existing["name"] == "遂昌变电站"].geometry.iloc[0]
    new_220 = planned[planned["voltage_class"] == "220kV"].geometry.iloc[0]
    new_110 = planned[planned["voltage_class"] == "110kV"].sort_values("seq_in_class").geometry.tolist()
    line_220 = LineString([suichang_220, new_220])
    line_110 = LineString([suichang_220, *new_110])

    # 10 kV: every 乡镇/街道 seat joined to its nearest substation (OSM existing or planned).
    stations = list(existing[existing["power"] == "substation"].geometry) + list(planned.geometry)
    seats = read_source("suichang_admin_seats.geojson")
    seats = seats[seats["level"] == "town"].sort_values("code12")
    feeders = []
    for name, point in zip(seats["name"], seats.geometry):
        nearest = min(stations, key=point.distance)
        if point.distance(nearest) > 100:
            feeders.append((name, LineString([nearest, point])))
    # The plan's 123.5 km is the cap: shortest feeders first while the total stays within it.
    kept, left_out, total = [], [], 0.0
    for name, feeder in sorted(feeders, key=lambda f: f[1].length):
        if total + feeder.length <= LINE_10KV_KM * 1000:
            kept.append(feeder)
            total += feeder.length
        else:
            left_out.append(name)
    line_10 = MultiLineString(kept)
    basis_10 = (f"图上 {len(kept)} 条驻地馈线共 {_km(line_10):g} km，不超过规划 {LINE_10KV_KM:g} km"
                f"（按长度由短到长取，至再加一条即超出为止）；{'、'.join(left_out)}的馈线未画")

    empty = {"distribution_transformers_units": None}
    common = {"zhuanlan": "专栏24", "item_no": 2, "status": "规划", "plan_text": ZL24[2],
              "plan_text_body": POWER_BODY}
    rows = [
        {**common, **empty, "name": "新建改造 220 千伏线路", "voltage_class": "220kV", "voltage_kv": 220.0,
         "length_km": 25.6, "drawn_length_km": _km(line_220), "placed": True,
         "route_basis": "遂昌变电站（OSM）至规划 220kV 变电站示意点的直线；规划未给走向",
         "site_basis": _short_of(_km(line_220), 25.6, "新建改造长度",
                                 "规划长度含改造的现状线路，只画新站与遂昌变电站的连接"),
         "geometry": line_220},
        {**common, **empty, "name": "新增 110 千伏线路", "voltage_class": "110kV", "voltage_kv": 110.0,
         "length_km": 45.7, "drawn_length_km": _km(line_110), "placed": True,
         "route_basis": "遂昌变电站（OSM）经中心城区至天工之城（湖山）两座规划 110kV 站示意点的折线；规划未给走向",
         "site_basis": _short_of(_km(line_110), 45.7, "新增长度", "只画两座规划站的接入"),
         "geometry": line_110},
        {**common, **empty, "name": "新增 10 千伏线路", "voltage_class": "10kV", "voltage_kv": 10.0,
         "length_km": LINE_10KV_KM, "drawn_length_km": _km(line_10), "placed": True, "site_basis": basis_10,
         "route_basis": "农村配电网：各乡镇（街道）驻地至最近变电站（OSM 现状或规划示意站）的直线；规划未给走向",
         "geometry": line_10},
        {**common, "name": "低压线路", "voltage_class": "低压", "voltage_kv": 0.4,
         "length_km": 85.2, "distribution_transformers_units": 324, "drawn_length_km": None,
         "placed": False,
         "route_basis": "村内低压线路与“新增更换配变 324 台”无位置可推，不落图",
         "site_basis": "规划未给位置，不落图",
         "geometry": None},
    ]
    write_layer("power_lines", _gdf(rows), f"""
id = "power_lines"
title = "规划供电网线路"
group = "能源"
geometry_type = "LineString"
data = "data.geojson"
version = "plan14-zl24-v1"
zhuanlan = ["专栏24"]
zorder = 40
description = "专栏24第2项。length_km 是规划长度，drawn_length_km 是图上示意线的长度，二者不同；“低压线路”（含新增更换配变 324 台）无位置，几何为空。"
[style]
stroke = "#ae017e"
stroke_width = 1.6
opacity = 0.9
dash_field = "voltage_class"
label_field = "name"
label_color = "#7a0177"
[style.dash_by]
"220kV" = []
"110kV" = [8.0, 3.0]
"10kV" = [3.0, 2.0]
"低压" = [1.0, 2.0]
[provenance]
source = "{PLAN}专栏24第2项；端点取自 {OSM_POWER_SOURCE}、Vonng/adcode 驻地点与本模块的规划变电站示意点"
licence = "规划文本；端点来自 OSM（ODbL 1.0）与 Vonng/adcode（CC BY 4.0）"
accuracy = "示意"
method = "规划只给长度不给走向：220 千伏线示意为遂昌变电站至规划 220kV 站，110 千伏线为遂昌变电站经县城至湖山的规划 110kV 站，10 千伏线为乡镇驻地至最近变电站的直线（总长不超过规划 123.5 km，取最短者）；图上长度不是规划长度，差别写在 site_basis"
attribution = "{OSM_ATTRIBUTION}"
""")


def build_gas_pipelines() -> None:
    route = LineString([seat("三仁畲族乡"), seat("遂昌县"), seat("云峰街道")])
    rows = [{
        "name": "新增中压管道", "zhuanlan": "专栏24", "item_no": 3, "pressure_class": "中压",
        "status": "规划", "new_length_km": 25.0, "network_total_length_km": 75.0,
        "drawn_length_km": _km(route), "placed": True,
        "site_basis": _short_of(_km(route), 25.0, "新增中压管道长度", "只画城西、中心城区、城东三处驻地的连线"),
        "route_basis": "“提升城区及工业园区天然气管网覆盖率”：示意为工业园区城西片区（三仁）经中心城区至城东片区（云峰）的驻地连线",
        "plan_text": ZL24[3], "plan_text_body": GAS_BODY, "geometry": route,
    }]
    write_layer("gas_pipelines", _gdf(rows), f"""
id = "gas_pipelines"
title = "规划燃气管道"
group = "能源"
geometry_type = "LineString"
data = "data.geojson"
version = "plan14-zl24-v1"
zhuanlan = ["专栏24"]
zorder = 35
description = "专栏24第3项：新增中压管道 25 公里，燃气管道总里程达 75 公里；图上一条示意线，长度不是规划长度。"
[style]
stroke = "#807dba"
stroke_width = 2.0
dash = [6.0, 2.0, 1.5, 2.0]
label_field = "name"
label_color = "#54278f"
[provenance]
source = "{PLAN}专栏24第3项及第十二章（四）供气段落；点位取自 Vonng/adcode 驻地点"
licence = "规划文本；驻地点 CC BY 4.0（署名 Vonng/adcode）"
accuracy = "示意"
method = "规划只给长度不给走向：按“城区及工业园区”示意为三仁畲族乡驻地（城西片区）经县城驻地至云峰街道驻地（城东片区）的折线，图上长度不是规划长度"
""")


def build():
    rivers = _rivers()
    build_rivers(rivers)
    build_river_works(rivers)
    build_water_projects()
    build_water_supply()
    existing = build_substations(_osm_power_inside())
    planned = build_planned_substations()
    build_power_lines(existing, planned)
    build_gas_pipelines()


if __name__ == "__main__":
    build()
