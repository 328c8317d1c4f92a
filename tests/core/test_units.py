import pytest

from suichang_gis import units


def test_mu_is_one_fifteenth_of_a_hectare():
    assert units.m2_to_mu(10000) == pytest.approx(15.0)
    assert units.mu_to_m2(1) == pytest.approx(666.6667, abs=1e-4)
    assert units.m2_to_hectare(25000) == pytest.approx(2.5)
    assert units.m_to_km(1234) == pytest.approx(1.234)


def test_area_text_shows_mu_first():
    text = units.format_area(10000)
    assert text.startswith("15.00 亩") and "10,000.0 m²" in text and "1.00 公顷" in text


def test_length_text_switches_to_km():
    assert units.format_length(999.0) == "999.0 m"
    assert units.format_length(12345.0) == "12.35 km"
