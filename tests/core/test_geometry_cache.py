import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, box

from suichang_gis.geometry_cache import LayerGeometry, label_anchors, ranges_to_index


def test_ranges_to_index_concatenates_ranges():
    assert ranges_to_index(np.array([2, 10, 5]), np.array([4, 10, 8])).tolist() == [2, 3, 5, 6, 7]


def test_parts_keep_their_feature_and_missing_geometry_is_skipped():
    geoms = [box(0, 0, 1, 1), None, MultiPolygon([box(5, 5, 6, 6), box(8, 8, 9, 9)])]
    geometry = LayerGeometry(geoms)
    assert geometry.part_feature.tolist() == [0, 2, 2]
    assert geometry.bounds == (0, 0, 9, 9)
    assert geometry.query((4, 4, 10, 10)).tolist() == [1, 2]


def test_band_simplification_merges_sub_pixel_vertices_but_keeps_tiny_polygons():
    # A 100-vertex circle of radius 5 m and a 0.5 m square, at 10 m per pixel.
    circle = Point(0, 0).buffer(5, quad_segs=25)
    tiny = box(100, 100, 100.5, 100.5)
    geometry = LayerGeometry([circle, tiny])
    rings = geometry.band_rings(10.0, 3)
    assert rings.count == 2
    sizes = np.diff(rings.offsets)
    assert sizes.max() <= 10  # the circle collapses to a few pixel-grid vertices
    assert sizes.min() >= 2  # the tiny square is still drawn as a dot
    full = geometry.band_rings(0.01, -7)
    assert len(full.coords) == len(shapely.get_coordinates([circle, tiny]))


def test_chunks_never_split_the_rings_of_one_polygon():
    holed = [box(x, 0, x + 10, 10).difference(box(x + 2, 2, x + 4, 4)).difference(box(x + 6, 6, x + 8, 8))
             for x in range(0, 300, 20)]
    rings = LayerGeometry(holed).band_rings(0.5, -1)
    chunks = rings.chunks(4)
    assert sum(c.count for c in chunks) == rings.count == 45
    seen = [set(c.part.tolist()) for c in chunks]
    assert all(a.isdisjoint(b) for i, a in enumerate(seen) for b in seen[i + 1:])


def test_rings_of_selected_parts_and_one_style_key():
    geometry = LayerGeometry([box(0, 0, 1, 1), box(2, 0, 3, 1), box(4, 0, 5, 1)], feature_keys=[0, 1, 0])
    rings = geometry.rings(0.01, -7, parts=np.array([1, 2]), key=0)
    assert rings.part.tolist() == [2]
    assert rings.coords[:, 0].min() == 4


def test_label_anchors_lie_on_their_features():
    geoms = [box(0, 0, 10, 10), LineString([(0, 0), (10, 0)]), Point(3, 4), None]
    anchors = label_anchors(geoms)
    assert box(0, 0, 10, 10).contains(Point(anchors[0]))
    assert tuple(anchors[1]) == (5, 0)
    assert tuple(anchors[2]) == (3, 4)
    assert np.isnan(anchors[3]).all()


def test_a_close_up_view_simplifies_just_its_parts_the_same_way_as_the_whole_band():
    circles = [Point(x * 50, 0).buffer(20, quad_segs=16) for x in range(40)]
    fresh, cached = LayerGeometry(circles), LayerGeometry(circles)
    cached.band_rings(4.0, 2)
    few = np.array([3, 7])
    a, b = fresh.rings(4.0, 2, parts=few), cached.rings(4.0, 2, parts=few)
    assert 2 not in fresh._bands  # the whole layer was not simplified for two circles
    assert sorted(map(tuple, a.coords)) == sorted(map(tuple, b.coords))
    assert a.count == b.count == 2 and len(a.coords) < 2 * 65


def _rings_by_feature(geometry):
    """feature index -> its rings' coordinates (as tuples), in ring order, from the full rings."""
    full = geometry.band_rings(0.0, 0) if geometry.kind == "point" else geometry._full
    out = {}
    for ring in range(full.count):
        feature = int(geometry.part_feature[full.part[ring]])
        coords = full.coords[full.offsets[ring]:full.offsets[ring + 1]]
        out.setdefault(feature, []).append(tuple(map(tuple, coords.round(6))))
    return out


def test_an_edit_converts_only_the_features_whose_geometry_changed():
    holed = shapely.Polygon([(20, 0), (30, 0), (30, 10), (20, 10)], [[(22, 2), (22, 4), (24, 4), (24, 2)]])
    geoms = [box(0, 0, 1, 1), None, MultiPolygon([box(5, 5, 6, 6), box(8, 8, 9, 9)]), holed,
             box(40, 40, 41, 41)]
    before = LayerGeometry(geoms, ["a", None, "b", "a", "b"])
    assert before.prepared == 4
    # Delete feature 0, change feature 4's shape, add one at the end: the others are kept as objects.
    edited = [geoms[1], geoms[2], geoms[3], box(40, 40, 45, 42), box(50, 50, 52, 51)]
    keys = [None, "b", "a", "a", "b"]
    after = LayerGeometry(edited, keys, previous=before)
    assert after.prepared == 2
    scratch = LayerGeometry(edited, keys)
    assert _rings_by_feature(after) == _rings_by_feature(scratch)
    assert sorted(after.part_feature.tolist()) == sorted(scratch.part_feature.tolist())
    assert after.bounds == scratch.bounds
    for extent in [(4, 4, 10, 10), (19, -1, 26, 6), (45, 45, 60, 60)]:
        assert sorted(after.part_feature[after.query(extent)].tolist()) == \
            sorted(scratch.part_feature[scratch.query(extent)].tolist())
    for key in ["a", "b"]:
        mine, theirs = after.rings(1e-6, -20, key=key), scratch.rings(1e-6, -20, key=key)
        assert sorted(after.part_feature[mine.part].tolist()) == sorted(scratch.part_feature[theirs.part].tolist())
    assert _bounds_by_feature(after) == _bounds_by_feature(scratch)  # envelopes taken over too
    # Only a feature added (a parcel drawn): every part taken over as it was, the new one after them.
    grown, grown_keys = [*edited, box(60, 60, 61, 63)], [*keys, "a"]
    added, scratch = LayerGeometry(grown, grown_keys, previous=after), LayerGeometry(grown, grown_keys)
    assert added.prepared == 1 and added.kept_parts.tolist() == list(range(len(after)))
    assert _rings_by_feature(added) == _rings_by_feature(scratch)
    assert _bounds_by_feature(added) == _bounds_by_feature(scratch) and added.bounds == scratch.bounds


