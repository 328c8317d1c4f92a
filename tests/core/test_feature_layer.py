"""Catalog layers read from GeoJSON without pandas (``feature_layer``) against ``load_layer``."""

import json
import math
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import shapely
from shapely import Polygon, box

from suichang_gis.catalog import MapLayer, load_catalog, load_layer
from suichang_gis.feature_layer import FeatureLayer, load_print_layer, read_geojson_layer
from suichang_gis.layout import load_templates, print_map, unplaced_items

ROOT = Path(__file__).resolve().parents[2]
SPECS = load_catalog()


def missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_every_catalog_layer_reads_as_load_layer_reads_it(spec):
    lean, full = read_geojson_layer(spec), load_layer(spec)
    assert isinstance(lean, FeatureLayer)
    geoms, expected = lean.geometries(), full.gdf.geometry.to_numpy()
    assert len(geoms) == len(expected)
    assert (shapely.is_missing(geoms) == shapely.is_missing(expected)).all()
    present = ~shapely.is_missing(expected)
    assert shapely.equals_exact(geoms[present], expected[present], tolerance=1e-6).all()
    assert lean.repairs == full.repairs
    columns = [c for c in full.gdf.columns if c != full.gdf.geometry.name]
    assert list(lean.properties) == columns
    for name in columns:
        for got, want in zip(lean.column(name), full.column(name), strict=True):
            assert (missing(got) and missing(want)) or got == want, (name, got, want)
    assert lean.column("no_such_column") is None and full.column("no_such_column") is None


def write_geojson(path: Path, crs: str, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": crs}},
                                "features": features}), encoding="utf-8")
    return path


def feature(geometry, **properties) -> dict:
    return {"type": "Feature", "properties": properties,
            "geometry": None if geometry is None else shapely.geometry.mapping(geometry)}


def test_invalid_geometry_is_repaired_and_told_as_load_layer_does(tmp_path):
    bowtie = Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])
    data = write_geojson(tmp_path / "d.geojson", "urn:ogc:def:crs:EPSG::4549",
                         [feature(box(0, 0, 1, 1), name="甲"), feature(bowtie, name="乙"), feature(None, name="丙")])
    spec = replace(next(s for s in SPECS if s.id == "zones"), data=data)
    lean, full = read_geojson_layer(spec), load_layer(spec)
    assert lean.repairs == full.repairs and "第 2 个" in lean.repairs[0]
    assert shapely.is_valid(lean.geometry[1]) and lean.geometry[1].area == pytest.approx(50.0)
    assert lean.geometry[2] is None and lean.column("name") == ["甲", "乙", "丙"]


def test_other_sources_go_through_load_layer(tmp_path):
    zones = next(s for s in SPECS if s.id == "zones")
    lonlat = write_geojson(tmp_path / "ll.geojson", "urn:ogc:def:crs:OGC:1.3:CRS84",
                           [feature(box(119.1, 28.5, 119.2, 28.6), name="甲")])
    spec = replace(zones, data=lonlat)
    assert read_geojson_layer(spec) is None
    layer = load_print_layer(spec)
    assert isinstance(layer, MapLayer) and layer.gdf.crs.to_epsg() == 4549
    assert 300_000 < layer.gdf.total_bounds[0] < 500_000  # reprojected to EPSG:4549
    gpkg = tmp_path / "z.gpkg"
    load_layer(zones).gdf.to_file(gpkg, driver="GPKG")
    assert isinstance(load_print_layer(replace(zones, data=gpkg)), MapLayer)
    broken = tmp_path / "broken.geojson"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match="无法读取"):  # load_layer words the error (CatalogError)
        load_print_layer(replace(zones, data=broken))


def test_page_from_lean_layers_is_the_page_from_geodataframes(tmp_path):
    template = load_templates()["zones"]
    by_id = {s.id: s for s in SPECS}
    full = {i: load_layer(by_id[i]) for i in (*template.layers, "lishui_counties")}
    lean_page = print_map("zones", None, maker="测试单位")
    full_page = print_map("zones", None, maker="测试单位", layers=full)
    assert [(d.spec.id, d.count, d.variants) for d in lean_page.drawn] == \
        [(d.spec.id, d.count, d.variants) for d in full_page.drawn]
    assert [(e.layer_id, e.label, e.value) for e in lean_page.legend] == \
        [(e.layer_id, e.label, e.value) for e in full_page.legend]
    assert lean_page.notes == full_page.notes and lean_page.unplaced == full_page.unplaced
    assert lean_page.scale_denominator == full_page.scale_denominator
    assert sorted(t.get_text() for t in lean_page.map_ax.texts) == sorted(t.get_text() for t in full_page.map_ax.texts)


def test_unplaced_items_treat_a_missing_drawn_with_as_not_drawn(tmp_path):
    """A feature without geometry whose ``drawn_with`` is empty (NaN in a GeoDataFrame, null in
    GeoJSON) is not on the map, so it is listed; one drawn with another feature is not."""
    data = write_geojson(tmp_path / "d.geojson", "urn:ogc:def:crs:EPSG::4549",
                         [feature(box(0, 0, 1, 1), name="甲区", zhuanlan="专栏5"),
                          feature(None, name="乙项目", zhuanlan="专栏5", drawn_with="甲区"),
                          feature(None, name="丙项目", zhuanlan="专栏5")])
    spec = replace(next(s for s in SPECS if s.id == "zones"), data=data)
    template = load_templates()["zones"]
    for layer in (read_geojson_layer(spec), load_layer(spec)):
        assert unplaced_items(template, {"zones": layer}) == ["丙项目（专栏5）"]


def test_printing_a_catalog_page_imports_no_pandas(tmp_path):
    code = ("import sys; from suichang_gis.layout import print_map; "
            f"print_map('zones', {str(tmp_path / 'z.pdf')!r}); "
            "print(sorted(m for m in ('pandas', 'geopandas', 'pyogrio', 'pyarrow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "z.pdf").stat().st_size > 100_000
