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
import shapely
from shapely.geometry import LineString, Point, box
from shapely.ops import nearest_points, unary_union

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


XIANXIA_LAKE_KM2 = 32.0  # PROVENANCE.md: 仙侠湖 water area 32 km²


@lru_cache(maxsize=1)
def xianxia_lake():
    """The schematic 仙侠湖 (湖南镇水库 in 遂昌), shared by every layer that needs the lake.

    No outline of the lake is public. The GSHHG river line that runs S→N past 王村口 (consistent
    with 乌溪江) from 2.5 km north of the 焦滩乡 seat to the county line, widened to 32 km², with
    an arm to the 湖山乡 seat (湖山乡 lies on its shore).
    """
    county = county_outline()
    rivers = read_source("gshhg_wdbii_rivers_suichang_bbox.geojson")
    river = min(rivers.geometry, key=lambda g: g.distance(seat("王村口")))
    y0 = seat("焦滩").y + 2500
    reach = river.intersection(county).intersection(box(380000, y0, 410000, 3200000))
    hushan = seat("湖山")
    shore, _ = nearest_points(reach, hushan)
    arm = LineString([shore, LineString([shore, hushan]).interpolate(-350)])

    def shape(width):
        lake = shapely.make_valid(unary_union([reach.buffer(width, cap_style="round"),
                                               arm.buffer(width * 0.45)]).intersection(county))
        return unary_union([p for p in shapely.get_parts(lake) if p.geom_type == "Polygon" and p.area > 1.0])

    lo, hi = 100.0, 3000.0  # bisect the half-width that gives the published water area
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if shape(mid).area < XIANXIA_LAKE_KM2 * 1e6 else (lo, mid)
    return shape((lo + hi) / 2)


def chengping_reservoir() -> Point:
    """Schematic site of 成屏水库 (west of the county town; the real site is unverified)."""
    county_seat = seat("遂昌县")
    return Point(county_seat.x - 10500, county_seat.y + 400)


def qingshuiyuan_reservoir() -> Point:
    """Schematic site of 清水源水库: upstream of the OSM 清水源一级电站 (site unverified)."""
    plants = read_source("osm_power_polygons_suichang_bbox.geojson")
    plant = plants[plants["name"] == "清水源一级电站"].geometry.union_all().centroid
    return Point(plant.x + 1200, plant.y + 1800)


def write_layer(layer_id: str, gdf: gpd.GeoDataFrame, layer_toml: str, precision: int = 2) -> Path:
    """Write ``layers/<id>/data.geojson`` (EPSG:4549, ``precision`` decimals: cm) and ``layer.toml``."""
    folder = LAYERS_DIR / layer_id
    folder.mkdir(exist_ok=True)
    gdf = gdf.to_crs(WORK_CRS)
    path = folder / "data.geojson"
    path.unlink(missing_ok=True)
    gdf.to_file(path, driver="GeoJSON", engine="pyogrio", layer_options={"COORDINATE_PRECISION": precision})
    # Re-serialise with stable key order and no ASCII escaping, so diffs stay readable.
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    (folder / "layer.toml").write_text(layer_toml.strip() + "\n", encoding="utf-8")
    return path
