"""一城五区 (plan 第三章, 专栏4–9): zones, bases, clusters, renewal blocks, industrial blocks.

No public geometry exists for any of these; every layer is schematic (accuracy 示意) and is
placed from the township seats of ``layers/sources`` (``seat()``) and the names the plan gives.
Positions relative to the county seat are in km east (dx) and north (dy) of the 遂昌县 seat
point. Names, scopes and orientations are quoted verbatim from the plan.
"""

from __future__ import annotations

import math

import geopandas as gpd
import shapely
from shapely import affinity
from shapely.geometry import LineString, MultiPoint, Point, Polygon
from shapely.ops import unary_union

from common import LAYERS_DIR, WORK_CRS, county_outline, seat, write_layer, xianxia_lake

VERSION = "plan14-ch3-schematic-1"
PLAN_SOURCE = "《遂昌县国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要》第三章"
SEATS_SOURCE = "乡镇（街道）驻地点：Vonng/adcode（CC BY 4.0，坐标来源高德，GCJ-02 已转 WGS84）"
LICENCE = "规划文本为政府公开文件；驻地点 CC BY 4.0（署名 Vonng/adcode）；示意几何为本项目绘制"

KM = 1000.0


# ----------------------------------------------------------------------------------------------
# geometry helpers
# ----------------------------------------------------------------------------------------------

def _county_seat() -> Point:
    return seat("遂昌县")


def _at(dx_km: float, dy_km: float, origin: Point | None = None) -> Point:
    origin = origin or _county_seat()
    return Point(origin.x + dx_km * KM, origin.y + dy_km * KM)


def _ellipse(centre: Point, a_km: float, b_km: float, angle_deg: float = 0.0) -> Polygon:
    """An ellipse with semi-axes a (east before rotation) and b, rotated counter-clockwise."""
    disk = centre.buffer(KM, quad_segs=8)
    return affinity.rotate(affinity.scale(disk, a_km, b_km, origin=centre), angle_deg, origin=centre)


def _estate(centre: Point, length_km: float, width_km: float, angle_deg: float) -> Polygon:
    """A rounded rectangle (an industrial estate), long side at angle_deg from east."""
    core = Polygon([(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)])
    core = affinity.scale(core, (length_km - 0.16) * KM, (width_km - 0.16) * KM, origin=(0, 0))
    core = core.buffer(80, quad_segs=4)
    core = affinity.rotate(core, angle_deg, origin=(0, 0))
    return affinity.translate(core, centre.x, centre.y)


def _sector(centre: Point, r_in_km: float, r_out_km: float, bearing_deg: float,
            half_width_deg: float = 45.0) -> Polygon:
    """The part of the ring r_in..r_out around centre within ±half_width of a compass bearing."""
    ring = centre.buffer(r_out_km * KM, quad_segs=16).difference(centre.buffer(r_in_km * KM, quad_segs=16))
    far = 3 * r_out_km * KM
    pts = [(centre.x, centre.y)]
    for b in (bearing_deg - half_width_deg, bearing_deg, bearing_deg + half_width_deg):
        rad = math.radians(b)
        pts.append((centre.x + far * math.sin(rad), centre.y + far * math.cos(rad)))
    return ring.intersection(Polygon(pts))


def _clip(geom):
    return geom.intersection(county_outline())


def _east_shore(lake, frac: float, setback_m: float) -> Point:
    """The easternmost point, setback_m from the water, at a latitude frac of the way south→north."""
    xmin, ymin, xmax, ymax = lake.bounds
    y = ymin + frac * (ymax - ymin)
    band = lake.buffer(setback_m, quad_segs=8).boundary.intersection(
        LineString([(xmin - 10 * setback_m, y), (xmax + 10 * setback_m, y)]))
    return max(shapely.get_parts(band), key=lambda p: p.x)


def _gdf(rows: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=WORK_CRS)


# ----------------------------------------------------------------------------------------------
# plan text (verbatim; a page break inside a sentence is joined)
# ----------------------------------------------------------------------------------------------

