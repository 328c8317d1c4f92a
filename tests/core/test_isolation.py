"""The suite runs in a temporary HOME: Qt, matplotlib and every subprocess stay out of the user's files."""

import os
import subprocess
import sys
from pathlib import Path

import pytest


def test_home_and_xdg_folders_are_the_sessions_temporary_ones(session_home, real_home):
    assert Path(os.environ["HOME"]) == session_home != real_home
    for var in ["XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"]:
        assert Path(os.environ[var]).is_relative_to(session_home)


def test_a_subprocess_resolves_its_home_inside_the_temporary_folder(session_home):
    out = subprocess.run([sys.executable, "-c", "import os; print(os.path.expanduser('~'))"],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert Path(out) == session_home


@pytest.mark.ui
def test_qt_app_data_and_settings_resolve_inside_the_temporary_folder(session_home, real_home, tmp_path_factory):
    pytest.importorskip("PySide6")
    from PySide6.QtCore import QSettings, QStandardPaths

    from ui.app import create_application

    create_application()
    # The session's HOME, or the private one a window test before this one gave Qt.
    temporary = (session_home, tmp_path_factory.getbasetemp())

    def private(path: str) -> bool:
        return any(Path(path).is_relative_to(folder) for folder in temporary) \
            and not Path(path).is_relative_to(real_home)

    assert QStandardPaths.isTestModeEnabled()
    for location in [QStandardPaths.StandardLocation.AppDataLocation,
                     QStandardPaths.StandardLocation.AppConfigLocation,
                     QStandardPaths.StandardLocation.DocumentsLocation]:
        assert private(QStandardPaths.writableLocation(location))
    assert private(QSettings().fileName())
