"""Level of detail on the canvas: sub-pixel polygons as dots, hatching composed over a large layer."""

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

pytest.importorskip("PySide6")

from suichang_gis.catalog import LayerSpec, MapLayer, Provenance, Style
from suichang_gis.mapview import MapView

VIEW = MapView(center_x=500, center_y=500, resolution=2.0, width=500, height=500)  # 0..1000 m


def _layer(geometries, style, accuracy="权威"):
    spec = LayerSpec(id="patches", title="图斑", group="三调", geometry_type="Polygon",
                     data=Path("none.geojson"), version="t",
                     provenance=Provenance("test", "test", accuracy, "hand-made"), style=style)
    return MapLayer(spec, gpd.GeoDataFrame(geometry=geometries, crs="EPSG:4549"))


def _rgb(image):
    from PySide6.QtGui import QImage

    image = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), dtype=np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, :image.width() * 3].reshape(image.height(), image.width(), 3).copy()


def test_a_polygon_under_a_pixel_is_a_dot_in_its_outline_colour(qtbot):
    from ui.map_canvas import render_image
    from ui.map_renderer import CanvasLayer

    tiny = [box(301.0, 601.0, 302.2, 602.2), box(701.0, 201.0, 701.9, 201.5)]  # under 2 m both ways
    layer = CanvasLayer(_layer(tiny, Style(fill="#00ff00", stroke="#0000ff", stroke_width=0.4)))
    rgb = _rgb(render_image(VIEW, [layer], labels=False))
    for geometry in tiny:
        x, y = geometry.centroid.x, geometry.centroid.y
        px, py = VIEW.to_screen(x, y)
        patch = rgb[int(py) - 1:int(py) + 2, int(px) - 1:int(px) + 2].reshape(-1, 3)
        assert any(b > 150 and r < 100 and g < 100 for r, g, b in patch)  # a blue dot is there
    background = rgb[10, 10]
    assert (np.abs(rgb.astype(int) - background).sum(axis=2) > 60).sum() <= 2 * 4  # and nothing else


def test_hatching_composed_over_a_large_layer_equals_hatching_path_by_path(qtbot, monkeypatch):
    import ui.map_renderer as renderer
    from ui.map_canvas import render_image

    rng = np.random.default_rng(5)
    xy = rng.uniform(50, 950, (3000, 2))
    polygons = [Point(x, y).buffer(float(r), quad_segs=4) for (x, y), r in zip(xy, rng.uniform(4, 25, 3000))]
    layer = _layer(polygons, Style(fill="#9fd09a", stroke="#2e6b30", stroke_width=0.4), accuracy="示意")
    assert layer.spec.drawn_style.hatch  # a 示意 layer is hatched
    composed = renderer.CanvasLayer(layer)
    assert len(composed.drawing(VIEW, 0)[0]) >= renderer.HATCH_OVER_IMAGE
    a = _rgb(render_image(VIEW, [composed], labels=False))
    monkeypatch.setattr(renderer, "HATCH_OVER_IMAGE", 10 ** 9)  # path by path
    b = _rgb(render_image(VIEW, [renderer.CanvasLayer(layer)], labels=False))
    differs = (np.abs(a.astype(int) - b.astype(int)).max(axis=2) > 40).mean()
    assert differs < 0.01  # antialiased edges of the hatch lines only
    hatch = np.all(np.abs(a.astype(int) - [0x2e, 0x6b, 0x30]) < 60, axis=2).mean()
    assert hatch > 0.02  # the hatching is there


def test_tiles_are_cached_for_the_last_few_zoom_bands_only(qtbot):
    from ui.map_canvas import render_image
    from ui.map_renderer import CACHED_BANDS, CanvasLayer

    rng = np.random.default_rng(2)
    polygons = [Point(x, y).buffer(3.0, quad_segs=2) for x, y in rng.uniform(0, 1000, (500, 2))]
    layer = CanvasLayer(_layer(polygons, Style(fill="#9fd09a", stroke="#2e6b30", stroke_width=0.4)))
    first = render_image(VIEW, [layer], labels=False)
    for factor in (2, 4, 8, 16, 32):
        render_image(VIEW.zoomed(factor), [layer], labels=False)
    assert len({band for band, _ in layer._tiles}) == CACHED_BANDS
    assert render_image(VIEW, [layer], labels=False) == first  # drawn again from scratch, the same