ZONES = [
    {
        "name": "天工之城", "item_no": "（一）", "zhuanlan": "专栏4",
        "spatial_scope": "以仙侠湖为核心，以湖山乡、大柘镇、石练镇、金竹镇、高坪乡等为主体，拓展至全县域。",
        "orientation": "通过自然力、人力、算力相互配合，构建“生态+”“文化+”“数字+”相互促进的数字生态产业体系，"
                       "培育“新农人”、吸引“城创客”、发展新主体，全力建设以仙侠湖为核心的“天工之城—数字绿谷”，"
                       "勾勒生态经济、数字经济、分时经济有机融合的发展图景，打造绿色创新第二空间、数字人才培训工场、"
                       "山地休闲向往之地。",
        "scope_whole_county": True,
        "modelled_extent": "只画规划点名的核心区：示意仙侠湖水面与湖山乡、大柘镇、石练镇、金竹镇、高坪乡驻地的外包范围外扩 2.5 公里；"
                           "规划范围“拓展至全县域”，全县范围未画出",
    },
    {
        "name": "未来都市区", "item_no": "（二）", "zhuanlan": "专栏5",
        "spatial_scope": "包括古院组团、梅溪组团、吴乐畈—源口组团、东峰组团、关雎组团等。",
        "orientation": "以都市场景定位五大组团发展，坚持现代都市特征与山地特色并重，揽山进城、融景入城，"
                       "形成既相对集中、特色鲜明，又紧密联系、功能互补的格局，实现生产生活功能均衡，"
                       "打造山水城一体、跨越现代与未来的山水城市典范。",
        "scope_whole_county": False,
        "modelled_extent": "五大组团示意范围（见“未来都市区五大组团”图层）之并，外扩 300 米",
    },
    {
        "name": "有机更新区", "item_no": "（三）", "zhuanlan": "专栏6",
        "spatial_scope": "包括城中区块、城北区块、城东区块、城南区块、城西区块。",
        "orientation": "差序化开展老城有机更新，做精城市“微改造”，统筹推进文化记忆、亲水生态、文教休闲等城市聚落建设。"
                       "重点推进“老破旧”区块、对外窗口区块、“卡脖子”区块、功能优化区块、城市扩容区块等城市更新工作，"
                       "推动城市功能、人口、产业从解构到重构，厚植城市文化，涵养城市气质，激发老城生命活力。",
        "scope_whole_county": False,
        "modelled_extent": "城中、城北、城东、城南、城西五个区块示意范围（县城驻地周围半径约 1.5 公里）之并",
    },
    {
        "name": "生态工业区", "item_no": "（四）", "zhuanlan": "专栏7",
        "spatial_scope": "包括浙江遂昌工业园区、遂昌—诸暨山海协作产业园、石练健康产业园等。",
        "orientation": "以创建省级经济开发区为核心，以国家绿色产业示范基地建设为载体，加快推进平台“二次创业”，"
                       "实现县域工业空间有效整合优化，推进云峰、妙高、石练产业区建设，构建“一区三片”发展格局，"
                       "从单一的“生产区”向多元化的“生态区”“创新区”发展。以东城新区核心区块为重点，完善生产性、"
                       "生活性基础配套设施，以“产城融合、宜业宜居”为要求，形成空间整合、产城融合的良性发展模式。",
        "scope_whole_county": False,
        "modelled_extent": "专栏7“三片”（城东片区、城西片区、石练片区）示意范围之并；遂昌—诸暨山海协作产业园位置规划未写明，未单独画出",
    },
    {
        "name": "红绿融合区", "item_no": "（五）", "zhuanlan": "专栏8",
        "spatial_scope": "王村口、龙洋、焦滩、蔡源组团，金竹镇、湖山、高坪组团，大柘、石练、三仁组团，云峰、濂竹组团等。",
        "orientation": "依托丰富的红绿资源，做好文化、教化、活化、转化“四化”文章，提升边际效应，"
                       "打造高质量推动红色资源价值转换新典范。",
        "scope_whole_county": False,
        "modelled_extent": "四个组团示意范围（各组团所列乡镇驻地的外包范围外扩 2.5 公里，裁剪到县界）之并",
    },
    {
        "name": "乡村富民区", "item_no": "（六）", "zhuanlan": "专栏9",
        "spatial_scope": "全县。",
        "orientation": "坚持活化和退化并行，推动空间重构，加快绿色发展，促进生态价值源源不断转化为经济价值。"
                       "加快推进花园数字乡村试点建设，做好兴起乡村的业、塑好乡村的形、留住乡村的魂、补上乡村的缺、"
                       "唤回乡村的人、用活乡村的“数”的文章，利用“传统空间”装载“现代功能”，高水平建设遂松乡村振兴示范区。",
        "scope_whole_county": True,
        "modelled_extent": "全县（天地图县界）",
    },
]

ZONE_FILLS = {
    "乡村富民区": "#cde6b0",
    "天工之城": "#9fd3e0",
    "红绿融合区": "#f2a7a0",
    "生态工业区": "#d9b99b",
    "未来都市区": "#f6d58e",
    "有机更新区": "#f5b78a",
}

