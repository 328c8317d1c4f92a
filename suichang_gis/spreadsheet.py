"""Spreadsheet cells that never run as formulas (CSV / formula injection, OWASP).

A text value starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be taken
for a formula by Excel or LibreOffice. In XLSX such a value is stored as a string with Excel's
"quote prefix" (shown as typed, never evaluated, even after editing); in CSV it gets a leading
apostrophe, the neutralisation OWASP's "CSV Injection" page recommends, which readers here
strip again on import.
"""

from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """``value`` for a CSV cell: text that could be read as a formula gets a leading "'"."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_unsafe(value):
    """Undo ``csv_safe`` on a value read from CSV (only the apostrophe it added)."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def keep_as_text(cells) -> None:
    """Make openpyxl cells whose text could be a formula plain strings with a quote prefix."""
    for cell in cells:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_PREFIXES):
            cell.data_type = "s"
            cell.quotePrefix = True
