"""The suite runs in a temporary HOME: Qt, matplotlib and every subprocess stay out of the user's files."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REAL_HOME, TEST_HOME


def test_home_and_xdg_folders_are_the_sessions_temporary_ones():
    assert Path(os.environ["HOME"]) == TEST_HOME != REAL_HOME
    for var in ["XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"]:
        assert Path(os.environ[var]).is_relative_to(TEST_HOME)


def test_a_subprocess_resolves_its_home_inside_the_temporary_folder():
    out = subprocess.run([sys.executable, "-c", "import os; print(os.path.expanduser('~'))"],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert Path(out) == TEST_HOME


@pytest.mark.ui
def test_qt_app_data_and_settings_resolve_inside_the_temporary_folder():
    pytest.importorskip("PySide6")
    from PySide6.QtCore import QSettings, QStandardPaths

    from ui.app import create_application

    create_application()
    assert QStandardPaths.isTestModeEnabled()
    for location in [QStandardPaths.StandardLocation.AppDataLocation,
                     QStandardPaths.StandardLocation.AppConfigLocation,
                     QStandardPaths.StandardLocation.DocumentsLocation]:
        assert Path(QStandardPaths.writableLocation(location)).is_relative_to(TEST_HOME)
    assert Path(QSettings().fileName()).is_relative_to(TEST_HOME)
