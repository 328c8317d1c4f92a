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

import numpy as np
import shapely
from shapely.errors import GeometryTypeError, GEOSException
from shapely.geometry import shape

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


def read_geojson_layer(spec: LayerSpec) -> FeatureLayer | None:
    """The layer read from its GeoJSON file, or None when it is not a GeoJSON file in EPSG:4549
    or cannot be read here (``load_layer`` then reads it, or words the error).

    As GDAL reads GeoJSON: a feature with ``"geometry": null`` has no geometry; the properties
    of all features make the columns, in the order first seen.
    """
    if spec.dsn or spec.source_layer or spec.data.suffix.lower() not in GEOJSON_SUFFIXES:
        return None
    try:
        collection = json.loads(spec.data.read_bytes())
        crs = (collection.get("crs") or {}).get("properties", {}).get("name")
        features = collection["features"] if collection.get("type") == "FeatureCollection" else None
        if crs not in WORK_CRS_NAMES or not isinstance(features, list):
            return None
        geometry = np.array([shape(f["geometry"]) if f.get("geometry") else None for f in features] + [None],
                            dtype=object)[:-1]  # the None keeps numpy from unpacking geometries
        names = dict.fromkeys(name for f in features for name in (f.get("properties") or {}))
        properties = {name: [(f.get("properties") or {}).get(name) for f in features] for name in names}
    except (OSError, ValueError, KeyError, TypeError, AttributeError, GeometryTypeError, GEOSException):
        return None
    invalid = ~shapely.is_valid(geometry) & ~shapely.is_missing(geometry)
    repairs = []
    if invalid.any():
        geometry[invalid] = shapely.make_valid(geometry[invalid])
        repairs.append(repair_note(spec.title, invalid))
    return FeatureLayer(spec, geometry, properties, repairs)


def load_print_layer(spec: LayerSpec) -> FeatureLayer | MapLayer:
    """The layer for a printed page: ``read_geojson_layer`` where it can, else ``load_layer``
    (which raises ``CatalogError`` for a source it cannot read)."""
    return read_geojson_layer(spec) or load_layer(spec)
