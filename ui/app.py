"""QApplication set-up: CJK font, Qt's own Chinese translations, then the main window."""

from __future__ import annotations

import sys

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from suichang_gis.fonts import cjk_font_path


def create_application(argv: list[str] | None = None) -> QApplication:
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


def run(screenshot: str | None = None, project: str | None = None, catalog: str | None = None) -> int:
    """Show the workbench on ``project`` (a .gpkg path; else the last one), or save a screenshot.

    ``catalog`` is a user catalog (TOML) replacing layers' data, e.g. by shared PostGIS tables.
    """
    app = create_application()
    from .main_window import MainWindow

    window = MainWindow(user_catalog=catalog)
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
        window.resize(1600, 1000)
        window.show()
        app.processEvents()
        window.canvas.render_now()  # the sharp map, not the first empty frame
        app.processEvents()
        window.grab().save(screenshot)
        window.close()  # lets go of the project (its lock) as a user's close does
        return 0
    window.restore_window_state()
    window.show_window()
    return app.exec()
