"""What a failed write means, in Chinese: disk full, read-only folder, vanished drive, no permission.

SQLite, the file system and GDAL (through pyogrio) each report the same fault differently:
``OSError(ENOSPC)``, ``sqlite3.OperationalError('database or disk is full')`` and a
``pyogrio.errors.DataSourceError`` quoting several kilobytes of SQL that ends in
``failed: database or disk is full``. ``describe_write_error`` turns any of them into one short
reason a planner can act on.
"""

from __future__ import annotations

import errno

_BY_ERRNO = {
    errno.ENOSPC: "磁盘已满",
    errno.EDQUOT: "磁盘配额已用完",
    errno.EROFS: "所在文件夹或磁盘只读",
    errno.EACCES: "没有写入权限（文件夹只读或被其他程序占用）",
    errno.EPERM: "没有写入权限（文件夹只读或被其他程序占用）",
    errno.EIO: "磁盘读写错误（驱动器或网络盘可能已断开）",
    errno.ENOENT: "找不到文件或文件夹（驱动器或网络盘可能已断开）",
    errno.ENODEV: "驱动器不可用（可能已拔出或网络已断开）",
    errno.ENXIO: "驱动器不可用（可能已拔出或网络已断开）",
    errno.ESTALE: "网络驱动器连接已失效",
}
_BY_TEXT = (
    ("disk is full", "磁盘已满"),
    ("no space left", "磁盘已满"),
    ("readonly database", "所在文件夹或磁盘只读"),
    ("read-only", "所在文件夹或磁盘只读"),
    ("unable to open database file", "无法创建或打开文件（文件夹只读、不存在或驱动器已断开）"),
    ("disk i/o error", "磁盘读写错误（驱动器或网络盘可能已断开）"),
    ("permission denied", "没有写入权限"),
    ("database is locked", "文件正被其他程序占用（数据库已锁定）"),
    ("not a database", "文件已损坏或不是数据库"),
    ("malformed", "文件已损坏"),
)


def describe_write_error(exc: BaseException) -> str:
    """A short Chinese reason for a failed write (no SQL, at most about 120 characters)."""
    code = getattr(exc, "errno", None)
    if code in _BY_ERRNO:
        return _BY_ERRNO[code]
    text = str(exc)
    lowered = text.lower()
    for needle, reason in _BY_TEXT:
        if needle in lowered:
            return reason
    tail = text.rsplit("failed:", 1)[-1].strip() if "failed:" in text else text
    return f"{type(exc).__name__}：{tail[:120]}"
