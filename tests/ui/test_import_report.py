"""The window's import report shows the file's account; the import dialog offers an encoding."""

import pytest

pytest.importorskip("PySide6")

from test_parcel_actions import make_window  # noqa: E402
from test_parcel_actions import warnings as warnings_fixture  # noqa: E402

warnings = warnings_fixture  # the fixture, under the name the tests ask for

KML = ('<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
       "<Placemark><name>地块</name><Polygon><outerBoundaryIs><LinearRing><coordinates>"
       "119.0911,28.5975 119.0921,28.5975 119.0921,28.5984 119.0911,28.5984 119.0911,28.5975"
       "</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>"
       "<Placemark><name>水井</name><Point><coordinates>119.0915,28.5979</coordinates></Point></Placemark>"
       "</Document></kml>")


@pytest.mark.ui
def test_import_report_shows_the_account_and_every_skipped_placemark(qtbot, tmp_path, warnings):
    (tmp_path / "a.kml").write_text(KML, encoding="utf-8")
    window, actions = make_window(qtbot, tmp_path / "p.gpkg")
    actions.import_file(tmp_path / "a.kml")
    qtbot.waitUntil(lambda: len(actions.editor.project.parcels) == 1, timeout=10_000)
    report = actions.last_import_report
    assert "共 2 个地标，导入 1 个地块，跳过 1 个" in report
    assert "跳过第 2 个地标（水井）：是点，不是面" in report
    assert "未发现需要修正的问题" not in report and warnings == []


@pytest.mark.ui
def test_import_dialog_offers_an_encoding_for_shapefiles(qtbot, tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    from ui.parcel_actions import ImportOptionsDialog

    gpd.GeoDataFrame({"名称": ["甲"]}, geometry=[box(411000, 3165000, 411100, 3165100)], crs="EPSG:4549").to_file(
        tmp_path / "a.shp", engine="pyogrio")
    window, _ = make_window(qtbot, tmp_path / "p.gpkg")
    dialog = ImportOptionsDialog(tmp_path / "a.shp", window)
    qtbot.addWidget(dialog)
    assert dialog.options() == {"gcj02": None}
    dialog.encoding.setCurrentIndex(dialog.encoding.findData("GB18030"))
    assert dialog.options() == {"gcj02": None, "encoding": "GB18030"}


@pytest.mark.ui
def test_unexpected_error_is_the_command_line_message_not_a_bare_exception(qtbot, tmp_path, warnings, monkeypatch):
    import ui.parcel_actions as parcel_actions

    def broken(*args, **kwargs):
        raise IndexError("list index out of range")

    monkeypatch.setattr(parcel_actions, "read_parcels", broken)  # stands for any bug a user's file may hit
    (tmp_path / "a.kml").write_text(KML, encoding="utf-8")
    window, actions = make_window(qtbot, tmp_path / "p.gpkg")
    actions.import_file(tmp_path / "a.kml")
    qtbot.waitUntil(lambda: bool(warnings), timeout=10_000)
    assert "处理文件 a.kml 时出现意外问题（IndexError" in warnings[0] and "项目未改变" in warnings[0]


@pytest.mark.ui
def test_import_dialog_passes_a_seven_parameter_set(qtbot, tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    from suichang_gis.parcel_io import read_parcels
    from ui.parcel_actions import ImportOptionsDialog

    gpd.GeoDataFrame({"名称": ["甲"]}, geometry=[box(411000, 3165000, 411100, 3165100)], crs="EPSG:2385").to_file(
        tmp_path / "xian.shp", engine="pyogrio")
    window, _ = make_window(qtbot, tmp_path / "p.gpkg")
    dialog = ImportOptionsDialog(tmp_path / "xian.shp", window)
    qtbot.addWidget(dialog)
    dialog.towgs84.setText("15.8,-154.4,-82.3,0,0,0,0")
    options = dialog.options()
    assert options["towgs84"] == "15.8,-154.4,-82.3,0,0,0,0"
    assert any("西安 1980" in n for n in read_parcels(tmp_path / "xian.shp", **options).notes)
