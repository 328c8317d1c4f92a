"""Steps every reader shares: rings → polygons, coordinates → EPSG:4549, checks and repairs.

Readers produce raw geometry plus what they know about its CRS; ``finish_import`` turns that
into conformed parcels and appends a Chinese note for everything it changed, so that nothing is
fixed silently and nothing is dropped silently.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon

from ..catalog import repair_geometry
from ..crs import (LONLAT_CRS, WORK_CRS, ZHEJIANG_LAT, ZHEJIANG_LON, gcj02_to_wgs84,
                   normalise_coordinates, to_lonlat, to_work)
from ..parcel import conform_parcels, rename_parcel_columns
from .result import ImportResult, ParcelImportError


def rings_to_geometry(rings: list[np.ndarray]) -> Polygon | MultiPolygon:
    """Nest closed rings into polygons: a ring lying inside a bigger one is its hole.

    Survey files number rings (圈号) without saying which are holes and which are further
    parts, so containment decides. Rings are (n, 2) arrays, closed or not.
    """
    if len(rings) == 1:
        return Polygon(rings[0])
    ordered = sorted(rings, key=lambda r: -abs(Polygon(r).area))
    shells: list[tuple[Polygon, list[np.ndarray]]] = []
    for ring in ordered:
        points = shapely.points(ring)
        # The smallest shell covering every vertex of the ring takes it as a hole.
        host = next((s for s in reversed(shells) if shapely.covers(s[0], points).all()), None)
        if host is None:
            shells.append((Polygon(ring), []))
        else:
            host[1].append(ring)
    polygons = [Polygon(shell.exterior.coords, holes) for shell, holes in shells]
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)


def feature_label(gdf: gpd.GeoDataFrame, i: int, what: str = "要素") -> str:
    """'第 3 个要素（名称）' for messages, 1-based, with the name when there is one."""
    for column in ("name", "parcel_id"):
        if column in gdf.columns:
            value = gdf[column].iloc[i]
            if isinstance(value, str) and value.strip():
                return f"第 {i + 1} 个{what}（{value.strip()}）"
    return f"第 {i + 1} 个{what}"


def _polygons_only(gdf: gpd.GeoDataFrame, name: str, notes: list[str]) -> gpd.GeoDataFrame:
    """Keep polygonal features; closed lines become polygons; say what was left out."""
    geoms = list(gdf.geometry)
    dropped: dict[str, list[int]] = {}
    closed_lines = []
    for i, g in enumerate(geoms):
        if g is None or g.is_empty:
            dropped.setdefault("空几何", []).append(i)
        elif g.geom_type in ("LineString", "LinearRing") and g.is_closed and len(g.coords) >= 4:
            geoms[i] = Polygon(g.coords)
            closed_lines.append(i)
        elif g.geom_type not in ("Polygon", "MultiPolygon"):
            dropped.setdefault({"Point": "点", "MultiPoint": "点", "LineString": "未闭合的线",
                                "MultiLineString": "线"}.get(g.geom_type, g.geom_type), []).append(i)
    gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
    keep = [i for i in range(len(gdf)) if not any(i in rows for rows in dropped.values())]
    kinds = "、".join(f"{len(rows)} 个{kind}" for kind, rows in dropped.items())
    if not keep:
        raise ParcelImportError(f"{name}：没有面要素，无法作为地块导入（文件中有 {kinds or '0 个要素'}）")
    if closed_lines:
        notes.append(f"{name}：{len(closed_lines)} 条闭合线（第 {_rows(closed_lines)} 个要素）已转为面")
    if dropped:
        rows = sorted(i for r in dropped.values() for i in r)
        notes.append(f"{name}：跳过了 {kinds}（第 {_rows(rows)} 个要素），它们不是面")
    return gdf.iloc[keep].reset_index(drop=True)


def _rows(rows: list[int], limit: int = 20) -> str:
    text = ", ".join(str(i + 1) for i in rows[:limit])
    return text + (" …" if len(rows) > limit else "")


def _set_coords(gdf: gpd.GeoDataFrame, x, y, crs: str) -> gpd.GeoDataFrame:
    geoms = shapely.set_coordinates(np.array(gdf.geometry, dtype=object), np.column_stack([x, y]))
    return gpd.GeoDataFrame(gdf.drop(columns=gdf.geometry.name), geometry=list(geoms), crs=crs)


def _to_work_crs(gdf, name, notes, gcj02: bool) -> gpd.GeoDataFrame:
    if gdf.crs is not None and gdf.crs.is_geographic and (abs(gdf.total_bounds) > 180).any():
        # GeoJSON without a "crs" member is taken as lon/lat even when it holds metres.
        notes.append(f"{name}：文件声明为经纬度，但坐标数值是平面坐标，改为按数值判断坐标系")
        gdf = gdf.set_crs(None, allow_override=True)
    if gdf.crs is None:
        x, y = shapely.get_coordinates(np.array(gdf.geometry, dtype=object)).T
        try:
            e, n, fixes = normalise_coordinates(x, y)
        except ValueError as exc:
            raise ParcelImportError(f"{name}：没有坐标系信息，且{exc}") from exc
        if gcj02 and fixes and fixes[0].code in ("lonlat", "latlon_swapped"):
            lon, lat = (x, y) if fixes[0].code == "lonlat" else (y, x)
            e, n = _gcj_lonlat_to_work(lon, lat)
            notes.append(f"{name}：按 GCJ-02（火星坐标）纠偏为 CGCS2000")
        notes.extend(f"{name}：{f.message}" for f in fixes if f.code != "ok")
        if fixes and fixes[0].code == "ok":
            notes.append(f"{name}：文件没有声明坐标系，按坐标数值判断为 CGCS2000 3度带 CM120E（EPSG:4549）")
        return _set_coords(gdf, e, n, WORK_CRS)
    if gcj02:
        lonlat = gdf.to_crs(LONLAT_CRS)
        lon, lat = shapely.get_coordinates(np.array(lonlat.geometry, dtype=object)).T
        if not any("GCJ-02" in n for n in notes):  # the reader may have said so already
            notes.append(f"{name}：按 GCJ-02（火星坐标）纠偏为 CGCS2000")
        return _set_coords(lonlat, *_gcj_lonlat_to_work(lon, lat), WORK_CRS)
    if gdf.crs.to_epsg() == 4528:
        notes.append(f"{name}：坐标系为带号 40 的 EPSG:4528，已去掉带号换算为 EPSG:4549")
    elif gdf.crs.to_string() != WORK_CRS and gdf.crs.to_epsg() not in (4490, 4326):
        notes.append(f"{name}：坐标系 {gdf.crs.name} 已转换为 EPSG:4549")
    return gdf.to_crs(WORK_CRS)


def _gcj_lonlat_to_work(lon, lat):
    wlon, wlat = gcj02_to_wgs84(lon, lat)
    e, n = to_work(wlon, wlat)
    return np.asarray(e), np.asarray(n)


def check_inside_zhejiang(gdf: gpd.GeoDataFrame, name: str, what: str = "要素") -> None:
    """Raise naming the first feature whose extent leaves 浙江省 (EPSG:4549 input)."""
    b = gdf.geometry.bounds.to_numpy()
    for corner in ((0, 1), (2, 3)):
        lon, lat = to_lonlat(b[:, corner[0]], b[:, corner[1]])
        outside = ~((lon >= ZHEJIANG_LON[0]) & (lon <= ZHEJIANG_LON[1])
                    & (lat >= ZHEJIANG_LAT[0]) & (lat <= ZHEJIANG_LAT[1]))
        if outside.any():
            i = int(np.flatnonzero(outside)[0])
            raise ParcelImportError(
                f"{name}：{feature_label(gdf, i, what)}坐标不在浙江省范围内"
                f"（约东经 {lon[i]:.3f}°、北纬 {lat[i]:.3f}°），请检查坐标系、带号或 X/Y 顺序")


def _repair(gdf: gpd.GeoDataFrame, name: str, notes: list[str], what: str) -> gpd.GeoDataFrame:
    deduped = shapely.remove_repeated_points(np.array(gdf.geometry, dtype=object))
    changed = [i for i, (a, b) in enumerate(zip(gdf.geometry, deduped))
               if len(shapely.get_coordinates(a)) != len(shapely.get_coordinates(b))]
    if changed:
        gdf = gdf.set_geometry(gpd.GeoSeries(deduped, index=gdf.index, crs=gdf.crs))
        labels = "、".join(feature_label(gdf, i, what) for i in changed[:10])
        notes.append(f"{name}：{labels}有重复的相邻顶点，已去掉重复点")
    invalid = [i for i, ok in enumerate(gdf.geometry.is_valid) if not ok]
    gdf, _ = repair_geometry(gdf, name)
    if invalid:
        # make_valid may return lines beside the polygon parts; a parcel keeps only its area.
        geoms = list(gdf.geometry)
        for i in invalid:
            parts = [p for p in getattr(geoms[i], "geoms", [geoms[i]]) if p.geom_type in ("Polygon", "MultiPolygon")]
            geoms[i] = shapely.union_all(parts) if len(parts) > 1 else parts[0]
        gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
        for i in invalid:
            n_parts = len(getattr(geoms[i], "geoms", [geoms[i]]))
            notes.append(f"{name}：{feature_label(gdf, i, what)}几何无效（自相交或环相接），"
                         f"已用 make_valid 修复为 {n_parts} 个部分，面积未丢失")
    return gdf


def _single_parts(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    geoms = [g.geoms[0] if g.geom_type == "MultiPolygon" and len(g.geoms) == 1 else g for g in gdf.geometry]
    return gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))


def finish_import(gdf: gpd.GeoDataFrame, path: Path, notes: list[str], *,
                  gcj02: bool = False, what: str = "要素") -> ImportResult:
    """Polygons only, EPSG:4549, inside 浙江, repaired, conformed: the end of every reader.

    ``gdf.crs`` None means the file declares no CRS and the coordinates decide.
    """
    name = path.name
    if len(gdf) == 0:
        raise ParcelImportError(f"{name}：文件中没有任何要素")
    gdf = rename_parcel_columns(gdf.reset_index(drop=True))
    gdf = _polygons_only(gdf, name, notes)
    gdf = _to_work_crs(gdf, name, notes, gcj02)
    check_inside_zhejiang(gdf, name, what)
    gdf = _single_parts(_repair(gdf, name, notes, what))
    try:
        parcels = conform_parcels(gdf)
    except ValueError as exc:
        raise ParcelImportError(f"{name}：{exc}") from exc
    return ImportResult(parcels, notes, path)

