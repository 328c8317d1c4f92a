"""Reading and writing candidate parcels in every format planners exchange.

``read_parcels`` picks the reader from the file extension and returns an ``ImportResult``:
parcels in EPSG:4549 (conformed to the parcel model) plus Chinese notes on what was fixed or
is doubtful. Every failure is a ``ParcelImportError`` naming the file, the line or feature and
the problem. ``write_parcels`` writes the same formats.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from ..parcel import conform_parcels
from .dxf import dxf_layers, read_dxf, write_dxf
from .kml import read_kml, write_kml
from .result import ImportResult, ParcelImportError, Skipped
from .survey_txt import read_survey_txt, write_survey_txt
from .tabular import read_table, write_table
from .vector import read_vector, write_vector

READERS = {
    ".gpkg": read_vector, ".geojson": read_vector, ".json": read_vector, ".shp": read_vector,
    ".gdb": read_vector, ".gdb.zip": read_vector,
    ".kml": read_kml, ".kmz": read_kml, ".ovkml": read_kml, ".ovkmz": read_kml,
    ".dxf": read_dxf, ".txt": read_survey_txt, ".csv": read_table, ".xlsx": read_table,
}
WRITERS = {
    ".gpkg": write_vector, ".geojson": write_vector, ".json": write_vector, ".shp": write_vector,
    ".gdb": write_vector, ".kml": write_kml, ".kmz": write_kml, ".dxf": write_dxf, ".txt": write_survey_txt,
    ".csv": write_table, ".xlsx": write_table,
}
# For file dialogs: (Chinese description, extensions).
FORMATS = (
    ("GeoPackage", (".gpkg",)), ("Shapefile", (".shp",)), ("GeoJSON", (".geojson", ".json")),
    ("File Geodatabase（.gdb 文件夹或 .gdb.zip）", (".gdb", ".gdb.zip")),
    ("KML/KMZ（奥维地图、Google Earth）", (".kml", ".kmz", ".ovkml", ".ovkmz")),
    ("DXF（CAD）", (".dxf",)), ("界址点坐标 TXT", (".txt",)), ("坐标表 CSV/Excel", (".csv", ".xlsx")),
)

__all__ = ["FORMATS", "READERS", "WRITERS", "ImportResult", "ParcelImportError", "Skipped", "dxf_layers", "read_parcels", "write_parcels"]


def file_kind(path: Path) -> str:
    """The format key of ``path``: its extension, or ".gdb.zip" for a zipped File Geodatabase."""
    name = path.name.lower()
    return ".gdb.zip" if name.endswith(".gdb.zip") else path.suffix.lower()


def read_parcels(path, *, gcj02: bool | None = None, layer: str | None = None, **options) -> ImportResult:
    """Read parcels from ``path``; the result accounts for every element of the file.

    Parameters
    ----------
    gcj02 : True to correct GCJ-02 (火星坐标) lon/lat, False never, None (default) only where the
        file says so (KML from 奥维地图); other formats treat None as False.
    layer : GeoPackage / File Geodatabase layer, Excel sheet or DXF layer to read.
    options : per format: ``encoding`` (the file's text encoding: Shapefile DBF, TXT, CSV,
        GeoJSON), ``towgs84`` (7-parameter set for 西安 1980 / 北京 1954 coordinates),
        ``layers`` (DXF layer list), ``units`` (DXF metres per unit).
    """
    path = Path(path)
    if path.parent.suffix.lower() == ".gdb" and path.is_file():  # a file picked inside a .gdb folder
        path = path.parent
    reader = READERS.get(file_kind(path))
    if reader is None:
        if path.is_dir():
            raise ParcelImportError(f"{path.name} 是文件夹，不是地块文件（File Geodatabase 文件夹名应以 .gdb 结尾）")
        raise ParcelImportError(f"{path.name}：不支持的文件类型“{path.suffix}”。"
                                f"支持：{'、'.join(sorted(READERS))}")
    if reader is not read_kml:
        gcj02 = bool(gcj02)
    return reader(path, gcj02=gcj02, layer=layer, **options)


def write_parcels(gdf: gpd.GeoDataFrame, path, **options) -> Path:
    """Write parcels to ``path`` (format from the extension); returns the path.

    Options per format: ``encoding`` (Shapefile, TXT), ``zone_prefix`` (TXT, DXF), ``gcj02`` (KML),
    ``notes`` (a list that receives Chinese notes for the export report, e.g. the 字段对照 of a
    shapefile). Raises ``ValueError`` (Chinese) when the format cannot hold a value whole.
    """
    path = Path(path)
    writer = WRITERS.get(path.suffix.lower())
    if writer is None:
        raise ValueError(f"不支持写出“{path.suffix}”格式，请用：{'、'.join(sorted(WRITERS))}")
    if not path.parent.exists():
        raise ValueError(f"无法写入 {path}：文件夹 {path.parent} 不存在")
    parcels = conform_parcels(gdf)
    geometry = np.array(parcels.geometry, dtype=object)
    if shapely.has_z(geometry).any():  # e.g. parcels edited in QGIS with Z: every writer is 2-D
        parcels = parcels.set_geometry(gpd.GeoSeries(shapely.force_2d(geometry), index=parcels.index, crs=parcels.crs))
        if options.get("notes") is not None:
            options["notes"].append(f"{int(shapely.has_z(geometry).sum())} 个地块带有 Z 值（高程），写出时只保留平面坐标")
    try:
        return writer(parcels, path, **options)
    except OSError as exc:
        raise ValueError(f"无法写入 {path}：{exc}") from exc
