"""`check --engine dask` on a real local Dask cluster (2 worker processes): the same verdicts and
findings as the single-process check, GeoParquet partitions, and a worker killed mid-batch costs
no result and doubles none."""

from __future__ import annotations

import json
import os
import signal

import geopandas as gpd
import numpy as np
import pytest
import shapely

from suichang_gis.catalog import load_catalog, load_layer
from suichang_gis.check import check_parcels
from suichang_gis.check.dask_engine import check_frame_dask, open_client
from suichang_gis.check.inputs import read_parcel_set
from suichang_gis.cli import main
from suichang_gis.parcel import parcels_frame

pytest.importorskip("dask_geopandas")


@pytest.fixture(scope="module")
def client():
    client = open_client(workers=2, memory_limit="1GB")
    yield client
    cluster = client.cluster
    client.close()
    cluster.close()


def _sites(n: int, seed: int):
    """``n`` parcels at random places in the county, a third of them astride a 生态保护红线 or
    永久基本农田 feature, with mixed land uses and 标准地 figures."""
    rng = np.random.default_rng(seed)
    specs = {s.id: s for s in load_catalog()}
    county = load_layer(specs["county_boundary"]).gdf.geometry.union_all()
    red = load_layer(specs["ecological_redline"]).gdf.geometry.to_numpy()
    farm = load_layer(specs["permanent_basic_farmland"]).gdf.geometry.to_numpy()
    x0, y0, x1, y1 = county.bounds
    geoms = []
    while len(geoms) < n:
        if len(geoms) % 3 == 0:
            pool = red if len(geoms) % 2 else farm
            p = shapely.get_exterior_ring(pool[rng.integers(len(pool))]).interpolate(rng.random(), normalized=True)
        else:
            p = shapely.Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
            if not county.contains(p):
                continue
        w, h = rng.uniform(60, 400, 2)
        geoms.append(shapely.box(p.x - w / 2, p.y - h / 2, p.x + w / 2, p.y + h / 2))
    uses = rng.choice(["工业用地", "商业用地", "工业用地"], n)
    return parcels_frame(geoms, parcel_id=[f"D{i:04d}" for i in range(n)], land_use=uses,
                         industrial_category=rng.choice(["一类", "二类", "三类"], n),
                         investment_wan=np.round(rng.uniform(500, 20000, n), 1),
                         floor_area_ratio=np.round(rng.uniform(0.5, 3, n), 2))


def _single_process(path):
    result = check_parcels(path).result
    return {p.id: p.to_dict() for p in result.parcels}, result


def _read_parts(out):
    parcels = gpd.read_parquet(out / "parcels")
    findings = gpd.read_parquet(out / "findings")
    return parcels, findings


def _assert_same_as_single_process(out, expected, result):
    parcels, findings = _read_parts(out)
    assert sorted(parcels["parcel_id"]) == sorted(expected)  # every parcel once: none lost, none doubled
    for row in parcels.itertuples():
        assert json.loads(row.result) == expected[row.parcel_id]
        assert row.status == expected[row.parcel_id]["status"]
    assert parcels.crs.to_epsg() == 4549 and shapely.equals(
        parcels.set_index("parcel_id").geometry.sort_index().to_numpy(),
        np.asarray([p.geometry for p in sorted(result.parcels, key=lambda p: p.id)], dtype=object)).all()
    not_pass = sorted((p.id, f.rule) for p in result.parcels for f in p.findings if f.status != "pass")
    assert sorted(zip(findings["parcel_id"], findings["rule"])) == not_pass
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["summary"] == result.counts() and summary["parcels"] == len(expected)
    assert not list(out.rglob("*.tmp-*"))


def test_dask_check_equals_single_process_check(tmp_path, client):
    sites = tmp_path / "sites.gpkg"
    _sites(90, seed=14).to_file(sites, driver="GPKG")
    expected, result = _single_process(sites)
    statuses = {(f["rule"], f["status"]) for p in expected.values() for f in p["findings"]}
    assert {("SX-01", "fail"), ("SX-01", "pass"), ("SX-02", "fail"), ("SX-04", "warn")} <= statuses  # a real mix
    frame = read_parcel_set(sites)
    gdf = gpd.GeoDataFrame(frame.attrs, geometry=list(frame.geoms), crs="EPSG:4549")
    summary = check_frame_dask(gdf, tmp_path / "out", load_catalog(), client=client, partition_size=20)
    assert summary.partitions == 5 and summary.parcels == 90
    _assert_same_as_single_process(tmp_path / "out", expected, result)
    # Partitions are spatial: each covers much less than the whole set's extent.
    parcels, _ = _read_parts(tmp_path / "out")
    whole = shapely.area(shapely.box(*parcels.total_bounds))
    parts = sorted((tmp_path / "out" / "parcels").glob("part.*.parquet"))
    assert len(parts) == 5
    assert np.mean([shapely.area(shapely.box(*gpd.read_parquet(p).total_bounds)) for p in parts]) < 0.6 * whole


