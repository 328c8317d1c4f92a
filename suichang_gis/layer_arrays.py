"""Read a layer file straight into drawing arrays, without a shapely object per feature kept.

A county's 三调 land-use layer holds several hundred thousand to a million polygons. Read into a
GeoDataFrame it is a million GEOS objects; the canvas needs only their coordinates. Here the
file is streamed through GDAL's Arrow interface in batches (WKB per feature); each batch is
parsed, repaired (``make_valid``, counted — DESIGN.md "Geometry validity"), reprojected to
EPSG:4549 and turned into flat numpy rings (:func:`geometry_cache.build_rings`), and its shapely
objects are dropped before the next batch, so peak memory is the arrays plus one batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from .crs import WORK_CRS
from .geometry_cache import POLYGON, LayerGeometry, Rings, build_rings, geometry_kind, polygon_rings

BATCH = 65_536  # features per Arrow batch


@dataclass
class LayerArrays:
    """A layer read as arrays: drawing geometry, the attribute columns asked for, and what the
    reader saw (``features`` rows, ``missing`` without geometry, ``repaired`` by make_valid).
    """

    geometry: LayerGeometry
    attributes: object  # pandas.DataFrame, one row per feature in file order
    features: int
    missing: int
    repaired: int

    def notes(self, name: str) -> list[str]:
        """Chinese notes on what was repaired or had no geometry (empty when all was well)."""
        out = []
        if self.repaired:
            out.append(f"{name}：{self.repaired} 个要素几何无效，已用 make_valid 修复")
        if self.missing:
            out.append(f"{name}：{self.missing} 个要素没有几何，未绘制")
        return out


def read_layer_geometry(path: Path, layer: str | None = None, columns=(), bbox=None,
                        batch_size: int = BATCH) -> LayerArrays:
    """Stream ``path`` (any GDAL vector file; ``layer`` of a multi-layer one) into arrays.

    ``columns``: attribute columns to keep (default none); ``bbox`` (minx, miny, maxx, maxy in
    the file's CRS) limits the read through the file's spatial index. Coordinates end in
    EPSG:4549. Raises what pyogrio raises for an unreadable file (the caller words it).
    """
    import pandas as pd
    import pyogrio

    coords, offsets, ring_part, part_feature, frames = [], [np.zeros(1, np.int64)], [], [], []
    kind, n_features, n_parts, n_coords, missing, repaired = None, 0, 0, 0, 0, 0
    with pyogrio.open_arrow(path, layer=layer, columns=list(columns), bbox=bbox,
                            batch_size=batch_size, use_pyarrow=True) as (meta, reader):
        to_work = _transformer(meta.get("crs"))
        geom_name = meta["geometry_name"] or "wkb_geometry"
        for batch in reader:
            geoms = shapely.from_wkb(batch.column(geom_name).to_numpy(zero_copy_only=False))
            present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
            missing += int((~present).sum())
            invalid = present & ~shapely.is_valid(geoms)
            if invalid.any():
                geoms[invalid] = shapely.make_valid(geoms[invalid])
                repaired += int(invalid.sum())
            if kind is None:
                kind = geometry_kind(geoms[present])
            index = np.nonzero(present)[0]
            kept = geoms[index]
            del geoms
            if kind == POLYGON and np.isin(shapely.get_type_id(kept), (3, 6)).all():
                rings, part_of = polygon_rings(kept)  # the common case: no object per part
            else:
                parts, part_of = shapely.get_parts(kept, return_index=True)
                if kind == POLYGON:
                    parts = shapely.orient_polygons(parts)
                rings = build_rings(kind, parts)
                del parts
            del kept
            xy = rings.coords if to_work is None else np.column_stack(to_work.transform(*rings.coords.T))
            coords.append(xy)
            offsets.append(rings.offsets[1:] + n_coords)
            ring_part.append(rings.part + n_parts)
            part_feature.append(index[part_of] + n_features)
            n_coords += len(xy)
            n_parts += len(part_of)
            n_features += batch.num_rows
            if columns:
                frames.append(batch.drop_columns([geom_name]).to_pandas())
    rings = Rings(np.concatenate(coords) if coords else np.zeros((0, 2)), np.concatenate(offsets),
                  np.concatenate(ring_part) if ring_part else np.zeros(0, np.int64))
    feature_of_part = np.concatenate(part_feature) if part_feature else np.zeros(0, np.int64)
    attributes = (pd.concat(frames, ignore_index=True) if frames
                  else pd.DataFrame(index=pd.RangeIndex(n_features)))
    return LayerArrays(LayerGeometry.from_rings(kind, rings, feature_of_part), attributes,
                       n_features, missing, repaired)


def _transformer(crs):
    """A pyproj transformer from the file's CRS to EPSG:4549, or None when it already is."""
    if crs is None:
        return None
    from pyproj import CRS

    from .crs import transformer

    if CRS.from_user_input(crs) == CRS.from_user_input(WORK_CRS):
        return None
    return transformer(crs, WORK_CRS)
