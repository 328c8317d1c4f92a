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
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer

from ..crs import WORK_CRS
from ..units import M2_PER_HECTARE
from .datum import old_datum, parse_towgs84, refuse_old_datum, with_towgs84
from .finish import PLACE_COLUMN, finish_import, rings_to_geometry
from .result import ImportResult, ParcelImportError, Skipped, decode_text, read_bytes

_SECTION = re.compile(r"^\s*\[(.+?)\]\s*$")
# Full-width separators typed with a Chinese input method, read as their ASCII twins.
_FULL_WIDTH = str.maketrans({"，": ",", "＠": "@", "＝": "=", "　": " ", "［": "[", "］": "]", "【": "[", "】": "]",
                             "：": ":", "；": ";"})
_FULL_WIDTH_BUT_COMMA = {k: v for k, v in _FULL_WIDTH.items() if k != ord("，")}
_FULL_WIDTH_ALNUM = {c: c - 0xFEE0 for r in ("０９", "ＡＺ", "ａｚ", "．．", "－－") for c in range(ord(r[0]), ord(r[1]) + 1)}
_GEOMETRY_KINDS = ("面", "线", "点")


@dataclass
class _Parcel:
    header: list[str]
    line: int
    rings: dict[int, list[tuple[float, float, int, str]]] = field(default_factory=dict)


def _number(text: str, what: str, where: str) -> float:
    """A finite number; full-width digits, point and minus (０-９ ． －) are read as ASCII."""
    text = text.translate(_FULL_WIDTH_ALNUM).strip()
    if not text:
        raise ParcelImportError(f"{where}：缺少{what}")
    try:
        value = float(text)
    except ValueError as exc:
        raise ParcelImportError(f"{where}：{what}“{text}”不是数字") from exc
    if not math.isfinite(value):
        raise ParcelImportError(f"{where}：{what}“{text}”不是有限数值（nan 或无穷大），文件可能损坏，请修正该行")
    return value


def parse_survey_txt(text: str, name: str) -> tuple[dict[str, str], list[_Parcel]]:
    """Split the text into its [属性描述] entries and parcels with rings of (north, east) points."""
    meta: dict[str, str] = {}
    parcels: list[_Parcel] = []
    section = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.translate(_FULL_WIDTH).strip()
        if not line:
            continue
        match = _SECTION.match(line)
        if match:
            section = match.group(1).strip()
            continue
        where = f"{name} 第 {number} 行"
        if section is None and "," in line:
            section = "地块坐标"  # a bare list of parcels without any section header
            meta["_无段名"] = "1"
        if section == "属性描述":
            key, sep, value = line.partition("=")
            if not sep:
                key, _, value = line.partition(":")
            meta[key.strip()] = value.strip()
        elif section == "转换参数":  # "dx,dy,dz,…" on one line, or one "DX=…" per line, in order
            value = line.partition("=")[2] if "=" in line else line
            meta["转换参数"] = ",".join(v for v in (meta.get("转换参数", "").strip(", "), value.strip()) if v)
        elif section == "地块坐标":
            fields = [f.strip() for f in line.split(",")]
            if line.endswith("@") or (len(fields) > 4 and fields[4] in _GEOMETRY_KINDS):
                # A header written with ASCII commas keeps a "，" inside a name as text (our writer
                # puts one there for a comma); one typed with "，" throughout is split on them.
                own = [f.strip() for f in raw.translate(_FULL_WIDTH_BUT_COMMA).strip().split(",")]
                if len(own) >= 6 and own[-1] == "@" and own[4] in _GEOMETRY_KINDS:
                    fields = own
                # Count, area and 地块编号 are ASCII in the standard: full-width digits and letters
                # typed with a Chinese input method are read as ASCII; names keep their characters.
                fields[:3] = [f.translate(_FULL_WIDTH_ALNUM) for f in fields[:3]]
                parcels.append(_Parcel(fields, number))
                continue
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


