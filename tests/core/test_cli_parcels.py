"""`suichang-gis import` and `suichang-gis export-parcels`."""

from parcel_samples import sample_parcels, square
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
