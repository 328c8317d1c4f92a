"""Candidate parcels (候选地块): geometry in EPSG:4549 plus the attributes the checks need.

Field names are ASCII (they are GeoPackage columns and must open in QGIS); ``PARCEL_FIELDS``
gives each its Chinese label and type. Unknown values stay empty (NaN / None), never zero, so
a check can say "未评估" instead of passing a parcel on a missing number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .crs import WORK_CRS

if TYPE_CHECKING:  # imported where used: the field list loads without pandas (fast CLI start)
    import geopandas as gpd
    import pandas as pd


@dataclass(frozen=True)
class ParcelField:
    """One field of the parcel model: column ``name``, Chinese ``label``, kind ("text" or "number"),
    unit and the allowed range of a number.
    """

    name: str
    label: str
    kind: str  # "text" | "number"
    unit: str = ""
    minimum: float = 0.0  # numbers only; every parcel number is a non-negative quantity
    maximum: float | None = None


PARCEL_FIELDS: tuple[ParcelField, ...] = (
    ParcelField("parcel_id", "地块编号", "text"),
    ParcelField("name", "项目名称", "text"),
    ParcelField("applicant", "用地单位", "text"),
    ParcelField("industry_code", "行业代码（GB/T 4754-2017）", "text"),
    ParcelField("industry_name", "行业名称", "text"),
    ParcelField("industrial_category", "工业项目类别", "text"),  # 一类 / 二类 / 三类
    ParcelField("land_use", "拟用地性质", "text"),
    ParcelField("investment_wan", "拟投资额", "number", "万元"),
    ParcelField("annual_tax_wan", "预计年税收", "number", "万元"),
    ParcelField("floor_area_ratio", "容积率", "number", maximum=20.0),
    ParcelField("building_coverage", "建筑密度/建筑系数", "number", "%", maximum=100.0),
    ParcelField("green_ratio", "绿地率", "number", "%", maximum=100.0),
    ParcelField("energy_tce", "年综合能耗", "number", "吨标煤"),
    ParcelField("emission_cod_t", "化学需氧量排放", "number", "吨/年"),
    ParcelField("emission_nh3n_t", "氨氮排放", "number", "吨/年"),
    ParcelField("emission_so2_t", "二氧化硫排放", "number", "吨/年"),
    ParcelField("emission_nox_t", "氮氧化物排放", "number", "吨/年"),
    ParcelField("emission_vocs_t", "挥发性有机物排放", "number", "吨/年"),
    ParcelField("water_m3", "用水量", "number", "m³/年"),
)
FIELD_BY_NAME = {f.name: f for f in PARCEL_FIELDS}
# A parcel smaller than this (m², EPSG:4549) is a drawing slip or a degenerate ring, not land:
# the import skips it (with the reason) before any check divides by its area.
MIN_PARCEL_AREA_M2 = 1.0
INDUSTRIAL_CATEGORIES = ("一类", "二类", "三类")

# The parcel id rule (README, “地块编号规则”): a new parcel gets PARCEL_ID_PREFIX and the next
# number of the project's counter (P001, P002 …), a number never given twice, even after its
# parcel was deleted; splitting P002 gives P002-1, P002-2 …; a merge keeps the first parcel's id.
PARCEL_ID_PREFIX = "P"
_ID_NUMBER = re.compile(rf"^{PARCEL_ID_PREFIX}(\d+)(?:-\d+)*$")


def parcel_number(parcel_id) -> int | None:
    """The counter number in a parcel id made by the id rule (``P012`` and ``P012-2`` → 12)."""
    match = _ID_NUMBER.match(str(parcel_id or "").strip())
    return int(match.group(1)) if match else None


def format_parcel_id(number: int) -> str:
    """The id of counter ``number``: ``P`` and at least three digits (P007, P1234)."""
    return f"{PARCEL_ID_PREFIX}{number:03d}"

# Column names found in files from other tools, mapped to parcel fields. Every Chinese label
# above is accepted too (see ``rename_parcel_columns``).
_ALIASES = {
    "地块编号": "parcel_id", "编号": "parcel_id", "id": "parcel_id",
    "地块名称": "name", "项目名称": "name", "名称": "name",
    "用地单位": "applicant", "行业代码": "industry_code", "行业": "industry_name",
    "地块用途": "land_use", "用途": "land_use", "拟用地性质": "land_use",
    "建筑密度": "building_coverage", "建筑系数": "building_coverage",
}


_LOOKUP = {f.label: f.name for f in PARCEL_FIELDS} | _ALIASES


def parcel_field_for(column) -> str | None:
    """The parcel field a column carries under a Chinese label or a common alias, else None."""
    key = str(column).strip()
    return _LOOKUP.get(key) or _LOOKUP.get(key.lower())


def rename_parcel_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Rename columns that carry a parcel field under a Chinese label or a common alias.

    A column already named like the field wins; an alias never overwrites one.
    """
    renames: dict[str, str] = {}
    for column in df.columns:
        target = parcel_field_for(column)
        if target and target not in df.columns and target not in renames.values():
            renames[column] = target
    return df.rename(columns=renames)


