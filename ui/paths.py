"""Where file dialogs start, and the recently opened projects, kept in the user's ``QSettings``.

Each kind of file (``"project"``, ``"import"``, ``"export"``, ``"layer"``, ``"report"``,
``"print"``, ``"webmap"``) has its own last folder, so importing from a survey folder does not
move where reports go. Until a kind was used its dialog starts in the user's Documents folder
(``QStandardPaths.DocumentsLocation``), never in the program's own folder.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

RECENT_KEY = "project/recent"
RECENT_LIMIT = 8


def documents_folder() -> Path:
    """The user's Documents folder (the home folder when there is none)."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(folder) if folder and Path(folder).is_dir() else Path.home()


def last_folder(kind: str) -> Path:
    """The folder the last dialog of ``kind`` ended in, if it still exists; else Documents."""
    value = QSettings().value(f"folders/{kind}", "")
    folder = Path(str(value)) if value else None
    return folder if folder is not None and folder.is_dir() else documents_folder()


def remember_folder(kind: str, path) -> None:
    """Remember the folder of ``path`` (a file, or a folder) for the next dialog of ``kind``."""
    path = Path(path)
    QSettings().setValue(f"folders/{kind}", str(path if path.is_dir() else path.parent))


def open_file_name(parent: QWidget | None, kind: str, title: str, filters: str) -> Path | None:
    """An open-file dialog starting in the last folder of ``kind``; None when cancelled."""
    name, _ = QFileDialog.getOpenFileName(parent, title, str(last_folder(kind)), filters)
    if not name:
        return None
    remember_folder(kind, name)
    return Path(name)


def save_file_name(parent: QWidget | None, kind: str, title: str, suggested: str,
                   filters: str) -> tuple[Path | None, str]:
    """A save dialog proposing ``suggested`` (a file name) in the last folder of ``kind``.

    Returns the chosen path (None when cancelled) and the chosen filter.
    """
    start = last_folder(kind) / Path(suggested).name
    name, chosen = QFileDialog.getSaveFileName(parent, title, str(start), filters)
    if not name:
        return None, chosen
    remember_folder(kind, name)
    return Path(name), chosen


def recent_projects() -> list[Path]:
    """Recently opened or saved projects, newest first, only those that still exist."""
    values = QSettings().value(RECENT_KEY, []) or []
    values = [values] if isinstance(values, str) else list(values)
    return [Path(v) for v in values if v and Path(v).exists()]


def add_recent_project(path) -> None:
    """Put ``path`` first in the recent projects (at most ``RECENT_LIMIT``)."""
    path = Path(path).resolve()
    kept = [p for p in recent_projects() if p.resolve() != path]
    QSettings().setValue(RECENT_KEY, [str(p) for p in [path, *kept][:RECENT_LIMIT]])
