"""The parcel editing session: the open project, its undo stack, the parcel layer on the canvas.

``ParcelEditor`` is the one place the GUI changes parcels. Tools and dialogs push commands
(``ui.parcel_commands``); a command calls ``apply``, which writes one transaction to the
project's autosave journal and redraws the 候选地块 layer. ``install_parcel_editing(window)``
adds the 文件 / 编辑 / 工具 actions, the tool buttons and the parcel list to the main window.
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path

import geopandas as gpd
import shapely
from PySide6.QtCore import QObject, QStandardPaths, Signal

from suichang_gis.catalog import Style
from suichang_gis.parcel import FIELD_BY_NAME, parcels_frame
from suichang_gis.parcel_geometry import merge_parcels, repair_drawn, split_parcel
from suichang_gis.parcel_layer import PARCEL_LAYER_ID, parcel_layer
from suichang_gis.project import Project, ProjectLocked

from .background import BackgroundQueue
from .parcel_commands import AddParcelsCommand, DeleteParcelsCommand, EditParcelCommand, ReplaceParcelsCommand

SELECTION_STYLE = Style(fill="#00bfff30", stroke="#0077cc", stroke_width=2.4, marker="square", marker_size=7)
DEFAULT_PROJECT_NAME = "我的地块.gpkg"
BACKGROUND_ROWS = 2000  # edits with more rows than this run off the GUI thread; layers of more
# parcels than this are rebuilt for the map in the canvas's background queue, the window not waiting


def default_project_path() -> Path:
    """Where parcels live until the user saves a project elsewhere (the user's app data folder)."""
    folder = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))
    folder.mkdir(parents=True, exist_ok=True)
    return folder / DEFAULT_PROJECT_NAME


READ_ONLY, COPY = "read_only", "copy"


def copy_path_for(path: Path) -> Path:
    """Where "open as a copy" puts the copy: beside the project, or in the app data folder."""
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    name = f"{path.stem}（副本 {stamp}）.gpkg"
    return path.with_name(name) if os.access(path.parent, os.W_OK) else default_project_path().with_name(name)


def open_or_create(path: Path, ask_recover, ask_locked=None, run=None) -> tuple[Project, list[str]]:
    """Open ``path`` (create it when missing) and return the project and Chinese notes for the user.

    ``ask_recover(message) -> bool`` decides on recovering unsaved edits; ``ask_locked(ProjectLocked)
    -> READ_ONLY | COPY | None`` decides what to do when another window holds the project (None:
    raise ``ProjectLocked``). ``run(text, fn)`` runs the slow parts (reading, replaying) — off the GUI
    thread in the window; by default in line.
    """
    run = run or (lambda text, fn: fn())
    if not path.exists():
        return run(f"正在创建项目 {path.name} …", lambda: Project.create(path)), []
    try:
        project = run(f"正在打开项目 {path.name} …", lambda: Project.open(path))
    except ProjectLocked as exc:
        choice = ask_locked(exc) if ask_locked else None
        if choice == READ_ONLY:
            project = run(f"正在打开项目 {path.name} …", lambda: Project.open(path, read_only=True))
            return project, [f"{exc}\n已以只读方式打开：可以查看、核查和另存为，不能绘制或保存。"]
        if choice == COPY:
            target = copy_path_for(path)
            project = run(f"正在复制项目 {path.name} …", lambda: Project.open_copy(path, target))
            return project, [f"{exc}\n已打开副本 {target}，编辑保存在副本中，原项目不受影响。"]
        raise
    notes = list(project.notes)
    if project.recovery is not None:
        if ask_recover(project.recovery.message()):
            edits = run("正在恢复未保存的编辑 …", project.recover)
            notes.append(f"已恢复上次未保存的 {edits} 步编辑")
        else:
            project.discard_recovery()
            notes.append("已放弃上次未保存的编辑")
    return project, notes