def test_dask_worker_killed_mid_batch_loses_and_doubles_nothing(tmp_path, client):
    sites = tmp_path / "sites.geojson"
    _sites(160, seed=41).to_file(sites, driver="GeoJSON")
    expected, result = _single_process(sites)
    frame = read_parcel_set(sites)
    gdf = gpd.GeoDataFrame(frame.attrs, geometry=list(frame.geoms), crs="EPSG:4549")
    killed = []

    def kill_a_busy_worker(step, done, total):
        if killed or done == total:
            return
        busy = [addr for addr, keys in client.processing().items() if keys]
        if busy:
            pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
            os.kill(pid, signal.SIGKILL)
            killed.append((pid, done, total))

    check_frame_dask(gdf, tmp_path / "out", load_catalog(), client=client, partition_size=10,
                     progress=kill_a_busy_worker)
    assert killed and killed[0][1] < killed[0][2]  # killed while partitions were still to do
    _assert_same_as_single_process(tmp_path / "out", expected, result)


def test_dask_check_from_the_command_line(tmp_path, capsys):
    sites = tmp_path / "sites.geojson"
    _sites(30, seed=7).to_file(sites, driver="GeoJSON")
    expected, result = _single_process(sites)
    out = tmp_path / "结果"
    assert main(["check", str(sites), "--engine", "dask", "--workers", "1", "--partition-size", "12",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    counts = result.counts()
    assert f"已核查 30 个地块（3 个分区）：通过 {counts['pass']}，警示 {counts['warn']}，不符合 {counts['fail']}" in printed
    _assert_same_as_single_process(out, expected, result)


def test_dask_check_refuses_a_report_file_as_output(tmp_path, capsys):
    sites = tmp_path / "sites.geojson"
    _sites(3, seed=1).to_file(sites, driver="GeoJSON")
    assert main(["check", str(sites), "--engine", "dask", "--out", str(tmp_path / "r.docx")]) == 2
    assert "GeoParquet" in capsys.readouterr().err


def test_dask_unreachable_scheduler_is_told_in_chinese():
    import socket

    from suichang_gis.check.dask_engine import ClusterError

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{s.getsockname()[1]}"
    with pytest.raises(ClusterError) as err:
        open_client(address, timeout=2)
    assert "无法连接 Dask 调度器" in str(err.value) and address in str(err.value)


def test_dask_result_rows_read_from_the_columns_equal_those_of_the_finding_objects(tmp_path):
    from suichang_gis.check.dask_engine import result_frames

    sites = tmp_path / "sites.gpkg"
    _sites(60, seed=3).to_file(sites, driver="GPKG")
    from_columns = check_parcels(sites).result
    assert all(p.in_store for p in from_columns.parcels)  # the run's columns, no Finding yet
    from_objects = check_parcels(sites).result
    for p in from_objects.parcels:
        p.findings = p.findings  # the same findings as objects
    parcels, findings = result_frames(from_columns)
    assert all(p.in_store for p in from_columns.parcels)  # read without making Finding objects
    expected_parcels, expected_findings = result_frames(from_objects)
    assert [json.loads(r) for r in parcels["result"]] == [p.to_dict() for p in from_objects.parcels]
    assert any(json.loads(r)["reasons"] for r in parcels["result"])
    for got, expected in ((parcels, expected_parcels), (findings, expected_findings)):
        assert list(got.columns) == list(expected.columns)
        assert got.drop(columns="geometry").equals(expected.drop(columns="geometry"))
        assert list(shapely.to_wkb(got.geometry.to_numpy())) == list(shapely.to_wkb(expected.geometry.to_numpy()))
    assert len(findings) == sum(f.status != "pass" for p in from_objects.parcels for f in p.findings) > 0
    assert (parcels["fail"] == [sum(f.status == "fail" for f in p.findings) for p in from_objects.parcels]).all()
