import pytest

pytest.importorskip("PySide6")

from suichang_gis.catalog import GROUPS  # noqa: E402


@pytest.mark.ui
def test_main_window_starts_and_shows_every_group(qtbot):
    from ui.app import create_application
    from ui.main_window import MainWindow

    create_application()
    window = MainWindow()
    qtbot.addWidget(window)
    tree = window.centralWidget()
    groups = {tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())}
    assert groups <= set(GROUPS) and "行政区划" in groups
