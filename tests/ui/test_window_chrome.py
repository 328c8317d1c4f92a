"""The window around the map: a visible project, a remembered window, Chinese throughout.

Every test runs with a temporary HOME, XDG folders and QSettings path (tests/ui/conftest.py).
"""

import pytest
from shapely.geometry import box

pytest.importorskip("PySide6")

X0, Y0 = 430_000.0, 3_163_000.0


def full_window(qtbot, project_path=None, layers=()):
    """The window as ``ui.app.run`` builds it: map, parcel editing, check dock."""
    from ui.app import create_application
    from ui.check_panel import install_check_panel
    from ui.main_window import MainWindow
    from ui.parcel_actions import install_parcel_editing

    create_application()
    window = MainWindow(layers=list(layers))
    qtbot.addWidget(window)
    actions = install_parcel_editing(window, project_path=project_path, ask_recover=lambda m: True)
    install_check_panel(window, actions.editor)
    return window, actions


def dock(window, title):
    from PySide6.QtWidgets import QDockWidget

    return window.findChild(QDockWidget, f"dock_{title}")


@pytest.mark.ui
def test_first_start_is_maximised_with_the_check_dock_beside_the_map(qtbot, tmp_path):
    from PySide6.QtCore import Qt

    window, _ = full_window(qtbot, tmp_path / "p.gpkg")
    assert window.restore_window_state() is False  # nothing saved yet
    window.show_window()
    qtbot.waitExposed(window)
    assert window.windowState() & Qt.WindowState.WindowMaximized
    assert dock(window, "地块核查").isVisible()


@pytest.mark.ui
def test_geometry_docks_extent_and_tool_come_back_in_a_second_window(qtbot, tmp_path, private_user_folders):
    from PySide6.QtCore import QSettings, QStandardPaths, Qt

    assert QStandardPaths.isTestModeEnabled()
    assert QSettings().fileName().startswith(str(private_user_folders))  # never the user's settings
    window, actions = full_window(qtbot, tmp_path / "p.gpkg")
    window.restore_window_state()
    window.show()
    # The offscreen screen is 800 px: a restored window is fitted to the screen, so stay narrow.
    window.resize(window.minimumSizeHint().width(), 650)
    qtbot.waitExposed(window)
    dock(window, "识别结果").show()
    dock(window, "图例").hide()
    window.resizeDocks([window.layer_dock], [310], Qt.Orientation.Horizontal)
    window.canvas.zoom_to_extent((X0, Y0, X0 + 2000, Y0 + 1500))
    actions.tool_actions["绘制地块"].trigger()
    qtbot.wait(50)
    width, view = window.layer_dock.width(), window.canvas.view
    size = window.size()
    window.close()  # closeEvent keeps the state

    second, actions2 = full_window(qtbot, tmp_path / "p.gpkg")
    assert second.restore_window_state() is True
    second.show_window()
    qtbot.waitExposed(second)
    qtbot.waitUntil(lambda: abs(second.canvas.view.center_x - view.center_x) < 1.0)
    assert second.size() == size
    assert dock(second, "识别结果").isVisible() and not dock(second, "图例").isVisible()
    assert abs(second.layer_dock.width() - width) <= 2
    restored = second.canvas.view
    assert restored.center_y == pytest.approx(view.center_y, abs=1.0)
    assert restored.resolution == pytest.approx(view.resolution, rel=1e-6)
    assert second.tool_group.checkedAction().text() == "绘制地块"
    assert second.canvas.tool is actions2.tools["绘制地块"][0]


@pytest.mark.ui
def test_standard_buttons_and_dialogs_are_chinese(qtbot):
    from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

    from ui.app import create_application

    create_application()
    b = QDialogButtonBox.StandardButton
    box_ = QDialogButtonBox(b.Ok | b.Cancel | b.Save | b.Discard | b.Yes | b.No | b.Close)
    qtbot.addWidget(box_)
    texts = {button: box_.button(button).text().replace("&", "") for button in
             (b.Ok, b.Cancel, b.Save, b.Yes, b.No, b.Close)}
    assert texts[b.Ok] == "确定" and texts[b.Cancel] == "取消" and texts[b.Save] == "保存"
    assert texts[b.Yes].startswith("是") and texts[b.No].startswith("否") and texts[b.Close] == "关闭"
    message = QMessageBox(QMessageBox.Icon.Question, "t", "t", QMessageBox.StandardButton.Yes
                          | QMessageBox.StandardButton.No)
    qtbot.addWidget(message)
    assert message.button(QMessageBox.StandardButton.No).text().startswith("否")  # the recovery dialog's 选“否”
    from PySide6.QtWidgets import QFileDialog, QLabel

    dialog = QFileDialog()
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)  # Qt's own dialog, as on Linux desktops
    qtbot.addWidget(dialog)
    labels = [label.text() for label in dialog.findChildren(QLabel) if label.text()]
    import re

    words = [re.sub(r"\(&[A-Z]\)", "", text) for text in labels]  # the accelerator key stays Latin
    assert words and not any(re.search("[A-Za-z]", word) for word in words)
    assert {"查找范围(&L)：", "文件类型(&T)："} <= set(labels)


