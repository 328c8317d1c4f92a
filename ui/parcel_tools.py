"""Map tools that draw and edit candidate parcels; every change goes through ``ParcelEditor``.

- ``DrawPolygonTool``: click vertices; double-click or Enter finishes; Backspace removes the last
  vertex; Esc cancels. In ``hole`` mode the polygon is cut out of the parcel that contains it.
- ``RectangleTool``: drag a rectangle.
- ``SplitTool``: draw a line across a parcel (double-click or Enter) to split it.
- ``EditVerticesTool``: drag a vertex; double-click an edge to insert one; right-click a vertex
  (or hover it and press Delete) to delete it.
- ``MoveParcelTool``: drag a parcel. ``MergeTool``: click two parcels. ``SelectTool``: click to
  select, double-click for the attribute form.

All clicks snap to vertices, then edges, of visible layers within ``Snapper.tolerance_px``
pixels (the drawn sketch included) while ``Snapper.enabled``.
"""

from __future__ import annotations

import math

import shapely
from PySide6.QtCore import QObject, Qt, Signal
from shapely.geometry import LineString, Polygon

from suichang_gis.catalog import Style
from suichang_gis.parcel_geometry import (
    cut_hole,
    delete_vertex,
    insert_vertex,
    move_vertex,
    nearest_edge,
    nearest_vertex,
    snap_point,
    translate,
)

from .map_tools import MapTool

SKETCH_STYLE = Style(fill="#ff8c0040", stroke="#ff6a00", stroke_width=1.8, marker="square", marker_size=5)
SNAP_STYLE = Style(fill=None, stroke="#d400ff", stroke_width=2.0, marker="diamond", marker_size=11)
FINISH_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class Snapper(QObject):
    """Snaps map points to nearby vertices/edges of the visible layers (and extra geometries)."""

    toggled = Signal(bool)

    def __init__(self, canvas, tolerance_px: float = 10.0, enabled: bool = True):
        super().__init__()
        self.canvas = canvas
        self.tolerance_px = tolerance_px
        self.enabled = enabled

    def set_enabled(self, enabled: bool) -> None:
        self.enabled = enabled
        self.toggled.emit(enabled)

    def snap(self, x: float, y: float, extra=()) -> tuple[float, float, bool]:
        """(x, y) moved to the snap target when there is one; the flag says whether it snapped."""
        if not self.enabled:
            return x, y, False
        tolerance = self.tolerance_px * self.canvas.view.resolution
        window = shapely.box(x - tolerance, y - tolerance, x + tolerance, y + tolerance)
        candidates = list(extra)
        for layer in self.canvas.canvas_layers():
            if layer.visible and len(layer.layer.gdf):
                hits = layer.feature_tree().query(window)
                candidates.extend(layer.layer.gdf.geometry.iloc[hits])
        found = snap_point(x, y, candidates, tolerance)
        return (found.x, found.y, True) if found else (x, y, False)


class ParcelTool(MapTool):
    """Base of the parcel tools: the editor, the snapper and a snap marker.

    ``hint`` is the tool's mouse and key usage (Chinese) for the editing toolbar;
    ``parcel_finished(fid)`` is emitted when a drawing tool added a new parcel.
    """

    cursor = Qt.CursorShape.CrossCursor
    hint = ""
    parcel_finished = Signal(int)

    def __init__(self, editor, snapper: Snapper):
        super().__init__(editor.canvas)
        self.editor = editor
        self.snapper = snapper

    def snapped(self, event, extra=()) -> tuple[float, float]:
        x, y, hit = self.snapper.snap(event.x, event.y, extra)
        if hit:
            self.canvas.set_overlay("snap", [shapely.Point(x, y)], SNAP_STYLE)
        else:
            self.canvas.clear_overlay("snap")
        return x, y

    def tolerance(self) -> float:
        return self.snapper.tolerance_px * self.canvas.view.resolution

    def deactivate(self) -> None:
        self.canvas.clear_overlay("snap")
        self.canvas.clear_overlay("sketch")


