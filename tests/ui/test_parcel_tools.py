"""Drawing and editing parcels with simulated mouse and keys; undo/redo; the attribute form.

The view is 500×500 px at 2 m per pixel with its lower-left corner at (E0, N0), so a pixel
(px, py) is the map point (E0 + 2·px, N0 + 1000 − 2·py) exactly and areas are known by hand.
"""

import math

import pytest
from shapely.geometry import box

pytest.importorskip("PySide6")

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtGui import QUndoStack  # noqa: E402

from suichang_gis.mapview import MapView  # noqa: E402
from suichang_gis.project import Project  # noqa: E402

E0, N0 = 411_000.0, 3_165_000.0
VIEW = MapView(center_x=E0 + 500, center_y=N0 + 500, resolution=2.0, width=500, height=500)


def px(x_m: float, y_m: float) -> QPoint:
    """Pixel of the map point (E0 + x_m, N0 + y_m)."""
    return QPoint(round(x_m / 2), round((1000 - y_m) / 2))


@pytest.fixture
def editor(qtbot, tmp_path):
    from ui.app import create_application
    from ui.map_canvas import MapCanvasWidget
    from ui.parcel_editor import ParcelEditor

    create_application()
    canvas = MapCanvasWidget()
    qtbot.addWidget(canvas)
    canvas.resize(VIEW.width, VIEW.height)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.set_view(VIEW)
    editor = ParcelEditor(canvas, QUndoStack(), Project.create(tmp_path / "p.gpkg"))
    return editor


def use(editor, tool_class, **kwargs):
    from ui.parcel_tools import Snapper

    tool = tool_class(editor, Snapper(editor.canvas), **kwargs)
    editor.canvas.set_tool(tool)
    return tool


def click(qtbot, editor, *points, button=Qt.MouseButton.LeftButton):
    for x, y in points:
        qtbot.mouseClick(editor.canvas, button, pos=px(x, y))


def key(qtbot, editor, k):
    qtbot.keyClick(editor.canvas, k)


def areas(editor):
    return sorted(round(a, 6) for a in editor.project.parcels.geometry.area)


def draw_square(qtbot, editor, x0=100, y0=100, size=200):
    from ui.parcel_tools import DrawPolygonTool

    use(editor, DrawPolygonTool)
    click(qtbot, editor, (x0, y0), (x0 + size, y0), (x0 + size, y0 + size), (x0, y0 + size))
    key(qtbot, editor, Qt.Key.Key_Return)


@pytest.mark.ui
def test_draw_a_known_square_by_clicks(qtbot, editor):
    draw_square(qtbot, editor)
    parcels = editor.project.parcels
    assert areas(editor) == [40_000.0]
    assert parcels.geometry.iloc[0].equals(box(E0 + 100, N0 + 100, E0 + 300, N0 + 300))
    assert editor.canvas.canvas_layer("parcels") is not None
    assert len(editor.canvas.canvas_layer("parcels").layer.gdf) == 1


@pytest.mark.ui
def test_undo_and_redo_bring_back_the_same_parcel(qtbot, editor):
    draw_square(qtbot, editor)
    fid = editor.project.parcels.index[0]
    editor.undo_stack.undo()
    assert editor.project.parcels.empty
    assert len(editor.canvas.canvas_layer("parcels").layer.gdf) == 0
    editor.undo_stack.redo()
    assert list(editor.project.parcels.index) == [fid] and areas(editor) == [40_000.0]


@pytest.mark.ui
def test_backspace_removes_the_last_vertex(qtbot, editor):
    from ui.parcel_tools import DrawPolygonTool

    use(editor, DrawPolygonTool)
    click(qtbot, editor, (100, 100), (300, 100), (300, 300), (250, 900))  # the last one is a slip
    key(qtbot, editor, Qt.Key.Key_Backspace)
    key(qtbot, editor, Qt.Key.Key_Enter)
    assert areas(editor) == [20_000.0]  # right triangle 200 × 200 / 2


@pytest.mark.ui
def test_escape_cancels_the_sketch(qtbot, editor):
    from ui.parcel_tools import DrawPolygonTool

    use(editor, DrawPolygonTool)
    click(qtbot, editor, (100, 100), (300, 100), (300, 300))
    assert "sketch" in editor.canvas.overlay_names()
    key(qtbot, editor, Qt.Key.Key_Escape)
    assert "sketch" not in editor.canvas.overlay_names()
    key(qtbot, editor, Qt.Key.Key_Return)
    assert editor.project.parcels.empty and editor.undo_stack.count() == 0


@pytest.mark.ui
def test_double_click_finishes(qtbot, editor):
    from ui.parcel_tools import DrawPolygonTool

    use(editor, DrawPolygonTool)
    click(qtbot, editor, (100, 100), (300, 100))
    qtbot.mouseDClick(editor.canvas, Qt.MouseButton.LeftButton, pos=px(300, 300))
    assert areas(editor) == [20_000.0]


@pytest.mark.ui
def test_snapping_to_a_neighbour_vertex_and_its_toggle(qtbot, editor):
    from ui.parcel_tools import DrawPolygonTool

    draw_square(qtbot, editor)  # corners at 100 and 300 m
    tool = use(editor, DrawPolygonTool)
    # 6 m (3 px) off the corner (300, 300): snapped onto it; the tolerance is 10 px.
    click(qtbot, editor, (306, 306), (500, 300), (500, 500))
    assert tool.points[0] == (E0 + 300, N0 + 300)
    key(qtbot, editor, Qt.Key.Key_Escape)
    tool.snapper.set_enabled(False)
    click(qtbot, editor, (306, 306))
    assert tool.points[0] == (E0 + 306, N0 + 306)


