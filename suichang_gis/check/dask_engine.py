"""The site check on a Dask cluster: the same ``run_check`` per spatial partition of the parcels.

The parcels are ordered along a Hilbert curve (``dask_geopandas`` ``hilbert_distance``) and cut
into partitions of ``partition_size``, so each partition covers a compact area; the parcels of
other partitions whose envelopes meet a partition's go with it, so candidate parcels overlapping
each other are found across partitions. Every partition is one task running ``chunks.check_chunk``: it reads the constraint layers itself — only the features
near its parcels for the overlap rules (GeoPackage R-tree or PostGIS ``&&``), the layers needed
whole once per worker (``chunks.shared_layers``) — and writes its rows as GeoParquet::

    OUT/parcels/part.00007.parquet    one row per parcel: verdict, key figures, the full result JSON
    OUT/findings/part.00007.parquet   one row per non-pass finding, with its geometry
    OUT/summary.json                  counts, rule sets, layers, notices

A partition's files are named by its number and written to a temporary name then renamed, so a
task that Dask re-runs after a worker died replaces its own files: no result lost or doubled.
Workers must read the layer files at the same paths (a shared folder) or from PostGIS.
"""

from __future__ import annotations

import gc
import json
import os
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import numpy as np

from ..crs import WORK_CRS

PARTITION_SIZE = 10_000  # parcels per task: about 1 GB peak against 100,000-feature layers
IN_FLIGHT_PER_THREAD = 2  # partitions sent ahead per worker thread (the next is ready when one ends)
_local = threading.local()  # per worker thread: the rule set and the layers needed whole


class ClusterError(RuntimeError):
    """The Dask cluster cannot be reached or cannot run the tasks; told in Chinese."""


@dataclass(frozen=True)
class DaskJob:
    """What every partition task needs (small and picklable): layer specs, rule files, output."""

    specs: tuple  # LayerSpec, with absolute paths or PostGIS sources
    rules: tuple  # rule files (Path); empty = the default rule sets
    out: Path
    dem: Path | None = None


@dataclass
class DaskSummary:
    """What a Dask check produced (the rows themselves are in ``out``)."""

    out: Path
    parcels: int
    partitions: int
    counts: dict[str, int]
    summary: dict


