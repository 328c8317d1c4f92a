"""西安 1980 and 北京 1954 coordinates: refused unless the user gives a 7-parameter set.

PROJ has no accurate transformation from these datums to CGCS2000, only a "ballpark" one that
is off by metres to tens of metres, so a file declaring one is refused everywhere, with the
remedy: a surveyor's 7-parameter (Bursa-Wolf) set, given as ``--towgs84`` or in the TXT's
``转换参数`` line, which is then applied and reported.
"""

from __future__ import annotations

import re
import warnings

from pyproj import CRS

from .result import ParcelImportError

# Names of the old datums as they appear in TXT headers, .prj files and EPSG datum names.
_MARKERS = {"西安 1980": ("西安", "xian", "xi'an", "1980"), "北京 1954": ("北京", "beijing", "1954")}
# Ellipsoids of the old datums (proj strings): IAG 1975 for 西安 1980, Krassowsky for 北京 1954.
ELLIPSOIDS = {"西安 1980": "+a=6378140 +rf=298.257", "北京 1954": "+ellps=krass"}


def old_datum(declared) -> str | None:
    """'西安 1980' / '北京 1954' when ``declared`` (text or a pyproj CRS) names one, else None."""
    if isinstance(declared, CRS):
        base = declared.geodetic_crs
        epsg = base.to_epsg() if base is not None else None
        if epsg in (4610,):
            return "西安 1980"
        if epsg in (4214,):
            return "北京 1954"
        declared = f"{declared.name} {base.datum.name if base is not None else ''}"
    text = str(declared or "").lower()
    if "2000" in text or "cgcs" in text:
        return None
    for name, markers in _MARKERS.items():
        if any(m in text for m in markers):
            return name
    return None


def parse_towgs84(text: str | None, where: str) -> tuple[float, ...] | None:
    """Seven Bursa-Wolf parameters 'dx,dy,dz,rx,ry,rz,ds' (m, arc-seconds, ppm); None when empty."""
    if text is None or not re.sub(r"[,，\s]", "", str(text)):
        return None
    parts = [p for p in re.split(r"[,，\s]+", str(text).strip()) if p]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) not in (3, 7):
        raise ParcelImportError(f"{where}：转换参数“{text}”应为 3 个或 7 个数字"
                                "（dx,dy,dz[,rx,ry,rz,尺度ppm]，单位 米、秒、ppm）")
    return values


def refuse_old_datum(datum: str, name: str, declared: str = "") -> ParcelImportError:
    """The refusal for a file in ``datum`` without transformation parameters (Chinese)."""
    said = f"“{declared}”（{datum}）" if declared and declared != datum else datum
    return ParcelImportError(
        f"{name}：坐标系为{said}。{datum}到 CGCS2000（2000国家大地坐标系）没有通用的精确转换"
        "（PROJ 只有误差达数米的近似转换），不能直接导入。请由测绘单位按当地七参数转换为 CGCS2000 后再导入，"
        "或给出七参数导入：suichang-gis import 文件 --towgs84 dx,dy,dz,rx,ry,rz,ppm --out 项目.gpkg"
        "（或在 TXT 的“转换参数=”中填写），再核查项目文件")


def with_towgs84(crs: CRS, datum: str, parameters: tuple[float, ...]) -> CRS:
    """``crs`` (in an old datum) with the user's Bursa-Wolf parameters bound to it."""
    with warnings.catch_warnings():  # a Gauss-Krüger CRS loses nothing as a proj string
        warnings.simplefilter("ignore", UserWarning)
        proj = crs.to_proj4() or ""
    proj = re.sub(r"\+(towgs84|ellps|a|rf|b|datum)=\S+", "", proj)
    values = ",".join(f"{v:g}" for v in parameters)
    return CRS.from_proj4(f"{proj} {ELLIPSOIDS[datum]} +towgs84={values}")