BASES = [
    # name, item_no, plan_text, latitude along the lake (0 = south end, 1 = north end), setback (m)
    ("创业创新保障基地", 1,
     "创业创新保障基地。以打造创新平台、推动场景应用为主要方向，重点引进生态防护、物联数智、精准时空等为核心的数字经济头部企业，"
     "配套建设科研、办公、会议等设施，开展分时封闭式研发，举办数字人才论坛等创新创业活动，着力构建数字经济产业生态圈。",
     0.80, 1000.0),
    ("数字生态产业培训基地", 2,
     "数字生态产业培训基地。主要建设阿里巴巴商学院培训基地、华友会数字人才培训中心、蜂巢计划—青年创业园等，"
     "打造以在线教育、数字人才、数字培训为主要功能的数字人才成长平台。",
     0.95, 1000.0),
    ("户外运动基地", 3,
     "户外运动基地。主要建设环湖绿道，培育发展赛艇、帆板、皮划艇、骑行等山地户外及水上运动等业态，"
     "打造集自然生态、康养运动、度假休闲于一体的山地休闲向往之地。",
     0.65, 1000.0),
    ("文化艺术创作基地", 4,
     "文化艺术创作基地。以数字文旅为主要方向，打造艺术长廊、原创工作室、画家工作室，"
     "推动音乐创作、艺术培训、在线教育、休闲体旅等业态发展。",
     0.40, 1000.0),
    ("农业星创基地", 5,
     "农业星创基地。以打造农业健康特色产品为主要方向，开展农业新品种开发试种，形成从种植到加工到销售的农业数字化全产业链，"
     "打造农业星创天地，开展农旅体验研学，推动农旅深度融合。",
     0.10, 1000.0),
]

CLUSTERS = [
    # name, item_no, plan_text, (dx, dy) km from the county seat, semi-axes (km), rotation
    ("古院组团", 1,
     "古院组团。实施古院未来社区、商业综合体、市民服务中心、后江公园等项目，"
     "打造融文化艺术、商业休闲、精品居住和创新经济于一体的遂昌城市高地。",
     (0.6, -2.5), (0.85, 0.6), 10.0),
    ("梅溪组团", 2,
     "梅溪组团。实施人民医院迁建、殡仪馆公墓迁建，谋划建设商业步行街、人才公寓等项目，打造高端商贸服务与理想住屋。",
     (2.4, -1.2), (0.8, 0.6), -30.0),
    ("吴乐畈—源口组团", 3,
     "吴乐畈—源口组团。实施遂昌三中迁建、实验小学迁建等项目，打造文教与精品居住区。",
     (-2.6, -0.2), (0.95, 0.6), 0.0),
    ("东峰组团", 4,
     "东峰组团。谋划建设汽车改装、修理基地、家居城、花卉市场等项目，打造汽车、家装、农贸等专业市场集群。",
     (4.1, -1.1), (0.8, 0.55), 20.0),
    ("关雎组团", 5,
     "关雎组团。丰富关雎文化园业态，谋划建设文化艺术街区，实施博物馆等项目，打造文旅商高度融合的标志区块。",
     (-0.4, 2.5), (0.7, 0.6), 90.0),
]

SETTLEMENTS = {
    "文化记忆型城市聚落": (1,
        "文化记忆型城市聚落。以城中、城北区块为重点，以汤显祖文化为核心，注重汤显祖纪念馆核心片区传统风貌的保留利用，"
        "通过影像、展演等手段构建多维场景，提升功能品质，延续文化传承。"),
    "亲水生态型城市聚落": (2,
        "亲水生态型城市聚落。以城东区块为重点，推进三溪口、南街区块开发利用,完善市政配套，"
        "实施叶坦区块老旧小区改造和街道综合改造等项目，打造精品居住空间、开放公共空间及慢行休闲空间。"),
    "文教休闲型城市聚落": (3,
        "文教休闲型城市聚落。以城南、城西区块为重点，推进荷花滩核心片区商业开发、南门区块老旧小区改造、户外活动空间打造等，"
        "进一步集聚教育、文体休闲资源，改善人居环境。"),
}

RENEWAL_BLOCKS = [
    # name, settlement, compass bearing of the sector (None = centre disk)
    ("城中区块", "文化记忆型城市聚落", None),
    ("城北区块", "文化记忆型城市聚落", 0.0),
    ("城东区块", "亲水生态型城市聚落", 90.0),
    ("城南区块", "文教休闲型城市聚落", 180.0),
    ("城西区块", "文教休闲型城市聚落", 270.0),
]
SETTLEMENT_FILLS = {
    "文化记忆型城市聚落": "#e07a5f",
    "亲水生态型城市聚落": "#7fb8d4",
    "文教休闲型城市聚落": "#f2cc8f",
}

