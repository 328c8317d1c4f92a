"""土地平整 from a DEM: slopes of synthetic planes whose answer is known, and 未评估 outside it."""

import math

import numpy as np
import pytest
from shapely.geometry import box

rasterio = pytest.importorskip("rasterio")

from suichang_gis.check import parcel_set, run_check
from suichang_gis.check.slope import open_dem
from suichang_gis.rules import load_ruleset

X0, Y0 = 430_000.0, 3_163_000.0
CELL = 10.0


def write_plane(path, gradient_x, gradient_y=0.0, crs="EPSG:4549"):
    """A 200 × 200 cell DEM of the plane z = gx·x + gy·y over X0..X0+2 km, Y0..Y0+2 km."""
    from rasterio.transform import from_origin

    cols = X0 + (np.arange(200) + 0.5) * CELL
    rows = Y0 + 2000.0 - (np.arange(200) + 0.5) * CELL
    z = gradient_x * (cols[None, :] - X0) + gradient_y * (rows[:, None] - Y0)
    with rasterio.open(path, "w", driver="GTiff", width=200, height=200, count=1, dtype="float32",
                       crs=crs, transform=from_origin(X0, Y0 + 2000.0, CELL, CELL), nodata=-9999) as ds:
        ds.write(z.astype("float32"), 1)
    return path


def slope_finding(result, i=0):
    return next(f for f in result.parcels[i].findings if f.rule == "BZD-13")


def test_slope_of_a_plane_is_exact(tmp_path):
    dem = open_dem(write_plane(tmp_path / "dem.tif", 0.1))
    ps = parcel_set([box(X0 + 500, Y0 + 500, X0 + 700, Y0 + 650), box(X0 + 9000, Y0, X0 + 9100, Y0 + 100)],
                    land_use=["工业用地"] * 2)
    result = run_check(ps, {}, load_ruleset(), dem=dem)
    f = slope_finding(result)
    assert f.value == pytest.approx(math.degrees(math.atan(0.1)), abs=1e-3)  # 5.71°
    assert f.status == "pass"
    assert slope_finding(result, 1).status == "not_assessed"  # outside the DEM
    dem.close()


def test_steep_plane_warns(tmp_path):
    dem = open_dem(write_plane(tmp_path / "steep.tif", 0.2, 0.2))  # |∇z| = 0.283 → 15.8°
    result = run_check(parcel_set([box(X0 + 500, Y0 + 500, X0 + 700, Y0 + 650)], land_use=["工业用地"]),
                       {}, load_ruleset(), dem=dem)
    f = slope_finding(result)
    assert f.value == pytest.approx(math.degrees(math.atan(0.2 * math.sqrt(2))), abs=1e-3)
    assert f.status == "warn" and "最大坡度" in f.message
    dem.close()


def test_dem_in_geographic_crs_is_refused(tmp_path):
    path = tmp_path / "geo.tif"
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=2, height=2, count=1, dtype="float32",
                       crs="EPSG:4490", transform=from_origin(119.0, 28.6, 0.001, 0.001)) as ds:
        ds.write(np.zeros((1, 2, 2), dtype="float32"))
    with pytest.raises(ValueError, match="投影坐标系"):
        open_dem(path)


def test_check_parcel_file_with_dem(tmp_path):
    import geopandas as gpd

    from suichang_gis.check import check_parcels

    gpd.GeoDataFrame({"parcel_id": ["D1"], "land_use": ["工业用地"]},
                     geometry=[box(X0 + 500, Y0 + 500, X0 + 700, Y0 + 650)], crs="EPSG:4549") \
        .to_file(tmp_path / "p.geojson", driver="GeoJSON")
    result = check_parcels(tmp_path / "p.geojson", dem=write_plane(tmp_path / "dem.tif", 0.1)).result
    assert slope_finding(result).value == pytest.approx(5.7106, abs=1e-3)
