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
from ..crs import LONLAT_CRS, WORK_CRS, gcj02_to_wgs84, inside_zhejiang, normalise_coordinates, to_lonlat, to_work
from ..parcel import MIN_PARCEL_AREA_M2, conform_parcels, rename_parcel_columns
from .datum import old_datum, refuse_old_datum, with_towgs84
from .result import ImportResult, ParcelImportError, Skipped


def rings_to_geometry(rings: list[np.ndarray]) -> Polygon | MultiPolygon:
    """Nest closed rings into polygons: a ring lying inside a bigger one is its hole.

    Survey files number rings (圈号) without saying which are holes and which are further
    parts, so containment decides. Rings are (n, 2) arrays, closed or not.
    """
    if len(rings) == 1:
        return Polygon(rings[0])
    ordered = sorted(rings, key=lambda r: -abs(Polygon(r).area))
    # (ring polygon, nesting depth, holes): even depth is a shell, odd depth a hole, and a
    # ring inside a hole is an island, a shell again.
    placed: list[tuple[Polygon, int, list[np.ndarray]]] = []
    for ring in ordered:
        points = shapely.points(ring)
        # The smallest ring covering every vertex of this one is its parent.
        parent = next((p for p in reversed(placed) if shapely.covers(p[0], points).all()), None)
        depth = 0 if parent is None else parent[1] + 1
        if depth % 2:
            parent[2].append(ring)
        placed.append((Polygon(ring), depth, []))
    polygons = [Polygon(shell.exterior.coords, holes) for shell, depth, holes in placed if depth % 2 == 0]
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)


# Optional reader columns, dropped before the parcels are returned: the element's 1-based number
# in the file, and a ready-made Chinese place ("第 12 行地块“甲”") for messages.
NUMBER_COLUMN, PLACE_COLUMN = "_number", "_place"


def feature_label(gdf: gpd.GeoDataFrame, i: int, what: str = "要素") -> str:
    """'第 3 个要素（名称）' for messages, the element's number in the file, with its name if any."""
    row = gdf.iloc[i]
    if PLACE_COLUMN in gdf.columns and isinstance(row[PLACE_COLUMN], str):
        return row[PLACE_COLUMN]
    number = int(row[NUMBER_COLUMN]) if NUMBER_COLUMN in gdf.columns else i + 1
    for column in ("name", "parcel_id"):
        if column in gdf.columns:
            value = row[column]
            if isinstance(value, str) and value.strip():
                return f"第 {number} 个{what}（{value.strip()}）"
    return f"第 {number} 个{what}"


_KIND_NAMES = {"Point": "点", "MultiPoint": "点", "LineString": "未闭合的线", "MultiLineString": "线",
               "GeometryCollection": "几何集合（不含面）"}


def _polygons_only(gdf: gpd.GeoDataFrame, name: str, notes: list[str], skipped: list[Skipped],
                   what: str) -> gpd.GeoDataFrame:
    """Keep polygonal features; closed lines become polygons; every other one goes to ``skipped``."""
    array = np.array(gdf.geometry, dtype=object)
    if np.isin(shapely.get_type_id(array), (3, 6)).all() and not shapely.is_empty(array).any():
        return gdf.reset_index(drop=True)  # the common case: nothing to convert or skip
    geoms = list(gdf.geometry)
    keep, closed_lines = [], []
    for i, g in enumerate(geoms):
        if g is None or g.is_empty:
            skipped.append(Skipped(feature_label(gdf, i, what), "没有几何（空几何）"))
        elif g.geom_type in ("LineString", "LinearRing") and g.is_closed and len(g.coords) >= 4:
            geoms[i] = Polygon(g.coords)
            closed_lines.append(i)
            keep.append(i)
        elif g.geom_type == "GeometryCollection" and any(p.geom_type in ("Polygon", "MultiPolygon") for p in g.geoms):
            parts = [p for p in g.geoms if p.geom_type in ("Polygon", "MultiPolygon")]
            geoms[i] = shapely.union_all(parts) if len(parts) > 1 else parts[0]
            notes.append(f"{name}：{feature_label(gdf, i, what)}是几何集合，只取其中的面，"
                         f"舍去了 {len(g.geoms) - len(parts)} 个点或线")
            keep.append(i)
        elif g.geom_type not in ("Polygon", "MultiPolygon"):
            skipped.append(Skipped(feature_label(gdf, i, what), f"是{_KIND_NAMES.get(g.geom_type, g.geom_type)}，不是面"))
        else:
            keep.append(i)
    gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
    if closed_lines:
        labels = "、".join(feature_label(gdf, i, what) for i in closed_lines[:20])
        notes.append(f"{name}：{len(closed_lines)} 条闭合线（{labels}{' …' if len(closed_lines) > 20 else ''}）已转为面")
    return gdf.iloc[keep].reset_index(drop=True)


