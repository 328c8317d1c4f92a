"""A shareable web map (folium/Leaflet, one HTML file) that works with no network.

Every layer is a toggleable overlay styled from the catalog ``Style`` (the same colours as the
canvas and the printed map), with a tooltip (its label) and a popup listing its attributes and
provenance. Candidate parcels are coloured by check status with their findings in the popup.

Offline: folium links Leaflet from a CDN; here Leaflet's own release files (1.9.4, BSD-2-Clause,
kept in ``resources/leaflet`` with their licence and checksums) are inlined into the page.
Every attribute text is HTML-escaped before it reaches the page, so an attribute holding
``<script>`` shows as text and never runs. folium is imported inside functions (an optional,
heavy dependency, as in geopandas' ``explore``).
"""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path

import numpy as np

from .catalog import LayerSpec, MapLayer
from .crs import WGS84_CRS
from .field_labels import field_label
from .parcel_layer import PARCEL_LAYER_ID

SIMPLIFY_M = 5.0  # web map geometry is simplified to 5 m: smaller file, invisible at zoom 16
COORD_DIGITS = 6  # ~0.1 m in lon/lat
POPUP_ROWS = 30
PX_PER_PT = 96 / 72  # catalog widths and dashes are points; Leaflet takes CSS pixels
OSM_TILES = "OpenStreetMap"
WEB_FONT = "Suichang CJK"

LEAFLET_VERSION = "1.9.4"  # of the release files in resources/leaflet (see its README.md)
# Leaflet sets its own markers/controls images with relative urls; inlined as data URIs.
_LEAFLET_IMAGES = ("layers.png", "layers-2x.png", "marker-icon.png", "marker-icon-2x.png",
                   "marker-shadow.png")


class WebMapError(ValueError):
    """A web map that cannot be written; the message is Chinese."""


def leaflet_assets() -> tuple[str, str]:
    """Leaflet's JS and CSS, its images inlined as data URIs, from ``resources/leaflet``."""
    from resources import RESOURCES_DIR

    root = RESOURCES_DIR / "leaflet"
    js = (root / "leaflet.js").read_text(encoding="utf-8")
    js = js.replace("//# sourceMappingURL=leaflet.js.map", "")  # the map file is not shipped inline
    css = (root / "leaflet.css").read_text(encoding="utf-8")
    for name in _LEAFLET_IMAGES:
        data = base64.b64encode((root / "images" / name).read_bytes()).decode("ascii")
        css = css.replace(f"url(images/{name})", f"url(data:image/png;base64,{data})")
    return js, css


def cjk_font_css(text: str) -> str:
    """An @font-face with the CJK font (from mplfonts) cut down to the characters of ``text``.

    The page then shows Chinese on machines without a Chinese font, at the cost of the used
    glyphs only (a few hundred kB rather than the 16 MB font).
    """
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    from .fonts import cjk_font_path

    options = subset.Options()
    options.layout_features = []
    options.name_IDs = []
    options.hinting = False
    buffer = io.BytesIO()
    with TTFont(str(cjk_font_path()), lazy=True) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(text="".join(sorted(set(text))) + "0123456789 ")
        subsetter.subset(font)
        font.save(buffer)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f"@font-face{{font-family:'{WEB_FONT}';src:url(data:font/otf;base64,{data}) format('opentype');}}"
            f".leaflet-container,.sc-legend,.sc-title{{font-family:'{WEB_FONT}',sans-serif}}")


# --- feature properties ----------------------------------------------------------------------

def _present(value) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    return str(value).strip() != ""


def _format(value) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


