import gc
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

pytest.importorskip("PySide6")

from suichang_gis.catalog import LayerSpec, MapLayer, Provenance, Style
from suichang_gis.mapview import MapView

RED, BLUE = "#ff0000", "#0000ff"
VIEW = MapView(center_x=500, center_y=500, resolution=2.0, width=500, height=500)  # 0..1000 m


def make_layer(layer_id, geometries, style, names=None, group="一城五区", attribution=None,
               geometry_type="Polygon", accuracy="权威"):
    spec = LayerSpec(id=layer_id, title=layer_id, group=group, geometry_type=geometry_type,
                     data=Path("none.geojson"), version="t",
                     provenance=Provenance("test", "test", accuracy, "hand-made", attribution),
                     style=style)
    gdf = gpd.GeoDataFrame({"name": names or [f"{layer_id}{i}" for i in range(len(geometries))]},
                           geometry=geometries, crs="EPSG:4549")
    return MapLayer(spec, gdf)


@pytest.fixture
def canvas(qtbot):
    from ui.app import create_application
    from ui.map_canvas import MapCanvasWidget

    create_application()
    canvas = MapCanvasWidget()
    qtbot.addWidget(canvas)
    canvas.resize(VIEW.width, VIEW.height)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.set_view(VIEW)
    return canvas


def rgb(image, x, y):
    c = image.pixelColor(int(x), int(y))
    return c.red(), c.green(), c.blue()


def as_array(image):
    from PySide6.QtGui import QImage

    image = image.convertToFormat(QImage.Format.Format_RGB32)
    return np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.width(), 4).copy()


@pytest.mark.ui
def test_toggling_a_layer_changes_pixels_only_where_it_lies(canvas):
    left = make_layer("left", [box(100, 100, 400, 900)], Style(fill=RED, stroke=RED))
    right = make_layer("right", [box(600, 100, 900, 900)], Style(fill=BLUE, stroke=BLUE))
    canvas.set_layers([left, right])
    both = as_array(canvas.render_now())
    canvas.set_layer_visible("left", False)
    without_left = as_array(canvas.render_now())
    changed = np.any(both != without_left, axis=2)
    rows, cols = np.nonzero(changed)
    # left box covers x 100..400 m → columns 50..200, y 900..100 m → rows 50..450 (±1 px edge)
    assert changed.sum() > 0.9 * 150 * 400
    assert cols.min() >= 49 and cols.max() <= 201 and rows.min() >= 49 and rows.max() <= 451
    assert rgb(canvas.render_now(), 375, 250)[2] > 200  # the right box is still blue


@pytest.mark.ui
def test_reordering_changes_which_layer_is_on_top(canvas):
    red = make_layer("red", [box(200, 200, 800, 800)], Style(fill=RED, stroke=RED))
    blue = make_layer("blue", [box(400, 400, 600, 600)], Style(fill=BLUE, stroke=BLUE))
    canvas.set_layers([red, blue])  # blue drawn last, on top
    x, y = canvas.to_screen(500, 500).toTuple()
    assert rgb(canvas.render_now(), x, y) == (0, 0, 255)
    canvas.move_layer("blue", 0)
    assert canvas.layer_ids() == ["blue", "red"]
    assert rgb(canvas.render_now(), x, y) == (255, 0, 0)


@pytest.mark.ui
def test_layer_tree_moves_a_layer_up_within_its_group(canvas):
    from ui.layer_tree import LayerTreeWidget

    red = make_layer("red", [box(200, 200, 800, 800)], Style(fill=RED, stroke=RED), accuracy="示意")
    blue = make_layer("blue", [box(400, 400, 600, 600)], Style(fill=BLUE, stroke=BLUE), accuracy="示意")
    canvas.set_layers([blue, red])
    tree = LayerTreeWidget(canvas)
    group = tree.topLevelItem(0)
    assert [group.child(i).text(0) for i in range(2)] == ["red（示意）", "blue（示意）"]  # top first
    tree.move_layer_up("blue")
    assert canvas.layer_ids() == ["red", "blue"]
    group = tree.topLevelItem(0)
    assert group.child(0).text(0) == "blue（示意）"
    group.child(0).setCheckState(0, group.child(0).checkState(0).__class__.Unchecked)
    assert not canvas.canvas_layer("blue").visible


