"""Faster font subsets for PDF pages: the glyphs a page uses, cut from a TrueType file by bytes.

matplotlib's PDF writer embeds each TrueType font as a subset made by ``fontTools.subset``
(``matplotlib.backends._backend_pdf_ps.get_glyphs_subset``), which parses every glyph and
metric of the font: for the 28,562-glyph 黑体 (SimHei, 9.7 MB) and DejaVu Sans of a printed
page about 0.2 s of CPU, an eighth of ``suichang-gis print``. ``subset_font_bytes`` makes a
subset that keeps the glyph ids (as fontTools' ``retain_gids``): the outline bytes of the glyphs
used and of their composite components (OpenType spec, 'glyf'), every other glyph empty, the
metrics of the glyphs kept, and the tables a PDF reader rasterises with (ISO 32000-1 9.9:
hinting programs, OS/2, name, cmap, post, gasp); layout tables (GSUB, GPOS, kern …) and
per-glyph device tables are dropped, since matplotlib places each glyph itself. Ids unchanged,
the cmap and glyph names stay true. A font it does not handle (a collection, CFF outlines)
goes to matplotlib's own subsetter; the outlines embedded are the font's own bytes, so the page
looks the same.
"""

from __future__ import annotations

import struct
import threading
from contextlib import contextmanager
from io import BytesIO

# Tables a PDF TrueType font program keeps (ISO 32000-1, 9.9: glyf, head, hhea, hmtx, loca,
# maxp, cvt, fpgm, prep; cmap, name, OS/2, post and gasp for readers that look at them).
KEPT_TABLES = (b"OS/2", b"cmap", b"cvt ", b"fpgm", b"gasp", b"glyf", b"head", b"hhea", b"hmtx",
               b"loca", b"maxp", b"name", b"post", b"prep")
# Composite glyph flags (OpenType spec, 'glyf' table).
ARG_1_AND_2_ARE_WORDS, WE_HAVE_A_SCALE, MORE_COMPONENTS = 0x0001, 0x0008, 0x0020
WE_HAVE_AN_X_AND_Y_SCALE, WE_HAVE_A_TWO_BY_TWO = 0x0040, 0x0080


class UnsupportedFont(ValueError):
    """A font ``glyphs_subset`` leaves to fontTools (not a single TrueType-outline font)."""


def _tables(data: bytes) -> dict[bytes, bytes]:
    if data[:4] not in (b"\x00\x01\x00\x00", b"true"):
        raise UnsupportedFont("not a TrueType-outline font")
    count = struct.unpack_from(">H", data, 4)[0]
    tables = {}
    for i in range(count):
        tag, _, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        tables[tag] = data[offset:offset + length]
    if not all(t in tables for t in (b"glyf", b"loca", b"head", b"hhea", b"hmtx", b"maxp")):
        raise UnsupportedFont("a TrueType table is missing")
    return tables


def _components(glyph: bytes) -> list[int]:
    """The glyph ids of the components of a composite glyph (none for a simple one)."""
    if len(glyph) < 10 or struct.unpack_from(">h", glyph, 0)[0] >= 0:
        return []
    out, pos = [], 10
    while True:
        flags, index = struct.unpack_from(">HH", glyph, pos)
        out.append(index)
        pos += 4 + (4 if flags & ARG_1_AND_2_ARE_WORDS else 2)
        pos += 2 if flags & WE_HAVE_A_SCALE else 4 if flags & WE_HAVE_AN_X_AND_Y_SCALE else \
            8 if flags & WE_HAVE_A_TWO_BY_TWO else 0
        if not flags & MORE_COMPONENTS:
            return out


def _checksum(data: bytes) -> int:
    data += b"\0" * (-len(data) % 4)
    return sum(struct.unpack(f">{len(data) // 4}I", data)) & 0xFFFFFFFF