def popup_html(spec: LayerSpec, row: dict) -> str:
    """An escaped HTML table: the feature's attributes under their Chinese labels, then the
    layer's provenance.
    """
    esc = html.escape
    parcel = spec.id == PARCEL_LAYER_ID
    cells = [f"<tr><th>{esc(field_label(k, parcel))}</th><td>{esc(_format(v)).replace(chr(10), '<br>')}</td></tr>"
             for k, v in list(row.items())[:POPUP_ROWS] if _present(v)]
    prov = spec.provenance
    accuracy = f"<b style='color:#c0392b'>{esc(prov.accuracy)}</b>" if spec.schematic else esc(prov.accuracy)
    return (f"<div class='sc-popup'><h4>{esc(spec.display_title)}</h4>"
            f"<table>{''.join(cells)}</table>"
            f"<p class='sc-prov'>来源：{esc(prov.source)}<br>精度：{accuracy}　许可：{esc(prov.licence)}"
            f"<br>版本：{esc(spec.version)}</p></div>")


def _symbol(spec: LayerSpec, value) -> dict:
    """Leaflet path options from the drawn style (a 示意 layer's schematic treatment: lighter,
    dashed outline; Leaflet has no hatching, so areas get a lighter fill instead).
    """
    style = spec.drawn_style
    fill = style.fill_for(value)
    dash = style.dash_for(value)
    return {"color": style.stroke_for(value), "weight": style.stroke_width * PX_PER_PT,
            "opacity": style.opacity, "fillColor": fill or style.stroke,
            "fillOpacity": (0.55 * style.opacity if fill else 0.0) if spec.geometry_type != "Point"
            else style.opacity,
            "dashArray": " ".join(f"{d * PX_PER_PT:.3g}" for d in dash) if dash else None}


def layer_geojson(layer: MapLayer) -> dict:
    """The layer in lon/lat with only escaped, computed properties (popup, tooltip, symbol)."""
    spec, gdf = layer.spec, layer.gdf
    keep = gdf.geometry.notna() & ~gdf.geometry.is_empty
    gdf = gdf[keep]
    geoms = gdf.geometry.simplify(SIMPLIFY_M, preserve_topology=True).to_crs(WGS84_CRS)
    from shapely import set_precision

    geoms = set_precision(geoms.values, 10 ** -COORD_DIGITS)
    variant_field = spec.drawn_style.class_field
    attrs = gdf.drop(columns=gdf.geometry.name)
    features = []
    for geom, (_, row) in zip(geoms, attrs.iterrows()):
        if geom is None or geom.is_empty:
            continue
        values = row.to_dict()
        label = values.get(spec.style.label_field) if spec.style.label_field else None
        variant = values.get(variant_field) if variant_field else None
        features.append({
            "type": "Feature", "geometry": geom.__geo_interface__,
            "properties": {"_popup": popup_html(spec, values),
                           "_tip": html.escape(str(label)) if _present(label) else html.escape(spec.title),
                           "_sym": _symbol(spec, None if variant is None else str(variant))}})
    return {"type": "FeatureCollection", "features": features}


# --- legend ----------------------------------------------------------------------------------

def _swatch(spec: LayerSpec, value=None) -> str:
    sym = _symbol(spec, value)
    dash = f"stroke-dasharray='{sym['dashArray']}'" if sym["dashArray"] else ""
    if spec.geometry_type == "Point":
        shape = (f"<circle cx='14' cy='7' r='4.5' fill='{sym['fillColor']}' stroke='{sym['color']}' "
                 f"stroke-width='1.2'/>")
    elif spec.geometry_type == "LineString":
        shape = (f"<line x1='1' y1='7' x2='27' y2='7' stroke='{sym['color']}' "
                 f"stroke-width='{max(sym['weight'], 1):.1f}' {dash}/>")
    else:
        fill = sym["fillColor"] if sym["fillOpacity"] else "none"
        shape = (f"<rect x='1' y='1' width='26' height='12' fill='{fill}' fill-opacity='{sym['fillOpacity']:.2f}' "
                 f"stroke='{sym['color']}' stroke-width='1.2' {dash}/>")
    return f"<svg width='28' height='14'>{shape}</svg>"


