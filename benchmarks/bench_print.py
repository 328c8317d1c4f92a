"""Print and web-map benchmarks against plain baselines from the same run (DESIGN.md section 5).

- A3 landscape PDF of the "一城五区" zone map, ``print_map`` (catalog read, layout with legend,
  labels, graticule, inset, notes; PDF with the CJK font embedded), target < 5 s. Baseline:
  the same layers drawn with plain ``GeoDataFrame.plot`` onto an A3 figure, a title, saved to a
  PDF the same way (no legend, labels or furniture).
- Web map of every default layer: file size (target < 5 MB) and time of ``write_webmap`` (Leaflet
  and a CJK font subset inlined). Baseline: plain folium with each layer's full GeoJSON
  (Leaflet from a CDN, unsimplified geometry, no popups, no font).

- The print dialog's preview after a settings change (a new title, then back to A3 from A4):
  compose and render the page at the preview's resolution on one kept thread, as the dialog
  does (target ≤ 1 s), the first preview of the session printed beside it.
- The same A3 PDF as a user makes it, whole process (``suichang-gis print zones --paper A3``;
  target ≤ 2 s on a quiet machine) beside a whole-process run of the geopandas baseline,
  alternating, median of ``--repeat``, the load average printed; bytecode cached as an
  installed package has it.

Run: ``python benchmarks/bench_print.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from suichang_gis.catalog import load_catalog, load_layer
from suichang_gis.fonts import register_matplotlib_font
from suichang_gis.layout import layout_png, load_templates, print_map
from suichang_gis.webmap import write_webmap

A3_LANDSCAPE_IN = (420 / 25.4, 297 / 25.4)
PREVIEW_DPI = 60  # ui.print_dialog.PREVIEW_DPI (not imported: the benchmark needs no Qt)


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def baseline_pdf(layer_ids: list[str], out: Path) -> None:
    """Plain geopandas: read the same layers, ``.plot`` each, title, save an A3 PDF."""
    specs = {s.id: s for s in load_catalog()}
    fig = Figure(figsize=A3_LANDSCAPE_IN)
    FigureCanvasAgg(fig)
    ax = fig.add_axes([0.05, 0.05, 0.7, 0.85])
    for layer_id in layer_ids:
        if layer_id not in specs:
            continue
        gdf = load_layer(specs[layer_id]).gdf
        gdf[gdf.geometry.notna()].plot(ax=ax, linewidth=0.8, edgecolor="#333333", facecolor="none")
    fig.suptitle("遂昌县“一城五区”生产力布局图")
    with rc_context({"pdf.fonttype": 42}):
        fig.savefig(out, format="pdf")


def baseline_webmap(out: Path) -> None:
    """Plain folium: each layer's full GeoJSON with its stroke colour, a layer control."""
    import folium

    fmap = folium.Map(location=[28.6, 119.1], zoom_start=10, tiles=None)
    for spec in load_catalog():
        gdf = load_layer(spec).gdf
        gdf = gdf[gdf.geometry.notna()].to_crs("EPSG:4326")
        gdf = gdf.astype({c: str for c in gdf.columns if c != gdf.geometry.name})
        colour = spec.style.stroke
        folium.GeoJson(gdf.to_json(), name=spec.title,
                       style_function=lambda _f, c=colour: {"color": c}).add_to(fmap)
    folium.LayerControl().add_to(fmap)
    fmap.save(out)


BASELINE_PROCESS = """
import sys
from pathlib import Path
sys.path.insert(0, {root!r})
sys.path.insert(0, {bench!r})
from bench_print import baseline_pdf
from suichang_gis.fonts import register_matplotlib_font
from suichang_gis.layout import load_templates
register_matplotlib_font()
baseline_pdf(list(load_templates()["zones"].layers), Path({out!r}))
"""


def preview_after_change(repeat: int) -> tuple[float, list[float]]:
    """Seconds of the first preview, and of each preview after a change (titles, paper), all
    on one thread as the print dialog's ``PreviewWorker`` makes them."""
    layers = {spec.id: load_layer(spec) for spec in load_catalog()}

    def preview(title: str, paper: str = "A3") -> float:
        start = time.perf_counter()
        layout = print_map("zones", out=None, dpi=PREVIEW_DPI, layers=layers, title=title, paper=paper)
        layout_png(layout, PREVIEW_DPI)
        return time.perf_counter() - start

    first = preview("遂昌县“一城五区”生产力布局图")
    changes = [preview(f"第{i}稿") for i in range(repeat)]
    preview("A4 稿", paper="A4")
    changes.append(preview("回到 A3"))
    return first, changes


