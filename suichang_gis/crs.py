"""Coordinate reference systems of the project and detection of coordinates in the wrong form.

Everything is stored and computed in CGCS2000 / 3-degree Gauss-Krüger CM 120E (EPSG:4549,
metres, axis order easting/northing in code). Lon/lat is shown in CGCS2000 (EPSG:4490); WGS84
(EPSG:4326) is treated as equal to it at this accuracy (< 1 m).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

WORK_CRS = "EPSG:4549"  # CGCS2000 / 3-degree GK CM 120E, metres
LONLAT_CRS = "EPSG:4490"  # CGCS2000 geographic
WGS84_CRS = "EPSG:4326"
ZONE_PREFIXED_CRS = "EPSG:4528"  # CGCS2000 / 3-degree GK zone 40: easting carries "40"

# Window of 浙江省 (with a margin) used to judge whether coordinates are plausible.
ZHEJIANG_LON = (118.0, 123.2)
ZHEJIANG_LAT = (27.0, 31.5)
# The same window's envelope in EPSG:4549 (the window projected with pyproj and rounded out to km; the
# test suite recomputes it): a bounding box in it is at least near 浙江, without importing pyproj.
ZHEJIANG_WORK_BOUNDS = (301_000.0, 2_987_000.0, 818_000.0, 3_491_000.0)


@cache
def transformer(src: str, dst: str):
    """Cached always-xy ``pyproj.Transformer`` from ``src`` to ``dst`` (CRS strings such as
    "EPSG:4549"); pyproj is imported here, so commands that never transform start faster.
    """
    from pyproj import CRS, Transformer

    return Transformer.from_crs(CRS.from_user_input(src), CRS.from_user_input(dst), always_xy=True)


def to_work(x, y, src: str = LONLAT_CRS):
    """Transform x/y (lon/lat for geographic CRSs) from ``src`` into EPSG:4549 easting/northing."""
    return transformer(src, WORK_CRS).transform(x, y)


def to_lonlat(easting, northing):
    """Transform EPSG:4549 easting/northing (metres, scalars or arrays) into CGCS2000 lon/lat (degrees)."""
    return transformer(WORK_CRS, LONLAT_CRS).transform(easting, northing)


# --- GCJ-02 ("火星坐标", used by 高德/腾讯) -------------------------------------------------
# The published forward formula (krasovsky ellipsoid constants); the inverse is solved by
# fixed-point iteration, which converges to well under a millimetre in a few steps.
_A = 6378245.0
_EE = 0.00669342162296594323


def _out_of_china(lon, lat):
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _delta(lon, lat):
    x, y = lon - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(y * math.pi) + 40.0 * np.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * math.pi) + 320 * np.sin(y * math.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(x * math.pi) + 40.0 * np.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * math.pi) + 300.0 * np.sin(x / 30.0 * math.pi)) * 2.0 / 3.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * math.pi)
    outside = _out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def wgs84_to_gcj02(lon, lat):
    """WGS84 lon/lat (degrees, scalars or arrays) to GCJ-02 lon/lat (degrees).

    The forward formula as published by the open implementations (eviltransform,
    coordtransform; Krasovsky constants ``_A``, ``_EE``); it reproduces their test vectors to
    1e-9° (``tests/core/test_crs.py``). Points outside China's rectangle are returned unchanged.
    The shift is about 600 m over 遂昌.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _delta(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon, lat, iterations: int = 6):
    """GCJ-02 lon/lat (degrees, scalars or arrays) to WGS84 lon/lat, inverting the forward formula.

    Fixed-point iteration: each step subtracts the forward shift's error. Over 遂昌 one step (what
    many libraries do) leaves about 0.5 m, two steps under a millimetre; six are used.
    """
    glon, glat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(iterations):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        wlon, wlat = wlon - (flon - glon), wlat - (flat - glat)
    return wlon, wlat


