"""File Geodatabase (.gdb folder and zipped) through GDAL's OpenFileGDB driver."""

import shutil

import geopandas as gpd
import pytest

from parcel_samples import assert_account, hausdorff, square, square_with_hole
from suichang_gis.catalog import CatalogError, load_catalog, load_layer
from suichang_gis.check.inputs import apply_use_layers
from suichang_gis.parcel_io import ParcelImportError, read_parcels


def write_gdb(folder, layers: dict[str, gpd.GeoDataFrame]):
    for name, gdf in layers.items():
        gdf.to_file(folder, driver="OpenFileGDB", layer=name, engine="pyogrio")
    return folder


def parcels_in(crs: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"地块名称": ["甲", "乙"]}, geometry=[square(), square_with_hole()],
                            crs="EPSG:4549").to_crs(crs)


@pytest.mark.parametrize("crs", ["EPSG:4549", "EPSG:4528", "EPSG:4490"])
def test_feature_classes_in_every_crs_land_in_place(tmp_path, crs):
    gdb = write_gdb(tmp_path / "一张图.gdb", {"地块": parcels_in(crs), "规划": parcels_in(crs)})
    with pytest.raises(ParcelImportError, match=r"一张图\.gdb：含 2 个要素类：地块（MultiPolygon）、规划.*--layer"):
        read_parcels(gdb)  # two polygon feature classes: asked, never guessed
    result = read_parcels(gdb, layer="地块")
    assert result.parcels["name"].tolist() == ["甲", "乙"]
    for a, b in zip(result.parcels.geometry, [square(), square_with_hole()]):
        assert hausdorff(a, b) < 0.001
    assert_account(result)


def test_zipped_gdb_and_a_file_picked_inside_the_folder(tmp_path):
    gdb = write_gdb(tmp_path / "三调.gdb", {"DLTB": parcels_in("EPSG:4549")})
    shutil.make_archive(str(tmp_path / "三调.gdb"), "zip", tmp_path, "三调.gdb")
    zipped = read_parcels(tmp_path / "三调.gdb.zip")
    inside = read_parcels(next(gdb.glob("*.gdbtable")))
    assert zipped.parcels.geometry.area.round(3).tolist() == inside.parcels.geometry.area.round(3).tolist() \
        == [10_000.0, 37_500.0]


def test_gdb_in_use_layer_and_user_catalog(tmp_path):
    redline = gpd.GeoDataFrame({"name": ["红线"]}, geometry=[square(0, 0, 500)], crs="EPSG:4549").to_crs("EPSG:4528")
    gdb = write_gdb(tmp_path / "红线.gdb", {"stbhhx": redline, "other": redline})
    specs = apply_use_layers(load_catalog(), [f"ecological_redline={gdb}:stbhhx"])
    layer = load_layer(next(s for s in specs if s.id == "ecological_redline"))
    assert layer.gdf.geometry[0].area == pytest.approx(250_000.0, abs=1.0)
    (tmp_path / "user.toml").write_text('[layers.ecological_redline]\ndata = "红线.gdb"\n', encoding="utf-8")
    spec = next(s for s in load_catalog(user_catalog=tmp_path / "user.toml") if s.id == "ecological_redline")
    with pytest.raises(CatalogError, match=r"红线\.gdb 含 2 个图层.*source_layer"):
        load_layer(spec)


def test_catalog_data_without_geometry_is_refused_in_chinese(tmp_path):
    import pandas as pd
    import pyogrio

    pyogrio.write_dataframe(pd.DataFrame({"a": [1]}), tmp_path / "table.gpkg", layer="t")
    (tmp_path / "user.toml").write_text('[layers.ecological_redline]\ndata = "table.gpkg"\n', encoding="utf-8")
    spec = next(s for s in load_catalog(user_catalog=tmp_path / "user.toml") if s.id == "ecological_redline")
    with pytest.raises(CatalogError, match=r"table\.gpkg 没有几何"):
        load_layer(spec)


def test_passwords_are_masked():
    from suichang_gis.catalog import mask_secrets

    assert mask_secrets("PG:host=db user=gis password=s3cret dbname=x") == "PG:host=db user=gis password=*** dbname=x"
    assert mask_secrets("postgresql://gis:s3cret@db:5432/x failed") == "postgresql://gis:***@db:5432/x failed"
    assert mask_secrets("pwd='a b'; ok") == "pwd=***; ok"
