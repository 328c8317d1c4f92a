"""Rule sets, style sheets and icons shipped with the application."""

from pathlib import Path

RESOURCES_DIR = Path(__file__).resolve().parent
