"""The ``suichang-gis`` command line. Each subcommand calls the same core function as the GUI."""

from __future__ import annotations

import argparse
import gc
import json
import sys
import traceback
from contextlib import contextmanager
from pathlib import Path

from .catalog import CatalogError, load_catalog, load_layer, mask_secrets

EXPORT_DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON", ".shp": "ESRI Shapefile"}


class UserError(Exception):
    """An error to print to the user (Chinese) with exit code 2."""


@contextmanager
def progress_bar(description: str):
    """A ``progress(step, done, total)`` callback drawing a bar on a terminal (silent in pipes)."""
    if not sys.stderr.isatty():  # nothing to draw: do not import tqdm
        yield lambda step, done, total: None
        return
    from tqdm import tqdm

    with tqdm(total=1, desc=description, unit="步", file=sys.stderr, disable=None, leave=False) as bar:
        def progress(step: str, done: int, total: int) -> None:
            bar.total = total
            bar.set_postfix_str(step, refresh=False)
            bar.update(done - bar.n)

        yield progress


def _catalog(args):
    return load_catalog(user_catalog=getattr(args, "catalog", None))


def cmd_layers(args) -> int:
    """``suichang-gis layers``: list the catalog with accuracy (权威/示意); 0 on success."""
    rows = []
    for spec in _catalog(args):
        layer = load_layer(spec)
        rows.append({
            "id": spec.id, "title": spec.title, "group": spec.group,
            "geometry_type": spec.geometry_type, "feature_count": len(layer.gdf),
            "source": spec.provenance.source,
            "zhuanlan": "、".join(spec.zhuanlan) if spec.zhuanlan else None,
            "accuracy": spec.provenance.accuracy, "licence": spec.provenance.licence,
            "version": spec.version, "crs": layer.gdf.crs.to_string(),
        })
    if args.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        for r in rows:
            print(f"{r['id']:<28} {r['group']:<8} {r['accuracy']:<3} {r['feature_count']:>5}  {r['title']}")
    return 0


def export_layer(layer_id: str, out: Path, crs: str | None = None, user_catalog: Path | None = None) -> Path:
    """Write one catalog layer to ``out`` (format from the extension), EPSG:4549 unless ``crs``."""
    specs = {s.id: s for s in load_catalog(user_catalog=user_catalog)}
    if layer_id not in specs:
        raise UserError(f"没有编号为“{layer_id}”的图层。可用的图层：{', '.join(sorted(specs))}")
    driver = EXPORT_DRIVERS.get(out.suffix.lower())
    if driver is None:
        raise UserError(f"不支持的输出格式“{out.suffix}”：请用 {', '.join(EXPORT_DRIVERS)}")
    gdf = load_layer(specs[layer_id]).gdf
    if crs:
        gdf = gdf.to_crs(crs)
    if not out.parent.exists():
        raise UserError(f"无法写入 {out}：文件夹 {out.parent} 不存在")
    try:
        gdf.to_file(out, driver=driver, engine="pyogrio",
                    **({"encoding": "UTF-8"} if driver == "ESRI Shapefile" else {}))
    except Exception as exc:  # GDAL reports permission and disk errors as several types
        raise UserError(f"无法写入 {out}：{exc}") from exc
    return out


def cmd_export_layer(args) -> int:
    """``suichang-gis export-layer``: write a catalog layer to a file; 0 on success."""
    out = export_layer(args.id, Path(args.out), args.crs, args.catalog)
    print(f"已写出 {out}")
    return 0


def cmd_check_dask(args) -> int:
    """``check PARCELS --engine dask``: the check on a Dask cluster, GeoParquet partitions in --out."""
    from .check.dask_engine import ClusterError, check_parcels_dask
    from .rules import RuleError

    out = Path(args.out)
    if out.suffix.lower() not in ("", ".parquet"):
        raise UserError(f"--engine dask 把结果写成 GeoParquet 分区：--out 应为文件夹（或 .parquet 文件夹），而不是“{out.name}”")
    try:
        with progress_bar("分布式核查") as progress:
            summary = check_parcels_dask(Path(args.parcels), out, args.rules, args.use_layer or [], args.catalog,
                                             args.dem, args.scheduler, args.workers or 2, args.worker_memory,
                                             args.partition_size, progress=progress)
    except (RuleError, ValueError, OSError, ClusterError) as exc:
        raise UserError(str(exc)) from exc
    c = summary.counts
    print(f"已核查 {summary.parcels} 个地块（{summary.partitions} 个分区）：通过 {c['pass']}，警示 {c['warn']}，"
          f"不符合 {c['fail']}；结果已写出 {out}（parcels/、findings/ 下的 GeoParquet 分区与 summary.json）")
    return 0


