import pytest

from suichang_gis.mapview import MapView, band_resolution, format_scale, parse_scale


def test_screen_and_map_coordinates_round_trip_with_y_down():
    view = MapView(center_x=400_000, center_y=3_150_000, resolution=10.0, width=800, height=600)
    assert view.extent == (396_000, 3_147_000, 404_000, 3_153_000)
    assert view.to_screen(396_000, 3_153_000) == (0, 0)  # top-left corner
    assert view.to_screen(404_000, 3_147_000) == (800, 600)
    assert view.to_map(400, 300) == (400_000, 3_150_000)


@pytest.mark.parametrize("factor", [2.0, 0.5, 1.25])
def test_zoom_about_a_pixel_keeps_the_map_point_under_it(factor):
    view = MapView(400_000, 3_150_000, 10.0, 800, 600)
    before = view.to_map(123, 456)
    zoomed = view.zoomed(factor, 123, 456)
    assert zoomed.resolution == pytest.approx(10.0 / factor)
    assert zoomed.to_map(123, 456) == pytest.approx(before)


def test_fit_shows_the_whole_extent_and_scale_is_metres_per_pixel_at_96_dpi():
    view = MapView.fit((0, 0, 10_000, 5_000), 1000, 1000, margin=0)
    assert view.resolution == pytest.approx(10.0)  # the wider side decides
    xmin, ymin, xmax, ymax = view.extent
    assert xmin <= 0 and ymin <= 0 and xmax >= 10_000 and ymax >= 5_000
    # 10 m per pixel, a pixel of 1/96 inch = 0.26458 mm: 1 : 37,795
    assert view.scale == pytest.approx(10 / (0.0254 / 96))
    assert view.with_scale(50_000).scale == pytest.approx(50_000)


def test_pan_moves_the_map_with_the_mouse():
    view = MapView(0, 0, 2.0, 100, 100)
    panned = view.panned(10, -5)  # drag right and up
    assert panned.to_screen(0, 0) == pytest.approx((60, 45))


def test_zoom_band_resolution_is_never_coarser_than_the_view():
    for resolution in (0.3, 1.0, 7.5, 55.0, 400.0):
        view = MapView(0, 0, resolution, 10, 10)
        assert resolution / 2 < band_resolution(view.zoom_band) <= resolution


def test_scale_text_is_parsed_in_the_forms_planners_type():
    assert parse_scale("1:50,000") == 50_000
    assert parse_scale("1：5万") == 50_000
    assert parse_scale("25000") == 25_000
    assert format_scale(50_000) == "1:50,000"
    with pytest.raises(ValueError, match="比例尺"):
        parse_scale("abc")
    with pytest.raises(ValueError, match="比例尺"):
        parse_scale("1:-5")


def test_scale_bar_length_is_the_largest_1_2_5_step_within_the_limit():
    from suichang_gis.mapview import format_bar_length, scale_bar_length

    assert [scale_bar_length(x) for x in (1, 1.9, 2, 4.99, 5, 9.99, 10, 240, 0.37)] == \
        [1, 1, 2, 2, 5, 5, 10, 200, 0.2]
    assert format_bar_length(500) == "500 m" and format_bar_length(2000) == "2 km"
