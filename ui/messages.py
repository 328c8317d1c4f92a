"""Error dialogs that always lead with a Chinese sentence; a library's own text follows as detail."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


def failure_text(sentence: str, exc: BaseException | None = None) -> str:
    """``sentence`` (Chinese, saying what failed and where), then the error's own text, if any."""
    detail = str(exc).strip() if exc is not None else ""
    if not detail or detail in sentence:
        return sentence
    return f"{sentence}\n\n详细信息：{detail}"


def show_failure(parent: QWidget | None, title: str, sentence: str, exc: BaseException | None = None) -> None:
    """A warning box: the Chinese ``sentence`` first, then the error's text as detail."""
    QMessageBox.warning(parent, title, failure_text(sentence, exc))
