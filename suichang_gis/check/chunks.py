"""Spatial chunks of a parcel check: the unit of work of a large batch, in one process or on Dask.

The one per-chunk function is :func:`check_chunk`::

    check_chunk(parcels: ParcelSet, ruleset: RuleSet, specs: list[LayerSpec], *,
                shared: dict[str, CheckLayer] | None = None, dem=None) -> CheckResult

It reads, through each layer's R-tree, only the constraint features under the chunk's parcels
(``load_check_layers`` with the chunk's bounds), runs every rule and returns the chunk's
``CheckResult``. Layers that are needed whole (nearest roads, plan projects) can be read once and
passed in ``shared``; without it the chunk reads them itself, so a Dask worker needs nothing but
the chunk (a ``ParcelSet``; ``data.parcel_set_from_frame`` turns a GeoDataFrame partition into one),
the rule set and the layer specs.

:func:`spatial_chunks` cuts a parcel set into compact groups of about ``size`` parcels (sort-tile
order), so a chunk's parcels read few constraint features and a 100,000-parcel batch holds one
chunk's features and findings at a time; :func:`merge_results` joins chunk results.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import shapely

from ..catalog import LayerSpec
from ..rules import RuleSet
from .data import CheckLayer, ParcelSet
from .engine import project_layer_ids, run_check
from .inputs import layers_needed, load_check_layers
from .model import CheckResult, UsedLayer

CHUNK_SIZE = 5000  # parcels per chunk: large enough for vectorised shapely, small enough for memory


def spatial_chunks(parcels: ParcelSet, size: int = CHUNK_SIZE) -> list[np.ndarray]:
    """Index arrays (into ``parcels``) of compact groups of at most ``size`` parcels.

    Sort-tile order: parcels are sorted into vertical strips by the x of their bounds' centre, and
    each strip by y, so consecutive ``size`` parcels cover a small area. One chunk when
    ``len(parcels) <= size``.
    """
    n = len(parcels)
    if n <= size:
        return [np.arange(n)]
    bounds = shapely.bounds(parcels.geoms)
    cx, cy = (bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2
    chunks = math.ceil(n / size)
    strips = math.ceil(math.sqrt(chunks))
    per_strip = math.ceil(chunks / strips) * size
    by_x = np.argsort(cx, kind="stable")
    order = np.concatenate([s[np.argsort(cy[s], kind="stable")]
                            for s in np.array_split(by_x, range(per_strip, n, per_strip))])
    return [order[k:k + size] for k in range(0, n, size)]


def subset(parcels: ParcelSet, index: np.ndarray) -> ParcelSet:
    """The parcels at ``index`` as their own ParcelSet (notes stay with the whole set)."""
    return ParcelSet([parcels.ids[i] for i in index], [parcels.names[i] for i in index],
                     parcels.geoms[index], [parcels.attrs[i] for i in index], parcels.source)


def shared_layers(ruleset: RuleSet, specs: list[LayerSpec]) -> dict[str, CheckLayer]:
    """The layers every chunk needs whole (not only where they overlap a parcel), read once."""
    needed = layers_needed(ruleset, specs)
    whole = [s for s in specs if not needed.get(s.id, True)]
    return load_check_layers(ruleset, whole) if whole else {}


def check_chunk(parcels: ParcelSet, ruleset: RuleSet, specs: list[LayerSpec], *,
                shared: dict[str, CheckLayer] | None = None, dem=None,
                others: ParcelSet | None = None) -> CheckResult:
    """Check one chunk of parcels (EPSG:4549) against every rule.

    Reads the overlap-only layers through their R-trees for the chunk's parcel bounds; layers in
    ``shared`` (id → CheckLayer, e.g. from :func:`shared_layers`) are used as they are, the others
    needed whole are read here. ``dem`` is an open elevation raster or None (土地平整 未评估).
    ``others`` are candidate parcels outside the chunk that its parcels may overlap (``run_check``).
    """
    shared = shared or {}
    todo = [s for s in specs if s.id not in shared]
    layers = {**load_check_layers(ruleset, todo, boxes=shapely.bounds(parcels.geoms)), **shared}
    needed = layers_needed(ruleset, specs)
    layers = {lid: layers[lid] for lid in needed if lid in layers}
    return run_check(parcels, layers, ruleset, dem=dem, project_layers=project_layer_ids(layers, ruleset),
                     others=others)


def merge_results(results: list[CheckResult]) -> CheckResult:
    """One result of the chunk results in order: parcels joined, layer uses added up."""
    first = results[0]
    uses: dict[str, UsedLayer] = {}
    for result in results:
        for use in result.layers:
            if use.id not in uses:
                uses[use.id] = replace(use, repairs=list(use.repairs))
            else:  # a feature under two chunks is read (and counted) by both
                uses[use.id].features_read += use.features_read
                uses[use.id].repairs.extend(r for r in use.repairs if r not in uses[use.id].repairs)
    return CheckResult(rulesets=first.rulesets, layers=[uses[k] for k in sorted(uses)],
                       parcels=[p for r in results for p in r.parcels], generated=first.generated,
                       parcel_source=first.parcel_source, notes=list(first.notes))


def check_chunk_of(parcels: ParcelSet, tree: shapely.STRtree, index: np.ndarray, ruleset: RuleSet,
                   specs: list[LayerSpec], *, shared: dict[str, CheckLayer], dem=None) -> CheckResult:
    """:func:`check_chunk` of the parcels at ``index`` of ``parcels`` (``tree``: their STRtree),
    with the parcels of other chunks it may overlap (candidate parcels overlapping each other).
    """
    chunk = subset(parcels, index)
    near = np.zeros(len(parcels), dtype=bool)
    near[tree.query(shapely.box(*shapely.total_bounds(chunk.geoms)))] = True
    near[index] = False
    near = np.flatnonzero(near)
    return check_chunk(chunk, ruleset, specs, shared=shared, dem=dem,
                       others=subset(parcels, near) if len(near) else None)


def check_in_chunks(parcels: ParcelSet, ruleset: RuleSet, specs: list[LayerSpec], *,
                    size: int = CHUNK_SIZE, dem=None) -> Iterator[tuple[np.ndarray, CheckResult]]:
    """(parcel indices, result) per spatial chunk, in chunk order; whole layers read once."""
    shared = shared_layers(ruleset, specs)
    tree = shapely.STRtree(parcels.geoms)
    for index in spatial_chunks(parcels, size):
        yield index, check_chunk_of(parcels, tree, index, ruleset, specs, shared=shared, dem=dem)


STREAMED_SUFFIXES = (".json", ".gpkg", ".parquet")


def _writer(out: Path):
    if out.suffix.lower() == ".json":
        from ..report.json_report import CompactWriter

        return CompactWriter(out)
    from ..report.result_table import TableWriter

    return TableWriter(out)


def check_file_streamed(parcels, out: Path, rules: RuleSet | list[Path] | None = None,
                        use_layers: list[str] = (), catalog: Path | None = None, dem: Path | None = None,
                        size: int = CHUNK_SIZE, progress=None, workers: int = 1) -> tuple[CheckResult, dict[str, int], bool]:
    """Check parcels chunk by chunk and stream the result to ``out`` (.json, .gpkg, .parquet).

    ``parcels`` is what ``batch.check_parcels`` takes (a file, GeoDataFrame, project, ParcelSet).
    With ``workers`` > 1 the chunks are checked on that many forked processes when there are
    enough parcels (``parallel.plan_chunks``); the report is written here, in chunk order.

    Returns (the result's header — rule sets, layers used, notes — with no parcels, the parcel
    counts by status, whether a 示意 layer decided any finding). A JSON of at most
    ``INDENT_UP_TO_PARCELS`` parcels is the plain, indented contract. ``progress(step, done, total)`` is called after each chunk.
    """
    from ..catalog import load_catalog
    from ..report.json_report import INDENT_UP_TO_PARCELS, write_json
    from ..rules import load_ruleset
    from .batch import as_parcel_set
    from .inputs import apply_use_layers
    from .parallel import check_in_processes, plan_chunks

    out = Path(out)
    ruleset = rules if isinstance(rules, RuleSet) else load_ruleset(rules)
    specs = apply_use_layers(load_catalog(user_catalog=catalog), list(use_layers))
    parcels = as_parcel_set(parcels)
    plain = out.suffix.lower() == ".json" and len(parcels) <= INDENT_UP_TO_PARCELS
    writer = None if plain else _writer(out)
    heads, counts, kept, indicative = [], {"pass": 0, "warn": 0, "fail": 0}, [], False
    processes, size = plan_chunks(len(parcels), workers, size)
    try:
        total = len(spatial_chunks(parcels, size))
        results = check_in_processes(parcels, ruleset, specs, processes=processes, size=size,
                                     dem=Path(dem) if dem is not None else None,
                                     keep_geometry=out.suffix.lower() != ".json")
        for done, (_, result) in enumerate(results, 1):
            for status, k in result.counts().items():
                counts[status] += k
            indicative = indicative or result.indicative
            if writer is None:
                kept.append(result)
            else:
                writer.add(result.parcels)
            heads.append(replace(result, parcels=[]))  # the header stays; findings and geometry go
            if progress:
                progress("核查", done, total)
        header = merge_results(heads)
        header.notes = list(parcels.notes)
        if writer is None:
            whole = merge_results(kept)
            whole.notes = list(parcels.notes)
            write_json(whole, out)
        else:
            writer.close(header)
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    return header, counts, indicative
