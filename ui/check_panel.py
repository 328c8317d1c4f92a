"""The check panel: the current parcel's 三线一单 / 标准地 verdict, re-checked as it is edited.

The check runs in-process through ``suichang_gis.check.check_parcels`` (the one pipeline the CLI,
print and web map use) against the window's layers, converted once to ``CheckLayer`` with cached
STRtrees, so a re-check takes milliseconds. Overlaps are drawn on the canvas, and every distance
finding as its measured segment labelled with its length, in a colour no map layer uses
(``DISTANCE_STYLE``). Pressing a finding (mouse press, so a tooltip never swallows the click) or
moving to it with the keys zooms to it and highlights it; 导出核查报告 writes every parcel of the
project with the same core function as ``suichang-gis check``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from suichang_gis.catalog import Style
from suichang_gis.check import CheckResult, check_parcels
from suichang_gis.check.data import CheckLayer, check_layer_from_map_layer, read_check_layer
from suichang_gis.palette import STATUS_COLOURS
from suichang_gis.parcel_layer import PARCEL_LAYER_ID
from suichang_gis.report import write_report
from suichang_gis.report.settings import history_numbers
from suichang_gis.rules import RuleError, load_ruleset
from suichang_gis.units import format_length

from .background import Progress, run_in_background
from .messages import show_failure
from .paths import save_file_name

OVERLAP_STYLE = Style(fill="#e5393566", stroke="#b71c1c", stroke_width=1.6)
FOCUS_STYLE = Style(fill="#ffeb3b80", stroke="#f57f17", stroke_width=2.6)
# Vivid violet: at least 100 RGB units from every colour of the catalog, user and parcel styles
# (tests/ui/test_check_panel.py checks it), so a measured segment never passes for a map line.
DISTANCE_COLOUR = "#d500f9"
DISTANCE_STYLE = Style(stroke=DISTANCE_COLOUR, stroke_width=1.6, dash=(4.0, 2.0), fill=DISTANCE_COLOUR,
                       marker="circle", marker_size=4.0, label_color="#6a007d", label_size=8.5)
DISTANCE_FOCUS_STYLE = Style(stroke=DISTANCE_COLOUR, stroke_width=3.2, fill=DISTANCE_COLOUR, marker="circle",
                             marker_size=6.0, label_color="#6a007d", label_size=9.5)
REPORT_FILTER = "Word 文档 (*.docx);;PDF (*.pdf);;Excel 工作簿 (*.xlsx);;网页 (*.html);;JSON (*.json)"
OVERLAY_OVERLAPS, OVERLAY_FOCUS, OVERLAY_DISTANCES = "check_overlaps", "check_focus", "check_distances"
NO_PARCEL = "未选择地块：绘制或选中一个地块后自动核查"
LAYERS_LOADING = "正在加载图层…加载完成后自动核查所选地块"
AUTO_CHECK_LIMIT = 200  # unchecked parcels checked at once on an edit (about 1–2 ms each)
CHECK_CHUNK = 100  # parcels per run_check call of 核查全部地块, between progress updates
KEY_CHUNK = 5000  # parcels whose content keys are made at once (the window's GUI thread waits no longer)


class LayerCache:
    """CheckLayer for the window's layers, rebuilt only when a layer's data object changes.

    The candidate-parcel layer is left out: ``check_parcels`` never checks parcels against it
    (their overlaps come from ``others``), and it changes at every edit.
    """

    def __init__(self, layers_source):
        self._source = layers_source  # callable → dict id → MapLayer
        self._cache: dict[str, tuple[int, CheckLayer]] = {}

    def layers(self, boxes=None) -> dict[str, CheckLayer]:
        """CheckLayer by layer id. A database layer the map reads per view (``by_view``) holds
        only the view's features, simplified: it is read for the check from the server instead,
        the candidates meeting ``boxes`` (n × 4, the parcels' bounds; all rows when None)."""
        out = {}
        for layer_id, layer in self._source().items():
            if layer_id == PARCEL_LAYER_ID:
                continue
            if layer.by_view:
                out[layer_id] = read_check_layer(layer.spec, boxes)
                continue
            out[layer_id] = self._converted(layer_id, layer)
        return out

    def prepare(self) -> None:
        """Convert every layer not converted yet but those read by view: in the background once
        the window's layers are in, so that the first check (a parcel drawn) does not wait for
        33 layers to be converted."""
        for layer_id, layer in self._source().items():
            if layer_id != PARCEL_LAYER_ID and not layer.by_view:
                self._converted(layer_id, layer)

    def _converted(self, layer_id: str, layer) -> CheckLayer:
        key = id(layer.gdf)
        cached = self._cache.get(layer_id)
        if cached is None or cached[0] != key:
            cached = (key, check_layer_from_map_layer(layer))
            self._cache[layer_id] = cached
        return cached[1]


class CheckPanel(QWidget):
    """Verdict and findings of one parcel; ``finding_activated`` carries the clicked Finding."""

    finding_activated = Signal(object)
    exported = Signal(object)  # the CheckResult written to a report

    def __init__(self, canvas, layers_source, parcels_source=None, ruleset=None, parent=None):
        super().__init__(parent)
        self.canvas = canvas
        self.cache = LayerCache(layers_source)
        self.parcels_source = parcels_source  # callable → parcel GeoDataFrame of the project
        self.history_source = None  # callable → the project's check history (report numbers)
        self.ruleset = ruleset or load_ruleset()
        self.layers_loading = lambda: False  # True while the window's default layers still arrive
        self.result: CheckResult | None = None
        self.verdict = QLabel(NO_PARCEL)
        self.verdict.setWordWrap(True)
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("color: #b2182b;")
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["规则", "事项", "结论", "说明"])
        self.tree.setColumnWidth(0, 78)
        self.tree.setColumnWidth(1, 120)
        self.tree.setColumnWidth(2, 56)
        self.tree.setWordWrap(True)
        # On press, not on click: a click whose press went to a tooltip or the dock's focus is
        # lost, a press is not. Keyboard moves (current item) zoom too.
        self.tree.itemPressed.connect(self._clicked)
        self.tree.currentItemChanged.connect(self._current_changed)
        self.export_button = QPushButton("导出核查报告…")
        self.export_button.clicked.connect(self.export_dialog)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.verdict)
        layout.addWidget(self.notice)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)

    # --- checking ---------------------------------------------------------------------------
    def check_frame(self, parcels) -> CheckResult:
        """Check a parcel GeoDataFrame (EPSG:4549) against the window's layers and, for candidate
        overlaps, the project's other parcels near them."""
        boxes = shapely.bounds(parcels.geometry.to_numpy())
        return check_parcels(parcels, self.ruleset, layers=self.cache.layers(boxes),
                             others=self._neighbours(parcels)).result

    def _neighbours(self, parcels):
        """The project's other parcels whose bounds meet those of ``parcels`` (None when none)."""
        project = self.parcels_source() if self.parcels_source else None
        if project is None or not len(project) or not len(parcels):
            return None
        x0, y0, x1, y1 = parcels.total_bounds
        b = shapely.bounds(project.geometry.array)  # an array: no frame of 50,000 bounds per check
        near = project.iloc[np.flatnonzero((b[:, 0] <= x1) & (b[:, 2] >= x0) & (b[:, 1] <= y1) & (b[:, 3] >= y0))]
        if "fid" in near.columns and "fid" in parcels.columns:
            near = near[~near["fid"].isin(parcels["fid"])]  # the checked parcels themselves
        return near if len(near) else None

    def show_parcels(self, parcels) -> CheckResult | None:
        """Check the parcel(s) given and show the first; an empty frame clears the panel."""
        if parcels is None or len(parcels) == 0:
            self.clear()
            return None
        self.result = self.check_frame(parcels)
        self._show(self.result)
        return self.result

    def clear(self, text: str = NO_PARCEL) -> None:
        """Empty the panel and the check overlays; ``text`` says why."""
        self.result = None
        self.tree.clear()
        self.verdict.setText(text)
        self.verdict.setStyleSheet("")
        self.notice.clear()
        for name in (OVERLAY_OVERLAPS, OVERLAY_FOCUS, OVERLAY_DISTANCES):
            self.canvas.clear_overlay(name)

    def _show(self, result: CheckResult) -> None:
        parcel = result.parcels[0]
        counts = {s: sum(f.status == s for f in parcel.findings) for s in ("fail", "warn", "not_assessed")}
        self.verdict.setText(f"地块 {parcel.id}{' ' + parcel.name if parcel.name else ''}：{parcel.status_label}"
                             f"　{parcel.area_mu:,.2f} 亩　不符合 {counts['fail']}，警示 {counts['warn']}，"
                             f"未评估 {counts['not_assessed']}")
        self.verdict.setStyleSheet(f"font-weight: bold; color: {STATUS_COLOURS[parcel.status]};")
        notices = []
        if parcel.indicative:
            notices.append("示意：核查使用了示意图层，结论仅供参考。")
        if result.example_thresholds:
            notices.append("阈值与准入清单条目为示例，非官方值。")
        self.notice.setText("".join(notices))
        self.tree.blockSignals(True)  # clearing moves the current item: no zoom for that
        self.tree.clear()
        order = {"fail": 0, "warn": 1, "not_assessed": 2, "pass": 3, "info": 4}
        for f in sorted(parcel.findings, key=lambda f: order[f.status]):
            item = QTreeWidgetItem([f.rule, f.title, f.status_label, f.message])
            item.setForeground(2, QBrush(QColor(STATUS_COLOURS[f.status])))
            item.setToolTip(3, f"{f.message}\n依据：{f.basis.cite() if f.basis else '—'}")
            item.setData(0, Qt.ItemDataRole.UserRole, f)
            self.tree.addTopLevelItem(item)
        self.tree.setCurrentItem(None)
        self.tree.blockSignals(False)
        distances = [f for f in parcel.findings if is_distance_finding(f)]
        if distances:
            self.canvas.set_overlay(OVERLAY_DISTANCES, [g for f in distances for g in segment_geometries(f)],
                                    DISTANCE_STYLE, [distance_label(f) for f in distances])
        else:
            self.canvas.clear_overlay(OVERLAY_DISTANCES)
        overlaps = [f.geometry for f in parcel.findings
                    if f.geometry is not None and f.status in ("fail", "warn") and shapely.area(f.geometry) > 0]
        if overlaps:
            self.canvas.set_overlay(OVERLAY_OVERLAPS, overlaps, OVERLAP_STYLE)
        else:
            self.canvas.clear_overlay(OVERLAY_OVERLAPS)
        self.canvas.clear_overlay(OVERLAY_FOCUS)

    # --- interaction --------------------------------------------------------------------------
    def _current_changed(self, item: QTreeWidgetItem | None, _previous=None) -> None:
        if item is not None and QApplication.mouseButtons() == Qt.MouseButton.NoButton:
            self._clicked(item)  # moved with the keys; a mouse press is handled by itemPressed

    def _clicked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        finding = item.data(0, Qt.ItemDataRole.UserRole)
        self.zoom_to_finding(finding)
        self.finding_activated.emit(finding)

    def zoom_to_finding(self, finding) -> None:
        """Zoom to the finding's geometry (the parcel when it has none) and highlight it; a
        distance finding is highlighted as its segment with its title and length."""
        if finding is None:
            return
        geometry = finding.geometry if finding.geometry is not None else self.result.parcels[0].geometry
        xmin, ymin, xmax, ymax = shapely.bounds(geometry)
        if is_distance_finding(finding):  # both ends and the parcel in view
            xmin, ymin, xmax, ymax = shapely.bounds(shapely.union(geometry, self.result.parcels[0].geometry))
        pad = max(xmax - xmin, ymax - ymin, 100.0) * 0.5
        self.canvas.zoom_to_extent((xmin - pad, ymin - pad, xmax + pad, ymax + pad))
        if is_distance_finding(finding):
            x, y, text = distance_label(finding)
            self.canvas.set_overlay(OVERLAY_FOCUS, segment_geometries(finding), DISTANCE_FOCUS_STYLE,
                                    [(x, y, f"{finding.title}：{text}")])
        else:
            self.canvas.set_overlay(OVERLAY_FOCUS, [geometry], FOCUS_STYLE)

    def export(self, path: Path) -> Path:
        """Check every parcel of the project (or the shown one) and write the report."""
        parcels = self.parcels_source() if self.parcels_source else None
        result = self.check_frame(parcels) if parcels is not None and len(parcels) else self.result
        if result is None:
            raise ValueError("没有可导出的地块")
        history = history_numbers(self.history_source()) if self.history_source else []
        boxes = shapely.bounds(parcels.geometry.to_numpy()) if parcels is not None and len(parcels) else None
        written = write_report(result, path, self.cache.layers(boxes), history=history)
        self.exported.emit(result)
        return written

    def export_dialog(self) -> None:
        path, chosen = save_file_name(self, "report", "导出核查报告", "地块核查报告.docx", REPORT_FILTER)
        if path is None:
            return
        if not path.suffix:
            path = path.with_suffix("." + chosen.split("*.")[-1].rstrip(")"))
        try:
            self.export(path)
        except (ValueError, OSError, RuleError) as exc:
            show_failure(self, "导出核查报告", f"无法导出核查报告到 {path}。", exc)
            return
        QMessageBox.information(self, "导出核查报告", f"已导出 {path}")