def legend_html(layers: list[MapLayer]) -> str:
    """Legend with the same symbols; status lines for layers styled by a status field."""
    esc = html.escape
    rows = []
    for layer in reversed(layers):
        spec = layer.spec
        field = spec.style.class_field
        present = (sorted(set(layer.gdf[field].dropna().astype(str)))
                   if field and field in layer.gdf.columns else [])
        if present:
            declared = spec.style.class_order
            ordered = [v for v in declared if v in present] + [v for v in present if v not in declared]
            rows.append(f"<div class='sc-lh'>{esc(spec.display_title)}</div>")
            rows.extend(f"<div class='sc-li sc-sub'>{_swatch(spec, v)}<span>{esc(v)}</span></div>"
                        for v in ordered)
        else:
            rows.append(f"<div class='sc-li'>{_swatch(spec)}<span>{esc(spec.display_title)}</span></div>")
    schematic = [layer.spec.title for layer in layers if layer.spec.schematic]
    note = (f"<div class='sc-note'>注：{esc('、'.join(schematic))}为示意数据，位置与范围仅供参考。</div>"
            if schematic else "")
    attributions = sorted({layer.spec.provenance.attribution for layer in layers
                           if layer.spec.provenance.attribution})
    credit = "".join(f"<div class='sc-credit'>{esc(a)}</div>" for a in attributions)
    return (f"<div id='sc-legend' class='sc-legend'><div class='sc-lt'>图例</div>{''.join(rows)}"
            f"{note}{credit}</div>")


_PAGE_CSS = """
.sc-legend{position:fixed;bottom:28px;right:10px;z-index:1000;background:rgba(255,255,255,.93);
  padding:8px 10px;border:1px solid #888;border-radius:4px;max-height:45vh;overflow:auto;
  font-size:12px;line-height:1.35;max-width:300px}
.sc-lt{font-weight:bold;text-align:center;margin-bottom:4px}
.sc-lh{font-weight:bold;margin-top:4px}
.sc-li{display:flex;align-items:center;gap:6px}
.sc-sub{padding-left:12px}
.sc-note{color:#a93226;margin-top:6px;font-size:11px}
.sc-credit{color:#555;font-size:10px;margin-top:2px}
.sc-popup h4{margin:0 0 4px 0;font-size:13px}
.sc-popup table{border-collapse:collapse;font-size:12px}
.sc-popup th{text-align:left;padding:1px 6px 1px 0;color:#555;font-weight:normal;white-space:nowrap}
.sc-popup td{padding:1px 0}
.sc-prov{color:#555;font-size:11px;margin:6px 0 0 0}
.sc-title{position:fixed;top:10px;left:60px;z-index:1000;background:rgba(255,255,255,.9);
  padding:4px 10px;border:1px solid #888;border-radius:4px;font-size:16px}
"""

_ON_EACH_FEATURE = """
function(feature, layer) {
    layer.bindPopup(feature.properties._popup, {maxWidth: 420, maxHeight: 360});
    layer.bindTooltip(feature.properties._tip, {sticky: true});
}
"""


# --- the map ---------------------------------------------------------------------------------

