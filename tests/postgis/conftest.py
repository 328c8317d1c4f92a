"""A real PostgreSQL + PostGIS server for the tests of this folder.

``SUICHANG_TEST_PG_DSN`` (a libpq string or URL of a database where ``CREATE EXTENSION postgis``
works) names a running server; without it the session starts its own with initdb/pg_ctl in a
temporary directory, on a free port and a private unix socket, and stops it at the end. initdb
refuses root, so as root the server runs as the ``postgres`` user. Each test gets a fresh database.
The tests are skipped, with the reason, only when the server programs are not installed.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

psycopg = pytest.importorskip("psycopg", reason="psycopg（PostgreSQL 驱动）未安装：pip install -e .[test]")

PASSWORD_USER, PASSWORD = "planner", "S3cret-pw!"  # a role with a password, for the masking tests


def _bin_dir() -> Path | None:
    found = shutil.which("pg_ctl") or shutil.which("initdb")
    if found:
        return Path(found).parent
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    return Path(dirs[-1]) if dirs else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(cmd: list[str], user: str | None) -> list[str]:
    return ["runuser", "-u", user, "--", *cmd] if user else cmd


@pytest.fixture(scope="session")
def pg_server():
    """libpq keywords (dict) of a superuser connection to a running server with PostGIS."""
    given = os.environ.get("SUICHANG_TEST_PG_DSN")
    if given:
        info = psycopg.conninfo.conninfo_to_dict(given)
        with psycopg.connect(**info, autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (PASSWORD_USER,)).fetchone():
                conn.execute(f"CREATE ROLE {PASSWORD_USER} LOGIN SUPERUSER PASSWORD '{PASSWORD}'")
        yield info
        return
    bindir = _bin_dir()
    if bindir is None or not (bindir / "initdb").exists():
        pytest.skip("PostgreSQL 服务器程序（initdb/pg_ctl）未安装：apt-get install postgresql postgis")
    user = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("以 root 运行时需要系统用户 postgres 来启动测试数据库（Debian 的 postgresql 包会创建它）")
        user = "postgres"
    root = Path(tempfile.mkdtemp(prefix="suichang-pg-"))
    if user:
        entry = pwd.getpwnam(user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    data, port = root / "data", _free_port()
    superuser = user or pwd.getpwuid(os.geteuid()).pw_name
    subprocess.run(_as_server_user([str(bindir / "initdb"), "-D", str(data), "-U", superuser, "-E", "UTF8",
                                    "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256"], user),
                   check=True, capture_output=True)
    log = root / "server.log"
    subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-o",
                                    f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off",
                                    "start"], user), check=True, capture_output=True)
    info = {"host": str(root), "port": str(port), "user": superuser, "dbname": "postgres"}
    try:
        with psycopg.connect(**info, autocommit=True) as conn:
            conn.execute(f"CREATE ROLE {PASSWORD_USER} LOGIN SUPERUSER PASSWORD '{PASSWORD}'")
        yield info
    finally:
        subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], user),
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_dsn(pg_server):
    """A libpq DSN string of a fresh database with the PostGIS extension (dropped afterwards)."""
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(**pg_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    info = {**pg_server, "dbname": name}
    with psycopg.connect(**info, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION postgis")
    yield psycopg.conninfo.make_conninfo(**info)
    with psycopg.connect(**pg_server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def pg_password():
    """The password of the ``planner`` role (only ever typed, never stored by the product)."""
    return PASSWORD


@pytest.fixture
def pg_password_url(pg_server, pg_dsn):
    """A ``postgresql://`` URL with a password in it, over TCP (password authentication)."""
    dbname = psycopg.conninfo.conninfo_to_dict(pg_dsn)["dbname"]
    return f"postgresql://{PASSWORD_USER}:{PASSWORD}@127.0.0.1:{pg_server['port']}/{dbname}"