@contextmanager
def gc_paused():
    """The cyclic garbage collector off for a block that makes ~10⁶ acyclic objects (a partition's
    findings, a million parcel records), as the single-process ``check`` does: its passes over
    them free nothing and cost 10–30 % of the time. Restored (if it was on) afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _worker_state(job: DaskJob):
    """The rule set and the layers needed whole, read once per worker thread and job."""
    from ..rules import load_ruleset
    from .chunks import shared_layers

    key = (job.rules, job.specs)
    if getattr(_local, "key", None) != key:
        ruleset = load_ruleset(list(job.rules) or None)
        _local.key, _local.ruleset, _local.shared = key, ruleset, shared_layers(ruleset, list(job.specs))
    return _local.ruleset, _local.shared


def check_partition(frame, number: int, job: DaskJob, others=None) -> dict:
    """Check one partition (a parcel GeoDataFrame, EPSG:4549) with ``chunks.check_chunk`` — the
    same per-chunk function as the single-process batch — and write its GeoParquet files.

    ``others`` (a GeoDataFrame or None) are the parcels of other partitions whose envelopes meet
    this one's parcels: compared for candidate parcels overlapping each other, not checked.
    Returns a small summary (counts, layers used, notes) for the client to merge.
    """
    with gc_paused():
        return _check_partition(frame, number, job, others)


def _check_partition(frame, number: int, job: DaskJob, others) -> dict:
    from .chunks import check_chunk
    from .data import parcel_set_from_frame

    ruleset, shared = _worker_state(job)
    parcels = parcel_set_from_frame(frame.reset_index(drop=True))
    elevation = None
    if job.dem is not None:
        from .slope import open_dem

        elevation = open_dem(job.dem)
    try:
        near = parcel_set_from_frame(others.reset_index(drop=True)) if others is not None and len(others) else None
        result = check_chunk(parcels, ruleset, list(job.specs), shared=shared, dem=elevation, others=near)
    finally:
        if elevation is not None:
            elevation.close()
    parcel_rows, finding_rows = result_frames(result)
    for name, rows in (("parcels", parcel_rows), ("findings", finding_rows)):
        _write_atomically(rows, job.out / name / f"part.{number:05d}.parquet")
    return {"counts": result.counts(), "parcels": len(result.parcels),
            "layers": [u.to_dict() for u in result.layers], "rulesets": [r.to_dict() for r in result.rulesets],
            "notices": result.notices(), "notes": result.notes}


def _write_atomically(frame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp-{uuid.uuid4().hex}")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


# The columns of a finding in ``Finding.to_dict`` order (figures rounded as it rounds them).
FINDING_KEYS = ("rule", "title", "ruleset", "layer", "status", "overlap_m2", "overlap_mu", "overlap_ratio",
                "distance_m", "value", "threshold", "unit_code", "message", "basis", "indicative",
                "example_threshold")
FINDING_COLUMNS = ["parcel_id", "rule", "title", "status", "结论", "layer", "overlap_m2", "overlap_mu",
                   "distance_m", "value", "threshold", "unit_code", "message", "geometry"]


def result_frames(result):
    """(parcels, findings) GeoDataFrames (EPSG:4549) of a ``CheckResult``.

    Parcels: one row per parcel — parcel_id, name, status (pass/warn/fail), 结论, area_m2, area_mu,
    counts of fail/warn/not_assessed findings, indicative, ``result`` (the parcel's JSON, exactly
    ``ParcelResult.to_dict()``) and the parcel geometry. Findings: one row per finding that is not
    a pass (fail, warn, not_assessed, info), with its overlap or distance geometry where it has one.

    The findings are read from the run's columns (``FindingStore``) without making a ``Finding``
    per row; parcels whose findings were replaced are read from their objects.
    """
    import geopandas as gpd
    import orjson
    import pandas as pd
    import pyarrow as pa

    from .model import _RANK, REASON_STATUSES, STATUS_LABELS, _round

    parcels = result.parcels
    table, owner = _finding_table(parcels)
    n = len(parcels)
    bounds = np.searchsorted(owner, np.arange(n + 1)).tolist()
    rows = [dict(zip(FINDING_KEYS, values)) for values in zip(*(table[k] for k in FINDING_KEYS))]
    for row, also in zip(rows, table["also"]):
        if also:
            row["also"] = also
    reason_rank = {s: k for k, s in enumerate(REASON_STATUSES)}
    status_of, rank = table["status"], [_RANK[s] for s in table["status"]]
    results, statuses, counts = [], [], {s: np.zeros(n, dtype=np.int64) for s in REASON_STATUSES}
    for s in REASON_STATUSES:
        mine = np.asarray([x == s for x in status_of], dtype=bool)
        np.add.at(counts[s], owner[mine], 1)
    indicative = []
    for j, p in enumerate(parcels):
        lo, hi = bounds[j], bounds[j + 1]
        status = ("pass", "warn", "fail")[max(rank[lo:hi], default=0)]
        found = []
        if status != "pass":
            labelled = sorted((reason_rank[status_of[k]], k) for k in range(lo, hi) if status_of[k] in reason_rank)
            found = [f"{'/'.join([table['rule'][k], *(a['rule'] for a in table['also'][k] or ())])} "
                     f"{table['title'][k]}：{STATUS_LABELS[status_of[k]]}" for _, k in labelled]
        flag = any(table["indicative"][lo:hi])
        statuses.append(status)
        indicative.append(flag)
        results.append(orjson.dumps({
            "id": p.id, "name": p.name, "area_m2": _round(p.area_m2), "area_mu": _round(p.area_mu, 1e4),
            "townships": p.townships, "zones": p.zones, "status": status, "indicative": flag, "reasons": found,
            "projects_nearby": [{**q, "distance_m": _round(q["distance_m"])} for q in p.projects],
            "repairs": p.repairs, "findings": rows[lo:hi]}))
    # Straight to an Arrow string column: no decode, no per-string conversion by pandas.
    json_column = pd.Series(pd.arrays.ArrowStringArray(pa.array(results, pa.binary()).cast(pa.string())))
    parcel_frame = gpd.GeoDataFrame({
        "parcel_id": [p.id for p in parcels], "name": [p.name for p in parcels], "status": statuses,
        "结论": [STATUS_LABELS[s] for s in statuses], "area_m2": [_round(p.area_m2) for p in parcels],
        "area_mu": [_round(p.area_mu, 1e4) for p in parcels], "fail": counts["fail"], "warn": counts["warn"],
        "not_assessed": counts["not_assessed"], "indicative": indicative, "result": json_column},
        geometry=[p.geometry for p in parcels], crs=WORK_CRS)
    keep = [k for k, s in enumerate(status_of) if s != "pass"]
    ids = [parcels[j].id for j in owner.tolist()]
    columns = {"parcel_id": ids, **{c: table[c] for c in FINDING_COLUMNS[1:] if c in table}}
    columns["结论"] = [STATUS_LABELS[s] for s in status_of]
    finding_frame = gpd.GeoDataFrame({c: [columns[c][k] for k in keep] for c in FINDING_COLUMNS if c != "geometry"},
                                     geometry=[table["geometry"][k] for k in keep], crs=WORK_CRS)
    return parcel_frame, finding_frame


def _finding_table(parcels) -> tuple[dict[str, list], np.ndarray]:
    """Every finding of ``parcels`` as columns (``FINDING_KEYS`` as ``Finding.to_dict`` gives them,
    ``also`` as its list of dicts or None, ``geometry``), parcel by parcel in rule order; and the
    position in ``parcels`` of each row's parcel (ascending).
    """
    store = parcels[0].store if parcels else None
    if store is not None and store.n == len(parcels) and all(
            p.in_store and p.store is store and p.index == j for j, p in enumerate(parcels)):
        return _store_table(store)
    table = {k: [] for k in (*FINDING_KEYS, "also", "geometry")}
    owner = []
    for j, p in enumerate(parcels):
        for f in p.findings:
            d = f.to_dict()
            for k in FINDING_KEYS:
                table[k].append(d[k])
            table["also"].append(d.get("also"))
            table["geometry"].append(f.geometry)
            owner.append(j)
    return table, np.asarray(owner, dtype=np.intp)


def _store_table(store) -> tuple[dict[str, list], np.ndarray]:
    """``_finding_table`` read from a run's ``FindingStore`` columns (parcel ``i`` = store index ``i``)."""
    parts = {k: [] for k in (*FINDING_KEYS, "also", "geometry")}
    owner, order_block, order_row = [], [], []
    for b, block in enumerate(store.blocks):
        live = np.flatnonzero(store.alive[b])
        if not len(live):
            continue
        rows = live.tolist()
        figures = block.json_figures()
        basis = block.basis.as_dict if block.basis else None
        parts["rule"] += [block.rule] * len(rows)
        parts["title"] += [block.title] * len(rows)
        parts["ruleset"] += [block.ruleset] * len(rows)
        parts["basis"] += [basis] * len(rows)
        parts["example_threshold"] += [block.example_threshold] * len(rows)
        for k in ("layer", "status", "threshold", "unit_code", "message"):
            column = getattr(block, k)
            parts[k] += [column[r] for r in rows]
        parts["indicative"] += [bool(block.indicative[r]) for r in rows]
        for k in ("overlap_m2", "overlap_mu", "overlap_ratio", "distance_m", "value"):
            parts[k] += [figures[k][r] for r in rows]
        parts["also"] += [[a.to_dict() for a in store.also[b, r]] if (b, r) in store.also else None for r in rows]
        parts["geometry"] += [None] * len(rows) if block.geometry is None else [block.geometry[r] for r in rows]
        owner.append(block.parcel[live])
        order_block.append(np.full(len(rows), b))
        order_row.append(live)
    if not owner:
        return parts, np.zeros(0, dtype=np.intp)
    owner, blocks, rows = np.concatenate(owner), np.concatenate(order_block), np.concatenate(order_row)
    order = np.lexsort((rows, blocks, owner)).tolist()  # by parcel, then rule (block), then row
    return {k: [v[i] for i in order] for k, v in parts.items()}, owner[order]


