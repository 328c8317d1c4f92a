"""Render a view again after an edit by painting only where the edited features lie.

A render keeps its image without labels (``RenderBase``) and what it was painted from. When the
next render is of the same view and only layers that took over from the drawn ones changed
(``CanvasLayer.changed_bounds``: the envelopes of the parts added, removed or restyled), the
rectangle around those envelopes is painted again from every layer — at the same resolution and
on the same pixel grid, so the pixels equal a whole render — and copied into the kept image;
labels are then placed over the whole view as always. Drawing one parcel on a project of 50,000
paints a few tiles instead of the whole layer (seconds of the render thread's CPU).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QColor, QImage, QPainter

from suichang_gis.mapview import MapView

from .map_renderer import CanvasLayer, paint_labels, render_view

PATCH_PAD_PX = 8  # painted around the changed envelopes: outline widths and antialiasing
CONTEXT_PX = 32  # features this close to the patch are drawn too (point symbols, wide lines)
GRID_PX = 32  # the patch starts on this grid, a multiple of Qt's 8-pixel hatch pattern
MAX_PATCH_SHARE = 0.5  # a larger patch is painted as a whole render


@dataclass(frozen=True)
class RenderBase:
    """A render's image without labels, its view, and per layer (layer, visible, opacity, style)."""

    view: MapView
    image: QImage
    layers: tuple


def _state(layers: list[CanvasLayer]) -> tuple:
    return tuple((layer, layer.visible, layer.opacity, layer.style) for layer in layers)


def patch_rect(base: RenderBase | None, view: MapView, state: tuple) -> tuple[int, int, int, int] | None:
    """The pixel rectangle (x, y, width, height) of ``view`` to paint again over ``base``, or
    None when ``base`` cannot be patched (another view, layers added, removed, shown, hidden,
    restyled, or changed other than by taking over from the drawn ones)."""
    if base is None or base.view != view or len(base.layers) != len(state):
        return None
    boxes = []
    for (old, *old_look), (new, *new_look) in zip(base.layers, state):
        if old_look[:2] != new_look[:2] or old_look[2] is not new_look[2]:
            return None
        if new is old:
            continue
        if new.took_over_from is None or new.took_over_from() is not old:
            return None
        if new.visible:
            boxes.append(new.changed_bounds)
    b = np.concatenate(boxes) if boxes else np.zeros((0, 4))
    b = b[np.all(np.isfinite(b), axis=1)]
    if len(b) == 0:
        return (0, 0, 0, 0)
    x0, y0 = view.to_screen(b[:, 0].min(), b[:, 3].max())
    x1, y1 = view.to_screen(b[:, 2].max(), b[:, 1].min())
    left = max(0, (math.floor(x0) - PATCH_PAD_PX) // GRID_PX * GRID_PX)
    top = max(0, (math.floor(y0) - PATCH_PAD_PX) // GRID_PX * GRID_PX)
    right = min(view.width, math.ceil(x1) + PATCH_PAD_PX)
    bottom = min(view.height, math.ceil(y1) + PATCH_PAD_PX)
    if right <= left or bottom <= top:
        return (0, 0, 0, 0)
    if (right - left) * (bottom - top) > MAX_PATCH_SHARE * view.width * view.height:
        return None
    return (left, top, right - left, bottom - top)


def sub_view(view: MapView, x: int, y: int, width: int, height: int) -> MapView:
    """The part of ``view`` from pixel (x, y), ``width`` × ``height`` pixels, on its pixel grid."""
    xmin, _, _, ymax = view.extent
    r = view.resolution
    return MapView(xmin + (x + width / 2) * r, ymax - (y + height / 2) * r, r, width, height)


def render(view: MapView, layers: list[CanvasLayer], background: QColor, base: RenderBase | None = None,
           labels: bool = True, stale=None) -> tuple[QImage, RenderBase, tuple | None]:
    """The view's image (visible layers bottom first, then labels), the base a later render
    can patch, and the pixel rectangle painted again over ``base`` (None: the whole view).

    ``stale()`` (optional) is asked between drawing calls; once it returns True the render stops
    with ``map_renderer.RenderSuperseded``.
    """
    state = _state(layers)
    visible = [layer for layer in layers if layer.visible]
    rect = patch_rect(base, view, state)
    if rect is None:
        plain = QImage(max(view.width, 1), max(view.height, 1), QImage.Format.Format_ARGB32_Premultiplied)
        plain.fill(background)
        painter = QPainter(plain)
        try:
            render_view(painter, view, visible, labels=False, stale=stale)
        finally:
            painter.end()
    else:
        plain = base.image.copy()
        x, y, w, h = rect
        if w and h:
            piece = QImage(w + 2 * CONTEXT_PX, h + 2 * CONTEXT_PX, QImage.Format.Format_ARGB32_Premultiplied)
            piece.fill(background)
            painter = QPainter(piece)
            try:
                render_view(painter, sub_view(view, x - CONTEXT_PX, y - CONTEXT_PX, piece.width(), piece.height()),
                            visible, labels=False, stale=stale)
            finally:
                painter.end()
            painter = QPainter(plain)
            painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
            painter.drawImage(QPoint(x, y), piece, QRect(CONTEXT_PX, CONTEXT_PX, w, h))
            painter.end()
    image = plain.copy()
    if labels:
        painter = QPainter(image)
        try:
            paint_labels(painter, view, visible)
        finally:
            painter.end()
    return image, RenderBase(view, plain, state), rect
