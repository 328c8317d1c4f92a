"""The one status palette: the words and colours of a check verdict, wherever one is shown.

The check panel, the parcel layer on the canvas, the printed map, the web map and the report's
map extracts all colour 通过 / 警示 / 不符合 / 未评估 with these. The colours are Material Design
800/900 shades (Green 800, Orange 900, Red 800, Grey 700, Blue 800, Grey 500), dark enough to be
read as text on white and told apart as fills.
"""

from __future__ import annotations

# Status codes of ``check.Finding.status`` / ``ParcelResult.status`` and their Chinese words.
STATUS_LABELS = {"pass": "通过", "warn": "警示", "fail": "不符合", "info": "信息", "not_assessed": "未评估"}
UNCHECKED = "未核查"  # a parcel the check has not seen yet (drawn, not judged)

STATUS_COLOURS = {
    "pass": "#2e7d32",
    "warn": "#e65100",
    "fail": "#c62828",
    "not_assessed": "#616161",
    "info": "#1565c0",
}
UNCHECKED_COLOUR = "#9e9e9e"

# The same colours keyed by the Chinese word (the parcel layer's ``check_status`` values).
LABEL_COLOURS = {**{STATUS_LABELS[code]: colour for code, colour in STATUS_COLOURS.items()},
                 UNCHECKED: UNCHECKED_COLOUR}
