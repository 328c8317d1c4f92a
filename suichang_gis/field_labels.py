"""Chinese labels of every field the workbench shows: the one table of field labels.

Field names stay ASCII (GeoPackage/Shapefile columns that open in QGIS); people read the labels.
Identify, the attribute form, web-map popups, reports and exports all call ``field_label``.
Parcel fields take their labels from ``suichang_gis.parcel.PARCEL_FIELDS`` (with the unit);
the catalog layers' fields and the check columns are listed here. A field missing from the
table shows under its own name, so nothing is hidden.
"""

from __future__ import annotations

from .parcel import PARCEL_FIELDS

# Fields of the default catalog layers (``layers/*/data``), the check columns of the parcel layer.
_LAYER_FIELDS = {
    "name": "名称", "label": "标注", "kind": "类型", "type": "类型", "subtype": "子类", "level": "级别",
    "status": "状态", "note": "备注", "basis": "依据", "source": "来源", "attribution": "署名",
    "adcode": "行政区划代码", "code12": "统计用区划代码（12 位）", "area_km2": "面积（km²）",
    "area_mu": "面积（亩）", "area_name": "片区名称", "township": "乡镇（街道）", "townships": "涉及乡镇（街道）",
    "item_no": "条目序号", "zhuanlan": "规划专栏", "spatial_scope": "空间范围", "orientation": "发展导向",
    "scope_whole_county": "范围为全县", "modelled_extent": "图上范围", "plan_text": "规划原文",
    "plan_text_body": "规划原文（正文）", "zone": "功能区", "seats": "涉及乡镇驻地", "yangban": "样板",
    "yangban_item_no": "样板序号", "yangban_centre": "样板中心", "part": "组成部分", "carrier": "承载地",
    "continues_into": "延伸至", "platform": "产业平台", "key_industries": "主导产业",
    "doubling_target": "翻番目标", "target_year": "目标年份", "metal_products_output_yi_yuan": "金属制品产值（亿元）",
    "parent_area": "所属片区", "positioning": "功能定位", "industries": "产业方向", "placement": "落图方法",
    "settlement": "聚落类型", "seq": "序号", "network_role": "路网组成", "road_state": "建设状态",
    "design_speed_kmh": "设计速度（km/h）", "lanes": "车道数", "subgrade_width_m": "路基宽度（m）",
    "track": "轨道制式", "standard_text": "技术标准", "airport_class": "机场等级",
    "min_aircraft_seats": "最小机型座位数", "zl22_projects": "专栏22 项目", "placed": "已落图",
    "via": "走向", "unplaced_part": "未落图路段", "plan_class": "规划类别", "status_class": "建设性质",
    "status_source": "状态出处", "period": "建设期", "start_year": "开工年份", "end_year": "完工年份",
    "same_project": "同一工程", "network_road": "所属路网", "scope": "建设内容",
    "wdb_level": "河流等级（WDB）", "wdb_class": "河流分级（WDB）", "possible_river": "可能的河名",
    "identification": "识别状态", "length_km": "长度（km）", "river": "河流", "river_length_km": "河长（km）",
    "dike_repair_km": "堤防加固（km）", "revetment_upgrade_km": "护岸提升（km）", "flood_road_new_km": "新建防汛道路（km）",
    "wetland_restore_ha": "湿地修复（公顷）", "bank_reinforce_km": "岸坡加固（km）",
    "bank_slope_treatment_km": "岸坡整治（km）", "waterfront_trail_km": "滨水绿道（km）",
    "drawn_length_km": "图上长度（km）", "stage": "阶段", "new_storage_wan_m3": "新增库容（万 m³）",
    "tunnel_name": "隧洞名称", "flood_diversion_m3s": "分洪流量（m³/s）",
    "new_annual_supply_wan_m3": "新增年供水量（万 m³）",
    "county_network_single_village_stations": "县级管网延伸单村水站（个）",
    "county_network_township_plants": "县级管网延伸乡镇水厂（个）",
    "county_network_multi_village_plants": "县级管网延伸联村水厂（个）",
    "new_township_plants": "新建乡镇水厂（个）", "new_single_village_plants": "新建单村水站（个）",
    "named_small_reservoirs": "小型水库", "site_basis": "选址依据", "pressure_class": "压力级制",
    "new_length_km": "新建长度（km）", "network_total_length_km": "管网总长（km）", "route_basis": "走向依据",
    "distribution_transformers_units": "配电变压器（台）", "voltage_class": "电压等级", "voltage_kv": "电压（kV）",
    "power": "电力设施类型", "osm_area_m2": "OSM 面积（m²）", "planned_count_in_class": "同类规划数量",
    "seq_in_class": "同类序号", "site_town": "所在乡镇", "unit_code": "管控单元编码", "unit_name": "管控单元名称",
    "manage_class": "管控类别", "admission_key": "准入清单", "published_class_area_km2": "公布的同类面积（km²）",
    "plan_blocks": "规划区块", "redline_share": "生态保护红线占比", "water_quality_target": "水质目标",
    "air_quality_target": "空气质量目标", "water_quality_status": "水质现状", "air_quality_status": "空气质量现状",
    "cod_headroom_t_a": "化学需氧量余量（吨/年）", "ammonia_headroom_t_a": "氨氮余量（吨/年）",
    "so2_headroom_t_a": "二氧化硫余量（吨/年）", "nox_headroom_t_a": "氮氧化物余量（吨/年）",
    "water_use_cap_wan_m3_a": "用水总量上限（万 m³/年）", "energy_cap_wan_tce_a": "能耗上限（万吨标煤/年）",
    "land_use_cap_km2": "建设用地上限（km²）", "concept": "理念", "content_1": "内容一", "content_2": "内容二",
    "content_3": "内容三", "content_4": "内容四", "content_5": "内容五",
    "area_km2_schematic": "示意面积（km²）", "area_is_schematic": "面积为示意", "water_body": "水体",
    "contains_industrial_block": "含工业区块", "capacity_t_per_day": "处理能力（吨/日）",
    "capacity_is_approx": "处理能力为约数", "eco_corridor_km": "生态廊道（km）",
    "interception_ditch_km": "截水沟（km）", "drawdown_zone_mu": "消落带（亩）",
    "convenience_facilities_count": "便民设施（处）", "landscape_nodes_count": "景观节点（处）",
    "location_note": "位置说明", "plan_item": "规划项目", "drawn_with": "与之共用图形的项目",
    "city": "所属地级市", "province": "所属省",
    # the parcel layer on the map, coloured by check status (suichang_gis.parcel_layer)
    "check_status": "核查结论", "check_findings": "核查意见", "fid": "要素编号",
}


def _parcel_label(field) -> str:
    return f"{field.label}（{field.unit}）" if field.unit else field.label


PARCEL_LABELS: dict[str, str] = {f.name: _parcel_label(f) for f in PARCEL_FIELDS}
# A field name both tables use ("name") reads as the layers' generic label outside parcels.
FIELD_LABELS: dict[str, str] = PARCEL_LABELS | _LAYER_FIELDS


def field_label(name, parcel: bool = False) -> str:
    """The Chinese label of field ``name`` (with its unit), or the name itself when unknown.

    ``parcel``: the field belongs to candidate parcels (``name`` is then 项目名称, not 名称).
    """
    key = str(name)
    return (PARCEL_LABELS.get(key) if parcel else None) or FIELD_LABELS.get(key, key)


def labelled(attributes: dict, parcel: bool = False) -> dict[str, object]:
    """``attributes`` with each key replaced by its Chinese label (order kept).

    Two fields with the same label keep both values: the second gets its field name appended.
    """
    out: dict[str, object] = {}
    for key, value in attributes.items():
        label = field_label(key, parcel)
        out[label if label not in out else f"{label}（{key}）"] = value
    return out
