"""Benchmark of the whole ``suichang-gis check`` against the outside scripts an analyst would run
instead, on the same generated data, each as its own process, from one run.

Data (generated once, cached in the temp folder by its parameters): one GeoPackage per K with three
constraint layers of K irregular polygons — a red line layer, a farmland layer (both star-shaped,
10 % with holes, 5 % two-part, 0.1 % invalid bowties, overlapping each other here and there) and a
Voronoi tiling of control units (a few invalid) — and N rectangular candidate parcels (a parcel
GeoPackage with the parcel fields plus an extra column; the same parcels as a table in the layer
GeoPackage for the SQL baseline).

Tools, run in turn (product, then each baseline, three rounds; median of 3):
  product   ``python -m suichang_gis check PARCELS.gpkg --out result.json`` with the three layers
            swapped in by ``--use-layer``: every default rule, the context, the JSON report; from
            2,000 parcels its chunks run on every CPU (forked processes), and ``product-1`` beside it
            is the same command held to one process (``--workers 1``)
  shapely   geopandas reads, shapely 2 STRtree + vectorised intersection (check_baselines.py)
  gdal-sql  ``ogr2ogr -dialect SQLite`` with SpatiaLite over the GeoPackage R-tree
  overlay   ``geopandas.overlay`` with each layer, dissolved per parcel (check_baselines.py)
Each prints whole-process wall time and peak RSS (GNU time or ``os.wait4``; with the product's
worker processes, the peak of their summed proportional set sizes where that is larger). Before any time is printed, every
baseline's per-parcel overlap areas (red line, farmland: the union of the features met; control
units: per parcel and unit) must equal the product's report to 0.01 m².
Then, in-process: the window's re-check of one parcel against every default layer (layers loaded),
median and p95 of 300 edits.

Run: python benchmarks/bench_check.py [--sizes 100000x1,10000x10000] [--huge] [--repeat 3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import shapely

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from suichang_gis.check.parallel import MIN_CHUNK

EXTENT = (390_000.0, 3_130_000.0, 460_000.0, 3_200_000.0)  # 70 km × 70 km around 遂昌, EPSG:4549
GENERATOR_VERSION = 3
SINGLE = "product-1"  # the product held to one process (--workers 1)
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


def write_units(gpkg: Path, cells, rng, code: str) -> None:
    """Write the control-unit layer ``units`` of ``cells`` (polygons, EPSG:4549) into ``gpkg``.

    Classes 优先保护/重点管控/一般管控 are drawn from ``rng`` at 60/25/15 %; ``code`` formats the
    unit number into its unit_code (e.g. ``"ZH{:07d}"``).
    """
    import geopandas as gpd

    classes = rng.choice(["优先保护", "重点管控", "一般管控"], len(cells), p=[0.6, 0.25, 0.15])
    keys = np.where(classes == "优先保护", "priority_protection",
                    np.where(classes == "重点管控", "industrial_cluster", "general"))
    gpd.GeoDataFrame({"unit_code": [code.format(i) for i in range(len(cells))],
                      "unit_name": [f"单元{i}" for i in range(len(cells))], "manage_class": classes,
                      "subtype": classes, "admission_key": keys},
                     geometry=cells, crs="EPSG:4549").to_file(gpkg, layer="units", driver="GPKG")


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
    write_units(tmp, _unit_tiling(rng, features), rng, "ZH{:07d}")
    tmp.replace(path)
    print(f"generated {path.name} ({3 * features:,} polygons) in {time.perf_counter() - t:.1f} s")
    return path


def write_parcels(n: int, layers_gpkg: Path, seed: int = 11) -> Path:
    """N candidate parcels (80–300 m rectangles) as their own GeoPackage, with every parcel field
    the rules read plus one column the parcel model does not know (``target_mu``); the same
    parcels are added to ``layers_gpkg`` as table ``parcels_N`` for the SQL baseline."""
    import geopandas as gpd
    import pyogrio

    path = layers_gpkg.parent / f"parcels_{n}_{seed}.gpkg"
    if not path.exists():
        rng = np.random.default_rng(seed)
        x = rng.uniform(EXTENT[0] + 1000, EXTENT[2] - 1000, n)
        y = rng.uniform(EXTENT[1] + 1000, EXTENT[3] - 1000, n)
        w, h = rng.uniform(80, 300, n), rng.uniform(80, 300, n)
        gdf = gpd.GeoDataFrame({
            "parcel_id": [f"B{i:06d}" for i in range(n)], "name": [f"地块{i}" for i in range(n)],
            "land_use": "工业用地", "industrial_category": rng.choice(["一类", "二类", "三类"], n),
            "industry_code": "C33", "investment_wan": rng.uniform(1000, 20000, n).round(1),
            "annual_tax_wan": rng.uniform(50, 1500, n).round(1),
            "floor_area_ratio": rng.uniform(0.8, 2.0, n).round(2),
            "building_coverage": rng.uniform(25, 60, n).round(1), "green_ratio": rng.uniform(5, 25, n).round(1),
            "energy_tce": rng.uniform(10, 2000, n).round(1), "target_mu": (w * h / 666.67).round(1)},
            geometry=shapely.box(x, y, x + w, y + h), crs="EPSG:4549")
        tmp = path.with_suffix(".tmp.gpkg")
        tmp.unlink(missing_ok=True)
        gdf.to_file(tmp, layer="parcels", driver="GPKG")
        tmp.replace(path)
    table = f"parcels_{n}"
    if table not in pyogrio.list_layers(layers_gpkg)[:, 0]:
        gdf = gpd.read_file(path)
        pyogrio.write_dataframe(gdf[["parcel_id", "geometry"]], layers_gpkg, layer=table, driver="GPKG")
    return path


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _pss_kib(pid: int) -> int:
    """The process's proportional set size now (KiB): its private pages plus its share of pages
    it shares (a forked worker's copy-on-write pages count once over the processes); 0 once gone."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


class TreePeak(threading.Thread):
    """The peak, over samples every 10 ms, of the summed proportional set sizes of every process
    under ``root`` — the memory the product's worker processes and the first process hold
    together, shared pages counted once (GNU time reports the largest single process only)."""

    def __init__(self, root: int, skip_root: bool):
        super().__init__(daemon=True)
        self.root, self.skip_root = root, skip_root
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.01):
            todo, total = (list(_children(self.root)) if self.skip_root else [self.root]), 0
            while todo:
                pid = todo.pop()
                todo.extend(_children(pid))
                total += _pss_kib(pid)
            self.peak = max(self.peak, total)

    def mib(self) -> float:
        self.done.set()
        self.join()
        return self.peak / 1024


