"""The matplotlib renderer: catalog layers onto an ``Axes``, from the catalog ``Style`` only.

Print layouts (``layout.py``) and report map extracts draw with ``draw_layers``; the legend is
built from what it returns (``legend_entries``), so a legend lists only what was drawn, with
the very symbols that were drawn. Widths and sizes in a ``Style`` are points, which matplotlib
also uses, so a 0.8 pt road is 0.8 pt on paper at any page size.

Works on a plain ``matplotlib.figure.Figure`` (Agg); never imports pyplot.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
from matplotlib import patheffects, rcParams
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.path import Path as MplPath
from matplotlib.transforms import Bbox
from shapely import box, get_coordinates, get_parts, get_rings, get_type_id, intersects, is_empty, is_missing

from .catalog import LayerSpec, MapLayer, Style
from .fonts import register_matplotlib_font
from .text import text_em, wrap_text

MARKERS = {"circle": "o", "square": "s", "triangle": "^", "diamond": "D", "star": "*"}
HATCHES = {"diagonal": "//"}  # Style.hatch -> matplotlib hatch (drawn in the edge colour)
HATCH_WIDTH = 0.4  # points
LABEL_WIDTH = 9  # em (Chinese characters) per label line before wrapping
LABEL_GAP_PT = 1.5  # between a point symbol and its label


@dataclass
class DrawnLayer:
    """What ``draw_layers`` drew of one layer: the legend and the source note are built from it."""

    spec: LayerSpec
    count: int  # features inside the extent
    variants: list[str] = field(default_factory=list)  # status values drawn (dash_by/fill_by)
    scale: float = 1.0  # symbol scale it was drawn with


# --- symbols ---------------------------------------------------------------------------------

def _linestyle(dash: tuple[float, ...], width: float):
    """A matplotlib dash style whose lengths are ``dash`` points on paper.

    matplotlib multiplies dash lengths by the line width (``lines.scale_dashes``); the catalog
    gives absolute points, as the Qt canvas draws them.
    """
    if not dash:
        return "solid"
    factor = width if rcParams["lines.scale_dashes"] and width > 0 else 1.0
    return (0, tuple(d / factor for d in dash))


def _symbol(style: Style, value=None, dash_value=None, scale: float = 1.0) -> dict:
    """Colours, width and dash of one feature class.

    ``value`` is the feature's value of the legend field (``Style.class_field``);
    ``dash_value`` its ``dash_field`` value where a style uses both fields. ``scale``
    enlarges widths, dashes and markers (wall maps).
    """
    fill = style.fill_for(value) if value is not None else style.fill
    stroke = style.stroke_for(value) if value is not None else style.stroke
    dash_key = dash_value if dash_value is not None else value
    dash = style.dash_for(dash_key) if dash_key is not None else style.dash
    return {"fill": fill, "stroke": stroke, "width": style.stroke_width * scale,
            "dash": tuple(d * scale for d in dash), "alpha": style.opacity,
            "marker_size": style.marker_size * scale, "hatch": HATCHES.get(style.hatch)}


def legend_handle(spec: LayerSpec, value=None, scale: float = 1.0):
    """A legend handle drawn with the same symbol as the layer (or one status variant)."""
    s = _symbol(spec.drawn_style, value, scale=scale)
    if spec.geometry_type == "Point":
        return Line2D([], [], linestyle="none", marker=MARKERS.get(spec.drawn_style.marker, "o"),
                      markersize=s["marker_size"], markerfacecolor=s["fill"] or s["stroke"],
                      markeredgecolor=s["stroke"], markeredgewidth=s["width"], alpha=s["alpha"])
    if spec.geometry_type == "LineString":
        return Line2D([], [], color=s["stroke"], linewidth=s["width"],
                      linestyle=_linestyle(s["dash"], s["width"]), alpha=s["alpha"])
    return Patch(facecolor=s["fill"] or "none", edgecolor=s["stroke"], linewidth=s["width"],
                 linestyle=_linestyle(s["dash"], s["width"]), alpha=s["alpha"], hatch=s["hatch"])


@dataclass(frozen=True)
class LegendEntry:
    """One legend line: a layer's title, or one of its classes (``value``), with the symbol drawn."""

    layer_id: str
    label: str
    handle: object  # None for the heading line of a layer drawn by status
    value: str | None = None  # the status value this entry stands for


def legend_entries(drawn: list[DrawnLayer]) -> list[LegendEntry]:
    """Legend lines for the drawn layers, bottom layer last (as the eye reads a map).

    A layer drawn by status gets a heading (its title) and one line per drawn status value.
    """
    entries = []
    for d in reversed(drawn):
        if d.variants:
            entries.append(LegendEntry(d.spec.id, d.spec.display_title, None))
            entries.extend(LegendEntry(d.spec.id, value, legend_handle(d.spec, value, d.scale), value)
                           for value in d.variants)
        else:
            entries.append(LegendEntry(d.spec.id, d.spec.display_title, legend_handle(d.spec, scale=d.scale)))
    return entries


