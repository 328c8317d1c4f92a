"""Hand-made parcels near 遂昌 (EPSG:4549) whose areas are known exactly, and file writers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon, box

from suichang_gis.parcel import PARCEL_FIELDS, parcels_frame
from suichang_gis.parcel_io import read_parcels, write_parcels

E0, N0 = 411_000.0, 3_165_000.0  # about 119.1°E, 28.6°N


def square(dx: float = 0.0, dy: float = 0.0, size: float = 100.0) -> Polygon:
    return box(E0 + dx, N0 + dy, E0 + dx + size, N0 + dy + size)


def square_with_hole() -> Polygon:
    """200 m square with a 50 m hole: 37,500 m²."""
    outer = square(1000, 0, 200)
    return Polygon(outer.exterior.coords, [list(square(1050, 50, 50).exterior.coords)[::-1]])


def sample_parcels():
    return parcels_frame([square(), square_with_hole()], name=["甲地块", "乙地块"],
                         investment_wan=[1200.5, None], industry_code=["3130", None],
                         industrial_category=["二类", None])


def hausdorff(a, b) -> float:
    return a.hausdorff_distance(b)


def survey_txt(points_by_parcel, header_extra="", declared="带号=40", prefix=40_000_000.0) -> str:
    """A 界址点坐标 TXT; points_by_parcel: [(header fields, [(ring, east, north), ...]), ...]."""
    lines = ["[属性描述]", "坐标系=2000国家大地坐标系", "几度分带=3", "投影类型=高斯克吕格", "计量单位=米",
             declared, "精度=0.001", "转换参数=,,,,,,", header_extra, "[地块坐标]"]
    for header, points in points_by_parcel:
        lines.append(header)
        for i, (ring, east, north) in enumerate(points, start=1):
            lines.append(f"J{i},{ring},{north:.3f},{east + prefix:.3f}")
    return "\n".join(lines) + "\n"


def ring_points(polygon: Polygon, ring: int = 1, close: bool = True):
    coords = np.asarray(polygon.exterior.coords)
    if not close:
        coords = coords[:-1]
    return [(ring, e, n) for e, n in coords]


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


# --- hypothesis strategies for round trips ---------------------------------------------------
# Text that every format can carry: printable, no surrounding blanks, no commas (TXT fields).
plain_text = st.text(st.characters(whitelist_categories=("Lu", "Ll", "Lo", "Nd"), max_codepoint=0x9FFF),
                     min_size=1, max_size=12)
# Numbers as land documents write them; DBF stores 15 decimals, so 4 are exact everywhere.
amount = st.one_of(st.none(), st.integers(0, 10**8).map(lambda v: v / 10**4))


@st.composite
def parcel_geometry(draw):
    dx = draw(st.integers(-20_000, 20_000)) + draw(st.integers(0, 999)) / 1000
    dy = draw(st.integers(-20_000, 20_000)) + draw(st.integers(0, 999)) / 1000
    w = draw(st.integers(20, 900)) + draw(st.integers(0, 999)) / 1000
    h = draw(st.integers(20, 900)) + draw(st.integers(0, 999)) / 1000
    shell = box(E0 + dx, N0 + dy, E0 + dx + w, N0 + dy + h)
    kind = draw(st.sampled_from(["box", "hole", "multi"]))
    if kind == "hole":
        hole = box(E0 + dx + w / 4, N0 + dy + h / 4, E0 + dx + w / 2, N0 + dy + h / 2)
        return Polygon(shell.exterior.coords, [hole.exterior.coords])
    if kind == "multi":
        return MultiPolygon([shell, box(E0 + dx + w + 10, N0 + dy, E0 + dx + 2 * w + 10, N0 + dy + h)])
    return shell


@st.composite
def parcel_frames(draw, max_parcels: int = 3):
    n = draw(st.integers(1, max_parcels))
    geometries = draw(st.lists(parcel_geometry(), min_size=n, max_size=n))
    ids = draw(st.lists(plain_text, min_size=n, max_size=n, unique=True))
    return parcels_frame(
        geometries, parcel_id=ids,
        name=draw(st.lists(st.one_of(st.none(), plain_text), min_size=n, max_size=n)),
        land_use=draw(st.lists(st.one_of(st.none(), st.sampled_from(["工业用地", "仓储用地"])), min_size=n, max_size=n)),
        industry_code=draw(st.lists(st.one_of(st.none(), st.sampled_from(["3130", "2030", "C33"])), min_size=n, max_size=n)),
        investment_wan=draw(st.lists(amount, min_size=n, max_size=n)),
        annual_tax_wan=draw(st.lists(amount, min_size=n, max_size=n)),
    )


def assert_round_trip(parcels, path: Path) -> None:
    """Write ``parcels`` to ``path`` and read them back: geometry to 1 mm, attributes exactly."""
    write_parcels(parcels, path)
    back = read_parcels(path).parcels
    for a, b in zip(parcels.geometry, back.geometry):
        assert hausdorff(a, b) < 0.001
    fields = [f.name for f in PARCEL_FIELDS]
    assert back[fields].astype(object).where(back[fields].notna(), None).values.tolist() == \
        parcels[fields].astype(object).where(parcels[fields].notna(), None).values.tolist()


CASES = Path(__file__).parent / "cases" / "import"  # real failing files, each a test


def assert_account(result) -> None:
    """Every element the reader saw is either a parcel or skipped with a reason."""
    assert result.seen == result.imported + len(result.skipped)
    assert all(s.place and s.reason for s in result.skipped)
    if result.skipped:
        assert "未发现需要修正的问题" not in result.report()
        assert f"跳过 {len(result.skipped)} 个" in result.report()
