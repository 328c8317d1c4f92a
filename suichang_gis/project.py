"""The project file: one GeoPackage holding the parcels, layer choices and check history.

Layers in the file (all ordinary GeoPackage content, so QGIS opens them):

- ``parcels``: the candidate parcels (MultiPolygon, EPSG:4549, fid = parcel key);
- ``layer_settings``: per catalog layer id, the user's choices (visibility, opacity, style) as JSON;
- ``check_history``: one row per check run (time, rule set, parcels, summary JSON);
- ``project_info``: format version and the id of the last save.

No edit is ever lost to a crash. Every edit is committed at once to an autosave journal beside
the project (``<name>.gpkg.autosave``, SQLite; one transaction per edit, so a killed process
loses at most the edit in flight). ``save`` writes a copy of the project and renames it over the
original (atomic), then clears the journal. Opening a project whose journal holds edits made
since its last save offers them through ``recovery``; ``recover`` replays them.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import sqlite3
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import MultiPolygon

from .crs import WORK_CRS
from .parcel import conform_parcels, parcels_frame

FORMAT_VERSION = "1"
PARCEL_LAYER = "parcels"
SETTINGS_LAYER = "layer_settings"
HISTORY_LAYER = "check_history"
INFO_LAYER = "project_info"
JOURNAL_SUFFIX = ".autosave"


class ProjectError(ValueError):
    """A project file that cannot be opened or saved; the message is Chinese."""


@dataclass(frozen=True)
class Recovery:
    """Unsaved edits found in the journal of a project that was not closed cleanly."""

    edits: int
    last_edit_at: str

    def message(self) -> str:
        return f"发现上次未保存的 {self.edits} 步编辑（最后一步：{self.last_edit_at}），是否恢复？"


def _now() -> str:
    return _dt.datetime.now().isoformat(timespec="seconds")


def _jsonable(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


class Project:
    """A parcel project backed by one GeoPackage; see the module docstring for the layout."""

    def __init__(self, path: Path, parcels: gpd.GeoDataFrame, settings: dict[str, dict],
                 history: pd.DataFrame, save_id: str):
        self.path = Path(path)
        self._parcels = parcels
        self.layer_settings = settings
        self._history = history
        self._save_id = save_id
        self.recovery: Recovery | None = None
        self._journal: sqlite3.Connection | None = None
        self.dirty = False

    # --- opening and creating -------------------------------------------------------------
    @classmethod
    def create(cls, path, parcels: gpd.GeoDataFrame | None = None) -> Project:
        """Write a new project file (replacing nothing: fails if ``path`` exists)."""
        path = Path(path)
        if path.exists():
            raise ProjectError(f"{path.name} 已存在，不会覆盖")
        frame = parcels_frame() if parcels is None else conform_parcels(parcels)
        frame = frame.reset_index(drop=True)
        frame.index = pd.RangeIndex(1, len(frame) + 1, name="fid")
        history = pd.DataFrame(columns=["run_at", "rule_set", "parcel_ids", "summary"])
        project = cls(path, frame, {}, history, "")
        project.save()
        return project

    @classmethod
    def open(cls, path) -> Project:
        """Open a project; ``recovery`` is set when its journal holds unsaved edits."""
        path = Path(path)
        if not path.exists():
            raise ProjectError(f"找不到项目文件 {path}")
        try:
            layers = {str(name) for name, _ in pyogrio.list_layers(path)}
            if PARCEL_LAYER not in layers:
                raise ProjectError(f"{path.name} 不是本软件的项目文件：没有“{PARCEL_LAYER}”图层")
            parcels = pyogrio.read_dataframe(path, layer=PARCEL_LAYER, fid_as_index=True)
            info = _read_table(path, INFO_LAYER, layers)
            settings = _read_table(path, SETTINGS_LAYER, layers)
            history = _read_table(path, HISTORY_LAYER, layers)
        except ProjectError:
            raise
        except Exception as exc:  # GDAL raises several types for damaged files
            raise ProjectError(f"无法打开项目 {path.name}：文件损坏或不是 GeoPackage（{exc}）") from exc
        parcels = conform_parcels(parcels if parcels.crs is not None else parcels.set_crs(WORK_CRS))
        parcels = parcels.set_geometry([_single(g) for g in parcels.geometry])
        parcels.index.name = "fid"
        info_map = dict(zip(info.get("key", []), info.get("value", [])))
        if int(info_map.get("format_version", FORMAT_VERSION)) > int(FORMAT_VERSION):
            raise ProjectError(f"{path.name} 由更新版本的软件保存（格式 {info_map['format_version']}），请升级后打开")
        settings_map = {row.layer_id: json.loads(row.settings) for row in settings.itertuples()} if len(settings) else {}
        if history.empty:
            history = pd.DataFrame(columns=["run_at", "rule_set", "parcel_ids", "summary"])
        project = cls(path, parcels, settings_map, history, info_map.get("save_id", ""))
        project.recovery = project._pending_recovery()
        return project

    # --- reading ----------------------------------------------------------------------------
    @property
    def parcels(self) -> gpd.GeoDataFrame:
        """The parcels (a copy), indexed by fid."""
        return self._parcels.copy()

    def parcel(self, fid: int) -> pd.Series:
        return self._parcels.loc[fid].copy()

    @property
    def check_history(self) -> pd.DataFrame:
        return self._history.copy()

    # --- editing: each call is one journal transaction -------------------------------------
    def prepare_new(self, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """New parcels conformed, with fresh fids and parcel ids unique in the project.

        A missing id, or one already used in the project (or earlier in ``gdf``), gets the next
        free ``P###``. Nothing is stored: pass the result to ``apply``. Undo commands keep it,
        so a redo brings back the same fids.
        """
        ids = gdf["parcel_id"] if "parcel_id" in gdf.columns else pd.Series([None] * len(gdf), index=gdf.index)
        missing = (ids.isna() | (ids.astype(str).str.strip() == "")).to_numpy().copy()
        new = conform_parcels(gdf).reset_index(drop=True)
        taken = set(self._parcels["parcel_id"])
        seen: set[str] = set()
        for i, value in enumerate(new["parcel_id"]):
            if not missing[i] and (value in taken or value in seen):
                missing[i] = True
            seen.add(value)
        taken |= {v for i, v in enumerate(new["parcel_id"]) if not missing[i]}
        number = len(self._parcels)
        for i in np.flatnonzero(missing):
            number += 1
            while f"P{number:03d}" in taken:
                number += 1
            new.loc[i, "parcel_id"] = f"P{number:03d}"
            taken.add(f"P{number:03d}")
        start = int(self._parcels.index.max()) + 1 if len(self._parcels) else 1
        new.index = pd.RangeIndex(start, start + len(new), name="fid")
        return new

    def apply(self, upsert: gpd.GeoDataFrame | None = None, delete=()) -> None:
        """Delete the fids ``delete``, then write the rows of ``upsert`` (indexed by fid), as one edit.

        Every edit the GUI makes (and undoes) is one call of this.
        """
        delete = [fid for fid in delete if fid in self._parcels.index]
        rows = conform_parcels(upsert) if upsert is not None and len(upsert) else None
        with self._edit() as log:
            for fid in delete:
                log("delete", fid, None)
            for fid, row in (rows.iterrows() if rows is not None else ()):
                log("upsert", fid, row)
        kept = self._parcels.drop(index=delete)
        if rows is not None:
            kept = pd.concat([kept.drop(index=[f for f in rows.index if f in kept.index]), rows])
            kept = gpd.GeoDataFrame(kept, geometry=self._parcels.geometry.name, crs=WORK_CRS).sort_index()
        kept.index.name = "fid"
        self._parcels = kept

    def add_parcels(self, gdf: gpd.GeoDataFrame) -> list[int]:
        """Add parcels (one edit, all or nothing); returns their fids."""
        rows = self.prepare_new(gdf)
        self.apply(upsert=rows)
        return list(rows.index)

    def add_parcel(self, geometry, **attributes) -> int:
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
        self.apply(delete=list(fids))

    def replace_parcels(self, removed, added: gpd.GeoDataFrame) -> list[int]:
        """Delete ``removed`` and add ``added`` as one edit (split, merge)."""
        rows = self.prepare_new(added)
        self.apply(upsert=rows, delete=list(removed))
        return list(rows.index)

    def set_layer_settings(self, layer_id: str, **values) -> None:
        """Remember a user's choice for a catalog layer (visible, opacity, style …)."""
        merged = self.layer_settings.get(layer_id, {}) | values
        with self._edit() as log:
            log("settings", None, {"layer_id": layer_id, "settings": merged})
        self.layer_settings[layer_id] = merged

    def record_check(self, summary: dict, rule_set: str = "", parcel_ids=()) -> None:
        """Append one check run to the history."""
        entry = {"run_at": _now(), "rule_set": rule_set, "parcel_ids": ",".join(map(str, parcel_ids)),
                 "summary": json.dumps(summary, ensure_ascii=False, default=str)}
        with self._edit() as log:
            log("check", None, entry)
        self._history = pd.concat([self._history, pd.DataFrame([entry])], ignore_index=True)

    # --- saving -------------------------------------------------------------------------------
    def save(self) -> None:
        """Write the project atomically (copy, write, rename) and clear the journal."""
        tmp = self.path.with_name(self.path.stem + ".saving.gpkg")
        tmp.unlink(missing_ok=True)
        save_id = uuid.uuid4().hex
        try:
            if self.path.exists():
                shutil.copy2(self.path, tmp)
            self._write(tmp, save_id)
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise ProjectError(f"无法保存项目 {self.path.name}：{exc}") from exc
        self._save_id = save_id
        self._close_journal(delete=True)
        self.recovery = None
        self.dirty = False

    def save_as(self, path) -> None:
        """Save to a new file, which becomes this project; the old file stays as last saved."""
        path = Path(path)
        if path.resolve() == self.path.resolve():
            return self.save()
        old_path, old_journal = self.path, self.journal_path
        self._close_journal(delete=False)
        path.unlink(missing_ok=True)
        self.path = path
        try:
            self.save()
        except ProjectError:
            self.path = old_path  # the old journal still holds the edits
            raise
        old_journal.unlink(missing_ok=True)

    def _write(self, target: Path, save_id: str) -> None:
        out = self._parcels.copy()
        out = out.set_geometry([_multi(g) for g in out.geometry], crs=WORK_CRS)
        out.insert(0, "fid", out.index.astype("int64"))
        options = {"SPATIAL_INDEX": "NO"}  # small layer; keeps plain SQLite writers out of R-tree triggers
        pyogrio.write_dataframe(out.reset_index(drop=True), target, layer=PARCEL_LAYER, driver="GPKG",
                                geometry_type="MultiPolygon", promote_to_multi=True, layer_options=options)
        settings = pd.DataFrame({"layer_id": list(self.layer_settings),
                                 "settings": [json.dumps(v, ensure_ascii=False) for v in self.layer_settings.values()]},
                                dtype=object)
        info = pd.DataFrame({"key": ["format_version", "save_id", "saved_at"],
                             "value": [FORMAT_VERSION, save_id, _now()]})
        history = self._history.astype(str) if len(self._history) else self._history.astype(object)
        for layer, frame in ((SETTINGS_LAYER, settings), (HISTORY_LAYER, history), (INFO_LAYER, info)):
            pyogrio.write_dataframe(frame, target, layer=layer, driver="GPKG")

    # --- journal --------------------------------------------------------------------------------
    @property
    def journal_path(self) -> Path:
        return self.path.with_name(self.path.name + JOURNAL_SUFFIX)

    def _connect(self) -> sqlite3.Connection:
        if self._journal is None:
            fresh = not self.journal_path.exists()
            self._journal = sqlite3.connect(self.journal_path, isolation_level=None)
            self._journal.execute("PRAGMA synchronous=FULL")
            self._journal.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            self._journal.execute("CREATE TABLE IF NOT EXISTS edits (seq INTEGER PRIMARY KEY, edit INTEGER,"
                                  " op TEXT, fid INTEGER, wkb BLOB, data TEXT, at TEXT)")
            if fresh:
                self._journal.execute("INSERT OR REPLACE INTO meta VALUES ('base_save_id', ?)", (self._save_id,))
        return self._journal

    @contextmanager
    def _edit(self):
        """One edit = one transaction in the journal; memory changes only after it committed."""
        db = self._connect()
        if self.recovery is not None:  # editing on top of the saved state abandons the old edits
            self._discard_journal_rows(db)
            self.recovery = None
        edit = (db.execute("SELECT COALESCE(MAX(edit), 0) + 1 FROM edits").fetchone()[0])
        rows = []

        def log(op: str, fid, payload):
            if op == "upsert":
                geometry = payload[self._parcels.geometry.name]
                data = {k: _jsonable(v) for k, v in payload.items() if k != self._parcels.geometry.name}
                rows.append((edit, op, int(fid), shapely.to_wkb(geometry), json.dumps(data, ensure_ascii=False), _now()))
            else:
                rows.append((edit, op, None if fid is None else int(fid), None,
                             None if payload is None else json.dumps(payload, ensure_ascii=False), _now()))

        yield log
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("INSERT INTO edits (edit, op, fid, wkb, data, at) VALUES (?, ?, ?, ?, ?, ?)", rows)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self.dirty = True

    def _discard_journal_rows(self, db: sqlite3.Connection) -> None:
        db.execute("DELETE FROM edits")
        db.execute("INSERT OR REPLACE INTO meta VALUES ('base_save_id', ?)", (self._save_id,))

    def _pending_recovery(self) -> Recovery | None:
        if not self.journal_path.exists():
            return None
        db = self._connect()
        base = db.execute("SELECT value FROM meta WHERE key = 'base_save_id'").fetchone()
        count, last = db.execute("SELECT COUNT(DISTINCT edit), MAX(at) FROM edits").fetchone()
        if base is None or base[0] != self._save_id or not count:
            # Edits made on another save of the file (already saved, or stale): nothing to offer.
            self._discard_journal_rows(db)
            return None
        return Recovery(count, last)

    def recover(self) -> int:
        """Replay the journal's unsaved edits onto the saved state; returns how many edits."""
        if self.recovery is None:
            return 0
        db = self._connect()
        geometry_name = self._parcels.geometry.name
        parcels = {fid: row for fid, row in self._parcels.iterrows()}
        for op, fid, wkb, data in db.execute("SELECT op, fid, wkb, data FROM edits ORDER BY seq"):
            if op == "upsert":
                row = pd.Series(json.loads(data), dtype=object)
                row[geometry_name] = shapely.from_wkb(wkb)
                parcels[fid] = row
            elif op == "delete":
                parcels.pop(fid, None)
            elif op == "settings":
                entry = json.loads(data)
                self.layer_settings[entry["layer_id"]] = entry["settings"]
            elif op == "check":
                self._history = pd.concat([self._history, pd.DataFrame([json.loads(data)])], ignore_index=True)
        frame = gpd.GeoDataFrame(list(parcels.values()), geometry=geometry_name, crs=WORK_CRS) if parcels \
            else self._parcels.iloc[:0]
        frame.index = pd.Index(list(parcels), name="fid", dtype="int64")
        self._parcels = conform_parcels(frame)
        edits, self.recovery = self.recovery.edits, None
        self.dirty = True
        return edits

    def discard_recovery(self) -> None:
        """Drop the unsaved edits of a previous session."""
        if self.recovery is not None:
            self._discard_journal_rows(self._connect())
            self.recovery = None

    def discard_unsaved(self) -> None:
        """The user chose not to save: forget the edits made since the last save."""
        self._close_journal(delete=True)
        self.recovery = None
        self.dirty = False

    def _close_journal(self, delete: bool) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        if delete:
            self.journal_path.unlink(missing_ok=True)

    def close(self) -> None:
        """Close the journal; unsaved edits stay in it for the next open to recover."""
        self._close_journal(delete=not self.dirty and self.recovery is None)


def _read_table(path: Path, layer: str, layers: set[str]) -> pd.DataFrame:
    if layer not in layers:
        return pd.DataFrame()
    return pyogrio.read_dataframe(path, layer=layer, read_geometry=False)


def _multi(geometry):
    return MultiPolygon([geometry]) if geometry is not None and geometry.geom_type == "Polygon" else geometry


def _single(geometry):
    if geometry is not None and geometry.geom_type == "MultiPolygon" and len(geometry.geoms) == 1:
        return geometry.geoms[0]
    return geometry

