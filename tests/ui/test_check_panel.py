"""The check panel re-checks the selected parcel as it is drawn and edited."""

import pytest
from shapely.geometry import box

pytest.importorskip("PySide6")

X0, Y0 = 430_000.0, 3_163_000.0


def make_window(qtbot, tmp_path):
    import geopandas as gpd

    from suichang_gis.catalog import MapLayer, load_catalog
    from ui.app import create_application
    from ui.check_panel import install_check_panel
    from ui.main_window import MainWindow
    from ui.parcel_actions import install_parcel_editing

    create_application()
    spec = next(s for s in load_catalog() if s.id == "ecological_redline")
    redline = gpd.GeoDataFrame({"name": ["测试红线"]}, geometry=[box(X0 + 50, Y0 - 500, X0 + 1000, Y0 + 500)],
                               crs="EPSG:4549")
    window = MainWindow(layers=[MapLayer(spec, redline)])
    qtbot.addWidget(window)
    window.resize(1000, 700)
    actions = install_parcel_editing(window, project_path=tmp_path / "p.gpkg", ask_recover=lambda m: True)
    return window, actions.editor, install_check_panel(window, actions.editor)


def red_line_finding(panel):
    return next(f for f in panel.result.parcels[0].findings if f.rule == "SX-01")


@pytest.mark.ui
def test_drawn_parcel_is_checked_and_rechecked_when_edited(qtbot, tmp_path):
    window, editor, panel = make_window(qtbot, tmp_path)
    assert panel.result is None
    fid = editor.add_polygon(box(X0, Y0, X0 + 100, Y0 + 100))
    finding = red_line_finding(panel)
    assert finding.status == "fail" and finding.overlap_m2 == pytest.approx(5000.0, abs=0.01)
    assert "不符合" in panel.verdict.text()
    assert "check_overlaps" in window.canvas.overlay_names()
    assert "示意" in panel.notice.text()  # the catalog's red line layer is schematic
    # Move the parcel west, out of the red line: the verdict follows the edit.
    editor.project.update_parcel(fid, geometry=box(X0 - 200, Y0, X0 - 100, Y0 + 100))
    editor.apply()
    assert red_line_finding(panel).status == "pass"
    editor.select(None)
    assert panel.result is None and "check_overlaps" not in window.canvas.overlay_names()


@pytest.mark.ui
def test_clicking_a_finding_zooms_to_it_and_export_writes_the_report(qtbot, tmp_path):
    from docx import Document

    window, editor, panel = make_window(qtbot, tmp_path)
    window.show()
    editor.add_polygon(box(X0, Y0, X0 + 100, Y0 + 100))
    item = next(panel.tree.topLevelItem(i) for i in range(panel.tree.topLevelItemCount())
                if panel.tree.topLevelItem(i).text(0) == "SX-01")
    from PySide6.QtCore import Qt

    qtbot.waitExposed(window)
    panel.tree.scrollToItem(item)
    with qtbot.waitSignal(panel.finding_activated):  # a real mouse click on the row
        qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=panel.tree.visualItemRect(item).center())
    xmin, _, xmax, _ = window.canvas.view.extent
    assert xmin <= X0 + 50 and xmax >= X0 + 100 and xmax - xmin < 1000  # zoomed onto the overlap
    assert "check_focus" in window.canvas.overlay_names()
    out = panel.export(tmp_path / "report.docx")
    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert "核查报告" in text and "不符合" in text


def parcel_statuses(window):
    layer = window.layers["parcels"]
    return dict(zip(layer.gdf["parcel_id"], layer.gdf["check_status"]))


@pytest.mark.ui
def test_parcel_layer_is_coloured_by_verdict_and_follows_edits(qtbot, tmp_path):
    window, editor, panel = make_window(qtbot, tmp_path)
    inside = editor.add_polygon(box(X0, Y0, X0 + 100, Y0 + 100))
    outside = editor.add_polygon(box(X0 - 300, Y0, X0 - 200, Y0 + 100))
    ids = editor.project.parcels["parcel_id"]
    statuses = parcel_statuses(window)
    assert statuses[ids[inside]] == "不符合"
    assert statuses[ids[outside]] != "不符合" and statuses[ids[outside]] != "未核查"
    # Move the failing parcel out of the red line: its colour follows the edit.
    editor.project.update_parcel(inside, geometry=box(X0 - 600, Y0, X0 - 500, Y0 + 100))
    editor.apply()
    assert parcel_statuses(window)[ids[inside]] != "不符合"


@pytest.mark.ui
def test_check_all_and_export_are_kept_in_the_project_history(qtbot, tmp_path):
    from ui import check_panel

    window, editor, panel = make_window(qtbot, tmp_path)
    colouring = check_panel.StatusColouring(panel, limit=0)  # as after a large import: nothing auto-checked
    editor.status_source = colouring.results
    editor.add_polygon(box(X0, Y0, X0 + 100, Y0 + 100))
    editor.add_polygon(box(X0 - 300, Y0, X0 - 200, Y0 + 100))
    assert set(parcel_statuses(window).values()) == {"未核查"}
    check_panel.check_all_parcels(window, editor, colouring)
    assert "未核查" not in set(parcel_statuses(window).values())
    history = editor.project.check_history
    assert len(history) == 1 and "sanxian" in history["rule_set"].iloc[0].lower()
    assert '"fail": 1' in history["summary"].iloc[0]
    panel.export(tmp_path / "report.json")
    assert len(editor.project.check_history) == 2