def _drop_z(gdf: gpd.GeoDataFrame, name: str, notes: list[str]) -> gpd.GeoDataFrame:
    """2-D parcels for every writer: Z (and M, which GDAL drops on read) go, with a note."""
    has_z = shapely.has_z(np.array(gdf.geometry, dtype=object))
    if not has_z.any():
        return gdf
    notes.append(f"{name}：{int(has_z.sum())} 个要素带有 Z 值（高程），地块只用平面坐标，已去掉 Z 值")
    return gdf.set_geometry(gpd.GeoSeries(shapely.force_2d(np.array(gdf.geometry, dtype=object)),
                                          index=gdf.index, crs=gdf.crs))


def _refuse_non_finite(gdf: gpd.GeoDataFrame, name: str, what: str) -> None:
    """Raise naming the first feature with a NaN or infinite coordinate (never drop the vertex)."""
    xy, owner = shapely.get_coordinates(np.array(gdf.geometry, dtype=object), return_index=True)
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        i = int(owner[np.flatnonzero(bad)[0]])
        raise ParcelImportError(f"{name}：{feature_label(gdf, i, what)}有无效坐标（nan 或无穷大），"
                                "文件可能损坏。请在原软件中修正该顶点后重新导出")


def _refuse_tiny(gdf: gpd.GeoDataFrame, name: str, skipped: list[Skipped], what: str) -> gpd.GeoDataFrame:
    """Features whose area is below ``MIN_PARCEL_AREA_M2`` (EPSG:4549) go to ``skipped``."""
    area = gdf.geometry.area.to_numpy()
    tiny = ~(area >= MIN_PARCEL_AREA_M2)
    for i in np.flatnonzero(tiny):
        skipped.append(Skipped(feature_label(gdf, i, what),
                               f"面积为 {area[i]:.4g} m²（不足 {MIN_PARCEL_AREA_M2:g} m²），构不成地块"))
    return gdf[~tiny].reset_index(drop=True)


def unique_parcel_ids(gdf: gpd.GeoDataFrame, name: str, notes: list[str]) -> gpd.GeoDataFrame:
    """Rename the second and later uses of one 地块编号 in a file to "编号-2", "编号-3" …, with a note."""
    ids = gdf["parcel_id"].tolist()
    taken, renamed = set(ids), []
    counts: dict[str, int] = {}
    for i, value in enumerate(ids):
        counts[value] = counts.get(value, 0) + 1
        if counts[value] > 1:
            n = counts[value]
            while f"{value}-{n}" in taken:
                n += 1
            ids[i] = f"{value}-{n}"
            taken.add(ids[i])
            renamed.append(f"{value}→{ids[i]}")
    if renamed:
        gdf = gdf.assign(parcel_id=ids)
        notes.append(f"{name}：文件中地块编号有重复，已改为：{'、'.join(renamed)}")
    return gdf


def _set_coords(gdf: gpd.GeoDataFrame, x, y, crs: str) -> gpd.GeoDataFrame:
    geoms = shapely.set_coordinates(np.array(gdf.geometry, dtype=object), np.column_stack([x, y]))
    return gpd.GeoDataFrame(gdf.drop(columns=gdf.geometry.name), geometry=list(geoms), crs=crs)


def _inside_zhejiang(gdf: gpd.GeoDataFrame) -> bool:
    """Whether the extent of ``gdf`` (EPSG:4549) lies in 浙江 (finite coordinates only)."""
    b = gdf.total_bounds
    if not np.isfinite(b).all():
        return False
    lon, lat = to_lonlat(np.array([b[0], b[2]]), np.array([b[1], b[3]]))
    return bool(inside_zhejiang(lon, lat).all())


def _declared_to_work(gdf: gpd.GeoDataFrame, name: str, notes: list[str]) -> gpd.GeoDataFrame:
    """Declared CRS → EPSG:4549; coordinates written in the other axis order (lat/lon for
    lon/lat, northing/easting for easting/northing) are detected by where they land and swapped.
    """
    work = gdf.to_crs(WORK_CRS)
    if _inside_zhejiang(work):
        return work
    x, y = shapely.get_coordinates(np.array(gdf.geometry, dtype=object)).T
    swapped = _set_coords(gdf, y, x, gdf.crs).to_crs(WORK_CRS)
    if not _inside_zhejiang(swapped):
        return work  # check_inside_zhejiang names the feature
    order = "“纬度, 经度”" if gdf.crs.is_geographic else "“北坐标, 东坐标”"
    notes.append(f"{name}：坐标按{order}顺序书写（与声明的坐标系 {gdf.crs.name} 的轴序相反），已交换")
    return swapped


def _to_work_crs(gdf, name, notes, gcj02: bool, towgs84=None) -> gpd.GeoDataFrame:
    if gdf.crs is not None and (old := old_datum(gdf.crs)) is not None:
        if towgs84 is None:
            raise refuse_old_datum(old, name, gdf.crs.name)
        gdf = gdf.set_crs(with_towgs84(gdf.crs, old, towgs84), allow_override=True)
        notes.append(f"{name}：坐标系为{old}，已按您给出的转换参数（{','.join(f'{v:g}' for v in towgs84)}）"
                     "转换为 CGCS2000；精度取决于参数，请核对")
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
    elif gdf.crs.to_string() != WORK_CRS and gdf.crs.to_epsg() not in (4490, 4326) and not towgs84:
        notes.append(f"{name}：坐标系 {gdf.crs.name} 已转换为 EPSG:4549")
    return _declared_to_work(gdf, name, notes)


