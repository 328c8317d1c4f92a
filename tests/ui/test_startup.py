"""The window shows before the default layers are read; they arrive in the background, every one
accounted for, and the work that needs the whole map (checks, project layer settings) waits."""

import shutil
from pathlib import Path

import pytest
from shapely.geometry import box

pytest.importorskip("PySide6")

E0, N0 = 411_000.0, 3_165_000.0


def catalog_ids_bottom_first(catalog_dir=None) -> list[str]:
    from suichang_gis.catalog import load_catalog

    return [spec.id for spec in sorted(load_catalog(catalog_dir), key=lambda spec: spec.zorder)]


def loading_window(qtbot, catalog_dir=None):
    from ui.app import create_application
    from ui.main_window import MainWindow

    create_application()
    window = MainWindow(layers=[])
    qtbot.addWidget(window)
    window.load_layers_in_background(catalog_dir)
    window.resize(1000, 700)
    window.show()
    return window


@pytest.mark.ui
def test_window_shows_before_the_layers_and_every_layer_arrives_in_catalog_order(qtbot):
    from ui.main_window import LOADING_MESSAGE

    window = loading_window(qtbot)
    # Layers reach the window only through its event loop: none is there yet, the window is.
    assert window.isVisible() and window.layers_loading and window.canvas.layer_ids() == []
    assert window.statusBar().currentMessage().startswith(LOADING_MESSAGE)
    qtbot.waitExposed(window)
    with qtbot.waitSignal(window.default_layers_loaded, timeout=60_000):
        pass
    assert not window.layers_loading
    assert window.canvas.layer_ids() == catalog_ids_bottom_first()
    assert window.load_errors == []
    assert not window.statusBar().currentMessage().startswith(LOADING_MESSAGE)
    # The view followed the arriving layers: the whole county, as a window made with its layers.
    from suichang_gis.mapview import MapView

    county = window.layers["county_boundary"].gdf.total_bounds
    expected = MapView.fit(county, window.canvas.width(), window.canvas.height()).extent
    assert window.canvas.view.extent == pytest.approx(expected)


@pytest.mark.ui
def test_wait_for_layers_hands_over_every_layer_at_once(qtbot):
    window = loading_window(qtbot)
    window.wait_for_layers()  # no event loop ran: the wait itself delivers
    assert not window.layers_loading
    assert list(window.loaded_layers()) == catalog_ids_bottom_first()


@pytest.mark.ui
def test_a_broken_layer_read_in_the_background_is_named_and_the_others_arrive(qtbot, tmp_path):
    from layers import CATALOG_DIR

    for name in ("county_boundary", "townships"):
        shutil.copytree(Path(CATALOG_DIR) / name, tmp_path / name)
    broken = tmp_path / "broken"
    broken.mkdir()
    toml = (Path(CATALOG_DIR) / "townships" / "layer.toml").read_text(encoding="utf-8")
    (broken / "layer.toml").write_text(toml.replace('id = "townships"', 'id = "broken"'), encoding="utf-8")
    (broken / "data.geojson").write_text("{ broken", encoding="utf-8")
    window = loading_window(qtbot, tmp_path)
    with qtbot.waitSignal(window.default_layers_loaded, timeout=60_000):
        pass
    assert sorted(window.canvas.layer_ids()) == ["county_boundary", "townships"]
    assert len(window.load_errors) == 1 and "data.geojson" in window.load_errors[0]
    assert "无法读取" in window.statusBar().currentMessage()


@pytest.mark.ui
def test_project_settings_and_checks_wait_for_the_layers_then_apply_to_them(qtbot, tmp_path):
    from suichang_gis.check import check_parcels
    from suichang_gis.parcel import parcels_frame
    from suichang_gis.project import Project
    from suichang_gis.rules import load_ruleset
    from ui.check_panel import LAYERS_LOADING, install_check_panel
    from ui.main_window import load_default_layers
    from ui.parcel_actions import install_parcel_editing

    path = tmp_path / "p.gpkg"
    project = Project.create(path, parcels_frame([box(E0, N0, E0 + 300, N0 + 200)], name=["候选"]))
    hidden = catalog_ids_bottom_first()[0]
    project.set_layer_settings(hidden, visible=False, opacity=0.4)
    project.save()
    project.close()

    window = loading_window(qtbot)
    actions = install_parcel_editing(window, project_path=path, ask_recover=lambda m: True)
    panel = install_check_panel(window, actions.editor)
    fid = int(actions.editor.project.parcels.index[0])
    actions.editor.select(fid)
    assert window.layers_loading and panel.verdict.text() == LAYERS_LOADING and panel.result is None
    with qtbot.waitSignal(window.default_layers_loaded, timeout=60_000):
        pass
    # The catalog layer that arrived late has the project's settings, and nothing became unsaved.
    state = window.canvas.model.get(hidden)
    assert state.visible is False and state.opacity == pytest.approx(0.4)
    assert not actions.editor.project.dirty
    # The selected parcel was checked once the layers were in, against all of them.
    qtbot.waitUntil(lambda: panel.result is not None, timeout=10_000)
    layers, _ = load_default_layers()
    expected = check_parcels(actions.editor.project.parcels.loc[[fid]].reset_index(), load_ruleset(),
                             layers={layer.id: layer for layer in layers}).result.parcels[0]
    got = panel.result.parcels[0]
    assert (got.status, [(f.rule, f.status, f.message) for f in got.findings]) == \
        (expected.status, [(f.rule, f.status, f.message) for f in expected.findings])


def test_the_view_before_the_layers_is_the_county_boundary_rounded_out_to_km():
    import math

    from suichang_gis.catalog import load_catalog, load_layer
    from ui.map_canvas import FALLBACK_EXTENT

    county = next(spec for spec in load_catalog() if spec.id == "county_boundary")
    x0, y0, x1, y1 = load_layer(county).gdf.total_bounds
    expected = (math.floor(x0 / 1000) * 1000, math.floor(y0 / 1000) * 1000,
                math.ceil(x1 / 1000) * 1000, math.ceil(y1 / 1000) * 1000)
    assert FALLBACK_EXTENT == pytest.approx(expected)
