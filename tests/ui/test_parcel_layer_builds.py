"""The parcel layer of a large project rebuilt in the background after an edit: in order, the
latest shown, the same pixels as a build in line, and a window closed meanwhile raises nothing."""

import threading
import time

import numpy as np
import pytest
from shapely.geometry import box

pytest.importorskip("PySide6")

E0, N0 = 411_000.0, 3_165_000.0


def _rgb(image):
    from PySide6.QtGui import QImage

    image = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), dtype=np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, :image.width() * 3].reshape(image.height(), image.width(), 3).copy()


def _window(path):
    from ui.app import create_application
    from ui.main_window import MainWindow
    from ui.parcel_actions import install_parcel_editing

    create_application()
    window = MainWindow(layers=[])
    window.resize(900, 700)
    return window, install_parcel_editing(window, project_path=path, ask_recover=lambda message: True)


@pytest.fixture
def small_background(monkeypatch):
    """Layers of more than 5 parcels are built in the background (50,000 in the window)."""
    import ui.parcel_editor

    monkeypatch.setattr(ui.parcel_editor, "BACKGROUND_ROWS", 5)


def _squares(n, x0=E0):
    return [box(x0 + 150 * i, N0, x0 + 150 * i + 100, N0 + 80) for i in range(n)]


def test_the_queue_runs_in_order_and_hands_results_and_errors_to_the_gui_thread(qtbot):
    from ui.app import create_application
    from ui.background import BackgroundQueue

    create_application()
    queue = BackgroundQueue()
    got = []
    gui = threading.get_ident()

    def work(i):
        time.sleep(0.05 * (3 - i))  # the first submitted takes longest
        if i == 1:
            raise ValueError("第二个失败")
        return i, threading.get_ident()

    for i in range(3):
        queue.submit(lambda i=i: work(i), lambda result, error: got.append((result, error, threading.get_ident())))
    assert queue.pending and got == []  # nothing is delivered outside the GUI thread's events
    qtbot.waitUntil(lambda: len(got) == 3)
    assert not queue.pending
    assert [r[0] if r else None for r, _, _ in got] == [0, None, 2]
    assert isinstance(got[1][1], ValueError) and got[0][1] is None
    assert {r[1] for r, _, _ in got if r} != {gui}  # run in a worker thread
    assert {thread for _, _, thread in got} == {gui}  # delivered on the GUI thread


def test_edits_of_a_large_project_reach_the_map_in_the_background_as_a_build_in_line_draws_them(
        qtbot, tmp_path, small_background, monkeypatch):
    import ui.parcel_editor
    from suichang_gis.parcel import parcels_frame
    from suichang_gis.parcel_layer import parcel_layer
    from ui.map_canvas import render_image
    from ui.map_renderer import CanvasLayer
    from ui.parcel_commands import AddParcelsCommand

    window, actions = _window(tmp_path / "项目.gpkg")
    qtbot.addWidget(window)
    editor, canvas = actions.editor, window.canvas
    editor.push(AddParcelsCommand(editor, parcels_frame(_squares(20)), "导入"))
    editor.wait_for_refresh()
    canvas.zoom_to_layer("parcels")
    shown = []
    add_layer = canvas.add_layer
    monkeypatch.setattr(canvas, "add_layer", lambda layer, **kw: shown.append(len(layer.gdf)) or add_layer(layer, **kw))

    fids = [editor.add_polygon(b) for b in _squares(3, E0 + 40)]  # three edits, before any build is in
    editor.set_values(fids[0], {"name": "新厂区"})
    editor.delete([fids[1]])
    assert editor.refreshing  # the window did not wait for the builds
    assert shown == []
    editor.wait_for_refresh()
    assert shown == [22]  # the latest build only, with every edit
    drawn = canvas.canvas_layer("parcels")
    assert sorted(drawn.layer.gdf["fid"]) == sorted(editor.project.parcels.index)
    assert drawn.layer.gdf.set_index("fid").loc[fids[0], "name"] == "新厂区"
    image = _rgb(canvas.render_now())

    # The same pixels as the layer built in line from the project as it is now.
    monkeypatch.setattr(ui.parcel_editor, "BACKGROUND_ROWS", 10 ** 9)
    parcels = editor.project.parcels.reset_index()
    fresh = CanvasLayer(parcel_layer(parcels), drawn.state)
    assert np.array_equal(image, _rgb(render_image(canvas.view, [fresh])))
    editor.undo_stack.undo()  # in line now: shown at once
    assert shown[-1] == 23 and not editor.refreshing