def run(args: list[str], work: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one whole process and any processes it starts.

    GNU time starts it, so its peak RSS is its own (a child forked from this benchmark would count
    the benchmark's pages until it execs); without GNU time, ``os.wait4`` measures it from here.
    Where the process starts others (the product's parallel chunks), the sum of their peaks
    (``TreePeak``, their summed proportional set sizes) is taken when it is larger.
    """
    # Byte code cached as an installed package has it (not rebuilt on every start).
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
           "PYTHONPATH": str(REPO), "PYTHONPYCACHEPREFIX": str(work.parent / "pycache")}
    stats = work / "time.txt"
    timer = ["/usr/bin/time", "-f", "%e %M", "-o", str(stats)] if Path("/usr/bin/time").exists() else []
    t = time.perf_counter()
    proc = subprocess.Popen([*timer, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=REPO)
    tree = TreePeak(proc.pid, skip_root=bool(timer))
    tree.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    tree_mib = tree.mib()
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{' '.join(args[:4])} … failed:\n{err[-3000:]}")
    single = int(stats.read_text().split()[-1]) / 1024 if timer else usage.ru_maxrss / 1024
    return wall, max(single, tree_mib)


def tools(parcels: Path, gpkg: Path, n: int, work: Path, overlay: bool) -> dict[str, tuple[list[str], Path]]:
    """Tool name → (command, file its areas are read from)."""
    from check_baselines import gdal_sql

    product = [sys.executable, "-m", "suichang_gis", "check", str(parcels), "--out", str(work / "product.json")]
    for layer_id, name in LAYERS.items():
        product += ["--use-layer", f"{layer_id}={gpkg}:{name}"]
    script = str(REPO / "benchmarks" / "check_baselines.py")
    out = {"product": (product, work / "product.json")}
    if n >= 2 * MIN_CHUNK:  # the product uses every CPU from here on: show one process beside it
        single = [*product, "--workers", "1"]
        single[single.index("--out") + 1] = str(work / "product1.json")
        out[SINGLE] = (single, work / "product1.json")
    out |= {"shapely": ([sys.executable, script, "shapely", str(parcels), str(gpkg), str(work / "shapely.json")],
                       work / "shapely.json")}
    if shutil.which("ogr2ogr"):
        (work / "query.sql").write_text(gdal_sql(f"parcels_{n}"), encoding="utf-8")
        out["gdal-sql"] = (["ogr2ogr", "-f", "CSV", str(work / "gdal.csv"), str(gpkg),
                            "-dialect", "SQLite", "-sql", f"@{work / 'query.sql'}"], work / "gdal.csv")
    if overlay:
        out["overlay"] = ([sys.executable, script, "overlay", str(parcels), str(gpkg), str(work / "overlay.json")],
                          work / "overlay.json")
    return out


def product_areas(report: Path) -> dict:
    """The product's overlaps in the baselines' form, read from its JSON report."""
    from suichang_gis.report.json_report import read_findings

    out: dict = {"redline": {}, "farmland": {}, "units": {}}
    layer_of = {"ecological_redline": "redline", "permanent_basic_farmland": "farmland"}
    for pid, f in read_findings(report):
        if f["rule"] in ("SX-01", "SX-02") and f["overlap_m2"]:
            out[layer_of[f["layer"]]][pid] = f["overlap_m2"]
        elif f["rule"] == "SX-04" and f["status"] != "info" and f.get("unit_code") and f["overlap_m2"]:
            # (the info finding sums the slivers under the tolerance, which are not judged)
            out["units"][f"{pid}|{f['unit_code']}"] = f["overlap_m2"]
    return out


def compare(product: dict, other: dict, name: str, sliver_m2: float = 1.0) -> str:
    """Raise SystemExit unless both agree to 0.01 m²; control units below the rules' sliver
    tolerance are not listed by the product and are left out."""
    worst, pairs = 0.0, 0
    for layer in ("redline", "farmland", "units"):
        a, b = product[layer], other[layer]
        if layer == "units":
            b = {k: v for k, v in b.items() if v > sliver_m2 + 0.01 or k in a}
        keys = set(a) | set(b)
        pairs += len(keys)
        for k in keys:
            d = abs(a.get(k, 0.0) - b.get(k, 0.0))
            if d > 0.01:
                raise SystemExit(f"{name} and the product disagree on {layer} {k}: "
                                 f"{a.get(k, 0.0):.4f} vs {b.get(k, 0.0):.4f} m²")
            worst = max(worst, d)
    return f"{name} {pairs:,} pairs, max |Δ| {worst:.4f} m²"


def areas_of(name: str, path: Path) -> dict:
    from check_baselines import gdal_areas

    if name in ("product", SINGLE):
        return product_areas(path)
    if name == "gdal-sql":
        return gdal_areas(str(path))
    return json.loads(path.read_text(encoding="utf-8"))


def bench_size(k: int, n: int, repeat: int, vertices: int, overlay_max: int) -> dict:
    gpkg = generate(k, vertices)
    parcels = write_parcels(n, gpkg)
    work = gpkg.parent / f"run_{k}_{n}"
    work.mkdir(exist_ok=True)
    commands = tools(parcels, gpkg, n, work, overlay=n <= overlay_max)
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(repeat):  # alternating: every tool once per round
        for name, (cmd, out) in commands.items():
            out.unlink(missing_ok=True)  # the areas compared are this run's
            runs[name].append(run(cmd, work))
    product = areas_of("product", commands["product"][1])
    agree = [compare(product, areas_of(name, out), name) for name, (_, out) in commands.items() if name != "product"]
    med = {name: (statistics.median(w for w, _ in r), statistics.median(m for _, m in r)) for name, r in runs.items()}
    fastest = min((x for x in med if x not in ("product", SINGLE)), key=lambda x: med[x][0])
    print(f"\nK={k:,} features per layer, N={n:,} parcels — areas agree ({'; '.join(agree)})")
    for name, (wall, rss) in med.items():
        print(f"  {name:<9} {wall:7.2f} s  {rss:7.0f} MiB   (runs: "
              f"{', '.join(f'{w:.2f}' for w, _ in runs[name])} s)")
    if "gdal-sql" not in commands:
        print("  gdal-sql  skipped: ogr2ogr is not installed (Debian: gdal-bin)")
    if "overlay" not in commands:
        print(f"  overlay   skipped above {overlay_max:,} parcels (--overlay-max)")
    pw, pm = med["product"]
    fw, fm = med[fastest]
    sm = med["shapely"][1]
    print(f"  ratio product/fastest ({fastest}): time {pw / fw:.2f}, peak memory {pm / fm:.2f}; "
          f"peak memory product/shapely script {pm / sm:.2f}")
    return {"k": k, "n": n, "fastest": fastest, "time_ratio": pw / fw, "memory_ratio": pm / fm,
            "memory_shapely": pm / sm}


def time_gui_case(repeat: int) -> dict[str, float]:
    """One drawn parcel against every default layer, as the window re-checks it on every edit:
    a one-row parcel GeoDataFrame through ``check_parcels`` with the layers loaded (trees built).
    Wall and process CPU time, median and p95, in seconds (CPU time shows what a loaded machine
    adds in waiting)."""
    import shapely.affinity

    from suichang_gis.catalog import load_catalog
    from suichang_gis.check import check_parcels
    from suichang_gis.check.inputs import load_check_layers
    from suichang_gis.parcel import parcels_frame
    from suichang_gis.rules import load_ruleset

    ruleset = load_ruleset()
    layers = load_check_layers(ruleset, load_catalog())
    centre = shapely.centroid(layers["industrial_blocks"].geoms[0])
    parcel = shapely.box(centre.x - 150, centre.y - 100, centre.x + 150, centre.y + 100)

    def frame(geometry):
        return parcels_frame([geometry], parcel_id=["D1"], land_use=["工业用地"], industrial_category=["二类"],
                             investment_wan=[9000.0])

    check_parcels(frame(parcel), ruleset, layers=layers)  # warm the STRtrees
    frames = [frame(shapely.affinity.translate(parcel, 7.0 * (k % 40), 3.0 * (k % 40))) for k in range(repeat)]
    wall, cpu = [], []
    for f in frames:  # a vertex dragged: a new frame every time
        t, c = time.perf_counter(), time.process_time()
        check_parcels(f, ruleset, layers=layers)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return {"median": statistics.median(wall), "p95": float(np.percentile(wall, 95)),
            "cpu_median": statistics.median(cpu), "cpu_p95": float(np.percentile(cpu, 95))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000x1,100000x100,10000x10000,100000x10000",
                        help="K×N pairs: features per layer × parcels")
    parser.add_argument("--huge", action="store_true", help="add K=100,000 × N=100,000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--overlay-max", type=int, default=10_000,
                        help="run geopandas.overlay only up to this many parcels (it is the slowest)")
    parser.add_argument("--vertices", type=int, default=48,
                        help="vertices per red line / farmland polygon (digitised polygons have dozens to hundreds)")
    args = parser.parse_args()
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",") if s]
    if args.huge:
        sizes.append((100_000, 100_000))
    print(f"machine: {os.cpu_count()} cores, load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"data: 3 layers × K polygons, {args.vertices} vertices per red line / farmland polygon, 10 % with "
          "holes, 5 % two-part, 0.1 % invalid; control units a Voronoi tiling; parcels 80–300 m rectangles")
    rows = [bench_size(k, n, args.repeat, args.vertices, args.overlay_max) for k, n in sizes]
    gui = time_gui_case(300)
    print(f"\nwindow re-check, 1 parcel × every default layer (in-process, layers loaded, 300 edits): "
          f"wall median {gui['median'] * 1000:.1f} ms, p95 {gui['p95'] * 1000:.1f} ms (target p95 ≤ 5 ms); "
          f"CPU median {gui['cpu_median'] * 1000:.1f} ms, p95 {gui['cpu_p95'] * 1000:.1f} ms")
    print("\nsummary (ratio ≤ 1.0 is the target):")
    for r in rows:
        print(f"  K={r['k']:>7,} N={r['n']:>7,}  time {r['time_ratio']:.2f}  memory {r['memory_ratio']:.2f}  "
              f"(against {r['fastest']}; memory against the shapely script {r['memory_shapely']:.2f})")
    print(f"load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