def _bounds_by_feature(geometry):
    return sorted((int(f), tuple(b)) for f, b in zip(geometry.part_feature, geometry.part_bounds.tolist()))


def _star(rng, x, y, radius, n=24):
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    r = radius * rng.uniform(0.5, 1.0, n)
    return shapely.Polygon(np.column_stack([x + r * np.cos(angles), y + r * np.sin(angles)]))


def test_drawn_geometry_at_a_zoom_is_shapelys_simplification_within_a_pixel_and_sub_pixel_parts_are_dots():
    rng = np.random.default_rng(7)
    res, band = 8.0, 3  # 8 m per pixel
    radii = np.concatenate([rng.uniform(0.5, 3.9, 150), rng.uniform(4, 300, 150)])  # under and over a pixel
    geoms = [_star(rng, i * 700.0, (i % 17) * 700.0, r) for i, r in enumerate(radii)]
    geoms.append(box(0, -2000, 400, -1600).difference(box(100, -1900, 300, -1700)))  # a hole
    geometry = LayerGeometry(geoms)
    rings = geometry.rings(res, band, min_size=res)
    dot_xy, dot_parts = geometry.dots(res)
    # Each part is drawn once: as rings when its envelope reaches a pixel, else as a dot.
    bounds = shapely.bounds(np.asarray(geoms, dtype=object))
    small = np.nonzero((bounds[:, 2] - bounds[:, 0] < res) & (bounds[:, 3] - bounds[:, 1] < res))[0]
    assert dot_parts.tolist() == small.tolist() and 100 < len(small) < 200
    assert sorted(set(rings.part.tolist())) == sorted(set(range(len(geoms))) - set(small.tolist()))
    for xy, part in zip(dot_xy, dot_parts):
        assert shapely.hausdorff_distance(Point(xy), geoms[part]) <= res * 2 ** 0.5 / 2
    # A drawn polygon is within (1 + √2) pixels of shapely's simplification to a pixel: its vertices
    # are original ones, dropping those within one pixel of the last kept errs by at most a
    # pixel's diagonal, and Douglas-Peucker (shapely.simplify) by at most the tolerance.
    for part in sorted(set(rings.part.tolist())):
        own = np.nonzero(rings.part == part)[0]
        shells = [rings.coords[rings.offsets[i]:rings.offsets[i + 1]] for i in own]
        drawn = shapely.Polygon(shells[0], shells[1:])
        expected = shapely.simplify(geoms[part], res)
        assert shapely.hausdorff_distance(drawn, expected, densify=0.1) <= (1 + 2 ** 0.5) * res
        assert len(shells[0]) <= len(shapely.get_coordinates(geoms[part].exterior))


def test_rings_from_ragged_arrays_are_oriented_as_shapely_orients_polygons():
    from suichang_gis.geometry_cache import build_rings, polygon_rings

    rng = np.random.default_rng(11)
    geoms = []
    for i in range(200):
        x, y = 400_000 + i * 50.0, 3_150_000.0  # large coordinates, small shapes
        shell = _star(rng, x, y, rng.uniform(0.3, 20))
        if i % 3 == 0:
            shell = shell.difference(Point(x, y).buffer(0.1))  # a hole
        if i % 2:
            shell = shapely.reverse(shell)  # exterior clockwise, holes counter-clockwise
        geoms.append(MultiPolygon([shell, box(x, y + 30, x + 5, y + 35)]) if i % 5 == 0 else shell)
    mixed = np.asarray(geoms, dtype=object)
    simple = mixed[[i for i in range(len(geoms)) if i % 3 and i % 5]]  # no holes, no multi: read directly
    for geoms in (mixed, simple):
        rings, part_of = polygon_rings(geoms)
        parts, expected_of = shapely.get_parts(geoms, return_index=True)
        expected = build_rings("polygon", shapely.orient_polygons(parts))
        assert part_of.tolist() == expected_of.tolist()
        assert rings.offsets.tolist() == expected.offsets.tolist() and rings.part.tolist() == expected.part.tolist()
        np.testing.assert_array_equal(rings.coords, expected.coords)


def test_the_same_objects_are_found_in_place_moved_or_once_when_repeated():
    from suichang_gis.geometry_cache import _same_objects

    old = np.array([box(i, 0, i + 1, 1) for i in range(6)], dtype=object)
    new_one = box(9, 9, 10, 10)
    # in place, 2 and 3 swapped, 4 dropped, a new one, 5 twice (the second converted anew)
    geoms = np.array([old[0], old[1], old[3], old[2], new_one, old[5], old[5]], dtype=object)
    assert _same_objects(geoms, old).tolist() == [0, 1, 3, 2, -1, 5, -1]
    assert _same_objects(geoms[:0], old).tolist() == [] and _same_objects(geoms, old[:0]).tolist() == [-1] * 7
