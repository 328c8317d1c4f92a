"""Candidate parcels (候选地块) shared in a PostGIS table by several planners.

Optimistic concurrency with a version column: ``load`` remembers each parcel's ``version`` and a
digest of what was read; ``save`` writes only the parcels changed since then, each with
``UPDATE … WHERE parcel_id = … AND version = <the version read>`` in one transaction. Two planners
editing different parcels both get their edits in; when someone else changed (or deleted) the
same parcel first, nothing of the save is written and ``ParcelConflict`` says which parcels, by
whom and when, in Chinese — never a silent overwrite. The local project file keeps the planner's
edits meanwhile. A dropped connection is retried (``postgis.Connection``); a save repeated after a
commit whose acknowledgement was lost recognises its own rows by ``save_id``.

``pull_project``/``push_project`` (``suichang-gis parcels-pull``/``parcels-push``) use a project
file as the planner's working copy: the versions pulled are kept beside it in
``<project>.gpkg.postgis.json`` (no connection detail, no password).

Table layout (EPSG:4549): the ``PARCEL_FIELDS`` columns (``parcel_id`` the primary key), ``geom``
MultiPolygon, ``version`` integer, ``edited_by``, ``edited_at``, ``save_id``.
"""

from __future__ import annotations

import getpass
import hashlib
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely

from .catalog import mask_secrets
from .crs import WORK_CRS
from .parcel import PARCEL_FIELDS
from .postgis import WORK_SRID, Connection, PostgisError, quoted, split_table


class ParcelConflict(PostgisError):
    """Someone else changed parcels this save would overwrite; ``parcel_ids`` lists them."""

    def __init__(self, message: str, parcel_ids: list[str]):
        super().__init__(message)
        self.parcel_ids = parcel_ids


@dataclass
class StoredParcels:
    """Parcels as read from the store: the frame (EPSG:4549, ``conform_parcels`` columns) and, per
    parcel id, the version and digest read — the base a later ``save`` compares against.
    """

    frame: object  # GeoDataFrame
    versions: dict[str, int] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)


_COLUMNS = [f.name for f in PARCEL_FIELDS]


def _digest(row: dict, wkb: bytes) -> str:
    h = hashlib.sha1(wkb)
    for name in _COLUMNS:
        value = row.get(name)
        if value is None or (isinstance(value, float) and value != value):
            value = None
        h.update(repr(value).encode("utf-8"))
    return h.hexdigest()


def _rows(gdf) -> list[tuple[str, dict, bytes]]:
    """(parcel id, attribute dict, MultiPolygon WKB with SRID) per parcel of a conformed frame."""
    from .parcel import conform_parcels

    gdf = conform_parcels(gdf)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    single = shapely.get_type_id(geoms) == 3
    geoms[single] = shapely.multipolygons(geoms[single, None]) if single.any() else geoms[single]
    wkb = shapely.to_wkb(shapely.set_srid(geoms, WORK_SRID), include_srid=True)
    records = gdf[_COLUMNS].to_dict("records")
    ids = [str(r["parcel_id"]) for r in records]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f"地块编号重复：{'、'.join(dup[:10])}，无法按编号保存到数据库")
    return [(pid, r, w) for pid, r, w in zip(ids, records, wkb)]


def _value(row: dict, name: str):
    v = row.get(name)
    return None if v is None or (isinstance(v, float) and v != v) else v