def test_parts_a_few_pixels_wide_get_a_hairline_outline_and_larger_ones_the_styled_width(qtbot):
    from ui.map_canvas import render_image
    from ui.map_renderer import HAIRLINE_BELOW_PX, PX_PER_PT, CanvasLayer

    style = Style(fill="#00ff00", stroke="#0000ff", stroke_width=3.0)  # 4 px outline
    # 10 m squares, 5 px at VIEW's 2 m/px; 60 m squares, 30 px; both fill-first, outline-second.
    for size, hairline in ((10.0, True), (60.0, False)):
        squares = [box(x, y, x + size, y + size) for x in range(100, 900, 100) for y in range(100, 900, 100)]
        layer = CanvasLayer(_layer(squares, style))
        assert (size / VIEW.resolution < HAIRLINE_BELOW_PX) == hairline
        assert layer.outline_px(VIEW.resolution) == (1.0 if hairline else 3.0 * PX_PER_PT)
        rgb = _rgb(render_image(VIEW, [layer], labels=False)).astype(int)
        green = (rgb[:, :, 1] > 150) & (rgb[:, :, 0] < 100) & (rgb[:, :, 2] < 100)
        blue = (rgb[:, :, 2] > 150) & (rgb[:, :, 0] < 100) & (rgb[:, :, 1] < 100)
        # Pixels of each colour per square, against the squares' own pixel sizes: a hairline
        # leaves the inside green (a 4-px outline would cover a 5-px square entirely), the
        # styled outline of the large squares is about 4 px wide along their 4 × 30 px edges.
        side = size / VIEW.resolution
        per_square_blue = blue.sum() / len(squares)
        if hairline:
            assert green.sum() / len(squares) >= (side - 2) ** 2 * 0.8
            assert per_square_blue <= 4 * (side + 1) * 1.2
        else:
            assert per_square_blue >= 4 * side * 3.0


def test_the_tile_index_taken_over_after_an_edit_equals_one_worked_out_anew(qtbot):
    from ui.map_canvas import render_image
    from ui.map_renderer import CanvasLayer

    rng = np.random.default_rng(3)
    polygons = [Point(x, y).buffer(3.0, quad_segs=2) for x, y in rng.uniform(0, 1000, (400, 2))]
    style = Style(fill="#9fd09a", stroke="#2e6b30", stroke_width=0.4)
    first = CanvasLayer(_layer(polygons, style))
    for view in (VIEW, VIEW.zoomed(4)):  # tiles of two zoom bands, each with its index
        render_image(view, [first], labels=False)
    bands = sorted({band for band, _ in first._tiles})
    edits = {"a parcel drawn among others": [*polygons, box(500, 500, 510, 505)],
             "one moved, one deleted": [box(10, 10, 14, 14), *polygons[1:200], *polygons[201:]],
             "one far away: a new tile": [*polygons, box(5000, 5000, 5010, 5010)]}
    for edit, geometries in edits.items():
        after = CanvasLayer(_layer(geometries, style), first.state, previous=first)
        for band in bands:
            followed = after._tile_indexes.pop(band)
            taken_over = followed[3] is first._tile_indexes[band][3]  # the previous tiles' cells
            assert taken_over == (edit != "one far away: a new tile"), edit
            anew = after._tile_index(band)  # worked out from the parts
            assert all(np.array_equal(a, b) for a, b in zip(followed, anew)), edit
        fresh = CanvasLayer(_layer(geometries, style), first.state)
        assert _rgb(render_image(VIEW, [after], labels=False)).tobytes() == \
            _rgb(render_image(VIEW, [fresh], labels=False)).tobytes(), edit


def test_labels_too_dense_to_read_are_left_out_without_working_out_their_anchors(qtbot):
    from PySide6.QtGui import QImage, QPainter

    from ui.map_renderer import MAX_LABELS_PER_LAYER, CanvasLayer, paint_labels

    squares = [box(20 + 20 * (i % 45), 20 + 20 * (i // 45), 30 + 20 * (i % 45), 30 + 20 * (i // 45))
               for i in range(900)]  # 900 squares of 10 m, all inside VIEW
    spec = _layer(squares, Style(fill="#9fd09a", stroke="#2e6b30", label_field="name")).spec
    layer = CanvasLayer(MapLayer(spec, gpd.GeoDataFrame({"name": [f"地块{i}" for i in range(900)]},
                                                        geometry=squares, crs="EPSG:4549")))
    image = QImage(VIEW.width, VIEW.height, QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    try:
        assert len(squares) > MAX_LABELS_PER_LAYER
        assert paint_labels(painter, VIEW, [layer]) == 0 and layer._labels is None  # no anchor worked out
        close = VIEW.zoomed(4)  # 250 m across: about 150 squares
        assert paint_labels(painter, close, [layer]) > 0 and layer._labels is not None
    finally:
        painter.end()