AREAS = [
    # name, item_no, positioning, industries (verbatim), plan_text
    ("城东片区", 1, "新兴产业引领区", "智能装备、新材料和金属制品",
     "城东片区：新兴产业引领区。加快推动云峰区块及老工业区块的存量优化、增量优质，重点发展智能装备、新材料和金属制品等产业，"
     "打造新兴产业引领区、智能制造创新区、产城融合示范区。"),
    ("城西片区", 2, "传统产业提升区", "特种纸、精细化工",
     "城西片区：传统产业提升区。加快推动源口、三仁区块的存量更新改造，重点布局特种纸、精细化工产业，"
     "打造传统产业改造提升示范区。"),
    ("石练片区", 3, "三产融合试验区", "绿色食品加工、中药材深加工、生物医药",
     "石练片区：三产融合试验区。加快推动石练健康产业园提质扩容，重点布局绿色食品加工、中药材深加工、生物医药产业，"
     "打造生命健康特色产业基地、一二三产融合发展示范区、产镇融合示范区。"),
]

# The corridor of 城东片区 runs from the county seat to the 云峰街道 seat (东城新区).
# Blocks: name, parent, industries (verbatim), plan_text, placement, size (length, width km)
# placement: ("corridor", t_km along, s_km to the left) | ("seat", seat name, dx, dy)
#            | ("toward", seat name, distance_km) | ("county", dx, dy)
BLOCKS = [
    ("连头区块", "城东片区", "绿色建材", "连头区块重点布局绿色建材产业",
     ("toward", "新路湾镇", 4.5), (1.2, 0.6)),
    ("龙板山区块", "城东片区", "智能装备、精细化工、新材料", "龙板山区块重点布局智能装备、精细化工、新材料产业",
     ("corridor", 4.0, -0.8), (1.3, 0.7)),
    ("毛田洋浩区块", "城东片区", "智能装备、金属制品", "毛田洋浩区块重点布局智能装备、金属制品产业",
     ("corridor", 5.4, 0.7), (1.3, 0.7)),
    ("庄山长濂区块", "城东片区", "精细化工、金属制品", "庄山长濂区块重点布局精细化工、金属制品产业",
     ("corridor", 8.2, -0.9), (1.2, 0.7)),
    ("上江区块", "城东片区", "新材料", "上江区块重点布局新材料产业",
     ("corridor", 9.4, 0.8), (1.1, 0.6)),
    ("大桥区块", "城东片区", "智能装备、金属制品、精细化工及新材料",
     "大桥区块重点布局智能装备、金属制品、精细化工及新材料产业",
     ("corridor", 10.9, -0.7), (1.6, 0.9)),
    ("二都街区块", "城东片区", "智能装备、金属制品", "二都街区块、金岸区块重点布局智能装备、金属制品产业",
     ("corridor", 6.8, -0.7), (1.2, 0.6)),
    ("金岸区块", "城东片区", "智能装备、金属制品", "二都街区块、金岸区块重点布局智能装备、金属制品产业",
     ("corridor", 3.3, 0.6), (1.0, 0.6)),
    ("源口区块", "城西片区", "特种纸", "源口区块重点布局特种纸产业",
     ("county", -4.5, 0.4), (1.2, 0.6)),
    ("三仁区块", "城西片区", "化工炸药", "三仁区块重点布局化工炸药产业",
     ("seat", "三仁畲族乡", -1.0, -1.0), (0.9, 0.55)),
    ("石练健康产业园", "石练片区", "绿色食品加工、中药材深加工、生物医药",
     "加快推动石练健康产业园提质扩容，重点布局绿色食品加工、中药材深加工、生物医药产业",
     ("seat", "石练镇", 1.0, -0.8), (1.3, 0.8)),
]

PLACEMENT_NOTES = {
    "toward": "位于县城驻地往新路湾镇驻地方向（S215 沿线）{d} 公里处",
    "corridor": "位于县城驻地至云峰街道驻地（东城新区）走廊上，距县城驻地约 {t} 公里",
    "county": "位于县城驻地以西约 4.5 公里",
    "seat": "位于{name}驻地旁约 {d} 公里（偏移方向为示意，与示意三线一单产业集聚单元一致）",
}

