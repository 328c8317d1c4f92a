"""Every layer of the default catalog loads, is in EPSG:4549 and says where it came from."""

import geopandas as gpd
import pytest
from shapely.geometry import box

from suichang_gis.catalog import ACCURACIES, GROUPS, CatalogError, load_catalog, load_layer, parse_layer_toml
from suichang_gis.crs import WORK_CRS

SPECS = load_catalog()
FIXED_IDS = ["county_boundary", "townships", "ecological_redline", "env_control_units",
             "permanent_basic_farmland", "urban_development_boundary"]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.id)
def test_layer_loads_with_provenance(spec):
    layer = load_layer(spec)
    assert layer.gdf.crs.to_string() == WORK_CRS
    assert len(layer.gdf) > 0
    assert spec.group in GROUPS
    assert spec.provenance.accuracy in ACCURACIES
    assert spec.provenance.source and spec.provenance.licence and spec.provenance.method
    assert spec.version
    if spec.style.label_field:
        assert spec.style.label_field in layer.gdf.columns
    for field, mapping in ((spec.style.dash_field, spec.style.dash_by),
                           (spec.style.fill_field, spec.style.fill_by),
                           (spec.style.stroke_field, spec.style.stroke_by)):
        if field:
            values = set(layer.gdf[field].dropna().astype(str))
            assert values <= set(mapping), f"{spec.id}: no style for {values - set(mapping)}"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.id)
def test_osm_data_carries_its_attribution(spec):
    if "OpenStreetMap" in spec.provenance.source or "OSM" in spec.provenance.source:
        assert spec.provenance.attribution == "© OpenStreetMap contributors"


def test_fixed_ids_exist():
    ids = {s.id for s in SPECS}
    assert set(FIXED_IDS) <= ids


def test_every_group_has_layers():
    assert {s.group for s in SPECS} == set(GROUPS)


def test_schematic_layers_say_so_in_their_title():
    for spec in SPECS:
        assert spec.display_title.endswith("（示意）") == (spec.provenance.accuracy == "示意")


def test_county_boundary_is_the_tianditu_outline():
    county = load_layer(next(s for s in SPECS if s.id == "county_boundary")).gdf
    # PROVENANCE.md: 遂昌 area 2537 km² from 天地图 (ellipsoidal); planar GK within 0.1 %.
    assert county.geometry.area.sum() / 1e6 == pytest.approx(2537, rel=0.005)


def test_townships_partition_the_county():
    by_id = {s.id: s for s in SPECS}
    towns = load_layer(by_id["townships"]).gdf
    county = load_layer(by_id["county_boundary"]).gdf.geometry.union_all()
    assert len(towns) == 20
    assert towns.geometry.area.sum() == pytest.approx(county.area, rel=1e-6)
    assert by_id["townships"].schematic


def test_user_catalog_replaces_a_layer_without_code(tmp_path):
    official = gpd.GeoDataFrame({"name": ["官方红线"]},
                                geometry=[box(430000, 3160000, 431000, 3161000)], crs=WORK_CRS)
    official.to_file(tmp_path / "official.gpkg", layer="stbhhx", driver="GPKG")
    (tmp_path / "user.toml").write_text(
        '[layers.ecological_redline]\ndata = "official.gpkg"\nsource_layer = "stbhhx"\n'
        'source = "县自然资源局 2025"\n', encoding="utf-8")
    spec = next(s for s in load_catalog(user_catalog=tmp_path / "user.toml") if s.id == "ecological_redline")
    layer = load_layer(spec)
    assert list(layer.gdf["name"]) == ["官方红线"]
    assert spec.provenance.accuracy == "权威" and spec.provenance.source == "县自然资源局 2025"


def test_user_catalog_with_unknown_id_is_refused(tmp_path):
    (tmp_path / "user.toml").write_text('[layers.no_such_layer]\ndata = "x.gpkg"\n', encoding="utf-8")
    with pytest.raises(CatalogError, match="no_such_layer"):
        load_catalog(user_catalog=tmp_path / "user.toml")


def test_malformed_layer_toml_names_the_file(tmp_path):
    bad = tmp_path / "layer.toml"
    bad.write_text('id = "x"\ntitle = "x"\n', encoding="utf-8")
    with pytest.raises(CatalogError, match="缺少字段"):
        parse_layer_toml(bad)


def test_invalid_geometry_is_repaired_and_reported(tmp_path):
    from shapely.geometry import Polygon

    bowtie = Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[bowtie], crs=WORK_CRS).to_file(tmp_path / "b.gpkg")
    (tmp_path / "user.toml").write_text('[layers.ecological_redline]\ndata = "b.gpkg"\n', encoding="utf-8")
    spec = next(s for s in load_catalog(user_catalog=tmp_path / "user.toml") if s.id == "ecological_redline")
    layer = load_layer(spec)
    assert layer.gdf.geometry.is_valid.all()
    assert layer.gdf.geometry.area.sum() == pytest.approx(50.0)  # both lobes kept
    assert layer.repairs and "make_valid" in layer.repairs[0]
