"""Paint catalog layers onto a QPainter for one MapView (runs on a worker thread too).

Geometry reaches Qt as one QPainterPath per layer and style, built from numpy arrays in a
single call: the arrays are written in QPainterPath's binary form and read by QDataStream
(pyqtgraph's arrayToQPath technique, DESIGN.md section 7). Paths stay in map coordinates and
are cached per zoom band and square tile (``TILE_PX``), so a re-render of a view at a band drawn
before — the whole county or a pan across it — only paints; each part belongs to the one tile
holding its envelope's centre and is drawn once.

Parts smaller than a pixel (their envelope, as QGIS's map-to-pixel simplifier tests it) are not
rings but one dot each, all drawn by one ``drawPoints`` from a numpy-built QPolygonF; at county
zoom that is most of a 三调 layer's million patches. The schematic hatching of a large layer is
composed once over its painted fill instead of being filled path by path.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field

import numpy as np
import shapely
from PySide6.QtCore import QByteArray, QDataStream, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
    QTransform,
)

from suichang_gis.catalog import MapLayer, Style, schematic_style
from suichang_gis.geometry_cache import (
    POINT,
    POLYGON,
    LayerGeometry,
    Rings,
    label_anchors,
    take_rings,
)
from suichang_gis.map_model import LayerState
from suichang_gis.mapview import SCREEN_DPI, MapView, band_resolution

PX_PER_PT = SCREEN_DPI / 72.0
CACHED_BANDS = 3  # zoom bands whose tiles stay cached per layer (the last ones drawn)
TILE_PX = 256  # a band's paths are built and cached per square tile of this many pixels
MAX_LABELS_PER_LAYER = 400
# Antialiased filling is far faster on many small paths than on one. And PySide6's
# QPainter.drawPath keeps Python's GIL for the whole call (one call stroking 20,000 rings held it
# 8.7 s): at 200 rings a call on 50,000 parcels held it 100–200 ms on a busy machine, so the GUI
# thread could not run; at 40 a call stays under ~40 ms and the whole layer paints as fast or faster.
RINGS_PER_PATH = 40
HATCH_OVER_IMAGE = 8  # from this many paths, hatch once over the painted fill (see _fill_hatched)
# A polygon layer whose typical part is narrower than this on screen is outlined with a 1-pixel
# hairline (see CanvasLayer.outline_px): Qt strokes a 1-pixel cosmetic pen on a fast path, ~19×
# faster than the 1.9-pixel antialiased outline of the parcel style (50,000 parcels of ~5 px: 0.1
# instead of 1.9 s of the render thread), and a wider outline would cover most of such a part.
HAIRLINE_BELOW_PX = 16
LABEL_FAMILY = "Noto Sans CJK SC"

_PATH_RECORD = np.dtype([("type", ">i4"), ("x", ">f8"), ("y", ">f8")])
_MOVE_TO, _LINE_TO = 0, 1


def rings_to_path(coords: np.ndarray, offsets: np.ndarray) -> QPainterPath:
    """One QPainterPath holding every ring (MoveTo at each ring start), built in one call."""
    path = QPainterPath()
    n = len(coords)
    if n == 0:
        return path
    records = np.empty(n, dtype=_PATH_RECORD)
    records["type"] = _LINE_TO
    records["type"][offsets[:-1][offsets[:-1] < n]] = _MOVE_TO
    records["x"] = coords[:, 0]
    records["y"] = coords[:, 1]
    # Layout read by operator>>(QDataStream, QPainterPath): int32 count, the elements,
    # int32 index of the current subpath start, int32 fill rule (1 = winding).
    blob = (np.array([n], ">i4").tobytes() + records.tobytes()
            + np.array([0, int(Qt.FillRule.WindingFill.value)], ">i4").tobytes())
    data = QByteArray(blob)  # must stay referenced while the stream reads it
    stream = QDataStream(data)
    stream >> path
    return path


def points_polygon(coords: np.ndarray) -> QPolygonF:
    """A QPolygonF of (n, 2) points built in one call from its binary form (uint32 count, then
    big-endian float64 x, y per point — what ``operator>>(QDataStream, QPolygonF)`` reads)."""
    polygon = QPolygonF()
    if len(coords) == 0:
        return polygon
    blob = np.array([len(coords)], ">u4").tobytes() + np.ascontiguousarray(coords, dtype=">f8").tobytes()
    data = QByteArray(blob)  # must stay referenced while the stream reads it
    stream = QDataStream(data)
    stream >> polygon
    return polygon


def qcolor(value: str) -> QColor:
    """A catalog colour: '#rrggbb' or '#rrggbbaa' (alpha last, as matplotlib and CSS write it)."""
    if isinstance(value, str) and len(value) == 9 and value.startswith("#"):
        color = QColor(value[:7])
        color.setAlpha(int(value[7:], 16))
        return color
    return QColor(value)


def marker_template(marker: str, size_px: float) -> np.ndarray:
    """Closed outline of a point symbol around (0, 0), in pixels (y down)."""
    r = size_px / 2
    if marker == "square":
        pts = [(-r, -r), (r, -r), (r, r), (-r, r)]
    elif marker == "triangle":
        pts = [(0, -r * 1.15), (r, r * 0.85), (-r, r * 0.85)]
    elif marker == "diamond":
        pts = [(0, -r * 1.2), (r, 0), (0, r * 1.2), (-r, 0)]
    elif marker == "star":
        angles = np.pi / 2 + np.arange(10) * np.pi / 5
        radii = np.where(np.arange(10) % 2 == 0, r * 1.3, r * 0.55)
        pts = list(zip(radii * np.cos(angles), -radii * np.sin(angles)))
    else:  # circle
        angles = np.arange(16) * np.pi / 8
        pts = list(zip(r * np.cos(angles), r * np.sin(angles)))
    pts.append(pts[0])
    return np.asarray(pts, dtype=float)


def markers_path(screen_xy: np.ndarray, template: np.ndarray) -> QPainterPath:
    """One path with the template copied at every screen position."""
    k = len(template)
    coords = (screen_xy[:, None, :] + template[None, :, :]).reshape(-1, 2)
    offsets = np.arange(len(screen_xy) + 1, dtype=np.int64) * k
    return rings_to_path(coords, offsets)


def _value_codes(gdf, fields) -> tuple[np.ndarray, list[int]]:
    """Per row, a code of its values in ``fields`` (missing columns count as None), codes in
    first-seen order, and the first row of each code: the styling of each distinct value
    triple is worked out once, not once per feature (50,000 parcels carry a handful)."""
    import pandas as pd  # loaded with the layers' data, not at the window's start

    combined = np.zeros(len(gdf), dtype=np.int64)
    for name in fields:
        if name and name in gdf.columns:
            values, uniques = pd.factorize(gdf[name])  # missing values get -1
            combined = combined * (len(uniques) + 1) + (values + 1)
    codes, _ = pd.factorize(combined)
    firsts = np.unique(codes, return_index=True)[1]  # codes run 0, 1, … in first-seen order
    return codes, firsts.tolist()


@dataclass(frozen=True)
class StyleKey:
    fill: str | None
    dash: tuple[float, ...]
    stroke: str


class CanvasLayer:
    """A layer as the canvas paints it: geometry arrays, style groups, label anchors.

    Built from a ``MapLayer`` and its ``LayerState`` in the map model, which says whether it is
    shown, its opacity and its style (``suichang_gis.map_model``); rebuilt when the data or the
    style changes, while visibility and opacity are read from the state at each paint.
    """

    def __init__(self, layer: MapLayer, state: LayerState | None = None,
                 previous: CanvasLayer | None = None, geometry: LayerGeometry | None = None):
        """``previous``: this layer as drawn before its data changed; the geometry of features
        left as they were is taken over from it (see ``LayerGeometry``), and so are its built
        tiles holding none but those features in their style, and their label anchors: after
        an edit of one parcel of 50,000 only that parcel's tiles are built again. ``geometry``: the
        layer's drawing geometry already read into arrays (``layer_arrays``), one feature per
        row of ``layer.gdf``, used instead of converting ``layer.gdf``'s geometry; by default
        ``layer.drawing`` when the layer brings one (a database view)."""
        self.layer = layer
        self.state = state if state is not None else LayerState(layer, layer.spec.visible)
        self._treated: tuple[Style, Style] | None = None  # (chosen style, its schematic treatment)
        style = self.built_style = self.style
        gdf = layer.gdf
        codes, firsts = _value_codes(gdf, (style.fill_field, style.dash_field, style.stroke_field))
        keys: dict[StyleKey, int] = {}
        key_of_code = np.empty(len(firsts), dtype=np.int64)
        for code, i in enumerate(firsts):  # distinct value triples, in first-seen order
            fv, dv, sv = (gdf[f].iloc[i] if f in gdf.columns else None
                          for f in (style.fill_field, style.dash_field, style.stroke_field))
            key = StyleKey(style.fill_for(fv), style.dash_for(dv), style.stroke_for(sv))
            key_of_code[code] = keys.setdefault(key, len(keys))
        if not keys:  # no rows (a database view of dots only): the style of missing values
            keys[StyleKey(style.fill_for(None), style.dash_for(None), style.stroke_for(None))] = 0
        feature_codes = key_of_code[codes]
        self.style_keys: list[StyleKey] = list(keys)
        geometry = geometry if geometry is not None else layer.drawing
        if geometry is not None:
            # Parts of no feature (-1: the dots of a database view) take the first style group.
            geometry.part_key = np.append(feature_codes, 0)[geometry.part_feature]
            self.geometry = geometry
        else:
            self.geometry = LayerGeometry(gdf.geometry.to_numpy(), feature_codes,
                                          previous.geometry if previous is not None else None)
        self._labels = None
        self._feature_tree = None
        self._typical_size: float | None = None  # metres, see outline_px
        # (band, style code) -> tile -> (paths, dots); band -> tile index (see _tile_index)
        self._tiles: dict[tuple[int, int], dict[int, tuple[list[QPainterPath], QPolygonF]]] = {}
        self._tile_indexes: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        self._bands_used: list[int] = []  # least recently drawn first
        self._lock = threading.Lock()
        self._previous_anchors = None  # (anchors, their features here) taken over by labels()
        self.took_over_from = None  # weak reference to the layer taken over from (see _take_over)
        self.changed_bounds = np.zeros((0, 4))  # envelopes of the parts drawn differently from it
        if previous is not None and self.geometry.kept_parts is not None:
            self._take_over(previous)

    @property
    def id(self) -> str:
        return self.layer.id

    @property
    def spec(self):
        return self.layer.spec

    @property
    def style(self) -> Style:
        """The style drawn with (the state's choice, else the catalog's), with the schematic
        treatment for a 示意 layer (``LayerSpec.drawn_style``); the same object while the choice
        stays, so the canvas can tell a style change by identity."""
        chosen = self.state.style
        if chosen is None:
            return self.layer.spec.drawn_style
        if not self.layer.spec.schematic:
            return chosen
        if self._treated is None or self._treated[0] is not chosen:
            self._treated = (chosen, schematic_style(chosen, self.layer.spec.geometry_type))
        return self._treated[1]

    @property
    def visible(self) -> bool:
        return self.state.visible

    @property
    def opacity(self) -> float:
        """The layer's opacity (0–1), multiplied with the style's own when painting."""
        return self.state.opacity

    def outline_px(self, resolution: float) -> float:
        """The outline width in pixels at ``resolution`` (metres per pixel): the style's, but at
        most 1 pixel for a polygon layer whose typical part — the median of the longer sides of
        its parts' envelopes — is narrower than ``HAIRLINE_BELOW_PX`` pixels, as QGIS simplifies
        what cannot be seen at a scale. It depends on the layer and the resolution only, so a
        patch of a view (``ui.render_patch``) is outlined as the whole view is."""
        width = max(self.style.stroke_width * PX_PER_PT, 0.5)
        if self.geometry.kind != POLYGON:
            return width
        if self._typical_size is None:
            b = self.geometry.part_bounds
            sizes = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])
            sizes = sizes[np.isfinite(sizes)]
            self._typical_size = float(np.median(sizes)) if len(sizes) else 0.0
        return min(width, 1.0) if self._typical_size < HAIRLINE_BELOW_PX * resolution else width

    def feature_tree(self):
        """STRtree over the features (row order of the GeoDataFrame), for identify."""
        if self._feature_tree is None:
            self._feature_tree = shapely.STRtree(self.layer.gdf.geometry.to_numpy())
        return self._feature_tree

    def labels(self):
        """(anchors (n, 2), texts) of the features that carry a label, computed once (the
        anchors of features taken over unchanged from the previous layer are kept)."""
        if self._labels is None:
            field_name = self.style.label_field
            gdf = self.layer.gdf
            if not field_name or field_name not in gdf.columns or len(gdf) == 0:
                self._labels = (np.zeros((0, 2)), [])
            else:
                geoms = gdf.geometry.to_numpy()
                anchors = np.full((len(geoms), 2), np.nan)
                todo = np.ones(len(geoms), dtype=bool)
                if self._previous_anchors is not None:
                    old, features = self._previous_anchors
                    kept = features >= 0
                    anchors[features[kept]] = old[kept]
                    todo[features[kept]] = False
                anchors[todo] = label_anchors(geoms[todo])
                values = gdf[field_name]
                texts = values.astype(str).where(values.notna(), "").tolist()
                self._labels = (anchors, texts)
                self._previous_anchors = None
        return self._labels

    def _take_over(self, previous: CanvasLayer) -> None:
        """Keep ``previous``'s tiles whose parts all were taken over (the same geometry
        objects, in the same style group and tile) and no other part joined, and its label
        anchors of the features taken over."""
        with previous._lock:
            old_tiles = {k: dict(v) for k, v in previous._tiles.items()}
            old_indexes = dict(previous._tile_indexes)
            self._bands_used = list(previous._bands_used)
        old_labels = previous._labels
        if old_labels is not None and len(old_labels[0]) and previous.style.label_field == self.style.label_field:
            self._previous_anchors = (old_labels[0], self.geometry.kept_features)
        kept = self.geometry.kept_parts
        origin = np.full(len(self.geometry), -1, dtype=np.int64)  # part here -> part of previous
        origin[kept[kept >= 0]] = np.nonzero(kept >= 0)[0]
        taken = origin >= 0
        code_of = {key: code for code, key in enumerate(self.style_keys)}
        # What is drawn differently: parts gone, parts new, parts taken over in another style.
        new_code = np.array([code_of.get(key, -1) for key in previous.style_keys], dtype=np.int64)
        restyled = taken.copy()
        old_codes = previous.geometry.part_key[origin[taken]].astype(np.int64)
        restyled[taken] = new_code[old_codes] != self.geometry.part_key[taken].astype(np.int64)
        self.changed_bounds = np.concatenate((previous.geometry.part_bounds[kept < 0],
                                              self.geometry.part_bounds[~taken | restyled]))
        self.took_over_from = weakref.ref(previous)
        for band, old_index in old_indexes.items():
            self._follow_tile_index(band, old_index, kept)
        for (band, old_code), tiles in old_tiles.items():
            code = code_of.get(previous.style_keys[old_code])
            if code is None or band not in old_indexes:
                continue
            old_tile_of, _, _, old_cells = old_indexes[band]
            tile_of, _, _, cells = self._tile_index(band)
            old_in, new_in = previous._in_group(old_code), self._in_group(code)
            fits = taken.copy()  # a part here that was in the same group and tile before
            fits[taken] = old_in[origin[taken]] & np.all(
                old_cells[old_tile_of[origin[taken]]] == cells[tile_of[taken]], axis=1)
            spoilt = set(tile_of[new_in & ~fits].tolist())
            new_count = np.bincount(tile_of[new_in], minlength=len(cells))
            old_count = np.bincount(old_tile_of[old_in], minlength=len(old_cells))
            old_tile_at = {cell: t for t, cell in enumerate(map(tuple, old_cells.tolist()))}
            kept_tiles = {}
            for tile, cell in enumerate(map(tuple, cells.tolist())):
                old = old_tile_at.get(cell)
                if old in tiles and tile not in spoilt and new_count[tile] == old_count[old]:
                    kept_tiles[tile] = tiles[old]
            if kept_tiles:
                self._tiles[(band, code)] = kept_tiles

    def _in_group(self, code: int) -> np.ndarray:
        """Per part, whether it is drawn in style group ``code``."""
        key = self._key_filter(code)
        return np.ones(len(self.geometry), dtype=bool) if key is None else self.geometry.part_key == key

    def drawing(self, view: MapView, code: int, stale=None) -> tuple[list[QPainterPath], list[QPolygonF]]:
        """What the view needs of one style group, in map coordinates at its zoom band: the
        paths of the parts of a pixel or more, and the dots of the smaller ones, from the tiles
        holding parts in view (built on first use, then cached). ``stale()`` (optional) is asked
        between the building steps: once True, the tiles built so far are kept and
        ``RenderSuperseded`` is raised."""
        band = view.zoom_band
        geometry = self.geometry
        parts = geometry.query(view.extent)
        key = self._key_filter(code)
        if key is not None:
            parts = parts[geometry.part_key[parts] == key]
        paths: list[QPainterPath] = []
        dots: list[QPolygonF] = []
        if len(parts) == 0:
            return paths, dots
        with self._lock:
            self._keep_band(band)
            tile_of, order, starts, _ = self._tile_index(band)
            needed = np.nonzero(np.bincount(tile_of[parts], minlength=len(starts) - 1))[0]
            cache = self._tiles.setdefault((band, code), {})
            missing = [tile for tile in needed.tolist() if tile not in cache]
            if missing:
                built: dict = {}
                try:
                    self._build_tiles(band, key, missing, tile_of, order, starts, built, stale)
                finally:
                    cache.update(built)
            for tile in needed.tolist():
                tile_paths, tile_dots = cache[tile]
                paths.extend(tile_paths)
                if tile_dots.size():
                    dots.append(tile_dots)
        return paths, dots

    def _build_tiles(self, band: int, key, tiles: list[int], tile_of, order, starts, built: dict,
                     stale=None) -> None:
        """Paths and dots of several tiles into ``built`` (tile → (paths, dots)), simplified in
        one pass over their parts; ``stale`` as in ``drawing``."""
        _check(stale)
        resolution = band_resolution(band)
        members = np.sort(np.concatenate([order[starts[t]:starts[t + 1]] for t in tiles]))
        rings = self.geometry.rings(resolution, band, members, key, resolution)
        _check(stale)
        ring_tile = tile_of[rings.part]
        rings = take_rings(rings, np.argsort(ring_tile, kind="stable"))  # keeps the spatial order
        ring_tile = tile_of[rings.part]
        xy, dot_parts = self.geometry.dots(resolution, members, key)
        dot_order = np.argsort(tile_of[dot_parts], kind="stable")
        xy, dot_tile = xy[dot_order], tile_of[dot_parts][dot_order]
        for tile in tiles:
            _check(stale)
            a, b = np.searchsorted(ring_tile, [tile, tile + 1])
            offsets = rings.offsets[a:b + 1]
            piece = Rings(rings.coords[offsets[0]:offsets[-1]], offsets - offsets[0], rings.part[a:b])
            c, d = np.searchsorted(dot_tile, [tile, tile + 1])
            built[tile] = (_chunked_paths(piece) if piece.count else [], points_polygon(xy[c:d]))

    def _keep_band(self, band: int) -> None:
        """Mark ``band`` as used last; forget the tiles of all but the ``CACHED_BANDS`` bands
        used last (a million polygons take a few hundred MB of paths per band)."""
        if band in self._bands_used:
            self._bands_used.remove(band)
        self._bands_used.append(band)
        del self._bands_used[:-CACHED_BANDS]
        for old in set(self._tile_indexes) - set(self._bands_used):
            del self._tile_indexes[old]
        for cached in [k for k in self._tiles if k[0] not in self._bands_used]:
            del self._tiles[cached]

    def _follow_tile_index(self, band: int, old_index, kept: np.ndarray) -> None:
        """The tile index at ``band`` from ``old_index``, the previous layer's, when the parts
        taken over (``kept``: per previous part, its index here or -1) come first and in their
        order, and every tile keeps a part and no part lies in a new tile (a parcel drawn,
        changed or deleted among others): the same index as ``_tile_index`` works out, without
        sorting 50,000 parts again. Otherwise it is left to ``_tile_index``."""
        old_tile_of, old_order, _, old_cells = old_index
        n_kept = int((kept >= 0).sum())
        if not np.array_equal(kept[kept >= 0], np.arange(n_kept)):
            return
        fresh_cells = _cells(self.geometry.part_bounds[n_kept:], band)
        old_keys = (old_cells[:, 0] << 32) + old_cells[:, 1]  # sorted: dense ids follow (column, row)
        fresh_keys = (fresh_cells[:, 0] << 32) + fresh_cells[:, 1]
        at = np.minimum(np.searchsorted(old_keys, fresh_keys), len(old_keys) - 1)
        if len(old_keys) == 0 or not np.array_equal(old_keys[at], fresh_keys):
            return  # a part in a tile the previous layer had none in
        tile_of = np.empty(len(self.geometry), dtype=np.int64)
        taken = kept >= 0
        tile_of[kept[taken]] = old_tile_of[taken]
        tile_of[n_kept:] = at
        counts = np.bincount(tile_of, minlength=len(old_cells))
        if not counts.all():
            return  # a tile left empty: the dense ids change
        # Within a tile, the parts taken over (in their previous order) and then the new ones:
        # a stable sort of an almost sorted array, a pass rather than a sort.
        moved = kept[old_order]
        order = np.concatenate((moved[moved >= 0], np.arange(n_kept, len(tile_of))))
        order = order[np.argsort(tile_of[order], kind="stable")]
        starts = np.concatenate(([0], np.cumsum(counts)))
        self._tile_indexes[band] = (tile_of, order, starts, old_cells)

    def _tile_index(self, band: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per part its tile at ``band`` (dense ids), the parts ordered by tile, where each
        tile's parts start in that order, and each tile's cell (column, row of the squares of
        ``TILE_PX`` pixels counted from the map's origin); computed once per band."""
        index = self._tile_indexes.get(band)
        if index is None:
            cells = _cells(self.geometry.part_bounds, band)
            shifted = cells - cells.min(axis=0, initial=0)
            _, tile_of = np.unique(shifted[:, 0] * (shifted[:, 1].max(initial=0) + 1) + shifted[:, 1],
                                   return_inverse=True)
            order = np.argsort(tile_of, kind="stable")
            starts = np.searchsorted(tile_of[order], np.arange(tile_of.max(initial=-1) + 2))
            index = self._tile_indexes[band] = (tile_of, order, starts, cells[order[starts[:-1]]])
        return index

    def _key_filter(self, code: int):
        return code if len(self.style_keys) > 1 else None


