"""The print dialog: template, paper, orientation, title, layers, a preview, and export.

The preview is the exported page itself (``suichang_gis.layout``), rendered at screen
resolution, so what the dialog shows is what the file holds. "当前视图" prints the canvas as
it is: its extent and its visible layers, bottom first.

A change of the settings composes the preview on a worker thread (the dialog stays responsive,
a newer change supersedes an older one still waiting), and previews already made for the same
settings are reused at once. The worker is one long-lived thread (``preview_worker``), and the
layout keeps the legend sizes it measured, so a change that leaves the legend as it was
measures it once.
"""

from __future__ import annotations

import queue
import threading
import traceback
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
)

from suichang_gis.catalog import MapLayer
from suichang_gis.layout import (
    MAKER_BLANK,
    PAPER_MM,
    MapLayout,
    Template,
    layout_png,
    load_templates,
    maker_text,
    print_map,
)
from suichang_gis.parcel_layer import (
    PARCEL_LAYER_ID,
    checked_parcel_layer,
    summary_notes,
    summary_table,
)

from .messages import show_failure
from .paths import save_file_name

PREVIEW_CACHE = 12  # previews kept for reuse (settings → page)


class _PreviewDone(QObject):
    """Carries a finished preview from the worker thread to the GUI thread (queued signal)."""

    done = Signal(int, object, object)  # generation, (layout, png) or None, error text

    latest = 0  # the generation the dialog waits for; older queued previews are skipped


class PreviewWorker:
    """The one thread every print preview is composed on, kept alive between previews.

    matplotlib keeps its fonts per thread (``font_manager.get_font`` keys on the thread id) and
    pyproj its transformers in thread-locals, so a fresh thread per preview loaded 黑体 and
    DejaVu again and doubled the preview's time. A plain Python thread, not a ``QThreadPool``
    one: a pool thread gets a new Python thread state per task, which drops pyproj's
    thread-locals under it (it crashed on the second preview).
    """

    def __init__(self):
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="print-preview", daemon=True)
        self.thread.start()

    def submit(self, job) -> None:
        """Run ``job()`` on the preview thread after the jobs before it."""
        self._jobs.put(job)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                job()
            except Exception:  # a failed preview must not stop the ones after it
                traceback.print_exc()


_worker: PreviewWorker | None = None


def preview_worker() -> PreviewWorker:
    """The process's ``PreviewWorker``, started on first use."""
    global _worker
    if _worker is None:
        _worker = PreviewWorker()
    return _worker


CURRENT_VIEW = "current_view"
CURRENT_VIEW_TITLE = "遂昌县规划图"
ORIENTATIONS = {"横向": "landscape", "纵向": "portrait"}
PREVIEW_DPI = 60
EXPORT_FILTER = "PDF 文件 (*.pdf);;PNG 图片 (*.png);;SVG 矢量图 (*.svg)"


