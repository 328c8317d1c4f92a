"""Coordinate systems of parcel files: 西安 1980 / 北京 1954 refused in every format unless the
user gives parameters, and coordinates written in the other axis order detected and swapped."""

import json

import ezdxf
import geopandas as gpd
import numpy as np
import pytest
from pyproj import CRS, Transformer

from parcel_samples import assert_account, hausdorff, square
from suichang_gis.crs import to_lonlat
from suichang_gis.parcel_io import ParcelImportError, read_parcels

PARAMETERS = (15.8, -154.4, -82.3, 0.5, -1.2, 0.8, 2.5)  # a made-up 7-parameter set (m, ″, ppm)


def old_datum_file(tmp_path, suffix: str, epsg: int):
    """A parcel whose coordinates are the numbers of ``square()`` declared in ``epsg``."""
    gdf = gpd.GeoDataFrame({"name": ["旧"]}, geometry=[square()], crs=f"EPSG:{epsg}")
    if suffix == ".dxf":
        doc = ezdxf.new()
        doc.modelspace().add_lwpolyline(np.asarray(square().exterior.coords)[:-1].tolist(), close=True)
        doc.saveas(tmp_path / "old.dxf")
        return tmp_path / "old.dxf"
    if suffix == ".gdb":
        gdf.to_file(tmp_path / "old.gdb", driver="OpenFileGDB", layer="old", engine="pyogrio")
    else:
        gdf.to_file(tmp_path / f"old{suffix}", engine="pyogrio")
    return tmp_path / f"old{suffix}"


@pytest.mark.parametrize("suffix", [".shp", ".gpkg", ".geojson", ".gdb", ".dxf"])
@pytest.mark.parametrize("epsg, datum", [(2385, "西安 1980"), (2436, "北京 1954")])
def test_old_datum_is_refused_in_every_format(tmp_path, suffix, epsg, datum):
    path = old_datum_file(tmp_path, suffix, epsg)
    options = {"crs": f"EPSG:{epsg}"} if suffix == ".dxf" else {}
    with pytest.raises(ParcelImportError, match=rf"{path.name}：坐标系为.*{datum}.*--towgs84"):
        read_parcels(path, **options)


@pytest.mark.parametrize("suffix", [".shp", ".gpkg", ".dxf"])
def test_old_datum_with_parameters_is_converted_and_said(tmp_path, suffix):
    path = old_datum_file(tmp_path, suffix, 2385)
    options = {"crs": "EPSG:2385"} if suffix == ".dxf" else {}
    result = read_parcels(path, towgs84=",".join(map(str, PARAMETERS)), **options)
    source = CRS.from_proj4("+proj=tmerc +lat_0=0 +lon_0=120 +k=1 +x_0=500000 +y_0=0 +a=6378140 +rf=298.257 "
                            f"+towgs84={','.join(map(str, PARAMETERS))} +units=m")
    x, y = Transformer.from_crs(source, "EPSG:4549", always_xy=True).transform(
        *np.asarray(square().exterior.coords).T)
    expected = type(square())(np.column_stack([x, y]))
    assert hausdorff(result.parcels.geometry[0], expected) < 1e-6
    assert hausdorff(result.parcels.geometry[0], square()) > 1  # the shift is real, not ignored
    assert any("西安 1980" in n and "转换参数" in n for n in result.notes)
    assert_account(result)


def test_geojson_in_lat_lon_order_is_swapped_and_said(tmp_path):
    lon, lat = to_lonlat(*np.asarray(square().exterior.coords).T)
    feature = {"type": "Feature", "properties": {"name": "反"},
               "geometry": {"type": "Polygon", "coordinates": [[[b, a] for a, b in zip(lon, lat)]]}}
    (tmp_path / "ll.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    result = read_parcels(tmp_path / "ll.geojson")
    assert hausdorff(result.parcels.geometry[0], square()) < 0.001
    assert any("“纬度, 经度”顺序" in n for n in result.notes)


def test_projected_file_in_northing_easting_order_is_swapped_and_said(tmp_path):
    ring = [[n, e] for e, n in np.asarray(square().exterior.coords)]
    collection = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4549"}},
                  "features": [{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]}
    (tmp_path / "ne.geojson").write_text(json.dumps(collection))
    result = read_parcels(tmp_path / "ne.geojson")
    assert hausdorff(result.parcels.geometry[0], square()) < 0.001
    assert any("“北坐标, 东坐标”顺序" in n for n in result.notes)


def test_far_coordinates_never_show_inf(tmp_path):
    ring = [[1e30, 1e30], [1e30 + 1e20, 1e30], [1e30, 1e30 + 1e20], [1e30, 1e30]]
    collection = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4549"}},
                  "features": [{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]}
    (tmp_path / "far.geojson").write_text(json.dumps(collection))
    with pytest.raises(ParcelImportError) as info:
        read_parcels(tmp_path / "far.geojson")
    assert "inf" not in str(info.value) and "不在浙江省范围内" in str(info.value)