@pytest.mark.ui
def test_untitled_project_first_save_asks_where_and_suggests_documents(qtbot, monkeypatch, private_user_folders):
    from PySide6.QtWidgets import QFileDialog

    from ui.paths import recent_projects

    window, actions = full_window(qtbot)  # a fresh start: no project given, none remembered
    assert actions.untitled and window.windowTitle().startswith("未命名项目")
    # The app-data file behind an untitled project is never named to the user.
    assert window.statusBar().currentMessage().startswith("已打开项目 未命名项目")
    actions.editor.add_polygon(box(X0, Y0, X0 + 100, Y0 + 100))
    assert window.windowTitle().startswith("*未命名项目")
    chosen = private_user_folders / "新文件夹" / "遂昌项目.gpkg"
    chosen.parent.mkdir()
    asked = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda parent, title, start, filters: asked.append(start) or (str(chosen), filters))
    assert actions.save() is True
    assert asked and asked[0].startswith(str(private_user_folders / "Documents"))
    assert chosen.exists() and not actions.untitled
    assert window.windowTitle() == "遂昌项目 — 遂昌 GIS 规划工作台"
    assert window.project_label.toolTip() == str(chosen.parent)
    assert recent_projects() == [chosen.resolve()]
    # The next project dialog starts where this one was saved.
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda parent, title, start, filters: asked.append(start)
                        or ("", ""))
    actions.save_as_dialog()
    assert asked[-1].startswith(str(chosen.parent))


@pytest.mark.ui
def test_recent_projects_menu_opens_a_project(qtbot, tmp_path):
    from suichang_gis.project import Project
    from ui.paths import add_recent_project

    other = tmp_path / "另一个项目.gpkg"
    Project.create(other).close()
    add_recent_project(other)
    window, actions = full_window(qtbot, tmp_path / "p.gpkg")
    window._fill_recent_menu()
    entries = [a for a in window.recent_menu.actions() if a.isEnabled()]
    assert [a.toolTip() for a in entries] == [str(other.resolve())]
    entries[0].trigger()
    assert actions.editor.project.path == other.resolve() or actions.editor.project.path == other
    assert "另一个项目" in window.windowTitle()


@pytest.mark.ui
def test_file_dialog_folders_are_remembered_per_kind(qtbot, tmp_path, monkeypatch, private_user_folders):
    from PySide6.QtWidgets import QFileDialog

    from ui.paths import documents_folder, last_folder, open_file_name

    assert last_folder("import") == documents_folder() == private_user_folders / "Documents"
    (tmp_path / "测量").mkdir()
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda parent, title, start, filters: (str(tmp_path / "测量" / "a.dxf"), ""))
    assert open_file_name(None, "import", "导入地块", "*") == tmp_path / "测量" / "a.dxf"
    assert last_folder("import") == tmp_path / "测量"
    assert last_folder("export") == documents_folder()  # another kind keeps its own folder


@pytest.mark.ui
def test_error_dialogs_lead_with_a_chinese_sentence(qtbot, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QMessageBox

    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    window, actions = full_window(qtbot, tmp_path / "p.gpkg")
    actions.editor.add_polygon(box(X0, Y0, X0 + 100, Y0 + 100))
    assert not actions.export_file(tmp_path / "没有这个文件夹" / "x.geojson")
    first_line, *rest = shown[-1].splitlines()
    assert first_line.startswith("无法导出地块到") and first_line.endswith("。")
    assert rest and rest[-1].startswith("详细信息：")  # the library's own (English) text comes after


@pytest.mark.ui
def test_project_title_shows_name_and_folder_on_hover(qtbot, tmp_path):
    window, actions = full_window(qtbot, tmp_path / "规划项目.gpkg")
    assert window.windowTitle() == "规划项目 — 遂昌 GIS 规划工作台"
    assert "规划项目" in window.project_label.text() and window.project_label.toolTip() == str(tmp_path)
