"""Chinese line breaking (禁则) that also keeps numbers and identifiers whole: the PDF report and
the map extract's legend, where a split "1,234.5" or "ZH33112720001" would misread a finding
(``text.wrap_text``, which breaks between any two characters, serves map labels and notes).

No line starts with closing punctuation (。，、；：？！）》」 …), none ends with opening punctuation
(（《「“ …), and a number or identifier (``1,234.5``, ``EPSG:4549``, ``ZH33112720001``, ``m²``)
is never split: ``units`` cuts text into the pieces a line may break between, ``break_lines``
fills lines greedily with them under any width measure.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..text import NO_LINE_START, text_em

CLOSING = NO_LINE_START | set("°·")  # the 行首禁则 of the shared text helper
OPENING = frozenset("（《「『【〔〈〖〘“‘([{«")  # 行尾禁则: may not end a line
_TOKEN = re.compile(r"[A-Za-z0-9_\-.,:/%²³+×#@~=°′″]+|[ \t\r\n]+|.", re.S)
# A number and its unit stay on one line ("2,138 m", "15.00 亩"): the space becomes a glue.
_NUMBER_UNIT = re.compile(r"(\d) (?=(km²|km|m²|m|亩|公顷|万元|吨|°)(?![A-Za-z]))")
_GLUE = "\u00a0"


def units(text: str) -> list[str]:
    """Unbreakable pieces: a Latin/number run, one CJK character, closing punctuation glued to the
    piece before it and opening punctuation to the piece after it; whitespace is its own piece.
    """
    out: list[str] = []
    glue_next = False
    for token in _TOKEN.findall(_NUMBER_UNIT.sub(r"\1" + _GLUE, text)):
        space = token.isspace() and token != _GLUE
        if out and not space and (token[0] in CLOSING or token == _GLUE or glue_next):
            out[-1] += token
        else:
            out.append(token)
        glue_next = not space and (token[-1] in OPENING or token == _GLUE)
    return [u.replace(_GLUE, " ") for u in out]


def break_lines(text: str, width: float, measure: Callable[[str], float] = text_em) -> list[str]:
    """Lines of ``text`` no wider than ``width`` (in ``measure``'s unit; default em, ``text.text_em``),
    broken by the 禁则 rules.
    A piece longer than a whole line is cut by characters, never before closing punctuation.
    """
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        line = ""
        for unit in units(paragraph):
            if unit.isspace():
                line += unit if line else ""
                continue
            if measure(line + unit) <= width:
                line += unit
                continue
            if line.strip():
                lines.append(line.rstrip())
            line = unit
            if measure(unit) > width:
                *full, line = _hard_split(unit, width, measure)
                lines.extend(full)
        lines.append(line.rstrip())
    return lines


def _hard_split(unit: str, width: float, measure) -> list[str]:
    pieces, line = [], ""
    for ch in unit:
        if line and measure(line + ch) > width:
            if ch not in CLOSING:
                pieces.append(line)
                line = ""
            else:  # take the last character that may start a line down with the punctuation
                j = max((k for k, c in enumerate(line) if c not in CLOSING), default=0)
                if j > 0:
                    pieces.append(line[:j])
                    line = line[j:]
        line += ch
    return [*pieces, line]
