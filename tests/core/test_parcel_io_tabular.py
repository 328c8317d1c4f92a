"""CSV/XLSX coordinate tables: column recognition, axis order, lon/lat + GCJ-02, bad cells."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parcel_samples import assert_account, assert_round_trip, hausdorff, parcel_frames, square, square_with_hole
from suichang_gis.crs import to_lonlat, wgs84_to_gcj02
from suichang_gis.parcel import parcels_frame
from suichang_gis.parcel_io import ParcelImportError, read_parcels, write_parcels


def survey_rows():
    """Two parcels; the second has a hole as 圈号 2. Survey convention: X = northing."""
    rows = []
    for key, name, polygon in (("P1", "甲", square()), ("P2", "乙", square_with_hole())):
        for ring_no, ring in enumerate([polygon.exterior, *polygon.interiors], start=1):
            for i, (e, n) in enumerate(np.asarray(ring.coords)[:-1], start=1):
                rows.append({"地块编号": key, "地块名称": name, "圈号": ring_no, "点号": f"J{i}", "X": n, "Y": e})
    return pd.DataFrame(rows)


def test_gbk_csv_with_survey_axes(tmp_path):
    path = tmp_path / "坐标.csv"
    path.write_bytes(survey_rows().to_csv(index=False).encode("gbk"))
    result = read_parcels(path)
    assert result.parcels["name"].tolist() == ["甲", "乙"]
    assert result.parcels.geometry.area.round(6).tolist() == [10_000.0, 37_500.0]
    assert any("GBK" in n for n in result.notes) and any("交换" in n for n in result.notes)


def test_xlsx_of_gcj02_lonlat(tmp_path):
    e, n = np.asarray(square().exterior.coords)[:-1].T
    lon, lat = wgs84_to_gcj02(*to_lonlat(e, n))
    pd.DataFrame({"地块名称": "高德", "经度": lon, "纬度": lat}).to_excel(tmp_path / "amap.xlsx", index=False)
    assert hausdorff(read_parcels(tmp_path / "amap.xlsx", gcj02=True).parcels.geometry[0], square()) < 0.01
    assert read_parcels(tmp_path / "amap.xlsx").parcels.geometry[0].centroid.distance(square().centroid) > 100


def test_missing_coordinate_names_the_row_and_point(tmp_path):
    table = survey_rows()
    table.loc[2, "Y"] = None
    table.to_csv(tmp_path / "gap.csv", index=False)
    with pytest.raises(ParcelImportError, match=r"gap\.csv 第 4 行：点 J3 缺少Y 坐标"):
        read_parcels(tmp_path / "gap.csv")


def test_text_in_a_coordinate_cell(tmp_path):
    table = survey_rows().astype({"X": object})
    table.loc[5, "X"] = "三百"
    table.to_excel(tmp_path / "t.xlsx", index=False)
    with pytest.raises(ParcelImportError, match=r"t\.xlsx 第 7 行：点 J2 的 X 坐标“三百”不是数字"):
        read_parcels(tmp_path / "t.xlsx")


def test_no_coordinate_columns(tmp_path):
    pd.DataFrame({"名称": ["甲"], "面积": [1]}).to_csv(tmp_path / "none.csv", index=False)
    with pytest.raises(ParcelImportError, match=r"none\.csv：找不到坐标列.*表头为：名称、面积"):
        read_parcels(tmp_path / "none.csv")


def test_corrupt_xlsx(tmp_path):
    (tmp_path / "bad.xlsx").write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(ParcelImportError, match=r"bad\.xlsx：Excel 文件损坏或不完整"):
        read_parcels(tmp_path / "bad.xlsx")


def test_outside_zhejiang(tmp_path):
    pd.DataFrame({"经度": [116.40, 116.41, 116.41], "纬度": [39.90, 39.90, 39.91]}).to_csv(tmp_path / "bj.csv", index=False)
    with pytest.raises(ParcelImportError, match=r"bj\.csv：坐标看似经纬度，但不在浙江省范围内"):
        read_parcels(tmp_path / "bj.csv")


@settings(max_examples=50, deadline=None)
@given(parcel_frames(), st.sampled_from([".csv", ".xlsx"]))
def test_round_trip(tmp_path_factory, parcels, suffix):
    path = tmp_path_factory.mktemp("tab") / f"round{suffix}"
    assert_round_trip(parcels, path)


def dms_spellings(value: float) -> list[str]:
    """Every common 度分秒 spelling of ``value`` (degrees), seconds to 1e-4″."""
    d = int(value)
    m = int((value - d) * 60)
    s = (value - d - m / 60) * 3600
    return [f"{d}°{m:02d}'{s:.4f}\"", f"{d}°{m:02d}′{s:.4f}″", f"{d}度{m:02d}分{s:.4f}秒", f"{d}:{m:02d}:{s:.4f}"]


@pytest.mark.parametrize("spelling", range(4))
def test_dms_in_every_spelling(tmp_path, spelling):
    e, n = np.asarray(square().exterior.coords)[:-1].T
    lon, lat = to_lonlat(e, n)
    table = pd.DataFrame({"地块编号": "D1", "经度": [dms_spellings(v)[spelling] for v in lon],
                          "纬度": [dms_spellings(v)[spelling] for v in lat]})
    table.to_csv(tmp_path / "dms.csv", index=False)
    result = read_parcels(tmp_path / "dms.csv")
    # 1e-4″ of arc is 3 mm on the ground
    assert hausdorff(result.parcels.geometry[0], square()) < 0.01
    assert any("度分秒" in n for n in result.notes)
    assert any("列的识别：地块“地块编号”" in n and "第一坐标“经度”" in n for n in result.notes)


def test_decimal_degrees_in_lat_lon_order_are_detected(tmp_path):
    e, n = np.asarray(square().exterior.coords)[:-1].T
    lon, lat = to_lonlat(e, n)
    pd.DataFrame({"地块编号": "D1", "A": lat, "B": lon}).rename(columns={"A": "X", "B": "Y"}).to_csv(
        tmp_path / "ll.csv", index=False)
    result = read_parcels(tmp_path / "ll.csv")
    assert hausdorff(result.parcels.geometry[0], square()) < 0.001
    assert any("纬度, 经度" in n for n in result.notes)


def test_degenerate_parcel_is_skipped_and_accounted(tmp_path):
    table = survey_rows()
    flat = pd.DataFrame({"地块编号": "P3", "地块名称": "扁", "圈号": 1, "点号": ["J1", "J2"],
                         "X": [3_165_000.0, 3_165_000.0], "Y": [411_000.0, 411_050.0]})
    pd.concat([table, flat]).to_csv(tmp_path / "d.csv", index=False)
    result = read_parcels(tmp_path / "d.csv")
    assert result.parcels["name"].tolist() == ["甲", "乙"]
    assert [s.place for s in result.skipped] == [f"第 {len(table) + 2} 行起的地块“P3”"]
    assert_account(result)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_formula_like_values_are_never_formulas(tmp_path, suffix):
    from openpyxl import load_workbook

    values = ["=HYPERLINK(\"http://x\",\"点我\")", "+1+2", "-3", "@SUM(A1)", "\tTAB", "\rCR"]
    parcels = parcels_frame([square(dx=300 * i) for i in range(len(values))], name=values)
    out = write_parcels(parcels, tmp_path / f"f{suffix}")
    if suffix == ".csv":
        text = out.read_text(encoding="utf-8-sig")
        assert all(f"'{v}" in text for v in ("=HYPERLINK", "+1+2", "-3", "@SUM(A1)"))
    else:
        cells = [c for row in load_workbook(out).active.iter_rows() for c in row if isinstance(c.value, str)]
        risky = [c for c in cells if c.value.startswith(("=", "+", "-", "@", "\t", "\r"))]
        assert risky and all(c.data_type == "s" and c.quotePrefix for c in risky)
    back = read_parcels(out).parcels
    assert back["name"].tolist() == values  # read back as written


def test_check_report_xlsx_keeps_formula_like_names_as_text(tmp_path):
    from openpyxl import load_workbook

    from suichang_gis.cli import main

    parcels = parcels_frame([square()], name=["=1+1"], parcel_id=["@P1"])
    write_parcels(parcels, tmp_path / "p.geojson")
    assert main(["check", str(tmp_path / "p.geojson"), "--out", str(tmp_path / "r.xlsx")]) == 0
    cells = [c for ws in load_workbook(tmp_path / "r.xlsx") for row in ws.iter_rows() for c in row
             if c.value in ("=1+1", "@P1")]
    assert cells and all(c.data_type == "s" for c in cells)
