import pytest

pytest.importorskip("PySide6")

from suichang_gis.catalog import GROUPS


@pytest.fixture
def window(qtbot):
    from ui.app import create_application
    from ui.main_window import MainWindow

    create_application()
    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.mark.ui
def test_main_window_shows_every_catalog_group_and_its_extension_points(window):
    from PySide6.QtGui import QUndoStack
    from PySide6.QtWidgets import QMenu

    groups = set(window.layer_tree.group_titles())
    assert "行政区划" in groups and groups <= set(GROUPS) | {"用户图层", "候选地块"}
    assert all(isinstance(window.menus[t], QMenu) for t in ("文件", "编辑", "视图", "工具", "核查", "打印"))
    assert isinstance(window.undo_stack, QUndoStack)
    shortcuts = {a.shortcut().toString() for a in window.menus["编辑"].actions()}
    assert {"Ctrl+Z", "Ctrl+Y"} <= shortcuts


@pytest.mark.ui
def test_schematic_layers_are_marked_in_tree_and_legend(window):
    schematic = [layer for layer in window.canvas.canvas_layers() if layer.spec.schematic]
    assert schematic, "the default catalog has schematic layers"
    tree_titles = {window.layer_tree.layer_item(layer.id).text(0) for layer in schematic}
    assert all("示意" in title for title in tree_titles)
    legend = window.legend.titles()
    visible_schematic = [layer for layer in schematic if layer.visible]
    assert all(any(layer.spec.display_title == t for t in legend) for layer in visible_schematic)


@pytest.mark.ui
def test_status_bar_shows_crs_and_editable_scale(window, qtbot):
    bar = window.statusBar()
    assert "EPSG:4549" in bar.crs_label.text()
    bar.scale_edit.setText("1:50000")
    bar.scale_edit.returnPressed.emit()
    assert window.canvas.view.scale == pytest.approx(50000, rel=1e-6)
    assert bar.scale_edit.text() == "1:50,000"


@pytest.mark.ui
def test_add_dock_adds_a_toggle_to_the_view_menu(window):
    from PySide6.QtWidgets import QLabel

    dock = window.add_dock(QLabel("核查"), "核查结果")
    assert dock.toggleViewAction() in window.menus["视图"].actions()


@pytest.mark.ui
def test_opening_a_user_layer_adds_it_and_a_bad_file_changes_nothing(window, tmp_path, monkeypatch):
    import geopandas as gpd
    from PySide6.QtWidgets import QMessageBox
    from shapely.geometry import box

    good = tmp_path / "候选.geojson"
    gpd.GeoDataFrame({"name": ["候选地块"]}, geometry=[box(410_000, 3_160_000, 410_500, 3_160_400)],
                     crs="EPSG:4549").to_file(good)
    layer = window.open_layer_file(good)
    assert layer.id in window.layers and "用户图层" in window.layer_tree.group_titles()
    assert window.canvas.layer_ids()[-1] == layer.id  # drawn on top

    messages = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: messages.append(text))
    before = window.canvas.layer_ids()
    bad = tmp_path / "坏文件.gpkg"
    bad.write_bytes(b"not a geopackage")
    assert window.open_layer_file(bad) is None
    assert window.replace_layer_file("county_boundary", bad) is False
    assert window.canvas.layer_ids() == before
    assert len(messages) == 2 and all("坏文件.gpkg" in m for m in messages)


@pytest.mark.ui
def test_replacing_a_catalog_layer_keeps_its_id_and_marks_it_authoritative(window, tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    official = tmp_path / "official_towns.gpkg"
    gpd.GeoDataFrame({"name": ["妙高街道"]}, geometry=[box(410_000, 3_160_000, 420_000, 3_170_000)],
                     crs="EPSG:4549").to_file(official)
    assert window.replace_layer_file("townships", official)
    replaced = window.layers["townships"]
    assert replaced.spec.provenance.accuracy == "权威" and len(replaced.gdf) == 1
    assert "示意" not in window.layer_tree.layer_item("townships").text(0)


@pytest.mark.ui
def test_identify_results_list_attributes_zhuanlan_and_provenance(window):
    layer = window.canvas.canvas_layer("county_boundary")
    x, y = layer.layer.gdf.geometry.iloc[0].representative_point().coords[0]
    hits = window.canvas.identify(x, y)
    assert "county_boundary" in {h.layer_id for h in hits}
    window.show_identify_results(x, y, hits)
    tree = window.identify_results
    assert tree.topLevelItemCount() == len(hits)
    fields = {tree.topLevelItem(0).child(i).text(0) for i in range(tree.topLevelItem(0).childCount())}
    assert {"专栏", "精度", "来源"} <= fields


@pytest.mark.ui
def test_screenshot_command_saves_the_window_with_a_painted_map(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from PySide6.QtGui import QColor, QImage

    out = tmp_path / "window.png"
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, str(root / "main.py"), "--screenshot", str(out)], check=True,
                   cwd=root, timeout=120)
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1600, 1000)
    # The map fills the centre: most pixels there are not the empty canvas background.
    background = QColor("#f5f4ef").rgb()
    centre = [image.pixel(x, y) for x in range(700, 1300, 20) for y in range(300, 700, 20)]
    assert sum(p != background for p in centre) > 0.8 * len(centre)


@pytest.mark.ui
def test_a_broken_catalog_layer_is_reported_and_the_others_still_open(qtbot, tmp_path):
    import shutil
    from pathlib import Path

    from layers import CATALOG_DIR
    from ui.app import create_application
    from ui.main_window import MainWindow

    shutil.copytree(Path(CATALOG_DIR) / "county_boundary", tmp_path / "county_boundary")
    broken = tmp_path / "broken"
    broken.mkdir()
    toml = (Path(CATALOG_DIR) / "townships" / "layer.toml").read_text(encoding="utf-8")
    (broken / "layer.toml").write_text(toml.replace('id = "townships"', 'id = "broken"'), encoding="utf-8")
    (broken / "data.geojson").write_text("{ broken", encoding="utf-8")
    create_application()
    window = MainWindow(catalog_dir=tmp_path)
    qtbot.addWidget(window)
    assert window.canvas.layer_ids() == ["county_boundary"]
    assert len(window.load_errors) == 1 and "data.geojson" in window.load_errors[0]
    assert "无法读取" in window.statusBar().currentMessage()
