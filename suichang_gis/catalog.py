"""The layer catalog: one ``layer.toml`` beside each layer's data file under ``layers/``.

A catalog entry names the layer, its group, geometry type, style, the plan 专栏 it comes from
and its provenance. ``load_catalog`` reads the entries; ``load_layer`` reads the data into a
GeoDataFrame in EPSG:4549. A user catalog (TOML) can point any layer id at another file, e.g.
authoritative 生态保护红线 data, without code changes.

The layer types of the workbench and how one becomes the next::

    LayerSpec   (catalog)            a catalog entry: id, title, group, Style, Provenance; no data
      │ load_layer
      ▼
    MapLayer    (catalog)            the entry with its data loaded (GeoDataFrame, EPSG:4549)
      ├─► LayerState  (map_model)    the layer as drawn in a MapModel: shown?, opacity, style
      │     └─► CanvasLayer (ui.map_renderer)  its painting caches on the screen
      └─► CheckLayer  (check.data)   its data prepared for the check: shapely array + STRtree
            │                        (``read_check_layer`` also builds one from a LayerSpec)
            └─► UsedLayer (check.model)  what a CheckResult records of a layer it used

A layer's data may also be a PostGIS table: ``data = "PG:service=bureau"`` (or a
``postgresql://`` URL, or libpq keywords) with ``source_layer = "schema.table"``; a user catalog's
``[postgis]`` table (``dsn``, ``schema``, optional ``layers``) points every layer at the tables
``suichang-gis publish-layers`` wrote. A password in a catalog file is refused: it comes from the
service file, ``~/.pgpass``, ``PGPASSWORD`` or a prompt (see ``postgis``).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .crs import WORK_CRS

if TYPE_CHECKING:  # geopandas is imported where data is read: `suichang-gis check` starts faster
    import geopandas as gpd

GROUPS = ("行政区划", "一城五区", "交通", "水利", "能源", "生态与三线一单")
ACCURACIES = ("权威", "示意")
GEOMETRY_TYPES = ("Point", "LineString", "Polygon")


class CatalogError(ValueError):
    """A catalog or layer definition that cannot be used; the message is Chinese."""


@dataclass(frozen=True)
class Style:
    """Everything a renderer (Qt canvas, matplotlib print, folium) needs to draw a layer.

    Colours are hex strings; widths and sizes are in points. ``dash_by`` maps values of
    ``dash_field`` to a dash pattern (list of on/off lengths in points, [] = solid);
    ``fill_by`` maps values of ``fill_field`` to fill colours and ``stroke_by`` values of
    ``stroke_field`` to line colours (e.g. roads by class). Renderers and legends show the
    classes of one field per layer: ``fill_field``, else ``dash_field``, else ``stroke_field``.
    """

    fill: str | None = None
    stroke: str = "#333333"
    stroke_width: float = 0.8
    opacity: float = 1.0
    dash: tuple[float, ...] = ()
    dash_field: str | None = None
    dash_by: dict[str, tuple[float, ...]] = field(default_factory=dict)
    fill_field: str | None = None
    fill_by: dict[str, str] = field(default_factory=dict)
    stroke_field: str | None = None
    stroke_by: dict[str, str] = field(default_factory=dict)
    marker: str = "circle"  # circle | square | triangle | diamond | star
    marker_size: float = 6.0
    label_field: str | None = None
    label_size: float = 8.0
    label_color: str = "#222222"
    hatch: str | None = None  # "diagonal": hatching in the stroke colour over the fill (schematic areas)

    def dash_for(self, value) -> tuple[float, ...]:
        """Dash pattern (on/off lengths in points; () = solid) of a feature whose ``dash_field`` is ``value``."""
        return self.dash_by.get(str(value), self.dash) if self.dash_field else self.dash

    def fill_for(self, value) -> str | None:
        """Fill colour (hex, or None for no fill) of a feature whose ``fill_field`` is ``value``."""
        return self.fill_by.get(str(value), self.fill) if self.fill_field else self.fill

    def stroke_for(self, value) -> str:
        """Line colour (hex) of a feature whose ``stroke_field`` is ``value``."""
        return self.stroke_by.get(str(value), self.stroke) if self.stroke_field else self.stroke

    @property
    def class_field(self) -> str | None:
        """The field whose classes the legend lists."""
        return self.fill_field or self.dash_field or self.stroke_field

    @property
    def class_order(self) -> list[str]:
        """The classes of ``class_field`` in the order the catalog declares them."""
        return list(self.fill_by if self.fill_field else self.dash_by if self.dash_field else self.stroke_by)


# The schematic (示意) treatment, defined once: every renderer draws a 示意 layer with the style
# ``schematic_style`` returns, so the canvas, the print, the web map and the report extracts agree
# and no 权威 layer ever looks like it. Colours get SCHEMATIC_LIGHTEN of white mixed in; filled
# areas are hatched in their outline colour, every area gets a dashed outline (outline-only ones
# a lighter one); lines and points are lighter and SCHEMATIC_OPACITY more transparent.
SCHEMATIC_LIGHTEN = 0.4
SCHEMATIC_OPACITY = 0.8
SCHEMATIC_HATCH = "diagonal"
SCHEMATIC_OUTLINE_DASH = (4.0, 2.0)  # points on paper


def lighten(colour: str | None, share: float = SCHEMATIC_LIGHTEN) -> str | None:
    """``colour`` ('#rrggbb' or '#rrggbbaa') with ``share`` (0–1) of white mixed in; alpha kept."""
    if not colour or not colour.startswith("#") or len(colour) not in (7, 9):
        return colour
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    mixed = "".join(f"{round(c + (255 - c) * share):02x}" for c in rgb)
    return f"#{mixed}{colour[7:]}"


def schematic_style(style: Style, geometry_type: str) -> Style:
    """The style a 示意 layer is drawn with (see SCHEMATIC_* above)."""
    changes = {"fill": lighten(style.fill), "fill_by": {k: lighten(v) for k, v in style.fill_by.items()},
               "opacity": style.opacity * SCHEMATIC_OPACITY}
    if geometry_type == "Polygon":
        changes["opacity"] = style.opacity
        if style.fill or style.fill_by:  # an outline-only area (e.g. 乡镇范围) is not hatched all over
            changes["hatch"] = SCHEMATIC_HATCH
        else:
            changes["stroke"] = lighten(style.stroke, SCHEMATIC_LIGHTEN / 2)
        if not style.dash and not style.dash_field:
            changes["dash"] = SCHEMATIC_OUTLINE_DASH
    else:
        changes["stroke"] = lighten(style.stroke, SCHEMATIC_LIGHTEN / 2)
        changes["stroke_by"] = {k: lighten(v, SCHEMATIC_LIGHTEN / 2) for k, v in style.stroke_by.items()}
    return replace(style, **changes)


@dataclass(frozen=True)
class Provenance:
    """Where a layer comes from and how far it can be trusted (权威 or 示意)."""

    source: str  # dataset and/or plan 专栏 the geometry and attributes come from
    licence: str
    accuracy: str  # "权威" or "示意"
    method: str  # one sentence on how the layer was made
    attribution: str | None = None  # e.g. "© OpenStreetMap contributors", shown wherever drawn


@dataclass(frozen=True)
class LayerSpec:
    """A catalog entry: what a layer is and how it is drawn, without its data.

    ``id`` is a stable ASCII key (saved in projects); ``data`` the data file (EPSG:4549 unless
    the file says otherwise); ``zorder`` the default drawing order (bottom first); ``visible``
    whether it starts shown; ``zhuanlan`` the plan 专栏 it comes from.
    """

    id: str
    title: str
    group: str
    geometry_type: str
    data: Path
    version: str
    provenance: Provenance
    style: Style = field(default_factory=Style)
    source_layer: str | None = None
    zhuanlan: tuple[str, ...] = ()
    zorder: int = 0
    visible: bool = True
    description: str = ""
    dsn: str | None = None  # a PostGIS connection (no password); then ``source_layer`` is the table

    @property
    def schematic(self) -> bool:
        """Whether the layer is a 示意 (schematic) stand-in rather than 权威 data."""
        return self.provenance.accuracy == "示意"

    @cached_property
    def drawn_style(self) -> Style:
        """The style every renderer draws with: the catalog style, or for a 示意 layer its
        schematic treatment (``schematic_style``); a layer replaced by 权威 data gets the plain one.
        """
        return schematic_style(self.style, self.geometry_type) if self.schematic else self.style

    @property
    def display_title(self) -> str:
        """Title with the 示意 mark where the layer is schematic."""
        return f"{self.title}（示意）" if self.schematic else self.title


@dataclass
class MapLayer:
    """A catalog entry with its data loaded: ``gdf`` is a GeoDataFrame in EPSG:4549.

    A database layer too large to load whole is read for the map's view (``by_view``;
    ``postgis.load_postgis_view``): ``gdf`` then holds only the view's features, ``drawing`` the
    geometry the canvas draws (a ``geometry_cache.LayerGeometry``, simplified, with sub-pixel
    features as dots) and ``view_note`` says so in Chinese for the map.
    """

    spec: LayerSpec
    gdf: gpd.GeoDataFrame
    repairs: list[str] = field(default_factory=list)  # Chinese notes on repaired geometry
    by_view: bool = False
    drawing: object = None
    view_note: str = ""

    @property
    def id(self) -> str:
        """The catalog layer id (``spec.id``)."""
        return self.spec.id

    def geometries(self):
        """The features' shapely geometries as a numpy object array, None where a feature has
        none (the interface ``render`` and ``layout`` draw from; see ``feature_layer``).
        """
        return self.gdf.geometry.to_numpy()

    def column(self, name: str) -> list | None:
        """The values of attribute ``name`` per feature (missing ones NaN or None), or None when
        the layer has no such column.
        """
        if name not in self.gdf.columns or name == self.gdf.geometry.name:
            return None
        return self.gdf[name].tolist()


def default_catalog_dir() -> Path:
    """The folder of the default catalog (``layers/`` of the package)."""
    from layers import CATALOG_DIR

    return CATALOG_DIR


def _tuple(value) -> tuple:
    return tuple(value) if isinstance(value, (list, tuple)) else ()


def _style(raw: dict) -> Style:
    raw = dict(raw)
    raw["dash"] = _tuple(raw.get("dash", ()))
    raw["dash_by"] = {str(k): _tuple(v) for k, v in raw.get("dash_by", {}).items()}
    raw["fill_by"] = {str(k): str(v) for k, v in raw.get("fill_by", {}).items()}
    raw["stroke_by"] = {str(k): str(v) for k, v in raw.get("stroke_by", {}).items()}
    try:
        return Style(**raw)
    except TypeError as exc:
        raise CatalogError(f"样式字段无法识别：{exc}") from exc


def parse_layer_toml(path: Path) -> LayerSpec:
    """Read one ``layer.toml``; raise ``CatalogError`` naming the file and what is wrong."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError(f"图层定义 {path} 无法读取：{exc}") from exc
    missing = [k for k in ("id", "title", "group", "geometry_type", "data", "version", "provenance")
               if k not in raw]
    if missing:
        raise CatalogError(f"图层定义 {path} 缺少字段：{'、'.join(missing)}")
    if raw["group"] not in GROUPS:
        raise CatalogError(f"图层定义 {path}：分组“{raw['group']}”不在 {GROUPS} 之中")
    if raw["geometry_type"] not in GEOMETRY_TYPES:
        raise CatalogError(f"图层定义 {path}：几何类型“{raw['geometry_type']}”应为 {GEOMETRY_TYPES} 之一")
    prov = raw["provenance"]
    try:
        provenance = Provenance(**prov)
    except TypeError as exc:
        raise CatalogError(f"图层定义 {path} 的 [provenance] 不完整：{exc}") from exc
    if provenance.accuracy not in ACCURACIES:
        raise CatalogError(f"图层定义 {path}：accuracy 应为“权威”或“示意”，而不是“{provenance.accuracy}”")
    dsn, data = _data_source(path, raw["data"], raw.get("source_layer"))
    return LayerSpec(
        id=raw["id"],
        title=raw["title"],
        group=raw["group"],
        geometry_type=raw["geometry_type"],
        data=data,
        dsn=dsn,
        version=str(raw["version"]),
        provenance=provenance,
        style=_style(raw.get("style", {})),
        source_layer=raw.get("source_layer"),
        zhuanlan=tuple(raw.get("zhuanlan", ())),
        zorder=int(raw.get("zorder", 0)),
        visible=bool(raw.get("visible", True)),
        description=raw.get("description", ""),
    )


