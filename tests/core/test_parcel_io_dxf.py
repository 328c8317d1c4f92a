"""DXF: closed polylines and hatches, layer choice, units, zone prefix, open polylines, round trips."""

import ezdxf
import numpy as np
import pytest
from hypothesis import given, settings
from shapely.geometry import Polygon

from parcel_samples import (
    CASES,
    E0,
    N0,
    assert_account,
    assert_round_trip,
    hausdorff,
    parcel_frames,
    square,
    square_with_hole,
)
from suichang_gis.parcel_io import ParcelImportError, dxf_layers, read_parcels, write_parcels


def drawing(units: int = 6, version: str = "R2010"):
    doc = ezdxf.new(version, units=units)
    return doc, doc.modelspace()


def corners(polygon, scale=1.0, dx=0.0):
    return [((x + dx) * scale, y * scale) for x, y in np.asarray(polygon.exterior.coords)[:-1]]


def test_closed_polylines_and_hatch_with_hole(tmp_path):
    doc, msp = drawing()
    doc.layers.add("红线")
    doc.layers.add("填充")
    msp.add_lwpolyline(corners(square()), close=True, dxfattribs={"layer": "红线"})
    hatch = msp.add_hatch(dxfattribs={"layer": "填充"})
    outer = square_with_hole()
    hatch.paths.add_polyline_path(corners(outer), is_closed=True, flags=1)
    hatch.paths.add_polyline_path([tuple(c) for c in np.asarray(outer.interiors[0].coords)[:-1]], is_closed=True)
    doc.saveas(tmp_path / "cad.dxf")
    assert dxf_layers(tmp_path / "cad.dxf") == {"红线": 1, "填充": 1}
    result = read_parcels(tmp_path / "cad.dxf")
    assert sorted(result.parcels.geometry.area.round(6)) == [10_000.0, 37_500.0]
    assert any("2 个图层" in n for n in result.notes)
    only = read_parcels(tmp_path / "cad.dxf", layers=["填充"]).parcels
    assert only.geometry.area.round(6).tolist() == [37_500.0]


def test_open_polylines_only(tmp_path):
    doc, msp = drawing()
    msp.add_lwpolyline(corners(square()), close=False)
    msp.add_lwpolyline(corners(square(300)), close=False)
    doc.saveas(tmp_path / "open.dxf")
    with pytest.raises(ParcelImportError, match=r"open\.dxf：没有闭合的多段线或图案填充，只有 2 条未闭合的多段线"):
        read_parcels(tmp_path / "open.dxf")


def test_polyline_drawn_back_to_its_start_counts_as_closed(tmp_path):
    doc, msp = drawing()
    points = corners(square())
    msp.add_lwpolyline(points + points[:1], close=False)
    doc.saveas(tmp_path / "back.dxf")
    assert read_parcels(tmp_path / "back.dxf").parcels.geometry[0].area == pytest.approx(10_000.0)


def test_zone_prefixed_coordinates_are_detected(tmp_path):
    doc, msp = drawing()
    msp.add_lwpolyline(corners(square(), dx=40_000_000), close=True)
    doc.saveas(tmp_path / "zone.dxf")
    result = read_parcels(tmp_path / "zone.dxf")
    assert hausdorff(result.parcels.geometry[0], square()) < 1e-6
    assert any("带号" in n for n in result.notes)


def test_crs_given_by_the_user(tmp_path):
    doc, msp = drawing(units=4)
    msp.add_lwpolyline(corners(square(), dx=40_000_000), close=True)
    doc.saveas(tmp_path / "z.dxf")
    result = read_parcels(tmp_path / "z.dxf", crs="EPSG:4528")  # metres implied, not the declared mm
    assert hausdorff(result.parcels.geometry[0], square()) < 1e-6
    assert any("EPSG:4528" in n for n in result.notes)


def test_millimetre_drawing_is_scaled(tmp_path):
    doc, msp = drawing(units=4)
    msp.add_lwpolyline(corners(square(), scale=1000.0), close=True)
    doc.saveas(tmp_path / "mm.dxf")
    result = read_parcels(tmp_path / "mm.dxf")
    assert hausdorff(result.parcels.geometry[0], square()) < 1e-6
    assert any("毫米" in n for n in result.notes)


def test_metres_in_a_millimetre_template_are_kept(tmp_path):
    doc, msp = drawing(units=4)  # acadiso default, drawing made in metres
    msp.add_lwpolyline(corners(square()), close=True)
    doc.saveas(tmp_path / "m.dxf")
    result = read_parcels(tmp_path / "m.dxf")
    assert result.parcels.geometry[0].area == pytest.approx(10_000.0)
    assert any("按米读取" in n for n in result.notes)


