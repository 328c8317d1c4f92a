"""The spatial chunks of one check on several processes of this machine (the local engine of
``suichang-gis check``).

The parent reads the layers needed whole and builds the parcels' STRtree once, then forks
worker processes that inherit them (copy-on-write: nothing is pickled on the way in). A worker
runs :func:`chunks.check_chunk_of` on the chunk it is given — the same per-chunk function as the
single process and the Dask engine — and sends back the chunk's ``CheckResult``, without its
geometry when the report has none (JSON). Results come back in chunk order, so the report is the
same file a single process writes with the same chunks; at most two chunks per worker are in
flight, so the parent holds a bounded number of results while it writes them.

Fork only (Linux): a process that has started other threads must not fork, so the window never
calls this; where fork is unavailable the check runs in one process.
"""

from __future__ import annotations

import math
import os
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import shapely

from ..catalog import LayerSpec
from ..rules import RuleSet
from .chunks import CHUNK_SIZE, check_chunk_of, shared_layers, spatial_chunks
from .data import ParcelSet
from .model import CheckResult

MIN_CHUNK = 1000  # parcels: below this a chunk's fixed costs (R-tree reads, rule set-up) dominate
CHUNKS_PER_WORKER = 4  # smaller chunks keep every process busy to the end (measured: 10,000 parcels
# on 2 CPUs, chunks of 1,250 finished about 0.3 s before chunks of 2,500)
IN_FLIGHT_PER_WORKER = 2

_job = None  # (parcels, tree, chunks, ruleset, specs, shared, dem path, keep geometry), set before forking
_dem = None  # the worker's own open DEM (a raster handle must not be shared across processes)


def available_cpus() -> int:
    """CPUs this process may run on (its affinity; ``os.cpu_count`` where that is unknown)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def plan_chunks(n: int, workers: int, size: int = CHUNK_SIZE) -> tuple[int, int]:
    """(processes, parcels per chunk) for ``n`` parcels on up to ``workers`` processes.

    One process when fork is unavailable or there are too few parcels for two chunks of
    ``MIN_CHUNK``; otherwise chunks of at most ``size`` and at least ``MIN_CHUNK``, about
    ``CHUNKS_PER_WORKER`` per process, so the parent writes one chunk while the workers check the
    next and no process waits long for the last one.
    """
    if workers <= 1 or n < 2 * MIN_CHUNK or not hasattr(os, "fork"):
        return 1, size
    size = max(MIN_CHUNK, min(size, math.ceil(n / (CHUNKS_PER_WORKER * workers))))
    return min(workers, math.ceil(n / size)), size


def _without_geometry(result: CheckResult) -> CheckResult:
    """Drop the parcels' and findings' geometry (a JSON report has none; it is most of the bytes)."""
    stores = {id(p.store): p.store for p in result.parcels if p.store is not None}
    for store in stores.values():
        for block in store.blocks:
            block.geometry = None
    for parcel in result.parcels:
        parcel.geometry = None
        if not parcel.in_store:
            for finding in parcel.findings:
                finding.geometry = None
    return result


def _check_chunk(k: int) -> CheckResult:
    """In a worker: check chunk ``k`` of the inherited job."""
    global _dem
    parcels, tree, chunks, ruleset, specs, shared, dem_path, keep_geometry = _job
    if dem_path is not None and _dem is None:
        from .slope import open_dem

        _dem = open_dem(dem_path)
    result = check_chunk_of(parcels, tree, chunks[k], ruleset, specs, shared=shared, dem=_dem)
    return result if keep_geometry else _without_geometry(result)


def check_in_processes(parcels: ParcelSet, ruleset: RuleSet, specs: list[LayerSpec], *, processes: int,
                       size: int = CHUNK_SIZE, dem: Path | None = None,
                       keep_geometry: bool = True) -> Iterator[tuple[np.ndarray, CheckResult]]:
    """(parcel indices, result) per spatial chunk of ``size`` parcels in chunk order, checked on
    ``processes`` forked processes (1: in this process; :func:`plan_chunks` gives both).

    ``dem`` is the path of the elevation raster (each worker opens its own) or None.
    ``keep_geometry=False`` drops geometry from the results (for a JSON report).

    Raises what a chunk's check raises (the worker's exception, raised again here), and
    RuntimeError (Chinese) when a worker process dies (killed, out of memory).
    """
    global _job
    if processes <= 1:
        from .chunks import check_in_chunks
        from .slope import open_dem

        elevation = open_dem(dem) if dem is not None else None
        try:
            yield from check_in_chunks(parcels, ruleset, specs, size=size, dem=elevation)
        finally:
            if elevation is not None:
                elevation.close()
        return
    import multiprocessing  # only here: a small check does not pay for importing them
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    chunks = spatial_chunks(parcels, size)
    _job = (parcels, shapely.STRtree(parcels.geoms), chunks, ruleset, specs, shared_layers(ruleset, specs),
            dem, keep_geometry)
    pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork"))
    try:
        pending = deque()
        for k in range(len(chunks)):
            pending.append((k, pool.submit(_check_chunk, k)))
            if len(pending) >= IN_FLIGHT_PER_WORKER * processes:
                done, future = pending.popleft()
                yield chunks[done], future.result()
        while pending:
            done, future = pending.popleft()
            yield chunks[done], future.result()
    except BrokenProcessPool as exc:
        raise RuntimeError(f"并行核查的工作进程意外退出（可能内存不足）：请用 --workers 1 在单个进程中核查。{exc}") from exc
    finally:  # also when the caller stops early (a failed write): no chunk keeps running
        pool.shutdown(wait=True, cancel_futures=True)
        _job = None