def _cells(bounds: np.ndarray, band: int) -> np.ndarray:
    """(n, 2) int64: the tile (column, row) at ``band`` holding the centre of each envelope."""
    size = TILE_PX * band_resolution(band)
    with np.errstate(invalid="ignore"):  # parts without coordinates: any tile
        cells = np.floor(np.column_stack(((bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2)) / size)
    return np.nan_to_num(cells, nan=0.0, posinf=0.0, neginf=0.0).astype(np.int64)


def _chunked_paths(rings: Rings) -> list[QPainterPath]:
    return [rings_to_path(piece.coords, piece.offsets) for piece in rings.chunks(RINGS_PER_PATH)]


def view_transform(view: MapView) -> QTransform:
    xmin, _, _, ymax = view.extent
    s = 1.0 / view.resolution
    return QTransform(s, 0.0, 0.0, -s, -xmin * s, ymax * s)


def stroke_pen(style: Style, dash: tuple[float, ...], colour: str | None = None,
               width: float | None = None) -> QPen:
    """The cosmetic outline pen of ``style`` (``width`` in pixels instead of the style's; dashes
    keep their length in pixels)."""
    width = max(style.stroke_width * PX_PER_PT, 0.5) if width is None else width
    pen = QPen(qcolor(colour or style.stroke), width)
    pen.setCosmetic(True)  # width in pixels whatever the map transform
    if dash:
        pen.setDashPattern([max(d * PX_PER_PT / width, 0.1) for d in dash])
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    pen.setCapStyle(Qt.PenCapStyle.FlatCap)
    return pen


def hatch_brush(colour: str, view: MapView | None = None) -> QBrush:
    """The schematic hatching (Style.hatch "diagonal") in ``colour``; with ``view``, the pattern
    is kept in screen pixels under the map transform."""
    brush = QBrush(qcolor(colour), Qt.BrushStyle.BDiagPattern)
    if view is not None:
        brush.setTransform(view_transform(view).inverted()[0])
    return brush


class RenderSuperseded(Exception):
    """A render given up part way because ``stale()`` turned true (its picture is out of date)."""


def _check(stale) -> None:
    if stale is not None and stale():
        raise RenderSuperseded


def paint_layer(painter: QPainter, view: MapView, layer: CanvasLayer, stale=None) -> None:
    """Paint one layer's features in the view; ``stale()`` (optional) is asked between drawing
    calls and raises ``RenderSuperseded`` once it returns True."""
    geometry = layer.geometry
    if len(geometry) == 0 or geometry.kind is None:
        return
    style = layer.style
    parts = geometry.query(view.extent)
    if len(parts) == 0:
        return
    painter.save()
    try:
        painter.setOpacity(max(0.0, min(1.0, layer.opacity * style.opacity)))
        if geometry.kind == POINT:
            _paint_points(painter, view, layer, parts)
        else:
            painter.setTransform(view_transform(view))
            antialias = painter.testRenderHint(QPainter.RenderHint.Antialiasing)
            stroked = style.stroke_width > 0
            for code, key in enumerate(layer.style_keys):
                paths, dots = layer.drawing(view, code, stale)
                hatched = geometry.kind == POLYGON and bool(style.hatch)
                if hatched and len(paths) >= HATCH_OVER_IMAGE and isinstance(painter.device(), QImage):
                    _fill_hatched(painter, view, paths, key, antialias and not stroked)
                else:
                    if geometry.kind == POLYGON and key.fill:
                        # Antialiased filling costs about 5× more; the antialiased outline drawn next
                        # covers the fill's edge, so fill without it when there is an outline.
                        painter.setRenderHint(QPainter.RenderHint.Antialiasing, antialias and not stroked)
                        painter.setPen(Qt.PenStyle.NoPen)
                        painter.setBrush(QBrush(qcolor(key.fill)))
                        for path in paths:
                            _check(stale)
                            painter.drawPath(path)
                        painter.setRenderHint(QPainter.RenderHint.Antialiasing, antialias)
                    if hatched:
                        painter.setPen(Qt.PenStyle.NoPen)
                        painter.setBrush(hatch_brush(key.stroke, view))
                        for path in paths:
                            _check(stale)
                            painter.drawPath(path)
                if stroked:
                    painter.setPen(stroke_pen(style, key.dash, key.stroke, layer.outline_px(view.resolution)))
                    painter.setBrush(Qt.BrushStyle.NoBrush)
                    for path in paths:
                        _check(stale)
                        painter.drawPath(path)
                if dots:
                    # A part under a pixel shows as its outline colour (its fill where it has none).
                    pen = QPen(qcolor(key.stroke if stroked or not key.fill else key.fill), 1.0)
                    pen.setCosmetic(True)
                    painter.setPen(pen)
                    for polygon in dots:
                        painter.drawPoints(polygon)
    finally:  # also when a superseded render stops part way
        painter.restore()


def _fill_hatched(painter: QPainter, view: MapView, paths: list[QPainterPath], key: StyleKey,
                  antialias: bool) -> None:
    """Fill and hatch many paths: fill them into a scratch image, lay the hatching over what was
    filled there in one pass (SourceAtop; SourceIn when there is no fill colour), then draw the
    image. Same pixels as hatching path by path, at the cost of one fill."""
    device = painter.device()
    scratch = QImage(device.width(), device.height(), QImage.Format.Format_ARGB32_Premultiplied)
    scratch.fill(Qt.GlobalColor.transparent)
    inner = QPainter(scratch)
    inner.setRenderHint(QPainter.RenderHint.Antialiasing, antialias)
    inner.setTransform(view_transform(view))
    inner.setPen(Qt.PenStyle.NoPen)
    inner.setBrush(QBrush(qcolor(key.fill or "#000000")))
    for path in paths:
        inner.drawPath(path)
    inner.resetTransform()
    inner.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceAtop if key.fill
                             else QPainter.CompositionMode.CompositionMode_SourceIn)
    inner.fillRect(scratch.rect(), hatch_brush(key.stroke))
    inner.end()
    painter.save()
    painter.resetTransform()
    painter.drawImage(0, 0, scratch)
    painter.restore()