# --- geometry to matplotlib ------------------------------------------------------------------

def polygon_parts(geom) -> np.ndarray:
    """The non-empty Polygons of ``geom`` (collections and Multi* types opened, any depth)."""
    parts = get_parts(geom)
    nested = np.isin(get_type_id(parts), (4, 5, 6, 7))  # Multi* and GeometryCollection
    while nested.any():
        parts = np.concatenate([parts[~nested], get_parts(parts[nested])])
        nested = np.isin(get_type_id(parts), (4, 5, 6, 7))
    return parts[(get_type_id(parts) == 3) & ~is_empty(parts)]


def polygon_path(geom) -> MplPath:
    """One compound path (holes included) for the polygons of ``geom``; other parts are left out.

    The rings come from ``shapely.get_rings`` (exterior first, then the holes) and their
    coordinates in one ``get_coordinates`` call; an empty path when nothing is polygonal.
    """
    xy, ring_index = get_coordinates(get_rings(polygon_parts(geom)), return_index=True)
    if not len(xy):
        return MplPath(np.empty((0, 2)))
    codes = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
    starts = np.flatnonzero(np.r_[True, np.diff(ring_index) != 0])
    codes[starts] = MplPath.MOVETO
    codes[np.r_[starts[1:] - 1, len(xy) - 1]] = MplPath.CLOSEPOLY
    return MplPath(xy, codes)


def _line_segments(geom) -> list[np.ndarray]:
    parts = []
    for part in get_parts(geom):
        if part.geom_type == "LineString":
            parts.append(np.asarray(part.coords)[:, :2])
        elif part.geom_type == "Polygon":  # a polygon in a line layer: draw its outline
            parts.extend(get_coordinates(ring) for ring in get_rings(part))
    return parts


def _draw_group(ax, spec: LayerSpec, geoms, symbol: dict, zorder: float) -> None:
    if spec.geometry_type == "Point":
        xy = np.array([(p.x, p.y) for g in geoms for p in get_parts(g) if p.geom_type == "Point"])
        if len(xy):
            ax.scatter(xy[:, 0], xy[:, 1], s=symbol["marker_size"] ** 2,
                       marker=MARKERS.get(spec.drawn_style.marker, "o"),
                       facecolors=symbol["fill"] or symbol["stroke"], edgecolors=symbol["stroke"],
                       linewidths=symbol["width"], alpha=symbol["alpha"], zorder=zorder)
    elif spec.geometry_type == "LineString":
        segments = [s for g in geoms for s in _line_segments(g)]
        ax.add_collection(LineCollection(
            segments, colors=symbol["stroke"], linewidths=symbol["width"],
            linestyles=_linestyle(symbol["dash"], symbol["width"]), alpha=symbol["alpha"],
            zorder=zorder, capstyle="round", joinstyle="round"), autolim=False)
    else:
        ax.add_collection(PathCollection(
            [polygon_path(g) for g in geoms], facecolors=symbol["fill"] or "none",
            edgecolors=symbol["stroke"], linewidths=symbol["width"],
            linestyles=_linestyle(symbol["dash"], symbol["width"]), alpha=symbol["alpha"],
            hatch=symbol["hatch"], hatch_linewidth=HATCH_WIDTH, zorder=zorder), autolim=False)


def _variant_order(style: Style, present: set[str]) -> list[str]:
    declared = style.class_order
    return [v for v in declared if v in present] + sorted(present - set(declared))


# --- labels ----------------------------------------------------------------------------------

def fit_label(text: str, width: float = LABEL_WIDTH, drop_brackets: bool = True) -> str:
    """Wrap a long name onto lines ``width`` em wide (``text.wrap_text``: a Chinese character
    is 1 em); never cut it.

    On the map a parenthetical part （…） is dropped first, since it is the least needed part
    of a name; legends keep it (it carries 专栏 and the 示意 mark).
    """
    text = str(text).strip()
    if drop_brackets and text_em(text) > width:
        text = re.sub(r"（[^）]*）|\([^)]*\)", "", text).strip() or text
    return "\n".join(wrap_text(text, width))


@dataclass
class _Label:
    x: float
    y: float
    text: str
    style: Style
    priority: float  # larger first
    is_point: bool
    scale: float = 1.0
    marker_pt: float = 0.0  # the point symbol's size (its label keeps clear of it)
    along: tuple = ()  # further anchors (x, y) to try, for lines and areas


_GEOMETRY_RANK = {"Point": 3, "Polygon": 2, "LineString": 1}


