"""The CLI contract other work relies on: layers --json and export-layer."""

import json
import subprocess
import sys

import geopandas as gpd
import pytest

from suichang_gis.catalog import load_catalog


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "suichang_gis", *args], capture_output=True, text=True)


def test_layers_json_lists_every_layer_with_the_contract_fields():
    result = run_cli("layers", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {r["id"] for r in rows} == {s.id for s in load_catalog()}
    for r in rows:
        assert {"id", "title", "group", "geometry_type", "feature_count", "source", "zhuanlan",
                "accuracy", "crs"} <= set(r)
        assert r["crs"] == "EPSG:4549" and r["feature_count"] > 0


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".shp"])
def test_export_layer_writes_a_readable_file(tmp_path, suffix):
    out = tmp_path / f"towns{suffix}"
    result = run_cli("export-layer", "townships", str(out))
    assert result.returncode == 0, result.stderr
    back = gpd.read_file(out)
    assert len(back) == 20 and back.crs.to_epsg() == 4549
    assert "妙高街道" in set(back["name"])  # Chinese survives, also in the shapefile


def test_export_layer_in_lonlat(tmp_path):
    out = tmp_path / "county.geojson"
    assert run_cli("export-layer", "county_boundary", str(out), "--crs", "EPSG:4490").returncode == 0
    minx, miny, maxx, maxy = gpd.read_file(out).total_bounds
    assert 118.6 < minx < maxx < 119.6 and 28.1 < miny < maxy < 28.9


def test_unknown_layer_and_unwritable_path_fail_clearly(tmp_path):
    result = run_cli("export-layer", "no_such_layer", str(tmp_path / "x.gpkg"))
    assert result.returncode != 0 and "no_such_layer" in result.stderr
    result = run_cli("export-layer", "townships", str(tmp_path / "missing" / "x.gpkg"))
    assert result.returncode != 0 and "无法写入" in result.stderr
