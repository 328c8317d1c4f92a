"""The check and conflict listing as one call each, shared by the CLI and the GUI export."""

from __future__ import annotations

from pathlib import Path

import shapely

from ..catalog import load_catalog
from ..rules import load_ruleset
from .conflicts import CONSTRAINT_LAYERS, Conflict, find_conflicts
from .data import read_layer_data
from .engine import project_layer_ids, run_check
from .inputs import apply_use_layers, load_check_layers, read_parcel_set
from .model import CheckResult


def check_parcel_file(parcels: Path, rules: list[Path] | None = None, use_layers: list[str] = (),
                      catalog: Path | None = None, dem: Path | None = None,
                      progress=None) -> tuple[CheckResult, dict]:
    """Check the parcels in a file; return the result and the layers read (for map extracts).

    ``progress(step, done, total)`` is called after reading the parcels, the layers and each rule.
    """
    ruleset = load_ruleset(rules)
    total = len(ruleset.rules) + 2
    done = 0

    def step(name: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(name, done, total)

    specs = apply_use_layers(load_catalog(user_catalog=catalog), list(use_layers))
    parcel_set = read_parcel_set(Path(parcels))
    if not len(parcel_set):
        raise ValueError(f"地块文件 {Path(parcels).name} 中没有地块")
    step("读取地块")
    layers = load_check_layers(ruleset, specs, boxes=shapely.bounds(parcel_set.geoms))
    step("读取图层")
    elevation = None
    if dem is not None:
        from .slope import open_dem

        elevation = open_dem(Path(dem))
    try:
        result = run_check(parcel_set, layers, ruleset, dem=elevation,
                           project_layers=project_layer_ids(layers, ruleset), progress=step)
    finally:
        if elevation is not None:
            elevation.close()
    return result, layers


def list_conflicts(use_layers: list[str] = (), catalog: Path | None = None,
                   rules: list[Path] | None = None) -> list[Conflict]:
    """Plan projects of 专栏18–24 crossing 生态保护红线 or 永久基本农田."""
    ruleset = load_ruleset(rules)
    specs = apply_use_layers(load_catalog(user_catalog=catalog), list(use_layers))
    wanted = set(ruleset.context.get("project_zhuanlan", ()))
    zones = set(ruleset.context.get("zone_layers", ()))
    projects = [read_layer_data(s) for s in specs if wanted & set(s.zhuanlan) and s.id not in zones]
    constraints = [read_layer_data(s) for s in specs if s.id in CONSTRAINT_LAYERS]
    return find_conflicts(projects, constraints)