def whole_process(repeat: int, tmp: Path) -> tuple[dict[int, list[float]], dict[int, list[float]]]:
    """Wall and CPU (user + system) seconds of each run of ``suichang-gis print zones`` (A3 PDF,
    key 0) and of the baseline as its own process (key 1), alternating after one warm-up run
    each; CPU time is what others' jobs on the machine barely change."""
    env = dict(os.environ, PYTHONPYCACHEPREFIX=str(tmp / "pyc"), MPLBACKEND="Agg")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    product = [sys.executable, "-m", "suichang_gis", "print", "zones", "--paper", "A3", "--out",
               str(tmp / "cli.pdf")]
    baseline = [sys.executable, "-c", BASELINE_PROCESS.format(root=str(ROOT), bench=str(ROOT / "benchmarks"),
                                                              out=str(tmp / "cli_plain.pdf"))]
    walls: dict[int, list[float]] = {0: [], 1: []}
    cpus: dict[int, list[float]] = {0: [], 1: []}
    for run in range(repeat + 1):
        for i, command in enumerate((product, baseline)):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if run:  # the first round compiles bytecode and warms the file cache
                walls[i].append(time.perf_counter() - start)
                cpus[i].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return walls, cpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    register_matplotlib_font()
    zones = load_templates()["zones"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        project = best_of(args.repeat, lambda: print_map("zones", tmp / "zones.pdf", paper="A3",
                                                         orientation="landscape"))
        baseline = best_of(args.repeat, lambda: baseline_pdf(list(zones.layers), tmp / "plain.pdf"))
        print(f"A3 landscape PDF of the zone map (best of {args.repeat})")
        print(f"  suichang-gis print_map : {project:6.2f} s  ({(tmp / 'zones.pdf').stat().st_size / 1e6:.2f} MB)"
              f"  target < 5 s: {'OK' if project < 5 else 'MISSED'}")
        print(f"  geopandas .plot baseline: {baseline:6.2f} s  ({(tmp / 'plain.pdf').stat().st_size / 1e6:.2f} MB)")
        print(f"  ratio project / baseline: {project / baseline:.2f}")
        first, changes = preview_after_change(args.repeat)
        print(f"Print preview of the zone map (A3, {PREVIEW_DPI} dpi), load average {os.getloadavg()[0]:.2f}")
        print(f"  first preview of the session: {first:6.2f} s")
        print(f"  after a change (median of {len(changes)}): {statistics.median(changes):6.2f} s  target ≤ 1 s: "
              f"{'OK' if statistics.median(changes) <= 1 else 'MISSED'}  (runs {', '.join(f'{t:.2f}' for t in changes)})")
        load = os.getloadavg()[0]
        walls, cpus = whole_process(args.repeat, tmp)
        cli, plain = statistics.median(walls[0]), statistics.median(walls[1])
        cli_cpu, plain_cpu = statistics.median(cpus[0]), statistics.median(cpus[1])
        print(f"A3 landscape PDF of the zone map, whole process (median of {args.repeat}; "
              f"load average {load:.2f} before, {os.getloadavg()[0]:.2f} after, {os.cpu_count()} CPUs)")
        print(f"  suichang-gis print zones --paper A3: {cli:6.2f} s, CPU {cli_cpu:.2f} s  target ≤ 2 s: "
              f"{'OK' if cli <= 2 else 'MISSED'}  (runs {', '.join(f'{t:.2f}' for t in walls[0])})")
        print(f"  geopandas .plot baseline process  : {plain:6.2f} s, CPU {plain_cpu:.2f} s"
              f"  (runs {', '.join(f'{t:.2f}' for t in walls[1])})")
        print(f"  ratio project / baseline: {cli / plain:.2f} (CPU {cli_cpu / plain_cpu:.2f})")

        web = best_of(args.repeat, lambda: write_webmap(tmp / "map.html"))
        web_base = best_of(args.repeat, lambda: baseline_webmap(tmp / "plain.html"))
        size = (tmp / "map.html").stat().st_size / 1e6
        base_size = (tmp / "plain.html").stat().st_size / 1e6
        print(f"Web map of every default layer (best of {args.repeat})")
        print(f"  suichang-gis write_webmap: {web:6.2f} s  {size:5.2f} MB (offline: Leaflet + font inlined)"
              f"  target < 5 MB: {'OK' if size < 5 else 'MISSED'}")
        print(f"  plain folium baseline    : {web_base:6.2f} s  {base_size:5.2f} MB (Leaflet from a CDN)")
        print(f"  ratio project / baseline: time {web / web_base:.2f}, size {size / base_size:.2f}")


if __name__ == "__main__":
    main()
