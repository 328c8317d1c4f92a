"""GeoPackage, GeoJSON, Shapefile: encodings, missing sidecar files, CRS detection, bad files."""

import json

import geopandas as gpd
import pyogrio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon

from parcel_samples import (
    CASES,
    E0,
    N0,
    assert_account,
    assert_round_trip,
    hausdorff,
    parcel_frames,
    sample_parcels,
    square,
)
from suichang_gis.crs import to_lonlat
from suichang_gis.parcel import PARCEL_FIELDS, parcels_frame
from suichang_gis.parcel_io import WRITERS, ParcelImportError, read_parcels, write_parcels
from suichang_gis.parcel_io.vector import SHAPEFILE_NAMES


def raw_shapefile(path, encoding: str, crs="EPSG:4549", **columns):
    gdf = gpd.GeoDataFrame(columns or {"名称": ["遂昌金属制品厂"]}, geometry=[square()], crs=crs)
    gdf.to_file(path, encoding=encoding, engine="pyogrio")
    return path


def test_shapefile_names_are_unique_and_fit_dbf():
    assert set(SHAPEFILE_NAMES) == {f.name for f in PARCEL_FIELDS}
    assert len(set(SHAPEFILE_NAMES.values())) == len(SHAPEFILE_NAMES)
    assert all(len(short) <= 10 for short in SHAPEFILE_NAMES.values())


@pytest.mark.parametrize("encoding", ["GBK", "UTF-8"])
def test_shapefile_without_cpg_never_mojibake(tmp_path, encoding):
    path = raw_shapefile(tmp_path / "地块.shp", encoding)
    path.with_suffix(".cpg").unlink()
    result = read_parcels(path)
    assert result.parcels.loc[0, "name"] == "遂昌金属制品厂"
    assert any("GBK" in n for n in result.notes) == (encoding == "GBK")


def test_shapefile_with_cpg_uses_it(tmp_path):
    path = raw_shapefile(tmp_path / "a.shp", "GBK")
    assert path.with_suffix(".cpg").read_text().strip() == "GBK"
    assert read_parcels(path).parcels.loc[0, "name"] == "遂昌金属制品厂"


def test_shapefile_without_prj_is_detected_from_coordinates(tmp_path):
    path = raw_shapefile(tmp_path / "a.shp", "UTF-8")
    path.with_suffix(".prj").unlink()
    result = read_parcels(path)
    assert hausdorff(result.parcels.geometry[0], square()) < 1e-6
    assert any("缺少 .prj" in n for n in result.notes)


def test_shapefile_without_prj_in_lonlat(tmp_path):
    lonlat = gpd.GeoSeries([square()], crs="EPSG:4549").to_crs("EPSG:4490")
    gdf = gpd.GeoDataFrame({"name": ["经纬度"]}, geometry=lonlat)
    gdf.to_file(tmp_path / "ll.shp", engine="pyogrio")
    (tmp_path / "ll.prj").unlink()
    result = read_parcels(tmp_path / "ll.shp")
    assert hausdorff(result.parcels.geometry[0], square()) < 0.001
    assert any("经纬度" in n for n in result.notes)


def test_shapefile_without_dbf_keeps_geometry_and_says_so(tmp_path):
    path = raw_shapefile(tmp_path / "a.shp", "UTF-8")
    path.with_suffix(".dbf").unlink()
    result = read_parcels(path)
    assert result.parcels.geometry[0].area == pytest.approx(10_000.0)
    assert any("缺少同名的 .dbf" in n for n in result.notes)


