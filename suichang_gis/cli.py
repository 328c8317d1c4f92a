"""The ``suichang-gis`` command line. Each subcommand calls the same core function as the GUI."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .catalog import CatalogError, load_catalog, load_layer

EXPORT_DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON", ".shp": "ESRI Shapefile"}


class UserError(Exception):
    """An error to print to the user (Chinese) with exit code 2."""


def _catalog(args):
    return load_catalog(user_catalog=getattr(args, "catalog", None))


def cmd_layers(args) -> int:
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
    out = export_layer(args.id, Path(args.out), args.crs, args.catalog)
    print(f"已写出 {out}")
    return 0


def cmd_check(args) -> int:
    from .check.batch import check_parcel_file
    from .report import FORMATS, write_report
    from .rules import RuleError

    out = Path(args.out)
    if out.suffix.lower() not in FORMATS:
        raise UserError(f"不支持的报告格式“{out.suffix}”：请用 {'、'.join(FORMATS)}")
    try:
        result, layers = check_parcel_file(Path(args.parcels), args.rules, args.use_layer or [], args.catalog)
        write_report(result, out, layers)
    except (RuleError, ValueError, OSError) as exc:
        raise UserError(str(exc)) from exc
    counts = result.counts()
    print(f"已核查 {len(result.parcels)} 个地块：通过 {counts['pass']}，警示 {counts['warn']}，"
          f"不符合 {counts['fail']}；报告已写出 {out}")
    if result.indicative:
        print("注意：核查使用了示意图层，结论仅供参考")
    return 0


def cmd_conflicts(args) -> int:
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


def _add_check_inputs(p) -> None:
    p.add_argument("--rules", type=Path, action="append",
                   help="规则文件（TOML，可重复）；默认 resources/rules 下全部规则集")
    p.add_argument("--use-layer", action="append", metavar="ID=PATH[:LAYER]",
                   help="本次核查用另一文件替换某图层，例如 ecological_redline=official.gpkg:stbhhx（可重复）")
    p.add_argument("--catalog", type=Path, help="用户图层目录（TOML），替换默认图层的数据")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="suichang-gis", description="遂昌 GIS 规划工作台（命令行）")
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

    p = sub.add_parser("check", help="地块“三线一单”与“标准地”核查，输出报告（.json/.html/.pdf/.docx/.xlsx）")
    p.add_argument("parcels", help="地块文件（地块导入支持的任何格式，或项目文件 .gpkg）")
    p.add_argument("--out", required=True, help="报告文件，格式由扩展名决定")
    _add_check_inputs(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("conflicts", help="列出穿越生态保护红线或永久基本农田的规划项目（专栏18–24）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.add_argument("--out", help="另存为 JSON 文件")
    _add_check_inputs(p)
    p.set_defaults(func=cmd_conflicts)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (UserError, CatalogError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
