"""The one check pipeline: ``check_parcels`` for the CLI, print, web map and window alike.

Parcels from any source (a file, a GeoDataFrame, a project, a ``ParcelSet``) are read once into a
``ParcelSet``; the layers come either from the catalog (read through the spatial index, only near
the parcels where an overlap is all that matters) or from layers already loaded (the window's,
which may hold user data); ``run_check`` then judges every parcel against the rule set::

    parcels ──► ParcelSet ─┐
    catalog / loaded layers ──► {id: CheckLayer} ──► run_check(ruleset) ──► CheckRun
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import shapely

from ..catalog import MapLayer, load_catalog
from ..rules import RuleSet, load_ruleset
from .conflicts import CONSTRAINT_LAYERS, Conflict, find_conflicts
from .data import CheckLayer, ParcelSet, check_layer_from_map_layer, parcel_set_from_frame, read_check_layer
from .engine import project_layer_ids, run_check
from .inputs import apply_use_layers, load_check_layers, read_parcel_set
from .model import CheckResult


@dataclass
class CheckRun:
    """What one check produced: its result, the parcels as read and the layers used.

    ``layers`` (catalog id → ``CheckLayer``, EPSG:4549) are what the report's map extracts draw.
    """

    result: CheckResult
    parcels: ParcelSet
    layers: dict[str, CheckLayer]

    def parcel_frame(self):
        """The checked parcels as a GeoDataFrame (EPSG:4549), one row per parcel, for maps."""
        import geopandas as gpd

        from ..crs import WORK_CRS

        return gpd.GeoDataFrame(list(self.parcels.attrs), geometry=list(self.parcels.geoms), crs=WORK_CRS)


def as_parcel_set(parcels) -> ParcelSet:
    """A ``ParcelSet`` from a parcel file path, a GeoDataFrame (EPSG:4549), a ``Project`` or a
    ``ParcelSet``; raises ValueError (in Chinese, naming the file) for a missing or empty source.
    """
    if isinstance(parcels, ParcelSet):
        parcel_set = parcels
    elif isinstance(parcels, (str, Path)):
        parcel_set = read_parcel_set(Path(parcels))
    elif hasattr(parcels, "geometry"):  # a GeoDataFrame
        parcel_set = parcel_set_from_frame(parcels)
    elif hasattr(parcels, "parcels") and hasattr(parcels, "path"):  # a Project
        parcel_set = parcel_set_from_frame(parcels.parcels.reset_index(drop=True), Path(parcels.path).name)
    else:
        raise TypeError(f"无法核查 {type(parcels).__name__}：请给出地块文件、GeoDataFrame 或项目")
    if not len(parcel_set):
        raise ValueError(f"{parcel_set.source or '地块'} 中没有地块")
    return parcel_set


def check_parcels(parcels, rules: RuleSet | list[Path] | None = None, *, catalog: Path | None = None,
                  use_layers: list[str] = (), layers: dict | None = None, dem: Path | None = None,
                  progress=None, others=None) -> CheckRun:
    """Check parcels against the 三线一单 / 标准地 rule sets: the one entry of every caller.

    Parameters
    ----------
    parcels
        A parcel file (any format ``parcel_io`` reads, or a project GeoPackage), a parcel
        GeoDataFrame in EPSG:4549 (``parcel.conform_parcels`` shape), a ``Project`` or a ``ParcelSet``.
    rules
        A loaded ``RuleSet``, or rule files to merge; None takes every shipped rule set.
    catalog, use_layers
        A user catalog TOML and ``ID=PATH[:LAYER]`` overrides, when the layers come from the catalog.
    layers
        Layers already loaded (id → ``MapLayer`` or ``CheckLayer``, EPSG:4549), e.g. the window's;
        when given, the catalog is not read. The candidate-parcel layer itself is skipped.
    dem
        An elevation raster for 土地平整 (``check.slope``); without it that rule is 未评估.
    progress
        ``progress(step, done, total)`` after reading the parcels, the layers and each rule.
    others
        Other candidate parcels of the project (any form ``parcels`` takes): compared with the
        checked ones for overlaps (rule kind ``parcel_overlap``), not checked themselves.

    Returns
    -------
    CheckRun
        The ``CheckResult``, the parcels as read and the layers used.

    Raises
    ------
    ValueError
        A missing or empty parcel file, a bad ``--use-layer``, an unreadable parcel file.
    RuleError
        A rule file that does not parse.
    """
    ruleset = rules if isinstance(rules, RuleSet) else load_ruleset(rules)
    total = len(ruleset.rules) + 2
    done = 0

    def step(name: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(name, done, total)

    parcel_set = as_parcel_set(parcels)
    step("读取地块")
    if layers is None:
        specs = apply_use_layers(load_catalog(user_catalog=catalog), list(use_layers))
        data = load_check_layers(ruleset, specs, boxes=shapely.bounds(parcel_set.geoms))
    else:
        from ..parcel_layer import PARCEL_LAYER_ID

        data = {i: check_layer_from_map_layer(layer) if isinstance(layer, MapLayer) else layer
                for i, layer in layers.items() if i != PARCEL_LAYER_ID}
    step("读取图层")
    elevation = None
    if dem is not None:
        from .slope import open_dem

        elevation = open_dem(Path(dem))
    try:
        result = run_check(parcel_set, data, ruleset, dem=elevation,
                           project_layers=project_layer_ids(data, ruleset), progress=step,
                           others=None if others is None else as_parcel_set(others))
    finally:
        if elevation is not None:
            elevation.close()
    return CheckRun(result, parcel_set, data)


def list_conflicts(use_layers: list[str] = (), catalog: Path | None = None,
                   rules: list[Path] | None = None) -> list[Conflict]:
    """Plan projects of 专栏18–24 crossing 生态保护红线 or 永久基本农田."""
    ruleset = load_ruleset(rules)
    specs = apply_use_layers(load_catalog(user_catalog=catalog), list(use_layers))
    wanted = set(ruleset.context.get("project_zhuanlan", ()))
    zones = set(ruleset.context.get("zone_layers", ()))
    projects = [read_check_layer(s) for s in specs if wanted & set(s.zhuanlan) and s.id not in zones]
    constraints = [read_check_layer(s) for s in specs if s.id in CONSTRAINT_LAYERS]
    return find_conflicts(projects, constraints)