def build_webmap(layers: list[MapLayer], title: str = "遂昌县“十四五”规划一张图",
                 tiles: str | None = None):
    """A ``folium.Map`` with one toggleable overlay per layer (bottom first), legend and scale.

    Parameters
    ----------
    layers : list of MapLayer
        Catalog layers (and e.g. the parcel layer from ``parcel_layer``), drawn in this order;
        a layer whose spec says ``visible = false`` starts switched off.
    title : str
        Page title, shown top-left.
    tiles : None or "OpenStreetMap"
        Optional basemap (needs a network); the overlays work without it.
    """
    import folium
    from folium.utilities import JsCode

    drawable = [layer for layer in layers if layer.gdf.geometry.notna().any()]
    if not drawable:
        raise WebMapError("没有可绘制的图层要素")
    # Open on the county (or on what is switched on), not on the hidden regional layers.
    focus = ([layer for layer in drawable if layer.id == "county_boundary"]
             or [layer for layer in drawable if layer.spec.visible] or drawable)
    bounds = _lonlat_bounds(focus)
    fmap = folium.Map(location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2],
                      zoom_start=10, tiles=None, control_scale=True, prefer_canvas=False)
    # Leaflet inlined instead of CDN links (see module docstring); nothing else is needed.
    fmap.default_js = []
    fmap.default_css = []
    js, css = leaflet_assets()
    root = fmap.get_root()
    root.header.add_child(folium.Element(f"<style>{css}</style>"), name="leaflet_css")
    root.header.add_child(folium.Element(f"<script>{js}</script>"), name="leaflet_js")
    root.header.add_child(folium.Element(f"<style>{_PAGE_CSS}</style>"), name="suichang_css")
    root.title = title
    if tiles == OSM_TILES:
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap 底图（需联网）",
                         attr="© OpenStreetMap contributors").add_to(fmap)
    elif tiles:
        raise WebMapError(f"不支持的底图“{tiles}”：可用 {OSM_TILES}")
    legend = legend_html(drawable)
    texts = [title, legend]
    for layer in drawable:
        spec = layer.spec
        data = layer_geojson(layer)
        texts.append(spec.display_title)
        texts.extend(f["properties"]["_popup"] + f["properties"]["_tip"] for f in data["features"])
        # Leaflet shows a layer's attribution (OSM's licence duty) in the map corner while it is on.
        credit = {"attribution": html.escape(spec.provenance.attribution)} if spec.provenance.attribution else {}
        group = folium.FeatureGroup(name=html.escape(spec.display_title), show=spec.visible)
        folium.GeoJson(
            data, name=spec.id,
            style_function=lambda feature: {k: v for k, v in feature["properties"]["_sym"].items()
                                            if v is not None},
            marker=folium.CircleMarker(radius=(layer.spec.style.marker_size or 6) * 0.75)
            if spec.geometry_type == "Point" else None,
            on_each_feature=JsCode(_ON_EACH_FEATURE), control=False, **credit,
        ).add_to(group)
        group.add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    root.html.add_child(folium.Element(f"<div class='sc-title'>{html.escape(title)}</div>"))
    root.html.add_child(folium.Element(legend))
    root.header.add_child(folium.Element(f"<style>{cjk_font_css(''.join(texts))}</style>"),
                          name="suichang_font")
    fmap.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    return fmap


def _lonlat_bounds(layers: list[MapLayer]) -> tuple[float, float, float, float]:
    boxes = [layer.gdf.to_crs(WGS84_CRS).total_bounds for layer in layers]
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def write_webmap(out: Path, layers: list[MapLayer] | None = None, extra_layers: list[MapLayer] | None = None,
                 title: str = "遂昌县“十四五”规划一张图", tiles: str | None = None,
                 user_catalog: Path | None = None, model=None) -> Path:
    """Write the web map of ``layers`` (default: every catalog layer) plus ``extra_layers``.

    A ``map_model.MapModel`` as ``model`` gives the layers instead: in its order, with its
    opacity and style, each switched on where the model shows it.
    """
    from .catalog import load_catalog, load_layer

    out = Path(out)
    if not out.parent.exists():
        raise WebMapError(f"无法写入 {out}：文件夹 {out.parent} 不存在")
    if model is not None:
        layers = model.drawn_layers(visible_only=False)
    elif layers is None:
        specs = sorted(load_catalog(user_catalog=user_catalog), key=lambda s: s.zorder)
        layers = [load_layer(spec) for spec in specs]
    fmap = build_webmap([*layers, *(extra_layers or [])], title=title, tiles=tiles)
    out.write_text(fmap.get_root().render(), encoding="utf-8")
    return out
