"""Benchmark of the site check against a geopandas.overlay baseline from the same run.

Generated data: three constraint layers of 100,000 polygons each in one GeoPackage (a red line
layer, a farmland layer and a tiling of control units; irregular, some with holes, some
multi-part, a few invalid), cached in the temp folder keyed by the generation parameters.

Measured:
  1. the whole ``suichang-gis check`` process, 1 parcel           (target < 0.7 s)
  2. the whole ``suichang-gis check`` process, 10,000 parcels     (target < 9 s)
  3. in-process, one parcel against every default layer (GUI)     (target < 20 ms)
  4. geopandas.overlay of the same parcels with the same three layers (baseline), as a ratio

Run: python benchmarks/bench_check.py [--parcels 10000] [--features 100000] [--vertices 48] [--repeat 3]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

EXTENT = (390_000.0, 3_130_000.0, 460_000.0, 3_200_000.0)  # 70 km × 70 km around 遂昌, EPSG:4549
GENERATOR_VERSION = 3
LAYERS = {"ecological_redline": "redline", "permanent_basic_farmland": "farmland", "env_control_units": "units"}


def _star_polygons(rng, n, r_min, r_max, vertices=16):
    """Irregular star-shaped polygons; every 10th with a hole, every 20th two-part, 0.1 % bowties."""
    cx = rng.uniform(EXTENT[0] + r_max, EXTENT[2] - r_max, n)
    cy = rng.uniform(EXTENT[1] + r_max, EXTENT[3] - r_max, n)
    radius = rng.uniform(r_min, r_max, n)[:, None]
    spacing = 2 * np.pi / vertices  # jitter below half the spacing keeps the ring simple
    angles = np.linspace(0, 2 * np.pi, vertices, endpoint=False)[None, :] + rng.uniform(-0.4, 0.4, (n, vertices)) * spacing
    r = radius * rng.uniform(0.6, 1.0, (n, vertices))
    xy = np.stack([cx[:, None] + r * np.cos(angles), cy[:, None] + r * np.sin(angles)], axis=-1)
    bowtie = np.arange(n) % 1000 == 7
    far = vertices // 2 + 2
    xy[bowtie, 2], xy[bowtie, far] = xy[bowtie, far].copy(), xy[bowtie, 2].copy()  # self-intersecting
    rings = np.concatenate([xy, xy[:, :1]], axis=1)
    shells = shapely.linearrings(rings)
    polys = shapely.polygons(shells)
    holed = (np.arange(n) % 10 == 3) & ~bowtie
    hole_rings = np.stack([cx[holed, None] + radius[holed] * 0.25 * np.cos(-angles[holed]),
                           cy[holed, None] + radius[holed] * 0.25 * np.sin(-angles[holed])], axis=-1)
    hole_rings = np.concatenate([hole_rings, hole_rings[:, :1]], axis=1)
    polys[holed] = shapely.polygons(shells[holed], holes=shapely.linearrings(hole_rings)[:, None])
    multi = (np.arange(n) % 20 == 11) & ~bowtie
    offset = shapely.transform(polys[multi], lambda c: c + np.array([3 * r_max, 0.0]))
    polys[multi] = shapely.multipolygons(np.stack([polys[multi], offset], axis=1))
    return polys


def _unit_tiling(rng, n):
    side = int(np.ceil(np.sqrt(n)))
    step = ((EXTENT[2] - EXTENT[0]) / side, (EXTENT[3] - EXTENT[1]) / side)
    gx, gy = np.meshgrid(np.arange(side), np.arange(side))
    x = EXTENT[0] + (gx.ravel()[:n] + rng.uniform(0.1, 0.9, n)) * step[0]
    y = EXTENT[1] + (gy.ravel()[:n] + rng.uniform(0.1, 0.9, n)) * step[1]
    frame = shapely.box(*EXTENT)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(np.column_stack([x, y])),
                                                       extend_to=frame))
    cells = shapely.intersection(cells, frame)
    cells[::997] = shapely.polygons(  # a few invalid units (bowtie over the cell's bounds)
        [[(b[0], b[1]), (b[2], b[3]), (b[2], b[1]), (b[0], b[3]), (b[0], b[1])]
         for b in shapely.bounds(cells[::997])])
    return cells


def generate(features: int, vertices: int = 48, seed: int = 5) -> Path:
    """The cached benchmark GeoPackage (generated on first use; kept out of the repo)."""
    key = hashlib.sha1(f"{GENERATOR_VERSION}-{features}-{vertices}-{seed}-{EXTENT}".encode()).hexdigest()[:12]
    folder = Path(tempfile.gettempdir()) / "suichang_gis_bench"
    folder.mkdir(exist_ok=True)
    path = folder / f"check_{features}_{key}.gpkg"
    if path.exists():
        return path
    import geopandas as gpd

    rng = np.random.default_rng(seed)
    t = time.perf_counter()
    tmp = path.with_suffix(".tmp.gpkg")
    tmp.unlink(missing_ok=True)
    red = _star_polygons(rng, features, 20, 90, vertices)
    gpd.GeoDataFrame({"name": [f"红线{i}" for i in range(features)]}, geometry=red, crs="EPSG:4549") \
        .to_file(tmp, layer="redline", driver="GPKG")
    farm = _star_polygons(rng, features, 20, 90, vertices)
    gpd.GeoDataFrame({"name": [f"农田{i}" for i in range(features)]}, geometry=farm, crs="EPSG:4549") \
        .to_file(tmp, layer="farmland", driver="GPKG")
    units = _unit_tiling(rng, features)
    classes = rng.choice(["优先保护", "重点管控", "一般管控"], len(units), p=[0.6, 0.25, 0.15])
    keys = np.where(classes == "优先保护", "priority_protection",
                    np.where(classes == "重点管控", "industrial_cluster", "general"))
    gpd.GeoDataFrame({"unit_code": [f"ZH{i:07d}" for i in range(len(units))],
                      "unit_name": [f"单元{i}" for i in range(len(units))], "manage_class": classes,
                      "subtype": classes, "admission_key": keys},
                     geometry=units, crs="EPSG:4549").to_file(tmp, layer="units", driver="GPKG")
    tmp.replace(path)
    print(f"generated {path.name} ({3 * features:,} polygons) in {time.perf_counter() - t:.1f} s")
    return path


def write_parcels(n: int, seed: int = 11) -> Path:
    import geopandas as gpd

    folder = Path(tempfile.gettempdir()) / "suichang_gis_bench"
    path = folder / f"parcels_{n}_{seed}.geojson"
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    x = rng.uniform(EXTENT[0] + 1000, EXTENT[2] - 1000, n)
    y = rng.uniform(EXTENT[1] + 1000, EXTENT[3] - 1000, n)
    w, h = rng.uniform(80, 300, n), rng.uniform(80, 300, n)
    geoms = shapely.box(x, y, x + w, y + h)
    gdf = gpd.GeoDataFrame({
        "parcel_id": [f"B{i:05d}" for i in range(n)], "name": [f"地块{i}" for i in range(n)],
        "land_use": "工业用地", "industrial_category": rng.choice(["一类", "二类", "三类"], n),
        "industry_code": "C33", "investment_wan": rng.uniform(1000, 20000, n).round(1),
        "annual_tax_wan": rng.uniform(50, 1500, n).round(1), "floor_area_ratio": rng.uniform(0.8, 2.0, n).round(2),
        "building_coverage": rng.uniform(25, 60, n).round(1), "green_ratio": rng.uniform(5, 25, n).round(1),
        "energy_tce": rng.uniform(10, 2000, n).round(1)}, geometry=geoms, crs="EPSG:4549")
    gdf.to_file(path, driver="GeoJSON")
    return path


def time_cli(parcels: Path, gpkg: Path, out: Path, repeat: int) -> float:
    args = [sys.executable, "-m", "suichang_gis", "check", str(parcels), "--out", str(out)]
    for layer_id, name in LAYERS.items():
        args += ["--use-layer", f"{layer_id}={gpkg}:{name}"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        r = subprocess.run(args, capture_output=True, text=True, env=env, cwd=REPO, check=False)
        times.append(time.perf_counter() - t)
        if r.returncode:
            raise SystemExit(r.stderr)
    return min(times)


def time_overlay_baseline(parcels: Path, gpkg: Path) -> float:
    """Plain geopandas: read everything, make_valid, overlay each layer, sum areas per parcel."""
    t = time.perf_counter()
    import geopandas as gpd

    p = gpd.read_file(parcels)[["parcel_id", "geometry"]]
    for name in LAYERS.values():
        layer = gpd.read_file(gpkg, layer=name)
        layer["geometry"] = layer.geometry.make_valid()
        layer = layer[layer.geom_type.isin(["Polygon", "MultiPolygon"])]
        hits = gpd.overlay(p, layer[["geometry"]], how="intersection", keep_geom_type=True)
        hits.geometry.area.groupby(hits["parcel_id"]).sum()
    return time.perf_counter() - t


def time_gui_case(repeat: int) -> tuple[float, float]:
    """One drawn parcel against every default layer, layers loaded and trees cached."""
    from suichang_gis.catalog import load_catalog
    from suichang_gis.check import parcel_set, run_check
    from suichang_gis.check.inputs import load_check_layers
    from suichang_gis.rules import load_ruleset

    ruleset = load_ruleset()
    layers = load_check_layers(ruleset, load_catalog())
    centre = shapely.centroid(layers["industrial_blocks"].geoms[0])
    parcel = shapely.box(centre.x - 150, centre.y - 100, centre.x + 150, centre.y + 100)
    attrs = {"land_use": ["工业用地"], "industrial_category": ["二类"], "investment_wan": [9000.0]}
    run_check(parcel_set([parcel], **attrs), layers, ruleset)  # warm the STRtrees
    times = []
    for k in range(repeat):
        moved = shapely.affinity.translate(parcel, 7.0 * k, 3.0 * k)  # the parcel as it is being edited
        t = time.perf_counter()
        run_check(parcel_set([moved], **attrs), layers, ruleset)
        times.append(time.perf_counter() - t)
    return statistics.median(times), max(times)


def time_engine(parcels: Path, gpkg: Path) -> tuple[float, int]:
    """In-process: read the candidate features and run every rule (no report), for comparison."""
    from suichang_gis.catalog import load_catalog
    from suichang_gis.check.engine import project_layer_ids, run_check
    from suichang_gis.check.inputs import (
        apply_use_layers,
        load_check_layers,
        read_parcel_set,
    )
    from suichang_gis.rules import load_ruleset

    t = time.perf_counter()
    ruleset = load_ruleset()
    specs = apply_use_layers(load_catalog(), [f"{k}={gpkg}:{v}" for k, v in LAYERS.items()])
    parcel_set = read_parcel_set(parcels)
    layers = load_check_layers(ruleset, specs, boxes=shapely.bounds(parcel_set.geoms))
    run_check(parcel_set, layers, ruleset, project_layers=project_layer_ids(layers, ruleset))
    return time.perf_counter() - t, len(ruleset.rules)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=100_000)
    parser.add_argument("--parcels", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--vertices", type=int, default=48,
                        help="vertices per red line / farmland polygon (digitised polygons have dozens to hundreds)")
    args = parser.parse_args()
    import shapely.affinity  # noqa: F401  (used in the GUI case)

    gpkg = generate(args.features, args.vertices)
    print(f"data: {gpkg.name} — 3 layers × {args.features:,} polygons, {args.vertices} vertices per red line / "
          "farmland polygon, 10 % with holes, 5 % two-part, 0.1 % invalid; control units a Voronoi tiling")
    one, many = write_parcels(1), write_parcels(args.parcels)
    out = Path(tempfile.gettempdir()) / "suichang_gis_bench" / "result.json"

    gui_median, gui_max = time_gui_case(50)
    print(f"GUI case, 1 parcel × every default layer (in-process): median {gui_median * 1000:.1f} ms, "
          f"max {gui_max * 1000:.1f} ms (target < 20 ms)")

    cli_one = time_cli(one, gpkg, out, args.repeat)
    base_one = time_overlay_baseline(one, gpkg)
    print(f"check process, 1 parcel × 3 × {args.features:,} polygons: {cli_one:.2f} s (target < 0.7 s); "
          f"geopandas.overlay baseline {base_one:.2f} s; ratio baseline/project {base_one / cli_one:.1f}×")

    cli_many = time_cli(many, gpkg, out, max(1, args.repeat - 1))
    base_many = time_overlay_baseline(many, gpkg)
    print(f"check process, {args.parcels:,} parcels × 3 × {args.features:,} polygons: {cli_many:.2f} s "
          f"(target < 9 s); geopandas.overlay baseline {base_many:.2f} s; "
          f"ratio baseline/project {base_many / cli_many:.1f}×")
    engine, rules = time_engine(many, gpkg)
    print(f"  of which reading + all {rules} rules in-process (no report): {engine:.2f} s; "
          f"ratio overlay baseline/engine {base_many / engine:.1f}×")


if __name__ == "__main__":
    main()
