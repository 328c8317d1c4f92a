"""The parcel id rule: P + a counter that never gives a number twice; split -1/-2; merge keeps."""

import geopandas as gpd
from shapely import box
from test_project import crash  # what kill -9 leaves (tests/core/test_project.py)

from suichang_gis.parcel import parcel_number, parcels_frame
from suichang_gis.project import Project

E0, N0 = 430_000.0, 3_163_000.0


def square(i):
    return box(E0 + 200 * i, N0, E0 + 200 * i + 100, N0 + 100)


def test_parcel_number_reads_the_rule_and_ignores_other_ids():
    assert parcel_number("P002") == 2 and parcel_number("P002-1") == 2 and parcel_number("P1234") == 1234
    assert parcel_number("新-1") is None and parcel_number(None) is None and parcel_number("AP001") is None


def test_numbers_are_never_reused_after_split_delete_and_reopen(tmp_path):
    project = Project.create(tmp_path / "p.gpkg")
    first, second = (project.add_parcel(square(i)) for i in range(2))
    assert project.parcels["parcel_id"].tolist() == ["P001", "P002"]
    # split P002 as the editor does: its pieces are P002-1 and P002-2
    row = project.parcels.loc[[second]]
    pieces = gpd.GeoDataFrame(row.loc[row.index.repeat(2)].reset_index(drop=True),
                              geometry=[box(E0 + 200, N0, E0 + 250, N0 + 100), box(E0 + 250, N0, E0 + 300, N0 + 100)],
                              crs=row.crs)
    pieces["parcel_id"] = ["P002-1", "P002-2"]
    project.replace_parcels([second], pieces)
    third = project.add_parcel(square(3))
    assert project.parcel(third)["parcel_id"] == "P003"  # not P004: the counter, not the row count
    project.delete_parcels([third])
    fourth = project.add_parcel(square(4))
    assert project.parcel(fourth)["parcel_id"] == "P004"  # P003 was given once and stays retired
    project.delete_parcels([fourth])
    project.save()
    project.close()
    reopened = Project.open(tmp_path / "p.gpkg")
    assert reopened.last_parcel_number == 4
    assert reopened.parcel(reopened.add_parcel(square(5)))["parcel_id"] == "P005"
    reopened.close()


def test_merge_keeps_the_first_id(tmp_path):
    project = Project.create(tmp_path / "p.gpkg")
    a, b = (project.add_parcel(square(i)) for i in range(2))
    merged = project.parcels.loc[[b]].reset_index(drop=True)  # the editor keeps the first clicked: b
    merged = merged.set_geometry([square(0).union(square(1))], crs=merged.crs)
    [fid] = project.replace_parcels([a, b], merged)
    assert project.parcels["parcel_id"].tolist() == ["P002"]
    assert project.parcel(project.add_parcel(square(3)))["parcel_id"] == "P003"
    project.close()


def test_a_recovered_session_keeps_the_counter(tmp_path):
    project = Project.create(tmp_path / "p.gpkg")
    fids = project.add_parcels(parcels_frame([square(i) for i in range(3)]))
    project.delete_parcels(fids[1:])
    crash(project)
    again = Project.open(tmp_path / "p.gpkg")
    again.recover()
    assert again.parcel(again.add_parcel(square(5)))["parcel_id"] == "P004"
    again.close()


def test_an_import_gets_ids_no_parcel_of_the_project_has_and_the_next_numbers_for_the_others(tmp_path):
    project = Project.create(tmp_path / "p.gpkg", parcels_frame([square(i) for i in range(51)],
                                                                parcel_id=[f"P{i:03d}" for i in range(1, 51)] + ["甲-1"]))
    assert project.last_parcel_number == 50
    ids = [None] * 40 + ["甲-1"] * 40 + [f"乙-{k}" for k in range(40)] + ["P050", "P200"]
    rows = project.prepare_new(parcels_frame([square(100 + i) for i in range(len(ids))], parcel_id=ids))
    given = rows["parcel_id"].tolist()
    assert len(set(given)) == len(given)  # unique among themselves
    assert not set(given) & set(project.parcels["parcel_id"])  # and in the project
    assert given[80:120] == [f"乙-{k}" for k in range(40)] and given[121] == "P200"  # free ids kept
    # The missing ids, the taken 甲-1 and P050 get the counter's next numbers (after P200, kept), in row order.
    renumbered = given[:80] + [given[120]]
    assert renumbered == [f"P{n:03d}" for n in range(201, 282)]
    project.close()
