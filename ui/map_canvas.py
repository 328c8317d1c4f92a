"""The map canvas: layers painted off the GUI thread, cached images for instant pan/zoom.

Public surface used by the rest of the UI (keep these names stable):

- layers: the canvas draws ``model`` (a Qt-free ``suichang_gis.map_model.MapModel``: order,
  visibility, opacity, style, extent), which the layer tree, print dialog and project share;
  ``set_layers``, ``add_layer``, ``remove_layer``, ``refresh_layer`` (after the data of a
  MapLayer changed), ``canvas_layer``, ``layer_ids``, ``set_layer_visible``,
  ``set_layer_opacity``, ``move_layer`` edit that model; signal ``layers_changed`` after any
  model edit.
- overlays drawn on top, immediately, on the GUI thread: ``set_overlay(name, geometries,
  style)``, ``clear_overlay(name)`` (geometries are shapely objects in EPSG:4549).
- coordinates: ``to_map(QPointF) -> (x, y)``, ``to_screen(x, y) -> QPointF``; ``view`` (MapView).
- navigation: ``zoom_full``, ``zoom_to_extent``, ``zoom_to_layer``, ``zoom_to_features``, ``zoom_by``, ``set_scale``,
  ``previous_extent``, ``next_extent``; signal ``view_changed``.
- tools: ``set_tool(tool)`` with a :class:`ui.map_tools.MapTool`; ``pan_tool`` is the default.
- ``cursor_moved(x, y)`` in map coordinates; ``render_finished`` after a sharp image landed;
  ``draft`` True renders without labels (while the default layers still arrive);
  ``render_now()`` renders synchronously (tests, screenshots, benchmarks).
"""

from __future__ import annotations

