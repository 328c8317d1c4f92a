"""Benchmark of `check --engine dask` (local cluster of 2 workers) beside the single-process check.

Generated data across 浙江's extent (EPSG:4549, about 484 km × 464 km): N candidate parcels
(rectangles of 80–300 m with 标准地 figures), and one GeoPackage of constraint layers — 100,000
生态保护红线 and 100,000 永久基本农田 polygons (irregular, some with holes, multi-part or invalid,
from bench_check's generators) and 20,000 环境管控单元 tiling the whole extent. Cached in the temp
folder keyed by the parameters.

Each run is a separate process (so its peak memory is its own): the single-process check (the
same per-chunk function, ``chunks.check_in_chunks``, over chunks of the partition size, writing
the same GeoParquet rows chunk by chunk) and the Dask check
(``check_parcels_dask`` on a new local cluster: 2 worker processes of 1 thread). Printed: wall
time, the peak RSS of the single process, of the Dask client (which reads and ships the parcels)
and of each worker (their ``ru_maxrss``), and whether both runs give the same verdict counts.

Run: python benchmarks/bench_dask.py [--parcels 100000 1000000] [--single-max 1000000]
The single-process run is skipped above --single-max parcels, with the reason printed.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

ZHEJIANG = (302_000.0, 2_990_000.0, 786_000.0, 3_454_000.0)  # 118–123°E, 27–31.2°N in EPSG:4549
LAYERS = {"ecological_redline": "redline", "permanent_basic_farmland": "farmland", "env_control_units": "units"}
FOLDER = Path(tempfile.gettempdir()) / "suichang_gis_bench"
VERSION = 1


@contextlib.contextmanager
def _province_extent():
    """bench_check's generators, drawing across 浙江 instead of 遂昌."""
    import bench_check

    saved, bench_check.EXTENT = bench_check.EXTENT, ZHEJIANG
    try:
        yield bench_check
    finally:
        bench_check.EXTENT = saved


def constraints(features: int = 100_000, units: int = 20_000, seed: int = 14) -> Path:
    """The cached constraint GeoPackage (layers redline, farmland, units)."""
    key = hashlib.sha1(f"{VERSION}-{features}-{units}-{seed}-{ZHEJIANG}".encode()).hexdigest()[:10]
    FOLDER.mkdir(exist_ok=True)
    path = FOLDER / f"province_{features}_{units}_{key}.gpkg"
    if path.exists():
        return path
    import geopandas as gpd

    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".tmp.gpkg")
    tmp.unlink(missing_ok=True)
    with _province_extent() as gen:
        for layer, label in (("redline", "红线"), ("farmland", "农田")):
            geoms = gen._star_polygons(rng, features, 150, 900, 24)
            gpd.GeoDataFrame({"name": [f"{label}{i}" for i in range(features)]}, geometry=geoms,
                             crs="EPSG:4549").to_file(tmp, layer=layer, driver="GPKG")
        gen.write_units(tmp, gen._unit_tiling(rng, units), rng, "ZH33{:06d}")
    tmp.replace(path)
    return path


def parcels(n: int, seed: int = 41) -> Path:
    """The cached parcel GeoPackage of ``n`` parcels across 浙江."""
    import geopandas as gpd

    FOLDER.mkdir(exist_ok=True)
    path = FOLDER / f"province_parcels_{n}_{seed}_v{VERSION}.gpkg"
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    x = rng.uniform(ZHEJIANG[0] + 1000, ZHEJIANG[2] - 1000, n)
    y = rng.uniform(ZHEJIANG[1] + 1000, ZHEJIANG[3] - 1000, n)
    w, h = rng.uniform(80, 300, n), rng.uniform(80, 300, n)
    gdf = gpd.GeoDataFrame({
        "parcel_id": [f"Z{i:07d}" for i in range(n)], "name": [f"地块{i}" for i in range(n)],
        "land_use": "工业用地", "industrial_category": rng.choice(["一类", "二类", "三类"], n),
        "industry_code": "C33", "investment_wan": rng.uniform(1000, 20000, n).round(1),
        "annual_tax_wan": rng.uniform(50, 1500, n).round(1), "floor_area_ratio": rng.uniform(0.8, 2.0, n).round(2),
        "building_coverage": rng.uniform(25, 60, n).round(1), "green_ratio": rng.uniform(5, 25, n).round(1),
        "energy_tce": rng.uniform(10, 2000, n).round(1)}, geometry=shapely.box(x, y, x + w, y + h), crs="EPSG:4549")
    tmp = path.with_suffix(".tmp.gpkg")
    tmp.unlink(missing_ok=True)
    gdf.to_file(tmp, driver="GPKG")
    tmp.replace(path)
    return path


def _use_layers(gpkg: Path) -> list[str]:
    return [f"{lid}={gpkg}:{name}" for lid, name in LAYERS.items()]