@pytest.mark.parametrize("declared", ["ANSI_936", "ANSI_1252"])
def test_gbk_drawing_keeps_chinese_layer_names(tmp_path, declared):
    """R2000 files store text in the code page; older tools often declare the wrong one."""
    doc, msp = drawing(version="R2000")
    doc.layers.add("用地红线")
    msp.add_lwpolyline(corners(square()), close=True, dxfattribs={"layer": "用地红线"})
    if declared == "ANSI_936":
        doc.encoding = "gbk"  # ezdxf writes $DWGCODEPAGE from the document's encoding
    doc.saveas(tmp_path / "gbk.dxf", encoding="gbk")
    assert f"\n{declared}\n".encode() in (tmp_path / "gbk.dxf").read_bytes()
    assert "用地红线".encode("gbk") in (tmp_path / "gbk.dxf").read_bytes()
    result = read_parcels(tmp_path / "gbk.dxf")
    assert result.parcels.loc[0, "dxf_layer"] == "用地红线"
    assert any("按 GBK 读取" in n for n in result.notes) == (declared == "ANSI_1252")


def test_unknown_layer_lists_the_layers(tmp_path):
    doc, msp = drawing()
    msp.add_lwpolyline(corners(square()), close=True)
    doc.saveas(tmp_path / "a.dxf")
    with pytest.raises(ParcelImportError, match=r"a\.dxf：没有图层“地块”。文件中的图层：0"):
        read_parcels(tmp_path / "a.dxf", layers=["地块"])


def test_truncated_dxf(tmp_path):
    doc, msp = drawing()
    msp.add_lwpolyline(corners(square()), close=True)
    doc.saveas(tmp_path / "full.dxf")
    data = (tmp_path / "full.dxf").read_bytes()
    (tmp_path / "cut.dxf").write_bytes(data[: len(data) // 2])
    with pytest.raises(ParcelImportError, match=r"cut\.dxf：DXF 结构错误，文件损坏或不完整"):
        read_parcels(tmp_path / "cut.dxf")


def test_outside_zhejiang(tmp_path):
    doc, msp = drawing()
    msp.add_lwpolyline([(0, 0), (100, 0), (100, 100), (0, 100)], close=True)
    doc.saveas(tmp_path / "local.dxf")
    with pytest.raises(ParcelImportError, match=r"local\.dxf：没有坐标系信息，且坐标.*不在浙江省范围内"):
        read_parcels(tmp_path / "local.dxf")


@settings(max_examples=50, deadline=None)
@given(parcel_frames())
def test_round_trip_keeps_attributes_through_xdata(tmp_path_factory, parcels):
    path = tmp_path_factory.mktemp("dxf") / "round.dxf"
    assert_round_trip(parcels, path)


def test_zone_prefixed_export_for_cad(tmp_path):
    write_parcels(parcels_with_square(), tmp_path / "z.dxf", zone_prefix=True)
    doc = ezdxf.readfile(tmp_path / "z.dxf")
    xs = [x for e in doc.modelspace().query("LWPOLYLINE") for x, *_ in e.get_points()]
    assert min(xs) == pytest.approx(40_000_000 + E0)
    assert hausdorff(read_parcels(tmp_path / "z.dxf").parcels.geometry[0], square()) < 1e-6


def parcels_with_square():
    from suichang_gis.parcel import parcels_frame

    return parcels_frame([square()], name=["甲"])



def test_parcel_in_block_case():
    result = read_parcels(CASES / "dxf-parcel-in-block.dxf")
    assert sorted(result.parcels.geometry.area.round(3)) == [3_000.0, 8_000.0]
    assert_account(result)


def test_insert_applies_position_scale_rotation_and_nesting(tmp_path):
    doc, msp = drawing()
    inner = doc.blocks.new("内")
    inner.add_lwpolyline([(0, 0), (40, 0), (40, 20), (0, 20)], close=True)
    outer = doc.blocks.new("外")
    outer.add_blockref("内", (10, 0), dxfattribs={"rotation": 90})
    outer.add_lwpolyline([(0, 0), (5, 0)], close=False)  # an open line inside a block is accounted too
    msp.add_blockref("外", (E0, N0), dxfattribs={"xscale": 2, "yscale": 2, "rotation": 30})
    array = msp.add_blockref("内", (E0 + 500, N0))
    array.grid(size=(2, 3), spacing=(100, 100))  # MINSERT: 2 rows × 3 columns
    doc.saveas(tmp_path / "blocks.dxf")
    result = read_parcels(tmp_path / "blocks.dxf")
    # Independently: the block's rectangle moved by each placement, with shapely's affinity.
    from shapely import affinity
    rect = Polygon([(0, 0), (40, 0), (40, 20), (0, 20)])
    nested = affinity.translate(affinity.rotate(rect, 90, origin=(0, 0)), 10, 0)
    nested = affinity.translate(affinity.rotate(affinity.scale(nested, 2, 2, origin=(0, 0)), 30, origin=(0, 0)), E0, N0)
    cells = [affinity.translate(rect, E0 + 500 + 100 * c, N0 + 100 * r) for r in range(2) for c in range(3)]
    expected = [nested] + cells
    assert len(result.parcels) == 7
    for geometry in expected:
        assert min(geometry.hausdorff_distance(g) for g in result.parcels.geometry) < 1e-6
    assert [s.reason for s in result.skipped] == ["是未闭合的多段线"]
    assert "图块“外”" in result.skipped[0].place
    assert_account(result)