def _data_source(path: Path, data: str, table: str | None) -> tuple[str | None, Path]:
    """(dsn, data path) of a ``data`` entry: a file relative to ``path``'s folder or a database.

    A database entry needs ``source_layer`` (the table) and must hold no password.
    """
    from .postgis import has_password, is_postgis_source

    if not is_postgis_source(data):
        return None, (path.parent / data).resolve()
    if has_password(data):
        raise CatalogError(f"{path}：数据库连接 {mask_secrets(data)} 中写有口令。口令不得写入目录文件，"
                           "请改用 service（pg_service.conf）、~/.pgpass 或 PGPASSWORD 环境变量")
    if not table:
        raise CatalogError(f"{path}：数据库图层需要 source_layer（表名，例如 public.stbhhx）")
    return str(data).strip(), Path(table)


def load_catalog(catalog_dir: Path | None = None, user_catalog: Path | None = None) -> list[LayerSpec]:
    """All layer specs, in group order then zorder; a user catalog's overrides applied."""
    catalog_dir = Path(catalog_dir) if catalog_dir else default_catalog_dir()
    specs = [parse_layer_toml(p) for p in sorted(catalog_dir.glob("*/layer.toml"))]
    ids = [s.id for s in specs]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise CatalogError(f"图层编号重复：{'、'.join(duplicated)}")
    if user_catalog:
        specs = apply_user_catalog(specs, Path(user_catalog))
    return sorted(specs, key=lambda s: (GROUPS.index(s.group), s.zorder, s.id))