def _source_crs(meta: dict[str, str], east: np.ndarray, name: str, notes: list[str],
                towgs84: tuple[float, ...] | None = None) -> CRS:
    """The CRS the file's coordinates are in, from its declaration and the easting digits.

    Without a 几度分带 line the zone prefix decides: over China the 6° zones are numbered
    13–23 and the 3° zones 24–45 (GB/T 17798 / CH/T 2014 numbering), so the ranges never meet.
    """
    datum = meta.get("坐标系", "")
    old = old_datum(datum)
    if old is not None:
        parameters = towgs84 or parse_towgs84(meta.get("转换参数"), f"{name} [属性描述]")
        if parameters is None:
            raise refuse_old_datum(old, name, datum)
        crs = with_towgs84(_gk_crs_for(meta, east, name, notes), old, parameters)
        notes.append(f"{name}：坐标系为{old}，已按{'您给出的' if towgs84 else '文件中的'}转换参数"
                     f"（{','.join(f'{v:g}' for v in parameters)}）转换为 CGCS2000；精度取决于参数，请核对")
        return crs
    if datum and "2000" not in datum and "WGS" not in datum.upper():
        notes.append(f"{name}：坐标系声明“{datum}”无法识别，按 2000国家大地坐标系处理")
    declared_width = meta.get("几度分带", "").strip()
    declared = meta.get("带号", "").strip()
    if np.all(east >= 1_000_000):
        zone = int(np.median(east) // 1_000_000)
        if declared and declared.isdigit() and int(declared) != zone:
            notes.append(f"{name}：声明带号 {declared} 与 Y 坐标中的带号 {zone} 不一致，按坐标中的带号 {zone}")
        if declared_width not in ("3", "6"):
            width = 6 if 13 <= zone <= 23 else 3
            notes.append(f"{name}：文件没有声明几度分带，按带号 {zone} 判断为 {width}度带"
                         f"（中国 6度带带号 13–23，3度带带号 24–45）")
        notes.append(f"{name}：Y 坐标带有带号“{zone}”，已去掉带号换算为 EPSG:4549")
    return _gk_crs_for(meta, east, name, notes)


def _gk_crs_for(meta: dict[str, str], east: np.ndarray, name: str, notes: list[str]) -> CRS:
    """The Gauss-Krüger CRS of the coordinates (CGCS2000 definitions), from prefix or header."""
    declared_width = meta.get("几度分带", "").strip()
    declared = meta.get("带号", "").strip()
    if np.all(east >= 1_000_000):
        zone = int(np.median(east) // 1_000_000)
        width = int(declared_width) if declared_width in ("3", "6") else (6 if 13 <= zone <= 23 else 3)
        return _gk_crs(width, zone, prefixed=True, name=name)
    width = 6 if declared_width == "6" else 3
    if declared.isdigit():
        return _gk_crs(width, int(declared), prefixed=False, name=name)
    return CRS.from_user_input(WORK_CRS)


def _gk_crs(width: int, zone: int, prefixed: bool, name: str) -> CRS:
    """CGCS2000 Gauss-Krüger zone ``zone`` of ``width`` degrees (EPSG where it has a code)."""
    if width == 3 and 25 <= zone <= 45:
        return CRS.from_epsg((4513 if prefixed else 4534) + zone - 25)
    if width == 6 and 13 <= zone <= 23:
        return CRS.from_epsg((4491 if prefixed else 4502) + zone - 13)
    if width == 3 and zone == 24:  # CM 72°E has no EPSG code; same definition as its neighbours
        return CRS.from_proj4(f"+proj=tmerc +lat_0=0 +lon_0=72 +k=1 +x_0={24_500_000 if prefixed else 500_000} "
                              "+y_0=0 +ellps=GRS80 +units=m +no_defs")
    raise ParcelImportError(f"{name}：带号 {zone}（{width}度带）不在中国范围内")


def read_survey_txt(path: Path, *, encoding: str | None = None, towgs84: str | None = None,
                    **_options) -> ImportResult:
    """Parcels of a 界址点坐标 TXT; the account counts parcel header lines.

    A parcel that is a line or point, has no points, or a ring of fewer than 3 distinct points
    is skipped with its line number; a non-finite coordinate refuses the file naming the line.
    ``towgs84``: the user's 7-parameter set for a 西安 1980 / 北京 1954 file.
    """
    notes: list[str] = []
    name = path.name
    parameters = parse_towgs84(towgs84, name)
    meta, parcels = parse_survey_txt(decode_text(read_bytes(path), path, notes, encoding), name)
    if meta.pop("_无段名", None):
        notes.append(f"{name}：文件没有 [属性描述] 和 [地块坐标] 段名，按界址点坐标格式读取")
    geometries, rows, skipped = [], [], []
    for number, p in enumerate(parcels, start=1):
        label = p.header[3] if len(p.header) > 3 and p.header[3] else f"第 {number} 个地块"
        place = f"第 {p.line} 行地块“{label}”"
        if not p.rings:
            skipped.append(Skipped(place, "没有坐标点"))
            continue
        if len(p.header) >= 5 and p.header[4] in ("线", "点"):
            skipped.append(Skipped(place, f"图形属性为“{p.header[4]}”，不是面"))
            continue
        rings, problem = [], None
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
                problem = f"第 {ring_no} 圈（第 {points[0][2]} 行起）不足 3 个不同的点，构不成面"
                break
            rings.append(xy)
        if problem:
            skipped.append(Skipped(place, problem))
            continue
        geometries.append(rings)
        header = p.header + [""] * 8
        rows.append({"parcel_id": header[2] or None, "name": header[3] or None, "land_use": header[6] or None,
                     PLACE_COLUMN: place, "_declared_ha": header[1], "_line": p.line})
    if not geometries:
        gdf = gpd.GeoDataFrame(geometry=[], crs=WORK_CRS)
        return finish_import(gdf, path, notes, what="地块", skipped=skipped)
    east = np.concatenate([r[:, 0] for rings in geometries for r in rings])
    north = np.concatenate([r[:, 1] for rings in geometries for r in rings])
    if 2_000_000 < np.median(east) < 6_000_000 and not 2_000_000 < np.median(north) < 6_000_000:
        notes.append(f"{name}：坐标行为“点号,圈号,Y(东),X(北)”顺序（与规范相反），已交换")
        geometries = [[r[:, ::-1] for r in rings] for rings in geometries]
        east = north
    source = _source_crs(meta, east, name, notes, parameters)
    # One transform call for every point, then cut back into rings.
    flat = np.vstack([r for rings in geometries for r in rings])
    x, y = Transformer.from_crs(source, WORK_CRS, always_xy=True).transform(flat[:, 0], flat[:, 1])
    projected = np.split(np.column_stack([x, y]), np.cumsum([len(r) for rings in geometries for r in rings])[:-1])
    shapes, start = [], 0
    for rings in geometries:
        shapes.append(rings_to_geometry(projected[start:start + len(rings)]))
        start += len(rings)
    gdf = gpd.GeoDataFrame([{k: v for k, v in r.items() if k in ("parcel_id", "name", "land_use", PLACE_COLUMN)}
                            for r in rows], geometry=shapes, crs=WORK_CRS)
    for row, shape in zip(rows, shapes):
        _check_declared_area(row, shapely.make_valid(shape).area, name, notes)
    return finish_import(gdf, path, notes, what="地块", skipped=skipped)


def _check_declared_area(row: dict, area_m2: float, name: str, notes: list[str]) -> None:
    try:
        declared = float(str(row["_declared_ha"]).replace("公顷", "")) * M2_PER_HECTARE
    except ValueError:
        return
    if declared > 0 and abs(declared - area_m2) > max(0.01 * area_m2, 1.0):
        notes.append(f"{name} 第 {row['_line']} 行：地块“{row['name'] or row['parcel_id'] or ''}”声明面积 "
                     f"{declared / M2_PER_HECTARE:.4f} 公顷，按坐标计算为 {area_m2 / M2_PER_HECTARE:.4f} 公顷，请核对")


def write_survey_txt(gdf: gpd.GeoDataFrame, path: Path, *, zone_prefix: bool = True, encoding: str = "gb18030",
                     producer: str = "", notes: list[str] | None = None, **_options) -> Path:
    """Write parcels as 界址点坐标 TXT: Y with zone 40 prefix by default, millimetre precision.

    The format has no quoting: a comma inside a name becomes "，" and a line break a space,
    said in ``notes``; text ``encoding`` cannot hold raises ``ValueError`` naming the parcel.
    """
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
        changed = [v for v in (row.get("parcel_id"), row.get("name"), row.get("land_use"))
                   if isinstance(v, str) and v != _clean(v)]
        if changed and notes is not None:
            notes.append(f"地块“{row.get('parcel_id')}”：界址点 TXT 不能含半角逗号或换行，"
                         f"“{changed[0]}”中的逗号已写为全角“，”、换行写为空格")
        for value in fields:
            try:
                value.encode(encoding)
            except UnicodeEncodeError as exc:
                raise ValueError(f"地块“{row.get('parcel_id')}”含字符“{value[exc.start]}”，{encoding} 编码无法保存。"
                                 "请改用 GB18030 或 UTF-8 编码导出") from None
        lines.append(",".join(fields))
        lines.extend(points)
    path.write_text("\n".join(lines) + "\n", encoding=encoding, newline="\r\n")
    return path


def _clean(value) -> str:
    """Text for a comma-separated field: empty for unknown, no commas or line breaks inside."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).replace(",", "，").replace("\n", " ").replace("\r", " ")