def test_closing_and_deleting_the_window_during_a_build_raises_nothing(qtbot, tmp_path, small_background):
    from shiboken6 import isValid

    from suichang_gis.parcel import parcels_frame
    from ui.parcel_commands import AddParcelsCommand

    window, actions = _window(tmp_path / "项目.gpkg")
    editor = actions.editor
    editor.push(AddParcelsCommand(editor, parcels_frame(_squares(20)), "导入"))
    editor.wait_for_refresh()
    started, finished = threading.Event(), threading.Event()

    def slow_colours(frame, changed=None):  # a build still running when the window goes
        started.set()
        time.sleep(0.3)
        finished.set()
        return ()

    editor.status_source = slow_colours
    editor.add_polygon(box(E0 - 500, N0, E0 - 400, N0 + 80))
    assert started.wait(5)
    window.close()
    canvas = window.canvas
    window.deleteLater()
    qtbot.waitUntil(lambda: not isValid(canvas))  # deleting waited for the build
    assert finished.is_set()
    qtbot.wait(100)  # any delivery left would run now (pytest-qt fails the test on its exception)
    assert not actions.editor.project.path.with_name("项目.gpkg.lock").exists()


def test_opening_a_large_project_zooms_to_its_parcels(
        qtbot, tmp_path, small_background):
    from suichang_gis.parcel import parcels_frame
    from suichang_gis.project import Project

    far = [box(E0 + 20_000 + 150 * i, N0 + 9_000, E0 + 20_000 + 150 * i + 100, N0 + 9_080) for i in range(8)]
    Project.create(tmp_path / "远处.gpkg", parcels_frame(far)).close()
    window, actions = _window(tmp_path / "项目.gpkg")
    qtbot.addWidget(window)
    window.show()
    assert actions.open_project(tmp_path / "远处.gpkg")
    xmin, ymin, xmax, ymax = window.canvas.view.extent
    x0, y0, x1, y1 = actions.editor.project.parcels.total_bounds
    assert xmin <= x0 and x1 <= xmax and ymin <= y0 and y1 <= ymax  # already in view
    assert (xmax - xmin) < 2 * (x1 - x0) + 1000  # and zoomed to them, not the county
    assert not actions.editor.refreshing  # opening waited for the map (behind its progress dialog)
    assert len(window.canvas.canvas_layer("parcels").geometry) == 8


def test_a_failed_build_is_told_and_the_next_edit_draws_every_parcel(qtbot, tmp_path, small_background, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    import ui.parcel_editor
    from suichang_gis.parcel import parcels_frame
    from ui.parcel_commands import AddParcelsCommand

    told = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: told.append((title, text)))
    window, actions = _window(tmp_path / "项目.gpkg")
    qtbot.addWidget(window)
    editor, canvas = actions.editor, window.canvas
    editor.push(AddParcelsCommand(editor, parcels_frame(_squares(20)), "导入"))
    editor.wait_for_refresh()
    real = ui.parcel_editor.parcel_layer

    def fails(*args, **kwargs):
        raise MemoryError("无法分配内存")  # as a build may fail on a machine short of memory

    monkeypatch.setattr(ui.parcel_editor, "parcel_layer", fails)
    fid = editor.add_polygon(_squares(1, E0 + 40)[0])
    editor.wait_for_refresh()
    assert len(told) == 1 and told[0][0] == "地图未能更新"
    assert "候选地块图层未能按最新编辑重绘" in told[0][1] and "无法分配内存" in told[0][1]
    assert "地块数据完好" in told[0][1] and actions.last_message == told[0][1]
    assert fid in editor.project.parcels.index and len(editor.project.parcels) == 21  # the edit is kept
    assert len(canvas.canvas_layer("parcels").layer.gdf) == 20  # the map still shows the last build

    monkeypatch.setattr(ui.parcel_editor, "parcel_layer", real)
    editor.add_polygon(_squares(1, E0 + 60)[0])
    editor.wait_for_refresh()
    assert sorted(canvas.canvas_layer("parcels").layer.gdf["fid"]) == sorted(editor.project.parcels.index)
