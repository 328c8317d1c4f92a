"""Parcel editing in the main window: project, import/export, drawing tools, list and form.

``install_parcel_editing(window)`` uses the window's extension points (``canvas``, ``menus``,
``toolbar``, ``tool_group``, ``undo_stack``, ``add_dock``) and returns the ``ParcelActions``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shiboken6
from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QObject, QSettings, Qt, QThread, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog, QDialogButtonBox,
                               QFileDialog, QFormLayout, QLabel, QMessageBox, QProgressDialog, QSpinBox,
                               QTableView)

from suichang_gis.parcel_io import FORMATS, ImportResult, ParcelImportError, dxf_layers, read_parcels, write_parcels
from suichang_gis.project import KEEP_BOTH, KEEP_MINE, KEEP_THEIRS, Project, ProjectError, SaveConflicts
from suichang_gis.units import m2_to_mu

from .attribute_form import AttributeForm
from .background import run_in_background
from .parcel_editor import COPY, READ_ONLY, ParcelEditor, default_project_path, open_or_create
from .parcel_tools import (DrawPolygonTool, EditVerticesTool, MergeTool, MoveParcelTool, RectangleTool,
                           SelectTool, Snapper, SplitTool)

PROJECT_FILTER = "项目文件 (*.gpkg)"
IMPORT_FILTER = ";;".join(
    [f"所有地块文件 ({' '.join('*' + e for _, exts in FORMATS for e in exts)})"]
    + [f"{title} ({' '.join('*' + e for e in exts)})" for title, exts in FORMATS])
EXPORT_FILTERS = {f"{title} (*{exts[0]})": exts[0] for title, exts in FORMATS} | {"KMZ (*.kmz)": ".kmz",
                                                                                 "Excel (*.xlsx)": ".xlsx"}


class ImportJob(QThread):
    """Reads a parcel file off the GUI thread; ``done(result, error)``."""

    done = Signal(object, object)

    def __init__(self, path: Path, options: dict, parent=None):
        super().__init__(parent)
        self.path, self.options = path, options

    def run(self):
        try:
            self.done.emit(read_parcels(self.path, **self.options), None)
        except ParcelImportError as exc:
            self.done.emit(None, exc)
        except Exception as exc:  # never crash on a user's file; say what happened
            self.done.emit(None, ParcelImportError(f"{self.path.name}：无法读取（{type(exc).__name__}：{exc}）"))


class ImportOptionsDialog(QDialog):
    """GCJ-02 choice and, for files with several layers, which layer(s) to read."""

    def __init__(self, path: Path, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"导入 {path.name}")
        form = QFormLayout(self)
        self.gcj02 = QCheckBox("坐标为 GCJ-02（高德地图、奥维地图 9.3 以后导出），导入时纠偏")
        self.gcj02.setTristate(False)
        suffix = path.suffix.lower()
        self.gcj02.setEnabled(suffix in (".kml", ".kmz", ".ovkml", ".ovkmz", ".csv", ".xlsx", ".geojson", ".shp"))
        form.addRow(self.gcj02)
        self.layer = QComboBox()
        layers = self._layers(path)
        if len(layers) > 1:
            self.layer.addItem("全部图层" if suffix == ".dxf" else "自动选择", None)
            for name, label in layers:
                self.layer.addItem(label, name)
            form.addRow("图层", self.layer)
        self.units, self.crs = QComboBox(), QComboBox()
        if suffix == ".dxf":
            for label, metres in (("自动（按 $INSUNITS，并检查是否落在浙江）", None), ("米", 1.0), ("毫米", 0.001),
                                  ("厘米", 0.01), ("千米", 1000.0)):
                self.units.addItem(label, metres)
            form.addRow("图纸单位", self.units)
            for label, crs in (("自动（按坐标数值判断）", None), ("EPSG:4549（CM120E，不带带号）", "EPSG:4549"),
                               ("EPSG:4528（3度带第 40 带，带带号）", "EPSG:4528")):
                self.crs.addItem(label, crs)
            form.addRow("坐标系", self.crs)
        self.encoding = QComboBox()
        if suffix in (".shp", ".txt", ".csv", ".geojson", ".json"):
            # As QGIS offers per layer: the .cpg (or the bytes) decide unless the user knows better.
            for label, encoding in (("自动（按 .cpg 与文件内容判断）", None), ("UTF-8", "UTF-8"),
                                    ("GBK / GB18030（国内常用）", "GB18030"), ("Big5（繁体）", "Big5")):
                self.encoding.addItem(label, encoding)
            form.addRow("文字编码", self.encoding)
        form.addRow(QLabel("DXF 与界址点坐标 TXT 没有坐标系声明时，按坐标数值判断（EPSG:4549 或带号 40）。"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("导入")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    @staticmethod
    def _layers(path: Path) -> list[tuple[str, str]]:
        try:
            if path.suffix.lower() == ".dxf":
                return [(name, f"{name}（{count} 个闭合图形）") for name, count in dxf_layers(path).items()]
            if path.suffix.lower() in (".gpkg", ".gdb") or path.name.lower().endswith(".gdb.zip"):
                import pyogrio

                return [(str(n), f"{n}（{t or '表格'}）") for n, t in pyogrio.list_layers(path)]
        except Exception:  # a damaged file: the import itself reports the problem
            return []
        return []

    def options(self) -> dict:
        options = {"gcj02": True if self.gcj02.isChecked() else None}
        layer = self.layer.currentData() if self.layer.count() else None
        if layer:
            options["layer"] = layer
        for key, combo in (("units", self.units), ("crs", self.crs), ("encoding", self.encoding)):
            if combo.count() and combo.currentData() is not None:
                options[key] = combo.currentData()
        return options


class ParcelListModel(QAbstractTableModel):
    """The parcels as table rows; cells are formatted when shown, so 50,000 parcels reload at once."""

    COLUMNS = ("编号", "名称", "面积（亩）", "行业", "类别")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.fids = np.empty(0, dtype="int64")
        self._columns: list[np.ndarray] = [np.empty(0, dtype=object)] * len(self.COLUMNS)

    def set_parcels(self, parcels) -> None:
        self.beginResetModel()
        self.fids = parcels.index.to_numpy(dtype="int64")
        industry = parcels["industry_name"].where(parcels["industry_name"].notna(), parcels["industry_code"])
        self._columns = [parcels["parcel_id"].to_numpy(dtype=object), parcels["name"].to_numpy(dtype=object),
                         m2_to_mu(parcels.geometry.area.to_numpy()), industry.to_numpy(dtype=object),
                         parcels["industrial_category"].to_numpy(dtype=object)]
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.fids)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            value = self._columns[index.column()][index.row()]
            if index.column() == 2:
                return f"{value:.2f}"
            return "" if value is None or value != value else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None


class ParcelListWidget(QTableView):
    """The project's parcels: 编号, 名称, 面积 (亩), 行业, 类别. Click selects, double-click edits."""

    COLUMNS = ParcelListModel.COLUMNS

    def __init__(self, editor: ParcelEditor, parent=None):
        super().__init__(parent)
        self.editor = editor
        self.list_model = ParcelListModel(self)
        self.setModel(self.list_model)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.verticalHeader().hide()
        self.horizontalHeader().setStretchLastSection(True)
        editor.parcels_changed.connect(self.reload)
        editor.selection_changed.connect(self._show_selection)
        self.selectionModel().selectionChanged.connect(self._selected)
        self._sized = False
        self.reload()

    def rowCount(self) -> int:
        return self.list_model.rowCount()

    def reload(self) -> None:
        self.list_model.set_parcels(self.editor.project.parcels)
        if not self._sized and self.list_model.rowCount():
            self.resizeColumnsToContents()  # once: the widths of the first rows fit later ones too
            self._sized = True
        self._show_selection(self.editor.selected)

    def fid_at(self, row: int) -> int | None:
        return int(self.list_model.fids[row]) if 0 <= row < len(self.list_model.fids) else None

    def _selected(self, *_) -> None:
        rows = self.selectionModel().selectedRows()
        if rows:
            self.editor.select(self.fid_at(rows[0].row()))

    def _show_selection(self, fid) -> None:
        selection = self.selectionModel()
        selection.blockSignals(True)
        self.clearSelection()
        rows = np.flatnonzero(self.list_model.fids == fid) if fid is not None else ()
        if len(rows):
            self.selectRow(int(rows[0]))
        selection.blockSignals(False)
        self.viewport().update()


