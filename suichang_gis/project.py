"""The project file: one GeoPackage holding the parcels, layer choices and check history.

Layers in the file (all ordinary GeoPackage content, so QGIS opens and edits them):

- ``parcels``: the candidate parcels (MultiPolygon, EPSG:4549, fid = the stable parcel key);
- ``layer_settings``: per catalog layer id, the map choices ``map_model.MapModel.layer_settings()``
  gives (visible, opacity, order) as JSON;
- ``check_history``: one row per check run (time, rule set, parcels, summary JSON);
- ``project_info``: format version, the id of the last save and ``last_parcel_number``, the
  parcel id counter (``suichang_gis.parcel.parcel_number``: a number is never given twice).

No work is lost:

- **One writer.** Opening takes a lock beside the file (``project_lock``); a second opener gets
  ``ProjectLockedError`` naming the holder and may open read-only or a copy instead.
- **Crashes.** Every edit is committed at once to the autosave journal (``project_journal``);
  the next open offers the edits made since the last save through ``recovery``. The journal
  file is made when the project opens and emptied at each save (removed when the project closes
  with nothing unsaved), so no edit waits for it to be created.
- **Other programs.** ``save`` writes only the rows changed since the last save, in one SQLite
  transaction (``project_store``), after comparing the file with what was last read: rows other
  programs inserted, changed or deleted are taken into the window, and a parcel changed on both
  sides is a ``Conflict`` the caller resolves (keep mine / keep theirs / keep both).
- **Faults.** A journal that cannot be written keeps the edit in memory and sets
  ``journal_fault``; a failed save raises ``ProjectError`` saying what failed and leaves the file
  as it was. The messages are Chinese.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from .crs import WORK_CRS
from .parcel import PARCEL_FIELDS, conform_parcels, format_parcel_id, parcel_number, parcels_frame
from .project_journal import Journal, JournalFault, Recovery, check_journal, journal_path, now, other_row, upsert_rows
from .project_lock import ProjectLock, ProjectLockedError, is_stale, read_holder
from .project_store import ParcelStore
from .write_errors import describe_write_error

FORMAT_VERSION = "1"
PARCEL_LAYER = "parcels"
SETTINGS_LAYER = "layer_settings"
HISTORY_LAYER = "check_history"
INFO_LAYER = "project_info"
HISTORY_COLUMNS = ["run_at", "rule_set", "parcel_ids", "summary"]
KEEP_MINE, KEEP_THEIRS, KEEP_BOTH = "mine", "theirs", "both"
_COPY_ON_WRITE = int(pd.__version__.split(".")[0]) >= 3 or pd.get_option("mode.copy_on_write") is True
STILL_IN_WINDOW = "编辑仍在窗口中，没有丢失；可以用“另存为”保存到其他位置。"

__all__ = [
    "KEEP_BOTH",
    "KEEP_MINE",
    "KEEP_THEIRS",
    "Conflict",
    "Project",
    "ProjectError",
    "ProjectLocked",
    "Recovery",
    "SaveConflicts",
    "SaveReport",
]


class ProjectError(ValueError):
    """A project file that cannot be opened or saved; the message is Chinese."""


class ProjectLocked(ProjectError):
    """Another window or planner holds the project; ``holder`` says who (``LockHolder``)."""

    def __init__(self, path: Path, holder):
        super().__init__(f"项目 {Path(path).name} 正由{holder.describe()}打开编辑。"
                         "可以只读打开，或打开它的副本继续编辑。")
        self.path = Path(path)
        self.holder = holder


@dataclass(frozen=True)
class Conflict:
    """A parcel changed both in this window and by another program since the last save.

    ``mine``/``theirs`` are one-row GeoDataFrames, or None where that side deleted the parcel.
    """

    fid: int
    parcel_id: str
    mine: gpd.GeoDataFrame | None
    theirs: gpd.GeoDataFrame | None

    def message(self) -> str:
        """The conflict in one Chinese line: the parcel and what each side did."""
        mine = "已删除" if self.mine is None else "已修改"
        theirs = "已删除" if self.theirs is None else "已修改"
        return f"地块 {self.parcel_id}：本窗口{mine}，其他程序{theirs}"


class SaveConflicts(ProjectError):
    """Nothing was saved: these parcels need a choice; call ``save(resolve={fid: KEEP_…})``."""

    def __init__(self, conflicts: list[Conflict]):
        super().__init__("以下地块在本窗口和其他程序中都被修改了，请选择保留哪一份：\n"
                         + "\n".join(c.message() for c in conflicts))
        self.conflicts = conflicts


@dataclass
class SaveReport:
    """What a save did besides writing this window's edits: rows taken from other programs."""

    loaded: list[int] = field(default_factory=list)  # fids inserted or changed by others, now in the window
    removed: list[int] = field(default_factory=list)  # fids others deleted, gone from the window
    moved: dict[int, int] = field(default_factory=dict)  # others' rows given a new fid (theirs → new)
    resolved: dict[int, str] = field(default_factory=dict)

    def message(self) -> str:
        """What the save took from other programs, in Chinese (empty when nothing)."""
        parts = []
        if self.loaded:
            parts.append(f"载入其他程序新增或修改的 {len(self.loaded)} 个地块")
        if self.removed:
            parts.append(f"移除其他程序已删除的 {len(self.removed)} 个地块")
        if self.moved:
            parts.append(f"其他程序新增的 {len(self.moved)} 个地块与本窗口新画的地块编号相同，已改用新编号保存")
        if self.resolved:
            parts.append(f"按您的选择处理了 {len(self.resolved)} 处冲突")
        return "；".join(parts)


