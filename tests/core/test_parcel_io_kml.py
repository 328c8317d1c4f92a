"""KML/KMZ: polygons with holes, attributes, GCJ-02 correction and detection, bad files."""

import zipfile

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

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
    square_with_hole,
)
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
    with pytest.raises(ParcelImportError, match=r"pts\.kml：没有可作为地块导入的面（共 1 个地标：第 1 个地标（井）是点，不是面）"):
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


def lonlat_ring(polygon_ring) -> str:
    lon, lat = to_lonlat(*np.asarray(polygon_ring.coords).T)
    return " ".join(f"{x:.10f},{y:.10f}" for x, y in zip(lon, lat))


def test_two_holes_in_one_inner_boundary_case():
    result = read_parcels(CASES / "kml-two-holes-one-inner.kml")
    polygon = result.parcels.geometry[0]
    assert len(polygon.interiors) == 2
    assert polygon.area == pytest.approx(36_800.0, abs=1.0)
    assert_account(result)


def test_several_rings_in_one_inner_boundary_are_all_holes(tmp_path):
    outer, holes = square(0, 0, 300), [square(20, 20, 30), square(100, 100, 40), square(200, 20, 50)]
    rings = "".join(f"<LinearRing><coordinates>{lonlat_ring(h.exterior)}</coordinates></LinearRing>" for h in holes)
    placemark = (f"<Placemark><name>三洞</name><Polygon><outerBoundaryIs><LinearRing><coordinates>"
                 f"{lonlat_ring(outer.exterior)}</coordinates></LinearRing></outerBoundaryIs>"
                 f"<innerBoundaryIs>{rings}</innerBoundaryIs></Polygon></Placemark>")
    (tmp_path / "h.kml").write_text(kml(placemark), encoding="utf-8")
    polygon = read_parcels(tmp_path / "h.kml").parcels.geometry[0]
    expected = outer.difference(shapely.union_all(holes))
    assert len(polygon.interiors) == 3 and polygon.area == pytest.approx(expected.area, abs=0.5)


def test_nan_vertex_case_is_refused_naming_the_placemark():
    with pytest.raises(ParcelImportError, match=r"kml-nan-vertex\.kml 第 1 个地标（甲地块）：顶点坐标“nan,nan”"):
        read_parcels(CASES / "kml-nan-vertex.kml")


@pytest.mark.parametrize("token", ["inf,28.6", "119.1,-inf", "NaN,NaN"])
def test_every_non_finite_coordinate_is_refused(tmp_path, token):
    path = tmp_path / "bad.kml"
    path.write_text(kml(polygon_placemark("甲", square()).replace(",0 ", f",0 {token} ", 1)), encoding="utf-8")
    with pytest.raises(ParcelImportError, match=r"bad\.kml 第 1 个地标（甲）：顶点坐标.*不是有限数值"):
        read_parcels(path)


def test_degenerate_polygon_is_skipped_and_accounted(tmp_path):
    lon, lat = to_lonlat(np.array([E0, E0 + 50, E0]), np.array([N0, N0, N0]))
    ring = " ".join(f"{x:.10f},{y:.10f}" for x, y in zip(lon, lat))
    line = (f"<Placemark><name>线</name><Polygon><outerBoundaryIs><LinearRing><coordinates>{ring}"
            "</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>")
    (tmp_path / "d.kml").write_text(kml(polygon_placemark("好", square()) + line), encoding="utf-8")
    result = read_parcels(tmp_path / "d.kml")
    assert result.parcels["name"].tolist() == ["好"]
    assert [s.place for s in result.skipped] == ["第 2 个地标（线）"]
    assert "只有 2 个不同的点" in result.skipped[0].reason
    assert_account(result)


def test_multigeometry_keeps_every_polygon_and_skips_nothing_silently(tmp_path):
    parts = [square(), square(300)]
    body = "".join(f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{lonlat_ring(p.exterior)}</coordinates>"
                   "</LinearRing></outerBoundaryIs></Polygon>" for p in parts)
    placemark = f"<Placemark><name>两块</name><MultiGeometry>{body}</MultiGeometry></Placemark>"
    (tmp_path / "m.kml").write_text(kml(placemark), encoding="utf-8")
    result = read_parcels(tmp_path / "m.kml")
    assert result.parcels.geometry[0].area == pytest.approx(20_000.0, abs=0.5)
    assert_account(result)


def _kmz(path, members: dict[str, str]):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