def override_layer(spec: LayerSpec, path: Path, source_layer: str | None = None,
                   accuracy: str = "权威", source: str | None = None,
                   licence: str = "用户提供", dsn: str | None = None) -> LayerSpec:
    """The same layer (id, style, title) read from another file, e.g. official data, or from
    the table ``source_layer`` of the PostGIS database ``dsn`` (then ``path`` is ignored).
    """
    if dsn:
        where = f"{mask_secrets(dsn)} 的表 {source_layer}"
        provenance = replace(spec.provenance, source=source or f"数据库：{where}", licence=licence,
                             accuracy=accuracy, method=f"由用户指定的数据库表替换默认图层（{where}）",
                             attribution=None)
        return replace(spec, data=Path(source_layer), source_layer=source_layer, dsn=dsn,
                       provenance=provenance, version=f"postgis:{source_layer}")
    path = Path(path).resolve()
    provenance = replace(spec.provenance, source=source or f"用户数据：{path.name}",
                         licence=licence, accuracy=accuracy,
                         method=f"由用户指定的文件 {path.name} 替换默认图层", attribution=None)
    return replace(spec, data=path, source_layer=source_layer, provenance=provenance,
                   version=f"user:{path.name}", dsn=None)


def apply_user_catalog(specs: list[LayerSpec], user_catalog: Path) -> list[LayerSpec]:
    """Apply a ``[postgis]`` table, then ``[layers.<id>]`` tables (data, source_layer, accuracy,
    source, licence).

    ``[postgis]`` (``dsn``, ``schema`` default "public", optional ``layers`` list of ids) points
    layers at the tables named by their ids, as ``publish-layers`` writes them. Relative paths are
    taken from the user catalog's folder. Unknown ids are an error, so a typo never silently
    leaves the default layer in place; so is a password written in the file.
    """
    try:
        raw = tomllib.loads(user_catalog.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError(f"用户图层目录 {user_catalog} 无法读取：{exc}") from exc
    by_id = {s.id: s for s in specs}
    database = raw.get("postgis")
    if database is not None:
        if "dsn" not in database:
            raise CatalogError(f"用户图层目录 {user_catalog}：[postgis] 缺少 dsn（例如 \"PG:service=bureau\"）")
        for layer_id in database.get("layers", list(by_id)):
            if layer_id not in by_id:
                raise CatalogError(f"用户图层目录 {user_catalog}：[postgis] 中没有编号为“{layer_id}”的图层")
            dsn, table = _data_source(user_catalog, database["dsn"], f"{database.get('schema', 'public')}.{layer_id}")
            spec = by_id[layer_id]
            by_id[layer_id] = override_layer(spec, table, str(table), spec.provenance.accuracy,
                                             spec.provenance.source, spec.provenance.licence, dsn=dsn)
    for layer_id, entry in raw.get("layers", {}).items():
        if layer_id not in by_id:
            raise CatalogError(f"用户图层目录 {user_catalog}：没有编号为“{layer_id}”的图层")
        if "data" not in entry:
            raise CatalogError(f"用户图层目录 {user_catalog}：图层“{layer_id}”缺少 data")
        dsn, data = _data_source(user_catalog, entry["data"], entry.get("source_layer"))
        by_id[layer_id] = override_layer(
            by_id[layer_id], data, entry.get("source_layer"),
            entry.get("accuracy", "权威"), entry.get("source"), entry.get("licence", "用户提供"), dsn=dsn)
    return list(by_id.values())


_SECRETS = (re.compile(r"(?i)\b(password|passwd|pwd)\s*=\s*('[^']*'|\"[^\"]*\"|[^\s;,]+)"),
            re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^/\s:@]+:)([^@\s/]+)(@)"))