def _paint_points(painter: QPainter, view: MapView, layer: CanvasLayer, parts: np.ndarray) -> None:
    style = layer.style
    geometry = layer.geometry
    coords = geometry.band_rings(view.resolution, view.zoom_band).coords[parts]
    codes = geometry.part_key[parts] if geometry.part_key is not None else np.zeros(len(parts), int)
    sx, sy = view.to_screen(coords[:, 0], coords[:, 1])
    screen = np.column_stack([sx, sy])
    template = marker_template(style.marker, style.marker_size * PX_PER_PT)
    width = max(style.stroke_width * PX_PER_PT, 0.5)
    for code, key in enumerate(layer.style_keys):
        mask = codes == code
        if not mask.any():
            continue
        painter.setPen(QPen(qcolor(key.stroke), width))
        painter.setBrush(QBrush(qcolor(key.fill or "#ffffff")))
        painter.drawPath(markers_path(screen[mask], template))


@dataclass
class LabelPlacer:
    """Greedy placement: a label is drawn only where it overlaps no label placed before."""

    width: int
    height: int
    placed: list[QRectF] = field(default_factory=list)

    def try_place(self, rect: QRectF) -> bool:
        if rect.left() < 0 or rect.top() < 0 or rect.right() > self.width or rect.bottom() > self.height:
            return False
        if any(rect.intersects(other) for other in self.placed):
            return False
        self.placed.append(rect)
        return True