@pytest.mark.ui
def test_canvas_and_tree_follow_the_map_model(canvas, qtbot):
    from ui.layer_tree import LayerTreeWidget

    red = make_layer("red", [box(200, 200, 800, 800)], Style(fill=RED, stroke=RED))
    canvas.set_layers([red])
    tree = LayerTreeWidget(canvas)
    x, y = canvas.to_screen(500, 500).toTuple()
    assert rgb(canvas.render_now(), x, y) == (255, 0, 0)
    canvas.model.set_opacity("red", 0.5)  # an edit of the model, not of a widget
    from ui.map_canvas import BACKGROUND

    background = (BACKGROUND.red(), BACKGROUND.green(), BACKGROUND.blue())
    expected = [0.5 * r + 0.5 * b for r, b in zip((255, 0, 0), background)]  # 50 % red over the background
    assert rgb(canvas.render_now(), x, y) == pytest.approx(expected, abs=2)
    canvas.model.set_visible("red", False)
    assert tree.layer_item("red").checkState(0) == tree.layer_item("red").checkState(0).__class__.Unchecked
    canvas.model.set_extent((300.0, 300.0, 700.0, 700.0))  # the map centred on (500, 500), closer
    xmin, ymin, xmax, ymax = canvas.view.extent
    assert (xmin + xmax) / 2 == pytest.approx(500) and (ymin + ymax) / 2 == pytest.approx(500)
    assert xmax - xmin == pytest.approx(400, rel=0.01)
    canvas.zoom_by(2.0)
    assert canvas.model.extent == pytest.approx(canvas.view.extent)


@pytest.mark.ui
def test_wheel_zoom_keeps_the_map_point_under_the_cursor(canvas, qtbot):
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    cursor = QPointF(120, 330)
    before = canvas.to_map(cursor)
    event = QWheelEvent(cursor, canvas.mapToGlobal(cursor), QPoint(0, 0), QPoint(0, 240),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(canvas, event)
    assert canvas.view.resolution == pytest.approx(2.0 / 1.25 ** 2)
    assert canvas.to_map(cursor) == pytest.approx(before)


@pytest.mark.ui
def test_sharp_render_arrives_from_the_worker_thread(canvas, qtbot):
    canvas.set_layers([make_layer("red", [box(200, 200, 800, 800)], Style(fill=RED, stroke=RED))])
    with qtbot.waitSignal(canvas.render_finished, timeout=5000):
        canvas.refresh()
    image = canvas.grab().toImage()
    x, y = canvas.to_screen(500, 500).toTuple()
    assert rgb(image, x, y) == (255, 0, 0)


@pytest.mark.ui
def test_previous_and_next_extent(canvas):
    first = canvas.view
    canvas.zoom_to_extent((0, 0, 100, 100))
    zoomed = canvas.view
    canvas.previous_extent()
    assert canvas.view == first
    canvas.next_extent()
    assert canvas.view == zoomed


@pytest.mark.ui
def test_identify_tool_lists_every_overlapping_zone(canvas, qtbot):
    from PySide6.QtCore import Qt

    from ui.map_tools import IdentifyTool

    zones = make_layer("zones", [box(100, 100, 600, 600), box(400, 400, 900, 900), None],
                       Style(fill="#00ff0080"), names=["甲区", "乙区", "未落位"])
    canvas.set_layers([zones])
    tool = IdentifyTool()
    canvas.set_tool(tool)
    with qtbot.waitSignal(tool.identified) as blocker:
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.to_screen(500, 500).toPoint())
    names = sorted(hit.attributes["name"] for hit in blocker.args[2])
    assert names == ["乙区", "甲区"]
    assert "identify" in canvas.overlay_names()


