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
