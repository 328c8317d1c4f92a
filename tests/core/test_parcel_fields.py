"""Validation of typed parcel values, column aliases, and the GB/T 4754-2017 行业 table."""

from suichang_gis.industry import find_industry, load_industries, search_industries
from suichang_gis.parcel import rename_parcel_columns, validate_parcel_values


def test_validation_names_the_field_and_the_allowed_range():
    problems = validate_parcel_values({"floor_area_ratio": "25", "green_ratio": "三成", "investment_wan": "-1",
                                       "industrial_category": "四类", "name": "", "annual_tax_wan": "1,200"})
    assert problems == {
        "floor_area_ratio": "“容积率”应在 0～20 之间，现为 25",
        "green_ratio": "“绿地率”应为数字，现为“三成”",
        "investment_wan": "“拟投资额”不能小于 0 万元，现为 -1",
        "industrial_category": "“工业项目类别”应为 一类、二类 或 三类，现为“四类”",
    }


def test_empty_values_are_unknown_and_allowed():
    assert validate_parcel_values({"floor_area_ratio": "", "green_ratio": None, "industrial_category": " "}) == {}


def test_chinese_labels_map_to_fields():
    import pandas as pd

    renamed = rename_parcel_columns(pd.DataFrame(columns=["项目名称", "拟投资额", "容积率", "备注"]))
    assert list(renamed.columns) == ["name", "investment_wan", "floor_area_ratio", "备注"]


def test_industry_table_has_every_manufacturing_major_group():
    codes = {i.code for i in load_industries()}
    assert {f"C{n}" for n in range(13, 44)} <= codes
    assert len(codes) == len(load_industries())  # no duplicates
    assert all(i.code[0] == "C" for i in load_industries() if i.level != "门类" and 13 <= int(i.code[1:3]) <= 43)


def test_industry_lookup_and_search():
    assert find_industry("c336").name == "金属表面处理及热处理加工"
    assert find_industry("336").code == "C336"  # a bare number gets its section letter
    assert find_industry("X99") is None
    assert [i.code for i in search_industries("竹")] == ["C20", "C204", "C212"]
    assert [i.code for i in search_industries("C27")][:2] == ["C27", "C271"]
