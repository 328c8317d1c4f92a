import pytest

pytest.importorskip("PySide6")

from suichang_gis.catalog import GROUPS  # noqa: E402


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