def is_distance_finding(finding) -> bool:
    """A finding measured as a distance: its geometry is the shortest segment (length > 0)."""
    return (finding.geometry is not None and shapely.get_type_id(finding.geometry) == 1
            and shapely.length(finding.geometry) > 0)


def measured_length(finding) -> float:
    """The finding's distance in metres (the segment's planar length when the finding gives none,
    e.g. a nearest feature that is only planned or schematic)."""
    return finding.distance_m if finding.distance_m is not None else float(shapely.length(finding.geometry))


def segment_geometries(finding) -> list:
    """The measured segment and its two ends (EPSG:4549)."""
    line = finding.geometry
    return [line, *shapely.points(shapely.get_coordinates(line)[[0, -1]])]


def distance_label(finding) -> tuple[float, float, str]:
    """(x, y, text): the segment's length written at its middle."""
    middle = shapely.line_interpolate_point(finding.geometry, 0.5, normalized=True)
    return middle.x, middle.y, format_length(measured_length(finding))


class StatusColouring:
    """Check results that colour the parcel layer, re-checking only parcels that changed.

    A result is kept per parcel content (id, attributes, geometry), so an edit re-checks one
    parcel, and the content key of a parcel is worked out again only when an edit changed it
    (``changed``). More than ``limit`` unchecked parcels at once (a large import) stay 未核查
    until 核查全部地块 checks them with a progress dialog. Which parcels have a result is kept
    per fid too, so an edit of one parcel of 50,000 costs no pass over 50,000 content keys.
    """

    def __init__(self, panel: CheckPanel, limit: int = AUTO_CHECK_LIMIT):
        self.panel = panel
        self.limit = limit
        self._results: dict[tuple, object] = {}
        self._key_of: dict[int, tuple] = {}  # fid → content key, as of the last call
        self._result_of: dict[int, object] = {}  # fid → its result, for the fids that have one
        self._unchecked: set[int] = set()  # the fids of the last call without a result

    @staticmethod
    def _keys(parcels) -> list[tuple]:
        """Per parcel: its geometry's WKB, its numbers' bytes and every other value as text.

        Column by column (50,000 parcels in 0.2 s), numbers as the bytes of their row rather than
        as text (turning 50,000 numbers into text is one call holding Python's GIL for 50 ms), the
        WKB in pieces: no call keeps the window's GUI thread waiting long.
        """
        geometry = parcels.geometry.name
        names = [c for c in parcels.columns if c not in ("fid", geometry)]
        numbers = [c for c in names if parcels[c].dtype == np.float64]
        columns = [parcels[c].astype(str).tolist() for c in names if c not in numbers]
        if numbers:
            block = np.ascontiguousarray(parcels[numbers].to_numpy(dtype=np.float64))
            columns.append(block.view(np.dtype((np.void, 8 * len(numbers)))).ravel().tolist())
        geoms = parcels[geometry].array
        keys = []
        for start in range(0, len(parcels), KEY_CHUNK):
            end = start + KEY_CHUNK
            keys += zip(shapely.to_wkb(geoms[start:end]), *(column[start:end] for column in columns))
        return keys

    def keys(self, parcels, changed=None) -> list[tuple]:
        """The content key of each parcel (a frame with a ``fid`` column, as the project's
        ``parcels.reset_index()``).

        ``changed``: the fids edited (added, changed or deleted) since the previous call; the
        keys of the other parcels are taken from that call. None: every key is worked out.
        """
        if "fid" not in parcels.columns:
            return self._keys(parcels)
        fids = self._follow(parcels, changed)
        return [self._key_of[fid] for fid in fids]

    def _follow(self, parcels, changed) -> list[int]:
        """Bring the keys and results per fid up to ``parcels`` (keys worked out for the fids
        ``changed`` and any fid not known; all when ``changed`` is None); returns its fids."""
        fids = parcels["fid"].tolist()
        if changed is None:
            self._key_of, self._result_of, self._unchecked = {}, {}, set()
            todo = range(len(fids))
        else:
            for fid in changed:
                self._key_of.pop(fid, None)
                self._result_of.pop(fid, None)
                self._unchecked.discard(fid)
            positions = pd.Index(fids).get_indexer(list(changed))
            todo = sorted(int(i) for i in positions if i >= 0)
            if len(self._key_of) + len(todo) != len(fids):  # fids not told as changed: look at every one
                todo = [i for i, fid in enumerate(fids) if fid not in self._key_of]
        if todo:
            rows = parcels if len(todo) == len(fids) else parcels.iloc[todo]
            for i, key in zip(todo, self._keys(rows)):
                fid = fids[i]
                self._key_of[fid] = key
                result = self._results.get(key)
                if result is None:
                    self._unchecked.add(fid)
                else:
                    self._result_of[fid] = result
        return fids

    def results(self, parcels, limit: int | None = None, progress=None, changed=None) -> list:
        """ParcelResults for ``parcels``; checks the unchecked ones in chunks when at most ``limit``.

        ``progress(done, total) -> bool`` is called between chunks; False stops the run.
        ``changed``: the fids edited since the previous call (see :meth:`keys`).
        """
        if "fid" not in parcels.columns:  # rows of no project: results of their own, the cache shared
            scratch = StatusColouring(self.panel, self.limit)
            scratch._results = self._results
            return scratch.results(parcels.assign(fid=np.arange(len(parcels))), limit, progress)
        fids = self._follow(parcels, changed)
        waiting = limit is None and self.panel.layers_loading()  # 未核查 until the default layers are in
        if self._unchecked and len(self._unchecked) <= (self.limit if limit is None else limit) and not waiting:
            where = pd.Index(fids).get_indexer(list(self._unchecked))
            todo = sorted(int(i) for i in where if i >= 0)
            for start in range(0, len(todo), CHECK_CHUNK):
                chunk = todo[start:start + CHECK_CHUNK]
                for i, result in zip(chunk, self.panel.check_frame(parcels.iloc[chunk]).parcels):
                    self._results[self._key_of[fids[i]]] = result
                if progress and not progress(start + len(chunk), len(todo)):
                    break
            for fid in list(self._unchecked):  # checked now, or of a content checked now
                result = self._results.get(self._key_of[fid])
                if result is not None:
                    self._result_of[fid] = result
                    self._unchecked.discard(fid)
        return [self._result_of[fid] for fid in fids if fid in self._result_of]