def cmd_check(args) -> int:
    """``suichang-gis check``: check a parcel file through ``check.check_parcels`` and write the
    report; 0 on success, ``UserError`` (Chinese) for a bad file, rule or layer.
    """
    from .check import check_parcels
    from .check.chunks import STREAMED_SUFFIXES, check_file_streamed
    from .check.parallel import available_cpus
    from .report import FORMATS, write_report
    from .report.settings import load_report_settings
    from .rules import RuleError

    if args.engine == "dask":
        return cmd_check_dask(args)
    out = Path(args.out)
    if out.suffix.lower() not in (*FORMATS, *STREAMED_SUFFIXES):
        raise UserError(f"不支持的报告格式“{out.suffix}”：请用 {'、'.join(dict.fromkeys((*FORMATS, *STREAMED_SUFFIXES)))}")
    gc.disable()  # a batch makes millions of acyclic objects; collection passes only cost time
    try:
        with progress_bar("核查") as progress:
            if out.suffix.lower() in STREAMED_SUFFIXES:  # chunk by chunk, results streamed
                _, counts, indicative = check_file_streamed(
                    Path(args.parcels), out, args.rules, args.use_layer or [], args.catalog, args.dem,
                    progress=progress, workers=args.workers or available_cpus())
            else:
                run = check_parcels(Path(args.parcels), args.rules, use_layers=args.use_layer or [],
                                    catalog=args.catalog, dem=args.dem, progress=progress)
                settings = load_report_settings(args.report_settings) if args.report_settings else None
                write_report(run.result, out, run.layers, settings)
                counts, indicative = run.result.counts(), run.result.indicative
    except (RuleError, ValueError, OSError) as exc:
        raise UserError(str(exc)) from exc
    finally:
        gc.enable()
    print(f"已核查 {sum(counts.values())} 个地块：通过 {counts['pass']}，警示 {counts['warn']}，"
          f"不符合 {counts['fail']}；报告已写出 {out}")
    if indicative:
        print("注意：核查使用了示意图层，结论仅供参考")
    return 0


def cmd_conflicts(args) -> int:
    """``suichang-gis conflicts``: plan projects crossing 生态保护红线 or 永久基本农田; 0 on success."""
    from .check.batch import list_conflicts
    from .rules import RuleError

    try:
        conflicts = list_conflicts(args.use_layer or [], args.catalog, args.rules)
    except (RuleError, ValueError, OSError) as exc:
        raise UserError(str(exc)) from exc
    rows = [c.to_dict() for c in conflicts]
    if args.out:
        Path(args.out).write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if args.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        for r in rows:
            print(f"{'（示意）' if r['indicative'] else ''}{r['message']}")
        print(f"共 {len(rows)} 处规划项目与生态保护红线或永久基本农田冲突")
    return 0


def _parcels(path, check: bool):
    """(MapLayer, CheckResult or None) for --parcels, or (None, None)."""
    if not path:
        return None, None
    from .parcel_layer import load_parcel_layer

    try:
        return load_parcel_layer(Path(path), check=check)
    except (ValueError, OSError) as exc:
        raise UserError(str(exc)) from exc


