"""The legend search of print layouts: trials that cannot fit are skipped by a floor that is
never above the legend matplotlib measures, so the page keeps the legend an exhaustive search
picks."""

import pytest

from suichang_gis import layout as layout_module
from suichang_gis.catalog import load_catalog, load_layer
from suichang_gis.layout import MM_PER_INCH, compose_layout, load_templates

TEMPLATES = load_templates()
PAGES = [("A4", "portrait"), ("A3", "landscape")]


@pytest.fixture(scope="module")
def catalog_layers():
    return {s.id: load_layer(s) for s in load_catalog()}


def kept_legend(layout):
    """(font size, columns, texts) of the legend a page keeps."""
    legend = layout.figure.legends[-1]
    return (legend.get_texts()[0].get_fontsize(), legend._ncols, [t.get_text() for t in legend.get_texts()])


@pytest.mark.parametrize("template_id", [t for t in TEMPLATES if t != "parcel_check"])
def test_floor_is_never_above_the_measured_legend(catalog_layers, template_id):
    page = compose_layout(TEMPLATES[template_id], catalog_layers, "A3", "landscape")
    fig, renderer = page.figure, page.figure.canvas.get_renderer()
    box = (300.0, 20.0, 100.0, 150.0)
    for size in (11.3, 9.0, 6.0):
        for ncol in (1, 2, 3):
            floor = layout_module._legend_height_floor(fig, page.legend, box, size, ncol)
            legend = layout_module._legend(fig, page.legend, box, page.paper_mm, size, ncol)
            measured = legend.get_window_extent(renderer).height / fig.dpi * MM_PER_INCH
            legend.remove()
            assert 0.6 * measured < floor <= measured + 1e-9, (size, ncol)  # a floor, not a guess


@pytest.mark.parametrize("template_id", [t for t in TEMPLATES if t != "parcel_check"])
def test_skipping_trials_keeps_the_legend_an_exhaustive_search_keeps(catalog_layers, template_id, monkeypatch):
    for paper, orientation in PAGES:
        layout_module._legend_sizes.clear()
        with_floor = compose_layout(TEMPLATES[template_id], catalog_layers, paper, orientation)
        with monkeypatch.context() as patch:
            patch.setattr(layout_module, "_legend_height_floor", lambda *args: 0.0)
            layout_module._legend_sizes.clear()
            exhaustive = compose_layout(TEMPLATES[template_id], catalog_layers, paper, orientation)
        assert kept_legend(with_floor) == kept_legend(exhaustive)


def test_pdf_streams_are_compressed_at_the_chosen_level(catalog_layers, tmp_path):
    """``export_layout`` writes its PDF streams with zlib at ``PDF_COMPRESSION`` (recompressing a
    stream's text at that level gives its bytes back)."""
    import re
    import zlib

    from suichang_gis.layout import PDF_COMPRESSION, export_layout

    page = compose_layout(TEMPLATES["zones"], catalog_layers, "A4", "portrait", dpi=30)
    data = export_layout(page, tmp_path / "z.pdf").read_bytes()
    streams = re.findall(rb"/Filter /FlateDecode.*?>>\s*stream\n(.*?)\nendstream", data, re.S)
    assert len(streams) >= 3
    for stream in streams:
        assert zlib.compress(zlib.decompress(stream), PDF_COMPRESSION) == stream