class DrawPolygonTool(ParcelTool):
    """Click vertices of a new parcel (``mode="parcel"``) or of a hole (``mode="hole"``)."""

    def __init__(self, editor, snapper, mode: str = "parcel"):
        super().__init__(editor, snapper)
        self.hint = ("单击加点，双击、右键或回车结束，退格删去上一点，Esc 取消" if mode != "split"
                     else "单击画一条完整穿过地块的线，双击或回车结束，Esc 取消")
        self.mode = mode
        self.name = f"draw_{mode}"
        self.points: list[tuple[float, float]] = []
        self._cursor: tuple[float, float] | None = None

    minimum_points = 3

    def press(self, event):
        if event.button == Qt.MouseButton.RightButton:
            self.finish()
        elif event.button == Qt.MouseButton.LeftButton:
            point = self.snapped(event, self._sketch_geometries())
            if not self.points or point != self.points[-1]:
                self.points.append(point)
            self._draw()

    def move(self, event):
        self._cursor = self.snapped(event, self._sketch_geometries()) if self.points else None
        if self.points:
            self._draw()

    def double_click(self, event):
        # A real double-click pressed on this vertex already; a synthetic one may not have.
        point = self.snapped(event, self._sketch_geometries())
        last = self.points[-1] if self.points else None
        if last is None or math.dist(point, last) > self.tolerance() / 2:
            self.points.append(point)
        self.finish()

    def key_press(self, event):
        if event.key() in FINISH_KEYS:
            self.finish()
        elif event.key() == Qt.Key.Key_Backspace:
            if self.points:
                self.points.pop()
                self._draw()
        elif event.key() == Qt.Key.Key_Escape:
            self.cancel()
        else:
            return False
        return True

    def cancel(self) -> None:
        self.points, self._cursor = [], None
        self.canvas.clear_overlay("sketch")
        self.canvas.clear_overlay("snap")

    def finish(self) -> None:
        points = self.points
        self.cancel()
        if len(points) < self.minimum_points:
            self.editor.message.emit(f"至少需要 {self.minimum_points} 个点，已取消")
            return
        self.commit(points)

    def commit(self, points) -> None:
        polygon = Polygon(points)
        if self.mode == "parcel":
            fid = self.editor.add_polygon(polygon)
            if fid is not None:
                self.parcel_finished.emit(fid)
            return
        fid = self.editor.parcel_at(*polygon.representative_point().coords[0])
        if fid is None:
            self.editor.message.emit("洞必须画在一个地块内部")
            return
        try:
            self.editor.set_geometry(fid, cut_hole(self.editor.geometry(fid), polygon), "挖洞")
        except ValueError as exc:
            self.editor.message.emit(str(exc))

    def _sketch_geometries(self):
        return [shapely.MultiPoint(self.points)] if self.points else []

    def _draw(self) -> None:
        points = self.points + ([self._cursor] if self._cursor else [])
        shapes = [shapely.Point(p) for p in self.points]
        if len(points) >= 3:
            shapes.insert(0, Polygon(points))
        elif len(points) == 2:
            shapes.insert(0, LineString(points))
        self.canvas.set_overlay("sketch", shapes, SKETCH_STYLE)


class SplitTool(DrawPolygonTool):
    """Draw a line across one parcel; it becomes two (or more) parcels."""

    minimum_points = 2

    def __init__(self, editor, snapper):
        super().__init__(editor, snapper, mode="split")

    def commit(self, points) -> None:
        line = LineString(points)
        parcels = self.editor.project.parcels
        crossed = parcels[parcels.geometry.crosses(line)]
        if crossed.empty:
            self.editor.message.emit("分割线必须完整穿过一个地块")
            return
        fid = self.editor.selected if self.editor.selected in crossed.index else int(crossed.index[0])
        self.editor.split(fid, line)

    def _draw(self) -> None:
        points = self.points + ([self._cursor] if self._cursor else [])
        shapes = [shapely.Point(p) for p in self.points]
        if len(points) >= 2:
            shapes.insert(0, LineString(points))
        self.canvas.set_overlay("sketch", shapes, SKETCH_STYLE)


class RectangleTool(ParcelTool):
    name = "draw_rectangle"
    hint = "按住左键拖出矩形，松开即完成，Esc 取消"

    def __init__(self, editor, snapper):
        super().__init__(editor, snapper)
        self._start = None

    def press(self, event):
        if event.button == Qt.MouseButton.LeftButton:
            self._start = (self.snapped(event), event.pos)

    def move(self, event):
        corner = self.snapped(event)
        if self._start is not None:
            (x0, y0), _ = self._start
            self.canvas.set_overlay("sketch", [shapely.box(x0, y0, *corner)], SKETCH_STYLE)

    def release(self, event):
        if self._start is None or event.button != Qt.MouseButton.LeftButton:
            return
        (x0, y0), pos0 = self._start
        self._start = None
        x1, y1 = self.snapped(event)
        self.canvas.clear_overlay("sketch")
        if abs(event.pos.x() - pos0.x()) < 3 or abs(event.pos.y() - pos0.y()) < 3:
            return  # a click, not a rectangle
        fid = self.editor.add_polygon(shapely.box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)), "绘制矩形地块")
        if fid is not None:
            self.parcel_finished.emit(fid)

    def key_press(self, event):
        if event.key() == Qt.Key.Key_Escape:
            self._start = None
            self.canvas.clear_overlay("sketch")
            return True
        return False


