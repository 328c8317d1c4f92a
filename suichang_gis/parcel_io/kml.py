"""KML / KMZ parcels (Google Earth, 奥维地图), with GCJ-02 correction on request or detection.

KML is lon,lat in WGS84 by definition, but 奥维地图 from 9.3 exports GCJ-02 coordinates
(``.ovkml``/``.ovkmz``), and files traced on 高德 imagery are GCJ-02 too: a few hundred metres
off. ``gcj02=None`` corrects when the file says so and notes when it only might be.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import geopandas as gpd
import numpy as np
from shapely.geometry import LineString, MultiPolygon, Point, Polygon

from ..crs import LONLAT_CRS, wgs84_to_gcj02
from .finish import NUMBER_COLUMN, PLACE_COLUMN, finish_import
from .result import ImportResult, ParcelImportError, Skipped, read_bytes

_KML_NS = "http://www.opengis.net/kml/2.2"
_STRONG_GCJ_MARKERS = ("gcj-02", "gcj02", "火星坐标")
_WEAK_GCJ_MARKERS = ("奥维", "ovital", "高德", "amap", "autonavi")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element, name: str):
    return [c for c in element if _local(c.tag) == name]


def _descendants(element, name: str):
    return [c for c in element.iter() if _local(c.tag) == name]


class _NotAShape(Exception):
    """A geometry that cannot be a polygon (too few points): the placemark is skipped, not the file."""


def _coords(element, where: str) -> np.ndarray:
    nodes = _descendants(element, "coordinates")
    if not nodes or not (nodes[0].text or "").strip():
        raise ParcelImportError(f"{where}：缺少坐标")
    # "lon, lat" with blanks after the comma is common in hand-edited files.
    text = re.sub(r"\s*,\s*", ",", nodes[0].text.strip())
    try:
        values = [tuple(float(v) for v in token.split(",")[:2]) for token in text.split()]
    except ValueError as exc:
        raise ParcelImportError(f"{where}：坐标“{nodes[0].text.strip()[:40]}”不是数字") from exc
    if any(len(v) < 2 for v in values):
        raise ParcelImportError(f"{where}：坐标缺少纬度（应为 经度,纬度）")
    xy = np.array(values)
    if not np.isfinite(xy).all():
        bad = next(t for t in text.split() if not np.isfinite([float(v) for v in t.split(",")[:2]]).all())
        raise ParcelImportError(f"{where}：顶点坐标“{bad}”不是有限数值（nan 或无穷大），文件可能损坏。"
                                "请在原软件中修正该顶点后重新导出")
    return xy


def _ring(element, where: str, what: str) -> np.ndarray:
    xy = _coords(element, where)
    distinct = len({tuple(v) for v in xy})
    if distinct < 3:
        raise _NotAShape(f"{what}只有 {distinct} 个不同的点，构不成面")
    return xy if np.array_equal(xy[0], xy[-1]) else np.vstack([xy, xy[:1]])


def _geometry(element, where: str):
    kind = _local(element.tag)
    if kind == "Polygon":
        outer = _children(element, "outerBoundaryIs")
        if not outer:
            raise ParcelImportError(f"{where}：多边形缺少外边界")
        # One <innerBoundaryIs> may hold several <LinearRing>s: every one is a hole.
        holes = [_ring(r, where, f"第 {i} 个内边界") for i, r in enumerate(
            (r for inner in _children(element, "innerBoundaryIs") for r in _descendants(inner, "LinearRing")), 1)]
        return Polygon(_ring(outer[0], where, "外边界"), holes)
    if kind == "MultiGeometry":
        parts = [_geometry(c, where) for c in element if _local(c.tag) in _GEOMETRY_TAGS]
        polygons = [p for g in parts if g is not None for p in getattr(g, "geoms", [g]) if p.geom_type == "Polygon"]
        if polygons:
            return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)
        return parts[0] if parts else None
    if kind in ("LineString", "LinearRing"):
        xy = _coords(element, where)
        return LineString(xy) if len(xy) >= 2 else Point(xy[0])
    if kind == "Point":
        return Point(_coords(element, where)[0])
    return None


_GEOMETRY_TAGS = ("Polygon", "MultiGeometry", "LineString", "LinearRing", "Point")
# Parcel KML is kilobytes to a few megabytes; a KMZ member that inflates past this is refused
# before it is read (a zip bomb of 1 MB may hold gigabytes).
MAX_KML_BYTES = 256 * 1024 * 1024


def _kml_documents(path: Path, notes: list[str]) -> list[tuple[str, bytes]]:
    """(member name, bytes) of every KML to read: the file itself, or every KML inside a KMZ."""
    data = read_bytes(path)
    if path.suffix.lower() not in (".kmz", ".ovkmz"):
        return [(path.name, data)]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [i for i in archive.infolist() if i.filename.lower().endswith("kml") and not i.is_dir()]
            if not members:
                raise ParcelImportError(f"{path.name}：KMZ 压缩包里没有 .kml 文件")
            # doc.kml first (it is what Google Earth opens), then the rest in archive order.
            members.sort(key=lambda i: i.filename.lower() != "doc.kml")
            documents = []
            for info in members:
                if info.file_size > MAX_KML_BYTES:
                    raise _too_big(path, info.filename)
                with archive.open(info) as member:
                    content = member.read(MAX_KML_BYTES + 1)  # the header may lie about the size
                if len(content) > MAX_KML_BYTES:
                    raise _too_big(path, info.filename)
                documents.append((info.filename, content))
    except zipfile.BadZipFile as exc:
        raise ParcelImportError(f"{path.name}：KMZ 文件损坏或不完整（不是有效的压缩包）") from exc
    if len(documents) > 1:
        notes.append(f"{path.name}：压缩包含 {len(documents)} 个 KML 文件（{'、'.join(n for n, _ in documents)}），"
                     "已全部读取，地块的 kml_folder 字段（KML 文件夹）注明来源")
    return documents


def _too_big(path: Path, member: str) -> ParcelImportError:
    return ParcelImportError(f"{path.name}：压缩包中的 {member} 解压后超过 {MAX_KML_BYTES // 2**20} MB，"
                             "不像地块文件（可能是损坏或恶意的压缩包），已拒绝读取")


def _placemarks(element, folders: tuple[str, ...] = ()):
    """(placemark, folder path) in document order, with the names of the enclosing folders."""
    for child in element:
        kind = _local(child.tag)
        if kind == "Placemark":
            yield child, folders
        elif len(child):  # Folder, Document, or any other container: no placemark is missed
            name = _children(child, "name") if kind == "Folder" else []
            label = (name[0].text or "").strip() if name else ""
            yield from _placemarks(child, folders + ((label,) if label else ()))


def _gcj02_decision(path: Path, text: str, gcj02: bool | None, notes: list[str]) -> bool:
    lower = text.lower()
    strong = path.suffix.lower() in (".ovkml", ".ovkmz") or any(m in lower for m in _STRONG_GCJ_MARKERS)
    weak = any(m in lower for m in _WEAK_GCJ_MARKERS)
    if gcj02 is None:
        if strong:
            notes.append(f"{path.name}：检测到 GCJ-02（火星坐标）标记，已纠偏为 CGCS2000（偏移约数百米）")
            return True
        if weak:
            notes.append(f"{path.name}：文件来自奥维/高德，坐标可能是 GCJ-02（火星坐标）。"
                         "未纠偏；若地块与底图偏移数百米，请勾选“GCJ-02 纠偏”重新导入")
        return False
    if not gcj02 and strong:
        notes.append(f"{path.name}：文件带有 GCJ-02 标记，但按您的选择未纠偏")
    return gcj02


def read_kml(path: Path, *, gcj02: bool | None = None, **_options) -> ImportResult:
    """Every placemark of a KML, or of every KML inside a KMZ (<NetworkLink>s to members included).

    The account counts placemarks; a placemark whose polygon has fewer than 3 distinct points,
    and a <NetworkLink> to a file outside the archive, are skipped with the reason.
    """
    notes: list[str] = []
    documents = _kml_documents(path, notes)
    members = {name.lower() for name, _ in documents}
    correct = _gcj02_decision(path, "".join(d.decode("utf-8", errors="replace") for _, d in documents), gcj02, notes)
    rows, geometries, skipped = [], [], []
    number = 0
    for member, data in documents:
        try:
            root = ET.fromstring(data)
        except ET.ParseError as exc:
            line = exc.position[0] if exc.position else "?"
            inside = f" 中的 {member}" if member != path.name else ""
            raise ParcelImportError(f"{path.name}{inside} 第 {line} 行：KML 格式错误，文件损坏或不完整（{exc}）") from exc
        prefix = f"{member} " if len(documents) > 1 else ""
        for link in _descendants(root, "NetworkLink"):
            href = "".join((h.text or "").strip() for h in _descendants(link, "href"))
            if href.lower().lstrip("./") not in members:
                skipped.append(Skipped(f"{prefix}网络链接“{href or '（空）'}”",
                                       "指向压缩包以外的文件或网址，未读取；请把该文件一并导入"))
        for placemark, folders in _placemarks(root):
            number += 1
            name_node = _children(placemark, "name")
            label = (name_node[0].text or "").strip() if name_node else ""
            place = f"{prefix}第 {number} 个地标" + (f"（{label}）" if label else "")
            row = {"name": label or None, NUMBER_COLUMN: number, PLACE_COLUMN: place}
            folder = "/".join(((member,) if len(documents) > 1 else ()) + folders)
            if folder:
                row["kml_folder"] = folder
            for data_node in _descendants(placemark, "Data"):
                value = _children(data_node, "value")
                row[data_node.get("name")] = value[0].text if value else None
            for simple in _descendants(placemark, "SimpleData"):
                row[simple.get("name")] = simple.text
            try:
                geometry = next((_geometry(c, f"{path.name} {place}") for c in placemark.iter()
                                 if _local(c.tag) in _GEOMETRY_TAGS), None)
            except _NotAShape as exc:
                skipped.append(Skipped(place, str(exc)))
                continue
            rows.append(row)
            geometries.append(geometry)
    if not rows and not skipped:
        raise ParcelImportError(f"{path.name}：KML 中没有地标（Placemark）")
    gdf = gpd.GeoDataFrame(rows, geometry=geometries, crs=LONLAT_CRS)
    links = any(s.place.split(" ")[-1].startswith("网络链接") for s in skipped)
    return finish_import(gdf, path, notes, gcj02=correct, what="地标或网络链接" if links else "地标", skipped=skipped)


def write_kml(gdf: gpd.GeoDataFrame, path: Path, *, gcj02: bool = False, **_options) -> Path:
    """Write parcels as KML (or KMZ by extension), lon/lat to 1e-9°, GCJ-02 on request."""
    lonlat = gdf.to_crs(LONLAT_CRS)
    placemarks = []
    for _, row in lonlat.iterrows():
        # "name" always travels in ExtendedData, so a placemark titled by its id reads back unnamed.
        data = "".join(f'<Data name="{escape(str(k))}"><value>{escape(str(v)) if _present(v) else ""}</value></Data>'
                       for k, v in row.drop(labels=[lonlat.geometry.name]).items() if _present(v) or k == "name")
        polygons = getattr(row.geometry, "geoms", [row.geometry])
        body = "".join(_polygon_kml(p, gcj02) for p in polygons)
        if len(polygons) > 1:
            body = f"<MultiGeometry>{body}</MultiGeometry>"
        title = row.get("name") if _present(row.get("name")) else row.get("parcel_id")
        placemarks.append(f"<Placemark><name>{escape(str(title))}</name><styleUrl>#parcel</styleUrl>"
                          f"<ExtendedData>{data}</ExtendedData>{body}</Placemark>")
    note = "坐标为 GCJ-02（火星坐标）" if gcj02 else "坐标为 CGCS2000 经纬度（与 WGS84 一致）"
    doc = (f'<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="{_KML_NS}"><Document>'
           f"<name>候选地块</name><description>{note}</description>"
           '<Style id="parcel"><LineStyle><color>ff0000ff</color><width>2</width></LineStyle>'
           "<PolyStyle><color>400000ff</color></PolyStyle></Style>"
           + "".join(placemarks) + "</Document></kml>\n")
    if path.suffix.lower() == ".kmz":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("doc.kml", doc)
    else:
        path.write_text(doc, encoding="utf-8")
    return path


def _present(value) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value)) and str(value) != ""


def _ring_kml(ring, gcj02: bool) -> str:
    lon, lat = np.asarray(ring.coords).T
    if gcj02:
        lon, lat = wgs84_to_gcj02(lon, lat)
    coords = " ".join(f"{x:.10f},{y:.10f}" for x, y in zip(lon, lat))
    return f"<LinearRing><coordinates>{coords}</coordinates></LinearRing>"


def _polygon_kml(polygon: Polygon, gcj02: bool) -> str:
    holes = "".join(f"<innerBoundaryIs>{_ring_kml(r, gcj02)}</innerBoundaryIs>" for r in polygon.interiors)
    return f"<Polygon><outerBoundaryIs>{_ring_kml(polygon.exterior, gcj02)}</outerBoundaryIs>{holes}</Polygon>"