def _gcj_lonlat_to_work(lon, lat):
    wlon, wlat = gcj02_to_wgs84(lon, lat)
    e, n = to_work(wlon, wlat)
    return np.asarray(e), np.asarray(n)


def check_inside_zhejiang(gdf: gpd.GeoDataFrame, name: str, what: str = "要素") -> None:
    """Raise naming the first feature whose extent leaves 浙江省 (EPSG:4549 input)."""
    b = gdf.geometry.bounds.to_numpy()
    for corner in ((0, 1), (2, 3)):
        lon, lat = to_lonlat(b[:, corner[0]], b[:, corner[1]])
        outside = ~inside_zhejiang(lon, lat)
        if outside.any():
            i = int(np.flatnonzero(outside)[0])
            where = (f"约东经 {lon[i]:.3f}°、北纬 {lat[i]:.3f}°" if np.isfinite([lon[i], lat[i]]).all()
                     else "坐标换算后超出地球范围")
            raise ParcelImportError(
                f"{name}：{feature_label(gdf, i, what)}坐标不在浙江省范围内"
                f"（{where}），请检查坐标系、带号或 X/Y 顺序")


def _repair(gdf: gpd.GeoDataFrame, name: str, notes: list[str], what: str) -> gpd.GeoDataFrame:
    original = np.array(gdf.geometry, dtype=object)
    deduped = shapely.remove_repeated_points(original)
    changed = np.flatnonzero(shapely.get_num_coordinates(original) != shapely.get_num_coordinates(deduped)).tolist()
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
            # No polygon part at all (a ring with no area): empty, then skipped for its area.
            geoms[i] = shapely.union_all(parts) if len(parts) > 1 else (parts[0] if parts else Polygon())
        gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
        invalid = [i for i in invalid if not geoms[i].is_empty]
        for i in invalid:
            n_parts = len(getattr(geoms[i], "geoms", [geoms[i]]))
            notes.append(f"{name}：{feature_label(gdf, i, what)}几何无效（自相交或环相接），"
                         f"已用 make_valid 修复为 {n_parts} 个部分，面积未丢失")
    return gdf


def _single_parts(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    geoms = [g.geoms[0] if g.geom_type == "MultiPolygon" and len(g.geoms) == 1 else g for g in gdf.geometry]
    return gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))


def finish_import(gdf: gpd.GeoDataFrame, path: Path, notes: list[str], *, gcj02: bool = False,
                  what: str = "要素", skipped: list[Skipped] | None = None,
                  towgs84: tuple[float, ...] | None = None) -> ImportResult:
    """Polygons only, 2-D, EPSG:4549, inside 浙江, repaired, conformed: the end of every reader.

    ``towgs84``: the user's 7-parameter set, the only way coordinates declared in 西安 1980 or
    北京 1954 are accepted. ``gdf`` holds one row per element the reader saw and kept so far; ``skipped`` the ones it
    already left out. Elements that are not polygons or have no area are added to ``skipped``, so
    the result accounts for every element. ``gdf.crs`` None means the coordinates decide the CRS.
    Raises ``ParcelImportError`` when a coordinate is not finite or nothing is left to import.
    """
    name = path.name
    skipped = list(skipped or [])
    seen = len(gdf) + len(skipped)
    if seen == 0:
        raise ParcelImportError(f"{name}：文件中没有任何{what}")
    gdf = rename_parcel_columns(gdf.reset_index(drop=True))
    if NUMBER_COLUMN not in gdf.columns:
        gdf[NUMBER_COLUMN] = np.arange(1, len(gdf) + 1)
    gdf = _polygons_only(gdf, name, notes, skipped, what)
    if len(gdf):
        gdf = _drop_z(gdf, name, notes)
        _refuse_non_finite(gdf, name, what)
        gdf = _to_work_crs(gdf, name, notes, gcj02, towgs84)
        check_inside_zhejiang(gdf, name, what)
        gdf = _refuse_tiny(_single_parts(_repair(gdf, name, notes, what)), name, skipped, what)
    if not len(gdf):
        reasons = "；".join(f"{s.place}{s.reason}" for s in skipped[:5])
        raise ParcelImportError(f"{name}：没有可作为地块导入的面（共 {seen} 个{what}：{reasons}）")
    gdf = gdf.drop(columns=[c for c in (NUMBER_COLUMN, PLACE_COLUMN) if c in gdf.columns])
    try:
        parcels = conform_parcels(gdf)
    except ValueError as exc:
        raise ParcelImportError(f"{name}：{exc}") from exc
    parcels = unique_parcel_ids(parcels, name, notes)
    return ImportResult(parcels, notes, path, seen=seen, skipped=skipped, what=what)
