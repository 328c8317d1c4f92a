"""The Qt-free map model: order, visibility, opacity, style and extent, and the project round-trip."""

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from suichang_gis.catalog import LayerSpec, MapLayer, Provenance, Style
from suichang_gis.map_model import MapModel

E0, N0 = 430_000.0, 3_163_000.0


def make_layer(layer_id: str, visible: bool = True, fill: str = "#ff0000") -> MapLayer:
    spec = LayerSpec(id=layer_id, title=layer_id, group="交通", geometry_type="Polygon", data=Path("x.geojson"),
                     version="t", provenance=Provenance("test", "test", "权威", "hand-made"),
                     style=Style(fill=fill, opacity=0.8), visible=visible)
    return MapLayer(spec, gpd.GeoDataFrame(geometry=[box(E0, N0, E0 + 10, N0 + 10)], crs="EPSG:4549"))


@pytest.fixture
def model():
    return MapModel([make_layer("a"), make_layer("b", visible=False), make_layer("c")])


def test_layers_start_as_the_catalog_says_and_keep_their_order(model):
    assert model.ids() == ["a", "b", "c"]
    assert [s.id for s in model.visible()] == ["a", "c"]
    assert model.extent is None


def test_each_edit_tells_the_listeners_once(model):
    heard = []
    model.subscribe(heard.append)
    model.set_visible("b", True)
    model.set_visible("b", True)  # no change, no call
    model.set_opacity("a", -0.5)  # clamped to 0
    model.move("c", 0)
    model.set_extent((1, 2, 3, 4))
    assert heard == ["layers", "layers", "layers", "extent"]
    assert model.get("a").opacity == 0.0
    assert model.ids() == ["c", "a", "b"]
    model.unsubscribe(heard.append)
    model.remove("a")
    assert len(heard) == 4 and "a" not in model


def test_drawn_layers_apply_opacity_and_visibility(model):
    model.set_opacity("a", 0.5)
    model.set_style("c", Style(fill="#00ff00"))
    drawn = {layer.id: layer for layer in model.drawn_layers(visible_only=False)}
    assert drawn["a"].spec.style.opacity == pytest.approx(0.8 * 0.5)
    assert drawn["b"].spec.visible is False
    assert drawn["c"].spec.style.fill == "#00ff00"
    assert drawn["a"].gdf is model.get("a").layer.gdf  # the data is shared, not copied
    assert [layer.id for layer in model.drawn_layers()] == ["a", "c"]


def test_replacing_a_layers_data_keeps_its_place_and_choices(model):
    model.set_opacity("b", 0.3)
    new = make_layer("b", fill="#0000ff")
    model.add(new)
    assert model.ids() == ["a", "b", "c"]
    assert model.get("b").layer is new and model.get("b").opacity == 0.3 and not model.get("b").visible
    model.add(make_layer("d"), on_top=False)
    assert model.ids() == ["d", "a", "b", "c"]


def test_layer_settings_round_trip_through_a_project(model, tmp_path):
    from suichang_gis.project import Project

    model.set_visible("a", False)
    model.set_opacity("c", 0.25)
    model.set_style("b", Style(fill="#123456", stroke_width=2.5, dash=(3.0, 1.0)))
    model.set_order(["c", "b", "a"])
    project = Project.create(tmp_path / "p.gpkg")
    for layer_id, values in model.layer_settings().items():
        project.set_layer_settings(layer_id, **values)
    project.save()
    project.close()
    again = MapModel([make_layer("a"), make_layer("b", visible=False), make_layer("c"), make_layer("new")])
    reopened = Project.open(tmp_path / "p.gpkg")
    again.apply_layer_settings(reopened.layer_settings)
    reopened.close()
    assert again.ids() == ["c", "b", "a", "new"]
    assert [(s.id, s.visible, s.opacity) for s in again] == [
        ("c", True, 0.25), ("b", False, 1.0), ("a", False, 1.0), ("new", True, 1.0)]
    assert again.get("b").style == Style(fill="#123456", stroke_width=2.5, dash=(3.0, 1.0))
    assert again.get("a").style is None  # the catalog style, not a copy of it


def test_print_and_web_map_show_the_model_as_it_is(model, tmp_path):
    from matplotlib.colors import to_rgba

    from suichang_gis.layout import Template, print_map
    from suichang_gis.webmap import write_webmap

    model.set_opacity("a", 0.5)
    model.set_extent((E0 - 100, N0 - 100, E0 + 110, N0 + 110))
    layout = print_map(Template("view", "当前视图", ()), model=model, dpi=40)
    assert [d.spec.id for d in layout.drawn] == ["a", "c"]  # the visible layers, in order
    drawn_a = next(d for d in layout.drawn if d.spec.id == "a")
    assert drawn_a.spec.style.opacity == pytest.approx(0.4)
    xmin, xmax = layout.map_ax.get_xlim()
    assert xmin <= E0 - 100 and xmax >= E0 + 110 and xmax - xmin < 1000  # the model's extent
    faces = {tuple(np.round(c, 3)) for coll in layout.map_ax.collections for c in coll.get_facecolors()}
    assert tuple(np.round(to_rgba("#ff0000", 0.4), 3)) in faces
    html = write_webmap(tmp_path / "m.html", model=model).read_text(encoding="utf-8")
    assert "\"opacity\": 0.4," in html  # layer a at half its catalog opacity 0.8


def test_insert_puts_new_layers_at_a_place_in_one_change_and_only_replaces_known_ids(model):
    heard = []
    model.subscribe(heard.append)
    model.set_visible("a", False)
    heard.clear()
    replacement = make_layer("a")
    model.insert([make_layer("x"), replacement, make_layer("y", visible=False)], 1)
    assert heard == ["layers"]
    assert model.ids() == ["a", "x", "y", "b", "c"]  # new ones at 1, in their order; "a" kept its place
    assert model.get("a").layer is replacement and model.get("a").visible is False
    assert [s.id for s in model.visible()] == ["x", "c"]
    model.insert([make_layer("z")], 99)  # clamped: on top
    assert model.ids()[-1] == "z"
