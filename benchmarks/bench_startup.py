"""Start-up of the window, whole process, against bare baselines from the same run (DESIGN.md section 5).

Targets on a quiet machine: the window shown ≤ 0.8 s and the whole default map painted ≤ 1.5 s
after launch. Measured from just before the process is started to

- the window's first paint, and the first paint of the map with every default layer drawn
  (``main.py --startup-times``, a fresh settings folder, the default project);
- baselines: a bare PySide6 window (the floor for "window shown"), and a bare script that shows
  that window, then imports geopandas and reads every default layer with ``geopandas.read_file``
  (the floor for a map of those layers, before any drawing).

Runs alternate (product, window, window + read), median of ``--repeat`` (3) after one warm-up
round; the load average is printed before and after. Bytecode is cached in a temporary folder
(as an installed package has its ``.pyc``), so no run compiles the sources again.

Run under X (or ``xvfb-run -a``): ``python benchmarks/bench_startup.py [--repeat N]``; without a
display the offscreen platform is used and the output says so.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BARE_WINDOW = """
import json, sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow
READ = {read}
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.setCentralWidget(QLabel("正在加载图层…"))
window.resize(1600, 1000)
stamps = {{}}
class First(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and "shown" not in stamps:
            stamps["shown"] = time.time()
            QTimer.singleShot(0, done)
        return False
def done():
    if READ:
        import geopandas
        sys.path.insert(0, {root!r})
        from suichang_gis.catalog import load_catalog
        for spec in load_catalog():
            geopandas.read_file(spec.data, layer=spec.source_layer)
    stamps["read"] = time.time()
    print(json.dumps(stamps), flush=True)
    app.quit()
window.installEventFilter(First(window))
window.show()
app.exec()
"""


def run_once(command: list[str], env: dict) -> tuple[float, dict]:
    """Start ``command``, return (launch time, the JSON its last output line printed)."""
    launched = time.time()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise SystemExit(f"{command[:3]} failed:\n{done.stderr[-2000:]}")
    return launched, json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, HOME=tmp, XDG_CONFIG_HOME=f"{tmp}/config", XDG_DATA_HOME=f"{tmp}/data",
                   XDG_CACHE_HOME=f"{tmp}/cache", PYTHONPYCACHEPREFIX=f"{tmp}/pyc")
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        platform = "xcb" if env.get("DISPLAY") else "offscreen"
        env.setdefault("QT_QPA_PLATFORM", platform)
        product = [sys.executable, str(ROOT / "main.py"), "--startup-times"]
        bare = [sys.executable, "-c", BARE_WINDOW.format(read=False, root=str(ROOT))]
        bare_read = [sys.executable, "-c", BARE_WINDOW.format(read=True, root=str(ROOT))]
        load_before = os.getloadavg()
        for command in (product, bare, bare_read):  # warm-up: bytecode, settings, default project
            run_once(command, env)
        times: dict[str, list[float]] = {"shown": [], "painted": [], "bare": [], "bare_read_shown": [],
                                         "bare_read": []}
        for _ in range(args.repeat):
            launched, out = run_once(product, env)
            times["shown"].append(out["window_shown"] - launched)
            times["painted"].append(out["map_painted"] - launched)
            layers = out["layers"]
            launched, out = run_once(bare, env)
            times["bare"].append(out["shown"] - launched)
            launched, out = run_once(bare_read, env)
            times["bare_read_shown"].append(out["shown"] - launched)
            times["bare_read"].append(out["read"] - launched)
        load_after = os.getloadavg()
    med = {key: statistics.median(values) for key, values in times.items()}
    print(f"Start-up, whole process, median of {args.repeat} (platform {env['QT_QPA_PLATFORM']}, "
          f"{os.cpu_count()} CPUs, load average {load_before[0]:.2f} before, {load_after[0]:.2f} after)")
    print(f"  main.py window shown          : {med['shown']:5.2f} s  target ≤ 0.8 s: "
          f"{'OK' if med['shown'] <= 0.8 else 'MISSED'}")
    print(f"  main.py whole map painted     : {med['painted']:5.2f} s  target ≤ 1.5 s: "
          f"{'OK' if med['painted'] <= 1.5 else 'MISSED'}  ({layers} layers)")
    print(f"  bare PySide6 window shown     : {med['bare']:5.2f} s")
    print(f"  bare window + geopandas read of every default layer: {med['bare_read']:5.2f} s "
          f"(window at {med['bare_read_shown']:.2f} s)")
    print(f"  ratios: window shown / bare window {med['shown'] / med['bare']:.2f}; "
          f"map painted / bare read {med['painted'] / med['bare_read']:.2f}")
    print("  runs (s): " + "; ".join(f"{key} " + ", ".join(f"{v:.2f}" for v in values)
                                     for key, values in times.items()))


if __name__ == "__main__":
    main()
