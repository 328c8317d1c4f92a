"""The window on a project that never loses work: a second process holding it, another program's
rows, a read-only folder, a full disk, a damaged journal — what is on disk afterwards, parcel by
parcel, and what the user was told."""

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from shapely.geometry import box

from filesystems import fill, tmpfs

pytest.importorskip("PySide6")
pyogrio = pytest.importorskip("pyogrio")

E0, N0 = 411_000.0, 3_165_000.0
ROOT = Path(__file__).resolve().parents[2]


def on_disk(path) -> dict[int, tuple[str, str, float]]:
    frame = pyogrio.read_dataframe(path, layer="parcels", fid_as_index=True)
    return {int(fid): (row.parcel_id, row["name"], round(row.geometry.area, 3)) for fid, row in frame.iterrows()}


def in_window(actions) -> dict[int, tuple[str, str, float]]:
    return {int(fid): (row.parcel_id, row["name"], round(row.geometry.area, 3))
            for fid, row in actions.editor.project.parcels.iterrows()}


class Told:
    """What the window said: faults (with 另存为 offered), conflicts asked, lock questions."""

    def __init__(self, locked_choice=None, save_as=False, conflict_choice=None):
        self.faults, self.locked, self.conflicts = [], [], []
        self.locked_choice, self.save_as, self.conflict_choice = locked_choice, save_as, conflict_choice

    def install(self, actions):
        actions.ask_save_as = lambda title, text: self.faults.append(text) or self.save_as
        actions.ask_conflicts = lambda conflicts: (self.conflicts.extend(conflicts)
                                                   or {c.fid: self.conflict_choice for c in conflicts})
        return actions

    def ask_locked(self, exc):
        self.locked.append(str(exc))
        return self.locked_choice


def make_window(qtbot, path, told: Told | None = None):
    from ui.app import create_application
    from ui.main_window import MainWindow
    from ui.parcel_actions import install_parcel_editing

    told = told or Told()
    create_application()
    window = MainWindow(layers=[])
    qtbot.addWidget(window)
    actions = install_parcel_editing(window, project_path=path, ask_recover=lambda m: True,
                                     ask_locked=told.ask_locked)
    return window, told.install(actions)


def draw(actions, dx: float, name: str) -> int:
    fid = actions.editor.add_polygon(box(E0 + dx, N0, E0 + dx + 100, N0 + 100))
    actions.editor.set_values(fid, {"name": name})
    return fid


def new_project(path) -> None:
    from suichang_gis.parcel import parcels_frame
    from suichang_gis.project import Project

    Project.create(path, parcels_frame([box(E0, N0, E0 + 100, N0 + 100)], name=["已有地块"])).close()




HOLDER = textwrap.dedent("""
    import sys
    from suichang_gis.project import Project
    project = Project.open(sys.argv[1])
    print("open", flush=True)
    sys.stdin.read()
""")


@pytest.mark.ui
@pytest.mark.parametrize("choice", ["read_only", "copy"])
def test_a_project_held_by_another_process_opens_read_only_or_as_a_copy(qtbot, tmp_path, choice):
    path = tmp_path / "项目.gpkg"
    new_project(path)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    try:
        assert holder.stdout.readline().strip() == "open"
        told = Told(locked_choice=choice)
        window, actions = make_window(qtbot, path, told)
        (question,) = told.locked
        assert f"进程 {holder.pid}" in question and "正由用户" in question
        project = actions.editor.project
        if choice == "read_only":
            assert "（只读）" in window.windowTitle() and project.read_only
            assert not actions.tool_actions["绘制地块"].isEnabled() and not actions.save_action.isEnabled()
            assert actions.tool_actions["选择地块"].isEnabled()
            assert "已以只读方式打开" in actions.last_message
            assert actions.save_as(tmp_path / "另存.gpkg")  # 另存为 makes an editable project of one's own
            assert not actions.editor.project.read_only and actions.tool_actions["绘制地块"].isEnabled()
            assert "（只读）" not in window.windowTitle()
            draw(actions, 300, "另存后画的")
            assert actions.save()
            assert sorted(n for _, n, _ in on_disk(tmp_path / "另存.gpkg").values()) == ["另存后画的", "已有地块"]
        else:
            assert project.path != path and "副本" in project.path.name and not project.read_only
            draw(actions, 300, "副本里画的")
            assert actions.save()
            assert sorted(n for _, n, _ in on_disk(project.path).values()) == ["副本里画的", "已有地块"]
        assert list(on_disk(path).values()) == [("P001", "已有地块", 10_000.0)]  # the holder's file untouched
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()


@pytest.mark.ui
def test_another_programs_parcel_appended_between_edit_and_save_is_kept_and_shown(qtbot, tmp_path):
    from suichang_gis.parcel import parcels_frame

    path = tmp_path / "项目.gpkg"
    new_project(path)
    window, actions = make_window(qtbot, path)
    mine = draw(actions, 300, "窗口里画的")
    extra = parcels_frame([box(E0 + 900, N0, E0 + 1000, N0 + 100)], parcel_id=["Q1"], name=["QGIS 里画的"])
    fields = list(pyogrio.read_info(path, layer="parcels")["fields"])
    pyogrio.write_dataframe(extra[fields + ["geometry"]], path, layer="parcels", append=True,
                            promote_to_multi=True)
    assert actions.save()
    disk = on_disk(path)
    assert sorted(disk.values()) == [("P001", "已有地块", 10_000.0), ("P002", "窗口里画的", 10_000.0),
                                     ("Q1", "QGIS 里画的", 10_000.0)]
    assert disk[mine][1] == "窗口里画的" and disk == in_window(actions)
    assert actions.parcel_list.rowCount() == 3 and not window.windowTitle().startswith("*")
    assert "载入其他程序新增或修改的 1 个地块" in window.statusBar().currentMessage()