import numpy as np
import shapely
from PySide6.QtCore import (
    QObject,
    QPointF,
    QRectF,
    QRunnable,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QWidget

from suichang_gis.catalog import MapLayer, Style
from suichang_gis.identify import IdentifyHit, identify
from suichang_gis.map_model import MapModel
from suichang_gis.mapview import MapView, format_bar_length, scale_bar_length

from .map_renderer import (
    PX_PER_PT,
    CanvasLayer,
    RenderSuperseded,
    marker_template,
    markers_path,
    qcolor,
    render_view,
    rings_to_path,
    stroke_pen,
    view_transform,
)
from .map_tools import MapMouseEvent, MapTool, PanTool
from .render_patch import RenderBase, render

BACKGROUND = QColor("#f5f4ef")
WHEEL_STEP = 1.25
SETTLE_MS = 120  # wait this long after the last wheel step before the sharp render
IDENTIFY_TOLERANCE_PX = 4
HISTORY_LIMIT = 50
# Default extent before any layer is loaded: 遂昌县 in EPSG:4549 (the county boundary layer's
# bounds rounded out to km; tests/ui/test_startup.py checks it), so the view hardly moves when
# the boundary arrives.
FALLBACK_EXTENT = (372000.0, 3122000.0, 453000.0, 3190000.0)


def render_image(view: MapView, layers: list[CanvasLayer], labels: bool = True) -> QImage:
    """The visible layers of ``layers`` painted into a new image of the view's size."""
    image = QImage(max(view.width, 1), max(view.height, 1), QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(BACKGROUND)
    painter = QPainter(image)
    try:
        render_view(painter, view, [layer for layer in layers if layer.visible], labels=labels)
    finally:
        painter.end()
    return image


class _RenderSignals(QObject):
    done = Signal(int, object, object)  # generation, view, image

    latest = 0  # generation the canvas wants; older queued jobs are skipped
    base: RenderBase | None = None  # the last render's base, even a superseded one's, for patching


class _RenderJob(QRunnable):
    def __init__(self, generation: int, view: MapView, layers: list[CanvasLayer],
                 signals: _RenderSignals, labels: bool = True):
        super().__init__()
        self.generation, self.view, self.layers, self.signals = generation, view, layers, signals
        self.labels = labels

    def run(self):
        def stale() -> bool:
            return self.generation != self.signals.latest

        if stale():
            return  # superseded while waiting in the queue
        try:
            image, self.signals.base, _ = render(self.view, self.layers, BACKGROUND, self.signals.base,
                                                 labels=self.labels, stale=stale)
        except RenderSuperseded:  # superseded while drawing: a newer render follows
            return
        try:
            self.signals.done.emit(self.generation, self.view, image)
        except RuntimeError:  # the canvas was closed while this render ran
            pass


class MapCanvasWidget(QWidget):
    view_changed = Signal(object)  # MapView
    cursor_moved = Signal(float, float)
    render_finished = Signal()
    layers_changed = Signal()
    tool_changed = Signal(object)

    def __init__(self, parent=None, model: MapModel | None = None):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(200, 150)
        self.model = model if model is not None else MapModel()
        self._drawn: dict[str, CanvasLayer] = {}  # painting caches by layer id
        self._overlays: dict[str, tuple[list, Style]] = {}
        self._overlay_labels: dict[str, list[tuple[float, float, str]]] = {}
        self._view: MapView | None = None
        self._image: QImage | None = None
        self._image_view: MapView | None = None
        self.last_patch = None
        self._pan_preview = QPointF(0, 0)
        self._middle_pan: QPointF | None = None
        self._history: list[MapView] = []
        self._history_pos = -1
        self._generation = 0
        self.draft = False  # True while layers still arrive: quick renders without labels
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # one render at a time: caches are filled in order
        self._signals = _RenderSignals()
        self._signals.done.connect(self._on_render_done)
        self._refresh_timer = QTimer(self, singleShot=True, interval=0)  # coalesce bursts
        self._refresh_timer.timeout.connect(self._start_render)
        self._settle = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._settle.timeout.connect(self._settled)
        self.pan_tool = PanTool(self)
        self._tool: MapTool = self.pan_tool
        self.pan_tool.activate()
        self.model.subscribe(self._model_changed)
        self.view_changed.connect(lambda view: self.model.set_extent(view.extent))
        self.destroyed.connect(lambda *_, model=self.model, f=self._model_changed: model.unsubscribe(f))

    # --- layers (edits go to the map model; the model's change redraws) ------------------
    @property
    def _layers(self) -> list[CanvasLayer]:
        """The painting caches of the model's layers, bottom first, rebuilt where the data or
        the style changed."""
        layers = []
        for state in self.model:
            drawn = self._drawn.get(state.id)
            if drawn is None or drawn.layer is not state.layer or drawn.state is not state \
                    or drawn.style is not drawn.built_style:
                drawn = CanvasLayer(state.layer, state, previous=drawn)
                self._drawn[state.id] = drawn
            layers.append(drawn)
        return layers

    def _model_changed(self, what: str) -> None:
        if what == "extent":
            if self.model.extent is not None and self.model.extent != self.view.extent:
                self.zoom_to_extent(self.model.extent, margin=0.0)
            return
        for gone in set(self._drawn) - set(self.model.ids()):
            del self._drawn[gone]
        self.layers_changed.emit()
        self.refresh()

    def set_layers(self, layers: list[MapLayer]) -> None:
        """Replace all layers; ``layers`` bottom first."""
        self.model.set_layers(layers)

    def prepare_layer(self, layer: MapLayer) -> CanvasLayer | None:
        """``layer`` converted for painting, to be passed to ``add_layer(layer, prepared=…)``.

        Callable from a worker thread, so that converting a large layer (50,000 parcels: half a
        second) does not stop the window; features unchanged since the layer as drawn now are
        taken over from it. None for a layer not in the map yet (``add_layer`` converts it).
        """
        state = self.model.get(layer.id)
        if state is None:
            return None
        return CanvasLayer(layer, state, previous=self._drawn.get(layer.id))

    def add_layer(self, layer: MapLayer, visible: bool = True, on_top: bool = True,
                  prepared: CanvasLayer | None = None) -> CanvasLayer:
        """Add (or replace, same id) a layer; a new one goes on top unless ``on_top`` is False.
        ``prepared``: the layer as ``prepare_layer(layer)`` converted it."""
        if prepared is not None and prepared.layer is layer:
            self._drawn[layer.id] = prepared
        self.model.add(layer, visible=visible, on_top=on_top)
        return self.canvas_layer(layer.id)

    def remove_layer(self, layer_id: str) -> None:
        self.model.remove(layer_id)

    def refresh_layer(self, layer_id: str) -> None:
        """Re-read the MapLayer's geometry and style after it was edited."""
        if self._drawn.pop(layer_id, None) is not None:
            self._model_changed("layers")

    def canvas_layer(self, layer_id: str) -> CanvasLayer | None:
        for layer in self._layers:
            if layer.id == layer_id:
                return layer
        return None

    def canvas_layers(self) -> list[CanvasLayer]:
        """All layers, bottom first."""
        return self._layers

    def layer_ids(self) -> list[str]:
        """Layer ids, bottom first."""
        return self.model.ids()

    def set_layer_visible(self, layer_id: str, visible: bool) -> None:
        self.model.set_visible(layer_id, visible)

    def set_layer_opacity(self, layer_id: str, opacity: float) -> None:
        self.model.set_opacity(layer_id, opacity)

    def move_layer(self, layer_id: str, index: int) -> None:
        """Move a layer to position ``index`` of the bottom-first order."""
        self.model.move(layer_id, index)

    def set_layer_order(self, layer_ids: list[str]) -> None:
        """Reorder to ``layer_ids`` (bottom first); ids not named keep their place at the end."""
        self.model.set_order(layer_ids)

    # --- overlays -----------------------------------------------------------------------
    def set_overlay(self, name: str, geometries, style: Style | None = None, labels=()) -> None:
        """Draw shapely ``geometries`` (EPSG:4549) on top of the map until cleared.

        ``labels``: (x, y, text) in EPSG:4549, written centred there in the style's
        ``label_color`` and ``label_size`` (points) on a white halo.
        """
        self._overlays[name] = (list(geometries), style or Style(stroke="#ff0000", stroke_width=1.5))
        self._overlay_labels[name] = list(labels)
        self.update()

    def clear_overlay(self, name: str) -> None:
        self._overlay_labels.pop(name, None)
        if self._overlays.pop(name, None) is not None:
            self.update()

    def overlay_labels(self, name: str) -> list[tuple[float, float, str]]:
        return list(self._overlay_labels.get(name, ()))

    def overlay_names(self) -> list[str]:
        return list(self._overlays)

    # --- coordinates and view -----------------------------------------------------------
    @property
    def view(self) -> MapView:
        if self._view is None:
            self._view = MapView.fit(self.full_extent(), max(self.width(), 1), max(self.height(), 1))
        return self._view

    def to_map(self, pos: QPointF) -> tuple[float, float]:
        return self.view.to_map(pos.x(), pos.y())

    def to_screen(self, x: float, y: float) -> QPointF:
        px, py = self.view.to_screen(x, y)
        return QPointF(px, py)

    def full_extent(self) -> tuple[float, float, float, float]:
        """The county boundary when loaded, else the union of all layers (while layers still
        arrive, ``draft``: the county's approximate extent, not the union of the first few)."""
        county = self.canvas_layer("county_boundary")
        if self.draft and county is None:
            return FALLBACK_EXTENT
        layers = [county] if county is not None and len(county.geometry) else self._layers
        bounds = [layer.geometry.bounds for layer in layers if len(layer.geometry)]
        if not bounds:
            return FALLBACK_EXTENT
        b = np.asarray(bounds)
        return (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max())

    def set_view(self, view: MapView, record: bool = True) -> None:
        self._view = view.resized(max(self.width(), 1), max(self.height(), 1))
        if record:
            self._record(self._view)
        self.view_changed.emit(self._view)
        self.refresh()

    def zoom_full(self) -> None:
        self.zoom_to_extent(self.full_extent())

    def fit_full_unless_navigated(self) -> None:
        """Show the whole map again if the user has not navigated yet (layers still arriving)."""
        if self._view is not None and len(self._history) <= 1:
            self._view = MapView.fit(self.full_extent(), max(self.width(), 1), max(self.height(), 1))
            self._history, self._history_pos = [self._view], 0
            self.view_changed.emit(self._view)
            self.refresh()

    def zoom_to_extent(self, bounds, margin: float = 0.03) -> None:
        self.set_view(MapView.fit(bounds, max(self.width(), 1), max(self.height(), 1), margin))

    def zoom_to_layer(self, layer_id: str) -> None:
        layer = self.canvas_layer(layer_id)
        if layer is not None and len(layer.geometry):
            self.zoom_to_features(layer.geometry.bounds)

    def zoom_to_features(self, bounds) -> None:
        """Show features whose envelope is ``bounds`` (xmin, ymin, xmax, ymax in EPSG:4549);
        a single point is shown with 200 m around it."""
        xmin, ymin, xmax, ymax = bounds
        pad = 200.0 if xmax - xmin < 1 and ymax - ymin < 1 else 0.0  # a single point
        self.zoom_to_extent((xmin - pad, ymin - pad, xmax + pad, ymax + pad))

    def zoom_by(self, factor: float, pos: QPointF | None = None) -> None:
        """Zoom in by ``factor`` about ``pos`` (widget pixels; the centre when None)."""
        px, py = (None, None) if pos is None else (pos.x(), pos.y())
        self._view = self.view.zoomed(factor, px, py)
        self.view_changed.emit(self._view)
        self.update()  # cached image scaled at once
        self._settle.start()

    def set_scale(self, scale: float) -> None:
        self.set_view(self.view.with_scale(scale))

    def previous_extent(self) -> None:
        if self._history_pos > 0:
            self._history_pos -= 1
            self.set_view(self._history[self._history_pos], record=False)

    def next_extent(self) -> None:
        if self._history_pos < len(self._history) - 1:
            self._history_pos += 1
            self.set_view(self._history[self._history_pos], record=False)

    def _record(self, view: MapView) -> None:
        if self._history and self._history[self._history_pos] == view:
            return
        self._history = self._history[: self._history_pos + 1][-HISTORY_LIMIT:] + [view]
        self._history_pos = len(self._history) - 1

    def _settled(self) -> None:
        self._record(self.view)
        self.refresh()

    # --- panning feedback (used by PanTool) ---------------------------------------------
    def preview_pan(self, dx: float, dy: float) -> None:
        self._pan_preview = QPointF(dx, dy)
        self.update()

    def finish_pan(self, dx: float, dy: float) -> None:
        self._pan_preview = QPointF(0, 0)
        if dx or dy:
            self.set_view(self.view.panned(dx, dy))

    # --- rendering ----------------------------------------------------------------------
    def refresh(self) -> None:
        """Schedule a sharp render of the current view off the GUI thread."""
        self._generation += 1  # renders already on their way are now stale
        self._signals.latest = self._generation
        self._refresh_timer.start()

    def _start_render(self) -> None:
        self._pool.start(_RenderJob(self._generation, self.view, list(self._layers), self._signals,
                                    labels=not self.draft))

    def supersede_render(self) -> None:
        """Give up the render on its way, whose picture is about to change (a layer being
        rebuilt): it stops at its next drawing call and stops taking CPU from the rebuild. The
        map keeps its image until the next ``refresh``, which the caller must bring about."""
        self._refresh_timer.stop()  # and a render about to start
        self._generation += 1
        self._signals.latest = self._generation

    def render_now(self) -> QImage:
        """Render synchronously on this thread and show the result (tests, screenshots); the
        pixel rectangle painted again over the last render is ``last_patch`` (None: all)."""
        self._refresh_timer.stop()
        self._generation += 1
        self._signals.latest = self._generation
        self._pool.waitForDone()
        image, self._signals.base, self.last_patch = render(self.view, self._layers, BACKGROUND,
                                                            self._signals.base)
        self._on_render_done(self._generation, self.view, image)
        return image

    def _on_render_done(self, generation: int, view: MapView, image: QImage) -> None:
        if generation != self._generation:
            return  # a newer render is on its way
        self._image, self._image_view = image, view
        self.update()
        self.render_finished.emit()

    def wait_for_render(self) -> None:
        """Block until queued renders finished (their results arrive as queued signals)."""
        self._pool.waitForDone()

    def paintEvent(self, event):
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        view = self.view
        if self._image is not None and self._image_view is not None:
            # Place the last sharp image where its extent lies in the current view.
            old = self._image_view
            xmin, ymin, xmax, ymax = old.extent
            x0, y0 = view.to_screen(xmin, ymax)
            x1, y1 = view.to_screen(xmax, ymin)
            target = QRectF(x0, y0, x1 - x0, y1 - y0).translated(self._pan_preview)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            painter.drawImage(target, self._image)
        painter.translate(self._pan_preview)
        self._paint_overlays(painter, view)
        painter.resetTransform()
        self._paint_scale_bar(painter, view)
        self._paint_north_arrow(painter)
        self._paint_attribution(painter, view)
        painter.end()

    def _paint_overlays(self, painter: QPainter, view: MapView) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        base = painter.transform()
        for geometries, style in self._overlays.values():
            polygons, lines, points = [], [], []
            for geom in geometries:
                if geom is None or geom.is_empty:
                    continue
                for part in shapely.get_parts(geom):
                    kind = part.geom_type
                    (polygons if kind == "Polygon" else lines if kind in ("LineString", "LinearRing")
                     else points).append(part)
            painter.setTransform(view_transform(view) * base)
            painter.setPen(stroke_pen(style, style.dash))
            if polygons:
                rings = shapely.get_rings(np.asarray(polygons, dtype=object))
                painter.setBrush(QBrush(qcolor(style.fill)) if style.fill else Qt.BrushStyle.NoBrush)
                painter.drawPath(_path_of(rings))
            if lines:
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawPath(_path_of(np.asarray(lines, dtype=object)))
            if points:
                painter.setTransform(base)
                xy = shapely.get_coordinates(np.asarray(points, dtype=object))
                sx, sy = view.to_screen(xy[:, 0], xy[:, 1])
                painter.setBrush(QBrush(qcolor(style.fill)) if style.fill else Qt.BrushStyle.NoBrush)
                template = marker_template(style.marker, style.marker_size * PX_PER_PT)
                painter.drawPath(markers_path(np.column_stack([sx, sy]), template))
            painter.setTransform(base)
        for name, labels in self._overlay_labels.items():
            if labels:
                self._paint_overlay_labels(painter, view, labels, self._overlays[name][1])

    def _paint_overlay_labels(self, painter: QPainter, view: MapView, labels, style: Style) -> None:
        font = QFont(self.font().family())
        font.setPointSizeF(style.label_size)
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        for x, y, text in labels:
            sx, sy = view.to_screen(x, y)
            w, h = metrics.horizontalAdvance(text) + 8, metrics.height() + 2
            rect = QRectF(float(sx) - w / 2, float(sy) - h / 2, w, h)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(255, 255, 255, 225))
            painter.drawRoundedRect(rect, 3, 3)
            painter.setPen(qcolor(style.label_color))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_scale_bar(self, painter: QPainter, view: MapView) -> None:
        length_m = scale_bar_length(view.resolution * 120)  # at most 120 px
        length_px = length_m / view.resolution
        x, y = 16, self.height() - 18
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(QPen(QColor("#222222"), 1))
        painter.setBrush(QColor(255, 255, 255, 200))
        painter.drawRect(QRectF(x - 6, y - 22, length_px + 52, 30))
        painter.setBrush(QColor("#222222"))
        painter.drawRect(QRectF(x, y - 4, length_px / 2, 4))
        painter.setBrush(QColor("#ffffff"))
        painter.drawRect(QRectF(x + length_px / 2, y - 4, length_px / 2, 4))
        text = format_bar_length(length_m)
        painter.setFont(QFont(self.font().family(), 8))
        painter.drawText(QPointF(x - 2, y - 8), "0")
        painter.drawText(QPointF(x + length_px - 4, y - 8), text)

    def _paint_north_arrow(self, painter: QPainter) -> None:
        """Grid north: EPSG:4549 northing points straight up the screen."""
        x, y = self.width() - 34, 18
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(QColor("#222222"), 1))
        painter.setBrush(QColor("#222222"))
        painter.drawPolygon([QPointF(x, y), QPointF(x + 8, y + 26), QPointF(x, y + 20)])
        painter.setBrush(QColor("#ffffff"))
        painter.drawPolygon([QPointF(x, y), QPointF(x - 8, y + 26), QPointF(x, y + 20)])
        painter.setFont(QFont(self.font().family(), 9, QFont.Weight.Bold))
        painter.drawText(QRectF(x - 10, y + 26, 20, 16), Qt.AlignmentFlag.AlignCenter, "N")

    def _paint_attribution(self, painter: QPainter, view: MapView) -> None:
        texts = self.attributions()
        if self.schematic_in_view():
            texts.insert(0, "含示意图层（标注“示意”），位置与范围仅供参考")
        if not texts:
            return
        text = "；".join(texts)
        painter.setFont(QFont(self.font().family(), 8))
        metrics = painter.fontMetrics()
        w, h = metrics.horizontalAdvance(text) + 10, metrics.height() + 4
        rect = QRectF(self.width() - w - 4, self.height() - h - 4, w, h)
        painter.fillRect(rect, QColor(255, 255, 255, 210))
        painter.setPen(QColor("#333333"))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def schematic_in_view(self) -> bool:
        """Whether any visible 示意 layer has features in the current view."""
        return any(layer.visible and layer.spec.schematic and len(layer.geometry.query(self.view.extent))
                   for layer in self._layers)

    def attributions(self) -> list[str]:
        """Attribution texts shown for the layers drawn in the current view, and what is shown
        of a database layer read by view (``MapLayer.view_note``: simplified, dots)."""
        shown = [layer for layer in self._layers if layer.visible and len(layer.geometry.query(self.view.extent))]
        return (sorted({layer.spec.provenance.attribution for layer in shown if layer.spec.provenance.attribution})
                + [layer.layer.view_note for layer in shown if layer.layer.by_view])

    def resizeEvent(self, event):
        if self._view is None or len(self._history) <= 1:
            # Not navigated yet: keep showing the whole county at the new size.
            self._view = MapView.fit(self.full_extent(), self.width(), self.height())
            self._history, self._history_pos = [self._view], 0
        else:
            self._view = self._view.resized(self.width(), self.height())
        self.view_changed.emit(self._view)
        self.refresh()

    # --- identify -----------------------------------------------------------------------
    def identify(self, x: float, y: float, tolerance_px: float = IDENTIFY_TOLERANCE_PX) -> list[IdentifyHit]:
        """Every feature of the visible layers at (x, y), top layer first."""
        visible = [layer for layer in self._layers if layer.visible]
        return identify([layer.layer for layer in visible], x, y,
                        tolerance=tolerance_px * self.view.resolution,
                        trees={layer.id: layer.feature_tree() for layer in visible})

    # --- tools and events ---------------------------------------------------------------
    @property
    def tool(self) -> MapTool:
        return self._tool

    def set_tool(self, tool: MapTool | None) -> None:
        """Install a map tool (None = pan); the previous tool is deactivated."""
        tool = tool or self.pan_tool
        if tool is self._tool:
            return
        self._tool.deactivate()
        tool.canvas = self
        self._tool = tool
        tool.activate()
        self.tool_changed.emit(tool)

    def _event(self, event, button=None) -> MapMouseEvent:
        pos = event.position()
        x, y = self.to_map(pos - self._pan_preview)
        return MapMouseEvent(x, y, pos, event.button() if button is None else button,
                             event.buttons(), event.modifiers())

    def mousePressEvent(self, event):
        if event.button() == Qt.MouseButton.MiddleButton:
            self._middle_pan = event.position()
            return
        self._tool.press(self._event(event))

    def mouseMoveEvent(self, event):
        if self._middle_pan is not None:
            self.preview_pan(*_xy(event.position() - self._middle_pan))
        mouse = self._event(event)
        self.cursor_moved.emit(mouse.x, mouse.y)
        self._tool.move(mouse)

    def mouseReleaseEvent(self, event):
        if event.button() == Qt.MouseButton.MiddleButton and self._middle_pan is not None:
            delta = event.position() - self._middle_pan
            self._middle_pan = None
            self.finish_pan(delta.x(), delta.y())
            return
        self._tool.release(self._event(event))

    def mouseDoubleClickEvent(self, event):
        self._tool.double_click(self._event(event))

    def wheelEvent(self, event):
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(WHEEL_STEP ** steps, event.position())

    def keyPressEvent(self, event):
        if self._tool.key_press(event):
            return
        step = 80
        moves = {Qt.Key.Key_Left: (step, 0), Qt.Key.Key_Right: (-step, 0),
                 Qt.Key.Key_Up: (0, step), Qt.Key.Key_Down: (0, -step)}
        if event.key() in moves:
            self.set_view(self.view.panned(*moves[event.key()]))
        elif event.key() in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(2.0)
        elif event.key() == Qt.Key.Key_Minus:
            self.zoom_by(0.5)
        else:
            super().keyPressEvent(event)


def _xy(point: QPointF) -> tuple[float, float]:
    return point.x(), point.y()


def _path_of(lines: np.ndarray):
    coords, index = shapely.get_coordinates(lines, return_index=True)
    counts = np.bincount(index, minlength=len(lines))
    return rings_to_path(coords, np.concatenate(([0], np.cumsum(counts))))
