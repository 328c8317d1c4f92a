"""The window against a real PostGIS server (see conftest.py): the password dialog of a database
layer — asked in the GUI thread even from a worker, asked again after a wrong password, 取消 leaves
the layer out with a message, 记住本次会话 in memory only, the password never in a file or a log."""

from __future__ import annotations

import logging

import psycopg
import pytest

pytest.importorskip("pytestqt", reason="pytest-qt 未安装：pip install -e .[test]")

from PySide6.QtCore import QThread, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialog  # noqa: E402

from suichang_gis import postgis  # noqa: E402
from suichang_gis.catalog import load_catalog, load_layer  # noqa: E402
from suichang_gis.cli import main  # noqa: E402
from ui.background import run_in_background  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402
from ui.password_prompt import PasswordDialog, install_password_prompt  # noqa: E402

LAYER = "townships"  # small, and drawn in the window


class Answerer:
    """Answers each password dialog that appears with the next of ``answers`` (a password,
    or None for 取消), ticking 记住本次会话 when asked; records what each dialog said and the
    thread it ran in."""

    def __init__(self, answers, remember=False):
        self.answers = list(answers)
        self.remember = remember
        self.seen: list[dict] = []
        self.timer = QTimer()
        self.timer.timeout.connect(self._poll)
        self.timer.start(30)

    def _poll(self):
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, PasswordDialog) and widget.isVisible() and widget not in [
                    s["dialog"] for s in self.seen]:
                self.seen.append({"dialog": widget, "message": widget.message.text(),
                                  "error": widget.error.text() if widget.error.isVisible() else "",
                                  "gui_thread": QThread.currentThread() is QApplication.instance().thread()
                                  and widget.thread() is QApplication.instance().thread()})
                answer = self.answers.pop(0)
                if answer is None:
                    widget.reject()
                else:
                    widget.password.setText(answer)
                    widget.remember.setChecked(self.remember)
                    widget.accept()

    def stop(self):
        self.timer.stop()


@pytest.fixture
def database_layer(tmp_path, pg_server, pg_dsn, capsys, monkeypatch):
    """A user catalog pointing ``townships`` at a table the password role ``planner`` reads over
    TCP (password authentication); no PGPASSWORD, no ~/.pgpass; fresh connections and prompt."""
    assert main(["publish-layers", "--dsn", pg_dsn, "--schema", "bureau", "--layer", LAYER,
                 "--layer", "ecological_redline"]) == 0
    capsys.readouterr()
    for key in ("PGPASSWORD", "PGPASSFILE", "PGSERVICE"):
        monkeypatch.delenv(key, raising=False)
    dbname = psycopg.conninfo.conninfo_to_dict(pg_dsn)["dbname"]
    dsn = f"PG:host=127.0.0.1 port={pg_server['port']} dbname={dbname} user=planner"
    catalog = tmp_path / "bureau.toml"
    catalog.write_text(f'[postgis]\ndsn = "{dsn}"\nschema = "bureau"\nlayers = ["{LAYER}"]\n', encoding="utf-8")
    two = tmp_path / "two.toml"  # two layers from the same database
    two.write_text(f'[postgis]\ndsn = "{dsn}"\nschema = "bureau"\nlayers = ["{LAYER}", "ecological_redline"]\n',
                   encoding="utf-8")
    monkeypatch.setattr(postgis, "_connections", {})
    prompt = install_password_prompt()
    monkeypatch.setattr(prompt, "_remembered", {})
    with psycopg.connect(pg_dsn) as conn:
        rows = conn.execute(f"SELECT count(*) FROM bureau.{LAYER}").fetchone()[0]
    yield {"dsn": dsn, "catalog": catalog, "two": two, "rows": rows}
    for conn in postgis._connections.values():
        conn.close()


