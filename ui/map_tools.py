"""Map tools: what a mouse press, drag or click on the canvas does.

A tool receives :class:`MapMouseEvent` objects already carrying map coordinates (EPSG:4549)
and may draw temporary graphics through canvas overlays. Install one with
``canvas.set_tool(tool)``; other modules (drawing, editing) subclass :class:`MapTool`.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QCursor, QKeyEvent

from suichang_gis.catalog import Style
from suichang_gis.measure import measure_area, measure_distance

RUBBER_BAND = Style(fill="#3388ff33", stroke="#1f5fbf", stroke_width=1.2, marker="square",
                    marker_size=5)


@dataclass
class MapMouseEvent:
    x: float  # map easting
    y: float  # map northing
    pos: QPointF  # widget pixels
    button: Qt.MouseButton
    buttons: Qt.MouseButtons
    modifiers: Qt.KeyboardModifiers


class MapTool(QObject):
    """Base class: every handler is optional. ``canvas`` is set by ``canvas.set_tool``."""

    name = ""
    cursor = Qt.CursorShape.ArrowCursor

    def __init__(self, canvas=None):
        super().__init__()
        self.canvas = canvas

    def activate(self) -> None:
        self.canvas.setCursor(QCursor(self.cursor))

    def deactivate(self) -> None:
        pass

    def press(self, event: MapMouseEvent) -> None:
        pass

    def move(self, event: MapMouseEvent) -> None:
        pass

    def release(self, event: MapMouseEvent) -> None:
        pass

    def double_click(self, event: MapMouseEvent) -> None:
        pass

    def key_press(self, event: QKeyEvent) -> bool:
        """Return True when the key was used."""
        return False


class PanTool(MapTool):
    """Drag the map; the canvas shows the cached image shifted until the sharp render lands."""

    name = "pan"
    cursor = Qt.CursorShape.OpenHandCursor

    def __init__(self, canvas=None):
        super().__init__(canvas)
        self._start: QPointF | None = None

    def press(self, event):
        if event.button == Qt.MouseButton.LeftButton:
            self._start = event.pos
            self.canvas.setCursor(QCursor(Qt.CursorShape.ClosedHandCursor))

    def move(self, event):
        if self._start is not None:
            delta = event.pos - self._start
            self.canvas.preview_pan(delta.x(), delta.y())

    def release(self, event):
        if self._start is not None:
            delta = event.pos - self._start
            self._start = None
            self.canvas.setCursor(QCursor(self.cursor))
            self.canvas.finish_pan(delta.x(), delta.y())


class ZoomBoxTool(MapTool):
    """Drag a rectangle to zoom into it; a plain click zooms in by two."""

    name = "zoom_box"
    cursor = Qt.CursorShape.CrossCursor

    def __init__(self, canvas=None):
        super().__init__(canvas)
        self._start: MapMouseEvent | None = None

    def press(self, event):
        if event.button == Qt.MouseButton.LeftButton:
            self._start = event

    def move(self, event):
        if self._start is not None:
            box = shapely.box(min(self._start.x, event.x), min(self._start.y, event.y),
                              max(self._start.x, event.x), max(self._start.y, event.y))
            self.canvas.set_overlay("zoom_box", [box], RUBBER_BAND)

    def release(self, event):
        if self._start is None:
            return
        start, self._start = self._start, None
        self.canvas.clear_overlay("zoom_box")
        rect = QRectF(start.pos, event.pos).normalized()
        if rect.width() < 4 or rect.height() < 4:
            self.canvas.zoom_by(2.0, event.pos)
        else:
            self.canvas.zoom_to_extent((min(start.x, event.x), min(start.y, event.y),
                                        max(start.x, event.x), max(start.y, event.y)), margin=0)


class IdentifyTool(MapTool):
    """Click to list every feature at the point; emits ``identified(x, y, hits)``."""

    name = "identify"
    cursor = Qt.CursorShape.WhatsThisCursor
    identified = Signal(float, float, list)

    def release(self, event):
        if event.button != Qt.MouseButton.LeftButton:
            return
        hits = self.canvas.identify(event.x, event.y)
        self.canvas.set_overlay("identify", [h.geometry for h in hits if h.geometry is not None],
                                Style(fill="#ffff0040", stroke="#ff0000", stroke_width=1.6,
                                      marker_size=10))
        self.identified.emit(event.x, event.y, hits)

    def deactivate(self):
        self.canvas.clear_overlay("identify")


class MeasureTool(MapTool):
    """Click vertices; double-click or right-click finishes. Emits ``measured(text, result)``.

    Distances and areas are planar in EPSG:4549 (DESIGN.md section 4).
    """

    cursor = Qt.CursorShape.CrossCursor
    measured = Signal(str, object)

    def __init__(self, canvas=None, area: bool = False):
        super().__init__(canvas)
        self.area = area
        self.name = "measure_area" if area else "measure_distance"
        self.points: list[tuple[float, float]] = []
        self._finished = False

    def press(self, event):
        if event.button == Qt.MouseButton.RightButton:
            self._finish()
            return
        if event.button != Qt.MouseButton.LeftButton:
            return
        if self._finished:
            self.points, self._finished = [], False
        self.points.append((event.x, event.y))
        self._update(self.points)

    def move(self, event):
        if self.points and not self._finished:
            self._update(self.points + [(event.x, event.y)])

    def double_click(self, event):
        self._finish()

    def key_press(self, event):
        if event.key() == Qt.Key.Key_Escape:
            self.points, self._finished = [], False
            self.canvas.clear_overlay("measure")
            return True
        return False

    def deactivate(self):
        self.canvas.clear_overlay("measure")

    def _finish(self):
        self._finished = True
        self._update(self.points)

    def _update(self, points):
        if len(points) < 2:
            return
        if self.area and len(points) >= 3:
            result = measure_area(points)
            shape = shapely.Polygon(points)
        else:
            result = measure_distance(points)
            shape = shapely.LineString(points)
        vertices = shapely.MultiPoint(points)
        self.canvas.set_overlay("measure", [shape, vertices], RUBBER_BAND)
        self.measured.emit(result.text, result)