@pytest.mark.ui
def test_a_parcel_changed_by_both_is_asked_and_both_kept(qtbot, tmp_path):
    path = tmp_path / "项目.gpkg"
    new_project(path)
    told = Told(conflict_choice="both")
    window, actions = make_window(qtbot, path, told)
    actions.editor.set_values(1, {"name": "本窗口改名"})
    db = sqlite3.connect(path)
    db.execute("UPDATE parcels SET name = '其他程序改名' WHERE fid = 1")
    db.commit()
    db.close()
    assert actions.save()
    assert [c.message() for c in told.conflicts] == ["地块 P001：本窗口已修改，其他程序已修改"]
    assert sorted(n for _, n, _ in on_disk(path).values()) == ["其他程序改名", "本窗口改名"]
    assert on_disk(path) == in_window(actions) and on_disk(path)[1][1] == "本窗口改名"


@pytest.mark.ui
def test_a_read_only_folder_tells_keeps_the_edit_undoable_and_offers_save_as(qtbot, tmp_path):
    with tmpfs(tmp_path / "只读盘") as folder:
        path = folder / "项目.gpkg"
        new_project(path)
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        told = Told()
        window, actions = make_window(qtbot, path, told)
        assert "无法在项目所在文件夹创建锁文件" in actions.last_message
        fid = draw(actions, 300, "只读时画的")
        qtbot.waitUntil(lambda: bool(told.faults))
        assert "不能自动保存" in told.faults[0] and "另存为" in told.faults[0]
        assert in_window(actions)[fid][1] == "只读时画的" and window.windowTitle().startswith("*")
        window.undo_stack.undo()  # the name
        window.undo_stack.undo()  # the parcel
        assert fid not in actions.editor.project.parcels.index
        window.undo_stack.redo()
        window.undo_stack.redo()
        assert in_window(actions)[fid][1] == "只读时画的"
        assert not actions.save()
        assert "无法保存项目 项目.gpkg" in told.faults[-1] and "编辑仍在窗口中" in told.faults[-1]
        assert window.windowTitle().startswith("*")
        assert list(on_disk(path).values()) == [("P001", "已有地块", 10_000.0)]
        assert actions.save_as(tmp_path / "另存.gpkg")
        assert on_disk(tmp_path / "另存.gpkg") == in_window(actions) and len(in_window(actions)) == 2
        assert not window.windowTitle().startswith("*")
        window.close()


@pytest.mark.ui
def test_a_full_disk_tells_and_the_title_keeps_its_star_until_saved(qtbot, tmp_path):
    with tmpfs(tmp_path / "小盘") as folder:
        path = folder / "项目.gpkg"
        new_project(path)
        told = Told()
        window, actions = make_window(qtbot, path, told)
        filler = fill(folder)
        fid = draw(actions, 300, "磁盘满时画的")
        qtbot.waitUntil(lambda: bool(told.faults))
        assert "磁盘已满" in told.faults[0] and "这一步编辑仍在窗口中" in told.faults[0]
        assert not actions.save()
        assert "无法保存项目 项目.gpkg：磁盘已满" in told.faults[-1] and window.windowTitle().startswith("*")
        assert list(on_disk(path).values()) == [("P001", "已有地块", 10_000.0)]
        assert not list(folder.glob("*.saving*"))
        filler.unlink()
        assert actions.save()
        assert on_disk(path)[fid] == ("P002", "磁盘满时画的", 10_000.0) and not window.windowTitle().startswith("*")
        window.close()


@pytest.mark.ui
def test_a_damaged_journal_is_told_and_the_project_opens(qtbot, tmp_path):
    path = tmp_path / "项目.gpkg"
    new_project(path)
    (tmp_path / "项目.gpkg.autosave").write_bytes(b"SQLite format 3\x00" + b"\x13" * 3000)
    window, actions = make_window(qtbot, path)
    assert "自动保存文件 项目.gpkg.autosave 已损坏" in actions.last_message
    assert [p.name.startswith("项目.gpkg.autosave.损坏-") for p in tmp_path.iterdir()].count(True) == 1
    assert in_window(actions) == on_disk(path) and not actions.editor.project.read_only


@pytest.mark.ui
def test_main_py_opens_the_project_named_on_the_command_line(tmp_path):
    path = tmp_path / "命令行项目.gpkg"
    new_project(path)
    (tmp_path / "命令行项目.gpkg.autosave").write_bytes(b"not a journal")  # opening it moves this aside
    out = tmp_path / "shot.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), str(path), "--screenshot", str(out)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 10_000
    assert [p.name.startswith("命令行项目.gpkg.autosave.损坏-") for p in tmp_path.iterdir()].count(True) == 1
    assert not (tmp_path / "命令行项目.gpkg.lock").exists()  # opened (locked) and let go at exit


@pytest.mark.ui
def test_a_last_project_whose_folder_is_gone_opens_the_default_project_and_says_so(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from ui.app import create_application
    from ui.main_window import MainWindow
    from ui.parcel_actions import install_parcel_editing
    from ui.parcel_editor import default_project_path

    gone = tmp_path / "移走的文件夹" / "项目.gpkg"  # the folder was moved or its drive is disconnected
    QSettings().setValue("project/last", str(gone))
    create_application()
    window = MainWindow(layers=[])
    qtbot.addWidget(window)
    actions = install_parcel_editing(window, ask_recover=lambda m: True)
    assert actions.editor.project.path.resolve() == default_project_path().resolve()
    assert f"文件夹 {gone.parent} 不存在" in actions.last_message and "已改为打开默认项目" in actions.last_message
    assert not gone.parent.exists()
