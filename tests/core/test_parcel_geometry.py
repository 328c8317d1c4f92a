"""Vertex, hole, split, merge and snapping edits on hand-made parcels with known areas."""

import pytest
from shapely.geometry import LineString, Point, Polygon, box

from suichang_gis.parcel_geometry import (
    VertexKey,
    cut_hole,
    delete_vertex,
    insert_vertex,
    merge_parcels,
    move_vertex,
    nearest_edge,
    nearest_vertex,
    repair_drawn,
    snap_point,
    split_parcel,
    translate,
    vertices,
)

SQUARE = box(0, 0, 100, 100)


def test_vertices_leave_out_the_closing_point():
    assert len(vertices(SQUARE)) == 4
    key, distance = nearest_vertex(SQUARE, 98, 103)
    assert (vertices(SQUARE)[key.index][1:], distance) == ((100.0, 100.0), pytest.approx(13 ** 0.5))


def test_move_insert_delete_vertex():
    key, _ = nearest_vertex(SQUARE, 100, 100)
    assert move_vertex(SQUARE, key, 100, 200).area == 15_000.0  # square + triangle
    edge, (x, y), d = nearest_edge(SQUARE, 50, -3)
    assert (x, y, d) == (50.0, 0.0, 3.0)
    with_point = insert_vertex(SQUARE, edge, 50, -50)
    assert len(with_point.exterior.coords) == 6 and with_point.area == 12_500.0
    assert delete_vertex(with_point, VertexKey(0, 0, edge.index + 1)).equals(SQUARE)


def test_edits_that_would_break_the_parcel_are_refused():
    triangle = Polygon([(0, 0), (10, 0), (0, 10)])
    with pytest.raises(ValueError, match="至少需要 3 个顶点"):
        delete_vertex(triangle, VertexKey(0, 0, 0))
    key, _ = nearest_vertex(SQUARE, 100, 100)
    with pytest.raises(ValueError, match="自相交"):
        move_vertex(SQUARE, key, -50, 50)  # crosses the opposite edge


def test_hole_split_merge_translate():
    holed = cut_hole(SQUARE, box(25, 25, 75, 75))
    assert holed.area == 7_500.0 and len(holed.interiors) == 1
    with pytest.raises(ValueError, match="洞必须完全位于地块内部"):
        cut_hole(SQUARE, box(90, 90, 120, 120))
    pieces = split_parcel(SQUARE, LineString([(30, -10), (30, 110)]))
    assert sorted(p.area for p in pieces) == [3_000.0, 7_000.0]
    with pytest.raises(ValueError, match="完整穿过地块"):
        split_parcel(SQUARE, LineString([(30, -10), (30, 50)]))
    merged, note = merge_parcels(pieces)
    assert merged.area == pytest.approx(10_000.0) and note is None
    apart, note = merge_parcels([SQUARE, box(200, 0, 300, 100)])
    assert apart.area == 20_000.0 and "2 个部分" in note
    assert translate(SQUARE, 5, -5).bounds == (5.0, -5.0, 105.0, 95.0)


def test_drawn_bowtie_keeps_both_lobes():
    repaired, note = repair_drawn(Polygon([(0, 0), (100, 100), (100, 0), (0, 100)]))
    assert repaired.area == pytest.approx(5_000.0) and "make_valid" in note
    assert repair_drawn(SQUARE) == (SQUARE, None)


def test_snap_prefers_vertices_then_edges_and_ignores_interiors():
    other = [SQUARE, Point(300, 300)]
    assert snap_point(103, 98, other, 5).kind == "vertex"
    edge = snap_point(50, 103, other, 5)
    assert (edge.x, edge.y, edge.kind) == (50.0, 100.0, "edge")
    assert snap_point(50, 50, other, 5) is None  # inside, far from the outline
    assert snap_point(302, 301, other, 5).kind == "vertex"
