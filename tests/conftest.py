"""Test-wide set-up: no display, and no test can touch the user's own files.

Before anything imports Qt or matplotlib, HOME and the XDG folders point into one temporary folder
for the whole session. Every Qt test and every subprocess a test starts (``main.py --screenshot``,
the CLI) inherits that environment, so settings, app data, the default project and its recovery
journal all live there; Qt's own test mode (``QStandardPaths.setTestModeEnabled``) is switched on
as well. The session fails if the real user's app folders changed while it ran.

``SUICHANG_GIS_NO_SKIP=1`` (CI sets it) turns any skipped test into a failed session: the plan-text
tests, the PostGIS tests and the browser tests must run where CI runs.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import pytest

# Before anything imports Qt or matplotlib: no display, no GUI backend.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")
os.environ.setdefault("MPLBACKEND", "Agg")

REAL_HOME = Path(os.path.expanduser("~"))
TEST_HOME = Path(tempfile.mkdtemp(prefix="suichang-gis-test-home-"))
_XDG = {"XDG_CONFIG_HOME": ".config", "XDG_DATA_HOME": ".local/share", "XDG_CACHE_HOME": ".cache",
        "XDG_STATE_HOME": ".local/state", "XDG_RUNTIME_DIR": "runtime"}
os.environ["HOME"] = str(TEST_HOME)
for _var, _sub in _XDG.items():
    (TEST_HOME / _sub).mkdir(parents=True, exist_ok=True)
    os.environ[_var] = str(TEST_HOME / _sub)
(TEST_HOME / "runtime").chmod(stat.S_IRWXU)  # Qt insists on 0700 for the runtime folder

# The plan text lives beside the checkout (DESIGN.md: ../shared/plan/).
PLAN_FILE = Path(__file__).resolve().parents[2] / "shared" / "plan" / "suichang-14th-five-year-plan.txt"

# Folders where the workbench keeps settings and app data; their names carry the application name.
_APP_FOLDER_PARENTS = [".config", ".local/share", ".local/state", ".cache"]
_APP_NAME_PARTS = ("遂昌", "suichang")


def _real_app_files() -> dict[str, tuple[int, int]]:
    """Size and mtime of every file of the workbench under the real user's HOME.

    Qt puts them at the first or second level of the XDG folders (``遂昌 GIS 规划工作台/`` for app
    data, ``Unknown Organization/遂昌 GIS 规划工作台.conf`` for settings).
    """
    found = {}
    for parent in _APP_FOLDER_PARENTS:
        base = REAL_HOME / parent
        if not base.is_dir():
            continue
        candidates = [*base.iterdir(), *(child for entry in base.iterdir() if entry.is_dir()
                                         for child in entry.iterdir())]
        for entry in candidates:
            if not any(part in entry.name.lower() for part in _APP_NAME_PARTS):
                continue
            for path in [entry, *entry.rglob("*")] if entry.is_dir() else [entry]:
                info = path.lstat()
                found[str(path)] = (info.st_size, info.st_mtime_ns)
    return found


def pytest_configure(config):
    config._real_app_files = _real_app_files()
    try:
        from PySide6.QtCore import QStandardPaths
    except ImportError:
        return
    QStandardPaths.setTestModeEnabled(True)


def pytest_sessionfinish(session, exitstatus):
    _close_qt_application()
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    before, after = session.config._real_app_files, _real_app_files()
    changed = sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))
    if changed:
        reporter.write_line(f"失败：测试期间真实用户目录 {REAL_HOME} 下的工作台文件被改动：", red=True)
        for path in changed[:10]:
            reporter.write_line(f"    {path}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    skipped = reporter.stats.get("skipped", [])
    if os.environ.get("SUICHANG_GIS_NO_SKIP") == "1" and skipped:
        for report in skipped:
            reporter.write_line(f"skipped where every test must run: {report.nodeid} {report.longrepr}",
                                red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _close_qt_application():
    """Close every window and wait for every worker before the interpreter tears Qt down.

    Widgets or running QThreadPool jobs that outlive the QApplication abort the interpreter at
    exit (SIGABRT after the summary), so they are finished here, while the application lives.
    """
    import sys

    if "PySide6.QtWidgets" not in sys.modules:
        return
    from PySide6.QtCore import QCoreApplication, QEvent, QThreadPool
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        return
    for widget in QApplication.topLevelWidgets():
        widget.deleteLater()
    QThreadPool.globalInstance().waitForDone()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()


@pytest.fixture(scope="session")
def plan_text_raw() -> str:
    """The plan text as written (page breaks included), or a skip that says what to provide."""
    if not PLAN_FILE.exists():
        pytest.skip("needs the plan text at ../shared/plan/suichang-14th-five-year-plan.txt "
                    "beside the checkout")
    return PLAN_FILE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def session_home() -> Path:
    """The temporary HOME every test and subprocess of this session runs in."""
    return TEST_HOME


@pytest.fixture(scope="session")
def real_home() -> Path:
    """The HOME of the user who started the tests (never written to)."""
    return REAL_HOME
