"""Coordinate tables (CSV / XLSX): one row per boundary point, grouped into parcels and rings.

Recognised columns: a parcel key (地块编号 / parcel_id / 地块名称 …), optional 圈号, optional 点号,
and a coordinate pair (X/Y, 东坐标/北坐标, 经度/纬度 …). Which column is northing is not trusted
to the header — Chinese tables call the northing X — the values decide, with a note. Other
columns are parcel attributes, read from each parcel's first row.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..crs import normalise_coordinates
from ..parcel import PARCEL_FIELDS
from ..spreadsheet import csv_safe, csv_unsafe, keep_as_text
from .finish import PLACE_COLUMN, finish_import, rings_to_geometry
from .result import ImportResult, ParcelImportError, Skipped, decode_text, read_bytes

_KEYS = ("地块编号", "parcel_id", "地块名称", "地块", "编号", "name", "项目名称")
_RINGS = ("圈号", "地块圈号", "ring", "环号")
_POINTS = ("点号", "界址点号", "point")
_FIRST_AXIS = ("X", "X坐标", "x", "东坐标", "E", "easting", "经度", "lon", "lng", "longitude")
_SECOND_AXIS = ("Y", "Y坐标", "y", "北坐标", "N", "northing", "纬度", "lat", "latitude")
NORTH_COLUMN = "X（北坐标）"
EAST_COLUMN = "Y（东坐标）"


# 度分秒 in every common spelling: 119°05'57.53", 119°05′57.53″, 119度05分57.53秒, 119:05:57.53,
# with an optional hemisphere letter (E/N/东经/北纬) before or after.
_DMS = re.compile(r"""^\s*(?:[EN]|东经|北纬)?\s*(\d{1,3})\s*(?:°|º|度|:|：)\s*(?:(\d{1,2}(?:\.\d+)?)\s*(?:'|′|’|分|:|：)?\s*)?"""
                  r"""(?:(\d{1,2}(?:\.\d+)?)\s*(?:"|″|''|”|秒)?\s*)?(?:[EN]|东经|北纬)?\s*$""", re.IGNORECASE)


def parse_dms(text: str) -> float | None:
    """Decimal degrees from 度分秒 text (see ``_DMS``), or None when it is not 度分秒."""
    match = _DMS.match(str(text))
    if match is None:
        return None
    degrees, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    if minutes >= 60 or seconds >= 60:
        return None
    return degrees + minutes / 60 + seconds / 3600


def _find(columns, candidates) -> str | None:
    bare = {str(c).split("（")[0].split("(")[0].strip().lower(): c for c in columns}
    return next((bare[c.lower()] for c in candidates if c.lower() in bare), None)


def _table(path: Path, layer: str | None, notes: list[str], encoding: str | None = None) -> pd.DataFrame:
    if path.suffix.lower() == ".csv":
        text = decode_text(read_bytes(path), path, notes, encoding)
        try:
            return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise ParcelImportError(f"{path.name}：CSV 格式错误或文件为空（{exc}）") from exc
    try:
        return pd.read_excel(path, sheet_name=layer or 0, dtype=str, keep_default_na=False)
    except FileNotFoundError as exc:
        raise ParcelImportError(f"找不到文件 {path}") from exc
    except ValueError as exc:  # a missing sheet
        raise ParcelImportError(f"{path.name}：{exc}") from exc
    except Exception as exc:  # openpyxl raises zip/xml errors for damaged workbooks
        raise ParcelImportError(f"{path.name}：Excel 文件损坏或不完整（{exc}）") from exc


def read_table(path: Path, *, layer: str | None = None, gcj02: bool = False, encoding: str | None = None,
               **_options) -> ImportResult:
    """Parcels from a point table; the account counts parcels (groups of rows with one key)."""
    notes: list[str] = []
    table = _table(path, layer, notes, encoding)
    columns = list(table.columns)
    first = _find(columns, _FIRST_AXIS)
    second = _find(columns, _SECOND_AXIS)
    if "北" in str(first or "") or "纬" in str(first or ""):
        first, second = second, first
    if first is None or second is None:
        raise ParcelImportError(f"{path.name}：找不到坐标列（需要 X/Y、东坐标/北坐标或经度/纬度两列），"
                                f"表头为：{'、'.join(map(str, columns))}")
    key, ring_col, point_col = _find(columns, _KEYS), _find(columns, _RINGS), _find(columns, _POINTS)
    row_offset = 2  # header is row 1 in both CSV and Excel
    values = {}
    for column in (first, second):
        raw = table[column].astype(str).str.strip()
        numbers = pd.to_numeric(raw, errors="coerce")
        if numbers.isna().any():
            dms = raw[numbers.isna()].map(parse_dms)
            if dms.notna().any():
                numbers = numbers.fillna(dms.astype(float))
                notes.append(f"{path.name}：“{column}”列含度分秒（如“{raw[dms.notna()].iloc[0]}”），已换算为十进制度")
        bad = numbers.isna() | ~np.isfinite(numbers.to_numpy(dtype=float, na_value=np.nan))
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            point = f"点 {table[point_col].iloc[i]} " if point_col else ""
            problem = f"缺少{column} 坐标" if raw.iloc[i] == "" else f"的 {column} 坐标“{raw.iloc[i]}”不是数字（也不是度分秒），或不是有限数值"
            raise ParcelImportError(f"{path.name} 第 {i + row_offset} 行：{point}{problem}")
        values[column] = numbers.to_numpy(dtype=float)
    try:
        east, north, fixes = normalise_coordinates(values[first], values[second])
    except ValueError as exc:
        raise ParcelImportError(f"{path.name}：{exc}") from exc
    lonlat = fixes and fixes[0].code in ("lonlat", "latlon_swapped")
    if gcj02 and lonlat:  # keep lon/lat; finish_import corrects and projects them
        east, north = (values[first], values[second]) if fixes[0].code == "lonlat" else (values[second], values[first])
    else:
        notes.extend(f"{path.name}：{f.message}" for f in fixes if f.code != "ok")
    roles = [f"{what}“{c}”" for what, c in (("地块", key), ("圈号", ring_col), ("点号", point_col),
                                             ("第一坐标", first), ("第二坐标", second)) if c]
    others = [str(c) for c in columns if c not in (key, first, second, ring_col, point_col)]
    notes.append(f"{path.name}：列的识别：{'，'.join(roles)}" + (f"；其余列作为地块属性：{'、'.join(others)}" if others else "")
                 + ("" if key else "；没有地块编号列，全部点作为一个地块"))
    keys = table[key] if key else pd.Series(["1"] * len(table))
    rings = table[ring_col] if ring_col else pd.Series(["1"] * len(table))
    rows, geometries, skipped = [], [], []
    attribute_columns = [c for c in columns if c not in (first, second, ring_col, point_col)]
    for parcel_key, index in keys.groupby(keys, sort=False).groups.items():
        positions = table.index.get_indexer(index)
        parcel_rings, problem = [], None
        for ring_key, ring_index in rings.iloc[positions].groupby(rings.iloc[positions], sort=False).groups.items():
            ring_pos = table.index.get_indexer(ring_index)
            xy = np.column_stack([east[ring_pos], north[ring_pos]])
            keep = np.r_[True, np.any(np.diff(xy, axis=0) != 0, axis=1)]
            if not keep.all():
                lines = ", ".join(str(p + row_offset) for p in ring_pos[~keep])
                notes.append(f"{path.name} 第 {lines} 行：地块“{parcel_key}”有重复的相邻点，已去掉")
                xy = xy[keep]
            if len(xy) >= 2 and not np.all(xy[0] == xy[-1]):
                xy = np.vstack([xy, xy[:1]])
            if len(xy) < 4:
                problem = f"第 {ring_key} 圈（第 {ring_pos[0] + row_offset} 行起）不足 3 个不同的点，构不成面"
                break
            parcel_rings.append(xy)
        place = f"第 {positions[0] + row_offset} 行起的地块“{parcel_key}”"
        if problem:
            skipped.append(Skipped(place, problem))
            continue
        geometries.append(rings_to_geometry(parcel_rings))
        rows.append({c: csv_unsafe(table[c].iloc[positions[0]]) for c in attribute_columns} | {PLACE_COLUMN: place})
    crs = "EPSG:4490" if gcj02 and lonlat else "EPSG:4549"
    gdf = gpd.GeoDataFrame(rows, geometry=geometries, crs=crs)
    return finish_import(gdf, path, notes, gcj02=bool(gcj02 and lonlat), what="地块", skipped=skipped)


def write_table(gdf: gpd.GeoDataFrame, path: Path, **_options) -> Path:
    """One row per boundary point (rings closed), parcel attributes under their Chinese labels."""
    gdf = gdf.to_crs("EPSG:4549")
    labels = {f.name: f.label for f in PARCEL_FIELDS}
    extra = [c for c in gdf.columns if c not in labels and c != gdf.geometry.name]
    records = []
    for _, row in gdf.iterrows():
        attrs = {labels[f.name]: row.get(f.name) for f in PARCEL_FIELDS} | {c: row[c] for c in extra}
        rings = shapely.get_rings(shapely.get_parts(row.geometry))  # each part's exterior, then its holes
        number = 0
        for ring_no, ring in enumerate(rings, start=1):
            for east, north in np.asarray(ring.coords)[:-1]:
                number += 1
                records.append({labels["parcel_id"]: row["parcel_id"], "圈号": ring_no, "点号": f"J{number}",
                                NORTH_COLUMN: north, EAST_COLUMN: east} | attrs)
    table = pd.DataFrame(records)
    if path.suffix.lower() == ".csv":
        table = table.map(csv_safe)  # never a formula when the CSV is opened in a spreadsheet
        # Excel opens UTF-8 with a BOM; text is quoted so a carriage return inside a value survives.
        table.to_csv(path, index=False, encoding="utf-8-sig", quoting=csv.QUOTE_NONNUMERIC)
    else:
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            table.to_excel(writer, index=False, sheet_name="界址点坐标")
            for row in writer.sheets["界址点坐标"].iter_rows(min_row=2):
                keep_as_text(row)
    return path