@pytest.mark.parametrize("with_doc", [True, False])
def test_kmz_with_several_kml_files_reads_every_one(tmp_path, with_doc):
    members = {"a/甲.kml": kml(polygon_placemark("甲", square())),
               "b.kml": kml(f"<Folder><name>二期</name>{polygon_placemark('乙', square(300))}"
                            f"{polygon_placemark('丙', square(600))}</Folder>")}
    if with_doc:
        members["doc.kml"] = kml(polygon_placemark("总", square(900)))
    result = read_parcels(_kmz(tmp_path / "multi.kmz", members))
    names = result.parcels["name"].tolist()
    assert sorted(names) == sorted(["甲", "乙", "丙"] + (["总"] if with_doc else []))
    folder = dict(zip(names, result.parcels["kml_folder"]))
    assert folder["乙"] == "b.kml/二期" and folder["甲"] == "a/甲.kml"
    assert_account(result)


def test_kmz_whose_doc_only_links_to_members(tmp_path):
    links = "".join(f"<NetworkLink><name>{n}</name><Link><href>{n}</href></Link></NetworkLink>"
                    for n in ("files/1.kml", "files/2.kml", "http://example.org/far.kml"))
    members = {"doc.kml": kml(links), "files/1.kml": kml(polygon_placemark("一", square())),
               "files/2.kml": kml(polygon_placemark("二", square(300)))}
    result = read_parcels(_kmz(tmp_path / "links.kmz", members))
    assert sorted(result.parcels["name"]) == ["一", "二"]
    assert [s.place for s in result.skipped] == ["doc.kml 网络链接“http://example.org/far.kml”"]
    assert_account(result)


def test_kmz_bomb_is_refused_before_reading(tmp_path, monkeypatch):
    import suichang_gis.parcel_io.kml as kml_module

    monkeypatch.setattr(kml_module, "MAX_KML_BYTES", 1000)  # a real 1 GB member would take minutes to build
    padding = "<!--" + " " * 5000 + "-->"
    path = _kmz(tmp_path / "big.kmz", {"doc.kml": kml(polygon_placemark("甲", square()) + padding)})
    assert path.stat().st_size < 2000
    with pytest.raises(ParcelImportError, match=r"big\.kmz：压缩包中的 doc\.kml 解压后超过"):
        read_parcels(path)


def test_kmz_member_lying_about_its_size_is_refused(tmp_path, monkeypatch):
    import suichang_gis.parcel_io.kml as kml_module

    monkeypatch.setattr(kml_module, "MAX_KML_BYTES", 1000)
    path = _kmz(tmp_path / "lie.kmz", {"doc.kml": kml(polygon_placemark("甲", square()) + " " * 5000)})
    data = bytearray(path.read_bytes())
    # Rewrite the uncompressed size in the central directory to 10 bytes.
    central = data.rfind(b"PK\x01\x02")
    data[central + 24:central + 28] = (10).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(ParcelImportError, match=r"解压后超过|KMZ 文件损坏"):
        read_parcels(path)


def test_kml_written_lat_lon_is_swapped_and_said(tmp_path):
    lon, lat = to_lonlat(*np.asarray(square().exterior.coords).T)
    ring = " ".join(f"{b:.10f},{a:.10f}" for a, b in zip(lon, lat))
    placemark = (f"<Placemark><name>反</name><Polygon><outerBoundaryIs><LinearRing><coordinates>{ring}"
                 "</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>")
    (tmp_path / "ll.kml").write_text(kml(placemark), encoding="utf-8")
    result = read_parcels(tmp_path / "ll.kml")
    assert hausdorff(result.parcels.geometry[0], square()) < 0.001
    assert any("“纬度, 经度”顺序" in n for n in result.notes)


def test_placemarks_in_any_container_are_read(tmp_path):
    body = (f"<Folder><name>一期</name><Folder><name>东区</name>{polygon_placemark('甲', square())}</Folder></Folder>"
            f"<Placemark><name>外</name><MultiGeometry>{polygon_placemark('x', square(300))[25:-12]}</MultiGeometry>"
            "</Placemark>")
    path = tmp_path / "nested.kml"
    path.write_text(kml(body), encoding="utf-8")
    result = read_parcels(path)
    assert result.parcels["name"].tolist() == ["甲", "外"]
    assert result.parcels["kml_folder"].tolist()[0] == "一期/东区"
    assert_account(result)