def test_postgis_window_asks_the_password_again_after_a_wrong_one(qtbot, database_layer, pg_password, caplog):
    caplog.set_level(logging.DEBUG)
    answerer = Answerer(["not-it", pg_password])
    try:
        window = MainWindow(user_catalog=database_layer["catalog"])
        qtbot.addWidget(window)
    finally:
        answerer.stop()
    assert len(answerer.seen) == 2
    first, second = answerer.seen
    assert database_layer["dsn"] in first["message"] and "需要口令" in first["message"] and not first["error"]
    assert "口令错误" in second["error"] and "planner" in second["error"]
    assert all(s["gui_thread"] for s in answerer.seen)
    assert window.load_errors == []
    assert len(window.layers[LAYER].gdf) == database_layer["rows"]
    assert window.layers[LAYER].spec.dsn == database_layer["dsn"]
    assert pg_password not in caplog.text and pg_password not in database_layer["catalog"].read_text("utf-8")


def test_postgis_window_cancelled_password_leaves_the_layers_out_with_a_message(qtbot, database_layer):
    answerer = Answerer([None])
    try:
        window = MainWindow(user_catalog=database_layer["two"])
        qtbot.addWidget(window)
    finally:
        answerer.stop()
    assert len(answerer.seen) == 1  # declined once: the database's other layer does not ask again
    assert LAYER not in window.layers and "ecological_redline" not in window.layers
    assert "county_boundary" in window.layers  # the layers from files load
    assert len(window.load_errors) == 1
    assert "乡镇" in window.load_errors[0] and "生态保护红线" in window.load_errors[0]
    assert "口令已取消" in window.load_errors[0] and database_layer["dsn"] in window.load_errors[0]
    assert "已取消" in window.statusBar().currentMessage()


@pytest.mark.parametrize("answers", [["not-it", "PASSWORD"], [None]])
def test_postgis_background_layer_loader_asks_in_the_gui_thread(qtbot, database_layer, pg_password, answers):
    # What main.py does: the window shows, the catalog's layers are read in a worker thread.
    answers = [pg_password if a == "PASSWORD" else a for a in answers]
    window = MainWindow(layers=[])
    qtbot.addWidget(window)
    answerer = Answerer(list(answers))
    try:
        window.load_layers_in_background(user_catalog=database_layer["two"])
        window.wait_for_layers()
    finally:
        answerer.stop()
    assert len(answerer.seen) == len(answers) and all(s["gui_thread"] for s in answerer.seen)
    if answers[-1] is None:  # declined: both layers of the database left out, named in one note
        assert LAYER not in window.layers and "ecological_redline" not in window.layers
        assert [e for e in window.load_errors if "口令已取消" in e and "乡镇" in e and "生态保护红线" in e]
    else:
        assert "口令错误" in answerer.seen[1]["error"] and window.load_errors == []
        assert len(window.layers[LAYER].gdf) == database_layer["rows"]
        assert window.layers["ecological_redline"].spec.dsn == database_layer["dsn"]
    assert "county_boundary" in window.layers


def _forget_connections(monkeypatch):
    for conn in postgis._connections.values():
        conn.close()
    monkeypatch.setattr(postgis, "_connections", {})


@pytest.mark.parametrize("remember", [False, True])
def test_postgis_worker_thread_asks_in_the_gui_thread_once_per_session(
        qtbot, database_layer, pg_password, tmp_path, caplog, monkeypatch, remember):
    caplog.set_level(logging.DEBUG)
    from ui.parcel_actions import install_parcel_editing

    window = MainWindow(layers=[])
    qtbot.addWidget(window)
    actions = install_parcel_editing(window, project_path=tmp_path / "项目.gpkg")
    spec = {s.id: s for s in load_catalog(user_catalog=database_layer["catalog"])}[LAYER]
    answerer = Answerer([pg_password, pg_password], remember=remember)
    try:
        layer = run_in_background(window, "正在读取图层…", lambda: load_layer(spec))
        again = run_in_background(window, "正在读取图层…", lambda: load_layer(spec))  # another thread
        assert len(answerer.seen) == 1 and answerer.seen[0]["gui_thread"]  # typed once for every thread
        _forget_connections(monkeypatch)  # e.g. the layer removed and added again
        run_in_background(window, "正在读取图层…", lambda: load_layer(spec))
    finally:
        answerer.stop()
    assert len(answerer.seen) == (1 if remember else 2)  # 记住本次会话: not asked again
    assert len(layer.gdf) == len(again.gdf) == database_layer["rows"]
    window.add_layer(layer)
    assert actions.save()
    # Nowhere on disk: the project, the catalog, the settings and app data under the session's HOME.
    import os
    from pathlib import Path

    secret = pg_password.encode()
    for root in (tmp_path, Path(os.environ["HOME"])):
        for path in root.rglob("*"):
            if path.is_file():
                assert secret not in path.read_bytes(), path
    assert pg_password not in caplog.text


