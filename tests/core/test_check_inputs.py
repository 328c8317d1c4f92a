"""The check's lean parcel reader: same parcels as the full import, without pandas or pyproj."""

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from suichang_gis.check.data import parcel_set_from_frame
from suichang_gis.check.inputs import read_parcel_set
from suichang_gis.parcel_io import read_parcels

X0, Y0 = 430_000.0, 3_163_000.0
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["gpkg", "geojson"])
def parcel_file(request, tmp_path):
    gdf = gpd.GeoDataFrame(
        {"parcel_id": ["A1", None], "name": ["甲", "乙"], "land_use": ["工业用地", " "],
         "investment_wan": [1200.5, None], "target_mu": [7.5, 3.0]},  # target_mu: not a parcel field
        geometry=[box(X0, Y0, X0 + 100, Y0 + 50), box(X0 + 200, Y0, X0 + 260, Y0 + 60)], crs="EPSG:4549")
    path = tmp_path / f"parcels.{request.param}"
    gdf.to_file(path, driver="GPKG" if request.param == "gpkg" else "GeoJSON")
    return path


def test_lean_reader_keeps_extra_columns_and_matches_the_import(parcel_file):
    lean = read_parcel_set(parcel_file)
    full = parcel_set_from_frame(read_parcels(parcel_file).parcels)
    assert lean.ids == full.ids == ["A1", "P002"]
    assert lean.names == full.names == ["甲", "乙"]
    assert [g.equals(h) for g, h in zip(lean.geoms, full.geoms)] == [True, True]
    for a, b in zip(lean.attrs, full.attrs):
        assert a["target_mu"] == b["target_mu"]
        assert a["land_use"] == b["land_use"]
        assert (a["investment_wan"] is None) == (b["investment_wan"] != b["investment_wan"])  # None / NaN
    assert lean.attrs[0]["investment_wan"] == 1200.5 and lean.attrs[1]["land_use"] is None


def test_lean_reader_imports_neither_pandas_nor_pyproj(parcel_file):
    code = ("import sys; from suichang_gis.check.inputs import read_parcel_set; "
            f"p = read_parcel_set({str(parcel_file)!r}); assert len(p) == 2; "
            "print(sorted(m for m in ('pandas', 'geopandas', 'pyproj') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert r.stdout.strip() == "[]"


def test_a_field_under_a_chinese_label_goes_through_the_import(tmp_path):
    gdf = gpd.GeoDataFrame({"地块编号": ["Z9"]}, geometry=[box(X0, Y0, X0 + 100, Y0 + 50)], crs="EPSG:4549")
    gdf.to_file(tmp_path / "p.gpkg", driver="GPKG")
    assert read_parcel_set(tmp_path / "p.gpkg").ids == ["Z9"]
