"""Database layers too large to load whole, read for the map's view.

A ``MapLayer`` marked ``by_view`` (``catalog.load_map_layer``) holds only what the current view
shows. When the view settles (``DEBOUNCE_MS`` after the last pan or zoom) the view's features
are read on a worker thread (``postgis.load_postgis_view``: ``ST_Intersects`` on the server,
simplified to a pixel, sub-pixel features as dots) and replace the layer's data in the map
model, keeping its visibility, opacity and style. A read overtaken by a newer view is dropped.
The map shows each such layer's ``view_note`` (read by view, simplified) while it is in view.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from suichang_gis.catalog import CatalogError
from suichang_gis.postgis import load_postgis_view

DEBOUNCE_MS = 300


class _Signals(QObject):
    done = Signal(int, object, object)  # generation, layers read, Chinese error messages


class _Read(QRunnable):
    def __init__(self, generation: int, specs: list, extent, resolution: float, signals: _Signals):
        super().__init__()
        self.generation, self.specs, self.extent, self.resolution = generation, specs, extent, resolution
        self.signals = signals

    def run(self) -> None:
        layers, errors = [], []
        for spec in self.specs:
            try:
                layers.append(load_postgis_view(spec, self.extent, self.resolution))
            except CatalogError as exc:
                errors.append(str(exc))
        self.signals.done.emit(self.generation, layers, errors)


class DatabaseViewReader(QObject):
    """Keeps the canvas's by-view database layers filled with the current view's features.

    ``on_error(message)`` is told (in Chinese, password masked) when a read fails; the layer
    keeps what it showed. ``read_now()`` reads at once and waits (tests, screenshots).
    """

    def __init__(self, canvas, on_error=None):
        super().__init__(canvas)
        self.canvas = canvas
        self.on_error = on_error or (lambda message: None)
        self._generation = 0
        self._read_for = None  # (extent, resolution, layer ids) of the last read started
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # one read at a time, on one connection
        self._signals = _Signals()
        self._signals.done.connect(self._arrived)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self._start)
        canvas.view_changed.connect(lambda _view: self._timer.start())
        canvas.layers_changed.connect(self._timer.start)

    def _specs(self) -> list:
        """The shown by-view layers (a hidden one is read when it is shown again)."""
        return [state.layer.spec for state in self.canvas.model if state.layer.by_view and state.visible]

    def _start(self) -> None:
        specs = self._specs()
        view = self.canvas.view
        wanted = (view.extent, view.resolution, tuple(spec.id for spec in specs))
        if not specs or wanted == self._read_for:
            return
        self._read_for = wanted
        self._generation += 1
        self._pool.start(_Read(self._generation, specs, view.extent, view.resolution, self._signals))

    def read_now(self) -> None:
        """Read the current view's features now and put them in the map (blocks)."""
        from PySide6.QtCore import QCoreApplication

        self._timer.stop()
        self._start()
        # Events keep flowing while waiting: a read that needs a password asks for it in this thread.
        while not self._pool.waitForDone(20):
            QCoreApplication.processEvents()
        QCoreApplication.processEvents()  # deliver the queued result

    def _arrived(self, generation: int, layers: list, errors: list) -> None:
        if generation != self._generation:
            return  # the view moved on; a newer read is under way
        for layer in layers:
            if self.canvas.model.get(layer.id) is not None:
                self.canvas.model.add(layer)  # replaces the data, keeps place and settings
        for message in errors:
            self.on_error(message)