def test_postgis_password_dialog_masks_what_it_is_given(qtbot):
    dialog = PasswordDialog("postgresql://planner:***@db/gis", "口令错误：数据库拒绝了用户 planner 的口令，请重新输入。")
    qtbot.addWidget(dialog)
    assert dialog.password.echoMode() == dialog.password.EchoMode.Password
    assert "记住本次会话" in dialog.remember.text() and not dialog.remember.isChecked()
    assert dialog.result() == QDialog.DialogCode.Rejected


def _count(dsn) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT count(*) FROM public.parcels").fetchone()[0]


def _connections_allowed(pg_server, dsn, allowed: bool) -> None:
    """Let the test database take connections or not; when not, end the ones it has (the server
    going away while the planner works, and staying away)."""
    dbname = psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]
    with psycopg.connect(**pg_server, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{dbname}" ALLOW_CONNECTIONS {str(allowed).lower()}')
        if not allowed:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (dbname,))


def _terminate_backends(pg_server, dsn) -> int:
    dbname = psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]
    with psycopg.connect(**pg_server, autocommit=True) as conn:
        return len(conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                                "AND pid <> pg_backend_pid()", (dbname,)).fetchall())


def test_postgis_dropped_connection_while_a_planner_works_loses_nothing(qtbot, tmp_path, pg_server, pg_dsn):
    from shapely.geometry import box

    from suichang_gis.project import Project
    from ui.parcel_actions import install_parcel_editing
    from ui.shared_parcels import install_shared_parcels

    window = MainWindow(layers=[])
    qtbot.addWidget(window)
    actions = install_parcel_editing(window, project_path=tmp_path / "项目.gpkg")
    shared = install_shared_parcels(window, actions)
    asked: list[str] = []
    shared.ask_retry = lambda text: asked.append(text) or False  # replaced per case below
    told: list[str] = []
    shared.retrying.connect(told.append)
    editor, dsn = actions.editor, f"PG:{pg_dsn}"
    x, y = 470_000, 3_160_000

    def draw(k):
        editor.add_polygon(box(x + 200 * k, y, x + 200 * k + 100, y + 100))

    draw(0), draw(1)
    assert shared.save(dsn) and _count(pg_dsn) == 2

    # The server ends the session (restart, idle timeout): the next save reconnects by itself.
    draw(2)
    assert _terminate_backends(pg_server, pg_dsn) >= 1
    assert shared.save(dsn) and _count(pg_dsn) == 3
    qtbot.waitUntil(lambda: bool(told))
    assert "连接中断，正在重试" in told[0] and "password" not in told[0]

    # The server goes away and stays away: a message with 重试; the planner retries once it is back.
    draw(3)
    _connections_allowed(pg_server, pg_dsn, False)

    def retry_when_back(text):
        asked.append(text)
        _connections_allowed(pg_server, pg_dsn, True)
        return True

    shared.ask_retry = retry_when_back
    assert shared.save(dsn)
    assert len(asked) == 1 and "连接中断" in asked[0] and "没有丢失" in asked[0] and "项目.gpkg" in asked[0]
    assert _count(pg_dsn) == 4

    # 取消: nothing written to the database, everything drawn still in the local project file.
    draw(4)
    _connections_allowed(pg_server, pg_dsn, False)
    shared.ask_retry = lambda text: asked.append(text) and False
    assert not shared.save(dsn)
    assert len(asked) == 2 and "编辑仍在本地项目文件中" in shared.last_message
    _connections_allowed(pg_server, pg_dsn, True)
    assert _count(pg_dsn) == 4
    kept = Project.open(tmp_path / "项目.gpkg", read_only=True)
    try:
        assert sorted(kept.parcels["parcel_id"]) == sorted(editor.project.parcels["parcel_id"])
        assert len(kept.parcels) == 5
    finally:
        kept.close()
    assert shared.save(dsn) and _count(pg_dsn) == 5  # saved once the connection is back
    shared.close()
