"""The project GeoPackage: round trip, QGIS-readable layout, atomic save, journal and crash recovery."""

import json
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pyogrio
import pytest
from shapely.geometry import MultiPolygon, box

from parcel_samples import hausdorff, sample_parcels, square, square_with_hole
from suichang_gis.parcel import parcels_frame
from suichang_gis.project import Project, ProjectError


@pytest.fixture
def project(tmp_path):
    return Project.create(tmp_path / "项目.gpkg", sample_parcels())


def dead_pid() -> int:
    """The process id of a process that has ended."""
    return int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True).stdout)


def crash(project) -> None:
    """Leave what kill -9 leaves: the journal as written, and a lock file naming a process that has ended."""
    project._finalizer.detach()
    project._journal.close()
    project._store.close()
    lock = project.path.with_name(project.path.name + ".lock")
    holder = json.loads(lock.read_text(encoding="utf-8"))
    lock.write_text(json.dumps(holder | {"pid": dead_pid()}), encoding="utf-8")


def test_saved_project_reopens_with_everything(project):
    project.set_layer_settings("roads", visible=False, opacity=0.5)
    project.record_check({"通过": 1, "不符合": 1}, rule_set="标准地 2024", parcel_ids=["P001", "P002"])
    project.save()
    project.close()
    again = Project.open(project.path)
    assert again.recovery is None and again.notes == []
    parcels = again.parcels
    assert parcels["name"].tolist() == ["甲地块", "乙地块"]
    assert parcels["investment_wan"].tolist()[0] == 1200.5
    assert hausdorff(parcels.geometry.iloc[1], square_with_hole()) == 0
    assert parcels.geometry.iloc[1].area == 37_500.0
    assert again.layer_settings == {"roads": {"visible": False, "opacity": 0.5}}
    assert again.check_history["rule_set"].tolist() == ["标准地 2024"]


def test_project_is_an_ordinary_geopackage(project):
    layers = dict((str(n), t) for n, t in pyogrio.list_layers(project.path))
    assert layers["parcels"] == "MultiPolygon"
    info = pyogrio.read_info(project.path, layer="parcels")
    assert info["crs"] == "EPSG:4549" and info["features"] == 2
    db = sqlite3.connect(project.path)
    assert db.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47  # "GPKG"
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    contents = dict(db.execute("SELECT table_name, data_type FROM gpkg_contents"))
    assert contents == {"parcels": "features", "layer_settings": "attributes",
                        "check_history": "attributes", "project_info": "attributes"}


def test_edits_are_journaled_and_recovered_after_an_unclean_exit(project):
    fid = project.add_parcel(square(3000), name="新画的")
    project.update_parcel(fid, investment_wan=88.0)
    first = project.parcels.index[0]
    project.delete_parcels([first])
    project.set_layer_settings("rivers", visible=True)
    crash(project)
    again = Project.open(project.path)
    assert again.recovery is not None and again.recovery.edits == 4
    assert "4 步编辑" in again.recovery.message()
    assert len(again.parcels) == 2  # the saved state until the user says recover
    assert again.recover() == 4
    assert again.parcels["name"].tolist() == ["乙地块", "新画的"]
    assert again.parcel(fid)["investment_wan"] == 88.0
    assert again.layer_settings["rivers"] == {"visible": True}


def test_the_journal_is_there_from_the_opening_emptied_by_a_save_and_gone_after_a_clean_close(project):
    import sqlite3

    def journaled(path):
        db = sqlite3.connect(path)
        try:
            return db.execute("SELECT COUNT(*) FROM edits").fetchone()[0]
        finally:
            db.close()

    journal = project.journal_path
    assert journal.is_file() and journaled(journal) == 0  # the first edit does not create it
    project.add_parcel(square(3000), name="新画的")
    assert journaled(journal) == 1
    project.save()
    assert journal.is_file() and journaled(journal) == 0  # saved: nothing to replay, ready for the next
    project.add_parcel(square(3300), name="再画的")
    crash(project)
    again = Project.open(project.path)
    assert again.recovery is not None and again.recovery.edits == 1  # only the edit after the save
    again.recover()
    again.save()
    again.close()
    assert not journal.exists()  # closed with everything saved
    reader = Project.open(project.path, read_only=True)
    assert not journal.exists() and reader.parcels["name"].tolist()[-2:] == ["新画的", "再画的"]
    reader.close()


def test_changed_since_names_the_parcels_each_edit_touched(project):
    start = project.version
    assert project.changed_since(start) == set()
    first, second = project.parcels.index
    fid = project.add_parcel(square(3000), name="新画的")
    after_add = project.version
    project.update_parcel(second, investment_wan=88.0)
    project.delete_parcels([first])
    assert project.changed_since(start) == {fid, second, first}
    assert project.changed_since(after_add) == {second, first}
    assert project.changed_since(project.version) == set()
    # Recovered edits may have changed any parcel: no list of fids then.
    crash(project)
    again = Project.open(project.path)
    before = again.version
    again.recover()
    assert again.changed_since(before) is None and again.changed_since(again.version) == set()


def test_discarding_recovery_keeps_the_saved_state(project):
    project.add_parcel(square(3000), name="不要了")
    crash(project)
    again = Project.open(project.path)
    again.discard_recovery()
    again.close()
    assert Project.open(project.path).recovery is None
    assert len(Project.open(project.path).parcels) == 2


