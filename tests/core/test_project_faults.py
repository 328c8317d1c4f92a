"""A project never loses work: other programs' rows, a second window, a read-only folder, a full
disk and a damaged journal. Real files, real processes, real mounts (tmpfs; the tests run as root,
where chmod does not stop writes) — each test checks the file parcel by parcel afterwards."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pyogrio
import pytest
from shapely.geometry import MultiPolygon

from filesystems import fill, tmpfs
from parcel_samples import sample_parcels, square
from suichang_gis.parcel import parcels_frame
from suichang_gis.project import (
    KEEP_BOTH,
    KEEP_MINE,
    KEEP_THEIRS,
    Project,
    ProjectError,
    ProjectLocked,
    SaveConflicts,
)

ROOT = Path(__file__).resolve().parents[2]


def on_disk(path) -> dict[int, tuple[str, str, float]]:
    """fid → (parcel id, name, area m²) as GDAL reads the file: what another program would see."""
    frame = pyogrio.read_dataframe(path, layer="parcels", fid_as_index=True)
    return {int(fid): (row.parcel_id, row["name"], round(row.geometry.area, 3)) for fid, row in frame.iterrows()}


def in_window(project) -> dict[int, tuple[str, str, float]]:
    return {int(fid): (row.parcel_id, row["name"], round(row.geometry.area, 3))
            for fid, row in project.parcels.iterrows()}


def append_outside(path, name: str, dx: float = 5000) -> None:
    """What QGIS does when a planner adds a parcel there: a GDAL append to the parcels layer."""
    extra = parcels_frame([square(dx)], parcel_id=["Q1"], name=[name])
    extra = extra.set_geometry([MultiPolygon([g]) for g in extra.geometry])
    fields = list(pyogrio.read_info(path, layer="parcels")["fields"])  # pyogrio appends by position
    extra = extra[fields + [extra.geometry.name]]
    pyogrio.write_dataframe(extra, path, layer="parcels", append=True)




# --- other programs' rows -----------------------------------------------------------------------
def test_a_parcel_appended_by_another_program_survives_the_save(tmp_path):
    project = Project.create(tmp_path / "项目.gpkg", sample_parcels())
    mine = project.add_parcel(square(3000), name="窗口里画的")
    append_outside(project.path, "QGIS 里画的")  # takes the same fid on disk as the window's new parcel
    assert on_disk(project.path)[mine][1] == "QGIS 里画的"
    report = project.save()
    disk = on_disk(project.path)
    assert sorted(disk.values()) == sorted([("P001", "甲地块", 10_000.0), ("P002", "乙地块", 37_500.0),
                                            ("P003", "窗口里画的", 10_000.0), ("Q1", "QGIS 里画的", 10_000.0)])
    assert disk[mine][1] == "窗口里画的"  # the window's key is kept; the outside row got a new one
    assert disk == in_window(project)  # the window shows the outside parcel too
    assert report.moved == {mine: mine + 1} and "已改用新编号保存" in report.message()
    assert "载入其他程序新增或修改的 1 个地块" in report.message()
    project.close()


def test_outside_changes_are_taken_in_without_a_question(tmp_path):
    project = Project.create(tmp_path / "项目.gpkg", sample_parcels())
    project.add_parcel(square(3000), name="窗口里画的")
    db = sqlite3.connect(project.path)
    db.execute("UPDATE parcels SET name = '其他程序改名' WHERE fid = 1")
    db.execute("DELETE FROM parcels WHERE fid = 2")
    db.commit()
    db.close()
    version = project.version
    report = project.save()
    expected = {1: ("P001", "其他程序改名", 10_000.0), 3: ("P003", "窗口里画的", 10_000.0)}
    assert on_disk(project.path) == expected == in_window(project)
    assert report.loaded == [1] and report.removed == [2]
    assert project.changed_since(version) is None  # a view of the parcels redraws them all
    project.close()


@pytest.mark.parametrize("choice", [KEEP_MINE, KEEP_THEIRS, KEEP_BOTH])
def test_a_parcel_changed_on_both_sides_is_a_conflict_to_resolve(tmp_path, choice):
    project = Project.create(tmp_path / "项目.gpkg", sample_parcels())
    project.update_parcel(1, name="本窗口改名")
    db = sqlite3.connect(project.path)
    db.execute("UPDATE parcels SET name = '其他程序改名' WHERE fid = 1")
    db.commit()
    db.close()
    with pytest.raises(SaveConflicts) as raised:
        project.save()
    (conflict,) = raised.value.conflicts
    assert conflict.fid == 1 and conflict.message() == "地块 P001：本窗口已修改，其他程序已修改"
    assert conflict.mine["name"].iloc[0] == "本窗口改名" and conflict.theirs["name"].iloc[0] == "其他程序改名"
    assert on_disk(project.path)[1][1] == "其他程序改名" and project.dirty  # nothing written
    project.save(resolve={1: choice})
    disk = on_disk(project.path)
    names = sorted(name for _, name, _ in disk.values())
    expected = {KEEP_MINE: ["乙地块", "本窗口改名"], KEEP_THEIRS: ["乙地块", "其他程序改名"],
                KEEP_BOTH: ["乙地块", "其他程序改名", "本窗口改名"]}[choice]
    assert names == expected and disk == in_window(project)
    if choice != KEEP_THEIRS:
        assert disk[1][1] == "本窗口改名"  # the window's parcel keeps its key
    project.close()


def test_a_file_written_by_another_program_is_compared_too(tmp_path):
    """An outside program may replace the whole file (a copy from a colleague, an export over it)."""
    project = Project.create(tmp_path / "项目.gpkg", sample_parcels())
    project.add_parcel(square(3000), name="窗口里画的")
    other = Project.open_copy(project.path, tmp_path / "同事的.gpkg")
    other.add_parcel(square(6000), name="同事画的")
    other.save()
    other.close()
    os.replace(tmp_path / "同事的.gpkg", project.path)
    project.save()
    assert sorted(n for _, n, _ in on_disk(project.path).values()) == sorted(["乙地块", "同事画的", "甲地块", "窗口里画的"])
    project.close()


# --- one writer at a time -------------------------------------------------------------------
HOLDER = textwrap.dedent("""
    import sys
    from suichang_gis.project import Project, ProjectLocked
    try:
        project = Project.open(sys.argv[1])
    except ProjectLocked as exc:
        print("locked", exc.holder.pid, flush=True)
    else:
        project.add_parcel(__import__("shapely").box(420000, 3165000, 420100, 3165100), name="另一个窗口画的")
        print("open", flush=True)
    sys.stdin.read()  # hold until the test closes stdin (or kills us)
