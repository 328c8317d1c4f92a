import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from suichang_gis.geometry_cache import LayerGeometry
from suichang_gis.layer_arrays import read_layer_geometry


def _rings_by_feature(geometry):
    full = geometry._full
    out = {}
    for ring in range(full.count):
        feature = int(geometry.part_feature[full.part[ring]])
        coords = full.coords[full.offsets[ring]:full.offsets[ring + 1]]
        out.setdefault(feature, []).append(tuple(map(tuple, coords.round(3))))
    return {k: sorted(v) for k, v in out.items()}


def test_a_file_streamed_into_arrays_draws_what_geopandas_reads_repaired_and_reprojected(tmp_path):
    x, y = 119.0, 28.5  # lon/lat (EPSG:4490) inside 遂昌
    d = 0.001
    geoms = [box(x, y, x + d, y + d),
             None,
             MultiPolygon([box(x + 2 * d, y, x + 3 * d, y + d).difference(box(x + 2.4 * d, y + 0.4 * d,
                                                                               x + 2.6 * d, y + 0.6 * d)),
                           box(x + 4 * d, y, x + 5 * d, y + d)]),
             Polygon([(x, y + 2 * d), (x + d, y + 3 * d), (x + d, y + 2 * d), (x, y + 3 * d)]),  # bow-tie
             ] + [box(x + i * d, y + 5 * d, x + (i + 0.5) * d, y + 5.5 * d) for i in range(40)]
    codes = [f"c{i}" for i in range(len(geoms))]
    path = tmp_path / "patches.gpkg"
    gpd.GeoDataFrame({"DLBM": codes}, geometry=geoms, crs="EPSG:4490").to_file(path, engine="pyogrio")

    arrays = read_layer_geometry(path, columns=["DLBM"], batch_size=7)  # several batches
    assert (arrays.features, arrays.missing, arrays.repaired) == (len(geoms), 1, 1)
    assert arrays.attributes["DLBM"].tolist() == codes
    assert arrays.notes("地类图斑") == ["地类图斑：1 个要素几何无效，已用 make_valid 修复",
                                     "地类图斑：1 个要素没有几何，未绘制"]

    read = gpd.read_file(path).to_crs("EPSG:4549")
    valid = read.geometry.copy()
    bad = ~valid.is_valid & valid.notna()
    valid[bad] = shapely.make_valid(valid[bad].to_numpy())
    expected = LayerGeometry(valid.to_numpy())
    assert arrays.geometry.kind == expected.kind == "polygon"
    assert _rings_by_feature(arrays.geometry) == _rings_by_feature(expected)
    def rows(g):  # (feature, envelope) of each part, sorted
        return np.unique(np.column_stack([g.part_feature, g.part_bounds.round(3)]), axis=0)

    np.testing.assert_allclose(rows(arrays.geometry), rows(expected))
    assert arrays.geometry.parts is None  # no shapely object per feature kept
    view = tuple(shapely.total_bounds(valid.to_numpy()[5:12]))
    assert sorted(set(arrays.geometry.part_feature[arrays.geometry.query(view)].tolist())) == \
        sorted(set(expected.part_feature[expected.query(view)].tolist()))
