"""The workbench window: map canvas in the centre, layer tree, legend, identify and measure.

Extension points for other parts of the UI (names are stable):

- ``window.canvas`` — :class:`ui.map_canvas.MapCanvasWidget`:
  ``canvas.set_overlay(name, geometries, style)`` / ``canvas.clear_overlay(name)`` draw shapely
  geometries (EPSG:4549) on top of the map with a catalog ``Style``;
  ``canvas.to_map(QPointF) -> (x, y)`` and ``canvas.to_screen(x, y) -> QPointF``;
  ``canvas.set_tool(tool)`` installs a :class:`ui.map_tools.MapTool` subclass, which receives
  ``press/move/release/double_click(MapMouseEvent)`` in map coordinates and ``key_press``;
  ``canvas.set_tool(None)`` returns to panning. ``canvas.add_layer(map_layer)``,
  ``canvas.refresh_layer(layer_id)`` after editing a layer's GeoDataFrame.
- ``window.add_layer(map_layer)`` — a MapLayer (e.g. group "候选地块") into canvas, tree, legend.
- ``window.add_dock(widget, title, area)`` — a dock widget, with a toggle in the 视图 menu.
- ``window.menus["文件" | "编辑" | "视图" | "工具" | "核查" | "打印"]`` — QMenu objects.
- ``window.toolbar`` — the main QToolBar; ``window.tool_group`` — QActionGroup of the
  exclusive map-tool actions (add a checkable tool action to it to join the group).
- ``window.undo_stack`` — QUndoStack; 编辑 → 撤销 (Ctrl+Z) / 重做 (Ctrl+Y) act on it.
- ``window.layers`` — dict layer id → MapLayer currently in the window.
- ``window.load_layers_in_background()`` (what ``main.py`` does): the default layers arrive after
  the window shows; ``window.layers_loading``, ``window.wait_for_layers()``,
  ``window.loaded_layers()`` (waits) and Signal ``window.default_layers_loaded`` serve work that
  needs the whole map.
- ``window.project_open_requested`` — Signal(str): 文件 → 最近打开的项目 asks to open a project.
- ``window.set_project_label(name, folder)`` — the project's name in the title bar and status bar
  (its folder on hover).
- ``window.restore_window_state()`` — after every part added its docks and toolbars: geometry,
  dock layout, view extent and active tool of the last session (``QSettings``); from then on
  ``closeEvent`` stores them (a window that never restored, e.g. a screenshot run, keeps nothing).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QThread, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QDockWidget,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from suichang_gis.catalog import (
    CatalogError,
    MapLayer,
    load_catalog,
    load_layer,
    load_map_layer,
    override_layer,
)
from suichang_gis.field_labels import field_label
from suichang_gis.parcel_layer import PARCEL_LAYER_ID
from suichang_gis.user_layers import file_layers, open_user_layer

from .database_view import DatabaseViewReader
from .layer_tree import LayerTreeWidget
from .legend import LegendWidget
from .map_canvas import MapCanvasWidget
from .map_tools import IdentifyTool, MeasureTool, ZoomBoxTool
from .messages import show_failure
from .password_prompt import DeclinedDatabases, install_password_prompt
from .paths import open_file_name, recent_projects, save_file_name
from .status_bar import MapStatusBar

WINDOW_TITLE = "遂昌 GIS 规划工作台"
LAYER_FILE_FILTER = "空间数据 (*.gpkg *.shp *.geojson *.json *.kml *.fgb);;所有文件 (*)"
MENU_TITLES = ("文件", "编辑", "视图", "工具", "核查", "打印")
LOADING_MESSAGE = "正在加载图层…"
COUNTY_LAYER = "county_boundary"  # the map shows the whole county until the user navigates
STATE_VERSION = 1  # bump when docks or toolbars change so an old saved layout is not applied


def load_default_layers(catalog_dir=None, user_catalog=None) -> tuple[list[MapLayer], list[str]]:
    """Catalog layers bottom first (by zorder), and Chinese messages for layers that failed.

    ``user_catalog`` (a TOML file) replaces layers' data, e.g. by PostGIS tables; a database that
    wants a password asks it through the window's prompt (``ui.password_prompt``).
    """
    layers, declined = [], DeclinedDatabases()
    specs, errors = default_specs(catalog_dir, user_catalog)
    for spec in specs:
        if declined.skip(spec):  # its database's password was declined: not asked per layer
            continue
        try:
            layers.append(load_map_layer(spec))  # a huge database table: read per view
        except CatalogError as exc:
            if not declined.declined(spec, exc):
                errors.append(str(exc))
    return layers, declined.notes() + errors


def default_specs(catalog_dir=None, user_catalog=None) -> tuple[list, list[str]]:
    """The catalog's layer specs bottom first (by zorder), with a user catalog's replacements;
    a broken user catalog gives the default specs and the Chinese message why."""
    errors = []
    try:
        specs = load_catalog(catalog_dir, user_catalog)
    except CatalogError as exc:  # a broken user catalog: the default layers, and why
        specs, errors = load_catalog(catalog_dir), [str(exc)]
    return sorted(specs, key=lambda spec: spec.zorder), errors


class MainWindow(QMainWindow):
    """See the module docstring for the extension points other parts of the UI use."""

    project_open_requested = Signal(str)
    default_layers_loaded = Signal()

    def __init__(self, layers: list[MapLayer] | None = None, catalog_dir=None, user_catalog=None):
        super().__init__()
        self.setWindowTitle(WINDOW_TITLE)
        self.undo_stack = QUndoStack(self)
        self.load_errors: list[str] = []
        install_password_prompt()  # a PostGIS layer may ask its password, even from a worker thread
        if layers is None:
            layers, self.load_errors = load_default_layers(catalog_dir, user_catalog)
        self.canvas = MapCanvasWidget(self)
        self.setCentralWidget(self.canvas)
        self.canvas.set_layers(layers)
        self.database_view = DatabaseViewReader(self.canvas, lambda text: self.statusBar().showMessage(text, 15000))

        self.layer_tree = LayerTreeWidget(self.canvas)
        self.legend = LegendWidget(self.canvas)
        self.identify_results = QTreeWidget()
        self.identify_results.setHeaderLabels(["字段", "值"])
        self.identify_results.setColumnWidth(0, 130)
        self.measure_label = QLabel("在地图上单击测量；双击或右键结束，Esc 清除。")
        self.measure_label.setWordWrap(True)
        self.measure_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.menus = {title: self.menuBar().addMenu(title) for title in MENU_TITLES}
        self.toolbar = self.addToolBar("地图")
        self.toolbar.setObjectName("map_toolbar")
        self.tool_group = QActionGroup(self)
        self.tool_group.setExclusive(True)
        self._build_tools()
        self._build_actions()

        self.layer_dock = self.add_dock(self.layer_tree, "图层", Qt.DockWidgetArea.LeftDockWidgetArea)
        self.legend_dock = self.add_dock(self.legend, "图例", Qt.DockWidgetArea.LeftDockWidgetArea)
        self.identify_dock = self.add_dock(self.identify_results, "识别结果",
                                           Qt.DockWidgetArea.RightDockWidgetArea)
        self.measure_dock = self.add_dock(self.measure_label, "测量", Qt.DockWidgetArea.RightDockWidgetArea)
        self.identify_dock.hide()
        self.measure_dock.hide()
        self.resizeDocks([self.layer_dock], [340], Qt.Orientation.Horizontal)
        self.resizeDocks([self.layer_dock, self.legend_dock], [430, 470], Qt.Orientation.Vertical)

        self.setStatusBar(MapStatusBar(self.canvas))
        self.project_label = QLabel()
        self.statusBar().insertPermanentWidget(0, self.project_label)
        self.layer_tree.zoom_requested.connect(self.canvas.zoom_to_layer)
        self.layer_tree.replace_requested.connect(self.replace_layer_dialog)
        self.layer_tree.remove_requested.connect(self.remove_layer)
        self._loader = None
        self._show_load_notes(layers)

    def _show_load_notes(self, layers: list[MapLayer]) -> None:
        repairs = [note for layer in layers for note in layer.repairs]
        notes = (["部分图层未能加载：" + "；".join(self.load_errors)] if self.load_errors else []) + repairs
        if notes:
            self.statusBar().showMessage("　".join(notes), 30000)

    # --- the default layers, read in the background ------------------------------------------
    def load_layers_in_background(self, catalog_dir=None, user_catalog=None) -> None:
        """Read the default catalog's layers off the GUI thread (``ui.layer_loader``): the window
        can show at once, the map fills in as the layers arrive (catalog layers below the
        parcels and user layers), the status bar counts them, and ``default_layers_loaded`` is
        emitted after the last one. Until then ``layers_loading`` is True; the view is the county
        (``FALLBACK_EXTENT``, then its boundary) unless the user navigated meanwhile."""
        from .layer_loader import LayerLoader

        self._loader = LayerLoader(lambda: default_specs(catalog_dir, user_catalog), self)
        self._catalog_arrived: list[MapLayer] = []
        self._loader.arrived.connect(self._layers_arrived)
        self._loader.finished.connect(self._layers_finished)
        self.statusBar().showMessage(LOADING_MESSAGE)
        self.canvas.draft = True
        self._loader.start_after_paint(self.canvas)  # the window first, without a race for the GIL

    @property
    def layers_loading(self) -> bool:
        """True while the default layers are still being read in the background."""
        return self._loader is not None and not self._loader.is_finished

    def wait_for_layers(self) -> None:
        """Block (GUI thread) until every default layer has arrived; at once when none is loading.

        For work that needs the whole map: a check, a print, an export."""
        if self.layers_loading:
            self._loader.wait()

    def loaded_layers(self) -> dict[str, MapLayer]:
        """``layers`` once every default layer has arrived (waits on the GUI thread)."""
        if QThread.currentThread() is self.thread():
            self.wait_for_layers()
        return self.layers

    def _layers_arrived(self, layers: list[MapLayer], done: int, total: int) -> None:
        # Bottom first, each batch above the catalog layers already there, below the rest.
        ids, arrived = self.canvas.layer_ids(), {layer.id for layer in self._catalog_arrived}
        below = max((ids.index(layer_id) + 1 for layer_id in arrived if layer_id in ids), default=0)
        self._catalog_arrived.extend(layers)
        self.canvas.model.insert(layers, below)
        if any(layer.id == COUNTY_LAYER for layer in layers):  # the whole county, once it is known
            self.canvas.fit_full_unless_navigated()
        self.statusBar().showMessage(f"{LOADING_MESSAGE}（{done}/{total}）")

    def _layers_finished(self, errors: list[str]) -> None:
        self.load_errors = errors
        self.canvas.draft = False
        self.canvas.fit_full_unless_navigated()  # also for a catalog without the county boundary
        self.canvas.refresh()  # the whole map with its labels
        self.statusBar().clearMessage()
        self._show_load_notes(self._catalog_arrived)
        self.default_layers_loaded.emit()

    # --- extension points ---------------------------------------------------------------
    @property
    def layers(self) -> dict[str, MapLayer]:
        return self.canvas.model.layers()

    def add_layer(self, layer: MapLayer, visible: bool = True) -> None:
        self.canvas.add_layer(layer, visible=visible)

    def remove_layer(self, layer_id: str) -> None:
        self.canvas.remove_layer(layer_id)

    def add_dock(self, widget: QWidget, title: str,
                 area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.menus["视图"].addAction(dock.toggleViewAction())
        return dock

    # --- the project in the chrome -------------------------------------------------------
    def set_project_label(self, name: str, folder: str, dirty: bool = False) -> None:
        """Show the project ``name`` in the title and status bars; ``folder`` on hover."""
        self.setWindowTitle(f"{'*' if dirty else ''}{name} — {WINDOW_TITLE}")
        self.project_label.setText(f"项目：{name}{'（未保存）' if dirty else ''}")
        self.project_label.setToolTip(folder)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in recent_projects():
            action = self.recent_menu.addAction(f"{path.stem}　（{path.parent}）")
            action.setToolTip(str(path))
            action.triggered.connect(lambda checked=False, p=str(path): self.project_open_requested.emit(p))
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("（还没有打开过项目）").setEnabled(False)

    # --- the window as the user left it ----------------------------------------------------
    def restore_window_state(self) -> bool:
        """Geometry, docks (layout, sizes, visibility), active tool and view extent of the last
        session; False on a first start (then ``show_window`` maximises it with the check dock)."""
        settings = QSettings()
        geometry, state = settings.value("window/geometry"), settings.value("window/state")
        self._saved_extent = None
        self._remember = True  # a session that restores is kept on close (not a screenshot, not a test)
        if geometry is None or state is None or not self.restoreGeometry(geometry) \
                or not self.restoreState(state, STATE_VERSION):
            self._first_start = True
            return False
        self._first_start = False
        tool = settings.value("window/tool", "")
        for action in self.tool_group.actions():
            if action.text() == tool and not action.isChecked():
                action.trigger()
        extent = settings.value("window/extent")
        if extent and len(extent) == 4:
            self._saved_extent = tuple(float(v) for v in extent)
        return True

    def show_restored_geometry(self) -> None:
        """Show the window at once where the last session left it (maximised on a first start),
        before the docks and toolbars are added; ``restore_window_state`` then lays those out."""
        geometry = QSettings().value("window/geometry")
        if geometry is not None and self.restoreGeometry(geometry):
            self.show()
        else:
            self.setGeometry(self.screen().availableGeometry())
            self.showMaximized()

    def show_window(self) -> None:
        """Show as restored, or, on a first start, maximised with the check dock beside the map."""
        if getattr(self, "_first_start", True):
            check_dock = self.findChild(QDockWidget, "dock_地块核查")
            if check_dock is not None:
                check_dock.show()
            self.setGeometry(self.screen().availableGeometry())  # the whole screen even without a window manager
            self.showMaximized()
        else:
            self.show()
        if getattr(self, "_saved_extent", None):  # once the canvas has its final size
            QTimer.singleShot(0, lambda: self.canvas.zoom_to_extent(self._saved_extent, margin=0.0))

    def save_window_state(self) -> None:
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState(STATE_VERSION))
        checked = self.tool_group.checkedAction()
        settings.setValue("window/tool", checked.text() if checked else "")
        settings.setValue("window/extent", [float(v) for v in self.canvas.view.extent])

    def closeEvent(self, event) -> None:
        super().closeEvent(event)
        if event.isAccepted() and getattr(self, "_remember", False):
            self.save_window_state()

    # --- actions ------------------------------------------------------------------------
    def _action(self, menu: str, text: str, slot, shortcut=None, toolbar: bool = False,
                checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        self.menus[menu].addAction(action)
        if toolbar:
            self.toolbar.addAction(action)
        return action

    def _build_tools(self) -> None:
        self.zoom_box_tool = ZoomBoxTool(self.canvas)
        self.identify_tool = IdentifyTool(self.canvas)
        self.identify_tool.identified.connect(self.show_identify_results)
        self.distance_tool = MeasureTool(self.canvas, area=False)
        self.area_tool = MeasureTool(self.canvas, area=True)
        for tool in (self.distance_tool, self.area_tool):
            tool.measured.connect(self.show_measurement)

    def _build_actions(self) -> None:
        m = self._action
        m("文件", "打开图层…", self.open_layer_dialog, QKeySequence.StandardKey.Open, toolbar=True)
        self.recent_menu = QMenu("最近打开的项目", self)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.menus["文件"].addMenu(self.recent_menu)
        self.menus["文件"].addSeparator()
        m("文件", "退出", self.close, QKeySequence.StandardKey.Quit)

        undo = self.undo_stack.createUndoAction(self, "撤销")
        undo.setShortcut(QKeySequence("Ctrl+Z"))
        redo = self.undo_stack.createRedoAction(self, "重做")
        redo.setShortcut(QKeySequence("Ctrl+Y"))
        self.menus["编辑"].addActions([undo, redo])

        m("视图", "全县", self.canvas.zoom_full, "Ctrl+Shift+F", toolbar=True)
        m("视图", "放大", lambda: self.canvas.zoom_by(2.0), QKeySequence.StandardKey.ZoomIn, toolbar=True)
        m("视图", "缩小", lambda: self.canvas.zoom_by(0.5), QKeySequence.StandardKey.ZoomOut, toolbar=True)
        m("视图", "上一视图", self.canvas.previous_extent, "Alt+Left", toolbar=True)
        m("视图", "下一视图", self.canvas.next_extent, "Alt+Right", toolbar=True)
        m("视图", "刷新", self.canvas.refresh, "F5")
        self.menus["视图"].addSeparator()
        self.toolbar.addSeparator()

        tools = (("平移", None, "P"), ("拉框放大", self.zoom_box_tool, "Z"),
                 ("识别要素", self.identify_tool, "I"), ("测量距离", self.distance_tool, "M"),
                 ("测量面积", self.area_tool, "Shift+M"))
        self.tool_actions: dict[str, QAction] = {}
        for text, tool, key in tools:
            action = m("工具", text, lambda checked=False, t=tool: self.use_tool(t), key,
                       toolbar=True, checkable=True)
            self.tool_group.addAction(action)
            self.tool_actions[text] = action
        self.tool_actions["平移"].setChecked(True)
        self.toolbar.addSeparator()
        m("打印", "打印地图…", self.open_print_dialog, QKeySequence.StandardKey.Print, toolbar=True)
        m("打印", "导出网页地图…", self.export_webmap_dialog)

    def open_print_dialog(self):
        from .print_dialog import PrintDialog

        dialog = PrintDialog(self.loaded_layers(), canvas=self.canvas, parent=self)
        dialog.show()
        return dialog

    def export_webmap_dialog(self) -> None:
        from suichang_gis.parcel_layer import checked_parcel_layer
        from suichang_gis.webmap import WebMapError, write_webmap

        path, _ = save_file_name(self, "webmap", "导出网页地图", "遂昌规划一张图.html", "网页 (*.html)")
        if path is None:
            return
        self.wait_for_layers()
        model = self.canvas.model  # the map as shown: order, visibility, opacity
        layers = model.drawn_layers(visible_only=False)
        checked = checked_parcel_layer(model.layers())  # parcels coloured by status, findings in popups
        if checked:  # drawn with the parcel layer's visibility and opacity
            drawn = replace(model.get(PARCEL_LAYER_ID), layer=checked[0]).drawn()
            layers = [drawn if layer.id == PARCEL_LAYER_ID else layer for layer in layers]
        try:
            write_webmap(path, layers=layers)
        except (WebMapError, OSError) as exc:
            show_failure(self, "导出失败", f"无法导出网页地图到 {path}。", exc)
            return
        self.statusBar().showMessage(f"已导出网页地图 {path}（离线可用）", 10000)

    def use_tool(self, tool) -> None:
        self.canvas.set_tool(tool)
        if tool is self.identify_tool:
            self.identify_dock.show()
        elif tool in (self.distance_tool, self.area_tool):
            self.measure_dock.show()

    # --- identify and measure -----------------------------------------------------------
    def show_identify_results(self, x: float, y: float, hits: list) -> None:
        tree = self.identify_results
        tree.clear()
        if not hits:
            QTreeWidgetItem(tree, ["（此处没有要素）", f"X {x:,.1f}  Y {y:,.1f}"])
        for hit in hits:
            name = hit.attributes.get("name") or f"要素 {hit.feature_index + 1}"
            top = QTreeWidgetItem(tree, [hit.layer_title, str(name)])
            for key, value in hit.attributes.items():
                item = QTreeWidgetItem(top, [field_label(key, hit.layer_id == PARCEL_LAYER_ID),
                                             "" if value is None else str(value)])
                item.setToolTip(0, f"字段名：{key}")
            QTreeWidgetItem(top, ["专栏", "、".join(hit.zhuanlan) or "—"])
            prov = hit.provenance
            QTreeWidgetItem(top, ["精度", prov.accuracy])
            QTreeWidgetItem(top, ["来源", prov.source])
            QTreeWidgetItem(top, ["制作方法", prov.method])
            top.setExpanded(True)
        self.identify_dock.show()

    def show_measurement(self, text: str, result) -> None:
        self.measure_label.setText(f"{text}\n（EPSG:4549 平面计算）")
        self.statusBar().showMessage(text, 10000)

    # --- user layers --------------------------------------------------------------------
    def open_layer_dialog(self) -> None:
        path = open_file_name(self, "layer", "打开图层文件", LAYER_FILE_FILTER)
        if path is not None:
            self.open_layer_file(path)

    def _choose_source_layer(self, path: Path) -> tuple[bool, str | None]:
        names = file_layers(path)
        if len(names) <= 1:
            return True, None
        name, ok = QInputDialog.getItem(self, "选择图层", f"{path.name} 含有多个图层：", names, 0, False)
        return ok, name

    def open_layer_file(self, path: Path, source_layer: str | None = None) -> MapLayer | None:
        """Add a user's file as a layer; a clear Chinese message and no change if it fails."""
        try:
            if source_layer is None:
                ok, source_layer = self._choose_source_layer(path)
                if not ok:
                    return None
            layer = open_user_layer(path, source_layer)
        except CatalogError as exc:
            show_failure(self, "无法打开图层", f"无法打开图层文件 {path}。", exc)
            return None
        self.add_layer(layer)
        if layer.repairs:
            QMessageBox.information(self, "几何已修复", "\n".join(layer.repairs))
        self.statusBar().showMessage(f"已打开图层：{layer.spec.title}（{len(layer.gdf)} 个要素）", 8000)
        return layer

    def replace_layer_dialog(self, layer_id: str) -> None:
        path = open_file_name(self, "layer", "选择权威数据文件", LAYER_FILE_FILTER)
        if path is not None:
            self.replace_layer_file(layer_id, path)

    def replace_layer_file(self, layer_id: str, path: Path, source_layer: str | None = None) -> bool:
        """Replace a catalog layer's data by a file, keeping its id, title and style."""
        current = self.canvas.canvas_layer(layer_id)
        if current is None:
            return False
        try:
            if source_layer is None:
                ok, source_layer = self._choose_source_layer(path)
                if not ok:
                    return False
            layer = load_layer(override_layer(current.spec, path, source_layer))
        except CatalogError as exc:
            show_failure(self, "无法替换图层", f"无法用 {path} 替换图层“{current.spec.title}”。", exc)
            return False
        self.canvas.add_layer(layer, visible=current.visible)
        note = "；".join(layer.repairs)
        self.statusBar().showMessage(f"“{current.spec.title}”已由 {path.name} 替换。{note}", 10000)
        return True
