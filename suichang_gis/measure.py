"""Distance and area measured on the map, planar in EPSG:4549 (DESIGN.md section 4)."""

from __future__ import annotations

from dataclasses import dataclass

import shapely

from .units import format_area, format_length, m2_to_hectare, m2_to_mu


@dataclass(frozen=True)
class Measurement:
    """A measured length (m) and, for a closed shape, an area (m²) with its Chinese text."""

    length_m: float
    area_m2: float | None = None

    @property
    def area_mu(self) -> float | None:
        """The area in 亩 (1 亩 = 10000/15 m²), or None for a distance."""
        return None if self.area_m2 is None else m2_to_mu(self.area_m2)

    @property
    def area_hectare(self) -> float | None:
        """The area in 公顷 (hectares), or None for a distance."""
        return None if self.area_m2 is None else m2_to_hectare(self.area_m2)

    @property
    def text(self) -> str:
        """The measurement as the status bar shows it (Chinese, 亩 first for areas)."""
        if self.area_m2 is None:
            return f"距离：{format_length(self.length_m)}"
        return f"面积：{format_area(self.area_m2)}；周长：{format_length(self.length_m)}"


def measure_distance(points) -> Measurement:
    """Length of the polyline through ``points`` ((x, y) in EPSG:4549 metres)."""
    points = list(points)
    if len(points) < 2:
        return Measurement(0.0)
    return Measurement(float(shapely.length(shapely.LineString(points))))


def measure_area(points) -> Measurement:
    """Area and perimeter of the polygon through ``points`` (closed automatically).

    A self-intersecting outline is repaired with ``make_valid`` first, so a figure-eight
    counts both lobes instead of letting them cancel out.
    """
    points = list(points)
    if len(points) < 3:
        return Measurement(measure_distance(points).length_m, 0.0)
    ring = shapely.LinearRing(points)
    polygon = shapely.Polygon(ring)
    if not polygon.is_valid:
        polygon = shapely.make_valid(polygon)
    return Measurement(float(ring.length), float(shapely.area(polygon)))