def run_single(parcel_file: Path, gpkg: Path, out: Path) -> dict:
    """In this process: the same per-chunk check (``chunks.check_in_chunks``, chunks of the Dask
    partition size) over all parcels, writing the same GeoParquet rows chunk by chunk."""
    from suichang_gis.catalog import load_catalog
    from suichang_gis.check.batch import as_parcel_set
    from suichang_gis.check.chunks import check_in_chunks
    from suichang_gis.check.dask_engine import PARTITION_SIZE, result_frames
    from suichang_gis.check.inputs import apply_use_layers
    from suichang_gis.rules import load_ruleset

    gc.disable()  # as `suichang-gis check` and each Dask partition do
    t = time.perf_counter()
    specs = apply_use_layers(load_catalog(), _use_layers(gpkg))
    parcel_set = as_parcel_set(parcel_file)
    counts = {"pass": 0, "warn": 0, "fail": 0}
    for sub in ("parcels", "findings"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    chunks = check_in_chunks(parcel_set, load_ruleset(), specs, size=PARTITION_SIZE)
    total = -(-len(parcel_set) // PARTITION_SIZE)
    for k, (_, result) in enumerate(chunks):
        for status, count in result.counts().items():
            counts[status] += count
        for sub, frame in zip(("parcels", "findings"), result_frames(result)):
            frame.to_parquet(out / sub / f"part.{k:05d}.parquet")
        _progress(t, "single", k + 1, total)
    return {"wall_s": time.perf_counter() - t, "counts": counts,
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_dask(parcel_file: Path, gpkg: Path, out: Path, workers: int) -> dict:
    """A new local cluster; the check; each worker's and the client's peak RSS."""
    from suichang_gis.check.dask_engine import check_parcels_dask, open_client

    # The limit is the nanny's kill line: set above the 2 GB target so the peak is measured, not cut.
    client = open_client(workers=workers, memory_limit="6GB")
    try:
        t = time.perf_counter()
        summary = check_parcels_dask(parcel_file, out, use_layers=_use_layers(gpkg), client=client,
                                     progress=lambda _step, done, total: _progress(t, "dask", done, total))
        wall = time.perf_counter() - t
        peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    finally:
        cluster = client.cluster
        client.close()
        cluster.close()
    return {"wall_s": wall, "counts": summary.counts, "partitions": summary.partitions,
            "worker_peak_mib": sorted(peaks.values()),
            "client_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _load() -> str:
    """The 1-minute load average (the machine is shared: figures are read beside it)."""
    path = Path("/proc/loadavg")
    return path.read_text().split()[0] if path.exists() else "?"


def _progress(start: float, mode: str, done: int, total: int) -> None:
    """One line per finished partition on stderr (a long run's log shows its rate as it goes)."""
    print(f"    {mode}: partition {done}/{total} at {time.perf_counter() - start:7.1f} s (load {_load()})",
          file=sys.stderr, flush=True)


def _child(mode: str, n: int, workers: int, features: int, units: int) -> dict:
    args = [sys.executable, __file__, "--child", mode, "--parcels", str(n), "--workers", str(workers),
            "--features", str(features), "--units", str(units)]
    r = subprocess.run(args, stdout=subprocess.PIPE, text=True, cwd=REPO, check=False)  # progress: stderr
    if r.returncode:
        raise SystemExit(f"{mode} run failed (its messages are above)")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parcels", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--single-max", type=int, default=1_000_000,
                    help="largest N for the single-process run (to save time on a busy machine)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--features", type=int, default=100_000, help="红线 and 农田 polygons each")
    ap.add_argument("--units", type=int, default=20_000, help="管控单元 tiling the extent")
    ap.add_argument("--child", choices=["single", "dask"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    gpkg = constraints(args.features, args.units)
    if args.child:
        n = args.parcels[0]
        out = FOLDER / f"out_{args.child}_{n}"
        run = run_single if args.child == "single" else run_dask
        extra = () if args.child == "single" else (args.workers,)
        print(json.dumps(run(parcels(n), gpkg, out, *extra)))
        return
    print(f"constraints: {gpkg.name} ({args.features:,} 红线 + {args.features:,} 农田 + {args.units:,} 管控单元 "
          "across 浙江)")
    for n in args.parcels:
        parcels(n)
        print(f"\nN = {n:,} parcels (load average {_load()})", flush=True)
        # Dask first: on a busy machine its figures (the point of the benchmark) come out first.
        dask = _child("dask", n, args.workers, args.features, args.units)
        workers = ", ".join(f"{m:.0f}" for m in dask["worker_peak_mib"])
        print(f"  dask, {args.workers} workers: {dask['wall_s']:8.1f} s   peak per worker [{workers}] MiB "
              f"(limit 2048: {'ok' if max(dask['worker_peak_mib']) <= 2048 else 'OVER'}), client "
              f"{dask['client_peak_mib']:.0f} MiB, {dask['partitions']} partitions   {dask['counts']}", flush=True)
        single = None
        if n <= args.single_max:
            single = _child("single", n, args.workers, args.features, args.units)
            print(f"  single process : {single['wall_s']:8.1f} s   peak {single['peak_mib']:7.0f} MiB   "
                  f"{single['counts']}")
        else:
            print(f"  single process : not run (N > --single-max {args.single_max:,})")
        print(f"  load average at the end: {_load()}")
        if single:
            same = single["counts"] == dask["counts"]
            print(f"  ratio dask/single: {dask['wall_s'] / single['wall_s']:.2f} (time); verdict counts "
                  f"{'identical' if same else 'DIFFER'}")


if __name__ == "__main__":
    main()
