"""Parcel editing in the main window: project, import/export, drawing tools, list and form.

``install_parcel_editing(window)`` uses the window's extension points (``canvas``, ``menus``,
``toolbar``, ``tool_group``, ``undo_stack``, ``add_dock``) and returns the ``ParcelActions``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import shapely
import shiboken6
from PySide6.QtCore import QAbstractTableModel, QEvent, QObject, QSettings, Qt, QThread, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
    QSpinBox,
    QTableView,
)

from suichang_gis.catalog import CatalogError
from suichang_gis.errors import unexpected_error_message
from suichang_gis.parcel_io import FORMATS, ImportResult, ParcelImportError, dxf_layers, read_parcels, write_parcels
from suichang_gis.project import KEEP_BOTH, KEEP_MINE, KEEP_THEIRS, Project, ProjectError, SaveConflicts
from suichang_gis.units import m2_to_mu
from suichang_gis.user_layers import USER_GROUP, reopen_user_layer, style_to_dict, user_layer_entry

from .attribute_form import AttributeForm, offered_values
from .background import run_in_background
from .messages import failure_text, show_failure
from .parcel_editor import COPY, READ_ONLY, ParcelEditor, default_project_path, open_or_create
from .parcel_tools import (
    DrawPolygonTool,
    EditVerticesTool,
    MergeTool,
    MoveParcelTool,
    RectangleTool,
    SelectTool,
    Snapper,
    SplitTool,
)
from .paths import add_recent_project, open_file_name, save_file_name

PROJECT_FILTER = "项目文件 (*.gpkg)"
UNTITLED_NAME = "未命名项目"
SUGGESTED_PROJECT_NAME = "候选地块项目.gpkg"
FORM_AFTER_FINISH_KEY = "digitize/open_form_after_finish"  # QGIS: "suppress attribute form" off
LAST_VALUES_KEY = "digitize/last_values"
SIZED_ROWS = 100  # the parcel list's column widths fit the first rows (Qt reads 1,000 by default)
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
        except Exception as exc:  # never crash on a user's file; the same words as the command line
            self.done.emit(None, ParcelImportError(unexpected_error_message(exc, [self.path.name])))


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
        self.towgs84 = QLineEdit()
        if suffix in (".shp", ".gpkg", ".geojson", ".json", ".txt", ".dxf", ".gdb", ".zip"):
            # 西安 1980 / 北京 1954 files are refused without a surveyor's parameters (see parcel_io.datum).
            self.towgs84.setPlaceholderText("仅西安80/北京54坐标需要：dx,dy,dz,rx,ry,rz,ppm")
            form.addRow("七参数", self.towgs84)
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
        if self.towgs84.text().strip():
            options["towgs84"] = self.towgs84.text().strip()
        return options


class ParcelListModel(QAbstractTableModel):
    """The parcels as table rows; cells are read and formatted when shown (the rows in view), so
    50,000 parcels reload at once after every edit."""

    COLUMNS = ("编号", "名称", "面积（亩）", "行业", "类别")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.fids = np.empty(0, dtype="int64")
        self._parcels = None  # the parcels frame shown (by row), or None

    def set_parcels(self, parcels) -> None:
        self.beginResetModel()
        self.fids = parcels.index.to_numpy(dtype="int64")
        self._parcels = parcels
        self.endResetModel()

    def _value(self, row: int, column: int):
        parcels = self._parcels
        if column == 2:
            return m2_to_mu(shapely.area(parcels.geometry.iat[row]))
        if column == 3:
            name = parcels["industry_name"].iat[row]
            return name if not _empty(name) else parcels["industry_code"].iat[row]
        return parcels[("parcel_id", "name", None, None, "industrial_category")[column]].iat[row]

    def rowCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.fids)

    def columnCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.COLUMNS)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            value = self._value(index.row(), index.column())
            if index.column() == 2:
                return f"{value:.2f}"
            return "" if _empty(value) else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None


def _empty(value) -> bool:
    """A cell value shown as nothing: None or NaN."""
    return value is None or (isinstance(value, float) and np.isnan(value))


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
        self.horizontalHeader().setResizeContentsPrecision(SIZED_ROWS)
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
        self.editor.layer_fault.connect(self._layer_fault)
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
        window.canvas.tool_changed.connect(self._show_tool)
        if hasattr(window, "project_open_requested"):
            window.project_open_requested.connect(lambda path: self.open_project(Path(path)))
        window.undo_stack.cleanChanged.connect(self._update_title)
        window.undo_stack.indexChanged.connect(self._update_title)
        self._update_title()
        self._apply_mode()
        self._restore_layer_settings()
        window.canvas.layers_changed.connect(self._remember_layer_settings)
        if hasattr(window, "default_layers_loaded"):  # the catalog layers came after the project
            window.default_layers_loaded.connect(self._restore_layer_settings)
        window.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if watched is not self.window or event.type() != QEvent.Type.Close:
            return False
        project = self.editor.project
        if self.confirm_on_close and project.dirty and not project.read_only:
            box = QMessageBox(QMessageBox.Icon.Question, "保存项目",
                              f"项目“{self.project_name}”有未保存的地块编辑，是否保存？",
                              QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                              | QMessageBox.StandardButton.Cancel, self.window)
            box.button(QMessageBox.StandardButton.Save).setText("保存")
            box.button(QMessageBox.StandardButton.Discard).setText("不保存")
            box.button(QMessageBox.StandardButton.Cancel).setText("取消")
            answer = QMessageBox.StandardButton(box.exec())
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
        self.draw_tool, self.rectangle_tool = DrawPolygonTool(e, s), RectangleTool(e, s)
        for tool in (self.draw_tool, self.rectangle_tool):
            tool.parcel_finished.connect(self._parcel_finished)
        self.tools = {
            "选择地块": (self.select_tool, "S"),
            "绘制地块": (self.draw_tool, "D"),
            "绘制矩形地块": (self.rectangle_tool, "R"),
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
        self.form_action = a("编辑", "完成地块后打开属性表单",
                             lambda on: QSettings().setValue(FORM_AFTER_FINISH_KEY, bool(on)), checkable=True)
        self.form_action.setChecked(QSettings().value(FORM_AFTER_FINISH_KEY, True, type=bool))
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
        self.toolbar.addSeparator()
        self.tool_label = QLabel()
        self.tool_label.setObjectName("active_tool_label")
        self.tool_label.setStyleSheet("padding: 0 8px;")
        self.toolbar.addWidget(self.tool_label)
        self._show_tool(w.canvas.tool)

    def _delete_selected(self) -> None:
        if self.editor.selected is not None:
            self.editor.delete([self.editor.selected])

    # --- attributes -------------------------------------------------------------------------
    def edit_attributes(self, fid) -> AttributeForm | None:
        if fid is None:
            self.window.statusBar().showMessage("请先选择一个地块（选择地块工具或地块列表）", 5000)
            return None
        form = AttributeForm(self.editor.project.parcels.loc[fid], self.window,
                             definitions=self._category_definitions(), last_values=last_values())
        form.accepted.connect(lambda: self._form_accepted(fid, form))
        form.show()
        return form

    def _form_accepted(self, fid, form: AttributeForm) -> None:
        self.editor.set_values(fid, form.values())
        if fid in self.editor.project.parcels.index:
            remember_last_values(self.editor.project.parcels.loc[fid])

    def _category_definitions(self) -> dict[str, str]:
        """一类/二类/三类 as the check's rule set defines them (the check panel's, else the default)."""
        panel = getattr(self.window, "check_panel", None)
        if panel is not None:
            return dict(panel.ruleset.context.get("industrial_categories", {}))
        from suichang_gis.rules import RuleError, load_ruleset

        try:
            return dict(load_ruleset().context.get("industrial_categories", {}))
        except RuleError:
            return {}

    def _parcel_finished(self, fid: int) -> None:
        """A drawing tool finished a parcel: open its form, unless the user turned that off."""
        if self.form_action.isChecked():
            self.edit_attributes(fid)

    def _show_tool(self, tool) -> None:
        if not shiboken6.isValid(self.window):
            return
        for text, action in self.window_tool_actions().items():
            if action.isChecked():
                hint = getattr(tool, "hint", "")
                key = action.shortcut().toString()
                self.tool_label.setText(f"当前工具：{text}（{key}）" + (f"　{hint}" if hint else ""))
                return
        self.tool_label.setText("当前工具：平移（P）　拖动平移，滚轮缩放")

    def window_tool_actions(self) -> dict[str, QAction]:
        """Every exclusive map-tool action of the window by its text (map and parcel tools)."""
        return {action.text(): action for action in self.window.tool_group.actions()}

    # --- project ----------------------------------------------------------------------------
    # --- the user's layer choices live in the project --------------------------------------
    # Every layer: visibility, opacity and order (the map model's ``layer_settings``). User
    # layers (文件 → 打开图层): also their file, title and style, so they come back with the
    # project; a removed one is marked removed.
    def _layer_state(self) -> dict[str, dict]:
        model = self.window.canvas.model
        state = model.layer_settings(skip=[self.editor.layer_id])  # visible, opacity, order
        for layer in model:
            if layer.spec.group == USER_GROUP:
                entry = user_layer_entry(layer.layer)
                state[layer.id] |= entry | {"style": style_to_dict(layer.style or layer.spec.style), "removed": False}
        for layer_id, settings in self.editor.project.layer_settings.items():
            if "source" in settings and layer_id not in state:
                state[layer_id] = {"removed": True}
        return state

    def _restore_layer_settings(self) -> None:
        self._known_layers = None  # what the restore changes is not a new choice
        model = self.window.canvas.model
        settings_by_id = self.editor.project.layer_settings
        problems = []
        for layer_id, settings in settings_by_id.items():
            wanted = "source" in settings and not settings.get("removed")
            if wanted and layer_id not in model:
                try:
                    model.add(reopen_user_layer(settings))
                except CatalogError as exc:
                    problems.append(str(exc))
            elif "source" in settings and not wanted and layer_id in model:
                model.remove(layer_id)  # a user layer of the previous project
        for layer in list(model):  # user layers this project does not have
            if layer.spec.group == USER_GROUP and layer.id not in settings_by_id:
                model.remove(layer.id)
        model.apply_layer_settings(settings_by_id)
        self._known_layers = self._layer_state()
        if problems:
            self._tell("图层未能加载", "\n".join(problems))

    def _remember_layer_settings(self) -> None:
        if not shiboken6.isValid(self.window) or self._known_layers is None \
                or getattr(self.window, "layers_loading", False):  # arriving layers shift the order
            return
        state = self._layer_state()
        for layer_id, values in state.items():
            if self._known_layers.get(layer_id) != values and (
                    layer_id in self._known_layers or "source" in values or "removed" in values):
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
        mode = "（只读）" if project.read_only else ""
        folder = "尚未保存：第一次保存（Ctrl+S）时选择保存位置" if self.untitled else str(project.path.parent)
        if hasattr(self.window, "set_project_label"):
            self.window.set_project_label(self.project_name + mode, folder, project.dirty)
        else:
            self.window.setWindowTitle(f"{'*' if project.dirty else ''}{self.project_name}{mode} — 遂昌 GIS 规划工作台")

    @property
    def untitled(self) -> bool:
        """The project lives in the app data folder because the user has not saved it anywhere."""
        return self.editor.project.path.resolve() == default_project_path().resolve()

    @property
    def project_name(self) -> str:
        return UNTITLED_NAME if self.untitled else self.editor.project.path.stem

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
            show_failure(self.window, "无法打开项目", f"无法打开项目 {path}。", exc)
            return False
        self.editor.set_project(project)
        self._restore_layer_settings()
        QSettings().setValue("project/last", str(project.path))
        if not self.untitled:
            add_recent_project(project.path)
        self.editor.zoom_to_parcels()
        self._show_notes(project, notes)
        self._update_title()
        self._apply_mode()
        return True

    def _show_notes(self, project: Project, notes: list[str]) -> None:
        important = [n for n in notes if not n.startswith(("已恢复", "已放弃"))]
        if important:
            self._tell("打开项目", "\n\n".join(important))
        mode = "（只读）" if project.read_only else ""
        brief = [n for n in notes if n not in important]  # 已恢复/已放弃 …; the others are in the notice
        text = "；".join([f"已打开项目 {self.project_name}{mode}", *brief] + (["详见提示窗口"] if important else []))
        self.window.statusBar().showMessage(text, 10000)

    def new_project_dialog(self) -> None:
        path, _ = save_file_name(self.window, "project", "新建项目", SUGGESTED_PROJECT_NAME, PROJECT_FILTER)
        if path is not None:
            path = path.with_suffix(".gpkg")
            path.unlink(missing_ok=True)  # the dialog already asked about replacing it
            self.open_project(path)

    def open_project_dialog(self) -> None:
        path = open_file_name(self.window, "project", "打开项目", PROJECT_FILTER)
        if path is not None:
            self.open_project(path)

    def save(self) -> bool:
        """Save off the GUI thread; conflicts are asked, every failure is told with 另存为 offered.

        An untitled project (never saved anywhere by the user) asks where first, as 另存为.
        """
        if self.untitled and not self.editor.project.read_only:
            return self.save_as_dialog()
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

    def _layer_fault(self, text: str) -> None:
        self.last_message = text
        if shiboken6.isValid(self.window):
            QMessageBox.warning(self.window, "地图未能更新", text)

    def _autosave_fault(self, text: str) -> None:
        self._update_title()
        self._fault("自动保存失败", text)

    def save_as_dialog(self) -> bool:
        """Ask where to save (Documents, or the folder of the last project), then save there."""
        suggested = SUGGESTED_PROJECT_NAME if self.untitled else self.editor.project.path.name
        path, _ = save_file_name(self.window, "project", "保存项目" if self.untitled else "项目另存为",
                                 suggested, PROJECT_FILTER)
        return path is not None and self.save_as(path.with_suffix(".gpkg"))

    def save_as(self, path: Path) -> bool:
        """Write the whole project to ``path`` (off the GUI thread); it becomes the open, editable project."""
        project = self.editor.project
        try:
            self._run(f"正在保存到 {path.name} …", lambda: project.save_as(path))
        except ProjectError as exc:
            self.last_message = str(exc)
            show_failure(self.window, "另存为失败", f"项目未能保存到 {path}，编辑仍在窗口中。", exc)
            self._update_title()
            return False
        self.window.undo_stack.setClean()
        QSettings().setValue("project/last", str(path))
        add_recent_project(path)
        self._status(f"已另存为 {path}")
        self._update_title()
        self._apply_mode()
        return True

    # --- import and export ------------------------------------------------------------------
    def import_dialog(self) -> None:
        path = open_file_name(self.window, "import", "导入地块", IMPORT_FILTER)
        if path is None:
            return
        options = ImportOptionsDialog(path, self.window)
        if options.exec() == QDialog.DialogCode.Accepted:
            self.import_file(path, options.options())

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
                QMessageBox.warning(self.window, "导入失败",
                                    failure_text(f"无法导入 {path.name}，项目未改变。", error))
            else:
                self._add_import(result)

        job.done.connect(finished, Qt.ConnectionType.QueuedConnection)
        job.start()
        return job

    def _add_import(self, result: ImportResult) -> None:
        fids = self.editor.add_imported(result.parcels, result.source.name if result.source else "文件")
        self.editor.zoom_to_parcels()
        final = self.editor.project.parcels.loc[fids, "parcel_id"].tolist()
        renamed = [f"{a}→{b}" for a, b in zip(result.parcels["parcel_id"].tolist(), final) if a != b]
        self.last_import_report = result.report(
            [f"地块编号与项目中已有或用过的编号重复，已改为：{'、'.join(renamed)}"] if renamed else [])
        box = QMessageBox(QMessageBox.Icon.Information, "导入报告", self.last_import_report, parent=self.window)
        box.setStyleSheet("QLabel#qt_msgbox_label { min-width: 40em; }")  # one note per line, not wrapped mid-phrase
        box.setModal(False)
        box.show()
        self.window.statusBar().showMessage(f"已导入 {len(fids)} 个地块（可撤销）", 8000)

    def export_dialog(self) -> None:
        path, chosen = save_file_name(self.window, "export", "导出地块", "候选地块.gpkg", ";;".join(EXPORT_FILTERS))
        if path is None:
            return
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
            show_failure(self.window, "导出失败", f"无法导出地块到 {path}。", exc)
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
    def run(text, fn):
        return run_in_background(window, text, fn)

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


def last_values() -> dict:
    """The attribute values of the last parcel the user filled in (``QSettings``)."""
    value = QSettings().value(LAST_VALUES_KEY, "")
    try:
        return json.loads(value) if value else {}
    except (TypeError, ValueError):
        return {}


def remember_last_values(row) -> None:
    """Keep a parcel's filled attributes as the values 沿用上次的值 offers next time."""
    QSettings().setValue(LAST_VALUES_KEY, json.dumps(offered_values(row), ensure_ascii=False))
