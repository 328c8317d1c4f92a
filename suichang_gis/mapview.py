"""What part of the map a view shows: centre, resolution (metres per pixel) and pixel size.

Pure arithmetic shared by the screen canvas and anything else that draws a map view. Map
coordinates are EPSG:4549 easting/northing; screen y grows downwards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

SCREEN_DPI = 96.0  # logical dpi used for the 1:N scale of the screen
METRES_PER_INCH = 0.0254
MIN_RESOLUTION = 0.01  # m/px: closer than this shows nothing useful
MAX_RESOLUTION = 5000.0


@dataclass(frozen=True)
class MapView:
    """A map view: ``resolution`` metres per pixel around (``center_x``, ``center_y``)."""

    center_x: float
    center_y: float
    resolution: float
    width: int
    height: int

    @classmethod
    def fit(cls, bounds, width: int, height: int, margin: float = 0.03) -> MapView:
        """The view showing ``bounds`` (xmin, ymin, xmax, ymax) whole, with a small margin."""
        xmin, ymin, xmax, ymax = bounds
        span_x = max(xmax - xmin, 1.0) * (1 + 2 * margin)
        span_y = max(ymax - ymin, 1.0) * (1 + 2 * margin)
        resolution = max(span_x / max(width, 1), span_y / max(height, 1))
        return cls((xmin + xmax) / 2, (ymin + ymax) / 2, _clamp(resolution), width, height)

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """The shown area (xmin, ymin, xmax, ymax) in EPSG:4549 metres."""
        half_w, half_h = self.width * self.resolution / 2, self.height * self.resolution / 2
        return (self.center_x - half_w, self.center_y - half_h,
                self.center_x + half_w, self.center_y + half_h)

    def to_screen(self, x, y):
        """Map coordinates to pixel coordinates (scalars or numpy arrays)."""
        xmin, _, _, ymax = self.extent
        return (x - xmin) / self.resolution, (ymax - y) / self.resolution

    def to_map(self, px, py):
        """Pixel coordinates to map coordinates (scalars or numpy arrays)."""
        xmin, _, _, ymax = self.extent
        return xmin + px * self.resolution, ymax - py * self.resolution

    def resized(self, width: int, height: int) -> MapView:
        """Same centre and resolution in a window of another size."""
        return replace(self, width=width, height=height)

    def panned(self, dx_px: float, dy_px: float) -> MapView:
        """The view after dragging the map by (dx, dy) pixels."""
        return replace(self, center_x=self.center_x - dx_px * self.resolution,
                       center_y=self.center_y + dy_px * self.resolution)

    def zoomed(self, factor: float, px: float | None = None, py: float | None = None) -> MapView:
        """Zoom in by ``factor`` (>1 zooms in) keeping the map point under (px, py) fixed."""
        px = self.width / 2 if px is None else px
        py = self.height / 2 if py is None else py
        anchor_x, anchor_y = self.to_map(px, py)
        resolution = _clamp(self.resolution / factor)
        # The anchor stays at the same pixel: solve the centre from the new resolution.
        center_x = anchor_x - (px - self.width / 2) * resolution
        center_y = anchor_y + (py - self.height / 2) * resolution
        return replace(self, center_x=center_x, center_y=center_y, resolution=resolution)

    @property
    def scale(self) -> float:
        """The N of the 1:N map scale on a screen of ``SCREEN_DPI``."""
        return self.resolution * SCREEN_DPI / METRES_PER_INCH

    def with_scale(self, scale: float) -> MapView:
        """The view at map scale 1:``scale`` on a screen of ``SCREEN_DPI``, same centre."""
        return replace(self, resolution=_clamp(scale * METRES_PER_INCH / SCREEN_DPI))

    @property
    def zoom_band(self) -> int:
        """Resolutions within a factor of two share a band (and its simplified geometry)."""
        return zoom_band(self.resolution)


def zoom_band(resolution: float) -> int:
    """The zoom band of ``resolution`` (m/px): floor(log2), so a band spans a factor of two."""
    return math.floor(math.log2(resolution))


def band_resolution(band: int) -> float:
    """The finest resolution of a band: simplifying to it errs by under one pixel."""
    return 2.0 ** band


def _clamp(resolution: float) -> float:
    return min(max(resolution, MIN_RESOLUTION), MAX_RESOLUTION)


def scale_bar_length(max_length: float) -> float:
    """The length of a scale bar: the largest 1, 2 or 5 × 10^k not above ``max_length`` (> 0).

    The one rule of the screen canvas, the printed map and the report extracts; any unit (m,
    km). The 1-2-5 series is the usual choice of round bar lengths in cartography.
    """
    base = 10.0 ** math.floor(math.log10(max_length))
    for step in (5.0, 2.0):
        if step * base <= max_length:
            return step * base
    return base


def format_bar_length(metres: float) -> str:
    """A scale bar's length as it is labelled: '500 m', '2 km'."""
    return f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"


def format_scale(scale: float) -> str:
    """A map scale as shown: 1:50,000."""
    return f"1:{round(scale):,}"


def parse_scale(text: str) -> float:
    """'1:50,000', '1：5万', '50000' → 50000.0; ``ValueError`` with a Chinese message otherwise."""
    cleaned = text.replace("：", ":").replace(",", "").replace("，", "").replace(" ", "")
    if ":" in cleaned:
        head, cleaned = cleaned.split(":", 1)
        if head not in ("1", ""):
            raise ValueError(f"比例尺“{text}”应写成 1:N")
    multiplier = 1.0
    if cleaned.endswith("万"):
        cleaned, multiplier = cleaned[:-1], 10000.0
    try:
        value = float(cleaned) * multiplier
    except ValueError:
        raise ValueError(f"比例尺“{text}”无法识别，应写成 1:N，例如 1:50000") from None
    if not value > 0 or not math.isfinite(value):
        raise ValueError(f"比例尺“{text}”应为正数")
    return value
