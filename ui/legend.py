"""The legend: one entry per visible layer (top first) with its symbol, and one per category
of ``fill_by``/``dash_by``/``stroke_by`` present in the data. Symbols come from the catalog Style only."""

from __future__ import annotations

import weakref

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem

from suichang_gis.catalog import Style
from suichang_gis.geometry_cache import LINE, POINT

from .map_renderer import PX_PER_PT, hatch_brush, marker_template, markers_path, qcolor, stroke_pen

SWATCH = QSize(34, 18)


def swatch(kind: str | None, style: Style, fill: str | None, dash: tuple[float, ...],
           stroke: str | None = None) -> QPixmap:
    """A small picture of how the layer (or one of its categories) is drawn."""
    pixmap = QPixmap(SWATCH)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setOpacity(style.opacity)
    w, h = SWATCH.width(), SWATCH.height()
    pen = stroke_pen(style, dash, stroke)
    pen.setCosmetic(False)
    if kind == POINT:
        painter.setPen(pen)
        painter.setBrush(QBrush(qcolor(fill or "#ffffff")))
        size = min(style.marker_size * PX_PER_PT, h - 4)
        painter.drawPath(markers_path(_centre(w, h), marker_template(style.marker, size)))
    elif kind == LINE:
        painter.setPen(pen)
        painter.drawLine(QPointF(2, h / 2), QPointF(w - 2, h / 2))
    else:
        painter.setPen(pen if style.stroke_width > 0 else Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(qcolor(fill)) if fill else Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(3, 3, w - 6, h - 6))
        if style.hatch:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(hatch_brush(stroke or style.stroke))
            painter.drawRect(QRectF(3, 3, w - 6, h - 6))
    painter.end()
    return pixmap


def _centre(w: int, h: int) -> np.ndarray:
    return np.array([[w / 2, h / 2]])


_PRESENT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # CanvasLayer → {field: values}


def _present(canvas_layer, field: str | None) -> set[str]:
    """The distinct values of ``field`` as text (none when the layer has no such column); worked
    out once per painting cache (a new ``CanvasLayer`` comes with new data or a new style)."""
    gdf = canvas_layer.layer.gdf
    if not field or field not in gdf.columns:
        return set()
    cached = _PRESENT.setdefault(canvas_layer, {})
    if field not in cached:
        cached[field] = {str(v) for v in gdf[field].dropna().unique()}
    return cached[field]


def _signature(canvas_layer) -> tuple:
    """What the legend rows of a layer depend on: its title, style and present categories."""
    style = canvas_layer.style
    return (canvas_layer.id, canvas_layer.spec.display_title, canvas_layer.spec.schematic, style,
            *(frozenset(_present(canvas_layer, f)) for f in (style.fill_field, style.dash_field, style.stroke_field)))


def legend_entries(canvas_layer) -> list[tuple[str, QPixmap, bool]]:
    """(text, symbol, is_layer_title) rows for one layer."""
    spec, style = canvas_layer.spec, canvas_layer.style
    kind = canvas_layer.geometry.kind or {"Point": POINT, "LineString": LINE}.get(spec.geometry_type)
    gdf = canvas_layer.layer.gdf
    rows = [(spec.display_title, swatch(kind, style, style.fill, style.dash), True)]
    if style.fill_field and style.fill_by and style.fill_field in gdf.columns:
        present = _present(canvas_layer, style.fill_field)
        for value, colour in style.fill_by.items():
            if value in present:
                rows.append((value, swatch(kind, style, colour, style.dash), False))
    if style.dash_field and style.dash_by and style.dash_field in gdf.columns:
        present = _present(canvas_layer, style.dash_field)
        for value, dash in style.dash_by.items():
            if value in present:
                rows.append((value, swatch(kind, style, style.fill, dash), False))
    if style.stroke_field and style.stroke_by and style.stroke_field in gdf.columns:
        present = _present(canvas_layer, style.stroke_field)
        for value, colour in style.stroke_by.items():
            if value in present:
                rows.append((value, swatch(kind, style, style.fill, style.dash, colour), False))
    if len(rows) > 1:
        rows[0] = (spec.display_title, QPixmap(), True)
    return rows


class LegendWidget(QListWidget):
    """Follows the canvas: rebuilt whenever layers, their order or visibility change."""

    def __init__(self, canvas, parent=None):
        super().__init__(parent)
        self.canvas = canvas
        self.setIconSize(SWATCH)
        self.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._signature: list[tuple] | None = None
        canvas.layers_changed.connect(self.rebuild)
        self.rebuild()

    def rebuild(self) -> None:
        """List the visible layers again, unless no title, style or category changed (an edit
        of one parcel leaves the legend as it is)."""
        shown = [layer for layer in reversed(self.canvas.canvas_layers()) if layer.visible]
        signature = [_signature(layer) for layer in shown]
        if signature == self._signature:
            return
        self._signature = signature
        self.clear()
        for layer in shown:
            for text, pixmap, is_title in legend_entries(layer):
                item = QListWidgetItem(QIcon(pixmap) if not pixmap.isNull() else QIcon(),
                                       text if is_title else f"    {text}")
                if is_title:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                    if layer.spec.schematic:
                        item.setForeground(QBrush(QColor("#7a5a00")))
                        item.setToolTip("示意图层：位置与范围仅为示意")
                self.addItem(item)

    def titles(self) -> list[str]:
        """Layer titles listed, top first."""
        return [self.item(i).text() for i in range(self.count())
                if not self.item(i).text().startswith(" ")]