def _label_priority(spec: LayerSpec, geom) -> float:
    """Points (seats, stations) first, then areas, then lines; within a kind the upper layer,
    then the bigger feature.
    """
    return (_GEOMETRY_RANK.get(spec.geometry_type, 0) * 1e15 + spec.zorder * 1e12
            + min(geom.area + geom.length, 1e11))


def _label_anchors(geom) -> list:
    """Where a label may go: the point; the middle of a line's longest part, then its thirds;
    an area's representative point, then its centroid where that lies inside.
    """
    if geom.geom_type in ("Point", "MultiPoint"):
        return [geom.centroid if geom.geom_type == "MultiPoint" else geom]
    if geom.geom_type in ("LineString", "MultiLineString"):
        longest = max(get_parts(geom), key=lambda g: g.length)
        return [longest.interpolate(f, normalized=True) for f in (0.5, 0.35, 0.65, 0.2, 0.8)]
    anchors = [geom.representative_point()]
    centroid = geom.centroid
    if geom.contains(centroid):
        anchors.append(centroid)
    return anchors


def _overlaps(bbox, placed) -> bool:
    return any(bbox.overlaps(other) for other in placed)


# Candidate offsets of a point label (dx, dy in units of the gap, ha, va): right, left, above,
# below, then the four diagonals — the usual cartographic order of preference.
_POINT_POSITIONS = [(1, 0, "left", "center"), (-1, 0, "right", "center"), (0, 1, "center", "bottom"),
                    (0, -1, "center", "top"), (1, 1, "left", "bottom"), (-1, 1, "right", "bottom"),
                    (1, -1, "left", "top"), (-1, -1, "right", "top")]


def place_labels(ax, labels: list[_Label], avoid=(), obstacles=(), numbered: list | None = None) -> list:
    """Draw labels in priority order, each at the first candidate position whose box overlaps
    no label placed before, no map furniture and no point symbol (a greedy candidate-position
    placer). A point or area label with no free position is replaced, where ``numbered`` is a
    list, by a number at the first free position and "n 名称" is appended to ``numbered`` (for
    a note on the page); otherwise it is left out.

    Points try eight positions around the symbol; lines try positions along the line, areas
    their representative point and centroid. ``avoid`` holds (x0, y0, x1, y1) boxes in axes
    fractions kept free (north arrow, scale bar, stamp); ``obstacles`` display-pixel ``Bbox``es
    (point symbols). Returns the placed Text artists.
    """
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    blocked = [Bbox(ax.transAxes.transform([(x0, y0), (x1, y1)])) for x0, y0, x1, y1 in avoid]
    blocked += list(obstacles)
    placed, names = [], set()
    halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    for lab in sorted(labels, key=lambda item: -item.priority):
        if lab.text in names:  # a seat and its township share a name: print it once
            continue
        if lab.is_point:
            gap = (lab.marker_pt / 2 + LABEL_GAP_PT) * lab.scale
            candidates = [(lab.x, lab.y, dx * gap, dy * gap, ha, va) for dx, dy, ha, va in _POINT_POSITIONS]
        else:
            candidates = [(x, y, 0, 0, "center", "center") for x, y in ((lab.x, lab.y), *lab.along)]
        text = ax.annotate(lab.text, (lab.x, lab.y), xytext=(0, 0), textcoords="offset points",
                           fontsize=lab.style.label_size * lab.scale, color=lab.style.label_color,
                           path_effects=halo, zorder=1000, annotation_clip=False, linespacing=1.0)
        tries = [lab.text]
        if numbered is not None and (lab.is_point or not lab.along):
            tries.append(str(len(numbered) + 1))
        for label_text in tries:
            text.set_text(label_text)
            if _first_free(text, candidates, frame, blocked, renderer):
                placed.append(text)
                names.add(lab.text)
                if label_text != lab.text:
                    numbered.append(f"{label_text} {lab.text.replace(chr(10), '')}")
                break
        else:
            text.remove()
    return placed


def _first_free(text, candidates, frame, blocked, renderer) -> bool:
    """Move ``text`` to the first candidate position inside the frame and clear of ``blocked``;
    block its box and say whether one was found.
    """
    for x, y, dx, dy, ha, va in candidates:
        text.xy = (x, y)
        text.set_position((dx, dy))
        text.set_ha(ha)
        text.set_va(va)
        bbox = text.get_window_extent(renderer)
        inside = (bbox.x0 >= frame.x0 and bbox.x1 <= frame.x1
                  and bbox.y0 >= frame.y0 and bbox.y1 <= frame.y1)
        if inside and not _overlaps(bbox, blocked):
            blocked.append(bbox.expanded(1.05, 1.1))
            return True
    return False


