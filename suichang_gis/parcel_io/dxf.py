"""DXF parcels from CAD: closed polylines and hatches become polygons (ezdxf).

DXF carries no CRS: coordinates are judged against 浙江 (EPSG:4549, zone-prefixed EPSG:4528,
swapped X/Y), and drawing units from ``$INSUNITS`` are checked the same way, since CAD templates
often declare millimetres for drawings made in metres. Parcels written here carry their
attributes as XDATA, so a file that went through CAD comes back with them.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np

from ..crs import WORK_CRS, normalise_coordinates
from ..parcel import PARCEL_FIELDS
from .datum import parse_towgs84
from .finish import PLACE_COLUMN, finish_import, rings_to_geometry
from .result import ImportResult, ParcelImportError, Skipped

APPID = "SUICHANG_GIS"
PARCEL_LAYER = "候选地块"
_UNIT_METRES = {1: 0.0254, 2: 0.3048, 4: 0.001, 5: 0.01, 6: 1.0, 7: 1000.0}
_UNIT_NAMES = {1: "英寸", 2: "英尺", 4: "毫米", 5: "厘米", 6: "米", 7: "千米"}
_CHUNK = 200  # XDATA strings hold at most 255 characters


def _open(path: Path, notes: list[str] | None = None):
    """Read a DXF; GBK text under a wrong $DWGCODEPAGE (common from older tools) is re-read as GBK."""
    import ezdxf  # imported where used: it takes a third of a second

    if not path.exists():
        raise ParcelImportError(f"找不到文件 {path}")
    try:
        doc = ezdxf.readfile(path)
        if doc.encoding.lower() not in _CHINESE_ENCODINGS and doc.encoding.lower() not in ("utf8", "utf-8"):
            data = path.read_bytes()
            if not data.isascii() and _is_gbk_not_utf8(data):
                doc = ezdxf.readfile(path, encoding="gbk")
                if notes is not None:
                    notes.append(f"{path.name}：文件声明代码页为 {doc.header.get('$DWGCODEPAGE', '?')}，"
                                 "但文字是 GBK 编码，已按 GBK 读取")
        return doc
    except ezdxf.DXFStructureError as exc:
        raise ParcelImportError(f"{path.name}：DXF 结构错误，文件损坏或不完整（{exc}）") from exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ParcelImportError(f"{path.name}：不是可读的 DXF 文件（{exc}）") from exc


_CHINESE_ENCODINGS = ("gbk", "cp936", "gb2312", "gb18030")


def _is_gbk_not_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return False
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return False
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _rings(entity) -> tuple[list[np.ndarray], bool]:
    """Closed rings of a polyline or hatch, and whether the entity was open (not a shape)."""
    from ezdxf import path as dxfpath

    kind = entity.dxftype()
    if kind == "HATCH":
        paths, flagged = list(dxfpath.from_hatch(entity)), True
    elif kind == "LWPOLYLINE":
        paths, flagged = [dxfpath.make_path(entity)], entity.closed
    elif kind == "POLYLINE" and not (entity.is_poly_face_mesh or entity.is_polygon_mesh):
        paths, flagged = [dxfpath.make_path(entity)], entity.is_closed
    else:
        return [], False
    rings = []
    for p in paths:
        xy = np.array([(v.x, v.y) for v in p.flattening(0.01)])
        # A polyline drawn back to its start point is closed even without the flag.
        closed = len(xy) >= 3 and (flagged or (len(xy) >= 4 and np.allclose(xy[0], xy[-1])))
        if not closed:
            return [], True
        if not np.allclose(xy[0], xy[-1]):
            xy = np.vstack([xy, xy[:1]])
        rings.append(xy)
    return rings, False


_SHAPE_TYPES = ("LWPOLYLINE", "POLYLINE", "HATCH")
_MAX_BLOCK_DEPTH = 16  # deeper nesting is a block that contains itself


def _entities(layout, file_name: str, layer: str | None = None, block: str = "", depth: int = 0):
    """(entity, effective layer, block path) of a layout with every block reference exploded.

    INSERTs are replaced by their block's entities moved, scaled and rotated as placed
    (ezdxf ``virtual_entities``); MINSERT arrays give one copy per cell; nested blocks recurse.
    An entity on layer "0" inside a block takes the layer of its INSERT, as CAD draws it.
    """
    for entity in layout:
        own = entity.dxf.get("layer", "0")
        effective = layer if (layer is not None and own == "0") else own
        if entity.dxftype() != "INSERT":
            yield entity, effective, block
            continue
        if depth >= _MAX_BLOCK_DEPTH:
            raise ParcelImportError(f"{file_name}：图块“{entity.dxf.name}”嵌套超过 {_MAX_BLOCK_DEPTH} 层（图块引用了自身？），无法展开")
        name = f"{block}/{entity.dxf.name}" if block else entity.dxf.name
        copies = entity.multi_insert() if entity.mcount > 1 else [entity]
        for copy in copies:
            yield from _entities(copy.virtual_entities(), file_name, effective, name, depth + 1)


def _xdata(entity) -> dict | None:
    if not entity.has_xdata(APPID):
        return None
    text = "".join(tag.value for tag in entity.get_xdata(APPID) if tag.code == 1000)
    try:
        return json.loads(text)
    except ValueError:
        return None


def dxf_layers(path: Path) -> dict[str, int]:
    """Layer name → number of closed polylines/hatches on it, for the user to choose layers."""
    counts: dict[str, int] = {}
    for entity, layer, _ in _entities(_open(path).modelspace(), path.name):
        rings, _ = _rings(entity) if entity.dxftype() in _SHAPE_TYPES else ([], False)
        if rings:
            counts[layer] = counts.get(layer, 0) + 1
    return counts


def read_dxf(path: Path, *, layers: list[str] | str | None = None, layer: str | None = None,
             units: float | None = None, crs: str | None = None, towgs84: str | None = None,
             **_options) -> ImportResult:
    """Read closed shapes of the chosen layers (all layers by default).

    ``units`` (metres per drawing unit) and ``crs`` (e.g. "EPSG:4528") override the detection.
    """
    notes: list[str] = []
    doc = _open(path, notes)
    chosen = [layers] if isinstance(layers, str) else list(layers or ([layer] if layer else []))
    existing = {entry.dxf.name for entry in doc.layers}
    missing = [name for name in chosen if name not in existing]
    if missing:
        raise ParcelImportError(f"{path.name}：没有图层“{'、'.join(missing)}”。文件中的图层：{'、'.join(sorted(existing))}")
    shapes: list[dict] = []
    grouped: dict[int, dict] = {}
    skipped: list[Skipped] = []
    others: dict[str, int] = {}
    number = 0
    for entity, entity_layer, block in _entities(doc.modelspace(), path.name):
        if chosen and entity_layer not in chosen:
            continue
        kind = entity.dxftype()
        if kind not in _SHAPE_TYPES:
            others[kind] = others.get(kind, 0) + 1
            continue
        number += 1
        place = f"第 {number} 个图形（图层“{entity_layer}”" + (f"，图块“{block}”" if block else "") + "）"
        rings, was_open = _rings(entity)
        if not rings:
            reason = "是未闭合的多段线" if was_open else f"是{kind}网格或无法构成面的图形"
            skipped.append(Skipped(place, reason))
            continue
        meta = _xdata(entity)
        if meta is not None and "parcel" in meta:
            group = grouped.setdefault(meta["parcel"], {"rings": [], "attrs": {}, PLACE_COLUMN: place})
            group["rings"].extend(rings)
            group["attrs"] |= meta.get("attrs", {})
        else:
            attrs = {"dxf_layer": entity_layer} | ({"dxf_block": block} if block else {})
            shapes.append({"rings": rings, "attrs": attrs, PLACE_COLUMN: place})
    shapes = [grouped[k] for k in sorted(grouped)] + shapes
    where = f"（图层：{'、'.join(chosen)}）" if chosen else ""
    if not shapes:
        open_count = sum(s.reason == "是未闭合的多段线" for s in skipped)
        detail = (f"只有 {open_count} 条未闭合的多段线" if open_count == len(skipped) else
                  f"只有 {len(skipped)} 个未闭合或不成面的图形") if skipped else "没有多段线或填充"
        raise ParcelImportError(f"{path.name}{where}：没有闭合的多段线或图案填充，{detail}，无法构成地块面。"
                                "请在 CAD 中闭合地块边界后重新导出")
    if others:
        kinds = "、".join(f"{n} 个 {k}" for k, n in sorted(others.items()))
        notes.append(f"{path.name}：另有 {kinds} 不是多段线或填充，不构成地块，未读取")
    blocks = sorted({s["attrs"].get("dxf_block") for s in shapes} - {None})
    if blocks:
        notes.append(f"{path.name}：图块（{'、'.join(blocks)}）中的图形已按插入点、比例和旋转展开后导入")
    layer_names = sorted({s["attrs"].get("dxf_layer") for s in shapes} - {None})
    if not chosen and len(layer_names) > 1:
        notes.append(f"{path.name}：导入了 {len(layer_names)} 个图层的闭合图形（{'、'.join(layer_names)}），可只选其中的图层")
    scale = _choose_scale(doc, shapes, 1.0 if crs and units is None else units, path.name, notes)
    geometries = [rings_to_geometry([r * scale for r in s["rings"]]) for s in shapes]
    gdf = gpd.GeoDataFrame([s["attrs"] | {PLACE_COLUMN: s[PLACE_COLUMN]} for s in shapes],
                           geometry=geometries, crs=crs)
    return finish_import(gdf, path, notes, what="图形", skipped=skipped, towgs84=parse_towgs84(towgs84, path.name))


def _choose_scale(doc, shapes, units, name, notes) -> float:
    if units is not None:
        return float(units)
    code = doc.header.get("$INSUNITS", 0)
    declared = _UNIT_METRES.get(code, 1.0)
    xy = np.vstack([r for s in shapes for r in s["rings"]])
    for scale in dict.fromkeys((declared, 1.0)):
        try:
            normalise_coordinates(xy[:, 0] * scale, xy[:, 1] * scale)
        except ValueError:
            continue
        if scale != declared:
            notes.append(f"{name}：图纸单位声明为{_UNIT_NAMES.get(code, '未知')}，但坐标按米才落在浙江，已按米读取")
        elif scale != 1.0:
            notes.append(f"{name}：图纸单位为{_UNIT_NAMES[code]}，已换算为米")
        return scale
    return declared  # finish_import reports the coordinates as outside 浙江


def write_dxf(gdf: gpd.GeoDataFrame, path: Path, *, zone_prefix: bool = False, **_options) -> Path:
    """Write parcels as closed LWPOLYLINEs on layer 候选地块 (DXF R2010, metres, EPSG:4549)."""
    import ezdxf

    gdf = gdf.to_crs(WORK_CRS)
    doc = ezdxf.new("R2010", units=6)
    doc.appids.new(APPID)
    doc.layers.add(PARCEL_LAYER, color=1)
    doc.layers.add(PARCEL_LAYER + "_标注", color=7)
    msp = doc.modelspace()
    offset = 40_000_000.0 if zone_prefix else 0.0
    fields = [f.name for f in PARCEL_FIELDS] + [c for c in gdf.columns if c not in {f.name for f in PARCEL_FIELDS}
                                                 and c != gdf.geometry.name and c != "dxf_layer"]
    for index, (_, row) in enumerate(gdf.iterrows()):
        attrs = {k: _jsonable(row[k]) for k in fields if k in row.index and _jsonable(row[k]) is not None}
        polygons = getattr(row.geometry, "geoms", [row.geometry])
        rings = [r for p in polygons for r in (p.exterior, *p.interiors)]
        for ring_no, ring in enumerate(rings):
            xy = np.asarray(ring.coords)[:-1] + [offset, 0.0]
            polyline = msp.add_lwpolyline(xy.tolist(), close=True, dxfattribs={"layer": PARCEL_LAYER})
            meta = {"parcel": index, "ring": ring_no} | ({"attrs": attrs} if ring_no == 0 else {})
            text = json.dumps(meta, ensure_ascii=False)
            polyline.set_xdata(APPID, [(1000, text[i:i + _CHUNK]) for i in range(0, len(text), _CHUNK)])
        label = attrs.get("name") or attrs.get("parcel_id") or ""
        point = row.geometry.representative_point()
        msp.add_text(str(label), height=5.0, dxfattribs={"layer": PARCEL_LAYER + "_标注"}).set_placement(
            (point.x + offset, point.y))
    doc.saveas(path)
    return path


def _jsonable(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return value if isinstance(value, (str, int, float, bool)) else str(value)
