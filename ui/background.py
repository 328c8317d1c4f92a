"""Work off the GUI thread behind a progress dialog, for callers that want the result in line.

``run_in_background(parent, text, fn)`` starts ``fn`` in a ``QThread`` and runs a local event loop
until it returns, so the window keeps painting while a large project opens or saves; user input
waits until the work is done (no edit can start inside another), and a progress dialog appears
after 300 ms. The result is returned and
an exception raised in ``fn`` is raised again here.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QEventLoop, Qt, QThread, QTimer
from PySide6.QtWidgets import QProgressDialog


class Progress:
    """Shared between the worker and the dialog: ``report(done, total)`` from the worker returns
    False once the user pressed 取消 (the worker then stops where stopping is safe)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.done = self.total = 0
        self.cancelled = False

    def report(self, done: int, total: int) -> bool:
        with self._lock:
            self.done, self.total = done, total
            return not self.cancelled


class _Worker(QThread):
    def __init__(self, fn, parent=None):
        super().__init__(parent)
        self.fn = fn
        self.result = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.fn()
        except BaseException as exc:  # handed to the GUI thread, raised there
            self.error = exc


def run_in_background(parent, text: str, fn, title: str = "请稍候", progress: Progress | None = None):
    """``fn()`` in a worker thread; a progress dialog (after 300 ms) until it is done.

    With ``progress`` (which ``fn`` reports to) the dialog shows at once, counts and has 取消.
    """
    dialog = QProgressDialog(text, "取消" if progress else None, 0, 0, parent)
    dialog.setWindowTitle(title)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(0 if progress else 300)
    worker = _Worker(fn)
    loop = QEventLoop()
    worker.finished.connect(loop.quit, Qt.ConnectionType.QueuedConnection)
    timer = QTimer()
    if progress is not None:
        dialog.canceled.connect(lambda: setattr(progress, "cancelled", True))
        timer.timeout.connect(lambda: (dialog.setMaximum(progress.total), dialog.setValue(progress.done)))
        timer.start(100)
    worker.start()
    # Paint, but take no clicks meanwhile — except on a cancellable (window-modal, shown) dialog.
    loop.exec(QEventLoop.ProcessEventsFlag.AllEvents if progress
              else QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
    worker.wait()
    timer.stop()
    dialog.close()
    dialog.deleteLater()
    if worker.error is not None:
        raise worker.error
    return worker.result