def cmd_print(args) -> int:
    """``suichang-gis print``: a meeting map from a template (PDF/PNG/SVG); 0 on success."""
    from .layout import LayoutError, load_templates, print_map
    from .parcel_layer import summary_notes, summary_table

    templates = load_templates()
    if args.list:
        for template in templates.values():
            print(f"{template.id}\t{template.title}")
        return 0
    if not args.template or not args.out:
        raise UserError("请给出模板编号和 --out 输出文件（suichang-gis print --list 列出模板）")
    if args.template == "parcel_check" and args.parcels and not args.no_check and not args.one_page:
        return _print_atlas(args)
    parcels, result = _parcels(args.parcels, check=not args.no_check)
    try:
        layout = print_map(args.template, Path(args.out), paper=args.paper, orientation=args.orientation,
                           title=args.title, extra_layers=[parcels] if parcels else None,
                           user_catalog=args.catalog, dpi=args.dpi, maker=args.maker,
                           extra_notes=summary_notes(result) if result else None,
                           table=summary_table(result) if result else None)
    except LayoutError as exc:
        raise UserError(str(exc)) from exc
    for note in layout.notes:
        if note.startswith("模板图层"):
            print(f"注意：{note}", file=sys.stderr)
    print(f"已写出 {args.out}（{args.paper} {'横向' if args.orientation == 'landscape' else '纵向'}，"
          f"比例尺 1:{layout.scale_denominator}）")
    return 0


def _print_atlas(args) -> int:
    """``print parcel_check``: the overview page and one page per parcel."""
    from .atlas import print_atlas
    from .check import check_parcels
    from .layout import LayoutError

    try:
        run = check_parcels(Path(args.parcels), catalog=args.catalog)
    except (ValueError, OSError) as exc:
        raise UserError(str(exc)) from exc
    try:
        atlas = print_atlas(run, Path(args.out), paper=args.paper, orientation=args.orientation,
                            title=args.title, maker=args.maker, user_catalog=args.catalog, dpi=args.dpi,
                            source=Path(args.parcels).name)
    except LayoutError as exc:
        raise UserError(str(exc)) from exc
    scales = "、".join(f"{p.parcel_id} 1:{p.scale_denominator}" for p in atlas.pages)
    print(f"已写出 {'、'.join(str(f) for f in atlas.files)}（总图 1 页 + 地块 {len(atlas.pages)} 页；{scales}）")
    return 0


def cmd_webmap(args) -> int:
    """``suichang-gis webmap``: the offline web map, parcels coloured by check status; 0 on success."""
    from .webmap import WebMapError, write_webmap

    parcels, _ = _parcels(args.parcels, check=not args.no_check)
    try:
        out = write_webmap(Path(args.out), extra_layers=[parcels] if parcels else None,
                           tiles=args.tiles, user_catalog=args.catalog)
    except WebMapError as exc:
        raise UserError(str(exc)) from exc
    print(f"已写出 {out}（{out.stat().st_size / 1e6:.1f} MB，离线可用）")
    return 0


def cmd_import(args) -> int:
    """``import``: read a parcel file, print its account and notes, write a project or another format."""
    from .parcel_io import ParcelImportError, read_parcels, write_parcels
    from .project import Project, ProjectError

    out = Path(args.out)
    options = {k: v for k, v in (("encoding", args.encoding), ("towgs84", args.towgs84)) if v}
    try:
        result = read_parcels(Path(args.file), gcj02=True if args.gcj02 else None, layer=args.layer, **options)
        renamed, written = [], []
        if out.suffix.lower() == ".gpkg":  # a project: new, or parcels appended to an existing one
            if out.exists():
                project = Project.open(out)
                if project.recovery is not None:
                    raise UserError(f"{out.name} 有未保存的编辑，请先在工作台中打开并恢复或放弃")
                fids = project.add_parcels(result.parcels)
                final = project.parcels.loc[fids, "parcel_id"].tolist()
                renamed = [f"{a}→{b}" for a, b in zip(result.parcels["parcel_id"], final) if a != b]
                project.save()
                project.close()
            else:
                Project.create(out, result.parcels)
        else:
            write_parcels(result.parcels, out, notes=written,
                          **({"encoding": args.out_encoding} if args.out_encoding else {}))
    except (ParcelImportError, ProjectError, ValueError) as exc:
        raise UserError(str(exc)) from exc
    print(result.report([f"地块编号与项目中已有的重复，已改为：{'、'.join(renamed)}"] if renamed else []))
    for note in written:
        print(f"· {note}")
    print(f"已写出 {out}")
    return 0


