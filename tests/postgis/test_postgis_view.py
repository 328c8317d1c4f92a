"""A database layer read for the map's view, against the real server (see conftest.py): the
features that meet the view exactly, simplified at a zoom, sub-pixel ones counted as dots."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import psycopg
import shapely
from shapely.geometry import Polygon, box

from suichang_gis import postgis
from suichang_gis.catalog import load_catalog

VIEW = (1000.0, 1000.0, 3000.0, 2500.0)


def _patches():
    """Big and tiny irregular polygons around and across VIEW, and an L whose envelope meets
    the view while the polygon does not (a bounding-box read would wrongly bring it)."""
    rng = np.random.default_rng(3)
    geoms = []
    for i in range(600):
        cx, cy = rng.uniform(0, 4000), rng.uniform(0, 3500)
        radius = rng.choice([rng.uniform(0.5, 9.0), rng.uniform(20.0, 200.0)])
        angles = np.sort(rng.uniform(0, 2 * np.pi, 16))
        r = radius * rng.uniform(0.6, 1.0, 16)
        geoms.append(Polygon(np.column_stack([cx + r * np.cos(angles), cy + r * np.sin(angles)])))
    geoms.append(Polygon([(3100, 2600), (3100, 900), (3200, 900), (3200, 2700), (900, 2700), (900, 2600)]))
    return gpd.GeoDataFrame({"code": [f"p{i}" for i in range(len(geoms))]}, geometry=geoms, crs="EPSG:4549")


def test_postgis_view_read_returns_exactly_the_features_meeting_the_view(pg_dsn):
    gdf = _patches()
    with psycopg.connect(pg_dsn) as conn:
        postgis.write_frame(conn, gdf, "public.patches")
        exact = postgis.read_view(conn, "public.patches", VIEW)
    geoms = gdf.geometry.to_numpy()
    meets = np.nonzero(shapely.intersects(geoms, box(*VIEW)))[0]
    assert not shapely.intersects(geoms[-1], box(*VIEW))  # the L: only its envelope meets the view
    assert sorted(exact.fids.tolist()) == (meets + 1).tolist()  # fid numbers the rows from 1
    assert exact.attrs["code"] == [f"p{i}" for i in meets]
    assert all(shapely.equals_exact(a, b, 1e-6) for a, b in zip(exact.geoms, geoms[meets]))
    assert len(exact.dots) == 0 and exact.features == len(meets)


def test_postgis_view_read_at_a_zoom_simplifies_and_counts_sub_pixel_features_as_dots(pg_dsn):
    gdf = _patches()
    resolution = 8.0  # metres per pixel; features under 2 px (16 m) both ways come as dots
    with psycopg.connect(pg_dsn) as conn:
        postgis.write_frame(conn, gdf, "public.patches")
        view = postgis.read_view(conn, "public.patches", VIEW, resolution)
    geoms = gdf.geometry.to_numpy()
    meets = shapely.intersects(geoms, box(*VIEW))
    b = shapely.bounds(geoms)
    small = (b[:, 2] - b[:, 0] < 2 * resolution) & (b[:, 3] - b[:, 1] < 2 * resolution)
    whole, dotted = np.nonzero(meets & ~small)[0], np.nonzero(meets & small)[0]
    assert len(whole) > 50 and len(dotted) > 50
    assert sorted(view.fids.tolist()) == (whole + 1).tolist()
    for fid, drawn in zip(view.fids, view.geoms):  # simplified by at most a pixel
        original = geoms[fid - 1]
        assert shapely.hausdorff_distance(drawn, original, densify=0.1) <= resolution + 1e-6
        assert len(shapely.get_coordinates(drawn)) <= len(shapely.get_coordinates(original))
    # Every sub-pixel feature is counted once, in the pixel holding its envelope's centre.
    assert view.dot_counts.sum() == len(dotted) and view.features == meets.sum()
    centres = np.column_stack([(b[dotted, 0] + b[dotted, 2]) / 2, (b[dotted, 1] + b[dotted, 3]) / 2])
    cells, counts = np.unique(np.floor(centres / resolution), axis=0, return_counts=True)
    got = sorted(zip(map(tuple, np.floor(view.dots / resolution)), view.dot_counts.tolist()))
    assert got == sorted(zip(map(tuple, cells), counts.tolist()))
    assert "简化" in view.note("地类图斑") and f"{len(dotted)} 个小于 2 像素" in view.note("地类图斑")


def test_postgis_layer_for_the_map_view_draws_features_and_dots(tmp_path, pg_dsn):
    gdf = _patches()
    with psycopg.connect(pg_dsn) as conn:
        postgis.write_frame(conn, gdf, "bureau.patches")
    path = tmp_path / "db.toml"
    path.write_text(f'[layers.env_control_units]\ndata = "PG:{pg_dsn}"\nsource_layer = "bureau.patches"\n',
                    encoding="utf-8")
    spec = {s.id: s for s in load_catalog(user_catalog=path)}["env_control_units"]
    assert not postgis.reads_by_view(spec)  # 601 rows: loaded whole as before
    layer = postgis.load_postgis_view(spec, VIEW, 8.0)
    with psycopg.connect(pg_dsn) as conn:
        direct = postgis.read_view(conn, "bureau.patches", VIEW, 8.0)
    assert layer.by_view
    assert layer.gdf["code"].tolist() == direct.attrs["code"]
    assert len(layer.drawing) == len(shapely.get_parts(layer.gdf.geometry.to_numpy())) + len(direct.dots)
    assert (layer.drawing.part_feature == -1).sum() == len(direct.dots)
    assert layer.view_note == direct.note(spec.title) and "简化" in layer.view_note