RED_GREEN = [
    # name (as in the 空间范围 sentence), seats, 样板 item
    ("王村口、龙洋、焦滩、蔡源组团", ["王村口镇", "龙洋乡", "焦滩乡", "蔡源乡"], 1),
    ("金竹镇、湖山、高坪组团", ["金竹镇", "湖山乡", "高坪乡"], 2),
    ("大柘、石练、三仁组团", ["大柘镇", "石练镇", "三仁畲族乡"], 3),
    ("云峰、濂竹组团", ["云峰街道", "濂竹乡"], 1),
]
YANGBAN = {
    1: ("“红色文化+特色旅游”融合发展样板",
        "“红色文化+特色旅游”融合发展样板。依托王村口镇 5A 景区镇总体提升工程，沿乌溪江带动龙洋、焦滩、蔡源等，"
        "打造国家级红色旅游经典景区、区域性红色教育中心。联动云峰、濂竹等，发挥门阵国共合作抗日和谈旧址等资源特色，"
        "融合金矿景区资源，打造华东天路户外汽车越野线路，推进“红色文化+山地运动”融合发展。"),
    2: ("“红色文化+生态康养”融合发展样板",
        "“红色文化+生态康养”融合发展样板。以金竹镇为中心，联动湖山、高坪，依托金竹中药材、湖山温泉、高坪花林天府小镇等，"
        "精品化建设红色旅游集聚区和红色党建示范带，培育中药材养生、温泉养生、高山避暑等业态，建设一批疗养基地。"),
    3: ("“红色文化+美丽乡村”融合发展样板",
        "“红色文化+美丽乡村”融合发展样板。以大柘镇为中心，依托大柘古村温情小镇，联动三仁、石练，"
        "建设红色茶园、田园综合体、古街、研学营地等，创新红色文化与产业多维度融合，推进“红色与绿色”“红色与古色”融合发展。"),
}
YANGBAN_CENTRE = {1: "王村口镇", 2: "金竹镇", 3: "大柘镇"}
YANGBAN_FILLS = {
    "“红色文化+特色旅游”融合发展样板": "#ef8a80",
    "“红色文化+生态康养”融合发展样板": "#f4b183",
    "“红色文化+美丽乡村”融合发展样板": "#e9a3c9",
}

SUISONG_TEXT = (
    "发挥遂松地缘相近、人缘相亲优势，以遂昌云峰街道和松阳古市镇、赤寿乡为空间载体，整合两县优质产业要素，"
    "打造“万亩千亿”产业平台，重点培育精密制造产业集群、绿色能源基地及绿色农产品精深加工集聚平台，推进组团招商，"
    "主动承接产业转移，到 2025 年，争取休闲农业、乡村旅游、农产品精深加工、智能制造产值实现翻一番，"
    "金属制品总产值达 180 亿元。")


# ----------------------------------------------------------------------------------------------
# layer builders
# ----------------------------------------------------------------------------------------------

def _tiangong_bases() -> gpd.GeoDataFrame:
    lake = xianxia_lake()
    rows = []
    for name, no, text, frac, setback in BASES:
        rows.append({
            "name": name, "zhuanlan": "专栏4", "item_no": no, "zone": "天工之城",
            "plan_text": text,
            "placement": f"示意仙侠湖东岸离水面约 {setback:g} 米处（湖面南北跨度自南起 {frac:.0%} 的纬度），规划未写明具体位置",
            "geometry": _east_shore(lake, frac, setback),
        })
    return _gdf(rows)


def _urban_clusters() -> gpd.GeoDataFrame:
    rows = []
    for name, no, text, (dx, dy), (a, b), rot in CLUSTERS:
        rows.append({"name": name, "zhuanlan": "专栏5", "item_no": no, "zone": "未来都市区",
                     "plan_text": text, "geometry": _clip(_ellipse(_at(dx, dy), a, b, rot))})
    gdf = _gdf(rows)
    gdf["area_km2"] = (gdf.geometry.area / 1e6).round(2)
    return gdf


def _renewal_blocks() -> gpd.GeoDataFrame:
    centre = _county_seat()
    rows = []
    for name, settlement, bearing in RENEWAL_BLOCKS:
        geom = centre.buffer(600, quad_segs=16) if bearing is None else _sector(centre, 0.6, 1.5, bearing)
        no, text = SETTLEMENTS[settlement]
        rows.append({"name": name, "zhuanlan": "专栏6", "item_no": no, "zone": "有机更新区",
                     "settlement": settlement, "plan_text": text, "geometry": geom})
    gdf = _gdf(rows)
    gdf["area_km2"] = (gdf.geometry.area / 1e6).round(2)
    return gdf