def cmd_export_parcels(args) -> int:
    """``export-parcels``: write a project's parcels in the format of the extension, with the export notes."""
    from .parcel_io import write_parcels
    from .project import Project, ProjectError

    try:
        project = Project.open(Path(args.project), read_only=True)  # works while a window edits it
        if project.recovery is not None:
            print(f"注意：{Path(args.project).name} 有未保存的编辑（{project.recovery.edits} 步），导出的是上次保存的内容",
                  file=sys.stderr)
        parcels = project.parcels
        project.close()
        options = {k: v for k, v in (("encoding", args.encoding), ("gcj02", args.gcj02 or None)) if v}
        notes: list[str] = []
        out = write_parcels(parcels.reset_index(drop=True), Path(args.out), notes=notes, **options)
    except (ProjectError, ValueError) as exc:
        raise UserError(str(exc)) from exc
    print(f"已导出 {len(parcels)} 个地块到 {out}")
    for note in notes:
        print(f"· {note}")
    return 0


def _points(texts: list[str], lonlat: bool) -> list[tuple[float, float]]:
    """'X,Y' arguments as EPSG:4549 points (lon,lat with ``lonlat``)."""
    from .crs import to_work

    points = []
    for text in texts:
        try:
            x, y = (float(v) for v in text.replace("，", ",").split(","))
        except ValueError:
            raise UserError(f"坐标“{text}”应写成 X,Y（例如 412000,3156000）") from None
        point = tuple(float(v) for v in to_work(x, y)) if lonlat else (x, y)
        if not all(abs(v) < 1e8 for v in point):
            raise UserError(f"坐标“{text}”无法换算到 EPSG:4549")
        points.append(point)
    return points


def cmd_identify(args) -> int:
    """``suichang-gis identify``: every feature at a point (EPSG:4549 or lon/lat); 0 on success."""
    from .identify import identify

    (x, y), = _points([args.point], args.lonlat)
    specs = _catalog(args)
    layers = sorted((load_layer(spec) for spec in specs), key=lambda layer: layer.spec.zorder)
    hits = identify(layers, x, y, tolerance=args.tolerance)
    rows = [{"layer": h.layer_id, "title": h.layer_title, "feature": h.feature_index,
             "zhuanlan": list(h.zhuanlan), "accuracy": h.provenance.accuracy,
             "source": h.provenance.source, "attributes": h.attributes} for h in hits]
    if args.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2, default=str)
        print()
    else:
        for r in rows:
            name = r["attributes"].get("name") or f"要素 {r['feature'] + 1}"
            print(f"{r['title']}：{name}（精度：{r['accuracy']}）")
        print(f"X {x:,.1f}  Y {y:,.1f} 处共 {len(rows)} 个要素")
    return 0


def cmd_measure(args) -> int:
    """``suichang-gis measure``: planar distance or area (亩, m², 公顷) in EPSG:4549; 0 on success."""
    from .measure import measure_area, measure_distance

    points = _points(args.points, args.lonlat)
    if len(points) < (3 if args.area else 2):
        raise UserError("测量面积至少需要 3 个点，测量距离至少需要 2 个点")
    result = measure_area(points) if args.area else measure_distance(points)
    print(f"{result.text}（EPSG:4549 平面计算）")
    return 0


def cmd_publish_layers(args) -> int:
    """``publish-layers --dsn``: the catalog's layers into PostGIS tables named by layer id."""
    from .postgis import PostgisError, publish_catalog

    specs = _catalog(args)
    if args.layer:
        unknown = sorted(set(args.layer) - {s.id for s in specs})
        if unknown:
            raise UserError(f"没有编号为“{'、'.join(unknown)}”的图层")
        specs = [s for s in specs if s.id in args.layer]
    try:
        written = publish_catalog(args.dsn, specs, args.schema, progress=print)
    except PostgisError as exc:
        raise UserError(str(exc)) from exc
    total = sum(rows for _, rows in written)
    print(f"已将 {len(written)} 个图层（{total} 个要素）写入数据库 {mask_secrets(args.dsn)} 的模式 {args.schema}；"
          f"用户图层目录中写 [postgis] dsn = \"…\"、schema = \"{args.schema}\" 即可使用")
    return 0


