"""PostGIS as a layer source: connections, masked DSNs, bounding-box reads and publishing.

A connection is named the way libpq names it, never with a password kept in a file:

- ``PG:service=bureau`` — a service in ``pg_service.conf`` (password in ``~/.pgpass``);
- ``PG:host=db dbname=gis user=planner`` — libpq keywords; missing ones come from the ``PG*``
  environment (``PGHOST``, ``PGUSER``, ``PGPASSWORD`` …);
- ``postgresql://planner@db/gis`` — a URL.

A password typed at a prompt is passed to :func:`connect` and kept in memory only. Every DSN that
appears in a message, log or report goes through :func:`catalog.mask_secrets`. Geometry is stored in
EPSG:4549; reads are filtered on the server with ``&&`` against the GiST index, so a layer of a
million polygons gives only the features of the boxes asked for.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import numpy as np
import shapely

from .catalog import mask_secrets
from .crs import WORK_CRS

log = logging.getLogger(__name__)

WORK_SRID = int(WORK_CRS.split(":")[1])
RETRIES = 3  # attempts after a dropped connection before giving up


class PostgisError(RuntimeError):
    """A database fault, told in Chinese with the connection's password masked."""


class PasswordCancelled(PostgisError):
    """The user cancelled the password prompt of a connection."""


def is_postgis_source(text: str | None) -> bool:
    """Whether ``text`` names a database (``PG:...``, ``postgresql://...``, ``postgres://...``)."""
    return bool(text) and str(text).strip().startswith(("PG:", "postgresql://", "postgres://"))


def has_password(dsn: str) -> bool:
    """Whether the DSN itself carries a password (which must not be written into a file)."""
    return mask_secrets(dsn) != str(dsn)


def conninfo(dsn: str) -> str:
    """The libpq connection string or URL of a ``PG:``/URL source."""
    dsn = str(dsn).strip()
    return dsn[3:].strip() if dsn.startswith("PG:") else dsn


def connect(dsn: str, password: str | None = None, timeout: float = 10):
    """Open a psycopg connection (autocommit off); raise ``PostgisError`` in Chinese.

    ``password`` is one typed at a prompt; otherwise libpq takes it from the service file,
    ``~/.pgpass`` or ``PGPASSWORD``.
    """
    import psycopg

    extra = {"password": password} if password else {}
    try:
        return psycopg.connect(conninfo(dsn), connect_timeout=int(timeout), **extra)
    except psycopg.Error as exc:
        raise PostgisError(f"无法连接数据库 {mask_secrets(dsn)}：{mask_secrets(str(exc).strip())}") from exc


def needs_password(error: BaseException) -> bool:
    """Whether a connection failed for want of a (right) password, so a prompt should ask one."""
    text = str(error).lower()
    return "password" in text and ("no password" in text or "authentication failed" in text)


def split_table(table: str) -> tuple[str, str]:
    """``schema.table`` or ``table`` (schema ``public``) → (schema, table)."""
    schema, _, name = str(table).rpartition(".")
    return schema or "public", name


def quoted(table: str):
    """A psycopg SQL identifier for ``schema.table``."""
    from psycopg import sql

    return sql.Identifier(*split_table(table))