def spatial_partitions(parcels, partition_size: int = PARTITION_SIZE) -> list[np.ndarray]:
    """Row positions of ``parcels`` (a GeoDataFrame) in partitions of at most ``partition_size``,
    in the order of the Hilbert distance of their centres (``dask_geopandas``), so each partition
    covers a compact area.
    """
    import dask
    import dask_geopandas

    # Computed here, synchronously, with the bounds given: otherwise dask_geopandas computes them
    # on the default scheduler — with a distributed client, the whole frame (~280 MB at 1,000,000
    # parcels) goes to a worker and back, and that worker's memory to 3 GB.
    parcels = parcels.reset_index(drop=True)
    with dask.config.set(scheduler="sync"):
        distance = dask_geopandas.from_geopandas(parcels, npartitions=1) \
            .hilbert_distance(total_bounds=parcels.total_bounds).compute()
    order = np.argsort(distance.to_numpy(), kind="stable")
    return [order[k:k + partition_size] for k in range(0, len(order), partition_size)]


def neighbours(parcels, partitions: list[np.ndarray]) -> list[np.ndarray]:
    """Per partition, the row positions of parcels of other partitions whose envelope meets one
    of its parcels' envelopes: the candidates of the overlap between candidate parcels.
    """
    import shapely

    geoms = np.asarray(parcels.geometry.values, dtype=object)
    tree = shapely.STRtree(geoms)
    return [np.setdiff1d(np.unique(tree.query(geoms[index])[1]), index) for index in partitions]


