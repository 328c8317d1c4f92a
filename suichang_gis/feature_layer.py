"""Catalog layers read straight from GeoJSON into shapely arrays: printing without pandas.

``suichang-gis print`` draws a page from the catalog, whose default layers are small GeoJSON
files in EPSG:4549. ``load_layer`` reads them through pyogrio into GeoDataFrames, which imports
pyogrio, pandas, pyarrow and geopandas (about half a second of CPU at every start of the
command) for a few hundred features. A page needs only each feature's geometry and a few
attributes, so here a GeoJSON file in EPSG:4549 is read with ``json`` and shapely into a
``FeatureLayer``, which offers what ``render`` and ``layout`` draw from (``geometries()``,
``column(name)``) as ``MapLayer`` does. Any other source (another CRS, a GeoPackage, a
database) goes through ``load_layer``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson
import shapely
from shapely.errors import GEOSException

from .catalog import LayerSpec, MapLayer, load_layer, repair_note

GEOJSON_SUFFIXES = (".geojson", ".json")
# How GDAL writes EPSG:4549 into a GeoJSON "crs" member (the catalog's files), and the short form.
WORK_CRS_NAMES = ("urn:ogc:def:crs:EPSG::4549", "EPSG:4549")


@dataclass
class FeatureLayer:
    """A catalog layer's features as arrays, in file order: shapely geometry in EPSG:4549 (None
    where a feature has none; invalid ones repaired with ``make_valid``, told in ``repairs``)
    and each property as a list (None where a feature lacks it).
    """

    spec: LayerSpec
    geometry: np.ndarray
    properties: dict[str, list]
    repairs: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        """The catalog layer id (``spec.id``)."""
        return self.spec.id

    def geometries(self) -> np.ndarray:
        """The features' geometries (``MapLayer.geometries``)."""
        return self.geometry

    def column(self, name: str) -> list | None:
        """The values of property ``name`` per feature, or None when no feature has it."""
        return self.properties.get(name)


def read_geojson_4549(path: Path) -> tuple[np.ndarray, dict[str, list]] | None:
    """(geometry per feature, property columns) of a GeoJSON FeatureCollection that declares
    EPSG:4549, as GDAL reads it: None for a feature with ``"geometry": null``; the properties of
    all features make the columns, in the order first seen, None where a feature lacks one.

    Returns None when the file declares another CRS (or none) or is no FeatureCollection.
    Raises OSError for a file that cannot be read, ValueError for broken JSON and
    shapely's GEOSException for a geometry GEOS cannot read.
    """
    data = Path(path).read_bytes()
    try:
        collection = orjson.loads(data)
    except orjson.JSONDecodeError:  # NaN literals and the like: the standard parser accepts them
        collection = json.loads(data.decode("utf-8"))
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        return None
    crs = ((collection.get("crs") or {}).get("properties") or {}).get("name")
    features = collection.get("features")
    if crs not in WORK_CRS_NAMES or not isinstance(features, list):
        return None
    drawn = [k for k, f in enumerate(features) if f.get("geometry")]
    geometry = np.full(len(features), None, dtype=object)
    if drawn:
        geometry[drawn] = shapely.from_geojson([orjson.dumps(features[k]["geometry"]) for k in drawn])
    names = dict.fromkeys(name for f in features for name in (f.get("properties") or {}))
    properties = {name: [(f.get("properties") or {}).get(name) for f in features] for name in names}
    return geometry, properties


def read_geojson_layer(spec: LayerSpec) -> FeatureLayer | None:
    """The layer read from its GeoJSON file (``read_geojson_4549``), or None when it is not a
    GeoJSON file in EPSG:4549 or cannot be read here (``load_layer`` then reads it, or words the
    error). Invalid geometries are repaired with ``make_valid`` and told in ``repairs``.
    """
    if spec.dsn or spec.source_layer or spec.data.suffix.lower() not in GEOJSON_SUFFIXES:
        return None
    try:
        read = read_geojson_4549(spec.data)
    except (OSError, ValueError, AttributeError, GEOSException):
        return None
    if read is None:
        return None
    geometry, properties = read
    invalid = ~shapely.is_valid(geometry) & ~shapely.is_missing(geometry)
    repairs = []
    if invalid.any():
        geometry[invalid] = shapely.make_valid(geometry[invalid])
        repairs.append(repair_note(spec.title, invalid))
    return FeatureLayer(spec, geometry, properties, repairs)


def load_print_layer(spec: LayerSpec) -> FeatureLayer | MapLayer:
    """The layer for a printed page: ``read_geojson_layer`` where it can, else ``load_layer``
    (which raises ``CatalogError`` for a source it cannot read).
    """
    return read_geojson_layer(spec) or load_layer(spec)
