"""Every sample file that imports goes through every writer and back unchanged."""

import pytest

from parcel_samples import CASES, assert_account, hausdorff
from suichang_gis.parcel_io import WRITERS, read_parcels, write_parcels

IMPORTABLE = ["kml-two-holes-one-inner.kml", "dxf-parcel-in-block.dxf", "shp-short-dbf.shp", "jzd-utf16.txt",
              "long-chinese-field.geojson", "parcel-with-z.geojson"]


@pytest.mark.parametrize("case", IMPORTABLE)
def test_case_round_trips_through_every_writer(tmp_path, case):
    original = read_parcels(CASES / case)
    assert_account(original)
    for suffix in sorted(WRITERS):
        out = tmp_path / f"{suffix[1:]}{suffix}"
        write_parcels(original.parcels, out)
        back = read_parcels(out)
        assert_account(back)
        assert back.imported == original.imported, suffix
        assert back.parcels["parcel_id"].tolist() == original.parcels["parcel_id"].tolist(), suffix
        for a, b in zip(original.parcels.geometry, back.parcels.geometry):
            assert hausdorff(a, b) < 0.001, suffix  # TXT keeps millimetres
            assert b.area == pytest.approx(a.area, abs=a.length * 0.001), suffix


def test_parcels_with_z_from_elsewhere_export_to_every_writer(tmp_path):
    from shapely import force_3d

    from parcel_samples import sample_parcels

    parcels = sample_parcels()
    flat = list(parcels.geometry)
    parcels = parcels.set_geometry([force_3d(g, 300.0) for g in flat])  # as a project edited in QGIS may hold
    for suffix in sorted(WRITERS):
        notes = []
        out = write_parcels(parcels, tmp_path / f"z{suffix}", notes=notes)
        assert any("Z 值" in n for n in notes), suffix
        back = read_parcels(out).parcels
        for a, b in zip(flat, back.geometry):
            assert hausdorff(a, b) < 0.001, suffix