def _block_centre(placement) -> tuple[Point, float, str]:
    """Centre, long-axis angle (deg from east) and a Chinese placement note."""
    c = _county_seat()
    kind = placement[0]
    if kind == "corridor":
        _, t, s = placement
        y = seat("云峰街道")
        ux, uy = (y.x - c.x), (y.y - c.y)
        n = math.hypot(ux, uy)
        ux, uy = ux / n, uy / n
        p = Point(c.x + (t * ux - s * uy) * KM, c.y + (t * uy + s * ux) * KM)
        return p, math.degrees(math.atan2(uy, ux)), PLACEMENT_NOTES["corridor"].format(t=f"{t:g}")
    if kind == "toward":
        _, target, d = placement
        y = seat(target)
        ux, uy = (y.x - c.x), (y.y - c.y)
        n = math.hypot(ux, uy)
        p = Point(c.x + d * KM * ux / n, c.y + d * KM * uy / n)
        return p, math.degrees(math.atan2(uy, ux)), PLACEMENT_NOTES["toward"].format(d=f"{d:g}")
    if kind == "county":
        _, dx, dy = placement
        return _at(dx, dy), 0.0, PLACEMENT_NOTES["county"]
    _, name, dx, dy = placement
    return _at(dx, dy, seat(name)), 0.0, PLACEMENT_NOTES["seat"].format(name=name, d=f"{math.hypot(dx, dy):.1f}")


def _industrial_blocks() -> gpd.GeoDataFrame:
    blocks = []
    for name, parent, industries, text, placement, (length, width) in BLOCKS:
        centre, angle, note = _block_centre(placement)
        blocks.append({"name": name, "kind": "区块", "parent_area": parent, "zhuanlan": "专栏7",
                       "item_no": next(no for a, no, *_ in AREAS if a == parent),
                       "positioning": None, "industries": industries, "plan_text": text,
                       "placement": note, "geometry": _clip(_estate(centre, length, width, angle))})
    areas = []
    for name, no, positioning, industries, text in AREAS:
        members = [b["geometry"] for b in blocks if b["parent_area"] == name]
        geom = _clip(unary_union(members).buffer(300, quad_segs=4))
        areas.append({"name": name, "kind": "片区", "parent_area": None, "zhuanlan": "专栏7",
                      "item_no": no, "positioning": positioning, "industries": industries,
                      "plan_text": text,
                      "placement": "所属区块示意范围之并外扩 300 米", "geometry": geom})
    # 片区 first so the 区块 draw on top of them.
    gdf = _gdf(areas + blocks)
    gdf["area_km2"] = (gdf.geometry.area / 1e6).round(2)
    return gdf


def _red_green_clusters() -> gpd.GeoDataFrame:
    rows = []
    for name, seats, yb in RED_GREEN:
        pts = MultiPoint([seat(s) for s in seats])
        geom = _clip(pts.convex_hull.buffer(2500, quad_segs=8))
        yb_name, yb_text = YANGBAN[yb]
        rows.append({"name": name, "zhuanlan": "专栏8", "item_no": None, "zone": "红绿融合区",
                     "seats": "、".join(seats), "yangban": yb_name, "yangban_item_no": yb,
                     "yangban_centre": YANGBAN_CENTRE[yb] if YANGBAN_CENTRE[yb] in seats else None,
                     "plan_text": yb_text, "geometry": geom})
    gdf = _gdf(rows)
    gdf["area_km2"] = (gdf.geometry.area / 1e6).round(1)
    return gdf


def _yunfeng_area():
    """云峰街道's schematic area from the 行政区划 layer ``townships`` (Voronoi of the seats)."""
    towns = gpd.read_file(LAYERS_DIR / "townships" / "data.geojson").to_crs(WORK_CRS)
    return towns[towns["name"] == "云峰街道"].geometry.iloc[0]


def _suisong_demo_zone() -> gpd.GeoDataFrame:
    row = {
        "name": "遂松乡村振兴示范区", "zhuanlan": "专栏9", "item_no": None, "zone": "乡村富民区",
        "part": "遂昌部分（云峰街道）",
        "carrier": "遂昌云峰街道和松阳古市镇、赤寿乡",
        "continues_into": "松阳县古市镇、赤寿乡（不在本图层范围内）",
        "platform": "“万亩千亿”产业平台",
        "key_industries": "精密制造产业集群、绿色能源基地及绿色农产品精深加工集聚平台",
        "doubling_target": "休闲农业、乡村旅游、农产品精深加工、智能制造产值实现翻一番",
        "target_year": 2025,
        "metal_products_output_yi_yuan": 180.0,
        "plan_text": SUISONG_TEXT,
        "geometry": _yunfeng_area(),
    }
    gdf = _gdf([row])
    gdf["area_km2"] = (gdf.geometry.area / 1e6).round(1)
    return gdf