""")


def start_holder(path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=env)


def test_a_second_process_is_told_who_holds_the_project(tmp_path):
    path = tmp_path / "项目.gpkg"
    Project.create(path, sample_parcels()).close()
    holder = start_holder(path)
    try:
        assert holder.stdout.readline().split() == ["open"]
        with pytest.raises(ProjectLocked) as raised:
            Project.open(path)
        assert raised.value.holder.pid == holder.pid
        assert f"进程 {holder.pid}" in str(raised.value) and "正由用户" in str(raised.value)
        assert "只读打开" in str(raised.value)
        viewer = Project.open(path, read_only=True)
        assert len(viewer.parcels) == 2 and viewer.recovery is not None  # the holder's unsaved edit
        with pytest.raises(ProjectError, match="只读"):
            viewer.add_parcel(square(3000))
        with pytest.raises(ProjectError, match="只读"):
            viewer.save()
        copy = Project.open_copy(path, tmp_path / "副本.gpkg")
        copy.add_parcel(square(3000), name="副本里画的")
        copy.save()
        assert sorted(n for _, n, _ in on_disk(tmp_path / "副本.gpkg").values()) == sorted(["乙地块", "副本里画的", "甲地块"])
        assert sorted(n for _, n, _ in on_disk(path).values()) == sorted(["乙地块", "甲地块"])
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # The holder died: its lock is stale and taken over, and its unsaved parcel is offered.
    project = Project.open(path)
    assert any("已不在运行，已接管" in note for note in project.notes)
    assert project.recovery is not None and project.recover() == 1
    assert "另一个窗口画的" in project.parcels["name"].tolist()
    project.save()
    assert sorted(n for _, n, _ in on_disk(path).values()) == sorted(["乙地块", "另一个窗口画的", "甲地块"])


def test_two_processes_opening_at_once_never_both_write(tmp_path):
    path = tmp_path / "项目.gpkg"
    Project.create(path, sample_parcels()).close()
    children = [start_holder(path) for _ in range(3)]
    try:
        answers = sorted(child.stdout.readline().split()[0] for child in children)
    finally:
        for child in children:
            child.stdin.close()
            child.wait()
    assert answers == ["locked", "locked", "open"]


# --- read-only folder, full disk ---------------------------------------------------------------
def test_a_read_only_folder_keeps_the_edits_in_the_window_and_offers_save_as(tmp_path):
    with tmpfs(tmp_path / "只读盘") as folder:
        path = folder / "项目.gpkg"
        Project.create(path, sample_parcels()).close()
        before = on_disk(path)
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        project = Project.open(path)
        assert any("无法在项目所在文件夹创建锁文件（所在文件夹或磁盘只读）" in n and "另存为" in n for n in project.notes)
        fid = project.add_parcel(square(3000), name="只读文件夹里画的")
        assert "不能自动保存" in project.journal_fault and "另存为" in project.journal_fault
        assert in_window(project)[fid][1] == "只读文件夹里画的"
        with pytest.raises(ProjectError, match="无法保存项目 项目.gpkg：所在文件夹不能写入") as raised:
            project.save()
        assert "编辑仍在窗口中，没有丢失" in str(raised.value) and project.dirty
        assert on_disk(path) == before and sorted(p.name for p in folder.iterdir()) == ["项目.gpkg"]
        project.save_as(tmp_path / "另存.gpkg")
        assert on_disk(tmp_path / "另存.gpkg") == in_window(project) and len(in_window(project)) == 3
        assert not project.dirty and project.path == tmp_path / "另存.gpkg"
        project.close()


def test_a_full_disk_at_the_journal_write_keeps_the_edit_and_says_so(tmp_path):
    with tmpfs(tmp_path / "小盘") as folder:
        project = Project.create(folder / "项目.gpkg", sample_parcels())
        before = on_disk(project.path)
        filler = fill(folder)
        fid = project.add_parcel(square(3000), name="磁盘满时画的")
        assert project.journal_fault.startswith("无法写入自动保存文件 项目.gpkg.autosave：磁盘已满")
        assert "这一步编辑仍在窗口中，可以撤销" in project.journal_fault
        assert in_window(project)[fid] == ("P003", "磁盘满时画的", 10_000.0)
        project.update_parcel(fid, name="磁盘满时改名")  # later edits stay in memory too
        with pytest.raises(ProjectError, match="无法保存项目 项目.gpkg：磁盘已满") as raised:
            project.save()
        assert "编辑仍在窗口中" in str(raised.value) and project.dirty
        assert on_disk(project.path) == before
        assert not list(folder.glob("*.saving*"))
        with pytest.raises(ProjectError, match="磁盘已满"):
            project.save_as(folder / "另存.gpkg")
        assert sorted(p.name for p in folder.iterdir() if p != filler) == ["项目.gpkg", "项目.gpkg.autosave",
                                                                           "项目.gpkg.lock"]
        filler.unlink()
        project.save()
        assert on_disk(project.path) == in_window(project) and on_disk(project.path)[fid][1] == "磁盘满时改名"
        assert project.journal_fault is None and not project.dirty
        project.close()


def test_a_full_disk_at_the_save_leaves_the_file_and_the_journal(tmp_path):
    with tmpfs(tmp_path / "小盘") as folder:
        project = Project.create(folder / "项目.gpkg", sample_parcels())
        before = on_disk(project.path)
        fid = project.add_parcel(square(3000), name="保存前画的")
        assert project.journal_fault is None
        filler = fill(folder)
        with pytest.raises(ProjectError, match="无法保存项目 项目.gpkg：磁盘已满"):
            project.save()
        assert on_disk(project.path) == before and project.dirty and fid in project.parcels.index
        filler.unlink()
        # killed now, the journal still brings the parcel back
        project._finalizer.detach()
        project._journal.close()
        project._store.close()
        project._lock.release()
        again = Project.open(project.path)
        assert again.recovery.edits == 1 and again.recover() == 1
        again.save()
        assert on_disk(again.path)[fid] == ("P003", "保存前画的", 10_000.0)
        again.close()


# --- damaged journal ----------------------------------------------------------------------------
def test_a_journal_cut_in_half_is_moved_aside_and_the_project_opens(tmp_path):
    project = Project.create(tmp_path / "项目.gpkg", sample_parcels())
    for i in range(40):
        project.add_parcel(square(3000 + 150 * i), name=f"第{i}块")
    journal = project.journal_path
    project._finalizer.detach()
    project._journal.close()
    project._store.close()
    project._lock.release()
    data = journal.read_bytes()
    assert len(data) > 8192
    journal.write_bytes(data[: len(data) // 2])
    again = Project.open(tmp_path / "项目.gpkg")
    (note,) = again.notes
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("项目.gpkg.autosave.损坏-")]
    assert len(aside) == 1 and aside[0].read_bytes() == data[: len(data) // 2]  # kept, renamed
    assert "自动保存文件 项目.gpkg.autosave 已损坏" in note and "无法恢复" in note and aside[0].name in note
    assert again.recovery is None and in_window(again) == on_disk(again.path)
    again.add_parcel(square(9000), name="之后画的")
    again.save()
    assert sorted(n for _, n, _ in on_disk(again.path).values()) == sorted(["乙地块", "之后画的", "甲地块"])
    again.close()


def test_lock_file_says_who_in_json(tmp_path):
    project = Project.create(tmp_path / "项目.gpkg")
    holder = json.loads((tmp_path / "项目.gpkg.lock").read_text(encoding="utf-8"))
    assert holder["pid"] == os.getpid() and {"user", "host", "since", "token"} <= set(holder)
    project.close()
    assert not (tmp_path / "项目.gpkg.lock").exists()


def test_creating_a_project_in_a_missing_folder_is_told_and_writes_nothing(tmp_path):
    path = tmp_path / "没有的文件夹" / "项目.gpkg"
    with pytest.raises(ProjectError, match=f"文件夹 {tmp_path / '没有的文件夹'} 不存在"):
        Project.create(path, sample_parcels())
    assert list(tmp_path.iterdir()) == []
