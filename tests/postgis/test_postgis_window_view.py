"""The map window reads a large database layer per view, against the real server (conftest.py):
160,000 cells built by the server; the canvas holds only what its view shows."""

from __future__ import annotations

import numpy as np
import psycopg
import pytest
import shapely

from suichang_gis.catalog import load_catalog, load_map_layer
from suichang_gis.mapview import MapView

pytest.importorskip("pytestqt")

N = 400  # N × N cells of 9 m on a 10 m grid from (400000, 3150000)
X0, Y0 = 400_000.0, 3_150_000.0


@pytest.fixture
def cells_spec(tmp_path, pg_dsn):
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA big")
        conn.execute("CREATE TABLE big.cells (fid bigint PRIMARY KEY, code text, geom geometry(Polygon, 4549))")
        conn.execute(f"INSERT INTO big.cells SELECT i * {N} + j, 'c' || (i * {N} + j), ST_MakeEnvelope("
                     f"{X0} + i * 10, {Y0} + j * 10, {X0} + i * 10 + 9, {Y0} + j * 10 + 9, 4549) "
                     f"FROM generate_series(0, {N - 1}) i, generate_series(0, {N - 1}) j")
        conn.execute("CREATE INDEX ON big.cells USING gist (geom)")
        conn.execute("ANALYZE big.cells")
    path = tmp_path / "db.toml"
    path.write_text(f'[layers.env_control_units]\ndata = "PG:{pg_dsn}"\nsource_layer = "big.cells"\n',
                    encoding="utf-8")
    return {s.id: s for s in load_catalog(user_catalog=path)}["env_control_units"]


def _cells_meeting(extent) -> list[int]:
    i, j = np.meshgrid(np.arange(N), np.arange(N), indexing="ij")
    boxes = shapely.box(X0 + i * 10, Y0 + j * 10, X0 + i * 10 + 9, Y0 + j * 10 + 9).ravel()
    return sorted((i * N + j).ravel()[shapely.intersects(boxes, shapely.box(*extent))].tolist())


def test_postgis_window_reads_a_large_layer_for_each_view(qtbot, cells_spec):
    from ui.database_view import DatabaseViewReader
    from ui.map_canvas import MapCanvasWidget

    layer = load_map_layer(cells_spec)
    assert layer.by_view and len(layer.gdf) == 0  # 160,000 rows estimated: not read whole
    canvas = MapCanvasWidget()
    qtbot.addWidget(canvas)
    canvas.resize(800, 600)
    canvas.set_layers([layer])
    canvas.set_layer_opacity(layer.id, 0.7)
    reader = DatabaseViewReader(canvas)

    # A close view (0.5 m per pixel): the features meeting it, whole, and nothing else.
    canvas.set_view(MapView(X0 + 1234.0, Y0 + 2345.0, 0.5, 800, 600))
    reader.read_now()
    shown = canvas.canvas_layer(layer.id)
    assert shown.layer.by_view and shown.opacity == 0.7  # the layer's settings are kept
    assert sorted(shown.layer.gdf["fid"].tolist()) == _cells_meeting(canvas.view.extent)
    assert any("按视图从数据库读取" in text for text in canvas.attributions())

    # Panned: the new view's features replace the old ones.
    canvas.set_view(canvas.view.panned(-400, 0))
    reader.read_now()
    assert sorted(canvas.canvas_layer(layer.id).layer.gdf["fid"].tolist()) == _cells_meeting(canvas.view.extent)

    # Zoomed out to 6 m per pixel: the 9 m cells, under 2 pixels, come as counted dots, no rows.
    canvas.set_view(MapView(X0 + 2000.0, Y0 + 2000.0, 6.0, 800, 600))
    reader.read_now()
    whole = canvas.canvas_layer(layer.id)
    meeting = len(_cells_meeting(canvas.view.extent))
    assert len(whole.layer.gdf) == 0 and 0 < len(whole.geometry) <= meeting
    assert f"{meeting:,} 个小于 2 像素的要素画作" in whole.layer.view_note
    # Hidden, the layer is not read again; shown, it is.
    canvas.set_layer_visible(layer.id, False)
    canvas.set_view(canvas.view.panned(300, 0))
    reader.read_now()
    assert canvas.canvas_layer(layer.id).layer is whole.layer
    canvas.set_layer_visible(layer.id, True)
    reader.read_now()
    assert canvas.canvas_layer(layer.id).layer is not whole.layer
    image = canvas.render_now()
    assert image.pixelColor(400, 300) != image.pixelColor(5, 5)  # dots drawn inside, background outside


def test_postgis_view_read_now_asks_a_password_without_hanging(qtbot, cells_spec, pg_server, pg_dsn, pg_password,
                                                               tmp_path, monkeypatch):
    # read_now (the screenshot mode) waits for the read; a read that needs a password asks in
    # this thread meanwhile, so the wait must keep the events flowing.
    from test_postgis_window import Answerer

    from suichang_gis import postgis
    from ui.database_view import DatabaseViewReader
    from ui.map_canvas import MapCanvasWidget
    from ui.password_prompt import install_password_prompt

    for key in ("PGPASSWORD", "PGPASSFILE", "PGSERVICE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setattr(postgis, "_connections", {})
    monkeypatch.setattr(install_password_prompt(), "_remembered", {})
    dbname = psycopg.conninfo.conninfo_to_dict(pg_dsn)["dbname"]
    path = tmp_path / "planner.toml"
    path.write_text(f'[layers.env_control_units]\ndata = "PG:host=127.0.0.1 port={pg_server["port"]} '
                    f'dbname={dbname} user=planner"\nsource_layer = "big.cells"\n', encoding="utf-8")
    answerer = Answerer([pg_password, pg_password])  # opening the layer, then the view's read
    try:
        spec = {s.id: s for s in load_catalog(user_catalog=path)}["env_control_units"]
        layer = load_map_layer(spec)
        canvas = MapCanvasWidget()
        qtbot.addWidget(canvas)
        canvas.resize(800, 600)
        canvas.set_layers([layer])
        postgis._connections.clear()  # the view's read connects anew, from its worker thread
        canvas.set_view(MapView(X0 + 1234.0, Y0 + 2345.0, 0.5, 800, 600))
        DatabaseViewReader(canvas).read_now()
    finally:
        answerer.stop()
        for conn in postgis._connections.values():
            conn.close()
    assert len(answerer.seen) == 2 and all(s["gui_thread"] for s in answerer.seen)
    shown = canvas.canvas_layer(layer.id).layer
    assert sorted(shown.gdf["fid"].tolist()) == _cells_meeting(canvas.view.extent)
