"""Work off the GUI thread behind a progress dialog, for callers that want the result in line.

``run_in_background(parent, text, fn)`` starts ``fn`` in a ``QThread`` and runs a local event loop
until it returns, so the window keeps painting while a large project opens or saves; user input
waits until the work is done (no edit can start inside another), and a progress dialog appears
after 300 ms. The result is returned and
an exception raised in ``fn`` is raised again here.

``BackgroundQueue`` is for work the window need not wait for (the parcel layer rebuilt after an
edit of a large project): functions run one at a time, in the order submitted, in one worker
thread, and each result is handed to its callback on the GUI thread in that order.
"""

from __future__ import annotations

import threading
from collections import deque

from PySide6.QtCore import QEventLoop, QObject, QRunnable, Qt, QThread, QThreadPool, QTimer, Signal
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


class _Delivery(QObject):
    finished = Signal()  # emitted from the worker thread, received on the GUI thread


class _QueuedJob(QRunnable):
    def __init__(self, fn, callback, delivery: _Delivery):
        super().__init__()
        self.setAutoDelete(False)  # the queue keeps it until its result is delivered
        self.fn, self.callback, self.delivery = fn, callback, delivery
        self.result = self.error = None
        self.done = threading.Event()

    def run(self) -> None:
        try:
            self.result = self.fn()
        except BaseException as exc:  # handed to the callback on the GUI thread
            self.error = exc
        self.done.set()
        try:
            self.delivery.finished.emit()
        except RuntimeError:  # the queue's owner was deleted meanwhile: nobody to tell
            pass


class BackgroundQueue(QObject):
    """Run functions one at a time, in the order submitted, in a worker thread of its own;
    ``callback(result, error)`` of each runs on the GUI thread, in the same order (``error``: the
    exception ``fn`` raised, else None).

    Owned by a widget that outlives its users (the map canvas for the parcel layer's builds):
    deleting the owner waits for the function running, and callbacks of a deleted owner are not
    called. ``wait()`` blocks until all submitted work is done and its callbacks have run.
    """

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._delivery = _Delivery(self)
        self._delivery.finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._jobs: deque[_QueuedJob] = deque()  # submitted, callback not run yet; oldest first

    def submit(self, fn, callback) -> None:
        """Queue ``fn()``; ``callback(result, error)`` follows on the GUI thread."""
        job = _QueuedJob(fn, callback, self._delivery)
        self._jobs.append(job)
        self._pool.start(job)

    @property
    def pending(self) -> bool:
        """Whether work was submitted whose callback has not run yet."""
        return bool(self._jobs)

    def wait(self) -> None:
        """Block until every submitted function has returned, then run their callbacks."""
        self._pool.waitForDone()
        self._deliver()

    def _deliver(self) -> None:
        while self._jobs and self._jobs[0].done.is_set():
            job = self._jobs.popleft()
            job.callback(job.result, job.error)
