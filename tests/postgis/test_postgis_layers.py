"""PostGIS as a layer source, against a real server (see conftest.py): publishing the catalog,
a user catalog pointing at it, bounding-box reads, masked passwords."""

from __future__ import annotations

import json

import numpy as np
import psycopg
import pytest
import shapely

from suichang_gis import postgis
from suichang_gis.catalog import CatalogError, load_catalog, load_layer, mask_secrets
from suichang_gis.check import check_parcels
from suichang_gis.check.data import read_check_layer
from suichang_gis.cli import main
from suichang_gis.parcel import parcels_frame


def test_postgis_mask_dsn_hides_every_password_form():
    assert mask_secrets("postgresql://u:p%40ss@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert mask_secrets("PG:host=h password='a b' dbname=x") == "PG:host=h password=*** dbname=x"
    assert mask_secrets("PG:host=h PASSWORD=abc") == "PG:host=h PASSWORD=***"
    assert mask_secrets("postgresql://h/db?user=u&password=xyz") == "postgresql://h/db?user=u&password=***"
    assert mask_secrets("PG:service=bureau") == "PG:service=bureau"
    assert not postgis.has_password("postgresql://u@h/db") and postgis.has_password("postgres://u:x@h/db")


def _published(capsys, dsn, *ids):
    args = ["publish-layers", "--dsn", dsn, "--schema", "bureau"]
    for i in ids:
        args += ["--layer", i]
    assert main(args) == 0
    return capsys.readouterr().out


def test_postgis_publish_layers_writes_the_catalog_and_masks_the_password(pg_password_url, pg_password, pg_dsn, capsys):
    ids = ("ecological_redline", "permanent_basic_farmland", "env_control_units", "roads")
    out = _published(capsys, pg_password_url, *ids)
    assert pg_password not in out and "planner:***@" in out
    specs = {s.id: s for s in load_catalog()}
    with psycopg.connect(pg_dsn) as conn:
        for lid in ids:
            gdf = load_layer(specs[lid]).gdf
            n, area, length, srid = conn.execute(
                f'SELECT count(*), sum(ST_Area(geom)), sum(ST_Length(geom) + ST_Perimeter(geom)), max(ST_SRID(geom)) FROM bureau."{lid}"'
            ).fetchone()
            assert n == len(gdf) and srid == 4549
            assert area == pytest.approx(float(gdf.area.sum()), rel=1e-9, abs=1e-6)
            assert length == pytest.approx(float(gdf.length.sum()), rel=1e-9, abs=1e-6)
        rows = dict(conn.execute("SELECT id, accuracy FROM bureau.suichang_layers").fetchall())
    assert rows == {lid: specs[lid].provenance.accuracy for lid in ids}


def test_postgis_wrong_password_is_told_masked(pg_password_url, pg_password, capsys):
    wrong = pg_password_url.replace(pg_password, "not-the-password")
    assert main(["publish-layers", "--dsn", wrong, "--layer", "roads"]) == 2
    err = capsys.readouterr().err
    assert "无法连接数据库" in err and "not-the-password" not in err and "planner:***@" in err


def _user_catalog(tmp_path, dsn, ids):
    path = tmp_path / "bureau.toml"
    layers = ", ".join(f'"{i}"' for i in ids)
    path.write_text(f'[postgis]\ndsn = "PG:{dsn}"\nschema = "bureau"\nlayers = [{layers}]\n', encoding="utf-8")
    return path


def test_postgis_catalog_refuses_a_password_in_the_file(tmp_path, pg_password_url, pg_password):
    path = tmp_path / "bad.toml"
    path.write_text(f'[layers.roads]\ndata = "{pg_password_url}"\nsource_layer = "bureau.roads"\n', encoding="utf-8")
    with pytest.raises(CatalogError) as err:
        load_catalog(user_catalog=path)
    assert pg_password not in str(err.value) and "口令不得写入目录文件" in str(err.value)


def _sites():
    # Two parcels astride the default 生态保护红线 and 永久基本农田 (taken from their features),
    # one in the county far from both: the check must find the same overlaps from either source.
    specs = {s.id: s for s in load_catalog()}
    red = load_layer(specs["ecological_redline"]).gdf.geometry.iloc[0]
    farm = load_layer(specs["permanent_basic_farmland"]).gdf.geometry.iloc[0]
    geoms = [shapely.box(*np.add(red.representative_point().buffer(120).bounds, 0)),
             farm.representative_point().buffer(80),
             shapely.box(*shapely.Point(red.centroid.x + 9000, red.centroid.y).buffer(50).bounds)]
    return parcels_frame(geoms, parcel_id=["A", "B", "C"], land_use=["工业用地"] * 3,
                         industrial_category=["二类"] * 3)


def test_postgis_check_from_database_equals_check_from_files(tmp_path, pg_dsn, capsys):
    ids = ("ecological_redline", "permanent_basic_farmland", "env_control_units", "urban_development_boundary",
           "townships")
    _published(capsys, pg_dsn, *ids)
    sites = tmp_path / "sites.geojson"
    _sites().to_file(sites, driver="GeoJSON")
    from_files = check_parcels(sites).result
    run = check_parcels(sites, catalog=_user_catalog(tmp_path, pg_dsn, ids))
    from_db, layers = run.result, run.layers
    assert [p.to_dict() for p in from_db.parcels] == [p.to_dict() for p in from_files.parcels]
    assert any(f.overlap_m2 for p in from_db.parcels for f in p.findings)  # the sites do overlap
    used = {u.id: u for u in from_db.layers}
    assert used["ecological_redline"].file == "bureau.ecological_redline"
    # Only candidates near the parcels came over the wire for overlap-only layers.
    total = len(load_layer({s.id: s for s in load_catalog()}["env_control_units"]).gdf)
    assert 0 < len(layers["env_control_units"]) < total


def test_postgis_million_polygon_layer_opens_by_view(tmp_path, pg_dsn):
    # 1000 × 1000 squares of 100 m built by the server; the client never reads them all.
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA big")
        conn.execute("CREATE TABLE big.cells (fid bigint PRIMARY KEY, code text, geom geometry(Polygon, 4549))")
        conn.execute("INSERT INTO big.cells SELECT i * 1000 + j, 'c' || (i * 1000 + j), ST_MakeEnvelope("
                     "300000 + i * 100, 3000000 + j * 100, 300000 + i * 100 + 90, 3000000 + j * 100 + 90, 4549) "
                     "FROM generate_series(0, 999) i, generate_series(0, 999) j")
        conn.execute("CREATE INDEX ON big.cells USING gist (geom)")
        conn.execute("ANALYZE big.cells")
    path = tmp_path / "big.toml"
    path.write_text(f'[layers.env_control_units]\ndata = "PG:{pg_dsn}"\nsource_layer = "big.cells"\n',
                    encoding="utf-8")
    spec = {s.id: s for s in load_catalog(user_catalog=path)}["env_control_units"]
    with psycopg.connect(pg_dsn) as conn:
        info = postgis.table_info(conn, "big.cells")
    assert 900_000 < info.estimated_rows < 1_100_000  # from statistics, not a count
    assert info.extent == pytest.approx((300000, 3000000, 399990, 3099990), abs=200)
    view = (350_005, 3_050_005, 350_995, 3_050_495)  # 10 columns × 5 rows of cells meet it
    layer = load_layer(spec, bbox=view)
    assert len(layer.gdf) == 10 * 5 and set(layer.gdf["code"]) == {
        f"c{i * 1000 + j}" for i in range(500, 510) for j in range(500, 505)}
    data = read_check_layer(spec, boxes=np.array([view, (300_000, 3_000_000, 300_050, 3_000_050)]))
    assert len(data) == 51 and sorted(data.fids)[0] == 0


def test_postgis_connection_from_environment_and_prompt(pg_server, pg_dsn, pg_password, monkeypatch):
    dbname = psycopg.conninfo.conninfo_to_dict(pg_dsn)["dbname"]
    for key, value in (("PGHOST", pg_server["host"]), ("PGPORT", pg_server["port"]), ("PGUSER", pg_server["user"])):
        monkeypatch.setenv(key, value)
    conn = postgis.Connection(f"PG:dbname={dbname}")
    assert conn.run(lambda c: c.execute("SELECT PostGIS_Version()").fetchone()[0])
    conn.close()
    asked = []
    monkeypatch.setattr(postgis, "_prompt", lambda masked, error: asked.append(masked) or pg_password)
    monkeypatch.setattr(postgis, "_connections", {})
    dsn = f"PG:host=127.0.0.1 port={pg_server['port']} dbname={dbname} user=planner"
    assert postgis.connection_for(dsn).run(lambda c: c.execute("SELECT current_user").fetchone()[0]) == "planner"
    assert asked == [dsn]
    postgis.connection_for(dsn).close()
    assert pg_password not in json.dumps(repr(postgis.connection_for(dsn)))


def test_postgis_dask_workers_read_the_layers_from_the_database(tmp_path, pg_dsn, capsys):
    import geopandas as gpd

    from suichang_gis.check.dask_engine import check_parcels_dask

    ids = ("ecological_redline", "permanent_basic_farmland", "env_control_units", "townships")
    _published(capsys, pg_dsn, *ids)
    sites = tmp_path / "sites.geojson"
    _sites().to_file(sites, driver="GeoJSON")
    catalog = _user_catalog(tmp_path, pg_dsn, ids)
    expected = {p.id: p.to_dict() for p in check_parcels(sites).result.parcels}
    summary = check_parcels_dask(sites, tmp_path / "out", catalog=catalog, workers=1, partition_size=2)
    assert summary.partitions == 2
    rows = gpd.read_parquet(tmp_path / "out" / "parcels")
    assert {r.parcel_id: json.loads(r.result) for r in rows.itertuples()} == expected
    layers = {u["id"]: u for u in summary.summary["layers"]}
    assert layers["ecological_redline"]["file"] == "bureau.ecological_redline"