@pytest.mark.ui
def test_measure_tool_gives_the_distance_between_two_clicks(canvas, qtbot):
    from PySide6.QtCore import Qt

    from ui.map_tools import MeasureTool

    tool = MeasureTool(area=False)
    canvas.set_tool(tool)
    results = []
    tool.measured.connect(lambda text, result: results.append(result))
    for x, y in ((100, 100), (700, 900)):  # 600 × 800 → 1,000 m
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.to_screen(x, y).toPoint())
    assert results[-1].length_m == pytest.approx(1000.0, abs=3.0)  # within a pixel per click


@pytest.mark.ui
def test_overlay_is_drawn_on_top_and_cleared(canvas):
    canvas.set_layers([make_layer("red", [box(0, 0, 1000, 1000)], Style(fill=RED, stroke=RED))])
    canvas.render_now()
    canvas.set_overlay("check", [box(400, 400, 600, 600)], Style(fill=BLUE, stroke=BLUE))
    x, y = canvas.to_screen(500, 500).toTuple()
    assert rgb(canvas.grab().toImage(), x, y) == (0, 0, 255)
    canvas.clear_overlay("check")
    assert rgb(canvas.grab().toImage(), x, y) == (255, 0, 0)


@pytest.mark.ui
def test_attribution_is_shown_only_while_such_a_layer_is_drawn(canvas):
    osm = make_layer("osm", [Point(500, 500)], Style(fill=RED), attribution="© OpenStreetMap contributors",
                     geometry_type="Point")
    canvas.set_layers([osm])
    assert canvas.attributions() == ["© OpenStreetMap contributors"]
    canvas.set_layer_visible("osm", False)
    assert canvas.attributions() == []


@pytest.mark.ui
def test_labels_do_not_pile_up(canvas):
    from PySide6.QtGui import QImage, QPainter

    from ui.map_renderer import CanvasLayer, paint_labels

    points = make_layer("seats", [Point(500, 500), Point(502, 501), Point(800, 200)],
                        Style(fill=RED, label_field="name"), names=["遂昌县城", "妙高街道", "王村口镇"],
                        geometry_type="Point")
    image = QImage(VIEW.width, VIEW.height, QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    drawn = paint_labels(painter, VIEW, [CanvasLayer(points)])
    painter.end()
    assert drawn == 2  # the second name at the same spot is left out


@pytest.mark.ui
def test_drawing_many_primitives_does_not_corrupt_none_refcount(canvas):
    # PySide6 6.12.0 lowered None's refcount on every void Qt call (DESIGN.md section 7).
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QImage, QPainter, QPainterPath

    from ui.map_canvas import render_image
    from ui.map_renderer import CanvasLayer

    cells = [box(x, y, x + 3, y + 3) for x in range(0, 1000, 10) for y in range(0, 1000, 10)]
    grid = CanvasLayer(make_layer("grid", cells, Style(fill=RED)))
    image = QImage(200, 200, QImage.Format.Format_ARGB32_Premultiplied)
    gc.collect()
    before = sys.getrefcount(None)
    painter = QPainter(image)
    path = QPainterPath()
    for i in range(150_000):  # 300,000 calls of Qt methods that return nothing
        path.lineTo(QPointF(i % 200, (i * 7) % 200))
        painter.drawLine(0, 0, i % 200, 10)
    painter.drawPath(path)
    painter.end()
    render_image(VIEW, [grid])
    gc.collect()
    # The broken build loses one reference per call (300,000 here); allow ordinary churn.
    assert sys.getrefcount(None) > before - 100


@pytest.mark.ui
def test_features_without_geometry_are_skipped_when_drawing(canvas):
    layer = make_layer("plan", [None, box(400, 400, 600, 600)], Style(fill=RED, stroke=RED))
    canvas.set_layers([layer])
    x, y = canvas.to_screen(500, 500).toTuple()
    assert rgb(canvas.render_now(), x, y) == (255, 0, 0)


@pytest.mark.ui
def test_dragging_in_the_tree_reorders_within_the_group_only(canvas):
    from ui.layer_tree import LayerTreeWidget

    a = make_layer("a", [box(0, 0, 10, 10)], Style(fill=RED))
    b = make_layer("b", [box(0, 0, 10, 10)], Style(fill=RED), group="行政区划")
    c = make_layer("c", [box(0, 0, 10, 10)], Style(fill=BLUE))
    canvas.set_layers([a, b, c])  # bottom first; a and c share a group
    tree = LayerTreeWidget(canvas)
    group = next(tree.topLevelItem(i) for i in range(2) if tree.topLevelItem(i).text(0) == "一城五区")
    moved = group.takeChild(1)  # "a", drawn below "c", dragged to the top of its group
    group.insertChild(0, moved)
    tree.apply_tree_order()
    assert canvas.layer_ids() == ["c", "b", "a"]  # a takes c's slot, b stays in between


@pytest.mark.ui
def test_zoom_box_tool_zooms_to_the_dragged_rectangle(canvas, qtbot):
    from PySide6.QtCore import Qt

    from ui.map_tools import ZoomBoxTool

    canvas.set_tool(ZoomBoxTool())
    start, end = canvas.to_screen(200, 600).toPoint(), canvas.to_screen(400, 400).toPoint()
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(canvas, end)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=end)
    xmin, ymin, xmax, ymax = canvas.view.extent
    assert xmin <= 201 and xmax >= 399 and ymin <= 401 and ymax >= 599
    assert canvas.view.resolution == pytest.approx(200 / VIEW.height, rel=0.02)  # square box, square view
    assert "zoom_box" not in canvas.overlay_names()