class PrintDialog(QDialog):
    """Compose a meeting map from a template or the current view, preview it, export it.

    Parameters
    ----------
    layers : dict of id -> MapLayer
        The layers to print from (the window's, so user-replaced data is printed).
    canvas : MapCanvasWidget, optional
        Enables "当前视图": its ``view.extent`` and visible ``canvas_layers()``.
    extra_layers : list of MapLayer, optional
        Printed on top in every template (e.g. the candidate parcels by check status). Without
        them the 候选地块核查图 checks and prints the ``parcels`` layer of ``layers``.
    """

    def __init__(self, layers: dict[str, MapLayer], canvas=None, extra_layers=None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("打印地图")
        self.all_layers = layers
        self.canvas = canvas
        self.extra_layers = list(extra_layers or [])
        self.templates = load_templates()
        self.layout: MapLayout | None = None
        self._check = None  # (parcels frame, checked layer, CheckResult) of the last parcel print
        self.preview_png: bytes = b""
        self._previews: OrderedDict = OrderedDict()  # settings key → (layout, png)
        self._generation = 0
        self._signals = _PreviewDone()
        self._signals.done.connect(self._preview_arrived)

        self.template_box = QComboBox()
        for template in self.templates.values():
            self.template_box.addItem(template.title, template.id)
        if canvas is not None:
            self.template_box.addItem("当前视图（所见即所印）", CURRENT_VIEW)
        self.paper_box = QComboBox()
        self.paper_box.addItems(list(PAPER_MM))
        self.paper_box.setCurrentText("A3")
        self.orientation_box = QComboBox()
        self.orientation_box.addItems(list(ORIENTATIONS))
        self.title_edit = QLineEdit()
        self.maker_edit = QLineEdit()
        self.maker_edit.setPlaceholderText("留空则印一条横线，供手填")
        try:  # the unit the reports print (report_settings.toml), as the page would
            unit = maker_text()
        except ValueError as exc:
            unit = MAKER_BLANK
            self.maker_edit.setToolTip(str(exc))
        self.maker_edit.setText("" if unit == MAKER_BLANK else unit)
        self.layer_list = QListWidget()
        for layer in layers.values():
            item = QListWidgetItem(layer.spec.display_title)
            item.setData(Qt.ItemDataRole.UserRole, layer.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.layer_list.addItem(item)
        self.preview = QLabel("正在生成预览…")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(520, 420)
        self.message = QLabel()
        self.message.setWordWrap(True)

        form = QFormLayout()
        form.addRow("模板", self.template_box)
        form.addRow("纸张", self.paper_box)
        form.addRow("方向", self.orientation_box)
        form.addRow("图名", self.title_edit)
        form.addRow("制图单位", self.maker_edit)
        form.addRow("图层", self.layer_list)
        self.export_button = QPushButton("导出…")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.export_button.clicked.connect(self.export_dialog)
        side = QVBoxLayout()
        side.addLayout(form)
        side.addWidget(self.message)
        side.addWidget(buttons)
        main = QHBoxLayout(self)
        main.addLayout(side, 1)
        main.addWidget(self.preview, 2)

        # Settings changes come in bursts (a template sets title and layers): one preview.
        self._timer = QTimer(self, singleShot=True, interval=150)
        self._timer.timeout.connect(self.request_preview)
        self.template_box.currentIndexChanged.connect(self._template_changed)
        for signal in (self.paper_box.currentIndexChanged, self.orientation_box.currentIndexChanged,
                       self.title_edit.editingFinished, self.maker_edit.editingFinished,
                       self.layer_list.itemChanged):
            signal.connect(self._timer.start)
        self._template_changed()

    # --- settings -----------------------------------------------------------------------
    @property
    def template_id(self) -> str:
        return self.template_box.currentData()

    def _template_changed(self) -> None:
        if self.template_id == CURRENT_VIEW:
            ids = [state.id for state in self.canvas.model.visible()]
            title = CURRENT_VIEW_TITLE
        else:
            template = self.templates[self.template_id]
            ids, title = list(template.layers), template.title
        self.title_edit.setText(title)
        self.set_checked_layers(ids)
        self._timer.start()

    def set_checked_layers(self, ids: list[str]) -> None:
        self.layer_list.blockSignals(True)
        for row in range(self.layer_list.count()):
            item = self.layer_list.item(row)
            checked = item.data(Qt.ItemDataRole.UserRole) in ids
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        self.layer_list.blockSignals(False)

    def checked_layers(self) -> list[str]:
        """Checked layer ids in drawing order (the order of ``layers``: bottom first)."""
        return [self.layer_list.item(r).data(Qt.ItemDataRole.UserRole) for r in range(self.layer_list.count())
                if self.layer_list.item(r).checkState() == Qt.CheckState.Checked]

    def _template(self) -> Template:
        if self.template_id == CURRENT_VIEW:
            return Template(CURRENT_VIEW, CURRENT_VIEW_TITLE, ())
        return self.templates[self.template_id]

    def _checked_parcels(self):
        """For a parcel template without given parcels: the window's parcels, checked now.

        Returns (extra layers, check notes, check table).
        """
        parcels = self.all_layers.get(PARCEL_LAYER_ID)
        if self.extra_layers or self._template().extent != "parcels" or parcels is None or parcels.gdf.empty:
            return self.extra_layers, None, None
        if self._check is None or self._check[0] is not parcels.gdf:
            self._check = (parcels.gdf, *checked_parcel_layer(self.all_layers))
        _, layer, result = self._check
        return [layer], summary_notes(result), summary_table(result)

    def _print_args(self) -> dict:
        """``print_map`` arguments from the widgets (read on the GUI thread only)."""
        current = self.template_id == CURRENT_VIEW  # the canvas's map model: extent, opacity, style
        extra, notes, table = self._checked_parcels()
        layer_ids = [i for i in self.checked_layers() if not (extra and i == PARCEL_LAYER_ID)]
        return dict(template=self._template(), paper=self.paper_box.currentText(),
                    orientation=ORIENTATIONS[self.orientation_box.currentText()],
                    title=self.title_edit.text().strip() or None, extra_layers=extra,
                    layer_ids=layer_ids, extra_notes=notes, table=table,
                    maker=self.maker_edit.text(),
                    layers=None if current else self.all_layers,
                    model=self.canvas.model if current else None)

    def _print(self, out: Path | None, dpi: float) -> MapLayout:
        return print_map(out=out, dpi=dpi, **self._print_args())

    # --- preview and export -------------------------------------------------------------
    def _settings_key(self):
        """What the page depends on; None for the current view (the canvas may have changed)."""
        if self.template_id == CURRENT_VIEW:
            return None
        return (self.template_id, self.paper_box.currentText(), self.orientation_box.currentText(),
                self.title_edit.text(), self.maker_edit.text(), tuple(self.checked_layers()),
                tuple(id(layer) for layer in self.extra_layers))

    @staticmethod
    def _compose_preview(args: dict):
        layout = print_map(out=None, dpi=PREVIEW_DPI, **args)
        return layout, layout_png(layout, PREVIEW_DPI)

    def request_preview(self) -> None:
        """Show the preview for the current settings: at once when made before, else composed
        on a worker thread and shown when it arrives (unless a newer change came meanwhile)."""
        key = self._settings_key()
        if key is not None and key in self._previews:
            self._previews.move_to_end(key)
            self._show(*self._previews[key])
            return
        self._generation += 1
        generation = self._generation
        try:
            args = self._print_args()  # widgets and the parcel check: on this thread
        except ValueError as exc:
            self.layout, self.preview_png = None, b""
            self.preview.setText(str(exc))
            return
        self.message.setText("正在生成预览…")

        signals = self._signals

        def work():
            if generation != signals.latest:
                return  # a newer change came while this one waited
            try:
                result, error = self._compose_preview(args), ""
            except ValueError as exc:  # LayoutError, or a rule/parcel error of the parcel check
                result, error = None, str(exc)
            signals.done.emit(generation, (key, result), error)

        signals.latest = generation
        preview_worker().submit(work)

    def _preview_arrived(self, generation: int, payload, error: str) -> None:
        key, result = payload
        if result is not None and key is not None:
            self._previews[key] = result
            while len(self._previews) > PREVIEW_CACHE:
                self._previews.popitem(last=False)
        if generation != self._generation:
            return  # a newer change is being composed
        if result is None:
            self.layout, self.preview_png = None, b""
            self.preview.setText(error)
            return
        self._show(*result)

    def update_preview(self) -> None:
        """Compose and show the preview now, on this thread (tests and a forced refresh)."""
        self._generation += 1
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            result = self._compose_preview(self._print_args())
        except ValueError as exc:  # LayoutError, or a rule/parcel error of the parcel check
            self.layout, self.preview_png = None, b""
            self.preview.setText(str(exc))
            return
        finally:
            QGuiApplication.restoreOverrideCursor()
        key = self._settings_key()
        if key is not None:
            self._previews[key] = result
        self._show(*result)

    def _show(self, layout: MapLayout, png: bytes) -> None:
        self.layout, self.preview_png = layout, png
        pixmap = QPixmap()
        pixmap.loadFromData(png, "PNG")
        self.preview.setPixmap(pixmap.scaled(self.preview.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                             Qt.TransformationMode.SmoothTransformation))
        self.message.setText(f"比例尺 1:{layout.scale_denominator:,}；"
                             f"图例 {len({e.layer_id for e in layout.legend})} 个图层")

    def export_to(self, path: Path, dpi: float = 300) -> MapLayout:
        """Write the page as set in the dialog (PDF/PNG/SVG by extension)."""
        return self._print(Path(path), dpi)

    def export_dialog(self) -> None:
        path, _ = save_file_name(self, "print", "导出地图", f"{self.title_edit.text()}.pdf", EXPORT_FILTER)
        if path is None:
            return
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.export_to(path)
        except (ValueError, OSError) as exc:
            show_failure(self, "导出失败", f"无法导出地图到 {path}。", exc)
            return
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.message.setText(f"已导出 {path}")
