"""Row-level reads and writes of a project GeoPackage through SQLite (no file copies).

Saving a project changes only the rows the window changed, inside one SQLite transaction, so
rows other programs wrote (QGIS, an ogr2ogr or pyogrio append) survive and a failed save leaves
the file exactly as it was (SQLite's rollback journal). Geometries are GeoPackage binary blobs
(GeoPackage 1.3, clause 2.1.3: "GP", version, flags, srs_id, envelope, then ISO WKB), read and
written here without GDAL. So that R-tree triggers a user added in QGIS keep working with plain
SQLite, the SQL functions those triggers call (``ST_MinX`` … ``ST_IsEmpty``) are registered on
the connection.

Each row's *digest* is Python's hash of the whole row as SQLite returns it; comparing the digests
of the rows as last read with the rows on disk now tells which parcels another program inserted,
changed or deleted. ``PRAGMA data_version`` (which changes when another connection commits) lets
a save skip that comparison when nobody else wrote.
"""

from __future__ import annotations

import os
import sqlite3
import struct
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .crs import WORK_CRS

_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
DECODE_CHUNK = 5000  # geometries decoded per call (each call holds Python's GIL: ~10 ms)


def gpkg_to_wkb(blob):
    """The WKB inside a GeoPackage geometry blob (None for NULL or an empty geometry)."""
    if blob is None or len(blob) < 8 or blob[:2] != b"GP":
        return None
    flags = blob[3]
    if flags & 0x10:  # empty geometry
        return None
    return bytes(blob[8 + _ENVELOPE_BYTES.get((flags >> 1) & 0x07, 0):])


def wkb_to_gpkg(geometries, srs_id: int) -> list:
    """GeoPackage blobs (little-endian, XY envelope) for shapely geometries (None stays NULL)."""
    geometries = np.asarray(geometries, dtype=object)
    wkbs = shapely.to_wkb(geometries, flavor="iso")
    bounds = shapely.bounds(geometries)
    empty = shapely.is_empty(geometries)
    # The 40-byte headers of the non-empty geometries built as one array, then cut per row.
    headers = np.zeros(len(geometries), dtype=[("magic", "S4"), ("srs_id", "<i4"), ("envelope", "<f8", 4)])
    headers["magic"] = b"GP\x00\x03"  # version 0, little-endian, XY envelope
    headers["srs_id"] = srs_id
    headers["envelope"] = bounds[:, [0, 2, 1, 3]]
    raw = headers.tobytes()
    size = headers.dtype.itemsize
    empty_header = b"GP\x00" + bytes([0x01 | 0x10]) + struct.pack("<i", srs_id)
    return [None if wkb is None else empty_header + wkb if is_empty else raw[i * size:(i + 1) * size] + wkb
            for i, (wkb, is_empty) in enumerate(zip(wkbs.tolist(), empty.tolist()))]


def _envelope(blob, index: int):
    if blob is None or len(blob) < 8 or blob[3] & 0x10:
        return None
    flags = blob[3]
    if (flags >> 1) & 0x07:
        order = "<" if flags & 0x01 else ">"
        return struct.unpack_from(order + "d", blob, 8 + 8 * index)[0]
    geometry = shapely.from_wkb(gpkg_to_wkb(blob))
    return None if geometry is None or geometry.is_empty else geometry.bounds[(0, 2, 1, 3)[index]]


def _is_empty(blob):
    return 1 if blob is None or len(blob) < 8 or blob[3] & 0x10 else 0


def plain_columns(frame: pd.DataFrame, names: list[str]) -> list[list]:
    """The columns ``names`` as lists of plain Python values, missing (NaN, None, NA) as None."""
    out = []
    for name in names:
        values = np.array(frame[name].to_numpy(dtype=object), dtype=object)  # a writable copy
        values[pd.isna(frame[name]).to_numpy()] = None
        out.append([v.item() if isinstance(v, np.generic) else v for v in values]
                   if frame[name].dtype == object else values.tolist())
    return out