def test_shapefile_without_shx_is_refused(tmp_path):
    path = raw_shapefile(tmp_path / "a.shp", "UTF-8")
    path.with_suffix(".shx").unlink()
    with pytest.raises(ParcelImportError, match=r"a\.shp：缺少同名的 \.shx"):
        read_parcels(path)


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".shp"])
def test_truncated_file_is_a_clear_error(tmp_path, suffix):
    path = tmp_path / f"cut{suffix}"
    write_parcels(sample_parcels(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(ParcelImportError, match=rf"cut\{suffix}"):
        read_parcels(path)


def test_gbk_geojson_is_read(tmp_path):
    text = sample_parcels().to_json(ensure_ascii=False)
    (tmp_path / "a.geojson").write_bytes(text.encode("gbk"))
    result = read_parcels(tmp_path / "a.geojson")
    assert result.parcels.loc[0, "name"] == "甲地块"
    assert any("GBK" in n for n in result.notes)


def test_points_only_is_refused(tmp_path):
    gdf = gpd.GeoDataFrame({"name": ["井"]}, geometry=[Point(E0, N0)], crs="EPSG:4549")
    gdf.to_file(tmp_path / "pts.geojson", engine="pyogrio")
    with pytest.raises(ParcelImportError, match=r"pts\.geojson：没有可作为地块导入的面.*是点"):
        read_parcels(tmp_path / "pts.geojson")


def test_mixed_geometries_keep_polygons_and_say_what_was_skipped(tmp_path):
    gdf = gpd.GeoDataFrame({"name": ["面", "点"]}, geometry=[square(), Point(E0, N0)], crs="EPSG:4549")
    gdf.to_file(tmp_path / "mix.gpkg", engine="pyogrio")
    result = read_parcels(tmp_path / "mix.gpkg")
    assert result.parcels["name"].tolist() == ["面"]
    assert [(s.place, s.reason) for s in result.skipped] == [("第 2 个要素（点）", "是点，不是面")]
    assert (result.seen, result.imported) == (2, 1)
    assert "跳过第 2 个要素（点）：是点，不是面" in result.report()


def test_zone_prefixed_crs_is_converted(tmp_path):
    gdf = gpd.GeoDataFrame({"name": ["带号"]}, geometry=[square()], crs="EPSG:4549").to_crs("EPSG:4528")
    assert gdf.total_bounds[0] > 40_000_000
    gdf.to_file(tmp_path / "z.gpkg", engine="pyogrio")
    result = read_parcels(tmp_path / "z.gpkg")
    assert hausdorff(result.parcels.geometry[0], square()) < 1e-6
    assert any("EPSG:4528" in n for n in result.notes)


def test_outside_zhejiang_names_the_feature(tmp_path):
    far = gpd.GeoSeries([square(), square().buffer(0)], crs="EPSG:4549").to_crs("EPSG:4490")
    far.iloc[1] = gpd.GeoSeries.from_xy([116.4, 116.41, 116.41], [39.9, 39.9, 39.91]).union_all().convex_hull
    gdf = gpd.GeoDataFrame({"name": ["遂昌", "北京"]}, geometry=far, crs="EPSG:4490")
    gdf.to_file(tmp_path / "far.geojson", engine="pyogrio")
    with pytest.raises(ParcelImportError, match=r"far\.geojson：第 2 个要素（北京）坐标不在浙江省范围内"):
        read_parcels(tmp_path / "far.geojson")


def test_gpkg_layers_choice(tmp_path):
    path = tmp_path / "multi.gpkg"
    sample_parcels().to_file(path, layer="候选", engine="pyogrio")
    gpd.GeoDataFrame({"n": [1]}, geometry=[Point(E0, N0)], crs="EPSG:4549").to_file(path, layer="points", engine="pyogrio")
    assert any("已导入“候选”" in n for n in read_parcels(path).notes)
    with pytest.raises(ParcelImportError, match=r"没有名为“道路”的图层。文件中的图层：候选、points"):
        read_parcels(path, layer="道路")


def test_chinese_column_names_become_parcel_fields(tmp_path):
    path = raw_shapefile(tmp_path / "a.shp", "GBK", **{"项目名称": ["甲"], "拟投资额": [800.0]})
    parcels = read_parcels(path).parcels
    assert parcels.loc[0, "name"] == "甲" and parcels.loc[0, "investment_wan"] == 800.0


def test_utf8_field_name_cut_inside_a_character(tmp_path):
    """'用地单位名称' is 18 bytes in UTF-8: the DBF keeps 10, cutting the 4th character."""
    path = raw_shapefile(tmp_path / "cut.shp", "UTF-8", **{"用地单位名称": ["遂昌某公司"]})
    result = read_parcels(path)
    assert result.parcels.loc[0, "用地单"] == "遂昌某公司"
    assert any("截断" in n and "用地单" in n for n in result.notes)


def test_geojson_in_metres_without_crs_member(tmp_path):
    feature = {"type": "Feature", "properties": {"name": "米"},
               "geometry": {"type": "Polygon", "coordinates": [[list(c) for c in square().exterior.coords]]}}
    (tmp_path / "m.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    result = read_parcels(tmp_path / "m.geojson")
    assert hausdorff(result.parcels.geometry[0], square()) < 1e-6
    assert any("平面坐标" in n for n in result.notes)


def test_bowtie_in_geojson_keeps_both_lobes(tmp_path):
    lon, lat = to_lonlat([E0, E0 + 100, E0 + 100, E0, E0], [N0, N0 + 100, N0, N0 + 100, N0])
    feature = {"type": "Feature", "properties": {"name": "蝴蝶"},
               "geometry": {"type": "Polygon", "coordinates": [list(map(list, zip(lon, lat)))]}}
    (tmp_path / "b.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    result = read_parcels(tmp_path / "b.geojson")
    assert result.parcels.geometry[0].area == pytest.approx(5_000.0, rel=1e-6)
    assert any("make_valid" in n for n in result.notes)


def test_gbk_shapefile_for_the_land_bureau(tmp_path):
    write_parcels(sample_parcels(), tmp_path / "gbk.shp", encoding="GBK")
    assert (tmp_path / "gbk.cpg").read_text().strip() == "GBK"
    assert "甲地块".encode("gbk") in (tmp_path / "gbk.dbf").read_bytes()
    assert read_parcels(tmp_path / "gbk.shp").parcels["name"].tolist() == ["甲地块", "乙地块"]


@settings(max_examples=50, deadline=None)
@given(parcel_frames(), st.sampled_from([".gpkg", ".geojson", ".shp"]))
def test_round_trip(tmp_path_factory, parcels, suffix):
    path = tmp_path_factory.mktemp("vec") / f"round{suffix}"
    assert_round_trip(parcels, path)


def test_short_dbf_case_imports_every_shape():
    result = read_parcels(CASES / "shp-short-dbf.shp")
    assert len(result.parcels) == 3
    assert result.parcels["name"].tolist()[:2] == ["一", "二"] and result.parcels["name"][2] is None
    shapes = (len((CASES / "shp-short-dbf.shx").read_bytes()) - 100) // 8  # 8-byte index records
    assert shapes == 3 and result.parcels.geometry.normalize().nunique() == 3
    assert any("属性表（.dbf）只有 2 条记录" in n and "第 3 个图形没有属性" in n for n in result.notes)
    assert_account(result)


def test_dbf_longer_than_shp_accounts_for_the_extra_record(tmp_path):
    import shutil

    three = gpd.GeoDataFrame({"name": ["甲", "乙", "丙"]}, geometry=[square(), square(300), square(600)], crs="EPSG:4549")
    three.to_file(tmp_path / "three.shp", engine="pyogrio")
    three.iloc[:2].to_file(tmp_path / "two.shp", engine="pyogrio")
    shutil.copy(tmp_path / "three.dbf", tmp_path / "two.dbf")
    result = read_parcels(tmp_path / "two.shp")
    assert result.parcels["name"].tolist() == ["甲", "乙"]
    assert [s.place for s in result.skipped] == ["属性表第 3 条记录"]
    assert_account(result)


@pytest.mark.parametrize("written, declared", [("GBK", "UTF-8"), ("UTF-8", "GBK")])
def test_cpg_contradicting_the_bytes_is_decoded_by_evidence(tmp_path, written, declared):
    path = raw_shapefile(tmp_path / "c.shp", written)
    path.with_suffix(".cpg").write_text(declared)
    result = read_parcels(path)
    assert result.parcels["name"].tolist() == ["遂昌金属制品厂"]
    assert any("与属性表的实际字节不符" in n and "--encoding" in n for n in result.notes)


def test_encoding_option_overrides_the_cpg(tmp_path):
    path = raw_shapefile(tmp_path / "c.shp", "GBK")
    path.with_suffix(".cpg").write_text("UTF-8")
    assert read_parcels(path, encoding="GBK").parcels["name"].tolist() == ["遂昌金属制品厂"]


def test_z_values_are_dropped_with_a_note_and_export_everywhere(tmp_path):
    result = read_parcels(CASES / "parcel-with-z.geojson")
    assert not result.parcels.geometry[0].has_z
    assert any("Z 值" in n for n in result.notes)
    expected = Polygon([(411900, 3165200), (412000, 3165200), (412000, 3165280)]).area  # 4,000 m²
    for suffix in sorted(WRITERS):
        out = write_parcels(result.parcels, tmp_path / f"z{suffix}")
        assert read_parcels(out).parcels.geometry[0].area == pytest.approx(expected, abs=0.01), suffix


@pytest.mark.parametrize("encoding", ["UTF-8", "GBK"])
def test_long_chinese_field_round_trips_through_a_shapefile(tmp_path, encoding):
    parcels = read_parcels(CASES / "long-chinese-field.geojson").parcels
    notes = []
    write_parcels(parcels, tmp_path / "长.shp", encoding=encoding, notes=notes)
    fields = pyogrio.read_info(tmp_path / "长.shp", encoding=encoding)["fields"].tolist()
    assert all(len(f.encode(encoding)) <= 10 for f in fields) and len({f.lower() for f in fields}) == len(fields)
    short = next(f for f in fields if f.startswith("土地"))
    assert "土地坐落".startswith(short)  # whole characters only
    back = read_parcels(tmp_path / "长.shp")
    assert back.parcels["土地坐落"].tolist() == ["某村"]
    if len("土地坐落".encode(encoding)) > 10:
        assert any("字段对照" in n and "土地坐落→土地坐" in n for n in notes)
        assert any("恢复了完整字段名" in n for n in back.notes)


def test_shapefile_names_that_collide_when_cut_stay_unique(tmp_path):
    from suichang_gis.parcel_io.vector import shapefile_field_names

    columns = ["规划用地性质一", "规划用地性质二", "规划用地性质三", "Name", "name_x"]
    names = shapefile_field_names(columns, "UTF-8")
    assert len({n.lower() for n in names.values()}) == len(columns)
    assert all(len(n.encode("utf-8")) <= 10 for n in names.values())
    parcels = parcels_frame([square()], **{c: [c] for c in columns[:3]})
    write_parcels(parcels, tmp_path / "c.shp")
    back = read_parcels(tmp_path / "c.shp").parcels
    assert [back[c][0] for c in columns[:3]] == columns[:3]


@pytest.mark.parametrize("value, field, encoding, message", [
    ("䶮", "name", "GBK", r"地块“P001”的“项目名称”含字符“䶮”，GBK 编码无法保存.*GB18030"),
    ("面积 100 m³", "applicant", "GBK", r"地块“P001”的“用地单位”含字符“³”"),
    ("坐" * 100, "name", "UTF-8", r"地块“P001”的“项目名称”有 300 字节.*254 字节上限"),
])
def test_values_a_dbf_cannot_hold_are_refused_naming_parcel_and_field(tmp_path, value, field, encoding, message):
    parcels = parcels_frame([square()], **{field: [value]})
    with pytest.raises(ValueError, match=message):
        write_parcels(parcels, tmp_path / "x.shp", encoding=encoding)
    if encoding == "GBK":  # the suggested GB18030 holds every character
        write_parcels(parcels, tmp_path / "ok.shp", encoding="GB18030")
        assert read_parcels(tmp_path / "ok.shp").parcels[field].tolist() == [value]


def test_zero_and_near_zero_area_features_are_skipped_before_any_check(tmp_path):
    from suichang_gis.parcel import MIN_PARCEL_AREA_M2

    flat = Polygon([(E0, N0), (E0 + 50, N0), (E0 + 100, N0), (E0, N0)])  # collinear: no area
    sliver = Polygon([(E0, N0), (E0 + 10, N0), (E0 + 10, N0 + 0.05), (E0, N0)])  # 0.25 m²
    gdf = gpd.GeoDataFrame({"name": ["好", "线状", "细条"]}, geometry=[square(), flat, sliver], crs="EPSG:4549")
    gdf.to_file(tmp_path / "z.gpkg", engine="pyogrio")
    result = read_parcels(tmp_path / "z.gpkg")
    assert result.parcels["name"].tolist() == ["好"]
    assert [s.place for s in result.skipped] == ["第 2 个要素（线状）", "第 3 个要素（细条）"]
    assert sliver.area < MIN_PARCEL_AREA_M2 and all("构不成地块" in s.reason for s in result.skipped)
    assert not any("make_valid" in n for n in result.notes)  # no repair claimed for what was skipped
    assert_account(result)


def test_m_values_are_dropped_with_a_note(tmp_path):
    import subprocess

    subprocess.run(["ogr2ogr", "-f", "ESRI Shapefile", "-dim", "XYM", str(tmp_path / "m.shp"),
                    str(CASES / "parcel-with-z.geojson")], check=True, capture_output=True)
    result = read_parcels(tmp_path / "m.shp")
    assert result.parcels.geometry[0].area == pytest.approx(4_000.0)
    assert any("M 值" in n for n in result.notes)
