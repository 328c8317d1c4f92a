"""The outside scripts a GIS analyst would write instead of ``suichang-gis check``, run as their own
processes by ``bench_check.py`` on the same generated data.

Each computes, per parcel, the area of its overlap with the red line and the farmland layers (the
union of the features it meets, so features overlapping each other count once) and, per parcel
and control unit, the area inside that unit; invalid features are repaired with make_valid first.
The answer is written as JSON ``{"redline": {parcel_id: m²}, "farmland": {...},
"units": {"parcel_id|unit_code": m²}}`` for the benchmark to compare with the product's report.

Run: python benchmarks/check_baselines.py {shapely|overlay} PARCELS.gpkg LAYERS.gpkg OUT.json
     python benchmarks/check_baselines.py gdal-sql PARCEL_TABLE  (prints the SQL for ogr2ogr)
"""

from __future__ import annotations

import json
import sys

UNION_LAYERS = ("redline", "farmland")


def shapely_script(parcels_path: str, gpkg: str) -> dict:
    """geopandas reads the layers; shapely 2 STRtree + vectorised intersection does the work."""
    import geopandas as gpd
    import numpy as np
    import shapely

    parcels = gpd.read_file(parcels_path, columns=["parcel_id"])
    pids = parcels["parcel_id"].to_numpy()
    pg = np.asarray(parcels.geometry.values, dtype=object)
    out = {}
    for name in (*UNION_LAYERS, "units"):
        layer = gpd.read_file(gpkg, layer=name, columns=["unit_code"] if name == "units" else [])
        g = np.asarray(layer.geometry.values, dtype=object)
        bad = ~shapely.is_valid(g)
        g[bad] = shapely.make_valid(g[bad])
        pi, li = shapely.STRtree(g).query(pg, predicate="intersects")
        area = shapely.area(shapely.intersection(pg[pi], g[li]))
        if name == "units":
            codes = layer["unit_code"].to_numpy()
            out[name] = {f"{pids[p]}|{codes[k]}": float(a) for p, k, a in zip(pi, li, area) if a > 0}
            continue
        order = np.argsort(pi, kind="stable")
        pi, li = pi[order], li[order]
        starts = np.flatnonzero(np.r_[True, pi[1:] != pi[:-1]])
        total = np.add.reduceat(area[order], starts) if len(pi) else np.zeros(0)
        counts = np.diff(np.r_[starts, len(pi)])
        result = {}
        for s, c, t in zip(starts, counts, total):
            p = pi[s]
            if c > 1:  # pieces of one parcel may overlap: the area of their union
                t = shapely.area(shapely.intersection(pg[p], shapely.union_all(g[li[s:s + c]])))
            if t > 0:
                result[pids[p]] = float(t)
        out[name] = result
    return out


def overlay_script(parcels_path: str, gpkg: str) -> dict:
    """geopandas.overlay of the parcels with each layer, dissolved per parcel."""
    import geopandas as gpd

    parcels = gpd.read_file(parcels_path, columns=["parcel_id"])
    out = {}
    for name in (*UNION_LAYERS, "units"):
        layer = gpd.read_file(gpkg, layer=name, columns=["unit_code"] if name == "units" else [])
        layer["geometry"] = layer.geometry.make_valid()
        layer = layer[layer.geom_type.isin(["Polygon", "MultiPolygon", "GeometryCollection"])]
        hits = gpd.overlay(parcels, layer, how="intersection", keep_geom_type=True)
        if name == "units":
            areas = hits.geometry.area.groupby([hits["parcel_id"], hits["unit_code"]]).sum()
            out[name] = {f"{p}|{u}": float(a) for (p, u), a in areas.items() if a > 0}
        else:
            merged = hits.dissolve(by="parcel_id")
            out[name] = {p: float(a) for p, a in merged.geometry.area.items() if a > 0}
    return out


def gdal_sql(parcel_table: str) -> str:
    """SpatiaLite SQL over the GeoPackage: the R-tree picks candidates, ST_Union/ST_Intersection."""
    def join(layer: str) -> str:
        return (f'FROM "{parcel_table}" p JOIN "rtree_{layer}_geom" t ON t.maxx >= ST_MinX(p.geom) '
                "AND t.minx <= ST_MaxX(p.geom) AND t.maxy >= ST_MinY(p.geom) AND t.miny <= ST_MaxY(p.geom) "
                f'JOIN "{layer}" r ON r.fid = t.id ')
    parts = [f"SELECT '{layer}' AS layer, p.parcel_id AS parcel_id, '' AS unit_code, "
             f"ST_Area(ST_Intersection(p.geom, ST_Union(ST_MakeValid(r.geom)))) AS area "
             f"{join(layer)}GROUP BY p.fid" for layer in UNION_LAYERS]
    parts.append("SELECT 'units' AS layer, p.parcel_id AS parcel_id, r.unit_code AS unit_code, "
                 f"ST_Area(ST_Intersection(p.geom, ST_MakeValid(r.geom))) AS area {join('units')}")
    return " UNION ALL ".join(parts)


def gdal_areas(csv_path: str) -> dict:
    """The ogr2ogr CSV output in the JSON form of the scripts."""
    import csv

    out: dict = {"redline": {}, "farmland": {}, "units": {}}
    with open(csv_path, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            area = float(row["area"] or 0)
            if area > 0:
                key = f"{row['parcel_id']}|{row['unit_code']}" if row["layer"] == "units" else row["parcel_id"]
                out[row["layer"]][key] = area
    return out


def main() -> None:
    if sys.argv[1] == "gdal-sql":
        print(gdal_sql(sys.argv[2]))
        return
    script = {"shapely": shapely_script, "overlay": overlay_script}[sys.argv[1]]
    result = script(sys.argv[2], sys.argv[3])
    with open(sys.argv[4], "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