@pytest.mark.ui
def test_area_tool_measures_a_clicked_square_in_mu(canvas, qtbot):
    from PySide6.QtCore import Qt

    from ui.map_tools import MeasureTool

    tool = MeasureTool(area=True)
    canvas.set_tool(tool)
    results = []
    tool.measured.connect(lambda text, result: results.append((text, result)))
    corners = [(100, 100), (300, 100), (300, 300), (100, 300)]  # 200 m square: 40,000 m² = 60 亩
    for x, y in corners:
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.to_screen(x, y).toPoint())
    qtbot.mouseClick(canvas, Qt.MouseButton.RightButton, pos=canvas.to_screen(100, 300).toPoint())
    text, result = results[-1]
    assert result.area_m2 == pytest.approx(40_000, rel=0.03)
    assert result.area_mu == pytest.approx(60, rel=0.03) and "亩" in text


@pytest.mark.ui
def test_status_bar_follows_the_cursor_in_both_coordinate_systems(canvas, qtbot):
    from suichang_gis.crs import to_lonlat
    from ui.status_bar import MapStatusBar

    bar = MapStatusBar(canvas)
    canvas.set_view(MapView(412_000, 3_156_000, 2.0, VIEW.width, VIEW.height))
    qtbot.mouseMove(canvas, canvas.to_screen(412_100, 3_156_050).toPoint())
    assert bar.position_label.text() == "X: 412,100.0  Y: 3,156,050.0"
    lon, lat = to_lonlat(412_100, 3_156_050)
    assert f"{lon:.5f}" in bar.lonlat_label.text() and f"{lat:.5f}" in bar.lonlat_label.text()


@pytest.mark.ui
def test_unchecking_a_group_hides_all_its_layers(canvas):
    from PySide6.QtCore import Qt

    from ui.layer_tree import LayerTreeWidget

    a = make_layer("a", [box(0, 0, 10, 10)], Style(fill=RED))
    b = make_layer("b", [box(0, 0, 10, 10)], Style(fill=RED), group="行政区划")
    c = make_layer("c", [box(0, 0, 10, 10)], Style(fill=BLUE))
    canvas.set_layers([a, b, c])
    tree = LayerTreeWidget(canvas)
    group = next(tree.topLevelItem(i) for i in range(2) if tree.topLevelItem(i).text(0) == "一城五区")
    group.setCheckState(0, Qt.CheckState.Unchecked)
    assert [layer.visible for layer in canvas.canvas_layers()] == [False, True, False]


