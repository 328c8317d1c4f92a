"""The one check pipeline: every source of parcels gives the same verdicts, read once."""

import geopandas as gpd
import pytest
from shapely.geometry import box

from suichang_gis.catalog import load_catalog, load_layer
from suichang_gis.check import check_parcels

X0, Y0 = 430_000.0, 3_163_000.0


@pytest.fixture(scope="module")
def frame():
    return gpd.GeoDataFrame(
        {"parcel_id": ["A1", "A2"], "name": ["甲", "乙"], "land_use": ["工业用地", "居住用地"]},
        geometry=[box(X0, Y0, X0 + 100, Y0 + 100), box(X0 + 300, Y0, X0 + 450, Y0 + 80)], crs="EPSG:4549")


def verdicts(run):
    return [(p.id, p.status, round(p.area_m2, 2), sorted((f.rule, f.status) for f in p.findings))
            for p in run.result.parcels]


def test_file_frame_project_and_loaded_layers_agree(frame, tmp_path):
    from suichang_gis.project import Project

    frame.to_file(tmp_path / "p.geojson", driver="GeoJSON")
    project = Project.create(tmp_path / "项目.gpkg", frame)
    from_file = check_parcels(tmp_path / "p.geojson")
    expected = verdicts(from_file)
    assert [(v[0], v[2]) for v in expected] == [("A1", 10000.0), ("A2", 12000.0)]
    assert verdicts(check_parcels(frame)) == expected
    assert verdicts(check_parcels(project)) == expected
    loaded = {s.id: load_layer(s) for s in load_catalog() if s.id in from_file.layers}
    assert verdicts(check_parcels(frame, layers=loaded)) == expected
    project.close()


def test_parcel_frame_keeps_ids_and_geometry(frame):
    run = check_parcels(frame)
    back = run.parcel_frame()
    assert list(back["parcel_id"]) == ["A1", "A2"]
    assert back.crs == "EPSG:4549"
    assert back.geometry.area.tolist() == pytest.approx([10000.0, 12000.0])


def test_an_empty_source_is_refused(frame):
    with pytest.raises(ValueError, match="没有地块"):
        check_parcels(frame.iloc[:0])


def test_print_and_web_map_read_the_parcel_file_once(frame, tmp_path, monkeypatch):
    import suichang_gis.parcel_io as parcel_io
    from suichang_gis.parcel_layer import load_parcel_layer

    path = tmp_path / "p.kml"  # a format only the full import reads
    frame.to_crs("EPSG:4326").to_file(path, driver="KML")
    calls = []
    real = parcel_io.read_parcels
    monkeypatch.setattr(parcel_io, "read_parcels", lambda *a, **k: calls.append(a) or real(*a, **k))
    layer, result = load_parcel_layer(path)
    assert len(calls) == 1
    assert list(layer.gdf["parcel_id"]) == [p.id for p in result.parcels]
    assert set(layer.gdf["check_status"]) <= {"通过", "警示", "不符合"}
