"""The print dialog: template settings, a preview equal to the exported page, current view."""

import re

import numpy as np
import pytest

pytest.importorskip("PySide6")

from suichang_gis.catalog import load_catalog, load_layer
from suichang_gis.layout import load_templates
from suichang_gis.mapview import MapView

PT_PER_MM = 72 / 25.4


@pytest.fixture(scope="module")
def layers():
    loaded = [load_layer(s) for s in load_catalog()]
    loaded.sort(key=lambda layer: layer.spec.zorder)
    return {layer.id: layer for layer in loaded}


@pytest.fixture
def app(qtbot):
    from ui.app import create_application

    return create_application()


def png_array(data: bytes):
    from PySide6.QtGui import QImage

    image = QImage.fromData(data, "PNG").convertToFormat(QImage.Format.Format_RGB32)
    return np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.width(), 4).copy()


@pytest.mark.ui
def test_template_sets_title_and_layers_and_the_preview_is_the_exported_page(app, qtbot, layers, tmp_path):
    from ui.print_dialog import PREVIEW_DPI, PrintDialog

    dialog = PrintDialog(layers)
    qtbot.addWidget(dialog)
    dialog.template_box.setCurrentIndex(dialog.template_box.findData("transport"))
    dialog.paper_box.setCurrentText("A4")
    dialog.orientation_box.setCurrentText("纵向")
    template = load_templates()["transport"]
    assert dialog.title_edit.text() == template.title
    assert set(dialog.checked_layers()) == {i for i in template.layers if i in layers}
    dialog.update_preview()

    preview = png_array(dialog.preview_png)
    height, width = preview.shape[:2]
    assert width / height == pytest.approx(210 / 297, abs=0.01)  # A4 portrait
    assert not dialog.preview.pixmap().isNull()
    # What you see is what you print: the exported PNG at the preview's dpi is the same image.
    out = tmp_path / "page.png"
    dialog.export_to(out, dpi=PREVIEW_DPI)
    assert np.array_equal(png_array(out.read_bytes()), preview)


@pytest.mark.ui
def test_unchecking_a_layer_removes_it_from_the_page(app, qtbot, layers, tmp_path):
    from PySide6.QtCore import Qt

    from ui.print_dialog import PrintDialog

    dialog = PrintDialog(layers)
    qtbot.addWidget(dialog)
    dialog.template_box.setCurrentIndex(dialog.template_box.findData("zones"))
    for row in range(dialog.layer_list.count()):
        item = dialog.layer_list.item(row)
        if item.data(Qt.ItemDataRole.UserRole) == "townships":
            item.setCheckState(Qt.CheckState.Unchecked)
    dialog.title_edit.setText("会议用图")
    out = tmp_path / "zones.pdf"
    layout = dialog.export_to(out)
    drawn = {d.spec.id for d in layout.drawn}
    assert "townships" not in drawn and "county_boundary" in drawn
    assert {e.layer_id for e in layout.legend} == drawn
    text = out.read_bytes().decode("latin-1")
    media = re.search(r"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", text)
    assert (float(media.group(1)), float(media.group(2))) == pytest.approx((420 * PT_PER_MM, 297 * PT_PER_MM),
                                                                           abs=0.01)  # A3 landscape


@pytest.mark.ui
def test_current_view_prints_the_canvas_extent_and_visible_layers(app, qtbot, layers):
    from ui.map_canvas import MapCanvasWidget
    from ui.print_dialog import CURRENT_VIEW, PrintDialog

    canvas = MapCanvasWidget()
    qtbot.addWidget(canvas)
    canvas.resize(600, 400)
    canvas.set_layers(list(layers.values()))
    canvas.set_layer_visible("townships", False)
    canvas.set_layer_visible("lishui_counties", False)
    view = MapView(center_x=412000, center_y=3160000, resolution=25.0, width=600, height=400)
    canvas.set_view(view)

    dialog = PrintDialog({c.id: c.layer for c in canvas.canvas_layers()}, canvas=canvas)
    qtbot.addWidget(dialog)
    dialog.template_box.setCurrentIndex(dialog.template_box.findData(CURRENT_VIEW))
    visible = [c.id for c in canvas.canvas_layers() if c.visible]
    assert dialog.checked_layers() == visible
    dialog.update_preview()
    layout = dialog.layout
    x0, x1 = layout.map_ax.get_xlim()
    y0, y1 = layout.map_ax.get_ylim()
    ex = canvas.view.extent
    assert x0 <= ex[0] and x1 >= ex[2] and y0 <= ex[1] and y1 >= ex[3]  # all of the view is printed
    assert (x1 - x0) < 2.5 * (ex[2] - ex[0]) or (y1 - y0) < 2.5 * (ex[3] - ex[1])  # and not much more
    drawn = [d.spec.id for d in layout.drawn]
    assert "townships" not in drawn and set(drawn) <= set(visible)
    assert drawn == [i for i in visible if i in drawn]  # canvas order, bottom first