@pytest.mark.ui
def test_drawn_parcel_overlapping_another_project_parcel_is_flagged(qtbot, tmp_path):
    from suichang_gis.report.settings import history_numbers

    window, editor, panel = make_window(qtbot, tmp_path)
    editor.add_polygon(box(X0 - 400, Y0, X0 - 300, Y0 + 100))
    editor.add_polygon(box(X0 - 330, Y0 + 40, X0 - 230, Y0 + 140))  # 30 × 60 m over the first
    overlap = next(f for f in panel.result.parcels[0].findings if f.rule == "SX-09")
    assert overlap.status == "warn" and overlap.overlap_m2 == pytest.approx(1800.0, abs=0.01)
    # the report's number is kept in the project's check history, and the next one differs
    panel.export(tmp_path / "a.json")
    panel.export(tmp_path / "b.json")
    numbers = history_numbers(editor.project.check_history)
    assert len(numbers) == 2 and numbers[0] != numbers[1]


@pytest.mark.ui
def test_an_edit_recomputes_the_colouring_of_the_changed_parcels_only(qtbot, tmp_path):
    from ui import check_panel

    window, editor, panel = make_window(qtbot, tmp_path)
    colouring = editor.status_source.__self__
    fids = [editor.add_polygon(box(X0 + dx, Y0, X0 + dx + 100, Y0 + 100)) for dx in (-900, -600, -300, 0)]
    before = dict(colouring._key_of)
    moved, deleted = fids[1], fids[2]
    editor.set_geometry(moved, box(X0 + 100, Y0, X0 + 200, Y0 + 100))  # into the red line
    editor.delete([deleted])
    renamed = fids[3]
    editor.set_values(renamed, {"name": "改名地块"})
    keys = colouring._key_of
    assert set(keys) == set(fids) - {deleted}
    assert keys[fids[0]] is before[fids[0]]  # untouched: its key taken over, not worked out again
    assert keys[moved] != before[moved] and keys[renamed] != before[renamed]
    # The colours equal those of a check of every parcel from scratch.
    frame = editor.project.parcels.reset_index()
    full = {r.id: r.status_label for r in check_panel.StatusColouring(panel).results(frame)}
    assert parcel_statuses(window) == full
    assert full[editor.project.parcels.loc[moved, "parcel_id"]] == "不符合"
    # The candidate-parcel layer is not converted for the check (check_parcels never uses it).
    assert "parcels" in window.layers and "parcels" not in panel.cache.layers()


@pytest.mark.ui
def test_a_drawn_parcel_is_checked_once_and_again_when_a_layer_it_is_checked_against_changes(
        qtbot, tmp_path, monkeypatch):
    import geopandas as gpd

    from suichang_gis.catalog import MapLayer

    window, editor, panel = make_window(qtbot, tmp_path)
    editor.add_polygon(box(X0 - 900, Y0, X0 - 800, Y0 + 100))  # selected before the next is drawn
    checked = []
    show = panel.show_parcels
    monkeypatch.setattr(panel, "show_parcels", lambda parcels: checked.append(parcels["fid"].tolist()) or show(parcels))
    fid = editor.add_polygon(box(X0, Y0, X0 + 100, Y0 + 100))
    assert checked == [[fid]]  # the edit and the selection of the drawn parcel: one check
    assert red_line_finding(panel).status == "fail"
    editor.select(fid)  # selected again, nothing changed: the verdict shown stands
    assert checked == [[fid]]
    # The red line replaced by data that misses the parcel: selecting it checks it again.
    redline = window.layers["ecological_redline"]
    moved = gpd.GeoDataFrame({"name": ["测试红线"]}, geometry=[box(X0 + 500, Y0 - 500, X0 + 1000, Y0 + 500)],
                             crs="EPSG:4549")
    window.add_layer(MapLayer(redline.spec, moved))
    editor.select(fid)
    assert checked == [[fid], [fid]] and red_line_finding(panel).status == "pass"


@pytest.mark.ui
def test_the_layers_are_converted_for_the_check_in_the_background_once_they_are_in(qtbot, tmp_path):
    from ui.app import create_application
    from ui.check_panel import install_check_panel
    from ui.main_window import MainWindow
    from ui.parcel_actions import install_parcel_editing

    create_application()
    window = MainWindow(layers=[])
    qtbot.addWidget(window)
    window.load_layers_in_background()  # the default layers arrive in the background, once it is shown
    window.show()
    actions = install_parcel_editing(window, project_path=tmp_path / "p.gpkg", ask_recover=lambda m: True)
    panel = install_check_panel(window, actions.editor)
    loaded = []
    window.default_layers_loaded.connect(lambda: loaded.append(True))
    if window.layers_loading:
        assert panel.cache._cache == {}
        qtbot.waitUntil(lambda: bool(loaded), timeout=60_000)
    actions.editor.wait_for_refresh()  # the conversion runs in the parcel layer's queue
    converted = {layer_id: layer for layer_id, (_, layer) in panel.cache._cache.items()}
    assert set(converted) == set(window.layers) - {"parcels"} and len(converted) > 20
    editor = actions.editor
    editor.add_polygon(box(X0, Y0, X0 + 100, Y0 + 100))  # checked with the layers converted before
    assert {layer_id: layer for layer_id, (_, layer) in panel.cache._cache.items()} == converted
    assert panel.result is not None


@pytest.mark.ui
def test_a_window_made_with_its_layers_has_them_converted_for_the_check_in_the_background(qtbot, tmp_path):
    window, editor, panel = make_window(qtbot, tmp_path)
    editor.wait_for_refresh()
    assert set(panel.cache._cache) == {"ecological_redline"}
