"""One writer at a time: a lock file beside the project, in the manner of office documents.

Opening a project for editing creates ``<name>.gpkg.lock`` (JSON: user, host, process id, time
and a random token) with ``O_CREAT | O_EXCL``, so two openers can never both create it. A lock
whose process is gone (same host, pid no longer running) or whose content cannot be read is
stale and is taken over; a lock held by a live process, or by another computer (whose processes
cannot be checked from here), is respected and named in the message the second opener gets.
"""

from __future__ import annotations

import datetime as _dt
import getpass
import json
import os
import socket
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

LOCK_SUFFIX = ".lock"


@dataclass(frozen=True)
class LockHolder:
    """Who holds a project: login name, computer name, process id, ISO time the lock was taken."""

    user: str
    host: str
    pid: int
    since: str
    token: str

    def describe(self) -> str:
        """Chinese: '用户 张三（计算机 PC-01，进程 1234，2026-11-30 10:02 起）'."""
        since = self.since.replace("T", " ")[:16]
        return f"用户 {self.user}（计算机 {self.host}，进程 {self.pid}，{since} 起）"

    @classmethod
    def me(cls) -> LockHolder:
        """The holder this process would write: user, computer, process id, time and a fresh token."""
        try:
            user = getpass.getuser()
        except Exception:  # no login name (some containers): the uid says as much
            user = f"uid {os.getuid()}" if hasattr(os, "getuid") else "未知"
        return cls(user, socket.gethostname(), os.getpid(),
                   _dt.datetime.now().isoformat(timespec="seconds"), uuid.uuid4().hex)


class ProjectLockedError(Exception):
    """The project is held by ``holder`` (a live process, or another computer)."""

    def __init__(self, project: Path, holder: LockHolder):
        super().__init__(f"项目 {project.name} 正由{holder.describe()}打开编辑")
        self.project = project
        self.holder = holder


def lock_path(project: Path) -> Path:
    """The lock file of ``project``: the project file name plus the lock suffix."""
    return project.with_name(project.name + LOCK_SUFFIX)


def read_holder(project: Path) -> LockHolder | None:
    """The holder written in the lock file; None when there is none or it cannot be read."""
    try:
        data = json.loads(lock_path(project).read_text(encoding="utf-8"))
        return LockHolder(str(data["user"]), str(data["host"]), int(data["pid"]), str(data["since"]),
                          str(data["token"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return True
    return True


def is_stale(holder: LockHolder | None) -> bool:
    """True for an unreadable lock, or one whose process on this computer is gone."""
    if holder is None:
        return True
    return holder.host == socket.gethostname() and not _alive(holder.pid)


class ProjectLock:
    """The lock this process holds on ``project``; ``release`` removes it (only if still ours)."""

    def __init__(self, project: Path, holder: LockHolder, took_over: LockHolder | None = None):
        self.project = project
        self.holder = holder
        self.took_over = took_over  # the stale holder whose lock was taken over, if any

    @classmethod
    def acquire(cls, project) -> ProjectLock:
        """Take the lock; raises ``ProjectLockedError`` if held, ``OSError`` if it cannot be written."""
        project = Path(project)
        path = lock_path(project)
        me = LockHolder.me()
        payload = json.dumps(asdict(me), ensure_ascii=False).encode("utf-8")
        for _ in range(3):
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = read_holder(project)
                if not is_stale(holder):
                    raise ProjectLockedError(project, holder) from None
                # Stale: write ours beside it and rename over it, then check that ours won.
                tmp = path.with_name(f"{path.name}.{me.token}")
                tmp.write_bytes(payload)
                os.replace(tmp, path)
                if (read_holder(project) or me).token == me.token:
                    return cls(project, me, took_over=holder)
                continue
            try:
                os.write(fd, payload)
                os.fsync(fd)
            except OSError:
                os.close(fd)
                path.unlink(missing_ok=True)
                raise
            os.close(fd)
            return cls(project, me)
        raise ProjectLockedError(project, read_holder(project) or me)

    def still_ours(self) -> bool:
        """Whether the lock file still names this lock's holder (token compared)."""
        holder = read_holder(self.project)
        return holder is not None and holder.token == self.holder.token

    def release(self) -> None:
        """Remove the lock file if it is still ours; a vanished drive is ignored."""
        try:
            if self.still_ours():
                lock_path(self.project).unlink(missing_ok=True)
        except OSError:  # a vanished drive: nothing more to do
            pass
