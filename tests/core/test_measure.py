import pytest

from suichang_gis.measure import measure_area, measure_distance
from suichang_gis.units import M2_PER_MU


def test_distance_between_two_known_points_is_pythagoras():
    result = measure_distance([(400_000, 3_150_000), (403_000, 3_154_000)])
    assert result.length_m == pytest.approx(5_000.0)
    assert "5.00 km" in result.text


def test_polyline_distance_adds_its_segments():
    result = measure_distance([(0, 0), (300, 0), (300, 400)])
    assert result.length_m == pytest.approx(700.0)
    assert result.text.endswith("700.0 m")


def test_a_known_square_gives_its_area_in_m2_mu_and_hectares():
    side = 200.0  # 40,000 m² = 60 亩 = 4 公顷
    x, y = 410_000, 3_160_000
    result = measure_area([(x, y), (x + side, y), (x + side, y + side), (x, y + side)])
    assert result.area_m2 == pytest.approx(40_000.0)
    assert result.area_mu == pytest.approx(40_000.0 / M2_PER_MU) == pytest.approx(60.0)
    assert result.area_hectare == pytest.approx(4.0)
    assert result.length_m == pytest.approx(800.0)  # perimeter, ring closed automatically
    assert "60.00 亩" in result.text and "4.00 公顷" in result.text


def test_a_figure_eight_counts_both_lobes():
    # Two 10×10 triangles crossing at (5, 5): each lobe 25 m², total 50 m², not 0.
    result = measure_area([(0, 0), (10, 10), (10, 0), (0, 10)])
    assert result.area_m2 == pytest.approx(50.0)
