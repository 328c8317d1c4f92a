"""The database password dialog: the window's answer to ``postgis.set_password_prompt``.

When a PostGIS layer's connection (``PG:service=…``, libpq keywords or a URL) needs a password
that neither the service file, ``~/.pgpass`` nor ``PGPASSWORD`` gives, the core asks the prompt
installed here. The dialog names the connection with its password masked, shows the server's
refusal in Chinese after a wrong password and asks again; 取消 leaves the layer unloaded (the core
raises, the caller tells which layer). A password typed once serves every thread's connection to
that database (``postgis.connection_for``); 记住本次会话 also keeps it, in this process's memory, for
connections opened anew later (a layer added again, 保存到共享数据库). Nothing is ever written to a
file, the settings or a log.

The core may ask from a worker thread (a layer loaded in the background, the check): the question
is then carried to the GUI thread with a blocking queued call, and the worker waits for the answer.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtCore import Qt as _Qt
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from suichang_gis import postgis
from suichang_gis.catalog import mask_secrets


class PasswordDialog(QDialog):
    """Asks the password of one connection: the masked DSN, the last refusal, 记住本次会话."""

    def __init__(self, masked_dsn: str, error: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("postgis_password_dialog")
        self.setWindowTitle("数据库口令")
        self.message = QLabel(f"连接数据库 {masked_dsn} 需要口令。\n"
                              "口令只用于本次运行，不写入项目文件、图层目录或日志。")
        self.message.setWordWrap(True)
        self.error = QLabel(error or "")
        self.error.setObjectName("password_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b2182b;")
        self.error.setVisible(bool(error))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("口令")
        self.remember = QCheckBox("记住本次会话（只保存在内存中，关闭工作台即忘记）")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("连接")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.message, self.error, self.password, self.remember, buttons):
            layout.addWidget(widget)
        self.setMinimumWidth(460)


class PasswordPrompt(QObject):
    """``prompt(masked_dsn, error) -> password | None`` for the core, callable from any thread.

    Passwords the user asked to remember are kept in ``_remembered`` (memory only, keyed by the
    masked DSN) and given without a dialog until the server refuses one.
    """

    _asked = Signal(str, str)  # masked DSN, error ("" for none); connected blocking-queued

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._remembered: dict[str, str] = {}
        self._answer: str | None = None
        self._lock = threading.Lock()  # one question at a time, from whichever thread
        self._asked.connect(self._ask, _Qt.ConnectionType.BlockingQueuedConnection)

    def __call__(self, masked_dsn: str, error: str | None = None) -> str | None:
        with self._lock:
            if error:
                self._remembered.pop(masked_dsn, None)  # refused: ask the user again
            elif masked_dsn in self._remembered:
                return self._remembered[masked_dsn]
            if QThread.currentThread() is self.thread():
                self._ask(masked_dsn, error or "")
            else:  # a worker: the dialog runs in the GUI thread, this thread waits for it
                self._asked.emit(masked_dsn, error or "")
            answer, self._answer = self._answer, None
            return answer

    @Slot(str, str)
    def _ask(self, masked_dsn: str, error: str) -> None:
        parent = QApplication.activeWindow()
        if isinstance(parent, PasswordDialog):  # the last question's dialog, about to be deleted
            parent = parent.parentWidget()
        dialog = PasswordDialog(masked_dsn, error or None, parent)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.password.text():
                self._answer = None
                return
            self._answer = dialog.password.text()
            if dialog.remember.isChecked():
                self._remembered[masked_dsn] = self._answer
        finally:
            dialog.password.clear()
            dialog.deleteLater()


def install_password_prompt() -> PasswordPrompt:
    """The application's one prompt (created on first call, owned by the QApplication), set as
    the core's password prompt. Call it before the first PostGIS layer is loaded."""
    app = QApplication.instance()
    prompt = app.findChild(PasswordPrompt, "postgis_password_prompt")
    if prompt is None:
        prompt = PasswordPrompt(app)
        prompt.setObjectName("postgis_password_prompt")
    postgis.set_password_prompt(prompt)
    return prompt


class DeclinedDatabases:
    """During one load of the catalog: the databases whose password the user declined. Their
    other layers are skipped without asking again, and one note names every layer left out.

    ``skip(spec)`` before reading a layer (True: leave it out); ``declined(spec, exc)`` with the
    ``CatalogError`` it raised (True when it was a declined password); ``notes()`` at the end.
    """

    def __init__(self):
        self._layers: dict[str, list[str]] = {}

    def skip(self, spec) -> bool:
        if spec.dsn and spec.dsn in self._layers:
            self._layers[spec.dsn].append(spec.title)
            return True
        return False

    def declined(self, spec, exc: BaseException) -> bool:
        if isinstance(exc.__cause__, postgis.PasswordCancelled):
            self._layers[spec.dsn] = [spec.title]
            return True
        return False

    def notes(self) -> list[str]:
        return [f"{'、'.join(titles)}（数据库口令已取消，{mask_secrets(dsn)}）" for dsn, titles in self._layers.items()]
