"""`suichang-gis import` and `suichang-gis export-parcels`."""

import geopandas as gpd
from shapely.geometry import Point

from parcel_samples import E0, N0, ring_points, sample_parcels, square, survey_txt, write_text
from suichang_gis.cli import main
from suichang_gis.parcel_io import read_parcels, write_parcels
from suichang_gis.project import Project


def test_import_creates_then_appends_to_a_project(tmp_path, capsys):
    write_parcels(sample_parcels(), tmp_path / "地块.kml")
    assert main(["import", str(tmp_path / "地块.kml"), "--out", str(tmp_path / "p.gpkg")]) == 0
    assert "导入 2 个地块" in capsys.readouterr().out
    assert main(["import", str(tmp_path / "地块.kml"), "--out", str(tmp_path / "p.gpkg")]) == 0
    parcels = Project.open(tmp_path / "p.gpkg").parcels
    assert len(parcels) == 4 and parcels["parcel_id"].nunique() == 4
    assert sorted(parcels.geometry.area.round(2)) == [10_000.0, 10_000.0, 37_500.0, 37_500.0]


def test_import_converts_with_gcj02(tmp_path, capsys):
    write_parcels(sample_parcels(), tmp_path / "gcj.kml", gcj02=True)
    text = (tmp_path / "gcj.kml").read_text(encoding="utf-8").replace("GCJ-02（火星坐标）", "高德")
    (tmp_path / "gcj.kml").write_text(text, encoding="utf-8")  # no marker: only the flag corrects it
    assert main(["import", str(tmp_path / "gcj.kml"), "--gcj02", "--out", str(tmp_path / "out.shp")]) == 0
    assert read_parcels(tmp_path / "out.shp").parcels.geometry[0].hausdorff_distance(square()) < 0.01


def test_failed_import_exits_2_and_leaves_the_project(tmp_path, capsys):
    Project.create(tmp_path / "p.gpkg", sample_parcels())
    before = (tmp_path / "p.gpkg").read_bytes()
    (tmp_path / "bad.txt").write_text("[属性描述]\n坐标系=2000国家大地坐标系\n", encoding="utf-8")
    assert main(["import", str(tmp_path / "bad.txt"), "--out", str(tmp_path / "p.gpkg")]) == 2
    assert "错误：bad.txt：没有找到 [地块坐标]" in capsys.readouterr().err
    assert (tmp_path / "p.gpkg").read_bytes() == before


def test_export_parcels_to_survey_txt(tmp_path, capsys):
    Project.create(tmp_path / "p.gpkg", sample_parcels())
    assert main(["export-parcels", str(tmp_path / "p.gpkg"), str(tmp_path / "报批.txt")]) == 0
    assert "已导出 2 个地块" in capsys.readouterr().out
    text = (tmp_path / "报批.txt").read_bytes().decode("gb18030")
    assert "[地块坐标]" in text and "P002,乙地块,面" in text
    assert main(["export-parcels", str(tmp_path / "p.gpkg"), str(tmp_path / "x.doc")]) == 2
    assert "不支持写出“.doc”格式" in capsys.readouterr().err


def test_import_prints_the_account_with_skipped_elements(tmp_path, capsys):
    gdf = gpd.GeoDataFrame({"name": ["面", "点"]}, geometry=[square(), Point(E0, N0)], crs="EPSG:4549")
    gdf.to_file(tmp_path / "mix.gpkg", engine="pyogrio")
    assert main(["import", str(tmp_path / "mix.gpkg"), "--out", str(tmp_path / "p.gpkg")]) == 0
    out = capsys.readouterr().out
    assert "共 2 个要素，导入 1 个地块，跳过 1 个" in out and "跳过第 2 个要素（点）：是点，不是面" in out
    assert "未发现需要修正的问题" not in out


def test_import_encoding_and_towgs84_options(tmp_path, capsys):
    text = survey_txt([("5,1.0000,P001,甲地块,面,,工业用地,,@", ring_points(square()))])
    write_text(tmp_path / "gbk.txt", text, "gbk")
    assert main(["import", str(tmp_path / "gbk.txt"), "--encoding", "GBK", "--out", str(tmp_path / "a.geojson")]) == 0
    assert read_parcels(tmp_path / "a.geojson").parcels.loc[0, "name"] == "甲地块"
    write_text(tmp_path / "xian.txt", text.replace("2000国家大地坐标系", "西安80坐标系"))
    assert main(["import", str(tmp_path / "xian.txt"), "--out", str(tmp_path / "b.geojson")]) == 2
    assert "--towgs84" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "xian.txt"), "--towgs84", "15.8,-154.4,-82.3,0,0,0,0",
                 "--out", str(tmp_path / "b.geojson")]) == 0
    assert "西安 1980" in capsys.readouterr().out


def test_unexpected_error_is_one_chinese_line_naming_the_file(tmp_path, capsys, monkeypatch):
    import suichang_gis.parcel_io as parcel_io

    def broken(*args, **kwargs):
        raise IndexError("list index out of range")

    monkeypatch.setattr(parcel_io, "read_parcels", broken)  # stands for any bug a user's file may hit
    write_parcels(sample_parcels(), tmp_path / "地块.kml")
    args = ["import", str(tmp_path / "地块.kml"), "--out", str(tmp_path / "p.gpkg")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：处理文件 地块.kml、p.gpkg 时出现意外问题（IndexError") and "Traceback" not in err
    assert main(["--debug"] + args) == 2
    assert "Traceback" in capsys.readouterr().err


def test_check_of_a_file_with_a_zero_area_parcel_says_it_was_skipped(tmp_path, capsys):
    import json

    from shapely.geometry import Polygon

    flat = Polygon([(E0, N0), (E0 + 50, N0), (E0 + 100, N0), (E0, N0)])
    parcels = gpd.GeoDataFrame({"parcel_id": ["P1", "P2"]}, geometry=[square(), flat], crs="EPSG:4549")
    parcels.to_file(tmp_path / "p.geojson", engine="pyogrio")
    assert main(["check", str(tmp_path / "p.geojson"), "--out", str(tmp_path / "r.json")]) == 0
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    text = json.dumps(report, ensure_ascii=False)
    assert "跳过第 2 个要素（P2）" in text and "构不成地块" in text
    assert [p["id"] for p in report["parcels"]] == ["P1"]
