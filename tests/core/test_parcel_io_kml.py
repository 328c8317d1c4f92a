"""KML/KMZ: polygons with holes, attributes, GCJ-02 correction and detection, bad files."""

import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parcel_samples import assert_round_trip, E0, N0, hausdorff, parcel_frames, sample_parcels, square, square_with_hole
from suichang_gis.crs import to_lonlat, wgs84_to_gcj02
from suichang_gis.parcel_io import ParcelImportError, read_parcels, write_parcels


def ring_text(polygon, gcj=False):
    lon, lat = to_lonlat(*np.asarray(polygon.exterior.coords).T)
    if gcj:
        lon, lat = wgs84_to_gcj02(lon, lat)
    return " ".join(f"{x:.10f},{y:.10f},0" for x, y in zip(lon, lat))


def kml(placemarks: str, document_name: str = "地块") -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
            f"<Document><name>{document_name}</name>{placemarks}</Document></kml>")


def polygon_placemark(name, polygon, gcj=False, extra=""):
    return (f"<Placemark><name>{name}</name>{extra}<Polygon><outerBoundaryIs><LinearRing><coordinates>"
            f"{ring_text(polygon, gcj)}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>")


def test_google_earth_polygon_with_extended_data(tmp_path):
    extra = '<ExtendedData><Data name="用地单位"><value>遂昌某公司</value></Data></ExtendedData>'
    path = tmp_path / "ge.kml"
    path.write_text(kml(polygon_placemark("一号地块", square(), extra=extra)), encoding="utf-8")
    result = read_parcels(path)
    parcels = result.parcels
    assert parcels.loc[0, "name"] == "一号地块" and parcels.loc[0, "applicant"] == "遂昌某公司"
    assert hausdorff(parcels.geometry[0], square()) < 0.001
    assert result.notes == []


def test_gcj02_option_moves_the_parcel_back(tmp_path):
    path = tmp_path / "amap.kml"
    path.write_text(kml(polygon_placemark("高德描的", square(), gcj=True)), encoding="utf-8")
    as_is = read_parcels(path, gcj02=False).parcels.geometry[0]
    fixed = read_parcels(path, gcj02=True)
    # GCJ-02 is a few hundred metres off here; corrected it lands on the true square.
    assert as_is.centroid.distance(square().centroid) > 100
    assert hausdorff(fixed.parcels.geometry[0], square()) < 0.01
    assert any("GCJ-02" in n for n in fixed.notes)


def test_ovital_ovkml_is_detected_as_gcj02(tmp_path):
    path = tmp_path / "奥维.ovkml"
    path.write_text(kml(polygon_placemark("奥维地块", square(), gcj=True)), encoding="utf-8")
    result = read_parcels(path)
    assert hausdorff(result.parcels.geometry[0], square()) < 0.01
    assert any("检测到 GCJ-02" in n for n in result.notes)


def test_ovital_hint_without_marker_is_only_a_warning(tmp_path):
    path = tmp_path / "ov.kml"
    path.write_text(kml(polygon_placemark("地块", square()), document_name="奥维互动地图"), encoding="utf-8")
    result = read_parcels(path)
    assert hausdorff(result.parcels.geometry[0], square()) < 0.001  # not shifted
    assert any("可能是 GCJ-02" in n for n in result.notes)


def test_kml_of_points_only(tmp_path):
    lon, lat = to_lonlat(E0, N0)
    path = tmp_path / "pts.kml"
    path.write_text(kml(f"<Placemark><name>井</name><Point><coordinates>{lon},{lat}</coordinates></Point></Placemark>"))
    with pytest.raises(ParcelImportError, match=r"pts\.kml：没有面要素，无法作为地块导入（文件中有 1 个点）"):
        read_parcels(path)


def test_truncated_kml_names_the_line(tmp_path):
    text = kml(polygon_placemark("甲", square()) + "\n" + polygon_placemark("乙", square(300)))
    path = tmp_path / "cut.kml"
    path.write_text(text[: len(text) - 60], encoding="utf-8")
    with pytest.raises(ParcelImportError, match=r"cut\.kml 第 2 行：KML 格式错误"):
        read_parcels(path)


def test_broken_coordinates_name_the_placemark(tmp_path):
    path = tmp_path / "bad.kml"
    path.write_text(kml(polygon_placemark("甲", square()).replace(",0 ", ",0 abc,", 1)), encoding="utf-8")
    with pytest.raises(ParcelImportError, match=r"bad\.kml 第 1 个地标（甲）：坐标.*不是数字"):
        read_parcels(path)


def test_outside_zhejiang_names_the_placemark(tmp_path):
    ring = "116.40,39.90,0 116.41,39.90,0 116.41,39.91,0 116.40,39.90,0"
    placemark = (f"<Placemark><name>北京的地块</name><Polygon><outerBoundaryIs><LinearRing><coordinates>{ring}"
                 "</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>")
    (tmp_path / "bj.kml").write_text(kml(polygon_placemark("遂昌", square()) + placemark), encoding="utf-8")
    with pytest.raises(ParcelImportError, match=r"bj\.kml：第 2 个地标（北京的地块）坐标不在浙江省范围内"):
        read_parcels(tmp_path / "bj.kml")


def test_corrupt_kmz(tmp_path):
    (tmp_path / "x.kmz").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ParcelImportError, match=r"x\.kmz：KMZ 文件损坏或不完整"):
        read_parcels(tmp_path / "x.kmz")


def test_kmz_with_hole_and_gcj02_export(tmp_path):
    parcels = sample_parcels()
    write_parcels(parcels, tmp_path / "out.kmz", gcj02=True)
    with zipfile.ZipFile(tmp_path / "out.kmz") as archive:
        assert "innerBoundaryIs" in archive.read("doc.kml").decode()
    back = read_parcels(tmp_path / "out.kmz")  # the file says GCJ-02, so it is corrected back
    assert hausdorff(back.parcels.geometry[1], square_with_hole()) < 0.01
    assert back.parcels.geometry[1].area == pytest.approx(37_500.0, abs=1.0)


@settings(max_examples=50, deadline=None)
@given(parcel_frames(), st.sampled_from([".kml", ".kmz"]))
def test_round_trip(tmp_path_factory, parcels, suffix):
    path = tmp_path_factory.mktemp("kml") / f"round{suffix}"
    assert_round_trip(parcels, path)