class ParcelEditor(QObject):
    """Parcels of one project on one canvas, edited through one undo stack."""

    parcels_changed = Signal()
    selection_changed = Signal(object)  # fid or None
    message = Signal(str)  # a Chinese sentence for the status bar
    fault = Signal(str)  # autosave stopped: the Chinese reason (queued: shown after the edit is done)
    layer_fault = Signal(str)  # the parcel layer could not be rebuilt for the map: the Chinese reason

    def __init__(self, canvas, undo_stack, project: Project, parent=None):
        super().__init__(parent)
        self.canvas = canvas
        self.undo_stack = undo_stack
        self.project = project
        self.selected: int | None = None
        # run(text, fn) -> fn(): the window runs large edits off the GUI thread behind a progress dialog
        self.run = lambda text, fn: fn()
        # (parcels frame, changed=fids edited since the last call or None) -> ParcelResults that
        # colour the layer by check status (set by the check panel)
        self.status_source = None
        self._built = (None, 0)  # (project, its version) of the last layer build started
        self._sequence = 0  # counts builds started; only the latest one's layer is shown
        # The builds of large projects' layers, in order; owned by the canvas, not the editor, so
        # a window closed during a build waits for it and no callback reaches a deleted editor.
        self.builds = canvas.findChild(BackgroundQueue, "parcel_layer_builds")
        if self.builds is None:
            self.builds = BackgroundQueue(canvas)
            self.builds.setObjectName("parcel_layer_builds")
        self.refresh()

    # --- project --------------------------------------------------------------------------
    def set_project(self, project: Project) -> None:
        """Switch projects; the previous one keeps its journal until saved or discarded."""
        self.undo_stack.clear()
        self.project.close()
        self.project = project
        self.selected = None
        self.refresh(wait=True)  # opening waits behind its progress dialog until the map shows it

    def saved(self, report=None) -> None:
        """After a successful save: clean undo state, and show rows other programs added."""
        self.undo_stack.setClean()
        if report is not None and (report.loaded or report.removed):
            self.refresh()
        extra = report.message() if report is not None else ""
        self.message.emit(f"已保存项目 {self.project.path.name}" + (f"（{extra}）" if extra else ""))

    # --- the one way parcels change ----------------------------------------------------------
    def apply(self, upsert: gpd.GeoDataFrame | None = None, delete=()) -> None:
        """Apply an edit; if autosave fails now, the edit stays and ``fault`` tells why."""
        before = self.project.journal_fault
        size = (0 if upsert is None else len(upsert)) + len(delete)
        if size > BACKGROUND_ROWS:  # a bulk import, or its undo: the journal write takes seconds
            self.run(f"正在写入 {size} 个地块 …", lambda: self.project.apply(upsert=upsert, delete=delete))
        else:
            self.project.apply(upsert=upsert, delete=delete)
        if self.project.journal_fault and self.project.journal_fault != before:
            self.fault.emit(self.project.journal_fault)
        if self.selected is not None and self.selected not in self.project.parcels.index:
            self.selected = None
        self.refresh(wait=size > BACKGROUND_ROWS)  # a bulk edit waits, as for its journal write

    def push(self, command) -> None:
        """Run ``command`` and put it on the undo stack."""
        self.undo_stack.push(command)

    def refresh(self, wait: bool = False) -> None:
        """Redraw the parcel layer (its check colours worked out again for the parcels changed
        since the last refresh only), and tell ``parcels_changed``.

        The layer of more than ``BACKGROUND_ROWS`` parcels is built in the canvas's background
        queue while the window goes on (the selected parcel is drawn over the map at once); the
        builds run in order, each colouring the parcels changed since the one before, and only
        the latest one is shown. ``wait_for_refresh`` waits for it. With ``wait`` (a project
        opened, a bulk edit: the window waits behind a progress dialog anyway) it is built off
        the GUI thread and shown before this returns, so the work after it does not compete
        with the build for Python's GIL.
        """
        project = self.project
        changed = project.changed_since(self._built[1]) if self._built[0] is project else None
        parcels = project.parcels  # as of now: later edits come with later builds
        status_source, canvas = self.status_source, self.canvas

        def build():
            frame = gpd.GeoDataFrame(parcels.reset_index(), geometry=parcels.geometry.name, crs=parcels.crs)
            results = status_source(frame, changed=changed) if status_source else ()
            layer = parcel_layer(frame, results=results)
            return layer, canvas.prepare_layer(layer)

        self._built = (project, project.version)
        self._sequence += 1
        sequence = self._sequence
        large = len(parcels) > BACKGROUND_ROWS
        if large and not wait:
            # The render on its way draws the parcels as they were: give it up, so it does not
            # take the CPU from this build; the build's layer brings the next render.
            canvas.supersede_render()
            self.builds.submit(build, lambda built, error: self._show_layer(sequence, built, error))
        else:
            self.builds.wait()  # an earlier large build colours its parcels first
            built = self.run(f"正在更新 {len(parcels)} 个地块的显示 …", build) if large else build()
            self._show_layer(sequence, built, None)
        self._show_selection()
        self.parcels_changed.emit()

    @property
    def refreshing(self) -> bool:
        """Whether a build of the parcel layer is still on its way to the map."""
        return self.builds.pending

    def wait_for_refresh(self) -> None:
        """Block until the parcel layer shows the parcels as they are now."""
        self.builds.wait()

    def _show_layer(self, sequence: int, built, error) -> None:
        if error is not None:
            self.canvas.refresh()  # the render given up for this build: draw the map as it is
            self.layer_fault.emit(f"候选地块图层未能按最新编辑重绘（{type(error).__name__}：{error}）。"
                                  "地块数据完好，可继续编辑和保存；下一次编辑会再次重绘。")
            return
        if sequence == self._sequence:  # else a newer build follows
            layer, prepared = built
            self.canvas.add_layer(layer, prepared=prepared)

    def zoom_to_parcels(self) -> None:
        """Show every parcel of the project, at once: from the parcels, not from the layer on the
        map, which may still be on its way (``refresh``)."""
        parcels = self.project.parcels
        if len(parcels):
            self.canvas.zoom_to_features(parcels.total_bounds)

    # --- selection and hit testing --------------------------------------------------------
    def parcel_at(self, x: float, y: float, tolerance: float = 0.0) -> int | None:
        """The smallest parcel at (x, y), within ``tolerance`` metres of its edge."""
        parcels = self.project.parcels
        if parcels.empty:
            return None
        point = shapely.Point(x, y)
        hits = parcels[parcels.geometry.distance(point) <= tolerance]
        return None if hits.empty else int(hits.geometry.area.idxmin())

    def select(self, fid: int | None) -> None:
        self.selected = fid
        self._show_selection()
        self.selection_changed.emit(fid)

    def _show_selection(self) -> None:
        if self.selected is None or self.selected not in self.project.parcels.index:
            self.canvas.clear_overlay("parcel_selection")
            return
        geometry = self.project.parcels.geometry[self.selected]
        points = shapely.points(shapely.get_coordinates(geometry))
        self.canvas.set_overlay("parcel_selection", [geometry, *points], SELECTION_STYLE)

    def geometry(self, fid: int):
        return self.project.parcels.geometry[fid]

    # --- edits the tools ask for ----------------------------------------------------------------
    def add_polygon(self, polygon, text: str = "绘制地块") -> int | None:
        polygon, note = repair_drawn(polygon)
        if polygon.is_empty or polygon.area <= 0:
            self.message.emit("地块面积为 0，未添加")
            return None
        command = AddParcelsCommand(self, parcels_frame([polygon]), text)
        fid = self.selected = command.new_fids[0]  # selected as it appears: shown and checked once
        self.push(command)
        self.select(fid)
        self.message.emit(note or f"已添加地块 {self.project.parcels.loc[fid, 'parcel_id']}")
        return fid

    def set_geometry(self, fid: int, geometry, text: str = "编辑地块边界") -> None:
        geometry, note = repair_drawn(geometry)
        self.push(EditParcelCommand(self, fid, geometry=geometry, text=text))
        if note:
            self.message.emit(note)

    def set_values(self, fid: int, values: dict) -> None:
        if values:
            labels = "、".join(FIELD_BY_NAME[k].label if k in FIELD_BY_NAME else k for k in values
                              if k != "industry_name")
            self.push(EditParcelCommand(self, fid, values=values, text=f"修改属性（{labels}）"))

    def delete(self, fids) -> None:
        fids = list(fids)
        if fids:
            self.push(DeleteParcelsCommand(self, fids))

    def split(self, fid: int, line) -> list[int]:
        try:
            pieces = split_parcel(self.geometry(fid), line)
        except ValueError as exc:
            self.message.emit(str(exc))
            return []
        row = self.project.parcels.loc[[fid]]
        base = row["parcel_id"].iloc[0]
        frame = gpd.GeoDataFrame(row.loc[row.index.repeat(len(pieces))].reset_index(drop=True),
                                 geometry=list(pieces), crs=row.crs)
        frame["parcel_id"] = [f"{base}-{i}" for i in range(1, len(pieces) + 1)]
        command = ReplaceParcelsCommand(self, [fid], frame, "分割地块")
        self.push(command)
        self.message.emit(f"地块 {base} 已分割为 {len(pieces)} 块")
        return command.new_fids

    def merge(self, fids) -> int | None:
        fids = list(dict.fromkeys(fids))
        if len(fids) < 2:
            return None
        merged, note = merge_parcels(self.geometry(f) for f in fids)
        row = self.project.parcels.loc[[fids[0]]].reset_index(drop=True)  # attributes of the first
        frame = gpd.GeoDataFrame(row, geometry=[merged], crs=self.project.parcels.crs)
        command = ReplaceParcelsCommand(self, fids, frame, "合并地块")
        self.push(command)
        self.select(command.new_fids[0])
        self.message.emit(note or f"已合并 {len(fids)} 个地块，属性沿用第一个地块")
        return command.new_fids[0]

    def add_imported(self, parcels: gpd.GeoDataFrame, source: str) -> list[int]:
        rows = self.run(f"正在准备 {len(parcels)} 个地块 …", lambda: self.project.prepare_new(parcels))
        command = AddParcelsCommand(self, rows, f"导入 {source}", prepared=True)
        self.push(command)
        return command.new_fids

    @property
    def layer_id(self) -> str:
        return PARCEL_LAYER_ID
