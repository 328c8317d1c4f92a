"""The 界址点坐标 TXT exchange format of 勘测定界 / 用地预审 / 建设用地报批.

Layout (see the team notes on formats)::

    [属性描述]
    坐标系=2000国家大地坐标系
    几度分带=3
    投影类型=高斯克吕格
    计量单位=米
    带号=40
    精度=0.001
    转换参数=,,,,,,
    [地块坐标]
    5,0.0100,P001,某地块,面,,工业用地,,@      ← 界址点数, 面积(公顷), 编号, 名称, 面, 图幅号, 用途, …, @
    J1,1,3165267.320,40411967.520              ← 点号, 圈号, X (northing), Y (easting, zone-prefixed)

A ring closes by repeating its first point. Rings of a parcel share its header; which ring is
a hole and which is a further part is decided by containment.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer

from ..crs import WORK_CRS
from ..units import M2_PER_HECTARE
from .finish import finish_import, rings_to_geometry
from .result import ImportResult, ParcelImportError, decode_text, read_bytes

_SECTION = re.compile(r"^\s*\[(.+?)\]\s*$")
_GEOMETRY_KINDS = ("面", "线", "点")


@dataclass
class _Parcel:
    header: list[str]
    line: int
    rings: dict[int, list[tuple[float, float, int, str]]] = field(default_factory=dict)


def _number(text: str, what: str, where: str) -> float:
    text = text.strip()
    if not text:
        raise ParcelImportError(f"{where}：缺少{what}")
    try:
        return float(text)
    except ValueError as exc:
        raise ParcelImportError(f"{where}：{what}“{text}”不是数字") from exc


def parse_survey_txt(text: str, name: str) -> tuple[dict[str, str], list[_Parcel]]:
    """Split the text into its [属性描述] entries and parcels with rings of (north, east) points."""
    meta: dict[str, str] = {}
    parcels: list[_Parcel] = []
    section = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        match = _SECTION.match(line)
        if match:
            section = match.group(1).strip()
            continue
        where = f"{name} 第 {number} 行"
        if section == "属性描述":
            key, _, value = line.partition("=")
            meta[key.strip()] = value.strip()
        elif section == "地块坐标":
            fields = [f.strip() for f in line.split(",")]
            if line.endswith("@") or (len(fields) > 4 and fields[4] in _GEOMETRY_KINDS):
                parcels.append(_Parcel(fields, number))
                continue
            fields = [f.strip() for f in line.replace("，", ",").split(",")]
            if not parcels:
                raise ParcelImportError(f"{where}：坐标行之前没有地块头行（以 @ 结尾）")
            parcel = parcels[-1]
            label = parcel.header[3] if len(parcel.header) > 3 and parcel.header[3] else f"第 {len(parcels)} 个地块"
            if len(fields) < 4:
                missing = ("点号", "圈号", "X 坐标", "Y 坐标")[len(fields)]
                raise ParcelImportError(f"{where}：地块“{label}”的点 {fields[0]} 缺少{missing}（应为 点号,圈号,X,Y）")
            ring = int(_number(fields[1], "圈号", where))
            north = _number(fields[2], f"点 {fields[0]} 的 X 坐标", where)
            east = _number(fields[3], f"点 {fields[0]} 的 Y 坐标", where)
            parcel.rings.setdefault(ring, []).append((north, east, number, fields[0]))
    if not parcels:
        raise ParcelImportError(f"{name}：没有找到 [地块坐标] 段或其中没有地块（文件可能不完整）")
    return meta, parcels


def _source_crs(meta: dict[str, str], east: np.ndarray, name: str, notes: list[str]) -> CRS:
    """The CRS the file's coordinates are in, from its declaration and the easting digits."""
    datum = meta.get("坐标系", "")
    if any(k in datum for k in ("西安", "1980", "北京", "1954")):
        raise ParcelImportError(f"{name}：文件声明的坐标系为“{datum}”。本软件只处理 CGCS2000（2000国家大地坐标系），"
                                "旧坐标系的转换需要当地转换参数，请先由测绘单位转换后再导入")
    if datum and "2000" not in datum and "WGS" not in datum.upper():
        notes.append(f"{name}：坐标系声明“{datum}”无法识别，按 2000国家大地坐标系处理")
    width = 6 if meta.get("几度分带", "3").strip() == "6" else 3
    declared = meta.get("带号", "").strip()
    if np.all(east >= 1_000_000):
        zone = int(np.median(east) // 1_000_000)
        if declared and declared.isdigit() and int(declared) != zone:
            notes.append(f"{name}：声明带号 {declared} 与 Y 坐标中的带号 {zone} 不一致，按坐标中的带号 {zone}")
        notes.append(f"{name}：Y 坐标带有带号“{zone}”，已去掉带号换算为 EPSG:4549")
        return _gk_crs(width, zone, prefixed=True, name=name)
    if declared.isdigit():
        return _gk_crs(width, int(declared), prefixed=False, name=name)
    return CRS.from_user_input(WORK_CRS)


def _gk_crs(width: int, zone: int, prefixed: bool, name: str) -> CRS:
    if width == 3 and 25 <= zone <= 45:
        return CRS.from_epsg((4513 if prefixed else 4534) + zone - 25)
    if width == 6 and 13 <= zone <= 23:
        return CRS.from_epsg((4491 if prefixed else 4502) + zone - 13)
    raise ParcelImportError(f"{name}：带号 {zone}（{width}度带）不在中国范围内")


def read_survey_txt(path: Path, **_options) -> ImportResult:
    notes: list[str] = []
    name = path.name
    meta, parcels = parse_survey_txt(decode_text(read_bytes(path), path, notes), name)
    geometries, rows = [], []
    for p in parcels:
        label = p.header[3] if len(p.header) > 3 and p.header[3] else f"第 {len(rows) + 1} 个地块"
        if not p.rings:
            raise ParcelImportError(f"{name} 第 {p.line} 行：地块“{label}”没有坐标点")
        if len(p.header) >= 5 and p.header[4] in ("线", "点"):
            raise ParcelImportError(f"{name} 第 {p.line} 行：地块“{label}”的图形属性为“{p.header[4]}”，不是面")
        rings = []
        for ring_no, points in p.rings.items():
            xy = np.array([(east, north) for north, east, _, _ in points])
            keep = np.r_[True, np.any(np.diff(xy, axis=0) != 0, axis=1)]
            if not keep.all():
                dup = [points[i] for i in np.flatnonzero(~keep)]
                notes.append(f"{name} 第 {', '.join(str(d[2]) for d in dup)} 行：地块“{label}”第 {ring_no} 圈有重复点"
                             f"（{', '.join(d[3] for d in dup)}），已去掉")
                xy = xy[keep]
            if len(xy) >= 2 and not np.all(xy[0] == xy[-1]):
                notes.append(f"{name} 第 {points[-1][2]} 行：地块“{label}”第 {ring_no} 圈未闭合（末点不等于首点），已自动闭合")
                xy = np.vstack([xy, xy[:1]])
            if len(xy) < 4:
                raise ParcelImportError(f"{name} 第 {points[0][2]} 行：地块“{label}”第 {ring_no} 圈不足 3 个不同的点，构不成面")
            rings.append(xy)
        geometries.append(rings)
        header = p.header + [""] * 8
        rows.append({"parcel_id": header[2] or None, "name": header[3] or None, "land_use": header[6] or None,
                     "_declared_ha": header[1], "_line": p.line})
    east = np.concatenate([r[:, 0] for rings in geometries for r in rings])
    north = np.concatenate([r[:, 1] for rings in geometries for r in rings])
    if 2_000_000 < np.median(east) < 6_000_000 and not 2_000_000 < np.median(north) < 6_000_000:
        notes.append(f"{name}：坐标行为“点号,圈号,Y(东),X(北)”顺序（与规范相反），已交换")
        geometries = [[r[:, ::-1] for r in rings] for rings in geometries]
        east = north
    source = _source_crs(meta, east, name, notes)
    # One transform call for every point, then cut back into rings.
    flat = np.vstack([r for rings in geometries for r in rings])
    x, y = Transformer.from_crs(source, WORK_CRS, always_xy=True).transform(flat[:, 0], flat[:, 1])
    projected = np.split(np.column_stack([x, y]), np.cumsum([len(r) for rings in geometries for r in rings])[:-1])
    shapes, start = [], 0
    for rings in geometries:
        shapes.append(rings_to_geometry(projected[start:start + len(rings)]))
        start += len(rings)
    gdf = gpd.GeoDataFrame([{k: v for k, v in r.items() if not k.startswith("_")} for r in rows],
                           geometry=shapes, crs=WORK_CRS)
    for row, shape in zip(rows, shapes):
        _check_declared_area(row, shapely.make_valid(shape).area, name, notes)
    return finish_import(gdf, path, notes, what="地块")


def _check_declared_area(row: dict, area_m2: float, name: str, notes: list[str]) -> None:
    try:
        declared = float(str(row["_declared_ha"]).replace("公顷", "")) * M2_PER_HECTARE
    except ValueError:
        return
    if declared > 0 and abs(declared - area_m2) > max(0.01 * area_m2, 1.0):
        notes.append(f"{name} 第 {row['_line']} 行：地块“{row['name'] or row['parcel_id'] or ''}”声明面积 "
                     f"{declared / M2_PER_HECTARE:.4f} 公顷，按坐标计算为 {area_m2 / M2_PER_HECTARE:.4f} 公顷，请核对")


def write_survey_txt(gdf: gpd.GeoDataFrame, path: Path, *, zone_prefix: bool = True, encoding: str = "gb18030",
                     producer: str = "", **_options) -> Path:
    """Write parcels as 界址点坐标 TXT: Y with zone 40 prefix by default, millimetre precision."""
    gdf = gdf.to_crs(WORK_CRS)
    lines = ["[属性描述]", "格式版本号=1.01", f"数据产生单位={producer}",
             f"数据产生日期={_dt.date.today():%Y-%m-%d}", "坐标系=2000国家大地坐标系", "几度分带=3",
             "投影类型=高斯克吕格", "计量单位=米", f"带号={40 if zone_prefix else ''}", "精度=0.001",
             "转换参数=,,,,,,", "[地块坐标]"]
    offset = 40_000_000.0 if zone_prefix else 0.0
    for _, row in gdf.iterrows():
        rings = [r for poly in getattr(row.geometry, "geoms", [row.geometry])
                 for r in (poly.exterior, *poly.interiors)]
        points, number = [], 0
        for ring_no, ring in enumerate(rings, start=1):
            coords = np.asarray(ring.coords)[:-1]
            first = number + 1
            for east, north in coords:
                number += 1
                points.append(f"J{number},{ring_no},{north:.3f},{east + offset:.3f}")
            points.append(f"J{first},{ring_no},{coords[0][1]:.3f},{coords[0][0] + offset:.3f}")
        fields = [str(len(points)), f"{row.geometry.area / M2_PER_HECTARE:.4f}", _clean(row.get("parcel_id")),
                  _clean(row.get("name")), "面", "", _clean(row.get("land_use")), "", "@"]
        lines.append(",".join(fields))
        lines.extend(points)
    path.write_text("\n".join(lines) + "\n", encoding=encoding, newline="\r\n")
    return path


def _clean(value) -> str:
    """Text for a comma-separated field: empty for unknown, no commas or line breaks inside."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).replace(",", "，").replace("\n", " ").replace("\r", " ")
