"""The one text-wrapping helper: display widths and Chinese line-start rules."""

from suichang_gis.text import fit_lines, shorten, text_em, wrap_text


def test_lines_fit_their_width_in_em():
    text = "遂昌县 2025 年工业用地 Industrial land 核查"
    lines = wrap_text(text, 6)
    assert "".join(lines) == text
    assert all(text_em(line) <= 6 for line in lines)
    assert text_em("遂昌") == 2 and text_em("ab") == 2 * 0.56


def test_no_line_starts_with_closing_punctuation():
    lines = wrap_text("一二三四五六七。八九十（甲）乙，丙", 7)
    assert lines[0] == "一二三四五六七。"  # the full stop overhangs rather than open a line
    assert not any(line[:1] in "。，）" for line in lines)
    assert "".join(lines) == "一二三四五六七。八九十（甲）乙，丙"


def test_shortened_text_ends_with_an_ellipsis():
    assert shorten("一二三四五六", 4) == "一二三…"
    assert shorten("一二", 4) == "一二"
    assert fit_lines("一二三四五六七八九", 3, 2) == ["一二三", "四五…"]