def _zones(parts: dict) -> gpd.GeoDataFrame:
    core = unary_union([xianxia_lake()] + [seat(s) for s in ("湖山乡", "大柘镇", "石练镇", "金竹镇", "高坪乡")])
    geoms = {
        "天工之城": _clip(core.convex_hull.buffer(2500, quad_segs=8)),
        "未来都市区": _clip(unary_union(list(parts["urban_clusters"].geometry)).buffer(300, quad_segs=8)),
        "有机更新区": unary_union(list(parts["renewal_blocks"].geometry)),
        "生态工业区": unary_union(list(parts["industrial_blocks"].query("kind == '片区'").geometry)),
        "红绿融合区": unary_union(list(parts["red_green_clusters"].geometry)),
        "乡村富民区": county_outline(),
    }
    rows = []
    for z in ZONES:
        plan_text = f"空间范围。{z['spatial_scope']}发展导向。{z['orientation']}"
        rows.append({**z, "plan_text": plan_text, "geometry": geoms[z["name"]]})
    gdf = _gdf(rows)
    gdf["area_km2"] = (gdf.geometry.area / 1e6).round(1)
    # Largest first, so the small zones draw on top of the county-wide ones.
    return gdf.sort_values("area_km2", ascending=False, kind="stable").reset_index(drop=True)


# ----------------------------------------------------------------------------------------------

def _toml_map(mapping: dict) -> str:
    return "{ " + ", ".join(f'"{k}" = "{v}"' for k, v in mapping.items()) + " }"


