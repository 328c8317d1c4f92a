"""Digitising like a professional tool, project layers, findings by eye, 示意 in the layer tree."""

import math

import pytest
from shapely.geometry import box

pytest.importorskip("PySide6")

X0, Y0 = 430_000.0, 3_163_000.0


def full_window(qtbot, project_path, layers=()):
    from ui.app import create_application
    from ui.check_panel import install_check_panel
    from ui.main_window import MainWindow
    from ui.parcel_actions import install_parcel_editing

    create_application()
    window = MainWindow(layers=list(layers))
    qtbot.addWidget(window)
    window.resize(1000, 700)
    actions = install_parcel_editing(window, project_path=project_path, ask_recover=lambda m: True)
    install_check_panel(window, actions.editor)
    return window, actions


def open_forms():
    from PySide6.QtWidgets import QApplication

    from ui.attribute_form import AttributeForm

    return [w for w in QApplication.topLevelWidgets() if isinstance(w, AttributeForm) and w.isVisible()]


def draw_square(qtbot, window, actions, size_px=120):
    """Click four corners with 绘制地块 and finish with Enter, as a user does."""
    from PySide6.QtCore import QPoint, Qt

    actions.tool_actions["绘制地块"].trigger()
    canvas = window.canvas
    cx, cy = canvas.width() // 2, canvas.height() // 2
    for dx, dy in ((0, 0), (size_px, 0), (size_px, size_px), (0, size_px)):
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(cx + dx, cy + dy))
    qtbot.keyClick(canvas, Qt.Key.Key_Return)


@pytest.mark.ui
def test_attribute_form_opens_when_a_parcel_is_finished_and_can_be_turned_off(qtbot, tmp_path):
    window, actions = full_window(qtbot, tmp_path / "p.gpkg")
    window.show()
    qtbot.waitExposed(window)
    assert "绘制地块" not in actions.tool_label.text()
    draw_square(qtbot, window, actions)
    assert "当前工具：绘制地块（D）" in actions.tool_label.text() and "Esc" in actions.tool_label.text()
    assert len(actions.editor.project.parcels) == 1
    forms = open_forms()
    assert len(forms) == 1 and forms[0].row["parcel_id"] == "P001"
    forms[0].editors["applicant"].setText("遂昌某公司")
    forms[0].editors["industrial_category"].setCurrentText("二类")
    forms[0].accept()
    assert actions.editor.project.parcels["applicant"].tolist() == ["遂昌某公司"]
    # Off (编辑 → 完成地块后打开属性表单): the next parcel is added without a form.
    actions.form_action.trigger()
    assert not actions.form_action.isChecked()
    window.canvas.zoom_by(0.5)
    draw_square(qtbot, window, actions, size_px=60)
    assert len(actions.editor.project.parcels) == 2 and open_forms() == []


@pytest.mark.ui
def test_form_explains_industrial_categories_and_offers_last_values(qtbot, tmp_path):
    from suichang_gis.rules import load_ruleset

    window, actions = full_window(qtbot, tmp_path / "p.gpkg")
    definitions = load_ruleset().context["industrial_categories"]
    assert set(definitions) == {"一类", "二类", "三类"}
    first = actions.editor.add_polygon(box(X0, Y0, X0 + 100, Y0 + 100))
    form = actions.edit_attributes(first)
    qtbot.addWidget(form)
    qtbot.waitExposed(form)
    form.editors["industrial_category"].setCurrentText("三类")
    assert form.category_help.text() == definitions["三类"]
    help_ = form.category_help
    qtbot.waitUntil(lambda: help_.height() >= help_.heightForWidth(help_.width()))  # every wrapped line shows
    form.editors["applicant"].setText("遂昌金属制品公司")
    form.editors["industry_code"].set_code("C33")
    form.editors["name"].setText("甲项目")
    form.accept()
    second = actions.editor.add_polygon(box(X0 + 300, Y0, X0 + 400, Y0 + 100))
    form2 = actions.edit_attributes(second)
    qtbot.addWidget(form2)
    assert form2.fill_last_button.isEnabled()
    form2.fill_last_button.click()
    assert form2.editors["applicant"].text() == "遂昌金属制品公司"
    assert form2.editors["industrial_category"].currentText() == "三类"
    assert form2.editors["industry_code"].code() == "C33"
    assert form2.editors["name"].text() == ""  # a parcel's identity is never copied
    form2.accept()
    row = actions.editor.project.parcels.loc[second]
    assert row["applicant"] == "遂昌金属制品公司" and row["parcel_id"] == "P002"