class ParcelActions(QObject):
    """Menus, tools, dock and dialogs for parcels in ``window``.

    With ``confirm_on_close`` the window asks to save unsaved parcels when it closes; without
    an answer (a crash, a kill) the autosave journal keeps them for the next start.
    """

    def __init__(self, window, project: Project, ask_recover=None, confirm_on_close: bool = False,
                 ask_locked=None):
        super().__init__(window)
        self.window = window
        self.editor = ParcelEditor(window.canvas, window.undo_stack, project, window)
        self.editor.message.connect(self._status)
        self.editor.fault.connect(self._autosave_fault, Qt.ConnectionType.QueuedConnection)
        self.editor.run = self._run
        self.ask_locked = ask_locked or (lambda exc: ask_locked_dialog(window, exc))
        self.confirm_on_close = confirm_on_close
        self.last_message = ""  # the last fault or notice told to the user (tests read it)
        self.snapper = Snapper(window.canvas)
        self.ask_recover = ask_recover or (lambda message: ask_recover_dialog(window, message))
        self._jobs: list[ImportJob] = []
        window.addToolBarBreak()
        self.toolbar = window.addToolBar("候选地块")
        self.toolbar.setObjectName("parcel_toolbar")
        self._build_tools()
        self._build_actions()
        self.parcel_list = ParcelListWidget(self.editor)
        self.parcel_list.doubleClicked.connect(lambda index: self.edit_attributes(self.parcel_list.fid_at(index.row())))
        self.dock = window.add_dock(self.parcel_list, "候选地块", Qt.DockWidgetArea.RightDockWidgetArea)
        self.dock.setVisible(len(project.parcels) > 0)  # appears with the first parcel
        self.editor.parcels_changed.connect(self._show_list)
        window.undo_stack.cleanChanged.connect(self._update_title)
        window.undo_stack.indexChanged.connect(self._update_title)
        self._update_title()
        self._apply_mode()
        self._restore_layer_settings()
        window.canvas.layers_changed.connect(self._remember_layer_settings)
        window.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if watched is not self.window or event.type() != QEvent.Type.Close:
            return False
        project = self.editor.project
        if self.confirm_on_close and project.dirty and not project.read_only:
            answer = QMessageBox.question(
                self.window, "保存项目", f"项目“{project.path.stem}”有未保存的地块编辑，是否保存？",
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel)
            if answer == QMessageBox.StandardButton.Cancel or (
                    answer == QMessageBox.StandardButton.Save and not self.save()):
                event.ignore()  # a failed save never closes the window: the edits are still in it
                return True
            if answer == QMessageBox.StandardButton.Discard:
                project.discard_unsaved()
        project.close()  # releases the lock; unsaved edits stay in the journal
        return False

    # --- tools ----------------------------------------------------------------------------
    def _build_tools(self) -> None:
        e, s = self.editor, self.snapper
        self.select_tool = SelectTool(e, s)
        self.select_tool.attributes_requested.connect(self.edit_attributes)
        self.tools = {
            "选择地块": (self.select_tool, "S"),
            "绘制地块": (DrawPolygonTool(e, s), "D"),
            "绘制矩形地块": (RectangleTool(e, s), "R"),
            "挖洞": (DrawPolygonTool(e, s, mode="hole"), "H"),
            "编辑顶点": (EditVerticesTool(e, s), "V"),
            "移动地块": (MoveParcelTool(e, s), "G"),
            "分割地块": (SplitTool(e, s), "X"),
            "合并地块": (MergeTool(e, s), "U"),
        }

    def _action(self, menu: str, text: str, slot, shortcut=None, checkable=False, toolbar=False) -> QAction:
        action = QAction(text, self.window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        self.window.menus[menu].addAction(action)
        if toolbar:
            self.toolbar.addAction(action)
        return action

    def _build_actions(self) -> None:
        w, a = self.window, self._action
        file_menu = w.menus["文件"]
        first = file_menu.actions()[0] if file_menu.actions() else None
        self.save_action = a("文件", "保存项目", self.save, QKeySequence.StandardKey.Save, toolbar=True)
        self.import_action = a("文件", "导入地块…", self.import_dialog, "Ctrl+I", toolbar=True)
        project_actions = [
            a("文件", "新建项目…", self.new_project_dialog, QKeySequence.StandardKey.New),
            a("文件", "打开项目…", self.open_project_dialog, "Ctrl+Shift+O"),
            self.save_action,
            a("文件", "项目另存为…", self.save_as_dialog, QKeySequence.StandardKey.SaveAs),
            self.import_action,
            a("文件", "导出地块…", self.export_dialog, "Ctrl+E"),
        ]
        if first is not None:  # project and parcel files first, as in other desktop GIS
            for action in project_actions:
                file_menu.removeAction(action)
            file_menu.insertActions(first, project_actions)
            file_menu.insertSeparator(first)
        w.menus["编辑"].addSeparator()
        self.edit_actions = [
            self.save_action, self.import_action,
            a("编辑", "地块属性…", lambda: self.edit_attributes(self.editor.selected), "F2"),
            a("编辑", "删除所选地块", self._delete_selected, QKeySequence.StandardKey.Delete)]
        self.snap_action = a("编辑", "吸附到顶点和边", self.snapper.set_enabled, checkable=True)
        self.snap_action.setChecked(self.snapper.enabled)
        self.toolbar.addSeparator()
        self.tool_actions = {}
        for text, (tool, key) in self.tools.items():
            action = a("工具", text, lambda checked=False, t=tool: w.use_tool(t) if hasattr(w, "use_tool")
                       else w.canvas.set_tool(t), key, checkable=True, toolbar=True)
            w.tool_group.addAction(action)
            self.tool_actions[text] = action
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.snap_action)
        self.snap_tolerance = QSpinBox()
        self.snap_tolerance.setRange(2, 50)
        self.snap_tolerance.setSuffix(" 像素")
        self.snap_tolerance.setToolTip("吸附容差：光标与顶点或边的距离小于它时吸附")
        self.snap_tolerance.setValue(int(self.snapper.tolerance_px))
        self.snap_tolerance.valueChanged.connect(lambda value: setattr(self.snapper, "tolerance_px", float(value)))
        self.toolbar.addWidget(self.snap_tolerance)

    def _delete_selected(self) -> None:
        if self.editor.selected is not None:
            self.editor.delete([self.editor.selected])

    # --- attributes -------------------------------------------------------------------------
    def edit_attributes(self, fid) -> AttributeForm | None:
        if fid is None:
            self.window.statusBar().showMessage("请先选择一个地块（选择地块工具或地块列表）", 5000)
            return None
        form = AttributeForm(self.editor.project.parcels.loc[fid], self.window)
        form.accepted.connect(lambda: self.editor.set_values(fid, form.values()))
        form.show()
        return form

    # --- project ----------------------------------------------------------------------------
    # --- the user's layer choices live in the project --------------------------------------
    def _layer_state(self) -> dict[str, dict]:
        return self.window.canvas.model.layer_settings(skip=[self.editor.layer_id])

    def _restore_layer_settings(self) -> None:
        self._known_layers = None  # what the restore changes is not a new choice
        self.window.canvas.model.apply_layer_settings(self.editor.project.layer_settings)
        self._known_layers = self._layer_state()

    def _remember_layer_settings(self) -> None:
        if not shiboken6.isValid(self.window) or self._known_layers is None:
            return
        state = self._layer_state()
        for layer_id, values in state.items():
            if self._known_layers.get(layer_id, values) != values:
                self.editor.project.set_layer_settings(layer_id, **values)
                self._update_title()
        self._known_layers = state

    def _show_list(self) -> None:
        if len(self.editor.project.parcels) and not self.dock.isVisible() and shiboken6.isValid(self.window):
            self.dock.show()

    def _status(self, text: str) -> None:
        if shiboken6.isValid(self.window):
            self.window.statusBar().showMessage(text, 8000)

    def _update_title(self, *_) -> None:
        if not shiboken6.isValid(self.window):  # the undo stack signals while the window is destroyed
            return
        project = self.editor.project
        star = "*" if project.dirty else ""
        mode = "（只读）" if project.read_only else ""
        self.window.setWindowTitle(f"{star}{project.path.stem}{mode} — 遂昌 GIS 规划工作台")

    def _apply_mode(self) -> None:
        """A read-only project: drawing, editing, importing and saving off; viewing, checks, 另存为 on."""
        editable = not self.editor.project.read_only
        for text, action in self.tool_actions.items():
            if text != "选择地块":
                action.setEnabled(editable)
                if not editable and action.isChecked():
                    self.tool_actions["选择地块"].trigger()
        for action in self.edit_actions:
            action.setEnabled(editable)

    def _run(self, text: str, fn):
        return run_in_background(self.window, text, fn)

    def _tell(self, title: str, text: str) -> None:
        """A notice that does not block (opening notes: a damaged journal, a lock taken over)."""
        self.last_message = text
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=self.window)
        box.setModal(False)
        box.show()

    def open_project(self, path: Path) -> bool:
        path = Path(path)
        if path.exists() and path.resolve() == self.editor.project.path.resolve():
            self._status(f"项目 {path.name} 已在本窗口打开")
            return True
        try:
            project, notes = open_or_create(path, self.ask_recover, self.ask_locked, self._run)
        except ProjectError as exc:
            QMessageBox.warning(self.window, "无法打开项目", str(exc))
            return False
        self.editor.set_project(project)
        self._restore_layer_settings()
        QSettings().setValue("project/last", str(project.path))
        if len(project.parcels):
            self.window.canvas.zoom_to_layer(self.editor.layer_id)
        self._show_notes(project, notes)
        self._update_title()
        self._apply_mode()
        return True

    def _show_notes(self, project: Project, notes: list[str]) -> None:
        important = [n for n in notes if not n.startswith(("已恢复", "已放弃"))]
        if important:
            self._tell("打开项目", "\n\n".join(important))
        self.window.statusBar().showMessage("；".join(notes) or f"已打开项目 {project.path.name}", 10000)

    def new_project_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "新建项目", "候选地块项目.gpkg", PROJECT_FILTER)
        if path:
            Path(path).unlink(missing_ok=True)  # the dialog already asked about replacing it
            self.open_project(Path(path))

    def open_project_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "打开项目", "", PROJECT_FILTER)
        if path:
            self.open_project(Path(path))

    def save(self) -> bool:
        """Save off the GUI thread; conflicts are asked, every failure is told with 另存为 offered."""
        project = self.editor.project
        resolve: dict[int, str] = {}
        try:
            while True:
                try:
                    report = self._run(f"正在保存项目 {project.path.name} …", lambda: project.save(resolve))
                    break
                except SaveConflicts as exc:
                    answers = self.ask_conflicts(exc.conflicts)
                    if answers is None:
                        self._status("已取消保存：冲突未处理，编辑仍在窗口中")
                        return False
                    resolve.update(answers)
        except ProjectError as exc:
            self._fault("保存失败", str(exc))
            self._update_title()
            return False
        self.editor.saved(report)
        self._update_title()
        return True

    def _fault(self, title: str, text: str) -> None:
        """Tell a failed write, and open 另存为 if the user asks for it."""
        self.last_message = text
        if self.ask_save_as(title, text):
            self.save_as_dialog()

    def ask_save_as(self, title: str, text: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=self.window)
        save_as = box.addButton("另存为…", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("稍后处理", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        return box.clickedButton() is save_as

    def ask_conflicts(self, conflicts) -> dict[int, str] | None:
        """One question per parcel changed both here and by another program; None cancels."""
        answers = {}
        for conflict in conflicts:
            box = QMessageBox(QMessageBox.Icon.Question, "地块冲突",
                              conflict.message() + "\n\n保存时保留哪一份？", parent=self.window)
            buttons = {box.addButton("保留本窗口的", QMessageBox.ButtonRole.AcceptRole): KEEP_MINE,
                       box.addButton("保留其他程序的", QMessageBox.ButtonRole.AcceptRole): KEEP_THEIRS,
                       box.addButton("两份都保留", QMessageBox.ButtonRole.AcceptRole): KEEP_BOTH}
            box.addButton("取消保存", QMessageBox.ButtonRole.RejectRole)
            box.exec()
            if box.clickedButton() not in buttons:
                return None
            answers[conflict.fid] = buttons[box.clickedButton()]
        return answers

    def _autosave_fault(self, text: str) -> None:
        self._update_title()
        self._fault("自动保存失败", text)

    def save_as_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "项目另存为", self.editor.project.path.name, PROJECT_FILTER)
        if path:
            self.save_as(Path(path))

    def save_as(self, path: Path) -> bool:
        """Write the whole project to ``path`` (off the GUI thread); it becomes the open, editable project."""
        project = self.editor.project
        try:
            self._run(f"正在保存到 {path.name} …", lambda: project.save_as(path))
        except ProjectError as exc:
            self.last_message = str(exc)
            QMessageBox.warning(self.window, "另存为失败", str(exc))
            self._update_title()
            return False
        self.window.undo_stack.setClean()
        QSettings().setValue("project/last", str(path))
        self._status(f"已另存为 {path}")
        self._update_title()
        self._apply_mode()
        return True

    # --- import and export ------------------------------------------------------------------
    def import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "导入地块", "", IMPORT_FILTER)
        if not path:
            return
        options = ImportOptionsDialog(Path(path), self.window)
        if options.exec() == QDialog.DialogCode.Accepted:
            self.import_file(Path(path), options.options())

    def import_file(self, path: Path, options: dict | None = None) -> ImportJob:
        """Read ``path`` in a thread behind a progress dialog; on success add the parcels as one edit."""
        progress = QProgressDialog(f"正在读取 {path.name} …", "取消", 0, 0, self.window)
        progress.setWindowTitle("导入地块")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(300)
        job = ImportJob(path, options or {}, self.window)
        self._jobs.append(job)

        def finished(result: ImportResult | None, error):
            cancelled = progress.wasCanceled()
            progress.close()
            self._jobs.remove(job)
            if cancelled:
                self.window.statusBar().showMessage(f"已取消导入 {path.name}，项目未改变", 8000)
            elif error is not None:
                QMessageBox.warning(self.window, "导入失败", f"{error}\n\n项目未改变。")
            else:
                self._add_import(result)

        job.done.connect(finished, Qt.ConnectionType.QueuedConnection)
        job.start()
        return job

    def _add_import(self, result: ImportResult) -> None:
        fids = self.editor.add_imported(result.parcels, result.source.name if result.source else "文件")
        self.window.canvas.zoom_to_layer(self.editor.layer_id)
        final = self.editor.project.parcels.loc[fids, "parcel_id"].tolist()
        renamed = [f"{a}→{b}" for a, b in zip(result.parcels["parcel_id"], final) if a != b]
        self.last_import_report = result.report(
            [f"地块编号与项目中已有的重复，已改为：{'、'.join(renamed)}"] if renamed else [])
        box = QMessageBox(QMessageBox.Icon.Information, "导入报告", self.last_import_report, parent=self.window)
        box.setStyleSheet("QLabel#qt_msgbox_label { min-width: 40em; }")  # one note per line, not wrapped mid-phrase
        box.setModal(False)
        box.show()
        self.window.statusBar().showMessage(f"已导入 {len(fids)} 个地块（可撤销）", 8000)

    def export_dialog(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(self.window, "导出地块", "候选地块.gpkg", ";;".join(EXPORT_FILTERS))
        if not path:
            return
        path = Path(path)
        if path.suffix.lower() not in {e for _, exts in FORMATS for e in exts}:
            path = path.with_suffix(EXPORT_FILTERS.get(chosen, ".gpkg"))
        self.export_file(path)

    def export_file(self, path: Path, **options) -> bool:
        parcels = self.editor.project.parcels.reset_index(drop=True)
        progress = QProgressDialog(f"正在写出 {path.name} …", None, 0, 0, self.window)
        progress.setMinimumDuration(300)
        notes: list[str] = []
        try:
            write_parcels(parcels, path, notes=notes, **options)
        except (ValueError, OSError) as exc:
            QMessageBox.warning(self.window, "导出失败", str(exc))
            return False
        finally:
            progress.close()
        self.window.statusBar().showMessage("；".join([f"已导出 {len(parcels)} 个地块到 {path}", *notes]), 15000)
        return True


def install_parcel_editing(window, project_path: Path | None = None, ask_recover=None,
                           confirm_on_close: bool = False, ask_locked=None) -> ParcelActions:
    """Open ``project_path`` (else the last project, else the default one) and add parcel editing.

    ``ask_locked(ProjectLocked) -> READ_ONLY | COPY | None`` decides when another window holds the
    project (default: a dialog); None falls back to the default project, read-only if that is held too.
    """
    path = Path(project_path or QSettings().value("project/last", "") or default_project_path())
    ask = ask_recover or (lambda message: ask_recover_dialog(window, message))
    locked = ask_locked or (lambda exc: ask_locked_dialog(window, exc))
    run = lambda text, fn: run_in_background(window, text, fn)  # noqa: E731
    try:
        project, notes = open_or_create(path, ask, locked, run)
    except ProjectError as exc:
        project, notes = open_or_create(default_project_path(), ask, lambda _: READ_ONLY, run)
        notes = [f"{exc}；已改为打开默认项目", *notes]
    actions = ParcelActions(window, project, ask_recover, confirm_on_close, ask_locked)
    actions._show_notes(project, notes)
    return actions


def ask_recover_dialog(window, message: str) -> bool:
    answer = QMessageBox.question(window, "恢复未保存的编辑", message + "\n\n选“否”将放弃这些编辑。")
    return answer == QMessageBox.StandardButton.Yes


def ask_locked_dialog(window, exc) -> str | None:
    """Another window holds the project: 只读打开, 打开副本 or 取消 (None)."""
    box = QMessageBox(QMessageBox.Icon.Warning, "项目正在被编辑", str(exc), parent=window)
    read_only = box.addButton("只读打开", QMessageBox.ButtonRole.AcceptRole)
    copy = box.addButton("打开副本", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("取消", QMessageBox.ButtonRole.RejectRole)
    box.exec()
    return {read_only: READ_ONLY, copy: COPY}.get(box.clickedButton())
