"""Shared helpers for the scripts that build the default layers from layers/sources/.

The builders are run by hand (``python layers/build/build_all.py``) when a source or a
placement changes; their output (``layers/<id>/data.geojson``) is committed, so the
application never rebuilds data at run time.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
from shapely.geometry import Point
from shapely.ops import unary_union

LAYERS_DIR = Path(__file__).resolve().parents[1]
SOURCES_DIR = LAYERS_DIR / "sources"
WORK_CRS = "EPSG:4549"


def read_source(filename: str) -> gpd.GeoDataFrame:
    """A file of layers/sources/ (CRS84 GeoJSON) in EPSG:4549."""
    return gpd.read_file(SOURCES_DIR / filename).to_crs(WORK_CRS)


@lru_cache(maxsize=1)
def _seats() -> gpd.GeoDataFrame:
    return read_source("suichang_admin_seats.geojson")


def seat(name: str) -> Point:
    """The seat point of the county (遂昌县) or of a 乡镇/街道; short names work (湖山 → 湖山乡)."""
    seats = _seats()
    exact = seats[seats["name"] == name]
    if exact.empty:
        exact = seats[seats["name"].str.startswith(name)]
    if len(exact) != 1:
        raise KeyError(f"no unique seat for {name!r}")
    return exact.geometry.iloc[0]


def seat_names() -> list[str]:
    return list(_seats()["name"])


@lru_cache(maxsize=1)
def county_outline():
    """The 遂昌县 outline from 天地图 (preferred public outline, PROVENANCE.md), EPSG:4549."""
    counties = read_source("tianditu_counties_suichang_area.geojson")
    return unary_union(counties[counties["district_name"] == "遂昌县"].geometry)


def write_layer(layer_id: str, gdf: gpd.GeoDataFrame, layer_toml: str) -> Path:
    """Write ``layers/<id>/data.geojson`` (EPSG:4549, cm precision) and ``layer.toml``."""
    folder = LAYERS_DIR / layer_id
    folder.mkdir(exist_ok=True)
    gdf = gdf.to_crs(WORK_CRS)
    path = folder / "data.geojson"
    path.unlink(missing_ok=True)
    gdf.to_file(path, driver="GeoJSON", engine="pyogrio", layer_options={"COORDINATE_PRECISION": 2})
    # Re-serialise with stable key order and no ASCII escaping, so diffs stay readable.
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    (folder / "layer.toml").write_text(layer_toml.strip() + "\n", encoding="utf-8")
    return path
