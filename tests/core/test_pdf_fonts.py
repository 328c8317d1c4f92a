"""Font subsets for PDF pages cut by bytes (``pdf_fonts``) against the fonts they come from."""

import re
import zlib
from io import BytesIO
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from matplotlib.backends import _backend_pdf_ps
from matplotlib.font_manager import FontPath
from matplotlib.ft2font import FT2Font, LoadFlags

from suichang_gis.fonts import cjk_font_path
from suichang_gis.layout import compose_layout, export_layout, load_templates
from suichang_gis.map_furniture import simhei_path
from suichang_gis.pdf_fonts import faster_pdf_fonts, glyphs_subset, subset_font_bytes

DEJAVU = Path(_backend_pdf_ps.__file__).parents[1] / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
TEXT = "遂昌县“一城五区”生产力布局图（示意）比例尺 1:350 000，28°40′N é ü Å ǻ ﬁ"


def glyph_ids(font: TTFont, text: str) -> list[int]:
    cmap = font.getBestCmap()
    return sorted({font.getGlyphID(cmap[ord(c)]) for c in text if ord(c) in cmap})


@pytest.mark.parametrize("path", [DEJAVU, simhei_path()], ids=["DejaVuSans", "SimHei"])
def test_subset_keeps_the_outlines_and_metrics_of_the_glyphs_used_and_no_others(path):
    original = TTFont(path)
    wanted = glyph_ids(original, TEXT)
    subset = TTFont(BytesIO(subset_font_bytes(path.read_bytes(), wanted)), checkChecksums=2)
    for tag in subset.keys():  # every table parses, checksums right
        subset[tag]
    assert {"GSUB", "GPOS", "kern", "vmtx"}.isdisjoint(subset.keys())
    old_glyf, new_glyf = original["glyf"], subset["glyf"]
    kept = set(wanted) | {0}
    for gid in list(kept):  # composite glyphs bring their components
        kept |= {original.getGlyphID(c) for c in old_glyf[original.getGlyphName(gid)].getComponentNames(old_glyf)}
    if path == DEJAVU:
        assert kept > set(wanted) | {0}  # é, ü … are composites in DejaVu Sans
    old_ft, new_ft = FT2Font(str(path)), FT2Font(BytesIO(subset_font_bytes(path.read_bytes(), wanted)))
    for gid in range(original["maxp"].numGlyphs):
        name = original.getGlyphName(gid)
        old, new = old_glyf[name], new_glyf[subset.getGlyphName(gid)]
        if gid in kept:
            assert new.numberOfContours == old.numberOfContours
            assert new.getCoordinates(new_glyf)[0] == old.getCoordinates(old_glyf)[0]
            assert subset["hmtx"][subset.getGlyphName(gid)] == original["hmtx"][name]
            flags = LoadFlags.NO_SCALE | LoadFlags.NO_HINTING
            a, b = old_ft.load_glyph(gid, flags), new_ft.load_glyph(gid, flags)
            assert (a.horiAdvance, a.width, a.height) == (b.horiAdvance, b.width, b.height)
        elif gid % 97 == 0:  # a sample of the rest: empty
            assert new.numberOfContours == 0
    compressed = zlib.compress(subset_font_bytes(path.read_bytes(), wanted), 3)  # as the PDF stores it
    assert len(compressed) < path.stat().st_size / 10


def test_a_font_it_does_not_cut_goes_to_fonttools():
    font = TTFont(cjk_font_path())  # CFF outlines
    wanted = glyph_ids(font, "遂昌县")
    with glyphs_subset(FontPath(str(cjk_font_path()), 0), wanted) as result:
        assert "CFF " in result.font and set(wanted) <= set(result.glyph_index_map)


def test_a_printed_page_embeds_the_byte_cut_fonts_and_matplotlib_is_left_as_it_was(tmp_path):
    original = _backend_pdf_ps.get_glyphs_subset
    page = compose_layout(load_templates()["zones"], _catalog_layers(), "A4", "portrait", dpi=30)
    data = export_layout(page, tmp_path / "z.pdf").read_bytes()
    assert _backend_pdf_ps.get_glyphs_subset is original
    with faster_pdf_fonts():
        assert _backend_pdf_ps.get_glyphs_subset is glyphs_subset
    assert _backend_pdf_ps.get_glyphs_subset is original
    fonts = [TTFont(BytesIO(zlib.decompress(stream)), checkChecksums=2)
             for stream in re.findall(rb"/Length1 \d+[^>]*>>\s*stream\n(.*?)\nendstream", data, re.S)]
    names = sorted(f["name"].getDebugName(6) for f in fonts)
    assert names == ["DejaVuSans", "SimHei"]
    for font in fonts:  # glyph ids kept: as many glyphs as the whole font, most of them empty
        assert font["maxp"].numGlyphs > 5000 and "GSUB" not in font


def _catalog_layers():
    from suichang_gis.catalog import load_catalog
    from suichang_gis.feature_layer import load_print_layer

    return {spec.id: load_print_layer(spec) for spec in load_catalog()}