@pytest.mark.ui
def test_lines_are_coloured_by_class_and_the_legend_lists_the_classes(canvas):
    from shapely.geometry import LineString

    from ui.legend import legend_entries

    style = Style(stroke="#000000", stroke_width=6.0, stroke_field="kind",
                  stroke_by={"高速公路": RED, "县乡道": BLUE})
    roads = make_layer("roads", [LineString([(100, 300), (900, 300)]), LineString([(100, 700), (900, 700)])],
                       style, geometry_type="LineString")
    roads.gdf["kind"] = ["高速公路", "县乡道"]
    canvas.set_layers([roads])
    image = canvas.render_now()
    assert rgb(image, *canvas.to_screen(500, 300).toTuple()) == (255, 0, 0)
    assert rgb(image, *canvas.to_screen(500, 700).toTuple()) == (0, 0, 255)
    rows = legend_entries(canvas.canvas_layer("roads"))
    assert [text for text, _, is_title in rows if not is_title] == ["高速公路", "县乡道"]


@pytest.mark.ui
def test_a_schematic_area_is_drawn_lighter_and_hatched(canvas):
    """The canvas draws a 示意 layer with the schematic treatment of the one style model."""
    from suichang_gis.catalog import lighten

    plain = make_layer("plain", [box(100, 300, 450, 700)], Style(fill=BLUE, stroke=RED, stroke_width=0.5))
    sketch = make_layer("sketch", [box(550, 300, 900, 700)], Style(fill=BLUE, stroke=RED, stroke_width=0.5),
                        accuracy="示意")
    canvas.set_layers([plain, sketch])
    image = canvas.render_now()
    plain_px = {rgb(image, x, y) for x in range(80, 120) for y in range(220, 260)}
    sketch_px = {rgb(image, x, y) for x in range(330, 370) for y in range(220, 260)}
    assert plain_px == {(0, 0, 255)}
    light = lighten(BLUE)
    assert (int(light[1:3], 16), int(light[3:5], 16), int(light[5:7], 16)) in sketch_px  # lighter fill
    assert any(r > 200 and g < 120 for r, g, _ in sketch_px)  # hatching in the outline colour


def tiles_by_cell(canvas_layer, band):
    """(style key, tile cell) -> the cached (paths, dots) of one tile of a drawn layer."""
    *_, cells = canvas_layer._tile_index(band)
    return {(canvas_layer.style_keys[code], tuple(cells[tile])): built
            for (b, code), tiles in canvas_layer._tiles.items() if b == band for tile, built in tiles.items()}


