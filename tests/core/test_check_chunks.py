"""A check cut into spatial chunks gives every parcel the same findings as one whole check."""

import geopandas as gpd
import numpy as np
import pytest
import shapely

from suichang_gis.catalog import load_catalog
from suichang_gis.check import parcel_set
from suichang_gis.check.chunks import check_in_chunks, merge_results, spatial_chunks
from suichang_gis.check.engine import run_check
from suichang_gis.check.inputs import apply_use_layers, load_check_layers
from suichang_gis.rules import load_ruleset

X0, Y0 = 430_000.0, 3_163_000.0


def red_lines_and_parcels(folder, seed: int, n: int = 40):
    """60 round red-line patches (written to ``folder``/layers.gpkg, layer ``redline``) and ``n``
    150 m × 100 m parcels scattered over the same 3 km × 3 km: (parcels, red lines)."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 3000, (60, 2))
    red = shapely.buffer(shapely.points(X0 + centres[:, 0], Y0 + centres[:, 1]), rng.uniform(20, 120, 60))
    gpd.GeoDataFrame({"name": [f"红线{i}" for i in range(60)]}, geometry=red, crs="EPSG:4549") \
        .to_file(folder / "layers.gpkg", layer="redline", driver="GPKG")
    x, y = X0 + rng.uniform(0, 3000, n), Y0 + rng.uniform(0, 3000, n)
    return shapely.box(x, y, x + 150, y + 100), red


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("chunks")
    parcels, red = red_lines_and_parcels(d, seed=3)
    specs = apply_use_layers(load_catalog(), [f"ecological_redline={d / 'layers.gpkg'}:redline"])
    return parcels, red, specs


def overlap_by_id(result):
    return {p.id: next(f.overlap_m2 for f in p.findings if f.rule == "SX-01") for p in result.parcels}


def test_chunks_are_compact_and_cover_every_parcel(data):
    parcels, _, _ = data
    chunks = spatial_chunks(parcel_set(parcels), size=7)
    assert sorted(np.concatenate(chunks).tolist()) == list(range(len(parcels)))
    assert max(len(c) for c in chunks) == 7
    # sort-tile order: a chunk covers less ground than the whole set
    whole = shapely.area(shapely.envelope(shapely.union_all(parcels)))
    assert all(shapely.area(shapely.envelope(shapely.union_all(parcels[c]))) < whole / 2 for c in chunks)


def test_check_in_chunks_equals_one_whole_check(data):
    parcels, red, specs = data
    ruleset = load_ruleset()
    ps = parcel_set(parcels, ids=[f"B{i}" for i in range(len(parcels))], land_use=["工业用地"] * len(parcels))
    whole = run_check(ps, load_check_layers(ruleset, specs, boxes=shapely.bounds(parcels)), ruleset)
    merged = merge_results([r for _, r in check_in_chunks(ps, ruleset, specs, size=7)])
    assert sorted(p.id for p in merged.parcels) == sorted(ps.ids)
    assert overlap_by_id(merged) == pytest.approx(overlap_by_id(whole), abs=1e-6)
    statuses = {p.id: [(f.rule, f.status) for f in p.findings] for p in whole.parcels}
    assert {p.id: [(f.rule, f.status) for f in p.findings] for p in merged.parcels} == statuses
    # and the overlap is the area of the parcel inside the union of the red line, by shapely
    expected = shapely.area(shapely.intersection(parcels, shapely.union_all(red)))
    got = overlap_by_id(merged)
    assert [got[f"B{i}"] for i in range(len(parcels))] == pytest.approx(expected, abs=0.01)
    red_use = next(u for u in merged.layers if u.id == "ecological_redline")
    assert red_use.file == "layers.gpkg" and red_use.features_read > 0


@pytest.mark.parametrize("suffix", [".gpkg", ".parquet", ".json"])
def test_streamed_check_writes_one_row_per_parcel_and_per_non_pass_finding(data, tmp_path, suffix):
    from suichang_gis.check.chunks import check_file_streamed
    from suichang_gis.report.json_report import read_findings

    parcels, red, specs = data
    path = tmp_path / "parcels.gpkg"
    gpd.GeoDataFrame({"parcel_id": [f"B{i}" for i in range(len(parcels))], "land_use": "工业用地",
                      "target_mu": 1.0}, geometry=parcels, crs="EPSG:4549").to_file(path, driver="GPKG")
    use = [f"ecological_redline={specs_path(specs)}:redline"]
    out = tmp_path / f"result{suffix}"
    header, counts, indicative = check_file_streamed(path, out, use_layers=use, size=7)
    assert sum(counts.values()) == len(parcels) and indicative  # the default layers are 示意
    expected = shapely.area(shapely.intersection(parcels, shapely.union_all(red)))
    if suffix == ".json":
        red_rows = {pid: f["overlap_m2"] for pid, f in read_findings(out) if f["rule"] == "SX-01"}
        assert [red_rows[f"B{i}"] for i in range(len(parcels))] == pytest.approx(expected, abs=0.01)
        return
    if suffix == ".gpkg":
        rows = gpd.read_file(out, layer="parcels")
        findings = gpd.read_file(out, layer="findings")
    else:
        table = gpd.read_parquet(out)
        assert table.crs.to_epsg() == 4549
        rows, findings = table[table.record == "parcel"], table[table.record == "finding"]
    assert sorted(rows.parcel_id) == sorted(f"B{i}" for i in range(len(parcels)))
    assert (findings.status != "pass").all() and len(findings) > len(parcels)
    fails = findings[findings.rule == "SX-01"].set_index("parcel_id").overlap_m2
    want = {f"B{i}": a for i, a in enumerate(expected) if a > 1.0}  # above the sliver tolerance
    assert fails.sort_index().to_dict() == pytest.approx(dict(sorted(want.items())), abs=0.01)
    assert rows.set_index("parcel_id").status.value_counts().to_dict() == {k: v for k, v in counts.items() if v}


def specs_path(specs):
    return next(s.data for s in specs if s.id == "ecological_redline")