def record_check(project, results, ruleset_infos, report_number: str = "") -> dict[str, int]:
    """Keep a check run in the project's history: rule sets, parcels, verdict counts and the
    报告编号 of the report written from it."""
    counts = {s: sum(r.status == s for r in results) for s in ("pass", "warn", "fail")}
    summary = counts | ({"report_number": report_number} if report_number else {})
    project.record_check(summary, rule_set="、".join(info.tag for info in ruleset_infos),
                         parcel_ids=[r.id for r in results])
    return counts


def check_all_parcels(window, editor, colouring: StatusColouring) -> None:
    """核查全部地块: check every parcel with a cancellable progress dialog, colour the layer by
    verdict and record the run in the project's history."""
    parcels = editor.project.parcels.reset_index()
    if parcels.empty:
        QMessageBox.information(window, "核查全部地块", "项目中还没有地块")
        return
    if hasattr(window, "wait_for_layers"):
        window.wait_for_layers()  # the worker below must see the whole map
    editor.wait_for_refresh()  # a layer build in flight uses ``colouring`` too: one at a time
    state = Progress()
    results = run_in_background(window, "正在核查地块…",  # off the GUI thread; 取消 between chunks
                                lambda: colouring.results(parcels, limit=len(parcels), progress=state.report),
                                title="核查全部地块", progress=state)
    editor.refresh()
    if len(results) < len(parcels):
        window.statusBar().showMessage(f"核查已取消：已核查 {len(results)} / {len(parcels)} 块")
        return
    counts = record_check(editor.project, results, colouring.panel.ruleset.infos)
    window.statusBar().showMessage(f"已核查 {len(results)} 块：通过 {counts['pass']}，警示 {counts['warn']}，"
                                   f"不符合 {counts['fail']}")


