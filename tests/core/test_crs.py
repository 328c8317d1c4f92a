"""CRS core: transformer round trips, GCJ-02, and detection of coordinates in the wrong form."""

import numpy as np
import pytest
from pyproj import Geod

from suichang_gis import crs

# 遂昌 county seat (CGCS2000 lon/lat) and a spread of points over the county.
SEAT = (119.2704, 28.5923)
LON = np.array([118.75, 119.00, 119.27, 119.45, 118.90])
LAT = np.array([28.20, 28.45, 28.59, 28.75, 28.85])


def test_work_crs_round_trip_is_sub_millimetre():
    e, n = crs.to_work(LON, LAT)
    lon, lat = crs.to_lonlat(e, n)
    assert np.max(np.abs(lon - LON)) < 1e-9 and np.max(np.abs(lat - LAT)) < 1e-9


def test_county_seat_lies_west_of_central_meridian():
    # CM 120E has false easting 500 km; 119.27E is about 71 km west of it at 28.6N.
    e, n = crs.to_work(*SEAT)
    expected_dx = Geod(ellps="GRS80").inv(SEAT[0], SEAT[1], 120.0, SEAT[1])[2]
    assert e == pytest.approx(500000 - expected_dx, abs=150)
    assert 3_160_000 < n < 3_170_000


def test_zone_prefixed_crs_differs_by_the_zone_number_only():
    e, n = crs.to_work(*SEAT)
    ez, nz = crs.transformer(crs.LONLAT_CRS, crs.ZONE_PREFIXED_CRS).transform(*SEAT)
    assert ez - e == pytest.approx(40_000_000, abs=1e-3)
    assert nz == pytest.approx(n, abs=1e-3)


def test_gcj02_shift_is_about_600_m_over_the_county():
    glon, glat = crs.wgs84_to_gcj02(LON, LAT)
    shift = Geod(ellps="WGS84").inv(LON, LAT, glon, glat)[2]
    # PROVENANCE.md measured 595–607 m at the 21 seats; a wider spread of points varies a bit more.
    assert np.all((shift > 450) & (shift < 750))


def test_gcj02_round_trip_within_one_metre():
    grid_lon, grid_lat = np.meshgrid(np.linspace(118.7, 119.5, 9), np.linspace(28.2, 28.9, 8))
    glon, glat = crs.wgs84_to_gcj02(grid_lon.ravel(), grid_lat.ravel())
    wlon, wlat = crs.gcj02_to_wgs84(glon, glat)
    err = Geod(ellps="WGS84").inv(grid_lon.ravel(), grid_lat.ravel(), wlon, wlat)[2]
    assert err.max() < 1.0


def test_detects_lonlat():
    e, n, fixes = crs.normalise_coordinates(LON, LAT)
    assert [f.code for f in fixes] == ["lonlat"]
    np.testing.assert_allclose((e, n), crs.to_work(LON, LAT))


def test_detects_latlon_order():
    e, n, fixes = crs.normalise_coordinates(LAT, LON)
    assert [f.code for f in fixes] == ["latlon_swapped"]
    np.testing.assert_allclose((e, n), crs.to_work(LON, LAT))


def test_plain_work_coordinates_are_left_alone():
    e0, n0 = crs.to_work(LON, LAT)
    e, n, fixes = crs.normalise_coordinates(e0, n0)
    assert [f.code for f in fixes] == ["ok"]
    np.testing.assert_allclose((e, n), (e0, n0))


def test_detects_swapped_survey_axes():
    e0, n0 = crs.to_work(LON, LAT)
    e, n, fixes = crs.normalise_coordinates(n0, e0)  # X = northing, as survey files write it
    assert [f.code for f in fixes] == ["xy_swapped"]
    np.testing.assert_allclose((e, n), (e0, n0))


def test_detects_zone_prefixed_easting_in_both_orders():
    e0, n0 = crs.to_work(LON, LAT)
    e, n, fixes = crs.normalise_coordinates(np.asarray(e0) + 40_000_000, n0)
    assert [f.code for f in fixes] == ["zone_prefixed"]
    np.testing.assert_allclose((e, n), (e0, n0), atol=1e-3)
    e, n, fixes = crs.normalise_coordinates(n0, np.asarray(e0) + 40_000_000)
    assert [f.code for f in fixes] == ["xy_swapped", "zone_prefixed"]
    np.testing.assert_allclose((e, n), (e0, n0), atol=1e-3)


def test_coordinates_outside_zhejiang_are_refused_in_chinese():
    with pytest.raises(ValueError, match="浙江"):
        crs.normalise_coordinates([116.4], [39.9])  # Beijing
    with pytest.raises(ValueError, match="浙江"):
        crs.normalise_coordinates([100.0, 200.0], [300.0, 400.0])


# Published test vectors of independent GCJ-02 implementations, as (WGS84 lon, lat, GCJ-02 lon, lat):
# googollee/eviltransform go/transform_test.go (Shanghai, Shenzhen, Beijing; given there as lat, lng)
# and wandergis/coordtransform test/app.js (wgs84togcj02(116.404, 39.915)).
PUBLISHED_GCJ02 = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),
    (116.404, 39.915, 116.41024449916938, 39.91640428150164),
]


@pytest.mark.parametrize(("lon", "lat", "glon", "glat"), PUBLISHED_GCJ02)
def test_gcj02_matches_published_vectors(lon, lat, glon, glat):
    assert crs.wgs84_to_gcj02(lon, lat) == pytest.approx((glon, glat), abs=1e-9)
    # eviltransform's own bound for its exact inverse: back within 0.5 m.
    wlon, wlat = crs.gcj02_to_wgs84(glon, glat)
    assert Geod(ellps="WGS84").inv(lon, lat, wlon, wlat)[2] < 0.5


def test_gcj02_matches_gcoord_both_ways():
    # hujiulong/gcoord test/unit/crs/WGS84.spec.ts and GCJ02.spec.ts: [123, 45], to 5 decimals.
    assert crs.wgs84_to_gcj02(123.0, 45.0) == pytest.approx((123.00607541, 45.00197815), abs=5e-6)
    assert crs.gcj02_to_wgs84(123.0, 45.0) == pytest.approx((122.99395597, 44.99804071), abs=5e-6)


def test_zhejiang_window_in_work_coordinates_is_the_projected_window():
    import numpy as np
    from pyproj import Transformer

    from suichang_gis.crs import ZHEJIANG_LAT, ZHEJIANG_LON, ZHEJIANG_WORK_BOUNDS

    lon, lat = np.meshgrid(np.linspace(*ZHEJIANG_LON, 300), np.linspace(*ZHEJIANG_LAT, 300))
    x, y = Transformer.from_crs("EPSG:4490", "EPSG:4549", always_xy=True).transform(lon.ravel(), lat.ravel())
    x0, y0, x1, y1 = ZHEJIANG_WORK_BOUNDS
    assert x0 <= x.min() < x0 + 1000 and y0 <= y.min() < y0 + 1000
    assert x1 - 1000 < x.max() <= x1 and y1 - 1000 < y.max() <= y1


def test_inside_zhejiang_is_judged_per_point():
    # 遂昌 and 杭州 inside; 上饶 (江西, 117.9E) and 福州 (26.1N) outside the window.
    inside = crs.inside_zhejiang([119.27, 120.15, 117.94, 119.30], [28.59, 30.27, 28.45, 26.08])
    assert inside.tolist() == [True, True, False, False]