def build():
    parts = {
        "tiangong_bases": _tiangong_bases(),
        "urban_clusters": _urban_clusters(),
        "renewal_blocks": _renewal_blocks(),
        "industrial_blocks": _industrial_blocks(),
        "red_green_clusters": _red_green_clusters(),
        "suisong_demo_zone": _suisong_demo_zone(),
    }
    zones = _zones(parts)

    write_layer("zones", zones, f"""
id = "zones"
title = "“一城五区”生产力布局"
group = "一城五区"
geometry_type = "Polygon"
data = "data.geojson"
version = "{VERSION}"
zhuanlan = ["专栏4", "专栏5", "专栏6", "专栏7", "专栏8", "专栏9"]
zorder = 10
description = "六个区相互重叠，不是分区：天工之城“拓展至全县域”、乡村富民区为“全县”；天工之城只画规划点名的核心区（见 modelled_extent 字段）"
[style]
stroke = "#6b6b6b"
stroke_width = 0.8
opacity = 0.35
fill_field = "name"
fill_by = {_toml_map(ZONE_FILLS)}
label_field = "name"
label_size = 10.0
[provenance]
source = "{PLAN_SOURCE}（一）至（六）空间范围；{SEATS_SOURCE}；天地图县界"
licence = "{LICENCE}"
accuracy = "示意"
method = "按规划“空间范围”所列地名的驻地点示意绘制：天工之城为示意仙侠湖水面（与生态图层同一画法）与五个乡镇驻地外包外扩 2.5 公里，未来都市区、有机更新区、生态工业区、红绿融合区为各自组团（区块、片区）示意范围之并，乡村富民区取全县县界"
""")

    write_layer("tiangong_bases", parts["tiangong_bases"], f"""
id = "tiangong_bases"
title = "天工之城“五大基地”"
group = "一城五区"
geometry_type = "Point"
data = "data.geojson"
version = "{VERSION}"
zhuanlan = ["专栏4"]
zorder = 60
description = "规划未写明各基地位置，点位仅示意其在仙侠湖周边"
[style]
fill = "#1b8a9e"
stroke = "#ffffff"
stroke_width = 0.8
marker = "star"
marker_size = 10.0
label_field = "name"
label_size = 8.0
label_color = "#0f5563"
[provenance]
source = "{PLAN_SOURCE}专栏4；{SEATS_SOURCE}"
licence = "{LICENCE}"
accuracy = "示意"
method = "规划未给出基地位置：五个基地自南向北排在示意仙侠湖（GSHHG 河流线乌溪江段加宽至 32 平方公里，与生态图层同一画法）东岸离水面约 1 公里处，创业创新保障基地在湖山乡驻地旁，仅示意其在仙侠湖周边"
""")

    write_layer("urban_clusters", parts["urban_clusters"], f"""
id = "urban_clusters"
title = "未来都市区“五大组团”"
group = "一城五区"
geometry_type = "Polygon"
data = "data.geojson"
version = "{VERSION}"
zhuanlan = ["专栏5"]
zorder = 40
[style]
fill = "#f6c667"
stroke = "#b7791f"
stroke_width = 0.8
opacity = 0.55
label_field = "name"
label_size = 8.0
[provenance]
source = "{PLAN_SOURCE}专栏5；{SEATS_SOURCE}"
licence = "{LICENCE}"
accuracy = "示意"
method = "规划未给出组团范围：在县城驻地外 2.5–4.3 公里处环绕老城各画一个约 1.3–1.8 平方公里的椭圆，吴乐畈—源口组团在西、东峰组团在东往云峰方向，其余方位为示意排布，未经核实"
""")

    write_layer("renewal_blocks", parts["renewal_blocks"], f"""
id = "renewal_blocks"
title = "有机更新区区块与“三大聚落”"
group = "一城五区"
geometry_type = "Polygon"
data = "data.geojson"
version = "{VERSION}"
zhuanlan = ["专栏6"]
zorder = 45
[style]
stroke = "#8c4a2f"
stroke_width = 0.8
opacity = 0.55
fill_field = "settlement"
fill_by = {_toml_map(SETTLEMENT_FILLS)}
label_field = "name"
label_size = 8.0
[provenance]
source = "{PLAN_SOURCE}（三）与专栏6；{SEATS_SOURCE}"
licence = "{LICENCE}"
accuracy = "示意"
method = "以县城驻地为中心：城中区块为半径 0.6 公里的圆，城北、城东、城南、城西区块为 0.6–1.5 公里环带中朝北、东、南、西各 90° 的扇区，按区块名称方位示意，聚落归属取自专栏6"
""")

    write_layer("industrial_blocks", parts["industrial_blocks"], f"""
id = "industrial_blocks"
title = "浙江遂昌经济开发区“三片”与区块"
group = "一城五区"
geometry_type = "Polygon"
data = "data.geojson"
version = "{VERSION}"
zhuanlan = ["专栏7"]
zorder = 30
description = "kind = 片区 的要素是所属区块之并外扩 300 米；“云峰区块”“老工业区块”为城东片区内的统称，规划未列其组成，未单独画出"
[style]
stroke = "#6f4e37"
stroke_width = 0.8
opacity = 0.6
fill_field = "kind"
fill_by = {{ "片区" = "#eadbc8", "区块" = "#a9825a" }}
label_field = "name"
label_size = 8.0
[provenance]
source = "{PLAN_SOURCE}专栏7；{SEATS_SOURCE}"
licence = "{LICENCE}"
accuracy = "示意"
method = "按区块名称所指地点示意布置约 0.5–1.5 平方公里的圆角矩形：连头区块在县城北 S215 沿线，城东片区其余区块排在县城驻地至云峰街道驻地走廊上，源口区块在县城西，三仁区块、石练健康产业园在三仁畲族乡、石练镇驻地旁 1.3–1.4 公里；片区为所属区块之并外扩 300 米"
""")

    write_layer("red_green_clusters", parts["red_green_clusters"], f"""
id = "red_green_clusters"
title = "红绿融合区组团与“三大样板”"
group = "一城五区"
geometry_type = "Polygon"
data = "data.geojson"
version = "{VERSION}"
zhuanlan = ["专栏8"]
zorder = 20
[style]
stroke = "#2e7d32"
stroke_width = 1.2
opacity = 0.4
fill_field = "yangban"
fill_by = {_toml_map(YANGBAN_FILLS)}
label_field = "name"
label_size = 9.0
[provenance]
source = "{PLAN_SOURCE}（五）与专栏8；{SEATS_SOURCE}；天地图县界"
licence = "{LICENCE}"
accuracy = "示意"
method = "每个组团取其名称所列乡镇（街道）驻地点的凸包外扩 2.5 公里并裁剪到县界，所属样板按专栏8各样板联动的乡镇归属"
""")

    write_layer("suisong_demo_zone", parts["suisong_demo_zone"], f"""
id = "suisong_demo_zone"
title = "遂松乡村振兴示范区（遂昌部分）"
group = "一城五区"
geometry_type = "Polygon"
data = "data.geojson"
version = "{VERSION}"
zhuanlan = ["专栏9"]
zorder = 25
description = "示范区以遂昌云峰街道和松阳古市镇、赤寿乡为空间载体，本图层只画遂昌部分，向东延伸入松阳县"
[style]
fill = "#b8e0d2"
stroke = "#2a9d8f"
stroke_width = 1.5
dash = [6.0, 3.0]
opacity = 0.35
label_field = "name"
label_size = 9.0
[provenance]
source = "{PLAN_SOURCE}专栏9；乡镇（街道）范围图层（由 Vonng/adcode 驻地点推算的泰森多边形，示意）"
licence = "{LICENCE}"
accuracy = "示意"
method = "取“乡镇（街道）范围”示意图层中的云峰街道（驻地点泰森多边形裁剪到县界）作为示范区的遂昌部分，松阳古市镇、赤寿乡部分未画出"
""")


if __name__ == "__main__":
    build()