def install_check_panel(window, editor) -> CheckPanel:
    """Add the check dock to ``window``, re-check the selected parcel on every edit and colour
    the parcel layer by check status."""
    # Every check sees the whole map: one asked for while the default layers still arrive waits
    # for them; the automatic ones (status colours, the selected parcel) run when they are in.
    loaded_layers = getattr(window, "loaded_layers", lambda: window.layers)
    panel = CheckPanel(window.canvas, loaded_layers, lambda: editor.project.parcels.reset_index())
    panel.layers_loading = lambda: getattr(window, "layers_loading", False)
    panel.history_source = lambda: editor.project.check_history
    panel.exported.connect(lambda result: record_check(editor.project, result.parcels, result.rulesets,
                                                       result.report_number))
    colouring = StatusColouring(panel)
    editor.status_source = colouring.results
    editor.refresh()
    window.check_panel = panel
    dock = window.add_dock(panel, "地块核查", Qt.DockWidgetArea.RightDockWidgetArea)
    dock.setVisible(False)  # appears when a parcel is selected, leaving the map its room until then

    checked = [None]  # (project, its version, fid, the layers' data) the panel shows the verdict of

    def recheck(*_, force=False):
        fid = editor.selected
        parcels = editor.project.parcels
        if fid is None or fid not in parcels.index:
            checked[0] = None
            panel.clear()
            return
        if panel.layers_loading():
            checked[0] = None
            panel.clear(LAYERS_LOADING)
            return
        layers = tuple((layer_id, id(layer.gdf)) for layer_id, layer in loaded_layers().items())
        shown = (editor.project, editor.project.version, fid, layers)
        if not force and checked[0] == shown and panel.result is not None:
            return  # an edit and then its selection ask for the same parcel: checked once
        checked[0] = shown
        if not dock.isVisible():
            dock.setVisible(True)
            # The findings need the room: most of the right-hand column, above the parcel list.
            window.resizeDocks([dock], [int(window.height() * 0.6)], Qt.Orientation.Vertical)
        panel.show_parcels(parcels.loc[[fid]].reset_index())

    editor.selection_changed.connect(recheck)
    editor.parcels_changed.connect(recheck)
    window.menus["核查"].addAction(dock.toggleViewAction())
    window.menus["核查"].addAction("核查全部地块", lambda: check_all_parcels(window, editor, colouring))
    window.menus["核查"].addAction("导出核查报告…", panel.export_dialog)
    def prepare_layers():  # in the background; a failed conversion is told when a check uses the layer
        editor.builds.submit(panel.cache.prepare, lambda result, error: None)

    if hasattr(window, "default_layers_loaded"):
        def layers_loaded():
            editor.refresh()
            recheck(force=True)
            prepare_layers()

        window.default_layers_loaded.connect(layers_loaded)
    if not panel.layers_loading():
        prepare_layers()  # the layers are in already (a window made with its layers)
    recheck()
    return panel
