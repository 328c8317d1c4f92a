"""Candidate parcels as a map layer, coloured by their check status (print and web map alike)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .catalog import LayerSpec, MapLayer, Provenance, Style
from .palette import LABEL_COLOURS, UNCHECKED, UNCHECKED_COLOUR

PARCEL_LAYER_ID = "parcels"
PARCEL_GROUP = "候选地块"  # a group of its own in the layer tree, after the catalog groups
STATUS_FIELD = "check_status"
FINDINGS_FIELD = "check_findings"

if TYPE_CHECKING:  # geopandas is imported where a frame is made, not at the window's start
    import geopandas as gpd


def parcel_spec(source: str) -> LayerSpec:
    """The catalog entry of the candidate-parcel layer read from ``source``, coloured by check status."""
    return LayerSpec(
        id=PARCEL_LAYER_ID, title="候选地块", group=PARCEL_GROUP, geometry_type="Polygon",
        data=Path(source), version="user",
        provenance=Provenance(source=f"用户提供的候选地块（{source}）", licence="用户提供",
                              accuracy="权威", method="由用户绘制或导入"),
        style=Style(fill=UNCHECKED_COLOUR, stroke="#7b1e1e", stroke_width=1.4,
                    opacity=0.75, fill_field=STATUS_FIELD, fill_by=dict(LABEL_COLOURS),
                    label_field="parcel_id", label_size=8.0, label_color="#7b1e1e"),
        zorder=200)


def parcel_layer(parcels: gpd.GeoDataFrame, check=None, source: str = "候选地块",
                 results=()) -> MapLayer:
    """A ``MapLayer`` of the parcels with ``check_status`` (Chinese label) and ``check_findings``.

    ``check`` is a ``suichang_gis.check.CheckResult`` for these parcels, or ``results`` its
    ``ParcelResult`` objects, matched by ``parcel_id``; parcels they do not cover are 未核查.
    """
    import numpy as np

    by_id = {str(p.id): p for p in (check.parcels if check is not None else results)}
    status, findings = {}, {}  # row → text, for the parcels with a result
    if by_id:  # the parcels with a result only: after an edit of 50,000 unchecked parcels, a few
        ids = parcels["parcel_id"].astype(str)
        for i in np.flatnonzero(ids.isin(list(by_id)).to_numpy()):
            result = by_id[ids.iloc[i]]
            status[i], findings[i] = result.status_label, finding_lines(result)
    return MapLayer(parcel_spec(source), parcels.assign(**{STATUS_FIELD: _texts(len(parcels), UNCHECKED, status),
                                                           FINDINGS_FIELD: _texts(len(parcels), "", findings)}))


def _texts(n: int, default: str, at: dict[int, str]):
    """A text column of ``n`` rows, ``default`` but in the rows ``at`` names, taken from its
    distinct texts by code: 50,000 rows in under a millisecond, of the type pandas gives texts.
    """
    import numpy as np
    import pandas as pd

    if n == 0:
        return np.empty(0, dtype=object)  # as pandas types an empty list
    code_of = {text: code for code, text in enumerate(dict.fromkeys([default, *at.values()]))}
    codes = np.zeros(n, dtype=np.int64)
    codes[list(at)] = [code_of[text] for text in at.values()]
    return pd.Index(list(code_of)).take(codes).array


def finding_lines(result) -> str:
    """The findings of one ``ParcelResult``, worst first, one per line."""
    order = {"fail": 0, "warn": 1, "not_assessed": 2, "pass": 3, "info": 4}
    findings = sorted(result.findings, key=lambda f: order.get(f.status, 5))
    return "\n".join(f"[{f.status_label}] {f.title}：{f.message}" for f in findings)


SUMMARY_HEADERS = ["地块编号", "项目名称", "面积（亩）", "核查结论", "问题（不符合、警示、未评估）"]


def summary_table(check) -> tuple[list[str], list[list[str]]]:
    """The check summary as a table: one row per parcel with its conclusion and its issues."""
    rows = []
    for p in check.parcels:
        # Every reason a parcel is not 通过: 不符合, 警示 and 未评估 items (a 警示 never says "无").
        issues = [f"{f.title}（{f.status_label}）" for f in p.findings
                  if f.status in ("fail", "warn", "not_assessed")]
        rows.append([str(p.id), p.name or "", f"{p.area_mu:.2f}", p.status_label,
                     "；".join(dict.fromkeys(issues)) or "无"])
    return SUMMARY_HEADERS, rows


def summary_notes(check) -> list[str]:
    """Counts and the notices a check carries (示意 layers used, example thresholds)."""
    counts = check.counts()
    return [f"核查结论：通过 {counts['pass']} 块，警示 {counts['warn']} 块，不符合 {counts['fail']} 块",
            *check.notices()[1:]]


def load_parcel_layer(path: Path, check: bool = True):
    """Read a parcel file once, check it (``check``), and return (MapLayer, CheckResult or None).

    Raises ValueError (in Chinese, naming the file) for a missing, empty or unreadable file.
    """
    path = Path(path)
    if not check:
        from .parcel_io import read_parcels

        return parcel_layer(read_parcels(path).parcels, source=path.name), None
    from .check import check_parcels

    run = check_parcels(path)
    return parcel_layer(run.parcel_frame(), run.result, source=path.name), run.result


def checked_parcel_layer(layers: dict[str, MapLayer]):
    """(parcel layer by check status, CheckResult) for the ``parcels`` layer of ``layers``
    checked against the others (every shipped rule set), or None when there are no parcels.
    """
    from .check import check_parcels

    parcels = layers.get(PARCEL_LAYER_ID)
    if parcels is None or parcels.gdf.empty:
        return None
    result = check_parcels(parcels.gdf, layers=layers).result
    return parcel_layer(parcels.gdf, result, source=parcels.spec.data.name), result
