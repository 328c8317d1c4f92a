from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import LineString, box

from suichang_gis.catalog import LayerSpec, MapLayer, Provenance
from suichang_gis.identify import identify


def make_layer(layer_id, geometries, names, accuracy="示意"):
    spec = LayerSpec(id=layer_id, title=layer_id, group="一城五区", geometry_type="Polygon",
                     data=Path("none.geojson"), version="t",
                     provenance=Provenance("专栏4", "test", accuracy, "hand-made"),
                     zhuanlan=("专栏4",))
    gdf = gpd.GeoDataFrame({"name": names}, geometry=geometries, crs="EPSG:4549")
    return MapLayer(spec, gdf)


@pytest.fixture
def layers():
    zones = make_layer("zones", [box(0, 0, 100, 100), box(50, 50, 150, 150), box(200, 0, 300, 100), None],
                       ["甲区", "乙区", "丙区", "未落位项目"])
    roads = make_layer("roads", [LineString([(0, 75), (300, 75)])], ["主路"], accuracy="权威")
    return [zones, roads]  # roads drawn on top


def test_every_overlapping_zone_at_the_point_is_listed(layers):
    hits = identify(layers, 75, 60)
    zone_names = [h.attributes["name"] for h in hits if h.layer_id == "zones"]
    assert sorted(zone_names) == ["乙区", "甲区"]
    assert all(h.layer_title == "zones（示意）" for h in hits if h.layer_id == "zones")
    assert hits[0].provenance.accuracy == "示意" and hits[0].zhuanlan == ("专栏4",)


def test_lines_are_hit_within_the_tolerance_and_top_layer_comes_first(layers):
    assert [h.layer_id for h in identify(layers, 25, 77)] == ["zones"]  # 2 m off the road
    hits = identify(layers, 25, 77, tolerance=3)
    assert [h.layer_id for h in hits] == ["roads", "zones"]
    assert hits[0].attributes == {"name": "主路"}


def test_empty_place_and_features_without_geometry_give_no_hit(layers):
    assert identify(layers, 180, 20) == []
    assert all(h.attributes["name"] != "未落位项目" for h in identify(layers, 250, 50))
    assert [h.feature_index for h in identify(layers, 250, 50)] == [2]
