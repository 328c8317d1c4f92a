"""Plan geometry over the whole catalog: distinct plan items never share one line or one point,
drawn lengths stay within the plan's figures, and every item the map does not draw says why.

Distances are computed with shapely on the committed layer files (EPSG:4549, metres).
"""

import itertools

import pytest
from shapely.geometry import Point

from suichang_gis.catalog import load_catalog, load_layer
from suichang_gis.check.batch import list_conflicts

LINE_TOLERANCE_M = 1.0  # two lines closer than this everywhere (Hausdorff) are one line
POINT_GAP_M = 300.0
# Pairs of point items the plan itself puts at one place (none today).
TOGETHER: set[frozenset[str]] = set()
# Fields holding the plan's length figure of a line item (km).
PLAN_LENGTH_FIELDS = ("length_km", "new_length_km", "river_length_km")
# Fields in which a layer says where an item is, or why it is not drawn.
REASON_FIELDS = ("placement", "site_basis", "route_basis", "location_note", "basis")


@pytest.fixture(scope="module")
def plan_layers():
    """Every catalog layer that draws plan 专栏 items."""
    return {s.id: load_layer(s).gdf for s in load_catalog() if s.zhuanlan}


def _features(plan_layers, kinds):
    out = []
    for layer_id, gdf in plan_layers.items():
        for i, row in gdf.iterrows():
            geom = row.geometry
            if geom is None or geom.is_empty or geom.geom_type not in kinds:
                continue
            item = row.get("plan_item") or row.get("name") or f"{layer_id}#{i}"
            out.append((layer_id, str(row.get("name", i)), str(item), geom))
    return out


def test_no_two_plan_items_share_a_line(plan_layers):
    lines = _features(plan_layers, ("LineString", "MultiLineString"))
    assert len(lines) > 30
    for a, b in itertools.combinations(lines, 2):
        if a[2] == b[2]:
            continue  # one item drawn in two layers (a 专栏22 project on its 专栏21 road)
        assert a[3].hausdorff_distance(b[3]) >= LINE_TOLERANCE_M, f"{a[:2]} and {b[:2]} are one line"


def test_no_plan_point_on_another_items_point(plan_layers):
    points = _features(plan_layers, ("Point", "MultiPoint"))
    assert len(points) > 20
    for a, b in itertools.combinations(points, 2):
        if a[2] == b[2] or frozenset((a[2], b[2])) in TOGETHER:
            continue
        assert a[3].distance(b[3]) >= POINT_GAP_M, f"{a[:2]} and {b[:2]} within {POINT_GAP_M} m"


def test_line_ends_at_a_border_are_distinct_per_item(plan_layers):
    """Distinct roads and lines sent to one neighbour's border ("至龙泉界") end at distinct
    points of it; a section of a road (``network_road``) ends where its road does."""
    outline = load_layer(next(s for s in load_catalog() if s.id == "county_boundary")).gdf.union_all()
    ends = []
    for layer_id in ("roads", "railways", "transport_projects"):
        gdf = plan_layers[layer_id]
        for _, row in gdf[gdf.geometry.notna()].iterrows():
            owner = row.get("network_road") or row.get("plan_item")
            for part in getattr(row.geometry, "geoms", [row.geometry]):
                for xy in (part.coords[0], part.coords[-1]):
                    point = Point(xy)
                    if point.distance(outline.boundary) < 60:
                        ends.append((owner, point))
    assert len(ends) > 10
    for (owner_a, a), (owner_b, b) in itertools.combinations(ends, 2):
        if owner_a != owner_b:
            assert a.distance(b) >= POINT_GAP_M, f"{owner_a} and {owner_b} end on one border point"


def test_airport_unplaced_and_bridge_off_the_seat(plan_layers):
    seats = load_layer(next(s for s in load_catalog() if s.id == "township_seats")).gdf
    airport = plan_layers["airport"]
    assert airport.geometry.isna().all() and not airport["placed"].astype(bool).any()
    assert all("选址" in p for p in airport["placement"])
    bridge = plan_layers["bridges"].geometry.iloc[0]
    assert seats.geometry.distance(bridge).min() >= POINT_GAP_M


def test_drawn_length_within_the_plan_figure(plan_layers):
    checked = 0
    for layer_id, gdf in plan_layers.items():
        for field in PLAN_LENGTH_FIELDS:
            if field not in gdf.columns:
                continue
            for _, row in gdf[gdf.geometry.notna() & gdf[field].notna()].iterrows():
                drawn_km = row.geometry.length / 1000
                checked += 1
                assert drawn_km <= row[field] + 0.05, f"{layer_id} {row['name']}: {drawn_km:.1f} > {row[field]}"
                if drawn_km < 0.95 * row[field]:
                    assert "km" in str(row.get("site_basis", "")), f"{layer_id} {row['name']} does not say"
    assert checked >= 6


def test_every_undrawn_item_says_why(plan_layers):
    undrawn = 0
    for layer_id, gdf in plan_layers.items():
        for _, row in gdf[gdf.geometry.isna()].iterrows():
            undrawn += 1
            if "placed" in gdf.columns:
                assert not bool(row["placed"]), f"{layer_id} {row['name']}"
            reason = " ".join(str(row.get(f) or "") for f in REASON_FIELDS)
            assert reason.strip(), f"{layer_id} {row['name']} has no reason"
    assert undrawn >= 10


def test_conflicts_count_a_crossing_once_per_item():
    conflicts = list_conflicts()
    seen = {}
    for c in conflicts:
        key = (c.project, c.constraint_layer)
        assert key not in seen, f"{c.project} listed twice against {c.constraint_layer}"
        seen[key] = c
    redline = [c for c in conflicts if c.constraint_layer == "ecological_redline" and c.length_m]
    rounded = [round(c.length_m) for c in redline]
    assert len(rounded) == len(set(rounded)), "one red-line crossing counted under several names"
