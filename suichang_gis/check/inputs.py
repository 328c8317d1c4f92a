"""Reading what a check needs: the rule set's layers (only features near the parcels where an
overlap is all that matters) and the parcels themselves.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely

from ..catalog import LayerSpec, override_layer
from ..rules import RuleSet
from .data import (
    CheckLayer,
    NotLean,
    ParcelSet,
    parcel_set_from_frame,
    read_check_layer,
    read_geojson_features,
    read_gpkg_features,
)

# Rule kinds that only need features overlapping the parcels (read through the spatial index).
_OVERLAP_KINDS = {"overlap_forbidden", "inside_required", "inside_any", "control_units", "unit_capacity"}


def parse_use_layer(text: str) -> tuple[str, Path, str | None]:
    """``ID=PATH[:LAYERNAME]`` → (id, path, layer name); raise ValueError in Chinese."""
    layer_id, sep, rest = text.partition("=")
    if not sep or not layer_id.strip() or not rest.strip():
        raise ValueError(f"--use-layer 应写成 图层编号=文件[:图层名]，而不是“{text}”")
    path, source_layer = rest, None
    head, colon, tail = rest.rpartition(":")
    # A ":" that is not a Windows drive letter separates the layer name.
    if colon and head and not (len(head) == 1 and head.isalpha()) and "/" not in tail and "\\" not in tail:
        path, source_layer = head, tail or None
    return layer_id.strip(), Path(path), source_layer


def apply_use_layers(specs: list[LayerSpec], overrides: list[str]) -> list[LayerSpec]:
    """Point catalog layers at other files for this run (``--use-layer``)."""
    by_id = {s.id: s for s in specs}
    for text in overrides:
        layer_id, path, source_layer = parse_use_layer(text)
        if layer_id not in by_id:
            raise ValueError(f"--use-layer：没有编号为“{layer_id}”的图层。可用的图层：{', '.join(sorted(by_id))}")
        if not path.exists():
            raise ValueError(f"--use-layer：文件不存在：{path}")
        by_id[layer_id] = override_layer(by_id[layer_id], path, source_layer)
    return list(by_id.values())


def layers_needed(ruleset: RuleSet, specs: list[LayerSpec]) -> dict[str, bool]:
    """Layer id → True if only its features overlapping the parcels are needed."""
    overlap_only: dict[str, bool] = {}
    for rule in ruleset.rules:
        for lid in rule.layer_ids:
            overlap_only[lid] = overlap_only.get(lid, True) and rule.kind in _OVERLAP_KINDS
    c = ruleset.context
    for lid in (c.get("township_layer", "townships"), *c.get("zone_layers", ())):
        overlap_only.setdefault(lid, True)
    wanted = set(c.get("project_zhuanlan", ()))
    for spec in specs:
        if wanted & set(spec.zhuanlan) and spec.id not in c.get("zone_layers", ()):
            overlap_only[spec.id] = False
    present = {s.id for s in specs}
    return {lid: only for lid, only in overlap_only.items() if lid in present}


def load_check_layers(ruleset: RuleSet, specs: list[LayerSpec], boxes=None) -> dict[str, CheckLayer]:
    """Read every layer the rule set and the context use; ``boxes`` (n × 4 parcel bounds) limit
    the layers that only matter where they overlap a parcel.
    """
    by_id = {s.id: s for s in specs}
    return {lid: read_check_layer(by_id[lid], boxes if only else None)
            for lid, only in layers_needed(ruleset, specs).items()}


def _read_parcels_direct(path: Path) -> ParcelSet:
    """Parcels from a GeoJSON/GeoPackage in EPSG:4549 whose parcel fields carry their own names
    (``PARCEL_FIELDS``; other columns are kept as they are) without pandas or pyproj; anything
    else raises ``NotLean`` for the full import.
    """
    from ..crs import ZHEJIANG_WORK_BOUNDS
    from ..parcel import FIELD_BY_NAME, MIN_PARCEL_AREA_M2, PARCEL_FIELDS, parcel_field_for

    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        geoms, attrs, _ = read_geojson_features(path)
    elif suffix == ".gpkg":
        geoms, attrs, _ = read_gpkg_features(path, None)
        attrs.pop("fid", None)
    else:
        raise NotLean
    if not len(geoms) or set(shapely.get_type_id(geoms)) - {3, 6}:
        raise NotLean  # not polygons: the import explains
    if any(name not in FIELD_BY_NAME and parcel_field_for(name) for name in attrs):
        raise NotLean  # a field under a label or an alias: the import's renaming rules
    if not (shapely.area(geoms) >= MIN_PARCEL_AREA_M2).all() or shapely.has_z(geoms).any():
        raise NotLean  # parcels without area or with Z: the import skips or flattens them and says so
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    wx0, wy0, wx1, wy1 = ZHEJIANG_WORK_BOUNDS
    if not (wx0 <= x0 and x1 <= wx1 and wy0 <= y0 and y1 <= wy1):
        raise NotLean  # let the import explain where the coordinates are
    n = len(geoms)
    columns: dict[str, list] = {}
    for name, values in attrs.items():
        field = FIELD_BY_NAME.get(name)
        if field is None:  # a column the parcel model does not know: kept as read
            columns[name] = values
            continue
        out = []
        for i, v in enumerate(values):
            if v is None or (v.__class__ is str and not v.strip()):
                v = None
            elif field.kind == "number":
                try:
                    v = float(v)
                except (TypeError, ValueError):
                    raise ValueError(f"{path.name}：第 {i + 1} 个地块的“{field.label}”不是数字：{v!r}") from None
            elif v.__class__ is not str:
                v = str(v)
            out.append(v)
        columns[name] = out
    for field in PARCEL_FIELDS:
        columns.setdefault(field.name, [None] * n)
    ids = [v or f"P{i + 1:03d}" for i, v in enumerate(columns["parcel_id"])]
    columns["parcel_id"] = ids
    names = list(columns)
    records = [dict(zip(names, row)) for row in zip(*columns.values())]
    return ParcelSet(ids, columns["name"], np.asarray(geoms, dtype=object), records, path.name)


def read_parcel_set(path: Path) -> ParcelSet:
    """Parcels from any file the parcel import reads (or a project GeoPackage)."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"地块文件不存在：{path}")
    try:
        return _read_parcels_direct(path)
    except NotLean:
        pass
    from ..parcel_io import read_parcels

    result = read_parcels(path)
    return parcel_set_from_frame(result.parcels, path.name, result.account_notes())