def cmd_parcels_pull(args) -> int:
    """``parcels-pull``: the shared PostGIS parcel table into a new project file."""
    from .parcel_store_postgis import PostgisParcelStore, pull_project
    from .postgis import PostgisError
    from .project import ProjectError

    store = PostgisParcelStore(args.dsn, args.table, on_retry=lambda m: print(m, file=sys.stderr))
    try:
        n = pull_project(store, Path(args.out))
    except (PostgisError, ProjectError) as exc:
        raise UserError(str(exc)) from exc
    finally:
        store.close()
    print(f"已从数据库 {store.connection.masked} 的表 {store.table} 取出 {n} 个地块到 {args.out}")
    return 0


def cmd_parcels_push(args) -> int:
    """``parcels-push``: a project's changed parcels into the shared table; conflicts refused."""
    from .parcel_store_postgis import PostgisParcelStore, push_project
    from .postgis import PostgisError
    from .project import ProjectError

    store = PostgisParcelStore(args.dsn, args.table, user=args.user, on_retry=lambda m: print(m, file=sys.stderr))
    try:
        store.create()
        saved = push_project(store, Path(args.project))
    except (PostgisError, ProjectError, ValueError) as exc:
        raise UserError(str(exc)) from exc
    finally:
        store.close()
    print(f"已保存到数据库 {store.connection.masked} 的表 {store.table}：共 {len(saved.versions)} 个地块")
    return 0


def _add_check_inputs(p) -> None:
    p.add_argument("--rules", type=Path, action="append",
                   help="规则文件（TOML，可重复）；默认 resources/rules 下全部规则集")
    p.add_argument("--use-layer", action="append", metavar="ID=PATH[:LAYER]",
                   help="本次核查用另一文件替换某图层，例如 ecological_redline=official.gpkg:stbhhx（可重复）")
    p.add_argument("--catalog", type=Path, help="用户图层目录（TOML），替换默认图层的数据")