def mask_secrets(text: str) -> str:
    """``text`` with passwords in DSNs ("password=…") and URLs ("user:…@host") replaced by ***."""
    text = _SECRETS[0].sub(lambda m: f"{m.group(1)}=***", text)
    return _SECRETS[1].sub(lambda m: f"{m.group(1)}***{m.group(3)}", text)


def load_layer(spec: LayerSpec, bbox=None) -> MapLayer:
    """Read the layer's data into EPSG:4549; raise ``CatalogError`` with a Chinese message.

    The data may be a file, a File Geodatabase folder (``.gdb``) or a zipped one (``.gdb.zip``),
    or a PostGIS table (``spec.dsn``); a source without a geometry layer is refused, and passwords
    in messages are masked. With ``bbox`` (minx, miny, maxx, maxy in EPSG:4549) only the features
    meeting it are read: a database layer of a million polygons gives the view's features,
    filtered by the server.
    """
    import geopandas as gpd
    import pyogrio

    if spec.dsn:
        from .postgis import load_postgis_layer

        gdf = load_postgis_layer(spec, bbox)
        return MapLayer(spec, *repair_geometry(gdf, spec.title))
    if not spec.data.exists():
        raise CatalogError(f"图层“{spec.title}”（{spec.id}）的数据文件不存在：{mask_secrets(str(spec.data))}")
    try:
        if spec.source_layer is None and (spec.data.is_dir() or spec.data.name.lower().endswith(".gdb.zip")):
            layers = [str(n) for n, kind in pyogrio.list_layers(spec.data) if kind]
            if len(layers) != 1:
                raise CatalogError(f"图层“{spec.title}”（{spec.id}）的数据 {spec.data.name} 含 {len(layers)} 个图层"
                                   f"（{'、'.join(layers)}），请用 source_layer 或 “路径:图层” 指定一个")
        gdf = gpd.read_file(spec.data, layer=spec.source_layer, bbox=_file_bbox(spec, bbox))
    except CatalogError:
        raise
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise CatalogError(f"图层“{spec.title}”（{spec.id}）的数据文件 {spec.data.name} 无法读取："
                           f"{mask_secrets(str(exc))}") from exc
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        raise CatalogError(f"图层“{spec.title}”（{spec.id}）的数据 {spec.data.name}"
                           f"{'：' + spec.source_layer if spec.source_layer else ''} 没有几何（是纯属性表），不能作为地图图层")
    if gdf.crs is None:
        raise CatalogError(f"图层“{spec.title}”（{spec.id}）的数据文件 {spec.data.name} 没有坐标系定义")
    if gdf.crs.to_string() != WORK_CRS:
        gdf = gdf.to_crs(WORK_CRS)
    return MapLayer(spec, *repair_geometry(gdf, spec.title))