# --- detection of coordinates in the wrong form -------------------------------------------
@dataclass(frozen=True)
class CoordinateFix:
    """What :func:`normalise_coordinates` found and did, for the caller to tell the user."""

    code: str  # "lonlat" | "latlon_swapped" | "zone_prefixed" | "xy_swapped" | "ok" | "outside"
    message: str  # Chinese sentence for the user


def inside_zhejiang(lon, lat) -> np.ndarray:
    """Per point, whether CGCS2000 lon/lat (degrees, scalars or arrays) lies in the window of
    浙江省 (``ZHEJIANG_LON`` × ``ZHEJIANG_LAT``, with a margin): the one plausibility test of
    imported coordinates.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return ((lon >= ZHEJIANG_LON[0]) & (lon <= ZHEJIANG_LON[1])
            & (lat >= ZHEJIANG_LAT[0]) & (lat <= ZHEJIANG_LAT[1]))


def _inside_zhejiang_lonlat(lon, lat) -> bool:
    return bool(np.all(inside_zhejiang(lon, lat)))


def _inside_zhejiang_work(e, n) -> bool:
    lon, lat = to_lonlat(e, n)
    return _inside_zhejiang_lonlat(np.asarray(lon), np.asarray(lat))


def normalise_coordinates(x, y) -> tuple[np.ndarray, np.ndarray, list[CoordinateFix]]:
    """Bring coordinates of unknown form to EPSG:4549 easting/northing and say what was done.

    Recognised forms, all judged against the extent of 浙江省:
    lon/lat degrees (also given as lat/lon); EPSG:4549 easting/northing; the same with X/Y
    swapped (X is the northing in Chinese survey files); zone-prefixed easting "40xxxxxx"
    (EPSG:4528), in either axis order. Raises ``ValueError`` with a Chinese message when no form
    puts the coordinates inside 浙江.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.size == 0:
        return x, y, []
    fixes: list[CoordinateFix] = []
    if np.all(np.abs(x) <= 180) and np.all(np.abs(y) <= 180):
        if _inside_zhejiang_lonlat(x, y):
            e, n = to_work(x, y)
            fixes.append(CoordinateFix("lonlat", "坐标为经纬度（CGCS2000），已投影到 CGCS2000 3度带 CM120E（EPSG:4549）"))
            return np.asarray(e), np.asarray(n), fixes
        if _inside_zhejiang_lonlat(y, x):
            e, n = to_work(y, x)
            fixes.append(CoordinateFix("latlon_swapped", "坐标为“纬度, 经度”顺序，已交换为经度, 纬度后投影到 EPSG:4549"))
            return np.asarray(e), np.asarray(n), fixes
        raise ValueError("坐标看似经纬度，但不在浙江省范围内")
    # Zone-prefixed easting: 40 followed by a 6-digit easting (40_000_000–41_000_000).
    for e, n, swapped in ((x, y, False), (y, x, True)):
        if np.all((e >= 40_000_000) & (e < 41_000_000)):
            ee, nn = transformer(ZONE_PREFIXED_CRS, WORK_CRS).transform(e, n)
            ee, nn = np.asarray(ee), np.asarray(nn)
            if _inside_zhejiang_work(ee, nn):
                if swapped:
                    fixes.append(CoordinateFix("xy_swapped", "X 为北坐标、Y 为东坐标（测量坐标习惯），已交换"))
                fixes.append(CoordinateFix("zone_prefixed", "东坐标带有带号“40”（EPSG:4528），已去掉带号换算为 EPSG:4549"))
                return ee, nn, fixes
    if _inside_zhejiang_work(x, y):
        return x, y, [CoordinateFix("ok", "坐标为 EPSG:4549 东坐标/北坐标")]
    if _inside_zhejiang_work(y, x):
        fixes.append(CoordinateFix("xy_swapped", "X 为北坐标、Y 为东坐标（测量坐标习惯），已交换"))
        return y.copy(), x.copy(), fixes
    raise ValueError("坐标不在浙江省范围内：既不是经纬度，也不是 CGCS2000 3度带（CM120E 或带号 40）坐标")
