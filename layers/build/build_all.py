"""Rebuild every default layer: ``python layers/build/build_all.py``."""

import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

BUILDERS = ["admin", "zones", "transport", "water_energy", "ecology"]

if __name__ == "__main__":
    for name in sys.argv[1:] or BUILDERS:
        module = importlib.import_module(name)
        module.build()
        print(f"built {name}")