@pytest.mark.ui
def test_an_edit_rebuilds_only_the_tiles_of_the_changed_parcels(canvas, qtbot):
    import threading

    from suichang_gis.mapview import band_resolution
    from ui.map_canvas import render_image
    from ui.map_renderer import TILE_PX, CanvasLayer

    # 36 parcels in the 4 tiles the view shows (512 m squares at 2 m per pixel), two colours.
    boxes = [box(x, y, x + 100, y + 100) for x in range(20, 980, 160) for y in range(20, 980, 160)]
    kinds = ["a" if i % 3 else "b" for i in range(len(boxes))]
    style = Style(fill=RED, stroke="#000000", fill_field="name", fill_by={"a": RED, "b": BLUE}, label_field="name")
    before = make_layer("parcels", boxes, style, names=kinds)
    canvas.add_layer(before)
    canvas.render_now()
    band = canvas.view.zoom_band
    old = tiles_by_cell(canvas.canvas_layer("parcels"), band)
    assert len({cell for _, cell in old}) == 4

    def cell(geometry):
        x0, y0, x1, y1 = geometry.bounds
        size = TILE_PX * band_resolution(band)
        return (int((x0 + x1) / 2 // size), int((y0 + y1) / 2 // size))

    # Move parcel 0 (a "b", tile (0, 0)) and recolour parcel 35 (an "a", tile (1, 1)); the other
    # rows keep their geometry objects, as the project's frame does after an edit.
    gdf = before.gdf.copy()
    moved = box(300, 20, 400, 120)
    gdf.loc[0, "geometry"] = moved
    gdf.loc[35, "name"] = "b"
    after = MapLayer(before.spec, gdf)
    prepared = []  # converted in a worker thread, as the window does for a large project
    worker = threading.Thread(target=lambda: prepared.append(canvas.prepare_layer(after)))
    worker.start()
    worker.join()
    canvas.add_layer(after, prepared=prepared[0])
    drawn = canvas.canvas_layer("parcels")
    assert drawn is prepared[0] and drawn.geometry.prepared == 1  # only the moved parcel converted
    image = canvas.render_now()
    new = tiles_by_cell(drawn, band)

    colour = {key.fill: key for key in drawn.style_keys}
    changed = {(colour[BLUE], cell(boxes[0])), (colour[BLUE], cell(moved)),
               (colour[RED], cell(boxes[35])), (colour[BLUE], cell(boxes[35]))}
    assert {tile for _, tile in changed} == {(0, 0), (1, 1)} and len(changed) == 3
    assert set(new) == set(old)
    for group, built in new.items():
        if group in changed:
            assert built is not old[group], group  # built again
        else:
            assert built is old[group], group  # the very paths and dots drawn before
    # What is painted equals a layer converted from scratch.
    fresh = render_image(canvas.view, [CanvasLayer(after, drawn.state)])
    assert np.array_equal(as_array(image), as_array(fresh))
    assert drawn.labels()[1] == list(gdf["name"])
    assert np.allclose(drawn.labels()[0], CanvasLayer(after, drawn.state).labels()[0])


@pytest.mark.ui
def test_after_an_edit_only_the_changed_area_is_painted_again(canvas):
    from ui.map_canvas import render_image

    under = make_layer("under", [box(0, 0, 1000, 1000), Point(505, 215).buffer(60)],
                       Style(fill="#cae8a6", stroke="#1a7a3a", stroke_width=1.2, hatch="diagonal"))
    boxes = [box(x, y, x + 100, y + 100) for x in range(20, 980, 160) for y in range(20, 980, 160)]
    parcels = make_layer("parcels", boxes, Style(fill=RED, stroke="#000000", stroke_width=1.4, label_field="name"))
    canvas.add_layer(under)
    canvas.add_layer(parcels)
    canvas.render_now()
    assert canvas.last_patch is None  # the first render paints everything
    gdf = parcels.gdf.copy()
    gdf.loc[14, "geometry"] = box(520, 200, 600, 300)  # moved over the circle of the layer under it
    canvas.add_layer(MapLayer(parcels.spec, gdf))
    image = canvas.render_now()
    x, y, w, h = canvas.last_patch
    assert w * h < 0.1 * VIEW.width * VIEW.height  # about the old and new place of one parcel
    # The same pixels as painting every layer again.
    whole = render_image(canvas.view, canvas.canvas_layers())
    assert np.array_equal(as_array(image), as_array(whole))
    # Hiding a layer is no edit of features: everything is painted again.
    canvas.set_layer_visible("under", False)
    canvas.render_now()
    assert canvas.last_patch is None


@pytest.mark.ui
def test_a_superseded_render_stops_part_way_and_the_next_one_draws_everything(canvas, qtbot):
    from ui.map_canvas import BACKGROUND
    from ui.map_renderer import RenderSuperseded
    from ui.render_patch import render

    cells = [box(x, y, x + 40, y + 40) for x in range(0, 1000, 50) for y in range(0, 1000, 50)]
    canvas.set_layers([make_layer("cells", cells, Style(fill=RED, stroke=BLUE, stroke_width=0.3))])
    layers = canvas.canvas_layers()
    asked = []

    def stale():  # a newer render is wanted once drawing has begun
        asked.append(1)
        return len(asked) > 2

    with pytest.raises(RenderSuperseded):
        render(canvas.view, layers, BACKGROUND, stale=stale)
    assert len(asked) == 3  # asked between drawing calls; stopped at the first True

    # The canvas: a render given up delivers nothing; the refresh after it draws the whole map.
    canvas.wait_for_render()
    qtbot.wait(50)
    finished = []
    canvas.render_finished.connect(lambda: finished.append(1))
    canvas.refresh()
    canvas.supersede_render()
    canvas.wait_for_render()
    qtbot.wait(50)
    assert finished == []
    canvas.refresh()
    qtbot.waitUntil(lambda: finished == [1])
    whole, _, _ = render(canvas.view, layers, BACKGROUND)
    assert np.array_equal(as_array(canvas.render_now()), as_array(whole))