def _symbol_boxes(ax, layers_points: list[tuple[np.ndarray, float]]) -> list:
    """Display-pixel boxes of the point symbols drawn (xy array in map units, size in points)."""
    boxes = []
    px_per_pt = ax.figure.dpi / 72
    for xy, size_pt in layers_points:
        if not len(xy):
            continue
        half = size_pt / 2 * px_per_pt
        for x, y in ax.transData.transform(xy):
            boxes.append(Bbox([[x - half, y - half], [x + half, y + half]]))
    return boxes


# --- the renderer ----------------------------------------------------------------------------

def is_missing_value(value) -> bool:
    """Whether an attribute value is missing: None (a GeoJSON null) or NaN (pandas)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def _texts(values: list, rows: np.ndarray) -> np.ndarray:
    """The values of ``rows`` as text (a style's class keys are text); a missing value is ""."""
    return np.array(["" if is_missing_value(values[i]) else str(values[i]) for i in rows], dtype=object)


def draw_layers(ax, layers: list[MapLayer], extent: tuple[float, float, float, float],
                labels: bool = True, avoid=(), scale: float = 1.0,
                numbered: list | None = None) -> list[DrawnLayer]:
    """Draw ``layers`` (bottom first) onto ``ax`` in EPSG:4549 and set its limits to ``extent``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Target axes on a ``Figure`` with an Agg canvas (labels need its renderer).
    layers : list of MapLayer or feature_layer.FeatureLayer
        Drawn in the given order (their ``geometries()`` and ``column(name)``; a missing class
        value is the class ""); each layer's ``spec.drawn_style`` (the catalog style, with the
        schematic treatment for 示意 layers) is the only source of symbols.
    extent : (minx, miny, maxx, maxy)
        Map extent in EPSG:4549 metres; features outside it are not drawn or counted.
    labels : bool
        Place the layers' ``label_field`` labels, without collisions.
    avoid : sequence of (x0, y0, x1, y1)
        Boxes in axes fractions where no label goes (map furniture drawn on top).
    scale : float
        Multiplies line widths, dashes, markers and label sizes (wall maps on A1/A0).
    numbered : list, optional
        Receives "n 名称" for each point or area whose name had no room and is shown by its
        number n instead (see ``place_labels``).

    Returns
    -------
    list of DrawnLayer
        The layers that have at least one feature in the extent, in drawing order, with the
        status variants drawn; pass it to ``legend_entries``.
    """
    register_matplotlib_font()  # labels are Chinese
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    window = box(*extent)
    drawn, candidates, symbols = [], [], []
    for order, layer in enumerate(layers):
        spec, all_geoms = layer.spec, layer.geometries()
        keep = np.flatnonzero(~is_missing(all_geoms) & ~is_empty(all_geoms) & intersects(all_geoms, window))
        if not len(keep):
            continue
        geoms = all_geoms[keep]
        zorder = 10 + order
        style = spec.drawn_style
        field_name = style.class_field
        classes = layer.column(field_name) if field_name else None
        if classes is not None:
            values = _texts(classes, keep)
            dash_field = style.dash_field
            dash_column = layer.column(dash_field) if dash_field and dash_field != field_name else None
            both = dash_column is not None
            dashes = _texts(dash_column, keep) if both else values
            for value, dash_value in sorted(set(zip(values, dashes))):
                group = (values == value) & (dashes == dash_value)
                _draw_group(ax, spec, geoms[group], _symbol(style, value, dash_value if both else None, scale),
                            zorder)
            drawn.append(DrawnLayer(spec, len(keep), _variant_order(style, set(values)), scale))
        else:
            _draw_group(ax, spec, geoms, _symbol(style, scale=scale), zorder)
            drawn.append(DrawnLayer(spec, len(keep), scale=scale))
        is_point = spec.geometry_type == "Point"
        if is_point:
            xy = np.array([(p.x, p.y) for g in geoms for p in get_parts(g) if p.geom_type == "Point"])
            symbols.append((xy, style.marker_size * scale))
        label_field = spec.style.label_field
        names = layer.column(label_field) if labels and label_field else None
        if names is not None:
            for geom, name in zip(geoms, (names[i] for i in keep)):
                if is_missing_value(name) or not str(name).strip():
                    continue
                anchors = _label_anchors(geom.intersection(window) if not geom.within(window) else geom)
                anchors = [a for a in anchors if not a.is_empty]
                if not anchors:
                    continue
                candidates.append(_Label(anchors[0].x, anchors[0].y, fit_label(name), spec.style,
                                         _label_priority(spec, geom), is_point, scale,
                                         style.marker_size if is_point else 0.0,
                                         tuple((a.x, a.y) for a in anchors[1:])))
    if candidates:
        place_labels(ax, candidates, avoid, _symbol_boxes(ax, symbols), numbered)
    return drawn
