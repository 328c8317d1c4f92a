"""Geometry edits of a parcel: vertices, holes, split, merge, and snapping (EPSG:4549 metres).

The GUI tools call these; each returns a new geometry (shapely objects are immutable) or raises
``ValueError`` with a Chinese message when the edit would not leave a valid parcel. A vertex is
addressed by ``VertexKey(part, ring, index)``: part of a MultiPolygon, ring 0 = exterior and
1… = holes, index into the ring without its closing point.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon
from shapely.ops import split


class VertexKey(NamedTuple):
    """Where a vertex is: polygon part, ring (0 = exterior, then the holes) and index in the ring."""

    part: int
    ring: int
    index: int


def _parts(geometry) -> list[Polygon]:
    return list(geometry.geoms) if geometry.geom_type == "MultiPolygon" else [geometry]


def _rings(polygon: Polygon) -> list[np.ndarray]:
    """The exterior then each hole as an open (n, 2) coordinate array."""
    return [shapely.get_coordinates(r)[:-1] for r in shapely.get_rings(polygon)]


def _build(parts_rings: list[list[np.ndarray]]):
    polygons = [Polygon(rings[0], rings[1:]) for rings in parts_rings]
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)


def vertices(geometry) -> list[tuple[VertexKey, float, float]]:
    """Every vertex once (closing points left out)."""
    return [(VertexKey(p, r, i), x, y)
            for p, polygon in enumerate(_parts(geometry))
            for r, ring in enumerate(_rings(polygon))
            for i, (x, y) in enumerate(ring)]


def nearest_vertex(geometry, x: float, y: float) -> tuple[VertexKey, float]:
    """The vertex of ``geometry`` nearest to (x, y) and its distance in metres (EPSG:4549)."""
    found = vertices(geometry)
    xy = np.array([(vx, vy) for _, vx, vy in found])
    d = np.hypot(xy[:, 0] - x, xy[:, 1] - y)
    i = int(np.argmin(d))
    return found[i][0], float(d[i])


def nearest_edge(geometry, x: float, y: float) -> tuple[VertexKey, tuple[float, float], float]:
    """The edge nearest to (x, y): key of its first vertex, the nearest point on it, distance."""
    best = None
    point = Point(x, y)
    for p, polygon in enumerate(_parts(geometry)):
        for r, ring in enumerate(_rings(polygon)):
            closed = np.vstack([ring, ring[:1]])
            for i in range(len(ring)):
                edge = LineString(closed[i:i + 2])
                d = edge.distance(point)
                if best is None or d < best[2]:
                    on = edge.interpolate(edge.project(point))
                    best = (VertexKey(p, r, i), (on.x, on.y), d)
    return best


def _edit_ring(geometry, key: VertexKey, change):
    parts = [_rings(polygon) for polygon in _parts(geometry)]
    parts[key.part][key.ring] = change(parts[key.part][key.ring])
    result = _build(parts)
    if not result.is_valid:
        raise ValueError("这样修改会使地块边界自相交，已取消")
    return result


def move_vertex(geometry, key: VertexKey, x: float, y: float):
    """``geometry`` with vertex ``key`` moved to (x, y); a new geometry, the input is unchanged."""
    def change(ring):
        ring = ring.copy()
        ring[key.index] = (x, y)
        return ring
    return _edit_ring(geometry, key, change)


def insert_vertex(geometry, after: VertexKey, x: float, y: float):
    """Insert (x, y) on the edge that starts at vertex ``after``."""
    return _edit_ring(geometry, after, lambda ring: np.insert(ring, after.index + 1, (x, y), axis=0))


def delete_vertex(geometry, key: VertexKey):
    """``geometry`` without vertex ``key``; raises ValueError (Chinese) when the ring would keep
    fewer than 3 vertices.
    """
    ring_size = len(_rings(_parts(geometry)[key.part])[key.ring])
    if ring_size <= 3:
        raise ValueError("地块边界至少需要 3 个顶点，不能再删除")
    return _edit_ring(geometry, key, lambda ring: np.delete(ring, key.index, axis=0))


def translate(geometry, dx: float, dy: float):
    """``geometry`` moved by (dx, dy) metres."""
    return shapely.transform(geometry, lambda xy: xy + (dx, dy))


def cut_hole(geometry, hole: Polygon):
    """The parcel with ``hole`` removed; the hole must lie inside it."""
    if not geometry.contains(hole):
        raise ValueError("洞必须完全位于地块内部")
    return geometry.difference(hole)


def split_parcel(geometry, line: LineString) -> list[Polygon]:
    """The pieces of the parcel on either side of ``line``, which must cross it."""
    pieces = [g for g in split(geometry, line).geoms if g.area > 0]
    if len(pieces) < 2:
        raise ValueError("分割线必须完整穿过地块（从地块外画到地块外）")
    return pieces


def merge_parcels(geometries) -> tuple[Polygon | MultiPolygon, str | None]:
    """The union of the parcels, and a note when they do not touch (the result has parts)."""
    merged = shapely.union_all(list(geometries))
    note = None
    if merged.geom_type == "MultiPolygon":
        note = f"合并的地块互不相连，合并结果由 {len(merged.geoms)} 个部分组成"
    return merged, note


def repair_drawn(geometry) -> tuple[Polygon | MultiPolygon, str | None]:
    """A drawn polygon made valid (both lobes of a bowtie kept), with a note when it was needed."""
    if geometry.is_valid:
        return geometry, None
    repaired = shapely.make_valid(geometry)
    polygons = [g for g in shapely.get_parts(repaired) if g.geom_type in ("Polygon", "MultiPolygon")]
    merged = shapely.union_all(polygons)
    return merged, f"绘制的边界自相交，已用 make_valid 修复为 {len(shapely.get_parts(merged))} 个部分"


@dataclass(frozen=True)
class Snap:
    """A snapped position (EPSG:4549) and what it snapped to: "vertex" or "edge"."""

    x: float
    y: float
    kind: str  # "vertex" | "edge"


def snap_point(x: float, y: float, geometries, tolerance: float) -> Snap | None:
    """The nearest vertex within ``tolerance`` of (x, y), else the nearest edge point, else None.

    ``geometries`` is any sequence of shapely geometries (a layer's, or those near the cursor).
    """
    point = Point(x, y)
    # Outlines, not areas: a point inside a polygon is not near it unless near its boundary.
    outlines = [g.boundary if g.geom_type in ("Polygon", "MultiPolygon") else g
                for g in geometries if g is not None and not g.is_empty]
    near = [g for g in outlines if g.distance(point) <= tolerance]
    if not near:
        return None
    coords = np.vstack([shapely.get_coordinates(g) for g in near])
    d = np.hypot(coords[:, 0] - x, coords[:, 1] - y)
    i = int(np.argmin(d))
    if d[i] <= tolerance:
        return Snap(float(coords[i, 0]), float(coords[i, 1]), "vertex")
    best = min((g for g in near if g.geom_type not in ("Point", "MultiPoint")),
               key=lambda g: g.distance(point), default=None)
    if best is None:
        return None
    on = best.interpolate(best.project(point))
    return Snap(on.x, on.y, "edge")
