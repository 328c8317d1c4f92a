"""Drawing-ready geometry of one layer: numpy coordinate arrays, a spatial index, LOD per zoom band.

A renderer asks for the rings (polygon rings or line strings) of the parts inside a view,
simplified to the pixel size of the view's zoom band. Everything is vectorised numpy/shapely:
no Python loop per feature or vertex, so a million polygons stay interactive.

Level of detail follows QGIS's "simplify on the fly" (``QgsMapToPixelSimplifier``): vertices
closer than a pixel are merged, and a part whose envelope is smaller than a pixel in both
directions is not drawn as a ring at all — QGIS replaces it by its bounding box, here it is one
dot at the envelope's centre (:meth:`LayerGeometry.dots`), which is what either looks like on
screen. A layer can be built from coordinate arrays without a shapely object per feature
(:meth:`LayerGeometry.from_rings`, :func:`read_layer_geometry`).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import shapely

POLYGON, LINE, POINT = "polygon", "line", "point"


@dataclass(frozen=True)
class Rings:
    """Coordinates of many rings/lines: ring i is ``coords[offsets[i]:offsets[i + 1]]``."""

    coords: np.ndarray  # (n, 2) float64, EPSG:4549
    offsets: np.ndarray  # (rings + 1,) int64
    part: np.ndarray  # (rings,) index of the part each ring belongs to

    @property
    def count(self) -> int:
        """Number of rings."""
        return len(self.offsets) - 1

    def chunks(self, max_rings: int) -> list[Rings]:
        """Consecutive pieces of about ``max_rings`` rings, never splitting a part's rings.

        Qt's antialiasing rasteriser slows down sharply on one huge path; many small paths of
        spatially close rings (see :meth:`LayerGeometry.band_rings`) fill far faster.
        """
        if self.count <= max_rings:
            return [self]
        part_start = np.ones(self.count, dtype=bool)
        part_start[1:] = self.part[1:] != self.part[:-1]
        starts = np.nonzero(part_start)[0]
        positions = np.searchsorted(starts, np.arange(max_rings, self.count, max_rings))
        cuts = [0]
        for index in starts[positions[positions < len(starts)]]:  # first part start at or after
            if index > cuts[-1]:
                cuts.append(int(index))
        cuts.append(self.count)
        pieces = []
        for a, b in pairwise(cuts):
            offsets = self.offsets[a:b + 1]
            pieces.append(Rings(self.coords[offsets[0]:offsets[-1]], offsets - offsets[0],
                                self.part[a:b]))
        return pieces


def geometry_kind(geoms: np.ndarray) -> str | None:
    """polygon, line or point after the first non-empty geometry; None when there is none."""
    types = shapely.get_type_id(geoms)
    types = types[types >= 0]
    if len(types) == 0:
        return None
    first = int(types[0])
    if first in (3, 6):
        return POLYGON
    if first in (1, 2, 5):
        return LINE
    return POINT


def ranges_to_index(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, e)`` for each pair, without a Python loop."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    shift = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return np.arange(total, dtype=np.int64) + shift


class LayerGeometry:
    """Geometry of one layer converted once for drawing, identify and culling.

    ``feature_keys`` (optional, one per feature) groups features that share a style, e.g. the
    value of ``Style.fill_field``; :meth:`rings` can select one key. Parts are found in a view
    by a vectorised test of their envelopes (``part_bounds``, (parts, 4) xmin, ymin, xmax, ymax
    in EPSG:4549 metres): one pass over a million boxes takes milliseconds, without a shapely
    object per part.
    """

    def __init__(self, geometries, feature_keys=None, previous: LayerGeometry | None = None):
        """``previous``: the layer's geometry before an edit; features whose geometry is the
        very same object as there are taken over converted, so an edit of a few features of a
        large layer converts those few (``prepared`` counts the features converted here;
        ``kept_parts`` and ``kept_features`` give, per part and per feature of ``previous``,
        its index here, -1 where it was not taken over, so drawing caches can follow).
        """
        self.kept_parts = self.kept_features = None
        geoms = self._geoms = np.asarray(geometries, dtype=object)
        present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        self.kind = geometry_kind(geoms[present])
        old_of_new = np.full(len(geoms), -1, dtype=np.int64)
        if previous is not None and previous.kind == self.kind and previous._geoms is not None:
            old_of_new[present] = _same_objects(geoms[present], previous._geoms)
        feature_index = np.nonzero(present & (old_of_new < 0))[0]
        self.prepared = len(feature_index)
        fresh = geoms[feature_index]
        # Exterior counter-clockwise, holes clockwise: with the winding fill rule holes stay
        # empty while overlapping features of one layer do not cancel out.
        if self.kind == POLYGON and np.isin(shapely.get_type_id(fresh), (3, 6)).all():
            # No shapely object per part or ring: making 50,000 of each holds Python's GIL for
            # a tenth of a second per call, and the window waits.
            self._full, part_of = polygon_rings(fresh)
        else:
            parts, part_of = shapely.get_parts(fresh, return_index=True)
            self._full = build_rings(self.kind, shapely.orient_polygons(parts) if self.kind == POLYGON else parts)
        self.part_feature = feature_index[part_of]
        bounds = _part_bounds(self._full, len(part_of))
        if self.prepared < int(present.sum()):
            bounds = self._take_over(previous, old_of_new, bounds)
        self.parts = None  # no shapely object per part is kept (``from_rings`` keeps none either)
        self._index(feature_keys, bounds)

    @classmethod
    def from_rings(cls, kind: str | None, rings: Rings, part_feature: np.ndarray,
                   feature_keys=None) -> LayerGeometry:
        """A layer from coordinate arrays alone (e.g. read by :func:`read_layer_geometry`):
        ``rings`` in part order (polygon exteriors counter-clockwise, holes clockwise),
        ``part_feature`` the feature of each part. No shapely object is kept, so an edit
        cannot take parts over from it (``parts`` is None).
        """
        self = cls.__new__(cls)
        self.kept_parts = self.kept_features = None
        self._geoms = None
        self.parts = None
        self.kind = kind
        self._full = rings
        self.part_feature = np.asarray(part_feature, dtype=np.int64)
        # The parts of one feature are consecutive: count the runs.
        self.prepared = int(np.count_nonzero(np.diff(self.part_feature))) + 1 if len(self.part_feature) else 0
        self._index(feature_keys)
        return self

    def _index(self, feature_keys, part_bounds: np.ndarray | None = None) -> None:
        self.part_bounds = _part_bounds(self._full, len(self.part_feature)) if part_bounds is None else part_bounds
        b = self.part_bounds
        self.bounds = ((float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max()))
                       if len(b) else (0.0, 0.0, 0.0, 0.0))
        keys = np.asarray(feature_keys, dtype=object) if feature_keys is not None else None
        self.part_key = keys[self.part_feature] if keys is not None else None
        self._bands: dict[int, Rings] = {}

    def _take_over(self, previous: LayerGeometry, old_of_new: np.ndarray, bounds: np.ndarray) -> np.ndarray:
        """Put the converted rings and part envelopes of ``previous``'s unchanged features before
        the newly converted ones (``bounds``: their envelopes); returns all parts' envelopes.
        """
        new_of_old = np.full(len(previous._geoms), -1, dtype=np.int64)
        kept = np.nonzero(old_of_new >= 0)[0]
        new_of_old[old_of_new[kept]] = kept
        part_kept = new_of_old[previous.part_feature] >= 0
        # Every part kept (parcels added, none changed): the rings as they are, not copied by a mask.
        kept_rings = previous._full if part_kept.all() else _select(previous._full, part_kept[previous._full.part])
        renumber = np.cumsum(part_kept) - 1  # old part index -> index among the kept parts
        n_kept = int(part_kept.sum())
        self.kept_parts = np.where(part_kept, renumber, -1)
        self.kept_features = new_of_old
        fresh = self._full
        self._full = Rings(np.concatenate((kept_rings.coords, fresh.coords)),
                           np.concatenate((kept_rings.offsets, fresh.offsets[1:] + len(kept_rings.coords))),
                           np.concatenate((renumber[kept_rings.part], fresh.part + n_kept)))
        self.part_feature = np.concatenate((new_of_old[previous.part_feature[part_kept]], self.part_feature))
        return np.concatenate((previous.part_bounds[part_kept], bounds))

    def __len__(self) -> int:
        return len(self.part_feature)

    def band_rings(self, resolution: float, band: int) -> Rings:
        """All rings simplified to the band's pixel size (see :func:`snap_rings`), cached."""
        cached = self._bands.get(band)
        if cached is None:
            cached = self._bands[band] = (self._full if self.kind == POINT
                                          else snap_rings(self._full, resolution))
        return cached

    def query(self, extent) -> np.ndarray:
        """Sorted indices of the parts whose bounding box meets ``extent``."""
        xmin, ymin, xmax, ymax = extent
        b = self.part_bounds
        return np.nonzero((b[:, 0] <= xmax) & (b[:, 2] >= xmin) & (b[:, 1] <= ymax) & (b[:, 3] >= ymin))[0]

    def smaller_than(self, size: float) -> np.ndarray:
        """Per part, whether its envelope is narrower and lower than ``size`` metres."""
        b = self.part_bounds
        return (b[:, 2] - b[:, 0] < size) & (b[:, 3] - b[:, 1] < size)

    def rings(self, resolution: float, band: int, parts: np.ndarray | None = None,
              key=None, min_size: float = 0.0) -> Rings:
        """The band's rings of the given parts (all when None), optionally of one style key,
        leaving out parts whose envelope is smaller than ``min_size`` (metres; see :meth:`dots`).

        Parts in a band not simplified yet (a first close-up view, a tile) are simplified on
        their own rather than simplifying, and caching, the whole layer first.
        """
        chosen = parts is not None and band not in self._bands
        rings = self._full if chosen else self.band_rings(resolution, band)
        selected = self._selection(parts, key)
        if min_size > 0 and self.kind != POINT:
            small = self.smaller_than(min_size)
            selected = ~small if selected is None else selected & ~small
        if selected is None:
            return rings
        picked = _select(rings, selected[rings.part])
        return snap_rings(picked, resolution) if rings is self._full and self.kind != POINT else picked

    def dots(self, min_size: float, parts: np.ndarray | None = None, key=None) -> tuple[np.ndarray, np.ndarray]:
        """(k, 2) envelope centres of the parts (of ``parts``, of style ``key``) whose envelope
        is smaller than ``min_size`` metres both ways — what :meth:`rings` left out, drawn as one
        dot each — and those parts' indices. A dot lies within ``min_size`` × √2 / 2 of every
        point of its part.
        """
        if self.kind in (None, POINT) or min_size <= 0:
            return np.zeros((0, 2)), np.zeros(0, dtype=np.int64)
        mask = self.smaller_than(min_size)
        selected = self._selection(parts, key)
        if selected is not None:
            mask &= selected
        index = np.nonzero(mask)[0]
        b = self.part_bounds[index]
        return np.column_stack(((b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2)), index

    def _selection(self, parts, key) -> np.ndarray | None:
        """Per part, whether it is among ``parts`` and of style ``key``; None for all parts."""
        if parts is None and key is None:
            return None
        selected = np.zeros(len(self), dtype=bool)
        if parts is None:
            selected[:] = True
        else:
            selected[parts] = True
        if key is not None:
            selected &= self.part_key == key
        return selected

    def keys(self) -> list:
        """Distinct style keys, in first-seen order."""
        if self.part_key is None:
            return [None]
        seen = dict.fromkeys(self.part_key.tolist())
        return list(seen)


def with_dots(geometry: LayerGeometry, xy: np.ndarray) -> LayerGeometry:
    """``geometry`` with one more part per point of ``xy`` (k × 2, EPSG:4549), of no feature
    (``part_feature`` -1): each is drawn as a dot at any zoom, like a sub-pixel part.
    """
    if len(xy) == 0:
        return geometry
    full, n = geometry._full, len(geometry)
    rings = Rings(np.concatenate((full.coords, xy)),
                  np.concatenate((full.offsets, full.offsets[-1] + np.arange(1, len(xy) + 1))),
                  np.concatenate((full.part, n + np.arange(len(xy)))))
    kind = geometry.kind or POLYGON
    return LayerGeometry.from_rings(kind, rings, np.concatenate((geometry.part_feature,
                                                                 np.full(len(xy), -1, dtype=np.int64))))


def build_rings(kind: str | None, parts) -> Rings:
    """The rings (polygon rings in part order, or lines, or one point each) of shapely parts."""
    if kind == POINT or len(parts) == 0:
        coords = shapely.get_coordinates(parts)
        n = len(coords)
        return Rings(coords, np.arange(n + 1, dtype=np.int64), np.arange(n, dtype=np.int64))
    if kind == POLYGON:
        rings, ring_part = shapely.get_rings(parts, return_index=True)
    else:
        rings, ring_part = parts, np.arange(len(parts))
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    counts = np.bincount(coord_ring, minlength=len(rings))
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    return Rings(coords, offsets, np.asarray(ring_part, dtype=np.int64))


def polygon_rings(polygons: np.ndarray) -> tuple[Rings, np.ndarray]:
    """Rings of (Multi)Polygons straight from ``shapely.to_ragged_array`` — no shapely object
    per part or ring — oriented like ``shapely.orient_polygons`` (see :func:`orient_rings`), and
    for each part the index of its geometry in ``polygons``.
    """
    if (shapely.get_type_id(polygons) == 3).all() and not shapely.get_num_interior_rings(polygons).any():
        # Polygons without holes (parcels, most patches): one ring each, its coordinates read
        # without making a ring object per polygon (as ``to_ragged_array`` does).
        coords, index = shapely.get_coordinates(polygons, return_index=True)
        offsets = np.concatenate(([0], np.cumsum(np.bincount(index, minlength=len(polygons))))).astype(np.int64)
        part_of = np.arange(len(polygons))
        return orient_rings(Rings(coords, offsets, part_of)), part_of
    kind, coords, offsets = shapely.to_ragged_array(polygons, include_z=False)
    if kind == shapely.GeometryType.POLYGON:
        ring_offsets, part_offsets = offsets
        part_of = np.arange(len(polygons))
    else:
        ring_offsets, part_offsets, geometry_offsets = offsets
        part_of = np.repeat(np.arange(len(polygons)), np.diff(geometry_offsets))
    ring_part = np.repeat(np.arange(len(part_offsets) - 1), np.diff(part_offsets))
    return orient_rings(Rings(coords, ring_offsets.astype(np.int64), ring_part)), part_of


def orient_rings(rings: Rings) -> Rings:
    """Polygon rings with each part's first ring (its exterior) counter-clockwise and the others
    (holes) clockwise, reversing those that are not: the signed area of each ring by the
    shoelace formula, relative to the ring's first vertex to keep precision at 10⁶ m.
    """
    if rings.count == 0:
        return rings
    starts, ends = rings.offsets[:-1], rings.offsets[1:]
    lengths = ends - starts
    origin = np.repeat(rings.coords[starts], lengths, axis=0)
    x, y = (rings.coords - origin).T
    cross = np.zeros(len(x))
    cross[:-1] = x[:-1] * y[1:] - x[1:] * y[:-1]
    cross[ends - 1] = 0.0  # no term from one ring's last vertex to the next ring's first
    area = np.add.reduceat(cross, starts) if (lengths > 0).all() else _ring_sums(cross, starts, ends)
    exterior = np.ones(rings.count, dtype=bool)
    exterior[1:] = rings.part[1:] != rings.part[:-1]
    flip = np.where(exterior, area < 0, area > 0)
    if not flip.any():
        return rings
    index = np.arange(len(rings.coords))
    a, b = starts[flip], ends[flip]
    positions = ranges_to_index(a, b)
    index[positions] = np.repeat(a + b - 1, b - a) - positions
    return Rings(rings.coords[index], rings.offsets, rings.part)


def _ring_sums(values: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Sum of ``values[s:e]`` per ring, empty rings included (0)."""
    total = np.concatenate(([0.0], np.cumsum(values)))
    return total[ends] - total[starts]


def _part_bounds(rings: Rings, n_parts: int) -> np.ndarray:
    """(n_parts, 4) envelope of each part's rings; a part without coordinates gets an empty
    (inverted, infinite) box that meets no extent.
    """
    out = np.empty((n_parts, 4))
    out[:, :2], out[:, 2:] = np.inf, -np.inf
    sizes = np.diff(rings.offsets)
    filled = sizes > 0
    if not filled.any():
        return out
    starts, part = rings.offsets[:-1][filled], rings.part[filled]
    low = np.minimum.reduceat(rings.coords, starts, axis=0)
    high = np.maximum.reduceat(rings.coords, starts, axis=0)
    # Rings come in part order: the rings of one part are consecutive.
    first = np.ones(len(part), dtype=bool)
    first[1:] = part[1:] != part[:-1]
    at = np.nonzero(first)[0]
    out[part[at], :2] = np.minimum.reduceat(low, at, axis=0)
    out[part[at], 2:] = np.maximum.reduceat(high, at, axis=0)
    return out


def _same_objects(geoms: np.ndarray, old: np.ndarray) -> np.ndarray:
    """For each of ``geoms``, the index in ``old`` of the very same object (shapely geometries
    are immutable, so the same object is the same geometry), else -1; each old index once.

    Objects at the same position in both (all but the edited ones of a layer after an edit) are
    matched by position; only the others are searched for.
    """
    if len(old) == 0 or len(geoms) == 0:
        return np.full(len(geoms), -1, dtype=np.int64)
    old_ids = np.fromiter(map(id, old), dtype=np.int64, count=len(old))
    new_ids = np.fromiter(map(id, geoms), dtype=np.int64, count=len(geoms))
    m = min(len(old), len(geoms))
    in_place = np.zeros(len(geoms), dtype=bool)
    in_place[:m] = new_ids[:m] == old_ids[:m]
    found = np.where(in_place, np.arange(len(geoms)), -1)
    unmatched = np.ones(len(old), dtype=bool)
    unmatched[:m] = ~in_place[:m]
    rest, free = np.flatnonzero(~in_place), np.flatnonzero(unmatched)
    if len(rest) and len(free):
        found[rest] = _search(new_ids[rest], old_ids[free], free)
    return found


def _search(new_ids: np.ndarray, old_ids: np.ndarray, old_index: np.ndarray) -> np.ndarray:
    """Per id of ``new_ids``, ``old_index`` at the same id of ``old_ids``, else -1; each once."""
    order = np.argsort(old_ids)
    pos = np.minimum(np.searchsorted(old_ids[order], new_ids), len(old_ids) - 1)
    found = np.where(old_ids[order][pos] == new_ids, old_index[order][pos], -1)
    hits = np.nonzero(found >= 0)[0]
    _, first = np.unique(found[hits], return_index=True)
    repeated = np.ones(len(hits), dtype=bool)
    repeated[first] = False
    found[hits[repeated]] = -1  # one object twice in the layer: the second is converted anew
    return found


def snap_rings(rings: Rings, resolution: float) -> Rings:
    """Rings with vertices snapped to a pixel grid of ``resolution`` merged, spatially sorted.

    Consecutive vertices in one pixel are dropped (a ring keeps its first and last vertex), so
    a polygon smaller than a pixel shrinks to a dot instead of vanishing.
    """
    if rings.count == 0:
        return rings
    snapped = np.round(rings.coords / resolution)
    n = len(snapped)
    keep = np.zeros(n, dtype=bool)
    keep[rings.offsets[:-1]] = True
    keep[rings.offsets[1:] - 1] = True
    keep[1:] |= np.any(snapped[1:] != snapped[:-1], axis=1)
    kept_per_ring = np.add.reduceat(keep, rings.offsets[:-1])
    offsets = np.concatenate(([0], np.cumsum(kept_per_ring))).astype(np.int64)
    return _spatially_sorted(Rings(rings.coords[keep], offsets, rings.part), resolution * 128)


def take_rings(rings: Rings, order: np.ndarray) -> Rings:
    """The rings at positions ``order`` (an index array), in that order."""
    starts, ends = rings.offsets[:-1][order], rings.offsets[1:][order]
    offsets = np.concatenate(([0], np.cumsum(ends - starts))).astype(np.int64)
    return Rings(rings.coords[ranges_to_index(starts, ends)], offsets, rings.part[order])


def _select(rings: Rings, ring_mask: np.ndarray) -> Rings:
    starts, ends = rings.offsets[:-1][ring_mask], rings.offsets[1:][ring_mask]
    offsets = np.concatenate(([0], np.cumsum(ends - starts))).astype(np.int64)
    # A mask per coordinate is cheaper than an index of every kept coordinate.
    coords = rings.coords[np.repeat(ring_mask, np.diff(rings.offsets))]
    return Rings(coords, offsets, rings.part[ring_mask])


def _spatially_sorted(rings: Rings, cell: float) -> Rings:
    """Rings reordered part by part along rows of square cells (size ``cell``), so that
    consecutive rings lie close together; a part's rings stay together and in order.
    """
    if rings.count == 0:
        return rings
    part_start = np.ones(rings.count, dtype=bool)
    part_start[1:] = rings.part[1:] != rings.part[:-1]
    group = np.cumsum(part_start) - 1  # rings of a part are consecutive here
    anchor = rings.coords[rings.offsets[:-1][part_start]][group]  # the part's first vertex
    cell_x, cell_y = np.floor(anchor[:, 0] / cell), np.floor(anchor[:, 1] / cell)
    return take_rings(rings, np.lexsort((np.arange(rings.count), cell_x, cell_y)))


def label_anchors(geometries) -> np.ndarray:
    """One (x, y) per feature where its label goes; NaN where the feature has no geometry.

    Polygons: a point inside the polygon (point_on_surface); lines: their middle; points: the
    point itself.
    """
    geoms = np.asarray(geometries, dtype=object)
    out = np.full((len(geoms), 2), np.nan)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not present.any():
        return out
    g = geoms[present]
    anchor = shapely.point_on_surface(g)
    lines = np.isin(shapely.get_type_id(g), (1, 5))
    if lines.any():
        merged = shapely.line_merge(g[lines])
        single = shapely.get_type_id(merged) == 1  # multi-lines that did not merge keep
        middle = shapely.line_interpolate_point(merged[single], 0.5, normalized=True)
        line_anchor = anchor[lines]
        line_anchor[single] = middle
        anchor[lines] = line_anchor
    out[present] = shapely.get_coordinates(anchor)
    return out
