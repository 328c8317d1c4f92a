"""CSV/XLSX coordinate tables: column recognition, axis order, lon/lat + GCJ-02, bad cells."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parcel_samples import assert_round_trip, hausdorff, parcel_frames, square, square_with_hole
from suichang_gis.crs import to_lonlat, wgs84_to_gcj02
from suichang_gis.parcel_io import ParcelImportError, read_parcels


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
