"""Parcel import, autosave and save speed against plain baselines from the same run.

- import of N generated parcels (12 vertices each) from a GBK shapefile without .cpg:
  ``read_parcels`` (encoding detection, CRS, checks, repair, conform) vs ``geopandas.read_file``
  told the encoding;
- import of the same parcels from a 界址点坐标 TXT vs a bare split-and-build parser;
- one autosaved edit (journal transaction, fsync) vs the naive autosave that rewrites the
  parcel layer of the GeoPackage after every edit;
- ``Project.save`` of the edited parcels (one SQLite transaction) vs one plain ``pyogrio`` layer write.

Run: ``python benchmarks/bench_parcel_io.py [--parcels N]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pyogrio  # noqa: E402
from shapely.geometry import Polygon  # noqa: E402

from suichang_gis.parcel import parcels_frame  # noqa: E402
from suichang_gis.parcel_io import read_parcels, write_parcels  # noqa: E402
from suichang_gis.project import Project  # noqa: E402

E0, N0 = 411_000.0, 3_165_000.0


def generate(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    angles = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    geometries = []
    for _ in range(n):
        cx, cy = E0 + rng.uniform(-20_000, 20_000), N0 + rng.uniform(-20_000, 20_000)
        r = rng.uniform(40, 200) * (1 + 0.2 * rng.random(12))
        geometries.append(Polygon(np.column_stack([cx + r * np.cos(angles), cy + r * np.sin(angles)])))
    return parcels_frame(geometries, name=[f"遂昌候选地块{i}" for i in range(n)],
                         investment_wan=rng.uniform(1000, 50000, n).round(2))


def best_of(repeats: int, work) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def bare_txt_parser(path: Path) -> list[Polygon]:
    """The least a TXT reader must do: split lines, group by header, build polygons."""
    polygons, points = [], []
    for line in path.read_text(encoding="gb18030").splitlines()[12:]:
        if line.endswith("@"):
            if points:
                polygons.append(Polygon(points))
            points = []
        else:
            f = line.split(",")
            points.append((float(f[3]) - 40_000_000, float(f[2])))
    polygons.append(Polygon(points))
    return polygons


def row(label: str, ours: float, baseline: float, unit: str = "s") -> None:
    scale = 1000 if unit == "ms" else 1
    print(f"{label:<44} {ours * scale:9.3f} {unit}   baseline {baseline * scale:9.3f} {unit}   "
          f"ratio {ours / baseline:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parcels", type=int, default=5000)
    args = parser.parse_args()
    parcels = generate(args.parcels)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        shp = write_parcels(parcels, folder / "gbk.shp", encoding="GBK")
        shp.with_suffix(".cpg").unlink()
        txt = write_parcels(parcels, folder / "jzd.txt")
        print(f"{args.parcels} parcels, 12 vertices each")
        row("import GBK shapefile without .cpg", best_of(3, lambda: read_parcels(shp)),
            best_of(3, lambda: gpd.read_file(shp, engine="pyogrio", encoding="GBK")))
        row("import 界址点坐标 TXT", best_of(3, lambda: read_parcels(txt)), best_of(3, lambda: bare_txt_parser(txt)))

        project = Project.create(folder / "p.gpkg", parcels)
        fids = list(project.parcels.index)
        edit = iter(range(10**9))
        ours = best_of(20, lambda: project.update_parcel(fids[next(edit) % len(fids)], investment_wan=1.0))
        naive_path = folder / "naive.gpkg"
        frame = project.parcels.reset_index()
        naive = best_of(3, lambda: pyogrio.write_dataframe(frame, naive_path, layer="parcels",
                                                           promote_to_multi=True))
        row("one autosaved edit (journal)", ours, naive, "ms")
        row("save the edited parcels (one transaction)", best_of(1, project.save),
            best_of(3, lambda: pyogrio.write_dataframe(frame, naive_path, layer="parcels", promote_to_multi=True)))


if __name__ == "__main__":
    main()