def build_parser() -> argparse.ArgumentParser:
    """The ``suichang-gis`` argument parser with one sub-command per ``cmd_…`` function."""
    parser = argparse.ArgumentParser(prog="suichang-gis", description="遂昌 GIS 规划工作台（命令行）")
    parser.add_argument("--debug", action="store_true", help="出错时打印完整的 Python 调用栈（供开发者排查）")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("layers", help="列出默认图层目录")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.add_argument("--catalog", type=Path, help="用户图层目录（TOML），替换默认图层的数据")
    p.set_defaults(func=cmd_layers)

    p = sub.add_parser("export-layer", help="导出一个图层（.gpkg/.geojson/.shp）")
    p.add_argument("id", help="图层编号，例如 county_boundary")
    p.add_argument("out", help="输出文件")
    p.add_argument("--crs", help="输出坐标系，默认 EPSG:4549")
    p.add_argument("--catalog", type=Path, help="用户图层目录（TOML）")
    p.set_defaults(func=cmd_export_layer)

    p = sub.add_parser("import", help="导入候选地块（.gpkg/.shp/.geojson/.kml/.kmz/.dxf/.txt/.csv/.xlsx），"
                                      "写入项目文件（.gpkg）或转换为其他格式")
    p.add_argument("file", help="地块文件")
    p.add_argument("--gcj02", action="store_true", help="坐标为 GCJ-02（高德/奥维的火星坐标），导入时纠偏")
    p.add_argument("--layer", help="要读取的图层（GeoPackage/File Geodatabase 图层、Excel 工作表或 DXF 图层）")
    p.add_argument("--encoding", help="地块文件的文字编码（Shapefile 属性、TXT、CSV），例如 GBK；默认按 .cpg 与内容判断")
    p.add_argument("--towgs84", metavar="DX,DY,DZ,RX,RY,RZ,PPM",
                   help="西安 1980 / 北京 1954 坐标的七参数（米、秒、ppm，测绘单位提供），据此转换为 CGCS2000")
    p.add_argument("--out-encoding", help="写出 Shapefile/TXT 时的编码，例如 GBK")
    p.add_argument("--out", required=True, help="项目文件（.gpkg，已存在则追加）或其他格式的输出文件")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export-parcels", help="从项目文件导出候选地块（格式由扩展名决定，含界址点坐标 .txt 与 .dxf）")
    p.add_argument("project", help="项目文件（.gpkg）")
    p.add_argument("out", help="输出文件")
    p.add_argument("--encoding", help="Shapefile/TXT 的编码，例如 GBK（TXT 默认 GBK，Shapefile 默认 UTF-8）")
    p.add_argument("--gcj02", action="store_true", help="KML 写出 GCJ-02 坐标（供高德/奥维使用）")
    p.set_defaults(func=cmd_export_parcels)

    p = sub.add_parser("check", help="地块“三线一单”与“标准地”核查，输出报告（.json/.html/.pdf/.docx/.xlsx）")
    p.add_argument("parcels", help="地块文件（地块导入支持的任何格式，或项目文件 .gpkg）")
    p.add_argument("--out", required=True, help="报告文件，格式由扩展名决定（.json .html .pdf .docx .xlsx；结果表 .gpkg .parquet）")
    p.add_argument("--dem", type=Path, help="数字高程模型（GeoTIFF，投影坐标系，米），用于土地平整（坡度）核查")
    p.add_argument("--engine", choices=["local", "dask"], default="local",
                   help="local：本进程（默认）；dask：按空间分区在 Dask 集群上核查，--out 为 GeoParquet 文件夹")
    p.add_argument("--scheduler", help="Dask 调度器地址，例如 tcp://10.0.0.5:8786；不给则在本机启动集群")
    p.add_argument("--workers", type=int,
                   help="工作进程数：local 引擎按空间块并行核查（报告为 .json/.gpkg/.parquet 时），默认为本机可用 CPU 数；"
                        "dask 引擎为本机集群的工作进程数，默认 2")
    p.add_argument("--worker-memory", default="2GB", help="本机 Dask 集群每个工作进程的内存上限，默认 2GB")
    p.add_argument("--partition-size", type=int, default=10_000, help="每个分区的地块数，默认 10000")
    p.add_argument("--report-settings", type=Path,
                   help="报告抬头设置（TOML：报告编号格式、核查单位、制表人/核查人/审核人）；默认 resources/report_settings.toml")
    _add_check_inputs(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("publish-layers", help="把图层目录（默认图层及用户目录的替换）写入 PostGIS 数据库")
    p.add_argument("--dsn", required=True,
                   help="数据库连接：PG:service=名称、PG:host=… dbname=…，或 postgresql://用户@主机/库；"
                        "口令请放在 ~/.pgpass 或 PGPASSWORD 中")
    p.add_argument("--schema", default="public", help="写入的模式（schema），默认 public；每个图层一张表，表名即图层编号")
    p.add_argument("--layer", action="append", help="只发布这些图层（可重复），默认全部")
    p.add_argument("--catalog", type=Path, help="用户图层目录（TOML）")
    p.set_defaults(func=cmd_publish_layers)

    dsn_help = "数据库连接：PG:service=名称 或 postgresql://用户@主机/库（口令放在 ~/.pgpass 或 PGPASSWORD 中）"
    p = sub.add_parser("parcels-pull", help="从 PostGIS 共享地块表取出地块，建立本地项目文件（记住各地块版本）")
    p.add_argument("--dsn", required=True, help=dsn_help)
    p.add_argument("--table", default="public.parcels", help="地块表，默认 public.parcels")
    p.add_argument("--out", required=True, help="新建的项目文件（.gpkg）")
    p.set_defaults(func=cmd_parcels_pull)

    p = sub.add_parser("parcels-push", help="把项目中改动过的地块保存到 PostGIS 共享地块表（他人同时改过则报冲突，不覆盖）")
    p.add_argument("project", help="项目文件（.gpkg）")
    p.add_argument("--dsn", required=True, help=dsn_help)
    p.add_argument("--table", default="public.parcels", help="地块表，默认 public.parcels")
    p.add_argument("--user", help="记录为修改人的名字，默认为登录名")
    p.set_defaults(func=cmd_parcels_push)

    p = sub.add_parser("conflicts", help="列出穿越生态保护红线或永久基本农田的规划项目（专栏18–24）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.add_argument("--out", help="另存为 JSON 文件")
    _add_check_inputs(p)
    p.set_defaults(func=cmd_conflicts)

    p = sub.add_parser("print", help="按模板输出会议用图（.pdf/.png/.svg）；--list 列出模板")
    p.add_argument("template", nargs="?", help="模板编号，例如 zones")
    p.add_argument("--list", action="store_true", help="列出模板编号与图名")
    p.add_argument("--paper", default="A3", choices=["A4", "A3", "A2", "A1", "A0"], help="纸张，默认 A3")
    p.add_argument("--orientation", default="landscape", choices=["landscape", "portrait"],
                   help="方向：landscape 横向（默认）或 portrait 纵向")
    p.add_argument("--parcels", help="候选地块文件（地块导入支持的任何格式），按核查结论着色")
    p.add_argument("--no-check", action="store_true", help="只画地块，不做核查")
    p.add_argument("--one-page", action="store_true",
                   help="候选地块核查图只出一页总图（默认另为每个地块出一页：大比例尺地图与核查表）")
    p.add_argument("--title", help="图名，默认用模板的图名")
    p.add_argument("--maker", help="制图单位，默认取报告设置（resources/report_settings.toml）的 unit；都未设时留横线手填")
    p.add_argument("--dpi", type=float, default=300, help="PNG 分辨率，默认 300")
    p.add_argument("--out", help="输出文件，格式由扩展名决定（.pdf/.png/.svg）")
    p.add_argument("--catalog", type=Path, help="用户图层目录（TOML）")
    p.set_defaults(func=cmd_print)

    p = sub.add_parser("webmap", help="输出离线可用的网页地图（单个 HTML 文件）")
    p.add_argument("--parcels", help="候选地块文件，按核查结论着色，弹窗列出核查结果")
    p.add_argument("--no-check", action="store_true", help="只画地块，不做核查")
    p.add_argument("--one-page", action="store_true",
                   help="候选地块核查图只出一页总图（默认另为每个地块出一页：大比例尺地图与核查表）")
    p.add_argument("--tiles", choices=["OpenStreetMap"], help="可选底图（需联网）")
    p.add_argument("--out", required=True, help="输出 HTML 文件")
    p.add_argument("--catalog", type=Path, help="用户图层目录（TOML）")
    p.set_defaults(func=cmd_webmap)

    p = sub.add_parser("identify", help="列出某点处所有图层的要素（含重叠的分区）")
    p.add_argument("point", help="坐标 X,Y（EPSG:4549），或加 --lonlat 时为 经度,纬度")
    p.add_argument("--lonlat", action="store_true", help="坐标为 CGCS2000 经纬度")
    p.add_argument("--tolerance", type=float, default=0.0, help="点、线要素的查询半径（米）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.add_argument("--catalog", type=Path, help="用户图层目录（TOML）")
    p.set_defaults(func=cmd_identify)

    p = sub.add_parser("measure", help="测量折线长度或多边形面积（EPSG:4549 平面，面积以亩、m²、公顷给出）")
    p.add_argument("points", nargs="+", help="各点坐标 X,Y")
    p.add_argument("--area", action="store_true", help="测量面积（多边形自动闭合）")
    p.add_argument("--lonlat", action="store_true", help="坐标为 CGCS2000 经纬度")
    p.set_defaults(func=cmd_measure)
    return parser


def _files_named(args) -> list[str]:
    """The user's files among the arguments, to name them when something unexpected fails."""
    names = []
    for key in ("file", "parcels", "project", "out", "dem", "catalog"):
        value = getattr(args, key, None)
        if value:
            names.append(Path(value).name)
    return names


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; a user's error is one Chinese line and exit code 2, never a traceback.

    Errors nobody foresaw are caught here too: the message names the command and the files it
    was given, and the traceback is printed only with ``--debug``.
    """
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (UserError, CatalogError) as exc:
        print(f"错误：{mask_secrets(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已取消", file=sys.stderr)
        return 130
    except Exception as exc:  # the last resort: a user never sees a bare traceback
        if args.debug:
            traceback.print_exc()
        from .errors import unexpected_error_message

        print(f"错误：{unexpected_error_message(exc, _files_named(args), '加 --debug 可显示详细信息，')}",
              file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
