"""A county's 三调 land-use layer on the canvas: 1,000,000 polygons, against geopandas ``.plot()``.

The data: ``N`` irregular 12-vertex polygons with centres inside 遂昌's boundary, sized so that
together they cover about the county's area, as the patches of a 三调 survey tile it (mean
≈ county area / N), with a 地类编码 column; written once to a GeoPackage cached in the
temporary folder (generation takes a while; delete the folder to regenerate).

Each tool runs in its own process, in turn (product, outside tool; ``--runs`` rounds, median),
so peak RSS is the tool's own:

- product: open the layer the way the canvas does (``layer_arrays.read_layer_geometry``:
  streamed into numpy arrays, no shapely object per feature kept), then render 1920×1080 at
  county zoom and at a zoomed view of 1/16 of the county — the first draw of the zoom band
  and again (median of 3), wall and CPU time;
- outside tool: what a GIS analyst would script: ``geopandas.read_file`` (pyogrio, Arrow) and
  ``GeoDataFrame.plot()`` into a 1920×1080 Agg canvas, the same two views.

Targets (DESIGN.md section 5): whole-county redraw of 1,000,000 polygons ≤ 500 ms with the
zoom band drawn before, in ≤ 2 GB.

Run: ``python benchmarks/bench_canvas_large.py [--polygons N] [--runs 3]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MPLBACKEND", "Agg")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

WIDTH, HEIGHT = 1920, 1080
CLASSES = ["0101", "0102", "0201", "0301", "0307", "0404", "0702", "1101"]  # 三调 地类编码, a few


def data_file(n: int) -> Path:
    """The cached GeoPackage of ``n`` polygons (generated on first use)."""
    folder = Path(tempfile.gettempdir()) / "suichang-bench-canvas"
    path = folder / f"patches-{n}.gpkg"
    if path.exists():
        return path
    import geopandas as gpd
    import numpy as np
    import shapely
    from bench_canvas import centres_inside, county_polygon

    folder.mkdir(exist_ok=True)
    county = county_polygon()
    start = time.perf_counter()
    rng = np.random.default_rng(1)
    centres = centres_inside(county, n, rng)
    # A 12-gon of radius r has area 3 r²; radii 0.6–1.4 × r0 give a mean area ≈ county area / n.
    r0 = (county.area / n / 3 / 1.05) ** 0.5
    angles = np.linspace(0, 2 * np.pi, 12, endpoint=False) + rng.uniform(0, np.pi, (n, 1))
    radii = r0 * rng.uniform(0.6, 1.4, (n, 1)) * rng.uniform(0.8, 1.2, (n, 12))
    ring = np.stack([centres[:, :1] + radii * np.cos(angles), centres[:, 1:] + radii * np.sin(angles)], axis=2)
    polygons = shapely.polygons(np.concatenate([ring, ring[:, :1]], axis=1))
    gdf = gpd.GeoDataFrame({"DLBM": rng.choice(CLASSES, n)}, geometry=polygons, crs="EPSG:4549")
    tmp = path.with_suffix(".part.gpkg")
    gdf.to_file(tmp, engine="pyogrio", layer="dltb")
    tmp.rename(path)
    print(f"generated {n:,} polygons (mean area {float(shapely.area(polygons).mean()):,.0f} m², "
          f"county {county.area / 1e6:,.0f} km²) into {path.name} in {time.perf_counter() - start:.0f} s",
          flush=True)
    return path


def views(bounds):
    """The county view and a view of 1/16 of its area around its centre."""
    from suichang_gis.mapview import MapView

    whole = MapView.fit(bounds, WIDTH, HEIGHT)
    cx, cy = whole.center_x, whole.center_y
    return whole, MapView(cx, cy, whole.resolution / 4, WIDTH, HEIGHT)


def timed(fn, repeat: int = 1) -> tuple[float, float]:
    """Median wall and CPU (this thread) seconds of ``fn()`` over ``repeat`` calls."""
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.thread_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.thread_time() - c)
    return statistics.median(walls), statistics.median(cpus)


def run_product(path: Path) -> dict:
    from PySide6.QtWidgets import QApplication

    from suichang_gis.catalog import LayerSpec, MapLayer, Provenance, Style
    from suichang_gis.layer_arrays import read_layer_geometry
    from suichang_gis.mapview import band_resolution
    from ui.map_canvas import render_image
    from ui.map_renderer import CanvasLayer

    app = QApplication.instance() or QApplication([])  # noqa: F841 (Qt needs it alive)
    out = {}
    start = time.perf_counter()
    arrays = read_layer_geometry(path, columns=["DLBM"])
    spec = LayerSpec(id="dltb", title="地类图斑", group="三调", geometry_type="Polygon",
                     data=path, version="bench", provenance=Provenance("generated", "-", "示意", "random"),
                     style=Style(fill="#9fd09a", stroke="#2e6b30", stroke_width=0.4))
    import geopandas as gpd

    # Attributes only: the drawing geometry is the arrays (the canvas never converts it).
    layer = MapLayer(spec, gpd.GeoDataFrame(arrays.attributes))
    canvas_layer = CanvasLayer(layer, geometry=arrays.geometry)
    out["open"] = time.perf_counter() - start
    out["features"] = arrays.features
    whole, part = views(arrays.geometry.bounds)
    for name, view in (("whole", whole), ("part", part)):
        out[f"{name}_first"] = timed(lambda v=view: render_image(v, [canvas_layer], labels=False))
        out[f"{name}_again"] = timed(lambda v=view: render_image(v, [canvas_layer], labels=False), 3)
        parts = canvas_layer.geometry.query(view.extent)
        small = canvas_layer.geometry.smaller_than(band_resolution(view.zoom_band))[parts]
        out[f"{name}_parts"] = (len(parts), int(small.sum()))
    folder = Path(tempfile.gettempdir()) / "suichang-bench-canvas"
    for name, view in (("whole", whole), ("part", part)):  # to look at
        render_image(view, [canvas_layer], labels=False).save(str(folder / f"product-{name}.png"))
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def run_outside(path: Path) -> dict:
    import geopandas as gpd
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    out = {}
    start = time.perf_counter()
    gdf = gpd.read_file(path, engine="pyogrio", use_arrow=True)
    out["open"] = time.perf_counter() - start
    out["features"] = len(gdf)
    whole, part = views(tuple(gdf.total_bounds))

    def draw(view):
        fig = Figure(figsize=(WIDTH / 100, HEIGHT / 100), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0, 0, 1, 1))
        gdf.plot(ax=ax, facecolor="#9fd09a", edgecolor="#2e6b30", linewidth=0.3)
        xmin, ymin, xmax, ymax = view.extent
        ax.set_xlim(xmin, xmax)
        ax.set_ylim(ymin, ymax)
        ax.set_axis_off()
        fig.canvas.draw()

    for name, view in (("whole", whole), ("part", part)):
        out[f"{name}_first"] = out[f"{name}_again"] = timed(lambda v=view: draw(v))
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def child(role: str, path: Path) -> dict:
    result = subprocess.run([sys.executable, __file__, "--role", role, "--path", str(path)],
                            check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--polygons", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--role", choices=["product", "outside"])
    parser.add_argument("--path", type=Path)
    args = parser.parse_args()
    if args.role:
        print(json.dumps((run_product if args.role == "product" else run_outside)(args.path)))
        return

    path = data_file(args.polygons)
    load_before = os.getloadavg()
    runs = {"product": [], "outside": []}
    for _ in range(args.runs):
        for role in runs:  # alternating, each in a fresh process
            runs[role].append(child(role, path))
    load_after = os.getloadavg()

    def med(role, key, i=None):
        values = [r[key] if i is None else r[key][i] for r in runs[role]]
        return statistics.median(values)

    p = runs["product"][0]
    print(f"{p['features']:,} polygons × 12 vertices ({path.name}), {WIDTH}×{HEIGHT}; median of {args.runs} "
          f"runs, each tool in its own process, alternating")
    print(f"machine: {os.cpu_count()} cores, load average before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    for name in ("whole", "part"):
        total, small = p[f"{name}_parts"]
        label = "county zoom" if name == "whole" else "1/16 of the county"
        print(f"  {label}: {total:,} polygons in view, {small:,} smaller than a pixel drawn as dots")
    print(f"{'case':<46}{'product':>12}{'(CPU)':>10}{'geopandas':>14}{'ratio':>8}")
    rows = [("open the layer", "open", None),
            ("county zoom, band drawn before", "whole_again", 0),
            ("county zoom, first draw of the band", "whole_first", 0),
            ("1/16 of the county, band drawn before", "part_again", 0),
            ("1/16 of the county, first draw of the band", "part_first", 0)]
    for label, key, i in rows:
        ours, theirs = med("product", key, i), med("outside", key, i)
        cpu = f"{med('product', key, 1) * 1000:>7.0f} ms" if i is not None else ""
        print(f"{label:<46}{ours * 1000:>9.0f} ms{cpu:>10}{theirs * 1000:>11.0f} ms{ours / theirs:>8.3f}")
    ours, theirs = med("product", "peak_mb"), med("outside", "peak_mb")
    print(f"{'peak RSS of the process':<46}{ours:>9.0f} MB{'':>10}{theirs:>11.0f} MB{ours / theirs:>8.3f}")


if __name__ == "__main__":
    main()