def _single(geometries: np.ndarray) -> np.ndarray:
    """One-part MultiPolygons as Polygons (what the window draws), vectorised."""
    geometries = np.asarray(geometries, dtype=object)
    one = (shapely.get_type_id(geometries) == 6) & (shapely.get_num_geometries(geometries) == 1)
    out = geometries.copy()
    out[one] = shapely.get_geometry(geometries[one], 0)
    return out


def _multi(geometries: np.ndarray) -> np.ndarray:
    geometries = np.asarray(geometries, dtype=object)
    polygon = shapely.get_type_id(geometries) == 3
    out = geometries.copy()
    out[polygon] = shapely.multipolygons(geometries[polygon].reshape(-1, 1)) if polygon.any() else out[polygon]
    return out


def _conformed(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame = conform_parcels(frame)
    return frame.set_geometry(gpd.GeoSeries(_single(frame.geometry.array), index=frame.index, crs=WORK_CRS))


def _release(lock, store, journal) -> None:
    """Finaliser: a Project nobody references any more lets go of its files."""
    for close in (journal.close if journal else None, store.close if store else None,
                  lock.release if lock else None):
        if close is not None:
            try:
                close()
            except Exception:
                pass


class Project:
    """A parcel project backed by one GeoPackage; see the module docstring."""

    def __init__(self, path: Path, parcels: gpd.GeoDataFrame, settings: dict[str, dict], history: pd.DataFrame,
                 save_id: str, store: ParcelStore | None, digests: dict[int, int], lock: ProjectLock | None,
                 read_only: bool = False):
        self.path = Path(path)
        self._parcels = parcels
        self.layer_settings = settings
        self._history = history
        self._save_id = save_id
        self._store = store
        self._base = digests  # fid → digest of the row on disk when last read or saved
        self._data_version = store.data_version() if store else 0
        self._touched: set[int] = set()  # fids this window changed since the last save
        self.version = 0  # counts changes of the parcels in memory (see changed_since)
        self._edits: list[tuple[int, list[int]]] = []  # (version, the fids it changed), oldest first
        self._whole_change = 0  # the last version that may have changed any parcel
        self._settings_changed = False
        self._saved_history = len(history)
        self._lock = lock
        self._journal = Journal(self.path)
        self.read_only = read_only
        self.last_parcel_number = 0  # the highest number the id rule ever gave in this project
        self._count_parcel_ids(parcels["parcel_id"])
        self.recovery: Recovery | None = None
        self.journal_fault: str | None = None  # set when autosave stopped; cleared by a save
        self.notes: list[str] = []  # Chinese notes from opening (damaged journal moved aside, lock taken over)
        self.dirty = False
        self._finalizer = weakref.finalize(self, _release, lock, store, self._journal)

    # --- opening and creating -------------------------------------------------------------
    @classmethod
    def create(cls, path, parcels: gpd.GeoDataFrame | None = None) -> Project:
        """Write a new project file and open it.

        Raises ``ProjectError`` (Chinese) when ``path`` exists, its folder is missing (a moved
        folder, a disconnected drive) or the file cannot be written.
        """
        path = Path(path)
        if path.exists():
            raise ProjectError(f"{path.name} 已存在，不会覆盖")
        if not path.parent.is_dir():
            raise ProjectError(f"无法创建项目 {path}：文件夹 {path.parent} 不存在（可能已移走、删除或驱动器已断开）")
        frame = parcels_frame() if parcels is None else conform_parcels(parcels)
        frame = frame.reset_index(drop=True)
        frame.index = pd.RangeIndex(1, len(frame) + 1, name="fid")
        history = pd.DataFrame(columns=HISTORY_COLUMNS)
        try:
            _write_file(path, frame, {}, history, uuid.uuid4().hex)
        except Exception as exc:  # OSError, sqlite3 and pyogrio errors alike
            raise ProjectError(f"无法创建项目 {path}：{describe_write_error(exc)}") from exc
        return cls.open(path)

    @classmethod
    def open(cls, path, read_only: bool = False) -> Project:
        """Open a project for editing (taking its lock) or ``read_only`` (no lock, no journal).

        Raises ``ProjectLocked`` when another live window holds it, ``ProjectError`` for a missing
        or damaged file. ``recovery`` is set when its journal holds unsaved edits; ``notes`` says
        what else the user should know (a damaged journal moved aside, a stale lock taken over,
        a folder where nothing can be written).
        """
        path = Path(path)
        if not path.exists():
            raise ProjectError(f"找不到项目文件 {path}")
        notes: list[str] = []
        lock = None
        if not read_only:
            try:
                lock = ProjectLock.acquire(path)
            except ProjectLockedError as exc:
                raise ProjectLocked(path, exc.holder) from None
            except OSError as exc:
                notes.append(f"无法在项目所在文件夹创建锁文件（{describe_write_error(exc)}）：编辑不能自动保存，"
                             "也不能保存回原文件；请用“另存为”保存到可写的位置。")
            if lock is not None and lock.took_over is not None:
                notes.append(f"上次打开此项目的{lock.took_over.describe()}已不在运行，已接管它留下的锁。")
        try:
            project = cls._read(path, lock, read_only)
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        project.notes = notes
        if read_only:
            project.recovery = _peek_recovery(path, project._save_id)
        else:
            damaged = check_journal(path)
            if damaged:
                notes.append(damaged)
            try:
                project.recovery = project._journal.pending(project._save_id)
                if project.recovery is None and lock is not None:
                    project._journal.start(project._save_id)
            except (sqlite3.Error, OSError) as exc:
                notes.append(f"无法读取自动保存文件 {journal_path(path).name}（{describe_write_error(exc)}），"
                             "其中的编辑未能恢复；项目以上次保存的内容打开。")
                project._journal.close()
        return project

    @classmethod
    def _read(cls, path: Path, lock, read_only: bool) -> Project:
        try:
            store = ParcelStore(path, PARCEL_LAYER)
        except (sqlite3.Error, OSError) as exc:
            try:
                layers = {str(name) for name, _ in pyogrio.list_layers(path)}
            except Exception:
                layers = set()
            if layers and PARCEL_LAYER not in layers:
                raise ProjectError(f"{path.name} 不是本软件的项目文件：没有“{PARCEL_LAYER}”图层") from exc
            raise ProjectError(f"无法打开项目 {path.name}：文件损坏、不是 GeoPackage 或无法读取"
                               f"（{describe_write_error(exc)}）") from exc
        try:
            crs = store.crs()
            if crs not in (None, WORK_CRS):
                raise ProjectError(f"{path.name} 的地块图层坐标系是 {crs}，本软件的项目应为 {WORK_CRS}")
            parcels, digests = store.read()
            info = _read_attributes(store, INFO_LAYER)
            settings = _read_attributes(store, SETTINGS_LAYER)
            history = _read_attributes(store, HISTORY_LAYER)
        except ProjectError:
            store.close()
            raise
        except Exception as exc:
            store.close()
            raise ProjectError(f"无法打开项目 {path.name}：文件损坏或无法读取（{describe_write_error(exc)}）") from exc
        parcels = _conformed(parcels)
        info_map = dict(zip(info.get("key", []), info.get("value", [])))
        if int(info_map.get("format_version", FORMAT_VERSION)) > int(FORMAT_VERSION):
            store.close()
            raise ProjectError(f"{path.name} 由更新版本的软件保存（格式 {info_map['format_version']}），请升级后打开")
        settings_map = {row.layer_id: json.loads(row.settings) for row in settings.itertuples()} if len(settings) else {}
        history = history[HISTORY_COLUMNS] if len(history) else pd.DataFrame(columns=HISTORY_COLUMNS)
        project = cls(path, parcels, settings_map, history.reset_index(drop=True), info_map.get("save_id", ""),
                      store, digests, lock, read_only)
        project._count_parcel_ids([format_parcel_id(int(info_map.get("last_parcel_number", 0) or 0))])
        return project

    @classmethod
    def open_copy(cls, path, copy_path) -> Project:
        """Copy a (possibly locked) project to ``copy_path`` with SQLite's backup API and open the copy."""
        path, copy_path = Path(path), Path(copy_path)
        if copy_path.exists():
            raise ProjectError(f"{copy_path.name} 已存在，不会覆盖")
        try:
            source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            target = sqlite3.connect(copy_path)
            try:
                source.backup(target)  # a consistent snapshot even while the holder saves
            finally:
                target.close()
                source.close()
        except (sqlite3.Error, OSError) as exc:
            copy_path.unlink(missing_ok=True)
            raise ProjectError(f"无法复制项目 {path.name} 到 {copy_path}：{describe_write_error(exc)}") from exc
        return cls.open(copy_path)

    # --- reading ----------------------------------------------------------------------------
    @property
    def parcels(self) -> gpd.GeoDataFrame:
        """The parcels (a copy), indexed by fid.

        A shallow copy where pandas copies on write (always from pandas 3), so changing it never
        changes the project and a 50,000-parcel frame is not duplicated at every read.
        """
        return self._parcels.copy(deep=not _COPY_ON_WRITE)

    def parcel(self, fid: int) -> pd.Series:
        """One parcel (a copy) by its fid; raises KeyError for an unknown fid."""
        return self._parcels.loc[fid].copy()

    def changed_since(self, version: int) -> set[int] | None:
        """The fids added, changed or deleted in memory after ``version`` (a past value of
        ``version``), so a view of the parcels redoes only those; None when any parcel may have
        changed since (rows another program wrote taken in at a save, recovered edits).
        """
        if version < self._whole_change:
            return None
        changed: set[int] = set()
        for at, fids in reversed(self._edits):  # the latest edits only, not every fid ever changed
            if at <= version:
                break
            changed.update(fids)
        return changed

    def _changed(self, fids=None) -> None:
        """Count a change of the parcels in memory: of ``fids``, or of any parcel when None."""
        self.version += 1
        if fids is None:
            self._whole_change = self.version
            self._edits.clear()
        else:
            self._edits.append((self.version, [int(f) for f in fids]))

    @property
    def check_history(self) -> pd.DataFrame:
        """The check runs kept in the project (a copy): time, rule set, parcels, summary JSON."""
        return self._history.copy()

    @property
    def journal_path(self) -> Path:
        """The autosave journal beside the project file (``项目.gpkg.autosave``)."""
        return self._journal.path

    @property
    def lock_holder(self):
        """Who holds the lock now (``LockHolder``), None if nobody; for a read-only window's title."""
        holder = read_holder(self.path)
        return None if is_stale(holder) else holder

    # --- editing: each call is one journal transaction -------------------------------------
    def _count_parcel_ids(self, ids) -> None:
        numbers = [n for n in map(parcel_number, ids) if n is not None]
        if numbers:
            self.last_parcel_number = max(self.last_parcel_number, max(numbers))

    def prepare_new(self, gdf: gpd.GeoDataFrame, replacing=()) -> gpd.GeoDataFrame:
        """New parcels conformed, with fresh fids and parcel ids unique in the project.

        A missing id, one already used in the project (or earlier in ``gdf``), or a ``P###`` whose
        number the counter gave before (to a parcel since deleted, too) gets the next number of
        the project's counter (``P###`` after ``last_parcel_number``). The ids of the fids in
        ``replacing`` (the parcels a split or a merge removes in the same edit) count as free, so
        a merge keeps the first parcel's id and split pieces keep theirs (P002-1, P002-2).
        Nothing is stored: pass the result to ``apply``, which advances the counter. Undo
        commands keep it, so a redo brings back the same fids and ids. Fids start above every fid in the window and in the
        file as last read, so a new parcel never takes the key of a row another program wrote.
        """
        ids = gdf["parcel_id"] if "parcel_id" in gdf.columns else pd.Series([None] * len(gdf), index=gdf.index)
        missing = (ids.isna() | (ids.astype(str).str.strip() == "")).to_numpy().copy()
        new = conform_parcels(gdf).reset_index(drop=True)
        replaced = self._parcels.loc[[f for f in replacing if f in self._parcels.index], "parcel_id"]
        existing = self._parcels["parcel_id"]

        def in_use(candidates) -> set[str]:
            """Those of ``candidates`` a parcel of the project has (one being replaced aside):
            looked up for the ids at hand, not a set of 50,000 ids made at every edit.
            """
            return set(existing[existing.isin(candidates)].tolist()) - set(replaced)

        taken = in_use(new["parcel_id"].tolist())
        replaced_numbers = {parcel_number(v) for v in replaced}
        seen: set[str] = set()
        for i, value in enumerate(new["parcel_id"]):
            number = parcel_number(value)  # a number given before, to a parcel not being replaced
            retired = number is not None and number <= self.last_parcel_number and number not in replaced_numbers
            if not missing[i] and (value in taken or value in seen or retired):
                missing[i] = True
            seen.add(value)
        taken |= {v for i, v in enumerate(new["parcel_id"]) if not missing[i]}
        kept = [n for i, v in enumerate(new["parcel_id"]) if not missing[i] and (n := parcel_number(v)) is not None]
        number = max([self.last_parcel_number, *kept])
        todo = np.flatnonzero(missing)
        looked_up = number  # the ids of the numbers up to here are in ``taken`` if a parcel has them
        given = []
        for _ in todo:
            number += 1
            while True:
                if number > looked_up:  # the project's ids among the next numbers, in one lookup
                    batch = range(number, number + len(todo) + 64)
                    taken |= in_use([format_parcel_id(n) for n in batch])
                    looked_up = batch[-1]
                if format_parcel_id(number) not in taken:
                    break
                number += 1
            given.append(format_parcel_id(number))
            taken.add(given[-1])
        if given:
            new.loc[todo, "parcel_id"] = given
        start = max(int(self._parcels.index.max()) if len(self._parcels) else 0, max(self._base, default=0)) + 1
        new.index = pd.RangeIndex(start, start + len(new), name="fid")
        return new

    def apply(self, upsert: gpd.GeoDataFrame | None = None, delete=()) -> None:
        """Delete the fids ``delete``, then write the rows of ``upsert`` (indexed by fid), as one edit.

        Every edit the GUI makes (and undoes) is one call of this. The edit is journaled first;
        if the journal cannot be written the edit still happens in memory and ``journal_fault``
        says why (autosave then stays off until the next successful save, so the journal keeps
        a consistent prefix of the edits). Raises ``ProjectError`` for a read-only project.
        """
        if self.read_only:
            raise ProjectError(f"项目 {self.path.name} 以只读方式打开，不能编辑")
        delete = [fid for fid in delete if fid in self._parcels.index]
        rows = _conformed(upsert) if upsert is not None and len(upsert) else None
        geometry_name = self._parcels.geometry.name
        if rows is not None and rows.geometry.name != geometry_name:
            rows = rows.rename_geometry(geometry_name)
        journal = [other_row(0, "delete", fid, None) for fid in delete] + upsert_rows(0, rows, geometry_name)
        self._journal_write(journal)
        if rows is not None:
            self._count_parcel_ids(rows["parcel_id"])
        kept = self._parcels.drop(index=delete) if delete else self._parcels  # a drop copies 50,000 rows
        if rows is not None:
            replaced = rows.index[rows.index.isin(kept.index)]
            kept = pd.concat([kept.drop(index=replaced) if len(replaced) else kept, rows])
            kept = gpd.GeoDataFrame(kept, geometry=geometry_name, crs=WORK_CRS)
            if not kept.index.is_monotonic_increasing:  # new parcels come with the highest fids
                kept = kept.sort_index()
            kept.index.name = "fid"
        self._parcels = kept
        self._changed([*delete, *([] if rows is None else rows.index)])
        self._touched.update(int(f) for f in delete)
        if rows is not None:
            self._touched.update(int(f) for f in rows.index)

    def _journal_write(self, rows: list[tuple]) -> None:
        if self.recovery is not None:  # editing on top of the saved state abandons the old edits
            self.discard_recovery()
        if self.journal_fault is None and self._lock is not None:
            try:
                self._journal.write(rows, self._save_id)
            except JournalFault as exc:
                self.journal_fault = (f"{exc}。这一步编辑仍在窗口中，可以撤销；此后的编辑不再自动保存，"
                                      "程序意外退出会丢失它们。请保存，或用“另存为”保存到其他位置。")
                self._journal.close()
        elif self.journal_fault is None:
            self.journal_fault = (f"项目 {self.path.name} 所在的文件夹不能写入，编辑只在窗口中，不能自动保存。"
                                  "请用“另存为”保存到可写的位置。")
        self.dirty = True

    def add_parcels(self, gdf: gpd.GeoDataFrame) -> list[int]:
        """Add parcels (one edit, all or nothing); returns their fids."""
        rows = self.prepare_new(gdf)
        self.apply(upsert=rows)
        return list(rows.index)

    def add_parcel(self, geometry, **attributes) -> int:
        """Add one parcel (geometry in EPSG:4549, attributes by field name); returns its fid."""
        return self.add_parcels(parcels_frame([geometry], **{k: [v] for k, v in attributes.items()}))[0]

    def update_parcel(self, fid: int, geometry=None, **attributes) -> None:
        """Change a parcel's geometry and/or attributes (one edit)."""
        if fid not in self._parcels.index:
            raise KeyError(f"没有编号为 {fid} 的地块")
        row = self._parcels.loc[[fid]].copy()
        if geometry is not None:
            row = row.set_geometry([geometry], crs=WORK_CRS)
        for key, value in attributes.items():
            row[key] = [value]
        self.apply(upsert=row)

    def delete_parcels(self, fids) -> None:
        """Delete the parcels ``fids`` (one edit; unknown fids are ignored)."""
        self.apply(delete=list(fids))

    def replace_parcels(self, removed, added: gpd.GeoDataFrame) -> list[int]:
        """Delete ``removed`` and add ``added`` as one edit (split, merge)."""
        rows = self.prepare_new(added, replacing=list(removed))
        self.apply(upsert=rows, delete=list(removed))
        return list(rows.index)

    def set_layer_settings(self, layer_id: str, **values) -> None:
        """Remember a user's choice for a catalog layer (visible, opacity, style …)."""
        if self.read_only:
            return  # a read-only window may still toggle layers; nothing is kept
        merged = self.layer_settings.get(layer_id, {}) | values
        self._journal_write([other_row(0, "settings", None, {"layer_id": layer_id, "settings": merged})])
        self.layer_settings[layer_id] = merged
        self._settings_changed = True

    def record_check(self, summary: dict, rule_set: str = "", parcel_ids=()) -> None:
        """Append one check run to the history."""
        entry = {"run_at": now(), "rule_set": rule_set, "parcel_ids": ",".join(map(str, parcel_ids)),
                 "summary": json.dumps(summary, ensure_ascii=False, default=str)}
        if not self.read_only:
            self._journal_write([other_row(0, "check", None, entry)])
        self._history = pd.concat([self._history, pd.DataFrame([entry])], ignore_index=True)

    # --- saving -------------------------------------------------------------------------------
    def save(self, resolve: dict[int, str] | None = None) -> SaveReport:
        """Apply this window's edits since the last save to the file, in one SQLite transaction.

        Rows other programs changed meanwhile are taken into the window (``SaveReport``). A
        parcel changed on both sides raises ``SaveConflicts`` (nothing written) unless
        ``resolve`` maps its fid to ``KEEP_MINE``, ``KEEP_THEIRS`` or ``KEEP_BOTH`` (theirs gets a
        new fid). Any failure raises ``ProjectError`` (Chinese: what failed, and that the edits
        are still in the window); the file is then as before and the journal still holds the edits.
        """
        if self.read_only:
            raise ProjectError(f"项目 {self.path.name} 以只读方式打开，不能保存；请用“另存为”保存一份副本。")
        if self._store is None or self._lock is None:
            raise ProjectError(f"无法保存项目 {self.path.name}：所在文件夹不能写入（无法创建锁文件）。{STILL_IN_WINDOW}")
        if not self._lock.still_ours():
            holder = read_holder(self.path)
            who = holder.describe() if holder else "其他程序"
            raise ProjectError(f"无法保存项目 {self.path.name}：它的锁已被{who}接管或删除。{STILL_IN_WINDOW}")
        save_id = uuid.uuid4().hex
        try:
            if self._store.replaced():  # the file was replaced by another program: compare with the new one
                self._store.close()
                self._store = ParcelStore(self.path, PARCEL_LAYER)
                self._data_version = -1
            with self._store.transaction() as store:
                report, merged, digests = self._apply_to_file(store, resolve or {}, save_id)
                data_version = store.data_version()
        except SaveConflicts:
            raise
        except Exception as exc:  # sqlite3, OSError, anything: the transaction rolled back
            raise ProjectError(f"无法保存项目 {self.path.name}：{describe_write_error(exc)}。{STILL_IN_WINDOW}") from exc
        if report.loaded or report.removed:  # rows of other programs taken in or dropped
            self._changed()
        self._parcels = merged
        self._count_parcel_ids(merged.loc[report.loaded, "parcel_id"])  # ids other programs gave count too
        self._base = digests
        self._data_version = data_version
        self._saved(save_id)
        return report

    def _apply_to_file(self, store: ParcelStore, resolve: dict[int, str], save_id: str):
        """Inside the save transaction: compare, write, and return (report, new parcels, digests)."""
        report = SaveReport()
        base = self._base
        # data_version changes only when another connection committed: no need to compare then.
        disk = store.digests() if store.data_version() != self._data_version else dict(base)
        mine = self._parcels
        in_window = set(mine.index.tolist())  # set lookups: a large import touches 50,000 fids
        # Parcels drawn and deleted again since the last save were never in the file: not edits.
        touched = {f for f in self._touched if f in base or f in in_window}
        outside_new = [f for f in disk if f not in base]
        outside_changed = {f for f in base if f in disk and disk[f] != base[f]}
        outside_gone = {f for f in base if f not in disk}
        collisions = [f for f in outside_new if f in touched and f in in_window]
        conflicts = sorted(f for f in touched & (outside_changed | outside_gone)
                           if not (f in outside_gone and f not in in_window))
        theirs_rows, _ = store.read(list(outside_new) + sorted(outside_changed)) if (outside_new or outside_changed) \
            else (None, {})
        theirs_rows = _conformed(theirs_rows) if theirs_rows is not None else None
        unresolved = [f for f in conflicts if resolve.get(f) not in (KEEP_MINE, KEEP_THEIRS, KEEP_BOTH)]
        if unresolved:
            raise SaveConflicts([Conflict(
                f, str(mine.loc[f, "parcel_id"] if f in mine.index else theirs_rows.loc[f, "parcel_id"]),
                mine.loc[[f]] if f in mine.index else None,
                theirs_rows.loc[[f]] if theirs_rows is not None and f in theirs_rows.index else None)
                for f in unresolved])
        next_fid = max(store.max_fid(), int(mine.index.max()) if len(mine) else 0) + 1
        moves: dict[int, int] = {}
        for f in collisions + [f for f in conflicts if resolve[f] == KEEP_BOTH
                               and f in in_window and f in outside_changed]:
            moves[f] = next_fid
            next_fid += 1
        for old, new in moves.items():
            store.move(old, new)
        report.moved = {old: new for old, new in moves.items() if old in collisions}
        report.resolved = {f: resolve[f] for f in conflicts}
        theirs_wins = {f for f in conflicts if resolve[f] == KEEP_THEIRS
                       or (resolve[f] == KEEP_BOTH and f not in in_window)}
        # This window's edits: every touched fid except those where the other program's row wins.
        write = [f for f in touched if f not in theirs_wins]
        now_on_disk = (set(disk) - set(moves)) | set(moves.values())
        upserts = mine.loc[[f for f in write if f in in_window]]
        out = upserts.set_geometry(gpd.GeoSeries(_multi(upserts.geometry.array), index=upserts.index, crs=WORK_CRS))
        on_disk = out.index.isin(list(now_on_disk))
        store.update(out.loc[on_disk])
        store.insert(out.loc[~on_disk])
        store.delete([f for f in write if f not in in_window and f in base and f in now_on_disk])
        self._write_tables(store, save_id)
        # What the window shows afterwards: its own rows plus the other program's rows.
        merged = mine
        taken = []
        if theirs_rows is not None:
            incoming = theirs_rows.rename(index=moves)
            keep_theirs = [moves.get(f, f) for f in theirs_rows.index
                           if f not in touched or f in moves or f in theirs_wins]
            taken = incoming.loc[keep_theirs]
        dropped = [f for f in outside_gone if f not in touched or f in theirs_wins]
        merged = merged.drop(index=[f for f in dropped if f in merged.index])
        if len(taken):
            merged = merged.drop(index=[f for f in taken.index if f in merged.index])
            taken = taken.rename_geometry(merged.geometry.name) if taken.geometry.name != merged.geometry.name else taken
            merged = gpd.GeoDataFrame(pd.concat([merged, taken[merged.columns.intersection(taken.columns)]]),
                                      geometry=merged.geometry.name, crs=WORK_CRS).sort_index()
            merged = _conformed(merged)
        merged.index.name = "fid"
        store.touch_contents(merged.total_bounds)  # the window now shows what the file holds
        report.loaded = sorted(int(f) for f in (taken.index if len(taken) else []))
        report.removed = sorted(int(f) for f in dropped if f in in_window)
        digests = dict(disk)
        for f in moves:
            digests.pop(f, None)
        for f in write:
            digests.pop(f, None)
        digests.update(store.digests(list(moves.values()) + write))
        return report, merged, digests

    def _write_tables(self, store: ParcelStore, save_id: str) -> None:
        if self._settings_changed:
            store.replace_attributes(SETTINGS_LAYER, ["layer_id", "settings"],
                                     [(k, json.dumps(v, ensure_ascii=False)) for k, v in self.layer_settings.items()])
        new_history = self._history.iloc[self._saved_history:]
        if len(new_history):
            store.replace_attributes(HISTORY_LAYER, HISTORY_COLUMNS,
                                     [tuple(str(v) for v in row) for row in new_history[HISTORY_COLUMNS].itertuples(index=False)],
                                     append=True)
        store.replace_attributes(INFO_LAYER, ["key", "value"],
                                 [("format_version", FORMAT_VERSION), ("save_id", save_id), ("saved_at", now()),
                                  ("last_parcel_number", str(self.last_parcel_number))])

    def _saved(self, save_id: str) -> None:
        self._save_id = save_id
        self._touched = set()
        self._settings_changed = False
        self._saved_history = len(self._history)
        if self._lock is not None:
            self._journal.start(save_id)  # emptied: the edits are in the file now
        else:
            self._journal.close(delete=True)
        self.journal_fault = None
        self.recovery = None
        self.dirty = False

    def save_as(self, path) -> None:
        """Write the whole project to a new file, which becomes this project (locked, editable).

        The old file stays as last saved and its lock is released. Raises ``ProjectError``; a
        partial file is removed and this project is unchanged.
        """
        path = Path(path)
        if path.resolve() == self.path.resolve() and not self.read_only:
            self.save()
            return
        try:
            lock = ProjectLock.acquire(path)
        except ProjectLockedError as exc:
            raise ProjectLocked(path, exc.holder) from None
        except OSError as exc:
            raise ProjectError(f"无法保存到 {path}：{describe_write_error(exc)}。{STILL_IN_WINDOW}") from exc
        save_id = uuid.uuid4().hex
        try:
            _write_file(path, self._parcels, self.layer_settings, self._history, save_id, replace=True,
                        last_parcel_number=self.last_parcel_number)
            store = ParcelStore(path, PARCEL_LAYER)
            digests = store.digests()
        except Exception as exc:
            lock.release()
            raise ProjectError(f"无法保存到 {path}：{describe_write_error(exc)}。{STILL_IN_WINDOW}") from exc
        self._finalizer.detach()
        old_journal = self._journal
        _release(self._lock, self._store, None)
        old_journal.close(delete=self._lock is not None)  # edits now saved in the new file
        self.path, self._store, self._lock, self._base = path, store, lock, digests
        self._data_version = store.data_version()
        self._journal = Journal(path)
        self.read_only = False
        self._finalizer = weakref.finalize(self, _release, lock, store, self._journal)
        self._saved(save_id)

    # --- recovery -----------------------------------------------------------------------------
    def recover(self) -> int:
        """Replay the journal's unsaved edits onto the saved state; returns how many edits."""
        if self.recovery is None:
            return 0
        if self.read_only:
            raise ProjectError("只读打开的项目不能恢复编辑")
        geometry_name = self._parcels.geometry.name
        final: dict[int, tuple | None] = {}  # fid → (values, wkb) of its last upsert, None if deleted last
        for op, fid, wkb, data in self._journal.replay():
            if op == "upsert":
                record = json.loads(data)
                final[fid] = (record, wkb)
                self._count_parcel_ids([record.get("parcel_id")])  # ids given, even if since deleted
            elif op == "delete":
                final[fid] = None
            elif op == "settings":
                entry = json.loads(data)
                self.layer_settings[entry["layer_id"]] = entry["settings"]
                self._settings_changed = True
            elif op == "check":
                self._history = pd.concat([self._history, pd.DataFrame([json.loads(data)])], ignore_index=True)
        self._touched.update(final)
        kept = self._parcels.drop(index=[f for f in final if f in self._parcels.index])
        upserts = {fid: state for fid, state in final.items() if state is not None}
        if upserts:
            rows = pd.DataFrame([record for record, _ in upserts.values()],
                                index=pd.Index(list(upserts), name="fid", dtype="int64"))
            geometry = shapely.from_wkb(np.array([wkb for _, wkb in upserts.values()], dtype=object))
            rows = gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(geometry, index=rows.index), crs=WORK_CRS)
            rows = _conformed(rows.rename_geometry(geometry_name) if geometry_name != "geometry" else rows)
            kept = gpd.GeoDataFrame(pd.concat([kept, rows]), geometry=geometry_name, crs=WORK_CRS).sort_index()
        kept.index.name = "fid"
        self._parcels = _conformed(kept)
        self._changed()
        edits, self.recovery = self.recovery.edits, None
        self.dirty = True
        return edits

    def discard_recovery(self) -> None:
        """Drop the unsaved edits of a previous session."""
        if self.recovery is not None and not self.read_only:
            self.recovery = None
            try:
                self._journal.restart(self._save_id)
            except (sqlite3.Error, OSError) as exc:
                self.journal_fault = f"无法清空自动保存文件（{describe_write_error(exc)}）"
        self.recovery = None

    def discard_unsaved(self) -> None:
        """The user chose not to save: forget the edits made since the last save."""
        if not self.read_only:
            self._journal.close(delete=True)
        self.recovery = None
        self.dirty = False

    def close(self) -> None:
        """Close the files and release the lock; unsaved edits stay in the journal for the next open."""
        keep = self.dirty or self.recovery is not None or self.read_only
        self._journal.close(delete=not keep)
        self._finalizer.detach()
        _release(self._lock, self._store, None)
        self._lock = None