class PostgisParcelStore:
    """The parcels table ``table`` (``schema.name``) of the database ``dsn``.

    ``user`` is recorded as ``edited_by`` (default: the login name); ``on_retry(message)`` is told
    about reconnections; ``connection`` is an open ``postgis.Connection`` to use instead (e.g. one
    whose password was asked at a prompt). Raises ``PostgisError`` (masked DSN) for database faults.
    """

    def __init__(self, dsn: str, table: str = "public.parcels", user: str | None = None,
                 password: str | None = None, on_retry=None, connection: Connection | None = None):
        self.table = "{}.{}".format(*split_table(table))
        self.user = user or getpass.getuser()
        self.connection = connection or Connection(dsn, password, on_retry=on_retry)

    def __repr__(self) -> str:
        return f"PostgisParcelStore({self.connection.masked!r}, {self.table!r})"

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()

    def create(self) -> None:
        """Create the table (and schema) if absent, with its GiST index."""
        from psycopg import sql

        schema, name = split_table(self.table)
        cols = [sql.SQL("{} {}").format(sql.Identifier(f.name),
                                        sql.SQL("double precision" if f.kind == "number" else "text"))
                for f in PARCEL_FIELDS if f.name != "parcel_id"]

        def create(conn):
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            conn.execute(sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (parcel_id text PRIMARY KEY, {}, geom geometry(MultiPolygon, {}) "
                "NOT NULL, version integer NOT NULL DEFAULT 1, edited_by text, edited_at timestamptz, save_id text)"
            ).format(quoted(self.table), sql.SQL(", ").join(cols), WORK_SRID))
            conn.execute(sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING gist (geom)").format(
                sql.Identifier(f"{name}_geom_idx"), quoted(self.table)))

        self.connection.run(create)

    def load(self, bbox=None) -> StoredParcels:
        """All parcels, or those meeting ``bbox`` (EPSG:4549), with their versions."""
        import geopandas as gpd
        from psycopg import sql

        select = sql.SQL(", ").join([*(sql.Identifier(c) for c in _COLUMNS), sql.SQL("version"),
                                     sql.SQL("ST_AsBinary(geom)")])
        query = sql.SQL("SELECT {} FROM {}").format(select, quoted(self.table))
        params: tuple = ()
        if bbox is not None:
            query += sql.SQL(" WHERE geom && ST_MakeEnvelope(%s, %s, %s, %s, {})").format(WORK_SRID)
            params = tuple(float(v) for v in bbox)
        query += sql.SQL(" ORDER BY parcel_id")
        rows = self.connection.run(lambda conn: conn.execute(query, params).fetchall())
        records = [dict(zip(_COLUMNS, r[:len(_COLUMNS)])) for r in rows]
        geoms = shapely.from_wkb([bytes(r[-1]) for r in rows])
        frame = gpd.GeoDataFrame(records, columns=_COLUMNS, geometry=list(geoms), crs=WORK_CRS)
        versions = {r[0]: int(r[len(_COLUMNS)]) for r in rows}
        return StoredParcels(frame, versions, {pid: _digest(record, wkb) for pid, record, wkb in _rows(frame)})

    def save(self, parcels, base: StoredParcels) -> StoredParcels:
        """Write the parcels of ``parcels`` changed, added or removed since ``base`` was loaded.

        All or nothing: raises ``ParcelConflict`` (nothing written) when another planner changed
        or removed one of the same parcels since, or added one under the same 地块编号. Returns
        the new base (versions after this save).
        """
        rows = _rows(parcels)
        current = {pid for pid, _, _ in rows}
        changed = [(pid, r, w) for pid, r, w in rows if base.digests.get(pid) != _digest(r, w)]
        removed = [pid for pid in base.versions if pid not in current]
        save_id = uuid.uuid4().hex
        written: dict[str, int] = {}

        def write(conn):
            from psycopg import sql

            written.clear()
            conflicts: list[str] = []
            conflicted: list[str] = []
            names = [c for c in _COLUMNS if c != "parcel_id"]
            assign = sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(c)) for c in names)
            update = sql.SQL("UPDATE {} SET {}, geom = ST_GeomFromEWKB(%s), version = version + 1, edited_by = %s, "
                             "edited_at = now(), save_id = %s WHERE parcel_id = %s AND version = %s "
                             "RETURNING version").format(quoted(self.table), assign)
            insert = sql.SQL("INSERT INTO {} ({}, geom, version, edited_by, edited_at, save_id) VALUES ({}, "
                             "ST_GeomFromEWKB(%s), 1, %s, now(), %s) ON CONFLICT (parcel_id) DO NOTHING "
                             "RETURNING version").format(
                quoted(self.table), sql.SQL(", ").join(sql.Identifier(c) for c in _COLUMNS),
                sql.SQL(", ").join(sql.Placeholder() for _ in _COLUMNS))
            delete = sql.SQL("DELETE FROM {} WHERE parcel_id = %s AND version = %s").format(quoted(self.table))
            now = sql.SQL("SELECT version, edited_by, edited_at, save_id FROM {} WHERE parcel_id = %s").format(
                quoted(self.table))
            with conn.cursor() as cur:
                for pid, record, wkb in changed:
                    if pid in base.versions:
                        cur.execute(update, [*(_value(record, c) for c in names), wkb, self.user, save_id, pid,
                                             base.versions[pid]])
                    else:
                        cur.execute(insert, [*(_value(record, c) for c in _COLUMNS), wkb, self.user, save_id])
                    row = cur.fetchone()
                    if row is not None:
                        written[pid] = int(row[0])
                        continue
                    cur.execute(now, (pid,))
                    theirs = cur.fetchone()
                    if theirs is not None and theirs[3] == save_id:  # ours, from a retried commit
                        written[pid] = int(theirs[0])
                    else:
                        conflicts.append(_conflict_text(pid, base.versions.get(pid), theirs))
                        conflicted.append(pid)
                for pid in removed:
                    cur.execute(delete, (pid, base.versions[pid]))
                    if cur.rowcount:
                        continue
                    cur.execute(now, (pid,))
                    theirs = cur.fetchone()
                    if theirs is not None:  # changed by someone else since: do not delete their work
                        conflicts.append(_conflict_text(pid, base.versions[pid], theirs))
                        conflicted.append(pid)
            if conflicts:
                raise ParcelConflict(
                    f"保存到数据库 {mask_secrets(self.connection.dsn)}（表 {self.table}）时发现冲突：" + "；".join(conflicts)
                    + "。为避免覆盖他人的修改，本次保存没有写入任何地块；您的修改仍在本地项目中，"
                      "请重新载入这些地块、核对后再保存。",
                    conflicted)

        self.connection.run(write)
        digests = {pid: _digest(r, w) for pid, r, w in rows}
        versions = {pid: written.get(pid, base.versions.get(pid)) for pid in current}
        return StoredParcels(parcels, {k: v for k, v in versions.items() if v is not None}, digests)


