"""Parcel editing in the main window: menus, import with report, failed import, export, recovery."""

import pytest
from shapely.geometry import box

pytest.importorskip("PySide6")

E0, N0 = 411_000.0, 3_165_000.0
TXT = """[属性描述]
坐标系=2000国家大地坐标系
带号=40
[地块坐标]
5,1.0000,P101,甲地块,面,,工业用地,,@
J1,1,3165000.000,40411000.000
J2,1,3165000.000,40411100.000
J3,1,3165100.000,40411100.000
J4,1,3165100.000,40411000.000
J1,1,3165000.000,40411000.000
4,1.0000,P102,乙地块,面,,工业用地,,@
J1,1,3165200.000,40411000.000
J2,1,3165200.000,40411100.000
J3,1,3165300.000,40411100.000
J4,1,3165300.000,40411000.000
"""


def make_window(qtbot, path, ask=lambda message: True):
    from ui.app import create_application
    from ui.main_window import MainWindow
    from ui.parcel_actions import install_parcel_editing

    create_application()
    window = MainWindow(layers=[])
    qtbot.addWidget(window)
    window.resize(1000, 700)
    return window, install_parcel_editing(window, project_path=path, ask_recover=ask)


def crash(project) -> None:
    """Leave what kill -9 leaves: the journal, and a lock naming a process that has ended."""
    import json
    import subprocess
    import sys

    project._finalizer.detach()
    project._journal.close()
    project._store.close()
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True).stdout)
    lock = project.path.with_name(project.path.name + ".lock")
    lock.write_text(json.dumps(json.loads(lock.read_text(encoding="utf-8")) | {"pid": dead}), encoding="utf-8")


