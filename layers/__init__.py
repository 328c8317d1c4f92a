"""The default 遂昌 layer catalog: one folder per layer with ``layer.toml`` and its data."""

from pathlib import Path

CATALOG_DIR = Path(__file__).resolve().parent
