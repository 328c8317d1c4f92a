"""Layers and parcels as the check engine holds them: shapely arrays plus attribute columns.

``CheckLayer`` keeps a layer's geometry as a numpy array with a cached STRtree, so the GUI re-checks
a parcel in milliseconds, and repairs invalid features with ``make_valid`` lazily — only the
features that enter an overlay — recording which. ``read_check_layer`` reads a GeoPackage through
its R-tree (only features near the parcels) or a GeoJSON in EPSG:4549 without importing
geopandas, which keeps the start-up of ``suichang-gis check`` short; other sources go through
``catalog.load_layer``.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from shapely import STRtree

from ..catalog import LayerSpec, MapLayer, load_layer
from ..feature_layer import read_geojson_4549
from .model import UsedLayer

_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


@dataclass
class CheckLayer:
    """A layer's data prepared for the check: geometry array, attribute columns, STRtree.

    Built from a catalog entry (``read_check_layer``, reading only what the check needs) or a
    loaded ``MapLayer`` (``check_layer_from_map_layer``); ``use()`` gives the ``UsedLayer`` a
    ``CheckResult`` cites. Geometry is in EPSG:4549; ``fids`` are 1-based feature numbers.
    """

    spec: LayerSpec
    geoms: np.ndarray  # shapely geometries in EPSG:4549
    attrs: dict[str, list]  # column name → values, one per feature
    fids: np.ndarray  # feature numbers shown in messages
    repairs: list[str] = field(default_factory=list)
    checked: np.ndarray | None = None  # True where validity was checked (and repaired)
    _tree: STRtree | None = None
    _has_values: dict = field(default_factory=dict)
    memo: dict = field(default_factory=dict)  # values derived from the features (masks, sub-trees)
    all_checked: bool = False  # every feature validated (the window's layers, once warm)

    def __post_init__(self):
        if self.checked is None:
            self.checked = np.zeros(len(self.geoms), dtype=bool)

    @property
    def id(self) -> str:
        """The catalog layer id."""
        return self.spec.id

    @property
    def tree(self) -> STRtree:
        """The STRtree over ``geoms`` (built on first use, then cached)."""
        if self._tree is None:
            self._tree = STRtree(self.geoms)
        return self._tree

    def __len__(self) -> int:
        return len(self.geoms)

    def ensure_valid(self, idx: np.ndarray) -> None:
        """Repair the invalid ones among features ``idx`` with make_valid, once, and note it."""
        if self.all_checked:
            return
        todo = np.zeros(len(self.geoms), dtype=bool)  # (not np.unique: it imports numpy.ma)
        todo[idx] = True
        todo = np.flatnonzero(todo & ~self.checked)
        if not len(todo):
            return
        invalid = todo[~shapely.is_valid(self.geoms[todo])]
        if len(invalid):
            self.geoms[invalid] = shapely.make_valid(self.geoms[invalid])
            self.memo.clear()  # derived from the old geometry
            numbers = "、".join(str(n) for n in self.fids[invalid][:20])
            more = " 等" if len(invalid) > 20 else ""
            self.repairs.append(f"{self.spec.title}：要素 {numbers}{more} 共 {len(invalid)} 个几何无效，"
                                "已用 make_valid 修复后再叠加")
            # The STRtree may keep the old envelopes: a repaired geometry never grows, so queries
            # on it still return every candidate, and callers read self.geoms[idx].
        self.checked[todo] = True
        self.all_checked = bool(self.checked.all())

    def subset_tree(self, idx: np.ndarray) -> STRtree:
        """An STRtree of the features ``idx`` (kept while the features do not change)."""
        key = ("tree", idx.tobytes())
        if key not in self.memo:
            self.memo[key] = STRtree(self.geoms[idx])
        return self.memo[key]

    def has_values(self, column: str) -> bool:
        """Whether any feature has a non-empty value in ``column`` (cached per column)."""
        if column not in self._has_values:
            self._has_values[column] = any(self.value(column, i) is not None
                                           for i in range(len(self.attrs.get(column, ()))))
        return self._has_values[column]

    def value(self, column: str, i: int):
        """Attribute value, or None when the column is absent or the value is empty/NaN."""
        values = self.attrs.get(column)
        if values is None:
            return None
        v = values[i]
        kind = v.__class__
        if (kind is float and math.isnan(v)) or (kind is str and not v.strip()):  # NaN, blank
            return None
        return v

    def use(self) -> UsedLayer:
        """What a ``CheckResult`` records of this layer (``UsedLayer``): source, features read, repairs."""
        p = self.spec.provenance
        return UsedLayer(id=self.spec.id, title=self.spec.title, version=self.spec.version,
                        accuracy=p.accuracy, source=p.source, licence=p.licence,
                        file=self.spec.data.name, features_read=len(self.geoms),
                        repairs=list(self.repairs))


def check_layer_from_map_layer(layer: MapLayer) -> CheckLayer:
    """Wrap a loaded catalog layer (already repaired by ``load_layer``)."""
    gdf = layer.gdf
    geoms = np.asarray(gdf.geometry.values, dtype=object).copy()
    attrs = {c: gdf[c].tolist() for c in gdf.columns if c != gdf.geometry.name}
    data = CheckLayer(layer.spec, geoms, attrs, np.arange(1, len(gdf) + 1), list(layer.repairs))
    data.checked[:] = True
    data.all_checked = True
    return data


class NotLean(Exception):
    """The source needs the general (geopandas) reader."""


def _gpkg_srs(con, table: str) -> tuple[str, int]:
    row = con.execute("SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?",
                      (table,)).fetchone()
    if row is None:
        raise NotLean
    column, srs_id = row
    srs = con.execute("SELECT organization, organization_coordsys_id FROM gpkg_spatial_ref_sys "
                      "WHERE srs_id = ?", (srs_id,)).fetchone()
    if srs is None or srs[0].upper() != "EPSG" or srs[1] != 4549:
        raise NotLean
    return column, srs_id


def _gpkg_wkb(blob: bytes) -> bytes | None:
    if blob is None:
        return None
    flags = blob[3]
    if flags & 0b10000:  # empty geometry
        return None
    return blob[8 + _ENVELOPE_BYTES[(flags >> 1) & 0b111]:]


def read_gpkg_features(path: Path, source_layer: str | None, boxes=None) -> tuple[np.ndarray, dict, np.ndarray]:
    """(geometries, attribute columns, fids) of a GeoPackage layer in EPSG:4549.

    With ``boxes`` (an n × 4 array of minx, miny, maxx, maxy) only features whose R-tree
    envelope meets one of the boxes are read: a few parcels read a few features of a large
    layer. Raises ``NotLean`` for anything the general reader should handle.
    """
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        table = source_layer
        if table is None:
            tables = [r[0] for r in con.execute(
                "SELECT table_name FROM gpkg_contents WHERE data_type = 'features'")]
            if len(tables) != 1:
                raise NotLean
            table = tables[0]
        column, _ = _gpkg_srs(con, table)
        info = con.execute(f'PRAGMA table_info("{table}")').fetchall()
        pk = next((r[1] for r in info if r[5] == 1), None)
        names = [r[1] for r in info if r[1] != column]
        select = ", ".join(f't."{n}"' for n in [*names, column])
        rtree = f"rtree_{table}_{column}"
        has_rtree = con.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (rtree,)).fetchone()
        if boxes is not None and has_rtree and pk:
            con.execute("CREATE TEMP TABLE boxes (minx REAL, miny REAL, maxx REAL, maxy REAL)")
            con.executemany("INSERT INTO boxes VALUES (?, ?, ?, ?)", np.asarray(boxes, dtype=float).tolist())
            rows = con.execute(
                f'SELECT {select} FROM "{table}" t WHERE t."{pk}" IN (SELECT r.id FROM boxes b '
                f'JOIN "{rtree}" r ON r.maxx >= b.minx AND r.minx <= b.maxx AND r.maxy >= b.miny '
                "AND r.miny <= b.maxy)").fetchall()
        else:
            rows = con.execute(f'SELECT {select} FROM "{table}" t').fetchall()
    except sqlite3.Error as exc:
        raise NotLean from exc
    finally:
        con.close()
    geoms = shapely.from_wkb([_gpkg_wkb(r[-1]) for r in rows])
    attrs = {n: [r[i] for r in rows] for i, n in enumerate(names)}
    fids = np.asarray(attrs[pk] if pk else np.arange(1, len(rows) + 1))
    keep = ~shapely.is_missing(geoms)
    if not keep.all():
        geoms, fids = geoms[keep], fids[keep]
        attrs = {n: [v for v, k in zip(vals, keep) if k] for n, vals in attrs.items()}
    return geoms, attrs, fids


def read_geojson_features(path: Path, bbox=None) -> tuple[np.ndarray, dict, np.ndarray]:
    """(geometries, attribute columns, feature numbers) of a GeoJSON that declares EPSG:4549,
    features without geometry left out; raises ``NotLean`` for any other CRS.
    """
    read = read_geojson_4549(path)
    if read is None:
        raise NotLean  # lon/lat GeoJSON: let geopandas/pyproj transform it
    geoms, attrs = read
    drawn = ~shapely.is_missing(geoms)  # numbered as GDAL numbers the features it returns
    geoms, attrs = geoms[drawn], {n: [v for v, k in zip(vals, drawn) if k] for n, vals in attrs.items()}
    fids = np.arange(1, len(geoms) + 1)
    if bbox is not None and len(geoms):
        keep = shapely.intersects(geoms, shapely.box(*bbox))
        geoms, fids = geoms[keep], fids[keep]
        attrs = {n: [v for v, k in zip(vals, keep) if k] for n, vals in attrs.items()}
    return geoms, attrs, fids


def read_check_layer(spec: LayerSpec, boxes=None) -> CheckLayer:
    """Read a layer for the check; with ``boxes`` (n × 4 bounds, e.g. of the parcels) only the
    features whose envelope meets one of them (a GeoJSON is filtered by their common bounds; a
    PostGIS table by the server).

    Features are not validated here: the engine repairs the ones it overlays (``ensure_valid``).
    """
    if spec.dsn:  # PostGIS: the server picks the candidates with && on its GiST index
        from ..postgis import read_postgis_features

        return CheckLayer(spec, *read_postgis_features(spec, boxes))
    suffix = spec.data.suffix.lower()
    try:
        if suffix == ".gpkg" and spec.data.exists():
            return CheckLayer(spec, *read_gpkg_features(spec.data, spec.source_layer, boxes))
        if suffix in (".geojson", ".json") and spec.data.exists():
            bbox = None if boxes is None else (*np.min(boxes, axis=0)[:2], *np.max(boxes, axis=0)[2:])
            return CheckLayer(spec, *read_geojson_features(spec.data, bbox))
    except NotLean:
        pass
    return check_layer_from_map_layer(load_layer(spec))


@dataclass
class ParcelSet:
    """Parcels for the check: ids, names, geometry (EPSG:4549) and attribute dicts."""

    ids: list[str]
    names: list[str | None]
    geoms: np.ndarray
    attrs: list[dict]
    source: str = ""
    notes: list[str] = field(default_factory=list)  # import notes (repairs, CRS fixes)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """The bounds (xmin, ymin, xmax, ymax) of all parcels, EPSG:4549 metres."""
        return tuple(shapely.total_bounds(self.geoms))


def parcel_set_from_frame(gdf, source: str = "", notes: list[str] | None = None) -> ParcelSet:
    """A ParcelSet from a parcel GeoDataFrame (``parcel.conform_parcels`` shape, EPSG:4549).

    One ``to_numpy`` of the whole frame, then plain lists: the window re-checks a dragged parcel
    every frame, and column-wise pandas access costs more than the check itself.
    """
    columns = list(gdf.columns)
    k = columns.index(gdf.geometry.name)
    table = gdf.to_numpy(dtype=object)
    geoms = np.array(table[:, k], dtype=object)
    del columns[k]
    records = [dict(zip(columns, row)) for row in np.delete(table, k, axis=1).tolist()]
    ids = [str(v) if (v := r.get("parcel_id")) is not None and v == v and v != "" else f"P{i + 1:03d}"
           for i, r in enumerate(records)]
    names = [r.get("name") if isinstance(r.get("name"), str) else None for r in records]
    return ParcelSet(ids, names, geoms, records, source, list(notes or []))


def parcel_set(geometries, ids=None, names=None, **columns) -> ParcelSet:
    """A ParcelSet from shapely geometries (EPSG:4549) and attribute columns (for code and tests)."""
    geoms = np.asarray(list(geometries), dtype=object)
    n = len(geoms)
    ids = [str(i) for i in ids] if ids is not None else [f"P{i + 1:03d}" for i in range(n)]
    names = list(names) if names is not None else [None] * n
    attrs = [{k: v[i] for k, v in columns.items()} for i in range(n)]
    return ParcelSet(ids, names, geoms, attrs)


def check_layer(layer_id: str, geometries, title: str | None = None, accuracy: str = "权威",
               zhuanlan: tuple[str, ...] = (), **columns) -> CheckLayer:
    """A CheckLayer from shapely geometries (EPSG:4549) — drawn or computed layers, and tests."""
    from ..catalog import Provenance

    spec = LayerSpec(id=layer_id, title=title or layer_id, group="生态与三线一单", geometry_type="Polygon",
                     data=Path(f"{layer_id}.memory"), version="memory",
                     provenance=Provenance(source="内存图层", licence="—", accuracy=accuracy,
                                           method="由程序生成"), zhuanlan=tuple(zhuanlan))
    geoms = np.asarray(list(geometries), dtype=object)
    return CheckLayer(spec, geoms, {k: list(v) for k, v in columns.items()}, np.arange(1, len(geoms) + 1))