class SelectTool(ParcelTool):
    """Click a parcel to select it; double-click opens its attribute form."""

    name = "select_parcel"
    hint = "单击选择地块，双击或 F2 编辑属性，Delete 删除"
    cursor = Qt.CursorShape.PointingHandCursor
    attributes_requested = Signal(int)

    def press(self, event):
        if event.button == Qt.MouseButton.LeftButton:
            self.editor.select(self.editor.parcel_at(event.x, event.y, self.tolerance() / 2))

    def double_click(self, event):
        fid = self.editor.parcel_at(event.x, event.y, self.tolerance() / 2)
        if fid is not None:
            self.attributes_requested.emit(fid)

    def key_press(self, event):
        if event.key() == Qt.Key.Key_Delete and self.editor.selected is not None:
            self.editor.delete([self.editor.selected])
            return True
        return False


class EditVerticesTool(ParcelTool):
    name = "edit_vertices"
    hint = "拖动顶点移动，双击边插入顶点，右键或 Delete 删除顶点"

    def __init__(self, editor, snapper):
        super().__init__(editor, snapper)
        self._drag = None  # (fid, key)
        self._hover = None

    def _vertex_at(self, event):
        fid = self.editor.selected
        if fid is None:
            return None
        key, distance = nearest_vertex(self.editor.geometry(fid), event.x, event.y)
        return (fid, key) if distance <= self.tolerance() else None

    def press(self, event):
        hit = self._vertex_at(event)
        if event.button == Qt.MouseButton.RightButton and hit:
            self._delete(*hit)
        elif event.button == Qt.MouseButton.LeftButton:
            if hit:
                self._drag = hit
            else:
                self.editor.select(self.editor.parcel_at(event.x, event.y, self.tolerance() / 2))

    def move(self, event):
        self._hover = self._vertex_at(event)
        if self._drag is None:
            return
        fid, key = self._drag
        x, y = self.snapped(event, self._other_geometries(fid))
        try:
            preview = move_vertex(self.editor.geometry(fid), key, x, y)
        except ValueError:
            preview = shapely.Point(x, y)
        self.canvas.set_overlay("sketch", [preview], SKETCH_STYLE)

    def release(self, event):
        if self._drag is None:
            return
        fid, key = self._drag
        self._drag = None
        self.canvas.clear_overlay("sketch")
        x, y = self.snapped(event, self._other_geometries(fid))
        try:
            geometry = move_vertex(self.editor.geometry(fid), key, x, y)
        except ValueError as exc:
            self.editor.message.emit(str(exc))
            return
        if not geometry.equals(self.editor.geometry(fid)):
            self.editor.set_geometry(fid, geometry, "移动顶点")

    def double_click(self, event):
        fid = self.editor.selected
        if fid is None:
            return
        key, (x, y), distance = nearest_edge(self.editor.geometry(fid), event.x, event.y)
        if distance <= self.tolerance():
            self.editor.set_geometry(fid, insert_vertex(self.editor.geometry(fid), key, x, y), "插入顶点")

    def key_press(self, event):
        if event.key() == Qt.Key.Key_Delete and self._hover:
            self._delete(*self._hover)
            return True
        return False

    def _delete(self, fid, key) -> None:
        try:
            self.editor.set_geometry(fid, delete_vertex(self.editor.geometry(fid), key), "删除顶点")
        except ValueError as exc:
            self.editor.message.emit(str(exc))

    def _other_geometries(self, fid):
        parcels = self.editor.project.parcels
        return list(parcels.geometry.drop(index=fid))


class MoveParcelTool(ParcelTool):
    name = "move_parcel"
    hint = "按住地块拖动到新位置"
    cursor = Qt.CursorShape.SizeAllCursor

    def __init__(self, editor, snapper):
        super().__init__(editor, snapper)
        self._start = None

    def press(self, event):
        if event.button == Qt.MouseButton.LeftButton:
            fid = self.editor.parcel_at(event.x, event.y, self.tolerance() / 2)
            self.editor.select(fid)
            self._start = (fid, event.x, event.y) if fid is not None else None

    def move(self, event):
        if self._start:
            fid, x0, y0 = self._start
            self.canvas.set_overlay("sketch", [translate(self.editor.geometry(fid), event.x - x0, event.y - y0)],
                                    SKETCH_STYLE)

    def release(self, event):
        if not self._start:
            return
        fid, x0, y0 = self._start
        self._start = None
        self.canvas.clear_overlay("sketch")
        if (event.x, event.y) != (x0, y0):
            self.editor.set_geometry(fid, translate(self.editor.geometry(fid), event.x - x0, event.y - y0), "移动地块")


class MergeTool(ParcelTool):
    """Click a parcel, then another: they become one parcel (attributes of the first)."""

    name = "merge_parcels"
    hint = "单击第一个地块，再单击要并入的地块（编号与属性沿用第一个）"
    cursor = Qt.CursorShape.PointingHandCursor

    def press(self, event):
        if event.button != Qt.MouseButton.LeftButton:
            return
        fid = self.editor.parcel_at(event.x, event.y, self.tolerance() / 2)
        first = self.editor.selected
        if fid is None or first is None or fid == first:
            self.editor.select(fid)
            if fid is not None:
                self.editor.message.emit("再单击要与它合并的地块")
            return
        self.editor.merge([first, fid])