@pytest.mark.ui
def test_main_window_print_menu_opens_the_dialog_on_the_current_view(app, qtbot, layers):
    from ui.main_window import MainWindow
    from ui.print_dialog import CURRENT_VIEW

    window = MainWindow(layers=list(layers.values()))
    qtbot.addWidget(window)
    texts = [a.text() for a in window.menus["打印"].actions()]
    assert "打印地图…" in texts and "导出网页地图…" in texts
    dialog = window.open_print_dialog()
    qtbot.addWidget(dialog)
    assert dialog.template_box.findData(CURRENT_VIEW) >= 0
    assert set(dialog.all_layers) == set(window.layers)


@pytest.mark.ui
def test_parcel_template_checks_the_windows_parcels(app, qtbot, layers):
    from shapely import box

    from suichang_gis.parcel import parcels_frame
    from suichang_gis.parcel_layer import PARCEL_LAYER_ID, parcel_layer
    from ui.print_dialog import PrintDialog

    parcels = parcels_frame([box(425200, 3162400, 425500, 3162700)], name=["新材料项目"], land_use=["工业用地"])
    with_parcels = {**layers, PARCEL_LAYER_ID: parcel_layer(parcels)}  # as the parcel editor shows them
    dialog = PrintDialog(with_parcels)
    qtbot.addWidget(dialog)
    dialog.template_box.setCurrentIndex(dialog.template_box.findData("parcel_check"))
    dialog.update_preview()
    layout = dialog.layout
    assert layout is not None, dialog.preview.text()
    parcel_entries = [d for d in layout.drawn if d.spec.id == PARCEL_LAYER_ID]
    assert len(parcel_entries) == 1  # drawn once, by check status
    assert parcel_entries[0].variants and "未核查" not in parcel_entries[0].variants
    assert any(n.startswith("核查结论") for n in layout.notes)


@pytest.mark.ui
def test_web_map_export_from_the_window_checks_the_parcels(app, qtbot, layers, tmp_path, monkeypatch):
    from shapely import box

    from suichang_gis.palette import LABEL_COLOURS, UNCHECKED
    from suichang_gis.parcel import parcels_frame
    from suichang_gis.parcel_layer import parcel_layer
    from ui.main_window import MainWindow

    parcels = parcels_frame([box(425200, 3162400, 425500, 3162700)], name=["新材料项目"], land_use=["工业用地"])
    window = MainWindow(layers=[*layers.values(), parcel_layer(parcels)])
    qtbot.addWidget(window)
    out = tmp_path / "map.html"
    monkeypatch.setattr("ui.paths.QFileDialog.getSaveFileName", lambda *a, **k: (str(out), ""))
    window.export_webmap_dialog()
    html = out.read_text(encoding="utf-8")
    checked = {LABEL_COLOURS[s] for s in ("通过", "警示", "不符合")}
    assert any(c in html for c in checked) and LABEL_COLOURS[UNCHECKED] not in html


@pytest.mark.ui
def test_preview_is_composed_off_the_gui_thread_and_reused(app, qtbot, layers):
    from ui.print_dialog import PrintDialog

    dialog = PrintDialog(layers)
    qtbot.addWidget(dialog)
    dialog._timer.stop()
    dialog.template_box.setCurrentIndex(dialog.template_box.findData("water_energy"))
    dialog._timer.stop()
    dialog.paper_box.setCurrentText("A4")
    dialog._timer.stop()
    dialog.layout = None
    dialog.request_preview()
    assert dialog.layout is None  # not composed on this thread: the dialog stays responsive
    qtbot.waitUntil(lambda: dialog.layout is not None, timeout=120_000)
    first = dialog.preview_png
    assert first and dialog.layout.paper_mm == (297.0, 210.0)
    dialog.orientation_box.setCurrentText("纵向")
    dialog._timer.stop()
    dialog.request_preview()
    qtbot.waitUntil(lambda: dialog.layout is not None and dialog.layout.paper_mm == (210.0, 297.0),
                    timeout=120_000)
    # Back to settings seen before: the page made then is shown at once, no new composition.
    dialog.orientation_box.setCurrentText("横向")
    dialog._timer.stop()
    generation = dialog._generation
    dialog.request_preview()
    assert dialog._generation == generation and dialog.preview_png == first


@pytest.mark.ui
def test_previews_are_composed_on_one_kept_thread(app, qtbot, layers, monkeypatch):
    import threading

    from ui.print_dialog import PrintDialog, preview_worker

    threads = []
    real = PrintDialog._compose_preview
    monkeypatch.setattr(PrintDialog, "_compose_preview",
                        staticmethod(lambda args: threads.append(threading.get_ident()) or real(args)))
    dialog = PrintDialog(layers)
    qtbot.addWidget(dialog)
    for paper in ("A4", "A3"):  # two changes, each waited for
        dialog._timer.stop()
        dialog.paper_box.setCurrentText(paper)
        dialog._timer.stop()
        dialog.layout = None
        dialog.request_preview()
        qtbot.waitUntil(lambda: dialog.layout is not None, timeout=120_000)
    # One kept thread (matplotlib's per-thread fonts stay loaded), never the GUI thread.
    assert len(threads) == 2 and threads[0] == threads[1] == preview_worker().thread.ident != threading.get_ident()
