"""The autosave journal beside a project: every edit committed at once, replayed after a crash.

``<name>.gpkg.autosave`` is a SQLite file with two tables: ``meta`` (the ``save_id`` of the
project state the edits apply to, and the lock token of the window that writes it) and ``edits``
(one row per changed parcel, setting or check run; all rows of one edit share ``edit``). Each edit
is one transaction with ``synchronous=FULL``, so a killed process loses at most the edit in flight.
Only the holder of the project lock writes the journal, so no window replays or deletes another's.

A journal that cannot be written (disk full, read-only folder, vanished drive) raises
``JournalFault`` with the Chinese reason; the caller keeps the edit in memory and tells the user.
A damaged journal is moved aside (renamed with a time stamp, never deleted) by ``open_journal``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from .project_store import plain_columns
from .write_errors import describe_write_error

JOURNAL_SUFFIX = ".autosave"


class JournalFault(Exception):
    """The journal could not be written; ``str(exc)`` is the Chinese reason."""


@dataclass(frozen=True)
class Recovery:
    """Unsaved edits found in the journal of a project that was not closed cleanly."""

    edits: int
    last_edit_at: str

    def message(self) -> str:
        """The question the window asks, in Chinese: how many edits and when the last one was made."""
        return f"发现上次未保存的 {self.edits} 步编辑（最后一步：{self.last_edit_at}），是否恢复？"


def now() -> str:
    """The local time as ISO text to the second."""
    return _dt.datetime.now().isoformat(timespec="seconds")


def journal_path(project: Path) -> Path:
    """The autosave journal of ``project``: the project file name plus ``.autosave``."""
    return project.with_name(project.name + JOURNAL_SUFFIX)


def upsert_rows(edit: int, rows, geometry_name: str) -> list[tuple]:
    """Journal rows for parcel rows (a GeoDataFrame indexed by fid); column-wise for bulk imports."""
    if rows is None or not len(rows):
        return []
    wkbs = shapely.to_wkb(np.asarray(rows.geometry.array, dtype=object))
    names = [c for c in rows.columns if c != geometry_name]
    at = now()
    return [(edit, "upsert", fid, wkb, json.dumps(dict(zip(names, values)), ensure_ascii=False), at)
            for fid, wkb, values in zip(rows.index.astype("int64").tolist(), wkbs,
                                        zip(*plain_columns(rows, names)))]


def other_row(edit: int, op: str, fid, payload) -> tuple:
    """A journal row for a delete (``payload`` None), a setting or a check run."""
    return (edit, op, None if fid is None else int(fid), None,
            None if payload is None else json.dumps(payload, ensure_ascii=False, default=str), now())


class Journal:
    """The journal file of one project, opened when the project opens (``start``) or else on
    the first write.
    """

    def __init__(self, project: Path):
        self.path = journal_path(project)
        self._db: sqlite3.Connection | None = None
        self._next_edit = 1

    def _connect(self, base_save_id: str) -> sqlite3.Connection:
        if self._db is None:
            fresh = not self.path.exists()
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            try:
                db.execute("PRAGMA synchronous=FULL")
                db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
                db.execute("CREATE TABLE IF NOT EXISTS edits (seq INTEGER PRIMARY KEY, edit INTEGER,"
                           " op TEXT, fid INTEGER, wkb BLOB, data TEXT, at TEXT)")
                if fresh:
                    db.execute("INSERT OR REPLACE INTO meta VALUES ('base_save_id', ?)", (base_save_id,))
                self._next_edit = db.execute("SELECT COALESCE(MAX(edit), 0) + 1 FROM edits").fetchone()[0]
            except BaseException:
                db.close()
                raise
            self._db = db
        return self._db

    def write(self, rows: list[tuple], base_save_id: str) -> None:
        """Commit one edit's rows (from ``upsert_rows``/``other_row``, with edit number 0) at once."""
        db = None
        try:
            db = self._connect(base_save_id)
            edit = self._next_edit
            db.execute("BEGIN IMMEDIATE")
            db.executemany("INSERT INTO edits (edit, op, fid, wkb, data, at) VALUES (?, ?, ?, ?, ?, ?)",
                           [(edit, *row[1:]) for row in rows])
            db.execute("COMMIT")
            self._next_edit = edit + 1
        except (sqlite3.Error, OSError) as exc:
            if db is not None and db.in_transaction:
                try:  # SQLite may already have rolled back (SQLITE_FULL); never hide the cause
                    db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            raise JournalFault(f"无法写入自动保存文件 {self.path.name}：{describe_write_error(exc)}") from exc

    def pending(self, save_id: str) -> Recovery | None:
        """Unsaved edits made on the state ``save_id``; stale edits (of another save) are dropped."""
        if not self.path.exists():
            return None
        db = self._connect(save_id)
        base = db.execute("SELECT value FROM meta WHERE key = 'base_save_id'").fetchone()
        count, last = db.execute("SELECT COUNT(DISTINCT edit), MAX(at) FROM edits").fetchone()
        if base is None or base[0] != save_id or not count:
            self.restart(save_id)
            return None
        return Recovery(count, last)

    def replay(self):
        """(op, fid, wkb, data) of every journaled row, oldest first."""
        return self._db.execute("SELECT op, fid, wkb, data FROM edits ORDER BY seq").fetchall()

    def restart(self, save_id: str) -> None:
        """Forget the journaled edits; new ones apply to the state ``save_id``."""
        db = self._connect(save_id)
        db.execute("DELETE FROM edits")
        db.execute("INSERT OR REPLACE INTO meta VALUES ('base_save_id', ?)", (save_id,))
        self._next_edit = 1

    def start(self, save_id: str) -> None:
        """Create (or open) the journal now, empty, applying to the state ``save_id``: at the
        project's opening and after a save, so the next edit does not wait for the file to be
        created and synced (~0.1 s). A journal that cannot be written now is left for the next
        write to report (``JournalFault``).
        """
        try:
            self.restart(save_id)
        except (sqlite3.Error, OSError):
            self.close()

    def close(self, delete: bool = False) -> None:
        """Close the journal; with ``delete`` also remove its file (errors ignored: a stale journal is
        ignored at the next open).
        """
        if self._db is not None:
            self._db.close()
            self._db = None
        if delete:
            try:
                self.path.unlink(missing_ok=True)
            except OSError:  # read-only or vanished: the stale journal is ignored at the next open
                pass


def check_journal(project: Path) -> str | None:
    """None if the journal is absent or sound; else move it aside and say so (Chinese).

    A damaged journal (cut short, overwritten) is renamed ``<name>.gpkg.autosave.损坏-<time>``
    and kept, so nothing is deleted; the project then opens in its last saved state.
    """
    path = journal_path(project)
    if not path.exists():
        return None
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = db.execute("PRAGMA quick_check").fetchone()[0]
            db.execute("SELECT COUNT(*), MAX(at) FROM edits").fetchone()
            db.execute("SELECT value FROM meta WHERE key = 'base_save_id'").fetchone()
        finally:
            db.close()
        if result == "ok":
            return None
        reason = result
    except sqlite3.Error as exc:
        reason = str(exc)
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.损坏-{stamp}")
    try:
        os.replace(path, aside)
    except OSError as exc:
        return (f"自动保存文件 {path.name} 已损坏（{reason}），其中未保存的编辑无法恢复；"
                f"也无法把它改名移开（{describe_write_error(exc)}）。项目以上次保存的内容打开。")
    return (f"自动保存文件 {path.name} 已损坏（{reason}），其中未保存的编辑无法恢复。"
            f"原文件已保留为 {aside.name}；项目以上次保存的内容打开。")
