import math

import pytest
from shapely.geometry import box

from suichang_gis.parcel import PARCEL_FIELDS, conform_parcels, parcels_frame


def test_unknown_values_stay_empty_not_zero():
    parcels = parcels_frame([box(0, 0, 100, 100)], name=["甲"])
    assert math.isnan(parcels.loc[0, "investment_wan"])
    assert parcels.loc[0, "parcel_id"] == "P001"
    assert {f.name for f in PARCEL_FIELDS} <= set(parcels.columns)


def test_numbers_given_as_text_are_read_and_blanks_are_empty():
    parcels = parcels_frame([box(0, 0, 1, 1), box(2, 2, 3, 3)], investment_wan=["1200", ""])
    assert parcels.loc[0, "investment_wan"] == 1200.0 and math.isnan(parcels.loc[1, "investment_wan"])


def test_text_in_a_number_field_names_the_row():
    parcels = parcels_frame([box(0, 0, 1, 1)])
    parcels["annual_tax_wan"] = ["很多"]
    with pytest.raises(ValueError, match="第 1 个地块的“预计年税收”不是数字"):
        conform_parcels(parcels)
