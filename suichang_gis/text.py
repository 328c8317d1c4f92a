"""Mixed Chinese/Latin text measured and wrapped by display width: the one wrapping helper.

Map labels, legends, notes, tables and the PDF report all wrap with ``wrap_text``. Widths are in
em (multiples of the font size): a character of East Asian width W or F (``unicodedata``) is 1 em,
any other 0.56 em (about the mean advance of Latin letters and digits in Noto Sans CJK SC). A line
never starts with closing punctuation such as "。" or "）" — the 行首禁则 of Chinese typesetting
(W3C "Requirements for Chinese Text Layout", section 3.1.7); the mark stays at the end of the line
before, overhanging it by one character.
"""

from __future__ import annotations

import unicodedata

LATIN_EM = 0.56
# Characters that may not begin a line (行首禁则): closing brackets and quotes, and punctuation.
NO_LINE_START = frozenset("。．，、；：？！…‥）〕］｝〉》」』】〗〙”’%‰℃,.;:?!)]}»")


def char_width(ch: str) -> float:
    """Display width of one character in em: 1 for CJK (wide/full-width), ``LATIN_EM`` otherwise."""
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else LATIN_EM


def text_em(text: str) -> float:
    """Display width of ``text`` in em (the sum of ``char_width``)."""
    return sum(char_width(ch) for ch in str(text))


def wrap_text(text: str, width_em: float) -> list[str]:
    """Wrap ``text`` into lines at most ``width_em`` wide; newlines start new paragraphs.

    Breaks may fall between any two characters (Chinese has no spaces), except before a
    character of ``NO_LINE_START``, which then stays on the line before.
    """
    lines = []
    for paragraph in str(text).split("\n"):
        line, used = "", 0.0
        for ch in paragraph:
            w = char_width(ch)
            if used + w > width_em and line and ch not in NO_LINE_START:
                lines.append(line)
                line, used = "", 0.0
            line += ch
            used += w
        lines.append(line)
    return lines


def shorten(text: str, width_em: float) -> str:
    """``text`` cut to ``width_em`` with "…" as its last character when it is wider."""
    out, used = "", 0.0
    for ch in str(text):
        used += char_width(ch)
        if used > width_em:
            return out[:-1] + "…"
        out += ch
    return out


def fit_lines(text: str, width_em: float, max_lines: int) -> list[str]:
    """``wrap_text`` kept to ``max_lines`` lines, the last ending in "…" when text was cut."""
    lines = wrap_text(text, width_em)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:-1] + "…"
    return lines