class Connection:
    """A connection that reconnects after a drop: ``run(fn)`` calls ``fn(conn)`` in one transaction.

    When the server goes away mid-call (restart, network, ``pg_terminate_backend``) the
    transaction is rolled back by the server, so ``run`` reconnects and calls ``fn`` again, up to
    ``RETRIES`` times, telling ``on_retry`` (Chinese) each time; then it raises ``PostgisError``
    saying nothing was written. ``fn`` must be safe to repeat after a rollback.
    """

    def __init__(self, dsn: str, password: str | None = None, on_retry=None, wait: float = 0.5):
        self.dsn = dsn
        self._password = password
        self.on_retry = on_retry or (lambda message: log.warning(message))
        self.wait = wait
        self._conn = None

    def __repr__(self) -> str:
        return f"Connection({mask_secrets(self.dsn)!r})"

    @property
    def masked(self) -> str:
        """The DSN as it may be shown."""
        return mask_secrets(self.dsn)

    def raw(self):
        """The live psycopg connection (opened on first use)."""
        if self._conn is None or self._conn.closed:
            self._conn = connect(self.dsn, self._password)
        return self._conn

    def run(self, fn):
        """``fn(conn)`` inside one transaction, committed; retried after a dropped connection.

        Errors ``fn`` raises itself (e.g. a conflict) pass through after the rollback.
        """
        import psycopg

        for attempt in range(RETRIES + 1):
            try:
                conn = self.raw()
            except PostgisError as exc:
                if needs_password(exc.__cause__ or exc):  # a wrong password does not get better
                    raise
                error = exc
            else:
                try:
                    with conn.transaction():
                        return fn(conn)
                except psycopg.OperationalError as exc:
                    if not (conn.broken or conn.closed):  # a bad statement, not a lost connection
                        raise PostgisError(f"数据库 {self.masked} 操作失败：{mask_secrets(str(exc).strip())}") from exc
                    error = exc
                except psycopg.Error as exc:
                    raise PostgisError(f"数据库 {self.masked} 操作失败：{mask_secrets(str(exc).strip())}") from exc
            self.close()
            if attempt == RETRIES:
                raise PostgisError(
                    f"与数据库 {self.masked} 的连接中断，重试 {RETRIES} 次仍未恢复："
                    f"{mask_secrets(str(error).strip())}。本次操作未写入数据库；已绘制的地块仍在本地项目文件中，"
                    "没有丢失，连接恢复后可再次保存。") from error
            self.on_retry(f"与数据库 {self.masked} 的连接中断，正在重试（第 {attempt + 1}/{RETRIES} 次）…")
            time.sleep(self.wait * (attempt + 1))
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Close the connection (a later ``run`` reconnects)."""
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # a dead socket may fail to close; it is gone either way
                pass
            self._conn = None


# --- reading ----------------------------------------------------------------------------------


@dataclass
class TableInfo:
    """What a PostGIS table holds, read from the catalog without reading its rows."""

    table: str
    geometry_column: str
    srid: int
    key: str | None  # primary key column, used as feature number
    columns: list[str]  # attribute columns (not the geometry)
    estimated_rows: int  # from the planner's statistics; cheap on any size
    extent: tuple[float, float, float, float] | None  # estimated extent (statistics), if any


def table_info(conn, table: str) -> TableInfo:
    """The geometry column, SRID, key and columns of ``table``; ``PostgisError`` if absent."""
    schema, name = split_table(table)
    with conn.cursor() as cur:
        cur.execute("SELECT f_geometry_column, srid FROM geometry_columns "
                    "WHERE f_table_schema = %s AND f_table_name = %s", (schema, name))
        row = cur.fetchone()
        if row is None:
            raise PostgisError(f"数据库中没有空间表 {schema}.{name}（或它没有几何列）")
        geom, srid = row
        cur.execute("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                    "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary",
                    (f'"{schema}"."{name}"',))
        keys = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = %s "
                    "AND table_name = %s ORDER BY ordinal_position", (schema, name))
        columns = [r[0] for r in cur.fetchall() if r[0] != geom]
        cur.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", (f'"{schema}"."{name}"',))
        estimated = max(int(cur.fetchone()[0]), 0)
        # From the planner's statistics (NULL before the first ANALYZE): never a scan of the rows.
        cur.execute("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
                    "FROM ST_EstimatedExtent(%s, %s, %s) e", (schema, name, geom))
        row = cur.fetchone()
        extent = tuple(map(float, row)) if row and row[0] is not None else None
    return TableInfo(f"{schema}.{name}", geom, int(srid), keys[0] if len(keys) == 1 else None,
                     columns, estimated, extent)


def read_features(conn, table: str, boxes=None, columns: list[str] | None = None):
    """(geometries, attribute columns, feature numbers) of ``table`` in EPSG:4549.

    With ``boxes`` (n × 4: minx, miny, maxx, maxy in EPSG:4549) only features whose envelope
    meets one of them are read, on the server (``&&`` on the GiST index). ``columns`` limits
    the attributes read (default all). Geometry in another SRID is transformed by the server.
    """
    from psycopg import sql

    info = table_info(conn, table)
    wanted = info.columns if columns is None else [c for c in columns if c in info.columns]
    geom = sql.Identifier(info.geometry_column)
    geom_out = geom if info.srid == WORK_SRID else sql.SQL("ST_Transform({}, {})").format(geom, WORK_SRID)
    select = sql.SQL(", ").join([*(sql.SQL("t.{}").format(sql.Identifier(c)) for c in wanted),
                                 sql.SQL("ST_AsBinary(t.{})").format(geom_out)])
    params: tuple = ()
    where = sql.SQL("")
    if boxes is not None:
        boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
        envelope = sql.SQL("ST_MakeEnvelope(b.x0, b.y0, b.x1, b.y1, {})").format(WORK_SRID)
        if info.srid != WORK_SRID:
            envelope = sql.SQL("ST_Transform({}, {})").format(envelope, info.srid)
        # One index probe per box; EXISTS keeps a feature met by several boxes once.
        where = sql.SQL(" WHERE EXISTS (SELECT 1 FROM unnest(%s::float8[], %s::float8[], %s::float8[], "
                        "%s::float8[]) AS b(x0, y0, x1, y1) WHERE t.{} && {})").format(geom, envelope)
        params = tuple(boxes[:, k].tolist() for k in range(4))
    key = sql.SQL(" ORDER BY t.{}").format(sql.Identifier(info.key)) if info.key else sql.SQL("")
    query = sql.SQL("SELECT {} FROM {} t").format(select, quoted(info.table)) + where + key
    with conn.cursor() as cur:
        cur.execute(query, params)
        rows = cur.fetchall()
    geoms = shapely.from_wkb([bytes(r[-1]) if r[-1] is not None else None for r in rows])
    attrs = {c: [_plain(r[i]) for r in rows] for i, c in enumerate(wanted)}
    fids = np.asarray(attrs[info.key] if info.key in attrs else np.arange(1, len(rows) + 1))
    keep = ~shapely.is_missing(geoms)
    if not keep.all():
        geoms, fids = geoms[keep], fids[keep]
        attrs = {c: [v for v, k in zip(vals, keep) if k] for c, vals in attrs.items()}
    return np.asarray(geoms, dtype=object), attrs, fids


VIEW_DOT_PX = 2  # in a database view, features under this many pixels both ways come as dots


@dataclass
class ViewRead:
    """The features of a table in a view, as the map draws them at one resolution.

    ``geoms``/``attrs``/``fids``: the features meeting the view (``ST_Intersects``) whose
    envelope reaches ``VIEW_DOT_PX`` pixels (of ``tolerance`` metres) one way or the other,
    simplified by the server to a pixel (``ST_SimplifyPreserveTopology``; exact when
    ``tolerance`` is 0). ``dots`` (k × 2) and ``dot_counts``: the smaller ones, counted per pixel
    of a ``tolerance`` grid and drawn as one dot at its centre — a dot lies within
    (``VIEW_DOT_PX`` + 1) × ``tolerance`` × √2 / 2 of every point of the features it stands for.
    So a county view of a million patches brings dots, not their geometry or attributes, and
    every feature is accounted for.
    """

    geoms: np.ndarray
    attrs: dict[str, list]
    fids: np.ndarray
    dots: np.ndarray
    dot_counts: np.ndarray
    tolerance: float

    @property
    def features(self) -> int:
        """How many features of the table meet the view (drawn whole or as dots)."""
        return len(self.geoms) + int(self.dot_counts.sum())

    def note(self, title: str) -> str:
        """The Chinese label the map shows for this layer: read by view, and how simplified."""
        if self.tolerance <= 0:
            return f"{title}：按视图从数据库读取 {self.features:,} 个要素"
        text = f"{title}：按视图从数据库读取，按 1 像素（{self.tolerance:.3g} m）简化"
        if len(self.geoms):
            text += f"，{len(self.geoms):,} 个要素"
        small = int(self.dot_counts.sum())
        if small:
            text += f"，{small:,} 个小于 {VIEW_DOT_PX} 像素的要素画作 {len(self.dots):,} 个点"
        return text


def read_view(conn, table: str, extent, tolerance: float = 0.0, columns: list[str] | None = None) -> ViewRead:
    """The features of ``table`` meeting ``extent`` (minx, miny, maxx, maxy, EPSG:4549), for a
    map at ``tolerance`` metres per pixel (0: exact geometry, every feature whole); see
    ``ViewRead``. The server filters with ``ST_Intersects`` (its GiST index first), simplifies,
    and counts the sub-pixel features per pixel, so the client holds only what the view shows.
    """
    from psycopg import sql

    info = table_info(conn, table)
    wanted = info.columns if columns is None else [c for c in columns if c in info.columns]
    geom = sql.SQL("t.{}").format(sql.Identifier(info.geometry_column))
    work = geom if info.srid == WORK_SRID else sql.SQL("ST_Transform({}, {})").format(geom, WORK_SRID)
    envelope = sql.SQL("ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, {})").format(WORK_SRID)
    if info.srid != WORK_SRID:
        envelope = sql.SQL("ST_Transform({}, {})").format(envelope, info.srid)
    meets = sql.SQL("ST_Intersects({}, {})").format(geom, envelope)
    params = dict(zip(("x0", "y0", "x1", "y1"), map(float, extent)), tol=float(tolerance))
    params["dot"] = VIEW_DOT_PX * float(tolerance)
    small = sql.SQL("(ST_XMax({g}) - ST_XMin({g}) < %(dot)s AND ST_YMax({g}) - ST_YMin({g}) < %(dot)s)").format(g=work)
    shape = work if tolerance <= 0 else sql.SQL("ST_SimplifyPreserveTopology({}, %(tol)s)").format(work)
    select = sql.SQL(", ").join([*(sql.SQL("t.{}").format(sql.Identifier(c)) for c in wanted),
                                 sql.SQL("ST_AsBinary({})").format(shape)])
    where = meets if tolerance <= 0 else sql.SQL("{} AND NOT {}").format(meets, small)
    order = sql.SQL(" ORDER BY t.{}").format(sql.Identifier(info.key)) if info.key else sql.SQL("")
    with conn.cursor() as cur:
        cur.execute(sql.SQL("SELECT {} FROM {} t WHERE {}").format(select, quoted(info.table), where) + order, params)
        rows = cur.fetchall()
        dots, counts = np.zeros((0, 2)), np.zeros(0, dtype=np.int64)
        if tolerance > 0:
            # One bytea of big-endian int8 triples (cell x, cell y, features): no row objects.
            cur.execute(sql.SQL(
                "SELECT string_agg(int8send(ix) || int8send(iy) || int8send(n), ''::bytea) FROM (SELECT "
                "floor((ST_XMin({g}) + ST_XMax({g})) / 2 / %(tol)s)::bigint AS ix, floor((ST_YMin({g}) + "
                "ST_YMax({g})) / 2 / %(tol)s)::bigint AS iy, count(*) AS n FROM {t} t WHERE {meets} AND {small} "
                "GROUP BY 1, 2) cells").format(g=work, t=quoted(info.table), meets=meets, small=small), params)
            packed = cur.fetchone()[0]
            if packed:
                cells = np.frombuffer(bytes(packed), dtype=">i8").reshape(-1, 3)
                dots = (cells[:, :2].astype(float) + 0.5) * tolerance
                counts = cells[:, 2].astype(np.int64)
    geoms = shapely.from_wkb([bytes(r[-1]) if r[-1] is not None else None for r in rows])
    attrs = {c: [_plain(r[i]) for r in rows] for i, c in enumerate(wanted)}
    fids = np.asarray(attrs[info.key] if info.key in attrs else np.arange(1, len(rows) + 1))
    return ViewRead(np.asarray(geoms, dtype=object), attrs, fids, dots, counts, float(tolerance))


def _plain(value):
    """Database values as the file readers give them (Decimal → float)."""
    from decimal import Decimal

    return float(value) if isinstance(value, Decimal) else value


def read_frame(conn, table: str, bbox=None):
    """A GeoDataFrame (EPSG:4549) of ``table``, or of the features meeting ``bbox`` only."""
    import geopandas as gpd

    geoms, attrs, _ = read_features(conn, table, None if bbox is None else [bbox])
    return gpd.GeoDataFrame(attrs, geometry=list(geoms), crs=WORK_CRS)


# --- writing ----------------------------------------------------------------------------------

_PG_TYPES = {"b": "boolean", "i": "bigint", "u": "bigint", "f": "double precision"}


def write_frame(conn, gdf, table: str, replace: bool = True) -> int:
    """Write a GeoDataFrame (any CRS; stored in EPSG:4549) to ``table`` with a GiST index.

    Columns become ``text``/``double precision``/``bigint``/``boolean``; a serial ``fid`` primary
    key numbers the features in order. Rows go through ``COPY`` as hex EWKB. Returns the rows
    written. With ``replace`` an existing table is dropped first (in the caller's transaction).
    """
    from psycopg import sql

    if gdf.crs is not None and gdf.crs.to_string() != WORK_CRS:
        gdf = gdf.to_crs(WORK_CRS)
    schema, name = split_table(table)
    columns = [c for c in gdf.columns if c != gdf.geometry.name and c != "fid"]
    types = [_PG_TYPES.get(gdf[c].dtype.kind, "text") for c in columns]
    target = sql.Identifier(schema, name)
    with conn.cursor() as cur:
        cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        if replace:
            cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(target))
        cur.execute(sql.SQL("CREATE TABLE {} (fid bigserial PRIMARY KEY, {}, geom geometry(Geometry, {}))").format(
            target, sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t))
                                       for c, t in zip(columns, types)), WORK_SRID)
            if columns else sql.SQL("CREATE TABLE {} (fid bigserial PRIMARY KEY, geom geometry(Geometry, {}))")
            .format(target, WORK_SRID))
        wkb = shapely.to_wkb(shapely.set_srid(np.asarray(gdf.geometry.values, dtype=object), WORK_SRID),
                             hex=True, include_srid=True)
        values = [gdf[c].tolist() for c in columns]
        copy = sql.SQL("COPY {} ({}) FROM STDIN").format(
            target, sql.SQL(", ").join(sql.Identifier(c) for c in [*columns, "geom"]))
        with cur.copy(copy) as out:
            for i in range(len(gdf)):
                out.write_row([_cell(v[i]) for v in values] + [wkb[i]])
        cur.execute(sql.SQL("CREATE INDEX ON {} USING gist (geom)").format(target))
        cur.execute(sql.SQL("ANALYZE {}").format(target))
    return len(gdf)


def _cell(value):
    """A value as COPY takes it: NaN and pandas' missing values become NULL."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar
    if not isinstance(value, (str, int, float, bool)):
        try:
            import pandas as pd

            if pd.isna(value):
                return None
        except (TypeError, ValueError):
            pass
        return str(value)
    return value


# --- catalog layers ---------------------------------------------------------------------------

_connections: dict[tuple[str, int], Connection] = {}
_prompt = None  # callable(masked dsn, error or None) -> password or None; set by the window


def set_password_prompt(prompt) -> None:
    """Let a front end ask for a password: ``prompt(masked_dsn, error) -> str | None``.

    ``error`` is None on the first question and a Chinese sentence after a refused password;
    None (or "") from the prompt means the user cancelled. It may be called from any thread.
    The password is kept in this process's memory only.
    """
    global _prompt
    _prompt = prompt


def login_user(dsn: str) -> str | None:
    """The user name a DSN or URL gives (``user=`` or ``postgresql://user@…``), else None."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        return conninfo_to_dict(conninfo(dsn)).get("user")
    except Exception:  # a malformed DSN is reported when connecting
        return None


def connection_for(dsn: str) -> Connection:
    """The shared, reconnecting connection of this thread to ``dsn`` (see :func:`open_connection`).

    A password typed for ``dsn`` in one thread serves this process's other threads too (view
    reads and checks run in workers): it is asked once, not once per thread.
    """
    key = (dsn, threading.get_ident())  # a transaction is not shared between threads
    conn = _connections.get(key)
    if conn is None:
        typed = next((c._password for (d, _), c in list(_connections.items()) if d == dsn and c._password), None)
        conn = _connections[key] = Connection(dsn, typed) if typed else open_connection(dsn)
    return conn


def open_connection(dsn: str, on_retry=None) -> Connection:
    """A new reconnecting connection to ``dsn``, connected; ``on_retry`` as in ``Connection``.

    When the server asks for a password the DSN's sources do not give, the prompt set by
    ``set_password_prompt`` is asked, again after each refused password, until a password works
    or the user cancels (``PostgisError`` …已取消). The password stays in memory only.
    Raises ``PostgisError`` (masked, Chinese) when the server cannot be reached.
    """
    conn = Connection(dsn, on_retry=on_retry)
    try:
        conn.raw()
        return conn
    except PostgisError as exc:
        if _prompt is None or not needs_password(exc.__cause__ or exc):
            raise
        first = exc
    masked, error, cause = mask_secrets(dsn), None, first
    while True:
        password = _prompt(masked, error)
        if not password:
            raise PasswordCancelled(f"连接数据库 {masked} 需要口令，已取消") from cause
        conn = Connection(dsn, password, on_retry=on_retry)
        try:
            conn.raw()
            return conn
        except PostgisError as exc:
            if not needs_password(exc.__cause__ or exc):
                raise
            user = login_user(dsn)
            error = f"口令错误：数据库拒绝了{f'用户 {user} 的' if user else '这个'}口令，请重新输入。"
            cause = exc


def load_postgis_layer(spec, bbox=None):
    """A catalog layer's table as a GeoDataFrame (EPSG:4549), or only the features meeting ``bbox``.

    Raises ``CatalogError`` naming the layer, the masked connection and the table.
    """
    from .catalog import CatalogError

    try:
        return connection_for(spec.dsn).run(lambda conn: read_frame(conn, spec.source_layer, bbox))
    except PostgisError as exc:
        raise CatalogError(f"图层“{spec.title}”（{spec.id}）无法从数据库读取（{mask_secrets(spec.dsn)} 的表 "
                           f"{spec.source_layer}）：{exc}") from exc


VIEW_READ_ROWS = 100_000  # a table estimated larger is read for the map's view, never whole


def reads_by_view(spec) -> bool:
    """Whether the map reads this database layer per view: its table is estimated (planner
    statistics, no scan) to hold more than ``VIEW_READ_ROWS`` rows.
    """
    from .catalog import CatalogError

    try:
        info = connection_for(spec.dsn).run(lambda conn: table_info(conn, spec.source_layer))
    except PostgisError as exc:
        raise CatalogError(f"图层“{spec.title}”（{spec.id}）无法从数据库读取（{mask_secrets(spec.dsn)} 的表 "
                           f"{spec.source_layer}）：{exc}") from exc
    return info.estimated_rows > VIEW_READ_ROWS


def empty_view_layer(spec):
    """A by-view database layer before its first view is read (nothing drawn yet)."""
    import geopandas as gpd

    from .catalog import MapLayer

    return MapLayer(spec, gpd.GeoDataFrame(geometry=[], crs=WORK_CRS), by_view=True,
                    view_note=f"{spec.title}：数据量大，按视图从数据库读取")


def load_postgis_view(spec, extent, tolerance: float):
    """A catalog layer's table read for a map view (``read_view``) as a by-view ``MapLayer``:
    the features drawn whole in ``gdf`` (repaired like every reader), the drawing geometry with
    the sub-pixel features as dots, and the Chinese note of what is shown. ``CatalogError``
    names the layer, the masked connection and the table.
    """
    import geopandas as gpd

    from .catalog import CatalogError, MapLayer, repair_geometry
    from .geometry_cache import LayerGeometry, with_dots

    try:
        read = connection_for(spec.dsn).run(lambda conn: read_view(conn, spec.source_layer, extent, tolerance))
    except PostgisError as exc:
        raise CatalogError(f"图层“{spec.title}”（{spec.id}）无法从数据库读取（{mask_secrets(spec.dsn)} 的表 "
                           f"{spec.source_layer}）：{exc}") from exc
    gdf, repairs = repair_geometry(gpd.GeoDataFrame(read.attrs, geometry=list(read.geoms), crs=WORK_CRS), spec.title)
    drawing = with_dots(LayerGeometry(gdf.geometry.to_numpy()), read.dots)
    return MapLayer(spec, gdf, repairs, by_view=True, drawing=drawing, view_note=read.note(spec.title))


def read_postgis_features(spec, boxes=None):
    """(geometries, attribute columns, fids) of a catalog layer's table; ``boxes`` as in
    ``read_features`` (candidate features chosen by the server's GiST index).
    """
    from .catalog import CatalogError

    try:
        return connection_for(spec.dsn).run(lambda conn: read_features(conn, spec.source_layer, boxes))
    except PostgisError as exc:
        raise CatalogError(f"图层“{spec.title}”（{spec.id}）无法从数据库读取（{mask_secrets(spec.dsn)} 的表 "
                           f"{spec.source_layer}）：{exc}") from exc


def publish_catalog(dsn: str, specs, schema: str = "public", password: str | None = None,
                    progress=None) -> list[tuple[str, int]]:
    """Write every catalog layer to ``schema.<layer id>`` (EPSG:4549, GiST index), one transaction
    per layer; returns (table, rows). A catalog table ``schema.suichang_layers`` records each
    layer's title, version, accuracy and source. ``progress(message)`` is told each layer.
    """
    from .catalog import load_layer

    conn = Connection(dsn, password)
    written = []
    try:
        for spec in specs:
            layer = load_layer(spec)

            def write(c, spec=spec, layer=layer):
                from psycopg import sql

                rows = write_frame(c, layer.gdf, f"{schema}.{spec.id}")
                c.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} (id text PRIMARY KEY, title text, "
                                  "version text, accuracy text, source text, licence text, "
                                  "published_at timestamptz DEFAULT now())")
                          .format(sql.Identifier(schema, "suichang_layers")))
                c.execute(sql.SQL("DELETE FROM {} WHERE id = %s").format(sql.Identifier(schema, "suichang_layers")),
                          (spec.id,))
                p = spec.provenance
                c.execute(sql.SQL("INSERT INTO {} (id, title, version, accuracy, source, licence) "
                                  "VALUES (%s, %s, %s, %s, %s, %s)").format(sql.Identifier(schema, "suichang_layers")),
                          (spec.id, spec.title, spec.version, p.accuracy, p.source, p.licence))
                return rows

            rows = conn.run(write)
            written.append((f"{schema}.{spec.id}", rows))
            if progress:
                progress(f"{spec.title}（{spec.id}）→ {schema}.{spec.id}：{rows} 个要素")
    finally:
        conn.close()
    return written
