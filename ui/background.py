"""Work off the GUI thread behind a progress dialog, for callers that want the result in line.

``run_in_background(parent, text, fn)`` starts ``fn`` in a ``QThread`` and runs a local event loop
until it returns, so the window keeps painting while a large project opens or saves; user input
waits until the work is done (no edit can start inside another), and a progress dialog appears
after 300 ms. The result is returned and
an exception raised in ``fn`` is raised again here.
"""

from __future__ import annotations

from PySide6.QtCore import QEventLoop, QThread, Qt
from PySide6.QtWidgets import QProgressDialog


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


def run_in_background(parent, text: str, fn, title: str = "请稍候"):
    """``fn()`` in a worker thread; a progress dialog (after 300 ms) until it is done."""
    progress = QProgressDialog(text, None, 0, 0, parent)
    progress.setWindowTitle(title)
    progress.setWindowModality(Qt.WindowModality.WindowModal)
    progress.setMinimumDuration(300)
    worker = _Worker(fn)
    loop = QEventLoop()
    worker.finished.connect(loop.quit, Qt.ConnectionType.QueuedConnection)
    worker.start()
    loop.exec(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)  # paint, but take no clicks meanwhile
    worker.wait()
    progress.close()
    progress.deleteLater()
    if worker.error is not None:
        raise worker.error
    return worker.result