def load_map_layer(spec: LayerSpec) -> MapLayer:
    """``load_layer`` for the map window: a database table too large to load whole
    (``postgis.reads_by_view``) comes back empty and marked ``by_view``, and the window reads it
    for each view (``postgis.load_postgis_view``); every other layer is read whole.
    """
    if spec.dsn:
        from .postgis import empty_view_layer, reads_by_view

        if reads_by_view(spec):
            return empty_view_layer(spec)
    return load_layer(spec)


def _file_bbox(spec: LayerSpec, bbox):
    """``bbox`` (EPSG:4549) as ``read_file`` takes it: in the layer file's CRS, or None."""
    if bbox is None:
        return None
    import pyogrio

    from .crs import transformer

    crs = pyogrio.read_info(spec.data, layer=spec.source_layer)["crs"]
    if crs is None or crs == WORK_CRS:
        return tuple(bbox)
    return transformer(WORK_CRS, crs).transform_bounds(*bbox)


def repair_geometry(gdf: gpd.GeoDataFrame, name: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Repair invalid geometry with ``make_valid`` and say which features were repaired.

    GEOS gives silently wrong overlaps on self-intersecting polygons, and ``buffer(0)`` drops
    lobes, so every reader goes through here before any overlay.
    """
    invalid = ~gdf.geometry.is_valid & gdf.geometry.notna()
    if not invalid.any():
        return gdf, []
    gdf = gdf.copy()
    gdf.loc[invalid, gdf.geometry.name] = gdf.geometry[invalid].make_valid()
    return gdf, [repair_note(name, invalid.to_numpy())]


def repair_note(name: str, invalid) -> str:
    """The Chinese note on the features ``make_valid`` repaired (``invalid``: a boolean array
    over the layer's features), naming the first 20 by their 1-based row.
    """
    rows = ", ".join(str(i + 1) for i in invalid.nonzero()[0][:20])
    return f"{name}：{int(invalid.sum())} 个要素几何无效（第 {rows} 个），已用 make_valid 修复"