@pytest.mark.ui
def test_user_layers_their_order_visibility_opacity_and_style_survive_save_and_reopen(qtbot, tmp_path):
    import geopandas as gpd

    from suichang_gis.user_layers import style_from_dict, style_to_dict
    from ui.main_window import MainWindow
    from ui.parcel_actions import install_parcel_editing

    roads = tmp_path / "道路.geojson"
    gpd.GeoDataFrame({"name": ["路"]}, geometry=[box(X0, Y0, X0 + 50, Y0 + 500).exterior],
                     crs="EPSG:4549").to_file(roads)
    plots = tmp_path / "地块参考.gpkg"
    gpd.GeoDataFrame({"name": ["参考"]}, geometry=[box(X0, Y0, X0 + 300, Y0 + 300)],
                     crs="EPSG:4549").to_file(plots, layer="ref")
    window, actions = full_window(qtbot, tmp_path / "p.gpkg")
    road_layer = window.open_layer_file(roads)
    plot_layer = window.open_layer_file(plots, "ref")
    canvas = window.canvas
    canvas.set_layer_opacity(plot_layer.id, 0.4)
    canvas.set_layer_visible(road_layer.id, False)
    order = canvas.layer_ids()
    order.remove(road_layer.id)
    order.append(road_layer.id)  # the road on top of everything
    canvas.set_layer_order(order)
    style = style_from_dict(style_to_dict(road_layer.spec.style) | {"stroke": "#123456", "dash": [3.0, 1.0]})
    from dataclasses import replace

    road_layer.spec = replace(road_layer.spec, style=style)
    canvas.add_layer(road_layer, visible=False)  # a style change re-adds the layer
    actions.save()
    expected_order = canvas.layer_ids()
    window.close()

    from ui.app import create_application

    create_application()
    fresh = MainWindow(layers=[])
    qtbot.addWidget(fresh)
    actions2 = install_parcel_editing(fresh, project_path=tmp_path / "p.gpkg", ask_recover=lambda m: True)
    assert not actions2.editor.project.dirty
    back = {layer.id: layer for layer in fresh.canvas.canvas_layers()}
    assert road_layer.id in back and plot_layer.id in back
    assert back[road_layer.id].visible is False and back[plot_layer.id].opacity == pytest.approx(0.4)
    assert back[road_layer.id].spec.style.stroke == "#123456" and back[road_layer.id].spec.style.dash == (3.0, 1.0)
    assert [i for i in fresh.canvas.layer_ids() if i in expected_order] == expected_order
    assert back[plot_layer.id].spec.title == plot_layer.spec.title and len(back[plot_layer.id].layer.gdf) == 1
    # Removing a layer is part of the project too.
    fresh.remove_layer(plot_layer.id)
    actions2.save()
    fresh.close()
    third = MainWindow(layers=[])
    qtbot.addWidget(third)
    install_parcel_editing(third, project_path=tmp_path / "p.gpkg", ask_recover=lambda m: True)
    assert plot_layer.id not in third.layers and road_layer.id in third.layers


@pytest.mark.ui
def test_a_missing_user_layer_file_is_reported_not_hidden(qtbot, tmp_path):
    import geopandas as gpd

    from ui.main_window import MainWindow
    from ui.parcel_actions import install_parcel_editing

    data = tmp_path / "临时.geojson"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[box(X0, Y0, X0 + 9, Y0 + 9)], crs="EPSG:4549").to_file(data)
    window, actions = full_window(qtbot, tmp_path / "p.gpkg")
    window.open_layer_file(data)
    actions.save()
    window.close()
    data.unlink()
    again = MainWindow(layers=[])
    qtbot.addWidget(again)
    actions2 = install_parcel_editing(again, project_path=tmp_path / "p.gpkg", ask_recover=lambda m: True)
    assert "临时" in actions2.last_message and "不存在" in actions2.last_message  # told in a notice


def rgb(colour):
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