@pytest.mark.ui
def test_rectangle_tool(qtbot, editor):
    from ui.parcel_tools import RectangleTool

    use(editor, RectangleTool)
    qtbot.mousePress(editor.canvas, Qt.MouseButton.LeftButton, pos=px(100, 100))
    qtbot.mouseMove(editor.canvas, px(400, 300))
    qtbot.mouseRelease(editor.canvas, Qt.MouseButton.LeftButton, pos=px(400, 300))
    assert areas(editor) == [60_000.0]


@pytest.mark.ui
def test_hole(qtbot, editor):
    from ui.parcel_tools import DrawPolygonTool

    draw_square(qtbot, editor)
    use(editor, DrawPolygonTool, mode="hole")
    click(qtbot, editor, (150, 150), (250, 150), (250, 250), (150, 250))
    key(qtbot, editor, Qt.Key.Key_Return)
    assert areas(editor) == [30_000.0]
    assert len(editor.project.parcels.geometry.iloc[0].interiors) == 1
    editor.undo_stack.undo()
    assert areas(editor) == [40_000.0]


@pytest.mark.ui
def test_move_insert_and_delete_vertices(qtbot, editor):
    from ui.parcel_tools import EditVerticesTool

    draw_square(qtbot, editor)
    use(editor, EditVerticesTool)
    assert editor.selected is not None
    qtbot.mousePress(editor.canvas, Qt.MouseButton.LeftButton, pos=px(300, 300))
    qtbot.mouseMove(editor.canvas, px(400, 300))
    qtbot.mouseRelease(editor.canvas, Qt.MouseButton.LeftButton, pos=px(400, 300))
    assert areas(editor) == [50_000.0]  # square + triangle 200 × 100 / 2
    qtbot.mouseDClick(editor.canvas, Qt.MouseButton.LeftButton, pos=px(200, 100))  # on the bottom edge
    assert len(editor.project.parcels.geometry.iloc[0].exterior.coords) == 6
    click(qtbot, editor, (200, 100), button=Qt.MouseButton.RightButton)
    assert len(editor.project.parcels.geometry.iloc[0].exterior.coords) == 5
    for _ in range(3):
        editor.undo_stack.undo()
    assert areas(editor) == [40_000.0]


@pytest.mark.ui
def test_split_and_merge_are_undoable(qtbot, editor):
    from ui.parcel_tools import MergeTool, SplitTool

    draw_square(qtbot, editor)
    use(editor, SplitTool)
    click(qtbot, editor, (200, 50), (200, 350))
    key(qtbot, editor, Qt.Key.Key_Return)
    assert areas(editor) == [20_000.0, 20_000.0]
    assert sorted(editor.project.parcels["parcel_id"]) == ["P001-1", "P001-2"]
    use(editor, MergeTool)
    click(qtbot, editor, (150, 200), (250, 200))
    assert areas(editor) == [40_000.0]
    editor.undo_stack.undo()
    assert areas(editor) == [20_000.0, 20_000.0]
    editor.undo_stack.undo()
    assert areas(editor) == [40_000.0] and list(editor.project.parcels["parcel_id"]) == ["P001"]


@pytest.mark.ui
def test_move_parcel(qtbot, editor):
    from ui.parcel_tools import MoveParcelTool

    draw_square(qtbot, editor)
    use(editor, MoveParcelTool)
    qtbot.mousePress(editor.canvas, Qt.MouseButton.LeftButton, pos=px(200, 200))
    qtbot.mouseMove(editor.canvas, px(240, 180))
    qtbot.mouseRelease(editor.canvas, Qt.MouseButton.LeftButton, pos=px(240, 180))
    assert editor.project.parcels.total_bounds.tolist() == [E0 + 140, N0 + 80, E0 + 340, N0 + 280]


@pytest.mark.ui
def test_attribute_form_validates_and_edits_are_undoable(qtbot, editor):
    from PySide6.QtWidgets import QDialogButtonBox

    from ui.attribute_form import AttributeForm

    draw_square(qtbot, editor)
    fid = editor.project.parcels.index[0]
    form = AttributeForm(editor.project.parcels.loc[fid])
    qtbot.addWidget(form)
    ok = form.buttons.button(QDialogButtonBox.StandardButton.Ok)
    form.editors["floor_area_ratio"].setText("35")
    assert not ok.isEnabled() and "容积率" in form.problems_label.text()
    form.editors["floor_area_ratio"].setText("1.8")
    form.editors["name"].setText("遂昌不锈钢制品项目")
    form.editors["industry_code"].setEditText("C336")
    assert ok.isEnabled()
    values = form.values()
    assert values == {"name": "遂昌不锈钢制品项目", "industry_code": "C336", "floor_area_ratio": 1.8,
                      "industry_name": "金属表面处理及热处理加工"}
    editor.set_values(fid, values)
    assert editor.project.parcels.loc[fid, "floor_area_ratio"] == 1.8
    editor.undo_stack.undo()
    assert math.isnan(editor.project.parcels.loc[fid, "floor_area_ratio"])
    assert editor.project.parcels.loc[fid, "name"] is None


@pytest.mark.ui
def test_industry_list_is_searchable(qtbot, editor):
    from ui.attribute_form import IndustryBox

    combo = IndustryBox()
    qtbot.addWidget(combo)
    completer = combo.completer()
    completer.setCompletionPrefix("竹")
    found = [completer.completionModel().index(i, 0).data().strip() for i in range(completer.completionCount())]
    assert found == ["C20 木材加工和木、竹、藤、棕、草制品业", "C204 竹、藤、棕、草等制品制造", "C212 竹、藤家具制造"]