def validate_parcel_values(values: dict) -> dict[str, str]:
    """Check values typed for one parcel; returns field name → Chinese problem (empty: all good).

    Empty means unknown and is always allowed. Numbers must parse and lie in the field's range;
    工业项目类别 must be one of 一类/二类/三类.
    """
    problems: dict[str, str] = {}
    for name, value in values.items():
        f = FIELD_BY_NAME.get(name)
        if f is None or value is None or (isinstance(value, str) and not value.strip()):
            continue
        if f.kind == "number":
            try:
                number = float(str(value).strip().replace(",", ""))
            except ValueError:
                problems[name] = f"“{f.label}”应为数字，现为“{value}”"
                continue
            if number != number or number < f.minimum or (f.maximum is not None and number > f.maximum):
                unit = f" {f.unit}" if f.unit else ""
                allowed = (f"应在 {f.minimum:g}～{f.maximum:g}{unit} 之间" if f.maximum is not None
                           else f"不能小于 {f.minimum:g}{unit}")
                problems[name] = f"“{f.label}”{allowed}，现为 {value}"
        elif name == "industrial_category" and str(value).strip() not in INDUSTRIAL_CATEGORIES:
            problems[name] = f"“{f.label}”应为 一类、二类 或 三类，现为“{value}”"
    return problems


def parcels_frame(geometries=(), **columns) -> gpd.GeoDataFrame:
    """A parcel GeoDataFrame in EPSG:4549 with every parcel field (missing ones empty)."""
    import geopandas as gpd

    gdf = gpd.GeoDataFrame(dict(columns), geometry=list(geometries), crs=WORK_CRS)
    return conform_parcels(gdf)


def conform_parcels(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add missing parcel fields as empty, coerce numbers (blank text → NaN), number parcel ids.

    Empty text (blank, NaN) becomes ``None``; other text values become ``str``.

    Extra columns a user brought along are kept. Raises ``ValueError`` (Chinese) for a number
    field holding text that is not a number, naming the field and the row. The frame is made once
    from its columns (not column by column: a drawn parcel is conformed in about 1 ms).
    """
    import geopandas as gpd
    import pandas as pd

    if gdf.crs is None:
        raise ValueError("地块数据没有坐标系")
    if gdf.crs.to_string() != WORK_CRS:
        gdf = gdf.to_crs(WORK_CRS)
    n = len(gdf)
    columns = {}
    for f in PARCEL_FIELDS:
        if f.name not in gdf.columns:
            columns[f.name] = np.full(n, np.nan) if f.kind == "number" else np.full(n, None, dtype=object)
        elif f.kind == "number":
            if gdf[f.name].dtype == np.float64:
                continue  # numbers already: NaN where empty
            raw = gdf[f.name].replace({"": np.nan, None: np.nan})
            numbers = pd.to_numeric(raw, errors="coerce")
            bad = numbers.isna() & raw.notna()
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
                raise ValueError(f"第 {row} 个地块的“{f.label}”不是数字：{raw[bad].iloc[0]!r}")
            columns[f.name] = numbers.astype(float)
        else:
            columns[f.name] = pd.Series([_text_or_none(v) for v in gdf[f.name]], index=gdf.index, dtype=object)
    ids = pd.Series(columns["parcel_id"], index=gdf.index, dtype=object)
    missing_id = ids.isna() | (ids.astype(str).str.strip() == "")
    ids[missing_id] = [f"P{i + 1:03d}" for i in np.flatnonzero(missing_id.to_numpy())]
    columns["parcel_id"] = ids.astype(str)
    data = {name: columns.pop(name, None) if name in columns else gdf[name] for name in gdf.columns}
    data.update(columns)  # the fields it lacked, after its own columns
    return gpd.GeoDataFrame(data, index=gdf.index, geometry=gdf.geometry.name, crs=WORK_CRS)


def _text_or_none(value) -> str | None:
    import pandas as pd

    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value)
    return text if text.strip() else None
