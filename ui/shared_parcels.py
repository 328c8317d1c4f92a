"""文件 → 保存到共享数据库…: the project's parcels into the bureau's shared PostGIS parcel table.

The same core function as ``suichang-gis parcels-push`` (``parcel_store_postgis.push_project``):
the project is saved to its local file first, so whatever happens to the database nothing drawn is
lost; then only the parcels changed since the last pull or push are written, in one transaction,
off the GUI thread. A connection that drops is reconnected by the core (told in the status bar);
when the server stays away the window says so in Chinese with 重试 and 取消 — the edits stay in
the project file and can be saved again once the connection is back. Another planner's edit of
the same parcel is a conflict told by parcel, never overwritten.

The connection (``PG:service=bureau``, libpq keywords or a URL without password) and the table are
asked once and remembered in the settings; a password is asked by the window's prompt and kept in
memory only.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox

from suichang_gis.catalog import mask_secrets
from suichang_gis.parcel_store_postgis import ParcelConflict, PostgisParcelStore, push_project
from suichang_gis.postgis import PostgisError, has_password, is_postgis_source, open_connection

from .background import run_in_background
from .messages import failure_text

DEFAULT_TABLE = "public.parcels"


class SharedParcels(QObject):
    """Saves ``actions``' project to a shared table; ``ask_retry(text) -> bool`` decides after a
    database fault (default: a 重试/取消 box). ``last_message`` keeps the last thing told."""

    retrying = Signal(str)  # a reconnection message from the worker, shown in the status bar

    def __init__(self, window, actions, ask_retry=None):
        super().__init__(window)
        self.window = window
        self.actions = actions
        self.ask_retry = ask_retry or self.ask_retry_dialog
        self.last_message = ""
        self._stores: dict[tuple[str, str], PostgisParcelStore] = {}
        self.retrying.connect(lambda text: window.statusBar().showMessage(text, 10000),
                              Qt.ConnectionType.QueuedConnection)

    def save_dialog(self) -> bool:
        """Ask the connection and table (remembered), then :meth:`save`."""
        settings = QSettings()
        dsn, ok = QInputDialog.getText(
            self.window, "保存到共享数据库", "共享数据库连接（不含口令），例如 PG:service=bureau：",
            QLineEdit.EchoMode.Normal, str(settings.value("shared_parcels/dsn", "")))
        if not ok or not dsn.strip():
            return False
        table, ok = QInputDialog.getText(self.window, "保存到共享数据库", "地块表（模式.表名）：",
                                         QLineEdit.EchoMode.Normal,
                                         str(settings.value("shared_parcels/table", DEFAULT_TABLE)))
        if not ok or not table.strip():
            return False
        return self.save(dsn.strip(), table.strip())

    def save(self, dsn: str, table: str = DEFAULT_TABLE) -> bool:
        """Save the project locally, then its changed parcels to ``table`` of ``dsn``; True when
        the database has them. Every failure is told in Chinese; the local file keeps the edits."""
        if not is_postgis_source(dsn) or has_password(dsn):
            self._tell("无法保存到共享数据库", f"连接 {mask_secrets(dsn)} 无效：请写成 PG:service=…、"
                       "PG:host=… dbname=… user=… 或 postgresql://用户@主机/库，且不含口令"
                       "（口令在需要时询问，只保存在内存中）。")
            return False
        settings = QSettings()
        settings.setValue("shared_parcels/dsn", dsn)  # never a password (refused above)
        settings.setValue("shared_parcels/table", table)
        if (self.actions.editor.project.dirty or self.actions.untitled) and not self.actions.save():
            self._status("未保存到共享数据库：项目尚未保存到本地文件")
            return False
        path = self.actions.editor.project.path
        while True:
            try:
                saved = run_in_background(self.window, "正在保存到共享数据库…", lambda: self._push(dsn, table, path))
            except ParcelConflict as exc:
                self._tell("共享数据库中有冲突", f"{exc}\n\n本次没有写入数据库；您的编辑仍在本地项目文件 {path.name} 中。")
                return False
            except PostgisError as exc:
                self._drop(dsn, table)
                text = failure_text(f"无法把地块保存到共享数据库 {mask_secrets(dsn)} 的表 {table}。已绘制的地块都在"
                                    f"本地项目文件 {path.name} 中，没有丢失；连接恢复后按“重试”即可保存。", exc)
                self.last_message = text
                if self.ask_retry(text):
                    continue
                self._status("未保存到共享数据库：编辑仍在本地项目文件中，连接恢复后可再次保存")
                return False
            except ValueError as exc:  # the project was pulled from another table
                self._tell("无法保存到共享数据库", str(exc))
                return False
            self._status(f"已保存到共享数据库 {mask_secrets(dsn)} 的表 {table}：共 {len(saved.versions)} 个地块")
            return True

    def _push(self, dsn: str, table: str, path):
        """In the worker: the (cached) store's connection, the table if absent, the push."""
        key = (dsn, table)
        store = self._stores.get(key)
        if store is None:
            connection = open_connection(dsn, on_retry=self.retrying.emit)
            store = self._stores[key] = PostgisParcelStore(dsn, table, connection=connection)
            store.create()
        return push_project(store, path)

    def _drop(self, dsn: str, table: str) -> None:
        store = self._stores.pop((dsn, table), None)
        if store is not None:
            store.close()

    def close(self) -> None:
        """Close every connection (the window is closing)."""
        for key in list(self._stores):
            self._drop(*key)

    def ask_retry_dialog(self, text: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Warning, "共享数据库连接中断", text, parent=self.window)
        retry = box.addButton("重试", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("取消", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        return box.clickedButton() is retry

    def _tell(self, title: str, text: str) -> None:
        self.last_message = text
        QMessageBox.warning(self.window, title, text)

    def _status(self, text: str) -> None:
        self.last_message = text
        self.window.statusBar().showMessage(text, 15000)


def install_shared_parcels(window, actions) -> SharedParcels:
    """Add 文件 → 保存到共享数据库… to ``window`` for ``actions``' project."""
    shared = SharedParcels(window, actions)
    action = QAction("保存到共享数据库…", window)
    action.triggered.connect(shared.save_dialog)
    menu = window.menus["文件"]
    entries = menu.actions()
    export = next((k for k, entry in enumerate(entries) if entry.text().startswith("导出地块")), None)
    if export is not None and export + 1 < len(entries):  # with the project and parcel file entries
        menu.insertAction(entries[export + 1], action)
    else:
        menu.addAction(action)
    window.shared_parcels = shared
    return shared
