"""The default layer catalog read off the GUI thread, handed to the window as the layers arrive.

The window shows at once with an empty map; ``LayerLoader`` reads the catalog's layers one by one
(bottom first, by zorder) on a ``QThreadPool`` thread and passes them to the GUI thread in small
batches, so the map fills in while the user already sees the window::

    loader = LayerLoader(specs_source, parent)  # () -> (specs bottom first, catalog errors)
    loader.arrived.connect(...)   # list[MapLayer], bottom first; (done, total) layers so far
    loader.finished.connect(...)  # list[str]: Chinese messages of the layers that failed
    loader.start()                # or loader.start_after_paint(window): once it is on screen
    loader.wait()                 # GUI thread: block until every layer was handed over

Every layer the catalog names is accounted for: it arrives, or ``finished`` names why not.
"""

from __future__ import annotations

import queue
import threading

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QObject, QRunnable, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QWidget

BATCH_MS = 100  # layers reaching the GUI thread within this time are added in one model change


class _Job(QRunnable):
    def __init__(self, loader: LayerLoader):
        super().__init__()
        self.loader = loader

    def run(self) -> None:
        self.loader._read_all()


class LayerLoader(QObject):
    """Reads the catalog's layers in a worker thread; see the module docstring.

    Signals arrive on the GUI thread: ``arrived(layers, done, total)`` with a batch of
    ``MapLayer`` (bottom first), ``finished(errors)`` once, after the last batch.
    """

    arrived = Signal(list, int, int)
    finished = Signal(list)
    _ready = Signal()  # emitted by the worker: something is waiting in the queue

    def __init__(self, specs_source, parent: QObject | None = None):
        super().__init__(parent)
        self.specs_source = specs_source
        self.errors: list[str] = []
        self.done = self.total = 0
        self.is_finished = False
        self.started = False
        self._painted: QWidget | None = None
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._worker_done = threading.Event()
        self._timer = QTimer(self, singleShot=True, interval=BATCH_MS)
        self._timer.timeout.connect(self.deliver)
        self._ready.connect(self._schedule)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)

    def start(self) -> None:
        """Begin reading in the worker thread (once)."""
        if not self.started:
            self.started = True
            self._pool.start(_Job(self))

    def start_after_paint(self, widget: QWidget) -> None:
        """Begin reading once ``widget`` was first painted (``wait`` begins at once if asked
        before): the window reaches the screen before the worker competes for the GIL."""
        widget.installEventFilter(self)
        self._painted = widget

    def eventFilter(self, watched, event) -> bool:
        if watched is self._painted and event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self, self.start)  # after this paint reached the screen
        return False

    def _read_all(self) -> None:
        """Worker thread: put ("total", n), then ("layer", MapLayer) or ("error", text) per layer."""
        from suichang_gis.catalog import CatalogError, load_map_layer

        from .password_prompt import DeclinedDatabases

        try:
            try:
                specs, errors = self.specs_source()
            except Exception as exc:  # a broken catalog is told, never a silent empty map
                self._queue.put(("catalog_error", f"图层目录无法读取：{exc}"))
                return
            for error in errors:
                self._queue.put(("catalog_error", error))
            self._queue.put(("total", len(specs)))
            declined = DeclinedDatabases()  # a database whose password was declined is not asked per layer
            for i, spec in enumerate(specs, 1):
                try:
                    if declined.skip(spec):
                        self._queue.put(("skipped", None))
                    else:
                        self._queue.put(("layer", load_map_layer(spec)))  # a huge database table: read per view
                except CatalogError as exc:
                    self._queue.put(("skipped", None) if declined.declined(spec, exc) else ("error", str(exc)))
                except Exception as exc:  # the thread must never die with a layer unaccounted for
                    self._queue.put(("error", f"图层“{spec.title}”（{spec.id}）加载失败：{exc}"))
                if i < len(specs):  # the last one goes with the end, in one batch
                    self._wake()
            for note in declined.notes():  # one note per database, naming every layer left out
                self._queue.put(("catalog_error", note))
        finally:
            self._queue.put(("end", None))
            self._worker_done.set()
            self._wake()

    def _wake(self) -> None:
        """From the worker: a batch waits. The window (and this loader) may already be closed."""
        try:
            self._ready.emit()
        except RuntimeError:  # "Signal source has been deleted": nobody is left to deliver to
            pass

    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def deliver(self) -> None:
        """GUI thread: hand over what the worker has read so far (one ``arrived`` signal)."""
        layers, ended = [], False
        while True:
            try:
                kind, value = self._queue.get_nowait()
            except queue.Empty:
                break
            if kind == "total":
                self.total = value
            elif kind == "layer":
                layers.append(value)
                self.done += 1
            elif kind == "error":
                self.errors.append(value)
                self.done += 1
            elif kind == "skipped":  # told by a note at the end (DeclinedDatabases)
                self.done += 1
            elif kind == "catalog_error":
                self.errors.append(value)
            else:
                ended = True
        if layers:
            self.arrived.emit(layers, self.done, self.total)
        if ended and not self.is_finished:
            self.is_finished = True
            self.finished.emit(list(self.errors))

    def wait(self) -> None:
        """GUI thread: wait until the worker is done, then hand over every remaining layer.

        Events other than user input are processed meanwhile: a database layer's password
        question (``ui.password_prompt``) is asked on the GUI thread while the worker waits."""
        if self.is_finished:
            return
        self.start()
        while not self._worker_done.wait(0.02):
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
        self._timer.stop()
        self.deliver()