def test_journal_of_an_older_save_is_not_replayed(project):
    """Killed after the new file was renamed into place but before the journal was cleared."""
    project.add_parcel(square(3000), name="已保存")
    journal = project.journal_path.read_bytes()
    project.save()
    crash(project)
    project.journal_path.write_bytes(journal)
    again = Project.open(project.path)
    assert again.recovery is None and again.parcels["name"].tolist().count("已保存") == 1


def test_a_failed_edit_changes_nothing(project):
    bad = parcels_frame([square(3000)])
    bad["annual_tax_wan"] = ["很多"]
    with pytest.raises(ValueError, match="预计年税收"):
        project.add_parcels(bad)
    assert len(project.parcels) == 2 and not project.dirty


def test_split_is_one_edit(project):
    fid = project.parcels.index[0]
    halves = parcels_frame([box(*square().bounds[:2], square().bounds[0] + 50, square().bounds[3]),
                            box(square().bounds[0] + 50, *square().bounds[1:])], name=["甲-1", "甲-2"])
    new = project.replace_parcels([fid], halves)
    assert len(new) == 2 and fid not in project.parcels.index
    assert project.parcels.loc[new].geometry.area.sum() == pytest.approx(10_000.0)
    assert project.parcels.loc[new, "parcel_id"].nunique() == 2
    crash(project)
    assert Project.open(project.path).recovery.edits == 1


def test_parcel_ids_stay_unique(project):
    project.add_parcels(parcels_frame([square(3000)] * 3, parcel_id=["P001", None, "新-1"]))
    ids = project.parcels["parcel_id"].tolist()
    assert ids[:2] == ["P001", "P002"] and ids[4] == "新-1"  # the sample's ids, an untouched new id
    assert len(set(ids)) == 5  # the repeated P001 and the missing one got fresh numbers


def test_parcels_added_in_qgis_are_read(project):
    """QGIS appends to the parcels layer directly (MultiPolygon, with a fid of its own)."""
    extra = parcels_frame([square(5000)], name=["QGIS 里画的"])
    extra = extra.set_geometry([MultiPolygon([g]) for g in extra.geometry])
    fields = list(pyogrio.read_info(project.path, layer="parcels")["fields"])  # pyogrio appends by position
    extra = extra[fields + [extra.geometry.name]]
    project.close()
    pyogrio.write_dataframe(extra, project.path, layer="parcels", append=True)
    again = Project.open(project.path)
    assert again.parcels["name"].tolist() == ["甲地块", "乙地块", "QGIS 里画的"]
    assert again.parcels.geometry.iloc[2].geom_type == "Polygon"


def test_a_project_from_a_newer_version_is_refused(project):
    project.close()
    db = sqlite3.connect(project.path)
    db.execute("UPDATE project_info SET value = '2' WHERE key = 'format_version'")
    db.commit()
    db.close()
    with pytest.raises(ProjectError, match="由更新版本的软件保存（格式 2）"):
        Project.open(project.path)


def test_not_a_project(tmp_path):
    sample_parcels().to_file(tmp_path / "plain.gpkg", layer="地块", engine="pyogrio")
    with pytest.raises(ProjectError, match="plain.gpkg 不是本软件的项目文件"):
        Project.open(tmp_path / "plain.gpkg")
    (tmp_path / "junk.gpkg").write_bytes(b"SQLite format 3\x00" + b"\x00" * 50)
    with pytest.raises(ProjectError, match="无法打开项目 junk.gpkg"):
        Project.open(tmp_path / "junk.gpkg")


EDITOR = textwrap.dedent("""
    import sys
    from shapely.geometry import box
    from suichang_gis.project import Project
    project = Project.open(sys.argv[1])
    i = 0
    while True:  # edit until killed: add a parcel, then fill in its investment
        i += 1
        x = 411000 + 150 * i
        fid = project.add_parcel(box(x, 3165000, x + 100, 3165100), name=f"第{i}块")
        print(f"edit {2 * i - 1}", flush=True)
        project.update_parcel(fid, investment_wan=float(i))
        print(f"edit {2 * i}", flush=True)
""")


def test_killed_editor_loses_at_most_the_edit_in_flight(tmp_path):
    path = tmp_path / "crash.gpkg"
    Project.create(path)
    child = subprocess.Popen([sys.executable, "-c", EDITOR, str(path)], stdout=subprocess.PIPE, text=True)
    acknowledged = 0
    while acknowledged < 25:
        acknowledged = int(child.stdout.readline().split()[1])
    child.send_signal(signal.SIGKILL)  # mid-edit: the child never waits between edits
    child.wait()
    project = Project.open(path)
    assert project.recovery is not None and project.recovery.edits >= acknowledged
    edits = project.recover()
    parcels = project.parcels
    count = (edits + 1) // 2
    assert parcels["name"].tolist() == [f"第{i}块" for i in range(1, count + 1)]
    for i, (_, row) in enumerate(parcels.iterrows(), start=1):
        assert row.geometry.area == pytest.approx(10_000.0)
        if 2 * i <= edits:  # its second edit was committed too
            assert row["investment_wan"] == float(i)
    project.save()
    project.close()
    assert len(Project.open(path).parcels) == count
