"""Slope over each parcel from a DEM raster (土地平整), with rasterio (the optional ``dem`` extra).

The DEM must be in a projected CRS in metres; parcels (EPSG:4549) are transformed into it.
Slope per cell comes from the elevation gradient (``numpy.gradient``, central differences);
a parcel's mean and maximum are taken over the cells whose centres lie in it (or, for a parcel
smaller than a cell, the cells it touches).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from ..crs import WORK_CRS, transformer


@dataclass
class Dem:
    """An elevation raster opened for the 土地平整 (slope) rule: its path and open rasterio dataset."""

    path: Path
    dataset: object  # rasterio DatasetReader, kept open while checking
    crs: str

    def close(self) -> None:
        """Close the raster file."""
        self.dataset.close()


def open_dem(path: Path) -> Dem:
    """Open a DEM; raise ValueError (Chinese) when rasterio is missing or the raster is unusable."""
    try:
        import rasterio
    except ImportError as exc:
        raise ValueError("读取数字高程模型需要 rasterio：请安装 suichang-gis[dem]") from exc
    try:
        dataset = rasterio.open(path)
    except Exception as exc:  # rasterio raises several types for unreadable files
        raise ValueError(f"数字高程模型 {Path(path).name} 无法读取：{exc}") from exc
    if dataset.crs is None or not dataset.crs.is_projected:
        dataset.close()
        raise ValueError(f"数字高程模型 {Path(path).name} 须为以米为单位的投影坐标系（如 EPSG:4549）")
    return Dem(Path(path), dataset, dataset.crs.to_string())


def parcel_slopes(dem: Dem, geoms) -> list[tuple[float | None, float | None]]:
    """(mean, max) slope in degrees per parcel; (None, None) where the DEM has no data there."""
    from rasterio.errors import WindowError
    from rasterio.features import geometry_mask
    from rasterio.windows import Window, from_bounds

    ds = dem.dataset
    if dem.crs != WORK_CRS:
        t = transformer(WORK_CRS, dem.crs)
        geoms = [shapely.transform(g, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1]))) for g in geoms]
    full = Window(0, 0, ds.width, ds.height)
    out = []
    for geom in geoms:
        window = from_bounds(*geom.bounds, transform=ds.transform).round_offsets().round_lengths()
        window = Window(window.col_off - 1, window.row_off - 1, window.width + 3, window.height + 3)
        try:
            window = window.intersection(full)
        except WindowError:  # the parcel lies outside the DEM
            out.append((None, None))
            continue
        z = ds.read(1, window=window, masked=True).astype(float).filled(np.nan)
        transform = ds.window_transform(window)
        if z.shape[0] < 2 or z.shape[1] < 2:
            out.append((None, None))
            continue
        dz_dy, dz_dx = np.gradient(z, abs(transform.e), transform.a)
        slope = np.degrees(np.arctan(np.hypot(dz_dx, dz_dy)))
        inside = geometry_mask([geom], z.shape, transform, invert=True)
        if not inside.any():
            inside = geometry_mask([geom], z.shape, transform, invert=True, all_touched=True)
        values = slope[inside & np.isfinite(slope)]
        out.append((float(values.mean()), float(values.max())) if values.size else (None, None))
    return out