@pytest.mark.ui
def test_distance_segment_colour_is_used_by_no_layer():
    from suichang_gis.catalog import load_catalog
    from suichang_gis.palette import LABEL_COLOURS
    from suichang_gis.user_layers import USER_STYLES
    from ui.check_panel import DISTANCE_COLOUR, FOCUS_STYLE, OVERLAP_STYLE

    styles = [spec.style for spec in load_catalog()] + list(USER_STYLES.values()) + [OVERLAP_STYLE, FOCUS_STYLE]
    colours = {c[:7].lower() for s in styles for c in (s.fill, s.stroke, *s.fill_by.values(), *s.stroke_by.values())
               if c} | {c.lower() for c in LABEL_COLOURS.values()}
    assert min(math.dist(rgb(DISTANCE_COLOUR), rgb(c)) for c in colours) >= 100


@pytest.mark.ui
def test_each_distance_finding_draws_its_segment_with_its_length(qtbot, tmp_path):
    import geopandas as gpd
    import shapely

    from suichang_gis.catalog import MapLayer, load_catalog
    from suichang_gis.units import format_length
    from ui.check_panel import DISTANCE_COLOUR, OVERLAY_DISTANCES, OVERLAY_FOCUS, is_distance_finding, measured_length

    spec = next(s for s in load_catalog() if s.id == "roads")
    road = gpd.GeoDataFrame({"name": ["测试路"], "kind": ["县乡道"], "road_state": ["既有"]},
                            geometry=[shapely.LineString([(X0 + 400, Y0 - 500), (X0 + 400, Y0 + 500)])],
                            crs="EPSG:4549")
    window, actions = full_window(qtbot, tmp_path / "p.gpkg", layers=[MapLayer(spec, road)])
    window.show()
    qtbot.waitExposed(window)
    fid = actions.editor.add_polygon(box(X0, Y0, X0 + 100, Y0 + 100))
    actions.editor.set_values(fid, {"land_use": "工业用地"})  # 标准地 通路 applies to industrial land
    panel = window.check_panel
    distances = [f for f in panel.result.parcels[0].findings if is_distance_finding(f)]
    assert distances, "the road 300 m east is measured"
    labels = window.canvas.overlay_labels(OVERLAY_DISTANCES)
    assert len(labels) == len(distances)
    for finding, (x, y, text) in zip(distances, labels):
        assert text == format_length(measured_length(finding))
        assert measured_length(finding) == pytest.approx(shapely.length(finding.geometry))
        assert shapely.Point(x, y).distance(finding.geometry) < 1e-6
    red = next(f for f in distances if f.layer == "roads")
    assert measured_length(red) == pytest.approx(300.0)  # by construction: 100 → 400 m east
    item = next(panel.tree.topLevelItem(i) for i in range(panel.tree.topLevelItemCount())
                if panel.tree.topLevelItem(i).data(0, 0x0100) is red)
    before = window.canvas.view.extent
    from PySide6.QtCore import Qt

    panel.tree.scrollToItem(item)
    qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=panel.tree.visualItemRect(item).center())
    assert window.canvas.view.extent != before
    xmin, ymin, xmax, ymax = window.canvas.view.extent
    assert xmin <= X0 and xmax >= X0 + 400  # the parcel and the segment's far end are in view
    assert window.canvas._overlays[OVERLAY_FOCUS][1].stroke == DISTANCE_COLOUR
    assert window.canvas.overlay_labels(OVERLAY_FOCUS)[0][2].endswith("300.0 m")


@pytest.mark.ui
def test_schematic_layers_have_an_icon_and_tooltip_not_grey_text(qtbot):
    from PySide6.QtGui import QPalette

    from ui.app import create_application
    from ui.main_window import MainWindow

    create_application()
    window = MainWindow()
    qtbot.addWidget(window)
    schematic = [layer for layer in window.canvas.canvas_layers() if layer.spec.schematic]
    plain = [layer for layer in window.canvas.canvas_layers() if not layer.spec.schematic]
    assert schematic and plain
    text_colour = window.layer_tree.palette().color(QPalette.ColorRole.Text)
    for layer in schematic:
        item = window.layer_tree.layer_item(layer.id)
        assert not item.icon(0).isNull() and item.toolTip(0).startswith("示意图层")
        brush = item.foreground(0)
        assert brush.style() == 0 or brush.color() == text_colour  # default text colour, not grey
    item = window.layer_tree.layer_item(plain[0].id)
    assert "示意" not in item.toolTip(0)