def _read_attributes(store: ParcelStore, table: str) -> pd.DataFrame:
    exists = store.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
    if not exists:
        return pd.DataFrame()
    cursor = store.db.execute(f'SELECT * FROM "{table}"')
    return pd.DataFrame(cursor.fetchall(), columns=[d[0] for d in cursor.description])


def _peek_recovery(path: Path, save_id: str) -> Recovery | None:
    """Unsaved edits in the journal, read without changing it (for read-only windows and the CLI)."""
    journal = journal_path(path)
    if not journal.exists():
        return None
    try:
        db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True)
        try:
            base = db.execute("SELECT value FROM meta WHERE key = 'base_save_id'").fetchone()
            count, last = db.execute("SELECT COUNT(DISTINCT edit), MAX(at) FROM edits").fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return None
    return Recovery(count, last) if base is not None and base[0] == save_id and count else None


def _write_file(path: Path, parcels: gpd.GeoDataFrame, settings: dict, history: pd.DataFrame, save_id: str,
                replace: bool = False, last_parcel_number: int = 0) -> None:
    """Write a whole project file beside ``path`` and rename it into place; a partial file is removed."""
    tmp = path.with_name(path.stem + ".saving.gpkg")
    try:
        tmp.unlink(missing_ok=True)
        names = [f.name for f in PARCEL_FIELDS]
        out = parcels[names + [c for c in parcels.columns if c not in names]]  # fields in their order
        out = out.set_geometry(gpd.GeoSeries(_multi(out.geometry.array), index=out.index, crs=WORK_CRS))
        out.insert(0, "fid", out.index.astype("int64"))
        pyogrio.write_dataframe(out.reset_index(drop=True), tmp, layer=PARCEL_LAYER, driver="GPKG",
                                geometry_type="MultiPolygon", promote_to_multi=True,
                                layer_options={"SPATIAL_INDEX": "NO"})  # small layer; plain SQLite writes
        frames = {
            SETTINGS_LAYER: pd.DataFrame({"layer_id": list(settings),
                                          "settings": [json.dumps(v, ensure_ascii=False) for v in settings.values()]},
                                         dtype=object),
            HISTORY_LAYER: history.astype(str) if len(history) else history.astype(object),
            INFO_LAYER: pd.DataFrame({"key": ["format_version", "save_id", "saved_at", "last_parcel_number"],
                                      "value": [FORMAT_VERSION, save_id, now(), str(last_parcel_number)]}),
        }
        for layer, frame in frames.items():
            pyogrio.write_dataframe(frame, tmp, layer=layer, driver="GPKG")
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        if path.exists() and not replace:
            raise FileExistsError(path)
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise


