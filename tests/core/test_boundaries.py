"""The core never imports Qt (DESIGN.md section 3)."""

import subprocess
import sys

CODE = """
import importlib, pkgutil, sys
import suichang_gis, layers
for module in pkgutil.walk_packages(suichang_gis.__path__, "suichang_gis."):
    if module.name != "suichang_gis.__main__":
        importlib.import_module(module.name)
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6", "ui"))
print(bad)
sys.exit(1 if bad else 0)
"""


def test_every_core_module_imports_without_qt():
    result = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