def _conflict_text(pid: str, mine: int | None, theirs) -> str:
    if theirs is None:
        return f"地块 {pid} 已被他人删除（您编辑的是第 {mine} 版）"
    version, who, when, _ = theirs
    at = when.astimezone().strftime("%Y-%m-%d %H:%M") if when else "未知时间"
    if mine is None:
        return f"地块 {pid} 已由 {who or '他人'} 于 {at} 以同一编号新建"
    return f"地块 {pid} 已被 {who or '他人'} 于 {at} 修改（数据库中为第 {version} 版，您编辑的是第 {mine} 版）"


# --- a local project file as a planner's working copy -------------------------------------------


def base_path(project_path: Path) -> Path:
    """The file beside a project that remembers the versions pulled (``项目.gpkg.postgis.json``)."""
    return Path(project_path).with_name(Path(project_path).name + ".postgis.json")


def pull_project(store: PostgisParcelStore, project_path: Path) -> int:
    """Copy the store's parcels into a new project file and remember their versions beside it.

    Returns the number of parcels. Raises ``ProjectError`` if the project exists. No connection
    detail is written (the DSN is given again when pushing).
    """
    from .project import Project

    stored = store.load()
    Project.create(project_path, stored.frame).close()
    _write_base(project_path, store.table, stored)
    return len(stored.frame)


def push_project(store: PostgisParcelStore, project_path: Path) -> StoredParcels:
    """Save a project's parcels, as last saved to its file, to the store: only those changed
    since the pull (or last push).

    Raises ``ParcelConflict`` (nothing written) when another planner changed the same parcels,
    ``PostgisError`` when the database cannot be reached (the project file is untouched).
    """
    from .project import Project

    project = Project.open(project_path, read_only=True)  # the saved file; the window may hold the lock
    try:
        base = _read_base(project_path, store.table)
        saved = store.save(project.parcels.reset_index(drop=True), base)
    finally:
        project.close()
    _write_base(project_path, store.table, saved)
    return saved


def _write_base(project_path: Path, table: str, stored: StoredParcels) -> None:
    import json

    base_path(project_path).write_text(json.dumps(
        {"table": table, "versions": stored.versions, "digests": stored.digests}, ensure_ascii=False, indent=1),
        encoding="utf-8")


def _read_base(project_path: Path, table: str) -> StoredParcels:
    import json

    from .parcel import parcels_frame

    path = base_path(project_path)
    if not path.exists():
        return StoredParcels(parcels_frame())  # never pulled: every parcel is new to the store
    raw = json.loads(path.read_text(encoding="utf-8"))
    if raw.get("table") != table:
        raise ValueError(f"{Path(project_path).name} 是从表 {raw.get('table')} 取出的，不能保存到表 {table}")
    return StoredParcels(parcels_frame(), {k: int(v) for k, v in raw["versions"].items()}, raw["digests"])
