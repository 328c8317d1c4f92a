"""Which features lie at a map point, across layers: every one of them, overlaps included."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

from .catalog import MapLayer


@dataclass(frozen=True)
class IdentifyHit:
    """One feature found at a point: its layer, row, attributes, geometry (EPSG:4549) and provenance."""

    layer_id: str
    layer_title: str  # display title, with the 示意 mark where schematic
    feature_index: int  # row position in the layer's GeoDataFrame
    attributes: dict
    geometry: object  # shapely geometry (never None here: a point cannot hit a missing one)
    zhuanlan: tuple[str, ...]
    provenance: object  # suichang_gis.catalog.Provenance


def identify(layers: list[MapLayer], x: float, y: float, tolerance: float = 0.0,
             trees: dict | None = None) -> list[IdentifyHit]:
    """Features of ``layers`` within ``tolerance`` metres of (x, y), top layer first.

    ``layers`` is in drawing order (bottom first). Polygons are hit when they contain the
    point (or lie within the tolerance); lines and points when within the tolerance.
    ``trees`` may map layer ids to an STRtree over that layer's geometry (same row order) to
    avoid rebuilding it.
    """
    point = shapely.Point(x, y)
    probe = point.buffer(tolerance) if tolerance > 0 else point
    hits: list[IdentifyHit] = []
    for layer in reversed(layers):
        geoms = layer.gdf.geometry.to_numpy()
        tree = (trees or {}).get(layer.id) or shapely.STRtree(geoms)
        candidates = np.sort(tree.query(probe, predicate="intersects"))
        spec = layer.spec
        for i in candidates:
            row = layer.gdf.iloc[int(i)]
            attributes = {k: _plain(v) for k, v in row.items() if k != layer.gdf.geometry.name}
            hits.append(IdentifyHit(spec.id, spec.display_title, int(i), attributes,
                                    geoms[i], spec.zhuanlan, spec.provenance))
    return hits


def _plain(value):
    """NaN and numpy scalars as plain Python values for display."""
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if isinstance(value, np.generic) else value
