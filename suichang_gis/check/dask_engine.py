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
from pathlib import Path

import numpy as np

from ..crs import WORK_CRS

PARTITION_SIZE = 10_000  # parcels per task: about 1 GB peak against 100,000-feature layers
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


def result_frames(result):
    """(parcels, findings) GeoDataFrames (EPSG:4549) of a ``CheckResult``.

    Parcels: one row per parcel — parcel_id, name, status (pass/warn/fail), 结论, area_m2, area_mu,
    counts of fail/warn/not_assessed findings, indicative, ``result`` (the parcel's JSON, exactly
    ``ParcelResult.to_dict()``) and the parcel geometry. Findings: one row per finding that is not
    a pass (fail, warn, not_assessed, info), with its overlap or distance geometry where it has one.
    """
    import geopandas as gpd
    import orjson

    from .model import STATUS_LABELS

    parcels, findings = [], []
    for p in result.parcels:
        d = p.to_dict()
        statuses = [f["status"] for f in d["findings"]]
        parcels.append({"parcel_id": p.id, "name": p.name, "status": d["status"], "结论": STATUS_LABELS[d["status"]],
                        "area_m2": d["area_m2"], "area_mu": d["area_mu"], "fail": statuses.count("fail"),
                        "warn": statuses.count("warn"), "not_assessed": statuses.count("not_assessed"),
                        "indicative": d["indicative"], "result": orjson.dumps(d).decode("utf-8"),
                        "geometry": p.geometry})
        for f, fd in zip(p.findings, d["findings"]):
            if f.status == "pass":
                continue
            findings.append({"parcel_id": p.id, "rule": f.rule, "title": f.title, "status": f.status,
                             "结论": STATUS_LABELS[f.status], "layer": f.layer, "overlap_m2": fd["overlap_m2"],
                             "overlap_mu": fd["overlap_mu"], "distance_m": fd["distance_m"], "value": fd["value"],
                             "threshold": f.threshold, "unit_code": f.unit_code, "message": f.message,
                             "geometry": f.geometry})
    parcel_cols = ["parcel_id", "name", "status", "结论", "area_m2", "area_mu", "fail", "warn", "not_assessed",
                   "indicative", "result", "geometry"]
    finding_cols = ["parcel_id", "rule", "title", "status", "结论", "layer", "overlap_m2", "overlap_mu",
                    "distance_m", "value", "threshold", "unit_code", "message", "geometry"]
    return (gpd.GeoDataFrame(parcels, columns=parcel_cols, geometry="geometry", crs=WORK_CRS),
            gpd.GeoDataFrame(findings, columns=finding_cols, geometry="geometry", crs=WORK_CRS))


def spatial_partitions(parcels, partition_size: int = PARTITION_SIZE) -> list[np.ndarray]:
    """Row positions of ``parcels`` (a GeoDataFrame) in partitions of at most ``partition_size``,
    in the order of the Hilbert distance of their centres (``dask_geopandas``), so each partition
    covers a compact area.
    """
    import dask_geopandas

    # Computed here (synchronous scheduler): shipping the frame to the workers for it costs more.
    distance = dask_geopandas.from_geopandas(parcels.reset_index(drop=True), npartitions=1) \
        .hilbert_distance().compute(scheduler="sync")
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
    from dask import delayed
    from distributed import as_completed

    out = Path(out)
    for sub in ("parcels", "findings"):
        for old in (out / sub).glob("part.*"):
            old.unlink()  # a previous run's partitions would mix with this one's
    job = DaskJob(tuple(job_specs), tuple(Path(r).resolve() for r in (rules or ())), out.resolve(),
                  Path(dem).resolve() if dem else None)
    parcels = parcels.reset_index(drop=True)
    partitions = spatial_partitions(parcels, partition_size)
    tasks = [delayed(check_partition, pure=False)(parcels.iloc[index], i, job,
                                                  parcels.iloc[near] if len(near) else None)
             for i, (index, near) in enumerate(zip(partitions, neighbours(parcels, partitions)))]
    futures = client.compute(tasks)
    summaries = []
    for done, future in enumerate(as_completed(futures), 1):
        try:
            summaries.append(future.result())
        except RuntimeError as exc:
            if "deserializ" not in str(exc):
                raise
            raise ClusterError("Dask 集群无法读取核查任务：调度器或工作进程上没有安装与本机相同版本的 suichang_gis"
                               f"（所有机器须装同一版本）。{exc}") from exc
        if progress:
            progress("分区", done, len(futures))
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
