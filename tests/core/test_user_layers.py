import geopandas as gpd
import pytest
from shapely.geometry import Polygon, box

from suichang_gis.catalog import CatalogError
from suichang_gis.user_layers import USER_GROUP, open_user_layer


def test_a_geojson_in_lonlat_opens_in_epsg4549_with_a_default_style(tmp_path):
    path = tmp_path / "地块.geojson"
    gpd.GeoDataFrame({"name": ["甲"]}, geometry=[box(119.27, 28.59, 119.28, 28.60)],
                     crs="EPSG:4490").to_file(path)
    layer = open_user_layer(path)
    assert layer.spec.group == USER_GROUP and layer.spec.geometry_type == "Polygon"
    assert layer.gdf.crs.to_epsg() == 4549
    x, y = layer.gdf.geometry.iloc[0].centroid.coords[0]
    assert 400_000 < x < 430_000 and 3_150_000 < y < 3_180_000
    assert layer.spec.style.fill is not None


def test_invalid_geometry_is_repaired_and_reported(tmp_path):
    path = tmp_path / "bow.gpkg"
    bow = Polygon([(410_000, 3_160_000), (410_100, 3_160_100), (410_100, 3_160_000), (410_000, 3_160_100)])
    gpd.GeoDataFrame({"id": [1]}, geometry=[bow], crs="EPSG:4549").to_file(path)
    layer = open_user_layer(path)
    assert layer.gdf.geometry.is_valid.all()
    assert layer.gdf.geometry.area.sum() == pytest.approx(5_000.0)
    assert "make_valid" in layer.repairs[0]


def test_unreadable_file_and_missing_crs_give_chinese_errors(tmp_path):
    bad = tmp_path / "坏.geojson"
    bad.write_text("{ not json", encoding="utf-8")
    with pytest.raises(CatalogError, match="坏.geojson.*无法读取"):
        open_user_layer(bad)
    no_crs = tmp_path / "no_crs.shp"
    gpd.GeoDataFrame(geometry=[box(410_000, 3_160_000, 410_100, 3_160_100)], crs="EPSG:4549").to_file(no_crs)
    no_crs.with_suffix(".prj").unlink()
    with pytest.raises(CatalogError, match="no_crs.shp.*没有坐标系"):
        open_user_layer(no_crs)
