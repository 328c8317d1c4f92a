"""Map canvas speed against geopandas ``.plot()`` from the same run (DESIGN.md section 5).

100,000 generated 12-vertex polygons spread over the county, drawn at 1920×1080:

- whole county, re-rendered once its zoom band was drawn before (target < 250 ms);
- a view of about 1/16 of the county (target < 50 ms);
- pan/zoom feedback: one paint of the cached image on the GUI thread (target < 16 ms);
- cold start of ``python main.py --screenshot`` to the first painted map (target < 3 s).

Run: ``python benchmarks/bench_canvas.py [--polygons N]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MPLBACKEND", "Agg")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import geopandas as gpd
import numpy as np
import shapely

from suichang_gis.catalog import (
    LayerSpec,
    MapLayer,
    Provenance,
    Style,
    load_catalog,
    load_layer,
)
from suichang_gis.mapview import MapView

WIDTH, HEIGHT = 1920, 1080


def county_polygon():
    spec = next(s for s in load_catalog() if s.id == "county_boundary")
    return shapely.union_all(load_layer(spec).gdf.geometry.to_numpy())


def centres_inside(county, n: int, rng) -> np.ndarray:
    """``n`` uniformly random (x, y) points inside ``county`` (shape (n, 2)), drawn from ``rng``."""
    xmin, ymin, xmax, ymax = county.bounds
    shapely.prepare(county)
    centres = np.zeros((0, 2))
    while len(centres) < n:
        xy = rng.uniform((xmin, ymin), (xmax, ymax), size=(n, 2))
        centres = np.vstack([centres, xy[shapely.contains_xy(county, xy[:, 0], xy[:, 1])]])
    return centres[:n]


def generate_polygons(county, n: int, seed: int = 0) -> np.ndarray:
    """``n`` irregular 12-vertex polygons (about 100 m across) with centres inside the county."""
    rng = np.random.default_rng(seed)
    centres = centres_inside(county, n, rng)
    angles = np.linspace(0, 2 * np.pi, 12, endpoint=False) + rng.uniform(0, np.pi, (n, 1))
    radii = rng.uniform(25, 60, (n, 12))
    ring = np.stack([centres[:, :1] + radii * np.cos(angles), centres[:, 1:] + radii * np.sin(angles)], axis=2)
    ring = np.concatenate([ring, ring[:, :1]], axis=1)
    return shapely.polygons(ring)


def make_layer(polygons) -> MapLayer:
    spec = LayerSpec(id="bench", title="基准多边形", group="一城五区", geometry_type="Polygon",
                     data=Path("generated"), version="bench",
                     provenance=Provenance("generated", "-", "示意", "random"),
                     style=Style(fill="#9fd09a", stroke="#2e6b30", stroke_width=0.4))
    return MapLayer(spec, gpd.GeoDataFrame(geometry=polygons, crs="EPSG:4549"))


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def baseline_plot(gdf, extent) -> float:
    """geopandas ``.plot()`` into a 1920×1080 Agg figure, drawn (best of 2)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    def draw():
        fig = Figure(figsize=(WIDTH / 100, HEIGHT / 100), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0, 0, 1, 1))
        gdf.plot(ax=ax, facecolor="#9fd09a", edgecolor="#2e6b30", linewidth=0.3)
        ax.set_xlim(extent[0], extent[2])
        ax.set_ylim(extent[1], extent[3])
        ax.set_axis_off()
        fig.canvas.draw()

    return best_of(draw, 2)


def cold_start() -> tuple[float, float]:
    """Wall time of ``main.py --screenshot`` and of a bare Python importing Qt and geopandas."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "main.py"), "--screenshot", str(Path(tmp) / "s.png")],
                       check=True, cwd=ROOT)
        app = time.perf_counter() - start
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import PySide6.QtWidgets, geopandas"], check=True)
    return app, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--polygons", type=int, default=100_000)
    args = parser.parse_args()

    from PySide6.QtCore import QPointF
    from PySide6.QtWidgets import QApplication

    from ui.map_canvas import MapCanvasWidget, render_image
    from ui.map_renderer import CanvasLayer

    app = QApplication.instance() or QApplication([])
    county = county_polygon()
    polygons = generate_polygons(county, args.polygons)
    layer = make_layer(polygons)

    start = time.perf_counter()
    canvas_layer = CanvasLayer(layer)
    prepare = time.perf_counter() - start

    whole = MapView.fit(county.bounds, WIDTH, HEIGHT)
    start = time.perf_counter()
    render_image(whole, [canvas_layer], labels=False)
    whole_first = time.perf_counter() - start
    whole_again = best_of(lambda: render_image(whole, [canvas_layer], labels=False))

    cx, cy = shapely.centroid(county).coords[0]
    # A view whose area is 1/16 of the county's (about 6,000 of the polygons).
    part = MapView(cx, cy, (county.area / 16 / (WIDTH * HEIGHT)) ** 0.5, WIDTH, HEIGHT)
    in_part = len(canvas_layer.geometry.query(part.extent))
    start = time.perf_counter()
    render_image(part, [canvas_layer], labels=False)
    part_first = time.perf_counter() - start
    part_again = best_of(lambda: render_image(part, [canvas_layer], labels=False))

    canvas = MapCanvasWidget()
    canvas.resize(WIDTH, HEIGHT)
    canvas.set_layers([layer])
    canvas.show()
    app.processEvents()
    canvas.set_view(whole)
    canvas.render_now()

    def pan_frame():
        canvas.preview_pan(35, 12)
        canvas.repaint()

    feedback = best_of(pan_frame, 5)
    canvas.finish_pan(0, 0)

    def zoom_frame():
        canvas.zoom_by(1.25, QPointF(700, 400))  # the cached image scaled about the cursor
        canvas.repaint()

    zoom_feedback = best_of(zoom_frame, 5)
    canvas.wait_for_render()

    gdf = layer.gdf
    base_whole = baseline_plot(gdf, whole.extent)
    base_part = baseline_plot(gdf, part.extent)
    app_start, bare_start = cold_start()

    print(f"{len(polygons):,} polygons × 12 vertices, {WIDTH}×{HEIGHT}; layer prepared once in {prepare:.2f} s")
    print(f"{'case':<44}{'canvas':>10}{'geopandas .plot()':>20}{'ratio':>9}")
    rows = [
        ("whole county, zoom band drawn before", whole_again, base_whole),
        ("whole county, first draw of the band", whole_first, base_whole),
        (f"1/16 of the county ({in_part:,} polygons), again", part_again, base_part),
        ("1/16 of the county, first draw of the band", part_first, base_part),
    ]
    for name, ours, base in rows:
        print(f"{name:<44}{ours * 1000:>8.0f} ms{base * 1000:>17.0f} ms{base / ours:>8.1f}×")
    print(f"{'pan feedback frame (cached image shifted)':<44}{feedback * 1000:>8.1f} ms")
    print(f"{'zoom feedback frame (cached image scaled)':<44}{zoom_feedback * 1000:>8.1f} ms")
    print(f"{'cold start to first painted map':<44}{app_start:>8.2f} s"
          f"   (bare 'import PySide6.QtWidgets, geopandas': {bare_start:.2f} s)")


if __name__ == "__main__":
    main()