def quote(name: str) -> str:
    """``name`` as an SQLite identifier in double quotes (embedded quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


class ParcelStore:
    """The parcels table (and the project's attribute tables) of one GeoPackage, over SQLite.

    Raises ``sqlite3.Error`` or ``OSError`` as SQLite does; callers turn them into Chinese.
    """

    def __init__(self, path: Path, table: str):
        self.path = Path(path)
        self.table = table
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10)
        self.inode = os.stat(self.path).st_ino
        try:
            for i, name in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
                self.db.create_function(name, 1, lambda blob, i=i: _envelope(blob, i), deterministic=True)
            self.db.create_function("ST_IsEmpty", 1, _is_empty, deterministic=True)
            row = self.db.execute("SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?",
                                  (table,)).fetchone()
            if row is None:
                raise sqlite3.DatabaseError(f"no geometry column registered for {table}")
            self.geometry_column, self.srs_id = row
            self.columns = [r[1] for r in self.db.execute(f"PRAGMA table_info({quote(table)})")]
            self.fid_column = next(r[1] for r in self.db.execute(f"PRAGMA table_info({quote(table)})") if r[5])
        except BaseException:
            self.db.close()
            raise

    def crs(self) -> str | None:
        """'EPSG:nnnn' of the parcels table, None if its definition is not an EPSG code."""
        row = self.db.execute("SELECT organization, organization_coordsys_id FROM gpkg_spatial_ref_sys"
                              " WHERE srs_id = ?", (self.srs_id,)).fetchone()
        return f"EPSG:{row[1]}" if row and str(row[0]).upper() == "EPSG" else None

    def replaced(self) -> bool:
        """True when the path now names another file than the one this connection reads."""
        try:
            return os.stat(self.path).st_ino != self.inode
        except OSError:
            return False  # vanished: the save itself reports it

    def data_version(self) -> int:
        """SQLite's ``PRAGMA data_version``: changes when another connection committed."""
        return self.db.execute("PRAGMA data_version").fetchone()[0]

    # --- reading ------------------------------------------------------------------------------
    def _select(self, fids=None) -> list[tuple]:
        cols = ", ".join(quote(c) for c in self.columns)
        sql = f"SELECT {cols} FROM {quote(self.table)}"
        if fids is None:
            return self.db.execute(sql).fetchall()
        fids = [int(f) for f in fids]
        rows = []
        for start in range(0, len(fids), 500):
            chunk = fids[start:start + 500]
            rows += self.db.execute(f"{sql} WHERE {quote(self.fid_column)} IN ({','.join('?' * len(chunk))})",
                                    chunk).fetchall()
        return rows

    def digests(self, fids=None) -> dict[int, int]:
        """fid → digest of the rows on disk (all, or those of ``fids`` that exist)."""
        at = self.columns.index(self.fid_column)
        return {row[at]: hash(row) for row in self._select(fids)}

    def read(self, fids=None) -> tuple[gpd.GeoDataFrame, dict[int, int]]:
        """The parcel rows (all, or ``fids``) indexed by fid, geometry decoded, and their digests.

        Columns are as stored (text, REAL, NULL); the caller conforms them.
        """
        rows = self._select(fids)
        at = self.columns.index(self.fid_column)
        digests = {row[at]: hash(row) for row in rows}
        frame = pd.DataFrame.from_records(rows, columns=self.columns)
        blobs = frame.pop(self.geometry_column).to_numpy()
        wkbs = np.array([gpkg_to_wkb(b) for b in blobs], dtype=object)
        # In pieces: one call making 50,000 geometries holds Python's GIL for 0.1 s, and a window
        # reading the project in a worker thread could not repaint meanwhile.
        geometry = np.concatenate([shapely.from_wkb(wkbs[i:i + DECODE_CHUNK])
                                   for i in range(0, len(wkbs), DECODE_CHUNK)]) if len(wkbs) else shapely.from_wkb(wkbs)
        frame = frame.set_index(self.fid_column)
        frame.index = frame.index.astype("int64")
        frame.index.name = "fid"
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, index=frame.index), crs=WORK_CRS), digests

    def max_fid(self) -> int:
        """The largest fid the parcel table has used (its rows or its AUTOINCREMENT sequence; 0 when none)."""
        fid = self.db.execute(f"SELECT MAX({quote(self.fid_column)}) FROM {quote(self.table)}").fetchone()[0]
        try:
            seq = self.db.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (self.table,)).fetchone()
        except sqlite3.OperationalError:  # a table without AUTOINCREMENT
            seq = None
        return max(int(fid or 0), int(seq[0]) if seq else 0)

    # --- writing (inside ``transaction``) ---------------------------------------------------------
    @contextmanager
    def transaction(self):
        """BEGIN IMMEDIATE … COMMIT; any exception rolls back (a rollback that fails is ignored)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                try:
                    self.db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            raise

    def _add_missing_columns(self, frame: pd.DataFrame) -> list[str]:
        names = [c for c in frame.columns if c != frame.geometry.name]
        for name in names:
            if name not in self.columns:
                kind = "REAL" if pd.api.types.is_numeric_dtype(frame[name]) else "TEXT"
                self.db.execute(f"ALTER TABLE {quote(self.table)} ADD COLUMN {quote(name)} {kind}")
                self.columns.append(name)
        return names

    def _values(self, frame: gpd.GeoDataFrame, names: list[str]) -> list[tuple]:
        blobs = wkb_to_gpkg(frame.geometry.array, self.srs_id)
        return list(zip(*plain_columns(frame, names), blobs, frame.index.astype("int64").tolist()))

    def insert(self, frame: gpd.GeoDataFrame) -> None:
        """Insert rows (indexed by fid; geometry multi-promoted by the caller)."""
        if not len(frame):
            return
        names = self._add_missing_columns(frame)
        cols = ", ".join(quote(c) for c in [*names, self.geometry_column, self.fid_column])
        self.db.executemany(f"INSERT INTO {quote(self.table)} ({cols}) VALUES ({','.join('?' * (len(names) + 2))})",
                            self._values(frame, names))

    def update(self, frame: gpd.GeoDataFrame) -> None:
        """Overwrite the rows with these fids (every column the frame has)."""
        if not len(frame):
            return
        names = self._add_missing_columns(frame)
        sets = ", ".join(f"{quote(c)} = ?" for c in [*names, self.geometry_column])
        self.db.executemany(f"UPDATE {quote(self.table)} SET {sets} WHERE {quote(self.fid_column)} = ?",
                            self._values(frame, names))

    def delete(self, fids) -> None:
        """Delete the rows of ``fids`` from the parcel table (in the open transaction)."""
        self.db.executemany(f"DELETE FROM {quote(self.table)} WHERE {quote(self.fid_column)} = ?",
                            [(int(f),) for f in fids])

    def move(self, fid: int, new_fid: int) -> None:
        """Give a row another fid (an outside row whose fid the window had already used)."""
        self.db.execute(f"UPDATE {quote(self.table)} SET {quote(self.fid_column)} = ? WHERE {quote(self.fid_column)} = ?",
                        (int(new_fid), int(fid)))

    def touch_contents(self, extent) -> None:
        """gpkg_contents: the layer's extent (minx, miny, maxx, maxy) and ``last_change`` (now), as GDAL keeps them."""
        extent = [None if not np.isfinite(v) else float(v) for v in extent]
        self.db.execute("UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now'),"
                        " min_x = ?, min_y = ?, max_x = ?, max_y = ? WHERE table_name = ?", (*extent, self.table))

    def replace_attributes(self, table: str, columns: list[str], rows: list[tuple], append: bool = False) -> None:
        """Rewrite (or append to) an attribute table, creating and registering it if missing."""
        exists = self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
        if not exists:
            defs = ", ".join(f"{quote(c)} TEXT" for c in columns)
            self.db.execute(f"CREATE TABLE {quote(table)} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, {defs})")
            self.db.execute("INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, last_change)"
                            " VALUES (?, 'attributes', ?, strftime('%Y-%m-%dT%H:%M:%fZ','now'))", (table, table))
        if not append:
            self.db.execute(f"DELETE FROM {quote(table)}")
        cols = ", ".join(quote(c) for c in columns)
        self.db.executemany(f"INSERT INTO {quote(table)} ({cols}) VALUES ({','.join('?' * len(columns))})", rows)

    def close(self) -> None:
        """Close the database connection."""
        self.db.close()
