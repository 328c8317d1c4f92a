"""`pip install .` (not editable) must carry the default layers and resources."""

import subprocess
import sys
import zipfile
from pathlib import Path

from suichang_gis.catalog import load_catalog

REPO = Path(__file__).resolve().parents[2]


def test_wheel_carries_every_catalog_layer_and_rule_file(tmp_path):
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                             "-q", "-w", str(tmp_path), str(REPO)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("suichang_gis-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for spec in load_catalog():
        folder = spec.data.parent.name
        assert f"layers/{folder}/layer.toml" in names
        assert f"layers/{folder}/{spec.data.name}" in names
    rules = {p.relative_to(REPO).as_posix() for p in (REPO / "resources").rglob("*.toml")}
    assert rules <= names
    assert "suichang_gis/cli.py" in names and "ui/main_window.py" in names
    leaflet = {"leaflet.js", "leaflet.css", "LICENSE", "images/marker-icon.png", "images/layers.png"}
    assert {f"resources/leaflet/{name}" for name in leaflet} <= names