def open_client(scheduler: str | None = None, workers: int = 2, memory_limit: str = "2GB", timeout: float = 30):
    """A ``distributed.Client``: to the cluster at ``scheduler`` (e.g. ``tcp://host:8786``) or to a
    new local cluster of ``workers`` processes (one thread each, ``memory_limit`` each).

    Raises ``ClusterError`` (Chinese) when the scheduler does not answer within ``timeout`` seconds.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout=timeout)
        except (OSError, ValueError) as exc:  # refused, timed out, or not an address
            raise ClusterError(f"无法连接 Dask 调度器 {scheduler}（{timeout} 秒内未响应或地址无效）：{exc}") from exc
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, memory_limit=memory_limit,
                           dashboard_address=None)
    return Client(cluster)


def check_frame_dask(parcels, out: Path, job_specs, rules=(), dem: Path | None = None, client=None,
                     partition_size: int = PARTITION_SIZE, progress=None) -> DaskSummary:
    """Check a parcel GeoDataFrame (EPSG:4549) on ``client`` (a ``distributed.Client``) and write
    the GeoParquet partitions and ``summary.json`` under ``out``.

    ``progress(step, done, total)`` is told each finished partition. A worker that dies mid-batch
    has its partitions re-run by Dask; their files are replaced, never doubled.
    """
    from distributed import as_completed

    out = Path(out)
    for sub in ("parcels", "findings"):
        for old in (out / sub).glob("part.*"):
            old.unlink()  # a previous run's partitions would mix with this one's
    job = DaskJob(tuple(job_specs), tuple(Path(r).resolve() for r in (rules or ())), out.resolve(),
                  Path(dem).resolve() if dem else None)
    parcels = parcels.reset_index(drop=True)
    partitions = spatial_partitions(parcels, partition_size)
    waiting = iter(enumerate(zip(partitions, neighbours(parcels, partitions))))
    batch = uuid.uuid4().hex[:8]

    def submit(i, index, near):
        return client.submit(check_partition, parcels.iloc[index], i, job,
                             parcels.iloc[near] if len(near) else None, key=f"check-partition-{batch}-{i:05d}")

    def top_up(running, in_flight: int) -> int:
        """Send partitions until each worker thread (of the cluster now) has a few in flight."""
        threads = sum(w.get("nthreads", 1) for w in client.scheduler_info().get("workers", {}).values())
        for i, work in islice(waiting, max(IN_FLIGHT_PER_THREAD * max(threads, 1) - in_flight, 0)):
            running.add(submit(i, *work))
            in_flight += 1
        return in_flight

    # A few partitions in flight per worker thread, the next sent as one finishes: the scheduler
    # and the workers never hold the whole parcel set (at 1,000,000 parcels, ~280 MB of partitions).
    running = as_completed()
    in_flight = top_up(running, 0)
    summaries = []
    for done, future in enumerate(running, 1):
        try:
            summaries.append(future.result())
        except RuntimeError as exc:
            if "deserializ" not in str(exc):
                raise
            raise ClusterError("Dask 集群无法读取核查任务：调度器或工作进程上没有安装与本机相同版本的 suichang_gis"
                               f"（所有机器须装同一版本）。{exc}") from exc
        future.release()
        in_flight = top_up(running, in_flight - 1)
        if progress:
            progress("分区", done, len(partitions))
    for sub in ("parcels", "findings"):
        for tmp in (out / sub).glob("*.tmp-*"):
            tmp.unlink()  # written by a task whose worker died before renaming it
    return _merge(out, summaries, len(parcels))


def _merge(out: Path, summaries: list[dict], n: int) -> DaskSummary:
    counts = {"pass": 0, "warn": 0, "fail": 0}
    layers: dict[str, dict] = {}
    notes: list[str] = []
    for s in summaries:
        for k, v in s["counts"].items():
            counts[k] += v
        for use in s["layers"]:
            merged = layers.setdefault(use["id"], {**use, "features_read": 0, "repairs": []})
            merged["features_read"] += use["features_read"]  # summed over partitions
            merged["repairs"] += [r for r in use["repairs"] if r not in merged["repairs"]]
        notes += [x for x in s["notes"] if x not in notes]
    checked = sum(s["parcels"] for s in summaries)
    if checked != n:
        raise RuntimeError(f"分布式核查结果不完整：{n} 个地块只得到 {checked} 个结果")
    first = summaries[0] if summaries else {"rulesets": [], "notices": []}
    summary = {"parcels": n, "partitions": len(summaries), "summary": counts, "rulesets": first["rulesets"],
               "notices": first["notices"], "notes": notes,
               "layers": sorted(layers.values(), key=lambda u: u["id"]),
               "files": {"parcels": "parcels/part.*.parquet", "findings": "findings/part.*.parquet"}}
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return DaskSummary(out, n, len(summaries), counts, summary)


def _parcel_frame(parcel_set):
    """A ParcelSet as a GeoDataFrame (EPSG:4549) with its parcel ids, to be partitioned."""
    import geopandas as gpd

    frame = gpd.GeoDataFrame(parcel_set.attrs, geometry=list(parcel_set.geoms), crs=WORK_CRS)
    frame["parcel_id"] = parcel_set.ids
    return frame


def check_parcels_dask(parcels, out: Path, rules: list[Path] | None = None, use_layers=(),
                       catalog: Path | None = None, dem: Path | None = None, scheduler: str | None = None,
                       workers: int = 2, memory_limit: str = "2GB", partition_size: int = PARTITION_SIZE,
                       progress=None, client=None) -> DaskSummary:
    """``suichang-gis check PARCELS --engine dask``: read the parcels (any source
    ``check_parcels`` takes), check them on ``client``, or on a new local cluster (``workers``
    processes of ``memory_limit``) or the one at ``scheduler`` (closed afterwards), and write
    GeoParquet under ``out``.

    Raises ValueError (Chinese) for a missing or empty parcel file or a bad ``--use-layer``.
    """
    from ..catalog import load_catalog
    from .batch import as_parcel_set
    from .inputs import apply_use_layers

    specs = apply_use_layers(load_catalog(user_catalog=catalog), list(use_layers))
    with gc_paused():
        frame = _parcel_frame(as_parcel_set(parcels))  # the ParcelSet's per-parcel dicts are freed here
    if client is not None:
        return check_frame_dask(frame, out, specs, rules or (), dem, client, partition_size, progress)
    client = open_client(scheduler, workers, memory_limit)
    try:
        return check_frame_dask(frame, out, specs, rules or (), dem, client, partition_size, progress)
    finally:
        cluster = client.cluster if not scheduler else None
        client.close()
        if cluster is not None:
            cluster.close()
