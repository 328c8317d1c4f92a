"""A check on several forked processes writes the same report as one process with the same chunks."""

import json
import os

import geopandas as gpd
import numpy as np
import pytest
import shapely
from test_check_chunks import X0, Y0, red_lines_and_parcels

from suichang_gis.check import parallel
from suichang_gis.check.chunks import check_file_streamed

N = 40


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("parallel")
    parcels, red = red_lines_and_parcels(d, seed=5, n=N)
    path = d / "parcels.gpkg"
    gpd.GeoDataFrame({"parcel_id": [f"B{i}" for i in range(N)], "land_use": "工业用地"},
                     geometry=parcels, crs="EPSG:4549").to_file(path, driver="GPKG")
    return path, [f"ecological_redline={d / 'layers.gpkg'}:redline"], parcels, red


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_CHUNK", 4)  # chunks of a few parcels: 40 parcels make eight or ten


def test_plan_uses_processes_only_for_two_chunks_or_more(small_chunks):
    assert parallel.plan_chunks(7, 2) == (1, parallel.CHUNK_SIZE)  # under two chunks of MIN_CHUNK
    assert parallel.plan_chunks(40, 1) == (1, parallel.CHUNK_SIZE)
    processes, size = parallel.plan_chunks(40, 2)
    assert (processes, size) == (2, 5)  # four chunks per process: the parent writes while they check
    assert parallel.plan_chunks(40, 64) == (10, 4)  # never more processes than chunks


@pytest.mark.parametrize("suffix", [".json", ".gpkg"])
def test_processes_write_the_report_one_process_writes(files, tmp_path, small_chunks, suffix):
    path, use, parcels, red = files
    processes, size = parallel.plan_chunks(N, 2)
    one, many = tmp_path / f"one{suffix}", tmp_path / f"many{suffix}"
    header1, counts1, _ = check_file_streamed(path, one, use_layers=use, size=size, workers=1)
    header2, counts2, _ = check_file_streamed(path, many, use_layers=use, size=size, workers=2)
    assert counts1 == counts2 and sum(counts2.values()) == N
    assert [(u.id, u.features_read) for u in header1.layers] == [(u.id, u.features_read) for u in header2.layers]
    if suffix == ".json":  # the same document but for the time it was made
        a, b = json.loads(one.read_text(encoding="utf-8")), json.loads(many.read_text(encoding="utf-8"))
        assert a.pop("generated") and b.pop("generated")
        assert a == b and len(a["parcels"]) == N
        return
    for layer in ("parcels", "findings"):
        a, b = gpd.read_file(one, layer=layer), gpd.read_file(many, layer=layer)
        assert a.drop(columns="geometry").equals(b.drop(columns="geometry"))
        assert list(shapely.to_wkb(a.geometry.values)) == list(shapely.to_wkb(b.geometry.values))
        assert a.geometry.notna().any()  # the workers sent the geometry back
    # the overlaps the workers measured are shapely's, parcel by parcel
    findings = gpd.read_file(many, layer="findings")
    fails = findings[findings.rule == "SX-01"].set_index("parcel_id").overlap_m2.to_dict()
    expected = shapely.area(shapely.intersection(parcels, shapely.union_all(red)))
    want = {f"B{i}": a for i, a in enumerate(expected) if a > 1.0}
    assert dict(sorted(fails.items())) == pytest.approx(dict(sorted(want.items())), abs=0.01)


def test_a_dead_worker_is_told_and_no_report_is_left(files, tmp_path, small_chunks, monkeypatch):
    path, use, _, _ = files
    real = parallel.check_chunk_of

    def dies_on_the_third_chunk(parcels, tree, index, *args, **kwargs):
        if os.getpid() != parent and sorted(index.tolist()) == sorted(chunks[2].tolist()):
            os._exit(9)  # as the kernel's out-of-memory killer ends a process
        return real(parcels, tree, index, *args, **kwargs)

    from suichang_gis.check.batch import as_parcel_set
    from suichang_gis.check.chunks import spatial_chunks

    parent = os.getpid()
    chunks = spatial_chunks(as_parcel_set(path), parallel.plan_chunks(N, 2)[1])
    monkeypatch.setattr(parallel, "check_chunk_of", dies_on_the_third_chunk)
    out = tmp_path / "result.json"
    with pytest.raises(RuntimeError, match="工作进程意外退出"):
        check_file_streamed(path, out, use_layers=use, size=parallel.plan_chunks(N, 2)[1], workers=2)
    assert not out.exists() and not list(tmp_path.iterdir())


def test_each_worker_reads_the_dem_itself(files, tmp_path, small_chunks):
    pytest.importorskip("rasterio")
    from test_check_slope import CELL, write_plane

    path, use, parcels, _ = files
    dem = write_plane(tmp_path / "dem.tif", 0.1)  # covers 2 km × 2 km of the 3 km × 3 km of parcels
    size = parallel.plan_chunks(N, 2)[1]
    one, many = tmp_path / "one.json", tmp_path / "many.json"
    check_file_streamed(path, one, use_layers=use, dem=dem, size=size, workers=1)
    check_file_streamed(path, many, use_layers=use, dem=dem, size=size, workers=2)
    a, b = json.loads(one.read_text(encoding="utf-8")), json.loads(many.read_text(encoding="utf-8"))
    a.pop("generated"), b.pop("generated")
    assert a == b
    from suichang_gis.report.json_report import read_findings

    slopes = {pid: f for pid, f in read_findings(many) if f["rule"] == "BZD-13"}
    inside = shapely.within(parcels, shapely.box(X0 + CELL, Y0 + CELL, X0 + 2000 - CELL, Y0 + 2000 - CELL))
    assert inside.any() and not inside.all()
    for i in np.flatnonzero(inside):  # the plane's slope, atan(0.1), where the DEM covers the parcel
        assert slopes[f"B{i}"]["value"] == pytest.approx(np.degrees(np.arctan(0.1)), abs=0.01)
