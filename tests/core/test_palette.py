"""One status palette: the parcel layer, the check words and the palette agree."""

from suichang_gis.check import Finding
from suichang_gis.palette import LABEL_COLOURS, STATUS_COLOURS, STATUS_LABELS, UNCHECKED, UNCHECKED_COLOUR
from suichang_gis.parcel_layer import parcel_spec


def test_parcel_layer_fills_each_verdict_with_the_palette_colour():
    style = parcel_spec("x.gpkg").style
    for code in ("pass", "warn", "fail"):
        word = Finding(rule="R", title="t", status=code, message="m").status_label
        assert word == STATUS_LABELS[code]
        assert style.fill_for(word) == STATUS_COLOURS[code] == LABEL_COLOURS[word]
    assert style.fill_for(UNCHECKED) == UNCHECKED_COLOUR


def test_the_verdict_colours_are_distinct():
    colours = [*STATUS_COLOURS.values(), UNCHECKED_COLOUR]
    assert len(set(colours)) == len(colours)