@pytest.fixture
def warnings(monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    return shown


@pytest.mark.ui
def test_menus_and_tools_are_in_the_window(qtbot, tmp_path):
    window, actions = make_window(qtbot, tmp_path / "p.gpkg")
    file_texts = [a.text() for a in window.menus["文件"].actions()]
    assert file_texts.index("导入地块…") < file_texts.index("打开图层…")
    assert {"新建项目…", "打开项目…", "保存项目", "导出地块…"} <= set(file_texts)
    tool_texts = {a.text() for a in window.tool_group.actions()}
    assert {"绘制地块", "绘制矩形地块", "挖洞", "编辑顶点", "移动地块", "分割地块", "合并地块"} <= tool_texts
    actions.tool_actions["绘制地块"].trigger()
    assert window.canvas.tool is actions.tools["绘制地块"][0]


@pytest.mark.ui
def test_import_adds_parcels_as_one_undoable_edit_with_a_report(qtbot, tmp_path, warnings):
    (tmp_path / "界址点.txt").write_bytes(TXT.encode("gbk"))
    window, actions = make_window(qtbot, tmp_path / "p.gpkg")
    actions.import_file(tmp_path / "界址点.txt")
    qtbot.waitUntil(lambda: len(actions.editor.project.parcels) == 2, timeout=10_000)
    assert warnings == []
    assert sorted(actions.editor.project.parcels.geometry.area.round(6)) == [10_000.0, 10_000.0]
    report = actions.last_import_report
    assert "导入 2 个地块" in report and "GBK" in report and "未闭合" in report and "带号" in report
    assert actions.parcel_list.rowCount() == 2
    actions.import_file(tmp_path / "界址点.txt")  # the same file again: ids must stay unique
    qtbot.waitUntil(lambda: len(actions.editor.project.parcels) == 4, timeout=10_000)
    assert actions.editor.project.parcels["parcel_id"].nunique() == 4
    assert "P101→" in actions.last_import_report
    window.undo_stack.undo()
    window.undo_stack.undo()
    assert actions.editor.project.parcels.empty and actions.parcel_list.rowCount() == 0


@pytest.mark.ui
def test_failed_import_leaves_the_project_unchanged(qtbot, tmp_path, warnings):
    (tmp_path / "坏.txt").write_text(TXT.replace("40411100.000\nJ3", "\nJ3", 1), encoding="utf-8")
    window, actions = make_window(qtbot, tmp_path / "p.gpkg")
    actions.editor.add_polygon(box(E0, N0, E0 + 50, N0 + 50))
    before = actions.editor.project.parcels.copy()
    edits = window.undo_stack.count()
    actions.import_file(tmp_path / "坏.txt")
    qtbot.waitUntil(lambda: bool(warnings), timeout=10_000)
    assert "坏.txt 第 7 行" in warnings[0] and "缺少点 J2 的 Y 坐标" in warnings[0] and "项目未改变" in warnings[0]
    assert actions.editor.project.parcels.equals(before) and window.undo_stack.count() == edits


@pytest.mark.ui
def test_export_writes_what_the_project_holds(qtbot, tmp_path, warnings):
    from suichang_gis.parcel_io import read_parcels

    window, actions = make_window(qtbot, tmp_path / "p.gpkg")
    actions.editor.add_polygon(box(E0, N0, E0 + 200, N0 + 100))
    assert actions.export_file(tmp_path / "给CAD.dxf")
    back = read_parcels(tmp_path / "给CAD.dxf").parcels
    assert back.geometry.area.tolist() == [20_000.0] and back["parcel_id"].tolist() == ["P001"]


@pytest.mark.ui
def test_next_start_offers_to_recover_unsaved_edits(qtbot, tmp_path):
    window, actions = make_window(qtbot, tmp_path / "p.gpkg")
    actions.editor.add_polygon(box(E0, N0, E0 + 100, N0 + 100))
    actions.editor.set_values(actions.editor.selected, {"name": "未保存的地块"})
    crash(actions.editor.project)  # the process dies here
    asked = []
    window2, actions2 = make_window(qtbot, tmp_path / "p.gpkg", ask=lambda m: asked.append(m) or True)
    assert asked and "2 步编辑" in asked[0]
    assert actions2.editor.project.parcels["name"].tolist() == ["未保存的地块"]
    assert window2.windowTitle().startswith("*p")
    actions2.save()
    assert not window2.windowTitle().startswith("*")


@pytest.mark.ui
def test_layer_choices_are_kept_in_the_project(qtbot, tmp_path):
    from pathlib import Path

    import geopandas as gpd

    from suichang_gis.catalog import LayerSpec, MapLayer, Provenance, Style
    from ui.app import create_application
    from ui.main_window import MainWindow
    from ui.parcel_actions import install_parcel_editing

    def window_with_roads():
        spec = LayerSpec(id="roads", title="道路", group="交通", geometry_type="Polygon", data=Path("x.geojson"),
                         version="t", provenance=Provenance("test", "test", "示意", "hand-made"), style=Style())
        layer = MapLayer(spec, gpd.GeoDataFrame(geometry=[box(E0, N0, E0 + 10, N0 + 10)], crs="EPSG:4549"))
        create_application()
        window = MainWindow(layers=[layer])
        qtbot.addWidget(window)
        return window, install_parcel_editing(window, project_path=tmp_path / "p.gpkg", ask_recover=lambda m: True)

    window, actions = window_with_roads()
    window.canvas.set_layer_visible("roads", False)
    window.canvas.set_layer_opacity("roads", 0.4)
    assert actions.editor.project.layer_settings["roads"] == {"visible": False, "opacity": 0.4, "order": 0}
    actions.save()
    window.close()  # releases the project for the next window
    window2, _ = window_with_roads()
    roads = window2.canvas.canvas_layer("roads")
    assert (roads.visible, roads.opacity) == (False, 0.4)


@pytest.mark.ui
def test_dxf_import_options_offer_layers_and_units(qtbot, tmp_path):
    import ezdxf

    from ui.parcel_actions import ImportOptionsDialog

    doc = ezdxf.new("R2010", units=4)
    for layer in ("红线", "建筑"):
        doc.layers.add(layer)
        doc.modelspace().add_lwpolyline([(0, 0), (1, 0), (1, 1)], close=True, dxfattribs={"layer": layer})
    doc.saveas(tmp_path / "a.dxf")
    window, _ = make_window(qtbot, tmp_path / "p.gpkg")
    dialog = ImportOptionsDialog(tmp_path / "a.dxf", window)
    qtbot.addWidget(dialog)
    assert dialog.options() == {"gcj02": None}
    dialog.layer.setCurrentIndex(dialog.layer.findData("红线"))
    dialog.units.setCurrentIndex(dialog.units.findData(0.001))
    dialog.crs.setCurrentIndex(dialog.crs.findData("EPSG:4528"))
    assert dialog.options() == {"gcj02": None, "layer": "红线", "units": 0.001, "crs": "EPSG:4528"}
    assert not dialog.gcj02.isEnabled()


GUI_EDITOR = """
import sys
from PySide6.QtGui import QUndoStack
from shapely.geometry import box
from suichang_gis.project import Project
from ui.app import create_application
from ui.map_canvas import MapCanvasWidget
from ui.parcel_editor import ParcelEditor

create_application()
editor = ParcelEditor(MapCanvasWidget(), QUndoStack(), Project.open(sys.argv[1]))
i = 0
while True:  # draw and name parcels through the undo stack until killed
    i += 1
    fid = editor.add_polygon(box(411000 + 150 * i, 3165000, 411100 + 150 * i, 3165100))
    editor.set_values(fid, {"name": f"第{i}块"})
    print(i, flush=True)
"""


@pytest.mark.ui
def test_killed_window_process_recovers_on_next_start(qtbot, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from suichang_gis.project import Project

    path = tmp_path / "p.gpkg"
    Project.create(path)
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(root))
    child = subprocess.Popen([sys.executable, "-c", GUI_EDITOR, str(path)], stdout=subprocess.PIPE, text=True, env=env)
    done = 0
    while done < 8:
        done = int(child.stdout.readline())
    child.send_signal(signal.SIGKILL)
    child.wait()
    asked = []
    window, actions = make_window(qtbot, path, ask=lambda m: asked.append(m) or True)
    names = actions.editor.project.parcels["name"].tolist()
    assert len(asked) == 1 and len(names) >= done
    assert names[:done] == [f"第{i}块" for i in range(1, done + 1)]


def test_one_edit_on_a_large_project_converts_only_that_parcel_for_the_map(qtbot, tmp_path, monkeypatch):
    import ui.legend
    from suichang_gis.parcel import parcels_frame
    from ui.check_panel import install_check_panel
    from ui.parcel_commands import AddParcelsCommand

    window, actions = make_window(qtbot, tmp_path / "项目.gpkg")
    editor = actions.editor
    install_check_panel(window, editor)
    squares = [box(E0 + 30 * (i % 40), N0 + 30 * (i // 40), E0 + 30 * (i % 40) + 20, N0 + 30 * (i // 40) + 20)
               for i in range(1500)]
    editor.push(AddParcelsCommand(editor, parcels_frame(squares), "导入"))
    assert len(window.canvas.canvas_layer("parcels").geometry) == 1500
    legend_built = []
    entries = ui.legend.legend_entries
    monkeypatch.setattr(ui.legend, "legend_entries", lambda layer: legend_built.append(layer.id) or entries(layer))

    fid = editor.add_polygon(box(E0 - 500, N0 - 500, E0 - 420, N0 - 440))
    drawn = window.canvas.canvas_layer("parcels")
    assert drawn.geometry.prepared == 1  # the drawn parcel, not the 1500 before it
    assert len(drawn.geometry) == 1501
    assert drawn.geometry.bounds[:2] == (E0 - 500, N0 - 500)

    legend_built.clear()
    editor.set_values(fid, {"name": "新厂区"})  # an attribute: no geometry to convert, no legend change
    drawn = window.canvas.canvas_layer("parcels")
    assert drawn.geometry.prepared == 0 and len(drawn.geometry) == 1501
    assert legend_built == []

    editor.undo_stack.undo()
    editor.undo_stack.undo()  # the drawn parcel is gone again, the others stay converted
    drawn = window.canvas.canvas_layer("parcels")
    assert drawn.geometry.prepared == 0 and len(drawn.geometry) == 1500
    assert drawn.geometry.bounds[:2] == (E0, N0)


def test_the_parcel_list_shows_each_parcels_values_as_its_rows_are_read(qtbot, tmp_path):
    from PySide6.QtCore import Qt

    window, actions = make_window(qtbot, tmp_path / "p.gpkg")
    editor = actions.editor
    first = editor.add_polygon(box(E0, N0, E0 + 100, N0 + 100))  # 10,000 m² = 15 亩
    editor.set_values(first, {"name": "甲厂", "industry_code": "C3130", "industrial_category": "二类"})
    second = editor.add_polygon(box(E0 + 300, N0, E0 + 340, N0 + 50))  # 2,000 m² = 3 亩
    editor.set_values(second, {"industry_code": "C2614", "industry_name": "有机化学原料制造"})
    model = actions.parcel_list.list_model
    rows = [[model.data(model.index(row, column), Qt.ItemDataRole.DisplayRole) for column in range(5)]
            for row in range(model.rowCount())]
    ids = editor.project.parcels["parcel_id"]
    assert rows == [[ids[first], "甲厂", "15.00", "C3130", "二类"],
                    [ids[second], "", "3.00", "有机化学原料制造", ""]]
    assert [model.fids[row] for row in range(2)] == [first, second]