def paint_labels(painter: QPainter, view: MapView, layers: list[CanvasLayer]) -> int:
    """Labels of the visible layers, top layer first; returns how many were drawn."""
    placer = LabelPlacer(view.width, view.height)
    xmin, ymin, xmax, ymax = view.extent
    drawn = 0
    painter.save()
    painter.resetTransform()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    halo = QPen(QColor(255, 255, 255, 230), 3.0)
    halo.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    for layer in reversed(layers):
        if not layer.visible or not layer.style.label_field or _surely_too_dense(layer, view.extent):
            continue
        anchors, texts = layer.labels()
        if len(texts) == 0:
            continue
        inside = np.nonzero((anchors[:, 0] >= xmin) & (anchors[:, 0] <= xmax)
                            & (anchors[:, 1] >= ymin) & (anchors[:, 1] <= ymax))[0]
        if len(inside) > MAX_LABELS_PER_LAYER:
            continue  # too dense to read at this scale: wait for a closer zoom
        font = QFont(LABEL_FAMILY)
        font.setPixelSize(max(round(layer.style.label_size * PX_PER_PT), 8))
        metrics = QFontMetricsF(font)
        point_layer = layer.geometry.kind == POINT
        offset = layer.style.marker_size * PX_PER_PT / 2 + 2 if point_layer else 0.0
        color = qcolor(layer.style.label_color)
        for i in inside:
            text = texts[i]
            if not text:
                continue
            sx, sy = view.to_screen(anchors[i, 0], anchors[i, 1])
            w, h = metrics.horizontalAdvance(text), metrics.height()
            if point_layer:
                rect = QRectF(sx + offset, sy - h / 2, w, h)
            else:
                rect = QRectF(sx - w / 2, sy - h / 2, w, h)
            if not placer.try_place(rect.adjusted(-2, -1, 2, 1)):
                continue
            text_path = QPainterPath()
            text_path.addText(QPointF(rect.left(), rect.top() + metrics.ascent()), font, text)
            painter.strokePath(text_path, halo)
            painter.fillPath(text_path, color)
            drawn += 1
    painter.restore()
    return drawn


