"""A user's own layer file (GeoPackage, Shapefile, GeoJSON …) as a MapLayer beside the catalog."""

from __future__ import annotations

import re
from dataclasses import asdict, fields, replace
from pathlib import Path

import shapely

from .catalog import CatalogError, LayerSpec, MapLayer, Provenance, Style, load_layer

USER_GROUP = "用户图层"
USER_STYLES = {
    "Polygon": Style(fill="#ffd59a", stroke="#b3591d", stroke_width=0.8, opacity=0.75),
    "LineString": Style(stroke="#c2185b", stroke_width=1.2),
    "Point": Style(fill="#e53935", stroke="#ffffff", stroke_width=0.6, marker="circle"),
}
_GEOMETRY_TYPES = {1: "Point", 4: "Point", 2: "LineString", 5: "LineString", 3: "Polygon",
                   6: "Polygon"}


def file_layers(path: Path) -> list[str]:
    """Names of the layers inside a file (several in a GeoPackage); ``CatalogError`` if unreadable."""
    import pyogrio

    try:
        return [str(row[0]) for row in pyogrio.list_layers(Path(path))]
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise CatalogError(f"文件 {Path(path).name} 无法读取：{exc}") from exc


def open_user_layer(path: Path, source_layer: str | None = None, title: str | None = None) -> MapLayer:
    """Read a user's file into EPSG:4549 with a default style, marked as user data.

    Raises ``CatalogError`` (Chinese, naming the file) when the file cannot be read, has no
    CRS or holds no geometry; invalid geometry is repaired and listed in ``repairs``.
    """
    path = Path(path).resolve()
    name = title or (f"{path.stem}：{source_layer}" if source_layer else path.stem)
    layer_id = "user_" + re.sub(r"\W+", "_", f"{path.stem}_{source_layer or ''}").strip("_").lower()
    spec = LayerSpec(
        id=layer_id, title=name, group=USER_GROUP, geometry_type="Polygon", data=path,
        version=f"user:{path.name}",
        provenance=Provenance(source=f"用户数据：{path.name}", licence="用户提供", accuracy="权威",
                              method=f"由用户打开的文件 {path.name}"),
        source_layer=source_layer, zorder=1000)
    layer = load_layer(spec)
    types = shapely.get_type_id(layer.gdf.geometry.to_numpy())
    known = [t for t in types if t in _GEOMETRY_TYPES]
    if not known:
        raise CatalogError(f"文件 {path.name} 中没有可显示的点、线或面几何")
    geometry_type = _GEOMETRY_TYPES[int(known[0])]
    layer.spec = replace(spec, geometry_type=geometry_type, style=USER_STYLES[geometry_type])
    return layer


def style_to_dict(style: Style) -> dict:
    """A ``Style`` as plain JSON values (tuples become lists)."""
    return asdict(style)


def style_from_dict(values: dict) -> Style:
    """The inverse of ``style_to_dict``; unknown keys (from a newer version) are ignored."""
    known = {f.name for f in fields(Style)}
    values = {k: v for k, v in values.items() if k in known}
    if "dash" in values:
        values["dash"] = tuple(values["dash"])
    if "dash_by" in values:
        values["dash_by"] = {k: tuple(v) for k, v in values["dash_by"].items()}
    return Style(**values)


def user_layer_entry(layer: MapLayer) -> dict:
    """What a project keeps of a user layer so it can reopen it: file, layer in the file, title
    and style (JSON values; visibility and opacity are kept beside it by the caller).
    """
    spec = layer.spec
    return {"source": str(spec.data), "source_layer": spec.source_layer, "title": spec.title,
            "style": style_to_dict(spec.style)}


def reopen_user_layer(entry: dict) -> MapLayer:
    """Open a user layer again from a ``user_layer_entry``; ``CatalogError`` (Chinese, naming
    the file) when the file is gone or unreadable.
    """
    path = Path(entry["source"])
    if not path.exists():
        raise CatalogError(f"项目中的用户图层“{entry.get('title') or path.stem}”的文件 {path} 已不存在，未能加载")
    layer = open_user_layer(path, entry.get("source_layer"), title=entry.get("title"))
    if entry.get("style"):
        layer.spec = replace(layer.spec, style=style_from_dict(entry["style"]))
    return layer
