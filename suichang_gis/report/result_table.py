"""The check result as a GIS table: ``--out result.gpkg`` or ``result.parquet`` (GeoParquet 1.0).

One row per parcel (``record = "parcel"``: verdict and key figures, the parcel's geometry) and one
row per finding that is not 通过 (``record = "finding"``: rule, status, message, figures, the
finding's geometry — the overlap, the part outside, the line to the nearest feature — or none),
the form a GIS user opens and filters. EPSG:4549. A GeoPackage holds the two kinds as layers
``parcels`` and ``findings``; a GeoParquet file holds both in one table. Written chunk by chunk
(``add``), so 100,000 parcels are never held whole.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import shapely

from ..check.model import STATUS_LABELS, CheckResult, ParcelResult
from ..units import M2_PER_MU

COLUMNS = {  # name → arrow type name; every row kind has every column (null where not applicable)
    "record": "string", "parcel_id": "string", "parcel_name": "string", "status": "string",
    "status_label": "string", "area_m2": "float64", "area_mu": "float64", "fail_rules": "string",
    "warn_rules": "string", "not_assessed_rules": "string", "townships": "string", "zones": "string",
    "rule": "string", "title": "string", "message": "string", "layer": "string",
    "overlap_m2": "float64", "overlap_mu": "float64", "overlap_ratio": "float64",
    "distance_m": "float64", "value": "float64", "threshold": "string", "unit_code": "string",
    "indicative": "bool", "example_threshold": "bool", "geometry_role": "string",
}
TABLE_SUFFIXES = (".gpkg", ".parquet")


def _rules(findings: list, status: str) -> str | None:
    rules = dict.fromkeys(f.rule for f in findings if f.status == status)
    return "、".join(rules) or None


def rows(parcels: list[ParcelResult]) -> tuple[dict[str, list], list]:
    """(columns, geometries) of the parcel rows and non-pass finding rows of ``parcels``."""
    cols: dict[str, list] = {name: [] for name in COLUMNS}
    geoms: list = []
    empty = dict.fromkeys(COLUMNS)

    def add(row: dict, geometry) -> None:
        for name in COLUMNS:
            cols[name].append(row.get(name))
        geoms.append(geometry)

    for p in parcels:
        status = p.status
        # Passes have no row: a run's passes are never made into Finding objects.
        found = p.store.findings(p.index, passes=False) if p.in_store else \
            [f for f in p.findings if f.status != "pass"]
        add({**empty, "record": "parcel", "parcel_id": p.id, "parcel_name": p.name, "status": status,
             "status_label": STATUS_LABELS[status], "area_m2": p.area_m2, "area_mu": p.area_m2 / M2_PER_MU,
             "fail_rules": _rules(found, "fail"), "warn_rules": _rules(found, "warn"),
             "not_assessed_rules": _rules(found, "not_assessed"), "townships": "、".join(p.townships) or None,
             "zones": "、".join(p.zones) or None, "indicative": p.indicative}, p.geometry)
        for f in found:
            add({"record": "finding", "parcel_id": p.id, "parcel_name": p.name, "status": f.status,
                 "status_label": STATUS_LABELS[f.status], "rule": f.rule, "title": f.title,
                 "message": f.message, "layer": f.layer, "overlap_m2": f.overlap_m2, "overlap_mu": f.overlap_mu,
                 "overlap_ratio": f.overlap_ratio, "distance_m": f.distance_m, "value": f.value,
                 "threshold": f.threshold, "unit_code": f.unit_code, "indicative": f.indicative,
                 "example_threshold": f.example_threshold, "geometry_role": f.geometry_role or None},
                f.geometry)
    return cols, geoms


class TableWriter:
    """Writes ``out`` (.gpkg or .parquet) chunk by chunk: ``add(parcels)``, then ``close()``."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self.suffix = self.out.suffix.lower()
        if self.suffix not in TABLE_SUFFIXES:
            raise ValueError(f"不支持的结果表格式“{self.out.suffix}”：请用 {'、'.join(TABLE_SUFFIXES)}")
        self.tmp = self.out.with_name(self.out.stem + ".tmp" + self.out.suffix)
        self.tmp.unlink(missing_ok=True)
        self.parquet = None
        self.layers_written: set[str] = set()

    def add(self, parcels: list[ParcelResult]) -> None:
        """Append the rows of ``parcels`` (one per finding) to the table being written."""
        cols, geoms = rows(parcels)
        geoms = np.asarray(geoms, dtype=object)
        if self.suffix == ".parquet":
            self._add_parquet(cols, geoms)
        else:
            record = np.asarray(cols["record"])
            for name, kind in (("parcels", "parcel"), ("findings", "finding")):
                mask = record == kind
                self._add_gpkg(name, {k: [v for v, m in zip(vals, mask) if m] for k, vals in cols.items()},
                               geoms[mask])

    def _add_gpkg(self, layer: str, cols: dict, geoms: np.ndarray) -> None:
        import pyogrio

        if not len(geoms) and layer in self.layers_written:
            return
        arrays, masks = {}, {}
        for k, values in cols.items():
            if k == "record":
                continue
            if COLUMNS[k] == "float64":
                arrays[k] = np.asarray([np.nan if v is None else v for v in values], dtype=float)
            elif COLUMNS[k] == "bool":
                masks[k] = np.asarray([v is None for v in values], dtype=bool)
                arrays[k] = np.asarray([bool(v) for v in values], dtype=bool)
            else:
                arrays[k] = np.asarray(values, dtype=object)
        names = list(arrays)
        pyogrio.raw.write(self.tmp, layer=layer, driver="GPKG", geometry=shapely.to_wkb(geoms),
                          geometry_type="Unknown", field_data=[arrays[n] for n in names], fields=names,
                          field_mask=[masks.get(n) for n in names],
                          crs="EPSG:4549", encoding="UTF-8", append=layer in self.layers_written,
                          promote_to_multi=False)
        self.layers_written.add(layer)

    def _add_parquet(self, cols: dict, geoms: np.ndarray) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        types = {"string": pa.string(), "float64": pa.float64(), "bool": pa.bool_()}
        schema = pa.schema([*(pa.field(k, types[t]) for k, t in COLUMNS.items()), pa.field("geometry", pa.binary())],
                           metadata={b"geo": json.dumps(_geo_metadata()).encode()})
        data = [pa.array(cols[k], type=types[t]) for k, t in COLUMNS.items()]
        data.append(pa.array(shapely.to_wkb(geoms), type=pa.binary()))
        table = pa.Table.from_arrays(data, schema=schema)
        if self.parquet is None:
            self.parquet = pq.ParquetWriter(self.tmp, schema, compression="zstd")
        self.parquet.write_table(table)

    def close(self, result: CheckResult | None = None) -> None:
        """Finish the table file and move it into place."""
        if self.parquet is not None:
            self.parquet.close()
        if self.suffix == ".gpkg" and "parcels" not in self.layers_written:
            self.add([])
        self.tmp.replace(self.out)

    def abort(self) -> None:
        """Close and delete the temporary file: no half-written table is left."""
        if self.parquet is not None:
            self.parquet.close()
        self.tmp.unlink(missing_ok=True)


def _geo_metadata() -> dict:
    """GeoParquet 1.0 file metadata: WKB geometry in EPSG:4549 (PROJJSON from pyproj)."""
    from pyproj import CRS

    return {"version": "1.0.0", "primary_column": "geometry",
            "columns": {"geometry": {"encoding": "WKB", "geometry_types": [],
                                     "crs": CRS.from_epsg(4549).to_json_dict()}}}


def write_table(result: CheckResult, out: Path) -> Path:
    """Write the whole ``result`` as a GeoPackage or GeoParquet result table."""
    writer = TableWriter(out)
    try:
        writer.add(result.parcels)
        writer.close(result)
    except BaseException:
        writer.abort()
        raise
    return Path(out)