def _surely_too_dense(layer: CanvasLayer, extent) -> bool:
    """Whether more than ``MAX_LABELS_PER_LAYER`` features lie wholly inside ``extent``: their
    label anchors (a point on the feature) do too, so the layer's labels are left out — decided
    from the parts' envelopes, without working out the anchors of 50,000 parcels at county
    zoom (a tenth of a second holding Python's GIL)."""
    geometry = layer.geometry
    if layer.layer.drawing is not None or len(geometry) <= MAX_LABELS_PER_LAYER:
        return False  # a database view's drawing is simplified: its envelopes are not the data's
    xmin, ymin, xmax, ymax = extent
    b = geometry.part_bounds
    inside = (b[:, 0] >= xmin) & (b[:, 2] <= xmax) & (b[:, 1] >= ymin) & (b[:, 3] <= ymax)
    features = len(layer.layer.gdf)
    parts = np.bincount(geometry.part_feature, minlength=features)
    within = np.bincount(geometry.part_feature[inside], minlength=features)
    return int(((parts > 0) & (within == parts)).sum()) > MAX_LABELS_PER_LAYER


def render_view(painter: QPainter, view: MapView, layers: list[CanvasLayer],
                labels: bool = True, antialias: bool = True, stale=None) -> None:
    """Paint the visible layers bottom to top, then their labels; ``stale`` as in ``paint_layer``."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, antialias)
    visible = [layer for layer in layers if layer.visible]
    for layer in visible:
        _check(stale)
        paint_layer(painter, view, layer, stale)
    if labels:
        paint_labels(painter, view, visible)
