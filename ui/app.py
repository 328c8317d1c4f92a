"""QApplication set-up: CJK font, Qt's own Chinese translations, then the main window."""

from __future__ import annotations

import json
import sys
import time

from PySide6.QtCore import QEvent, QLibraryInfo, QLocale, QObject, QTimer, QTranslator, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from suichang_gis.fonts import cjk_font_path

# Python hands its GIL to a waiting thread after this many seconds (default 5 ms). The GUI thread
# takes the GIL for every Python override Qt calls (a table model's data() per cell, paintEvent
# …); while a worker runs Python code each of those waited up to 5 ms, and one repaint of the
# parcel list stood still for a second. At 0.5 ms the window keeps up; workers lose little.
GIL_SWITCH_INTERVAL_S = 0.0005


def create_application(argv: list[str] | None = None) -> QApplication:
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    font_id = QFontDatabase.addApplicationFont(str(cjk_font_path()))
    families = QFontDatabase.applicationFontFamilies(font_id)
    if families:
        app.setFont(QFont(families[0], 10))
    app.setApplicationName("遂昌 GIS 规划工作台")
    install_chinese_translator(app)
    return app


def install_chinese_translator(app: QApplication) -> bool:
    """Load Qt's ``qtbase_zh_CN.qm`` (shipped with PySide6) so standard buttons and dialogs
    (确定/取消, 保存/不保存, 是/否, the file dialog) speak Chinese; once per application."""
    if app.findChild(QTranslator, "qtbase_zh_CN") is not None:
        return True
    translator = QTranslator(app)
    translator.setObjectName("qtbase_zh_CN")
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if not translator.load(QLocale(QLocale.Language.Chinese, QLocale.Country.China), "qtbase", "_", folder):
        return False
    app.installTranslator(translator)
    app.installTranslator(MissingChineseTranslator(app))  # asked first; what it does not know falls through
    return True


class MissingChineseTranslator(QTranslator):
    """The few strings of Qt's own file dialog that ``qtbase_zh_CN`` leaves in English (the
    labels with a keyboard accelerator, the file type column); everything else falls through."""

    TEXTS = {("QFileDialog", "&Look in:"): "查找范围(&L)：", ("QFileDialog", "Files of &type:"): "文件类型(&T)：",
             ("QAbstractFileIconProvider", "Folder"): "文件夹", ("QAbstractFileIconProvider", "File"): "文件",
             ("QAbstractFileIconProvider", "Drive"): "驱动器"}

    def translate(self, context, source_text, disambiguation=None, n=-1):
        return self.TEXTS.get((context, source_text))  # None: not ours, the next translator answers

    def isEmpty(self) -> bool:
        return False


def run(screenshot: str | None = None, project: str | None = None, catalog: str | None = None,
        startup_times: bool = False) -> int:
    """Show the workbench on ``project`` (a .gpkg path; else the last one), or save a screenshot.

    ``catalog`` is a user catalog (TOML) replacing layers' data, e.g. by shared PostGIS tables.
    The window shows first, with an empty map; the default layers are read in the background
    and fill the map as they arrive, while the project opens and the panels are added.
    ``startup_times``: print when the window was first painted and when the whole default map
    was (``time.time()`` seconds, one JSON line), then close — for ``benchmarks/bench_startup.py``.
    """
    app = create_application()
    from .main_window import MainWindow

    window = MainWindow(layers=[])
    stamps = StartupStamps(window) if startup_times else None
    window.load_layers_in_background(user_catalog=catalog)
    if screenshot:
        window.resize(1600, 1000)
        window.show()
    else:
        window.show_restored_geometry()
    app.processEvents()  # the window on screen before the project opens
    from .parcel_actions import install_parcel_editing

    # A screenshot run must not wait on a question: it recovers (and keeps) unsaved edits, and
    # opens a project another window holds read-only.
    parcel_actions = install_parcel_editing(window, project_path=project,
                                            ask_recover=(lambda message: True) if screenshot else None,
                                            ask_locked=(lambda exc: "read_only") if screenshot else None,
                                            confirm_on_close=not screenshot)
    from .check_panel import install_check_panel

    install_check_panel(window, parcel_actions.editor)
    from .shared_parcels import install_shared_parcels

    install_shared_parcels(window, parcel_actions)
    if screenshot:
        window.wait_for_layers()
        app.processEvents()
        window.database_view.read_now()  # a large database layer: the view's features
        window.canvas.render_now()  # the sharp map, not the first empty frame
        app.processEvents()
        window.grab().save(screenshot)
        window.close()  # lets go of the project (its lock) as a user's close does
        return 0
    window.restore_window_state()
    window.show_window()
    if stamps is not None:
        stamps.done.connect(window.close)
    return app.exec()


class StartupStamps(QObject):
    """Wall-clock times (``time.time()``) of the window's first paint and of the first paint of
    the map with every default layer drawn; printed as one JSON line, then ``done``."""

    done = Signal()

    def __init__(self, window):
        super().__init__(window)
        self.window, self.canvas = window, window.canvas
        self.window_shown: float | None = None
        self._rendered_all = False
        window.installEventFilter(self)
        self.canvas.installEventFilter(self)
        self.canvas.render_finished.connect(self._rendered)

    def _rendered(self) -> None:
        self._rendered_all = not self.window.layers_loading  # this image has every layer

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Paint:
            if self.window_shown is None:
                self.window_shown = time.time()
            elif watched is self.canvas and self._rendered_all:
                QTimer.singleShot(0, self._report)  # after this paint reached the screen
                self.canvas.removeEventFilter(self)
                self.window.removeEventFilter(self)
        return False

    def _report(self) -> None:
        print(json.dumps({"window_shown": self.window_shown, "map_painted": time.time(),
                          "layers": len(self.window.layers)}), flush=True)
        self.done.emit()