def subset_font_bytes(data: bytes, glyphs) -> bytes:
    """A TrueType font (same glyph ids) whose only outlines are those of ``glyphs`` (glyph ids
    of ``data``), their composite components and .notdef.

    Raises ``UnsupportedFont`` for data it does not handle (then use fontTools).
    """
    tables = _tables(data)
    head, hhea, hmtx = tables[b"head"], tables[b"hhea"], tables[b"hmtx"]
    num_glyphs = struct.unpack_from(">H", tables[b"maxp"], 4)[0]
    long_loca = struct.unpack_from(">h", head, 50)[0] == 1
    loca = struct.unpack_from(f">{num_glyphs + 1}{'I' if long_loca else 'H'}", tables[b"loca"])
    scale = 1 if long_loca else 2
    glyf = tables[b"glyf"]

    def glyph_bytes(gid: int) -> bytes:
        return glyf[loca[gid] * scale:loca[gid + 1] * scale]

    wanted, todo = set(), [0, *glyphs]
    while todo:
        gid = todo.pop()
        if not 0 <= gid < num_glyphs:
            raise UnsupportedFont(f"glyph {gid} is not in the font")
        wanted.add(gid)
        todo.extend(c for c in _components(glyph_bytes(gid)) if c not in wanted)

    long_metrics = struct.unpack_from(">H", hhea, 34)[0]
    new_glyf, offsets, metrics, end = bytearray(), [0] * (num_glyphs + 1), bytearray(len(hmtx)), 0
    metrics[4 * (long_metrics - 1):4 * long_metrics] = hmtx[4 * (long_metrics - 1):4 * long_metrics]
    for gid in range(num_glyphs):
        if gid in wanted:
            glyph = glyph_bytes(gid)
            new_glyf += glyph + b"\0" * (-len(glyph) % 4)
            end = len(new_glyf)
            at = 4 * gid if gid < long_metrics else 4 * long_metrics + 2 * (gid - long_metrics)
            size = 4 if gid < long_metrics else 2
            metrics[at:at + size] = hmtx[at:at + size]
        offsets[gid + 1] = end
    tables = {tag: body for tag, body in tables.items() if tag in KEPT_TABLES}
    tables[b"glyf"] = bytes(new_glyf)
    tables[b"loca"] = struct.pack(f">{num_glyphs + 1}I", *offsets)
    tables[b"hmtx"] = bytes(metrics)
    tables[b"head"] = head[:8] + b"\0\0\0\0" + head[12:50] + struct.pack(">h", 1) + head[52:]
    return _font_file(tables)


def _font_file(tables: dict[bytes, bytes]) -> bytes:
    """An sfnt file of ``tables`` (sorted by tag, 4-byte aligned, checksums and head's
    checkSumAdjustment as the OpenType spec asks)."""
    tags = sorted(tables)
    count = len(tags)
    power = 1 << (count.bit_length() - 1)
    directory = bytearray(struct.pack(">IHHHH", 0x00010000, count, power * 16, power.bit_length() - 1,
                                      count * 16 - power * 16))
    offset = 12 + 16 * count
    body = bytearray()
    for tag in tags:
        table = tables[tag]
        directory += struct.pack(">4sIII", tag, _checksum(table), offset + len(body), len(table))
        body += table + b"\0" * (-len(table) % 4)
    font = bytearray(directory + body)
    head_at = struct.unpack_from(">I", directory, 12 + 16 * tags.index(b"head") + 8)[0]
    struct.pack_into(">I", font, head_at + 8, (0xB1B0AFBA - _checksum(bytes(font))) & 0xFFFFFFFF)
    return bytes(font)


_patch_lock = threading.RLock()


def glyphs_subset(fontfile, glyphs):
    """``matplotlib.backends._backend_pdf_ps.get_glyphs_subset`` made by ``subset_font_bytes``:
    a context manager giving ``SubsetResults`` (a fontTools ``TTFont`` of the subset, read
    lazily, and the glyph id map, here the identity); fontTools' subsetter for a font it does
    not handle."""
    from fontTools.ttLib import TTFont
    from matplotlib.backends import _backend_pdf_ps

    glyphs = [int(g) for g in glyphs]
    try:
        if getattr(fontfile, "face_index", 0):
            raise UnsupportedFont("a face of a font collection")
        with open(str(fontfile), "rb") as fh:
            subset = subset_font_bytes(fh.read(), glyphs)
    except (UnsupportedFont, struct.error, OSError):
        fonttools = _original if _original is not None else _backend_pdf_ps.get_glyphs_subset
        return fonttools(fontfile, glyphs)
    font = TTFont(BytesIO(subset), lazy=True, recalcBBoxes=False, recalcTimestamp=False)
    return _backend_pdf_ps.SubsetResults(font, {g: g for g in glyphs})._as_cm()


_original = None


@contextmanager
def faster_pdf_fonts():
    """Within the block, matplotlib's PDF (and PS) writer subsets TrueType fonts with
    ``glyphs_subset``; the original function is back afterwards. Blocks on other threads wait
    for the one running (a lock), so a page written elsewhere meanwhile keeps fontTools'."""
    global _original
    from matplotlib.backends import _backend_pdf_ps

    with _patch_lock:
        if _original is None:
            _original = _backend_pdf_ps.get_glyphs_subset
        _backend_pdf_ps.get_glyphs_subset = glyphs_subset
        try:
            yield
        finally:
            _backend_pdf_ps.get_glyphs_subset = _original
